"""``medalist leaderboard build``: regenerate built-in leaderboards from the reference population."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from medalist.cli.app import TaskDirs, app, console, registry
from medalist.errors import MedalistError

leaderboard_app = typer.Typer(help="Build task leaderboards from reference solutions.", no_args_is_help=True)
app.add_typer(leaderboard_app, name="leaderboard")

MIN_POPULATION = 10


@leaderboard_app.command("build")
def build(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids or split names.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every task.")] = False,
    population: Annotated[int, typer.Option(help="Reference solutions per task (>= 10).")] = 160,
    seed: Annotated[int, typer.Option(help="Seed of the population draw.")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples stored for medal confidence (0: none).")] = 200,
    output_dir: Annotated[
        Optional[Path], typer.Option(help="Write DIR/TASK/leaderboard.csv here instead of the task folder.")
    ] = None,
    cache_dir: Annotated[
        Optional[Path], typer.Option(help="Reuse fitted recipes from this folder (development only).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print every recipe as it is fitted.")] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Train, predict and score the reference population; write leaderboard.csv, provenance and bootstrap JSON."""
    from medalist.baselines import build_leaderboard
    from medalist.fsutil import atomic_write_json, atomic_write_text
    from medalist.grading.confidence import BOOTSTRAP_FILE
    from medalist.tasks import ensure_prepared

    reg = registry(tasks_dir)
    selectors = list(tasks or []) + (["all"] if all_ else [])
    if not selectors:
        raise MedalistError("name tasks to build leaderboards for, or use --all")
    if population < MIN_POPULATION:
        raise MedalistError(f"--population must be at least {MIN_POPULATION}, got {population}")
    command = (
        shlex.join(["medalist", *sys.argv[1:]])
        if sys.argv and "leaderboard" in sys.argv
        else (
            f"medalist leaderboard build {' '.join(selectors)} --population {population} --seed {seed} --resamples {resamples}"
        )
    )
    total = time.perf_counter()
    for spec in reg.resolve(selectors):
        pt = ensure_prepared(spec)
        result = build_leaderboard(
            pt,
            population=population,
            seed=seed,
            resamples=resamples,
            cache_dir=cache_dir,
            log=console.print if verbose else None,
        )
        folder = spec.directory if output_dir is None else Path(output_dir) / spec.id
        out = folder / (spec.leaderboard or "leaderboard.csv")
        atomic_write_text(out, result.csv_text)
        atomic_write_json(folder / "leaderboard_provenance.json", result.provenance(command))
        if result.bootstrap is not None:
            atomic_write_json(folder / BOOTSTRAP_FILE, result.bootstrap)
        failed = sum(r.score is None for r in result.results)
        best, worst = result.frame["score"].iloc[0], result.frame["score"].iloc[-1]
        console.print(
            f"[green]ok[/] {spec.id:34s} {len(result.frame)} entries (best {best:.5g}, worst {worst:.5g}"
            f"{f', {failed} failed' if failed else ''})  {result.seconds:.1f}s -> {out}"
        )
    console.print(f"done in {time.perf_counter() - total:.1f}s")


CALIBRATION_START = "<!-- calibration:start -->"
CALIBRATION_END = "<!-- calibration:end -->"


@leaderboard_app.command("calibrate")
def calibrate_cmd(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids or split names (default: all).")] = None,
    automl: Annotated[
        Optional[Path], typer.Option(help="A run group of the automl agent (seed 0 is graded on every task).")
    ] = None,
    docs: Annotated[
        Optional[Path], typer.Option(help="Markdown file whose calibration table (between markers) is replaced.")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a calibration target is missed.")] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Place the sample submission, automl and the best entry on each leaderboard; record it in the provenance."""
    import json

    from medalist.baselines.calibration import (
        calibrate,
        calibration_markdown,
        keep_recorded_automl,
        target_problems,
    )
    from medalist.fsutil import atomic_write_json, atomic_write_text
    from medalist.grading.audit import leaderboard_is_stale
    from medalist.runner.layout import run_dir_name
    from medalist.tasks import ensure_prepared

    reg = registry(tasks_dir)
    rows, stale = [], []
    for spec in reg.resolve(list(tasks or ["all"])):
        prov_path = spec.directory / "leaderboard_provenance.json"
        prov = json.loads(prov_path.read_text()) if prov_path.is_file() else {}
        reason = leaderboard_is_stale(ensure_prepared(spec)) or (
            None if "composition" in prov else "provisional leaderboard (first generator, no reference population)"
        )
        if reason is not None:
            console.print(f"[yellow]warning[/] {spec.id}: not calibrated: {reason}")
            stale.append((spec.id, reason))
            continue
        sub = (
            None
            if automl is None
            else Path(automl) / run_dir_name(spec.id, 0) / "workspace" / "submission" / "submission.csv"
        )
        if sub is not None and not sub.is_file():
            sub = None
        cal = calibrate(
            spec,
            ensure_prepared(spec),
            sub,
            source=Path(automl).name if automl else None,
            best_confidence=prov.get("best_medal_confidence"),
        )
        if sub is None:
            cal = keep_recorded_automl(cal, prov.get("calibration"))
            if automl is not None:
                kept = f"keeps the one recorded from {cal.automl_source}" if cal.automl else "none recorded"
                console.print(f"[yellow]warning[/] {spec.id}: no automl run in {automl}; automl placement: {kept}")
        rows.append(cal)
        if prov:
            prov["calibration"] = cal.model_dump(mode="json")
            atomic_write_json(prov_path, prov)
    table = calibration_markdown(rows, stale)
    console.print(table, markup=False, highlight=False)
    if docs is not None:
        text = Path(docs).read_text(encoding="utf-8")
        if CALIBRATION_START not in text or CALIBRATION_END not in text:
            raise MedalistError(f"{docs}: no {CALIBRATION_START} ... {CALIBRATION_END} markers to replace")
        head, rest = text.split(CALIBRATION_START, 1)
        tail = rest.split(CALIBRATION_END, 1)[1]
        atomic_write_text(Path(docs), f"{head}{CALIBRATION_START}\n{table}{CALIBRATION_END}{tail}")
    problems = target_problems(rows) + [f"{t}: not calibrated ({r})" for t, r in stale]
    for p in problems:
        console.print(f"[red]target missed:[/] {p}")
    if check and problems:
        raise typer.Exit(1)
