"""`medalist compare` and `medalist report` (over :func:`medalist.api.compare`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from medalist.cli.app import TaskDirs, app, console, err_console

if TYPE_CHECKING:
    from medalist.report.models import Comparison

RunGroups = Annotated[
    list[Path],
    typer.Argument(
        help="Run group folders: medalist's runs/<timestamp>_<agent>/, or MLE-bench's runs/<group>/ with its "
        "*grading_report.json (or that file)."
    ),
]
CurrentLeaderboards = Annotated[
    bool,
    typer.Option(
        "--current-leaderboards",
        help="Place scores on each task's current leaderboard instead of the one used at grading.",
    ),
]
Splits = Annotated[
    Optional[list[str]],
    typer.Option(
        "--split",
        help="Show these splits: names, or split files (.txt, one task id a line; MLE-bench's "
        "experiments/splits/*.txt work). Repeatable.",
    ),
]
PadMissing = Annotated[
    bool,
    typer.Option(
        "--pad-missing",
        help="Count a split's missing runs as failures (MLE-bench's --pad-missing), so partial "
        "runs get a (padded) split score.",
    ),
]
NumSeeds = Annotated[
    Optional[int],
    typer.Option(
        "--num-seeds", min=1, help="Average at most this many seeds (the first ones); default: every complete seed."
    ),
]


def _build(
    run_groups: list[Path],
    split: list[str] | None,
    pad_missing: bool,
    num_seeds: int | None,
    current_leaderboards: bool,
    tasks_dir: list[Path] | None,
) -> Comparison:
    from medalist import api

    comparison = api.compare(
        run_groups,
        splits=split or [],
        pad_missing=pad_missing,
        num_seeds=num_seeds,
        current_leaderboards=current_leaderboards,
        tasks_dirs=tasks_dir or [],
    )
    for w in comparison.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    return comparison


@app.command("compare")
def compare_cmd(
    run_groups: RunGroups,
    json_out: Annotated[
        Optional[Path], typer.Option("--json", help="Also write the full comparison as JSON here.")
    ] = None,
    split: Splits = None,
    pad_missing: PadMissing = False,
    num_seeds: NumSeeds = None,
    current_leaderboards: CurrentLeaderboards = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Compare run groups per split and agent with MLE-bench's protocol: medal rates, normalized score,
    improvement, pass@k (mean ± SEM over seeds that each hold one run of every task).

    Shows 'tasks-run' and the splits some agent ran completely (or padded); --split picks others; --json has every split.
    """
    from medalist.fsutil import atomic_write_json
    from medalist.report.selection import split_names
    from medalist.report.table import covered_splits, legend, partial_summary, split_table

    comparison = _build(run_groups, split, pad_missing, num_seeds, current_leaderboards, tasks_dir)
    shown = [s for s in comparison.splits if s in split_names(split)] if split else covered_splits(comparison)
    for s in shown:
        console.print(split_table(comparison, s))
    console.print(legend(comparison), highlight=False, style="dim")
    for note in comparison.notes:
        console.print(f"note: {note}", highlight=False, style="dim")
    partial = partial_summary(comparison) if not split else []
    if partial:
        console.print(
            f"partial splits, not shown (--split NAME shows one, --pad-missing scores them): {'; '.join(partial)}",
            highlight=False,
            style="dim",
        )
    if json_out is not None:
        atomic_write_json(json_out, comparison)
        console.print(f"comparison written to {json_out}")


@app.command("report")
def report_cmd(
    run_groups: RunGroups,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    title: Annotated[str, typer.Option(help="Title at the top of the report.")] = "medalist report",
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the comparison as JSON here.")] = None,
    split: Annotated[
        Optional[list[str]],
        typer.Option("--split", help="Also score splits from these files (.txt, one task id a line). Repeatable."),
    ] = None,
    pad_missing: PadMissing = False,
    num_seeds: NumSeeds = None,
    current_leaderboards: CurrentLeaderboards = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Write one self-contained HTML report (leaderboard per split, medal matrix, plots, cost/time, run traces)."""
    from medalist import api
    from medalist.fsutil import atomic_write_json

    comparison = _build(run_groups, split, pad_missing, num_seeds, current_leaderboards, tasks_dir)
    api.write_report(comparison, output, title)
    if json_out is not None:
        atomic_write_json(json_out, comparison)
    size = output.stat().st_size
    console.print(
        f"report written to {output} ({size / 1024:.0f} KiB; {len(comparison.runs)} runs, "
        f"{len(comparison.agents)} agents)"
    )
