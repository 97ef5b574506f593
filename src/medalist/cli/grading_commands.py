"""Grading commands: `grade-sample`, `grade`, `metrics`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from medalist.cli.app import TaskDirs, app, console, err_console, one_line, registry


def _print_report(rep) -> None:
    table = Table(show_header=False, title=f"{rep.competition_id}: {rep.metric}")
    for k, v in rep.model_dump().items():
        if v is not None and k not in ("created_at",):
            table.add_row(k, escape(str(v)))
    console.print(table)


@app.command("grade-sample")
def grade_sample(
    submission: Path,
    task_id: str,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Grade one submission CSV for one task and print its report."""
    from medalist.grading import grade_submission

    spec = registry(tasks_dir).get(task_id)
    rep = grade_submission(submission, spec)
    if json_out:
        print(rep.model_dump_json(indent=2))
    else:
        _print_report(rep)
    if not rep.valid_submission:
        err_console.print(f"[red]invalid submission:[/] {escape(one_line(rep.error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def grade(
    submission: Annotated[Path, typer.Option(help="JSONL: one {competition_id|task_id, submission_path} per line.")],
    output_dir: Annotated[Path, typer.Option(help="Where reports and the summary are written.")],
    tasks_dir: TaskDirs = None,
) -> None:
    """Grade many submissions; writes per-task reports and a summary JSON."""
    from medalist.grading import grade_jsonl

    summary = grade_jsonl(submission, output_dir, registry(tasks_dir))
    table = Table(title="grading summary")
    for col in ("task", "score", "valid", "medal", "above median", "error"):
        table.add_column(col)
    for r in summary.competition_reports:
        medal = "gold" if r.gold_medal else "silver" if r.silver_medal else "bronze" if r.bronze_medal else "-"
        table.add_row(
            r.competition_id,
            "-" if r.score is None else f"{r.score:.6g}",
            str(r.valid_submission),
            medal,
            str(r.above_median),
            escape(r.error or ""),
        )
    console.print(table)
    console.print(
        f"{summary.total_runs} runs, {summary.total_valid_submissions} valid, {summary.total_medals} medals "
        f"({summary.total_gold_medals} gold, {summary.total_silver_medals} silver, {summary.total_bronze_medals} bronze), "
        f"{summary.total_above_median} above median; written to {output_dir}"
    )


@app.command("metrics")
def metrics_list() -> None:
    """List the named metrics and their direction."""
    from medalist.metrics import list_metrics

    table = Table(title="metrics")
    for col in ("name", "better", "predictions", "description"):
        table.add_column(col)
    for m in list_metrics():
        table.add_row(m.name, "lower" if m.is_lower_better else "higher", m.prediction, m.description)
    console.print(table)
