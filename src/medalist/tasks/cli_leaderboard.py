"""``medalist leaderboard build``: regenerate built-in leaderboards from the reference population."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from medalist.cli import TaskDirs, app, console, registry
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
    command = shlex.join(["medalist", *sys.argv[1:]]) if sys.argv and "leaderboard" in sys.argv else (
        f"medalist leaderboard build {' '.join(selectors)} --population {population} --seed {seed} --resamples {resamples}"
    )
    total = time.perf_counter()
    for spec in reg.resolve(selectors):
        pt = ensure_prepared(spec)
        result = build_leaderboard(pt, population=population, seed=seed, resamples=resamples, cache_dir=cache_dir,
                                   log=console.print if verbose else None)
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
