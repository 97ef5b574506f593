"""Task commands: `tasks list`, `tasks show`, `prepare`, `verify`."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from pydantic import BaseModel
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from medalist.cli.app import TaskDirs, app, console, err_console, registry, select_tasks, tasks_app
from medalist.errors import MedalistError


class TaskListing(BaseModel):
    """One line of `medalist tasks list --json`: a task, or a known task that is unavailable and why."""

    id: str
    available: bool
    kind: str | None = None
    metric: str | None = None
    is_lower_better: bool | None = None
    rows: int | None = None
    splits: list[str]
    problem: str | None = None
    fix: str | None = None


@tasks_app.command("list")
def tasks_list(
    split: Annotated[Optional[str], typer.Option(help="Only tasks in this split.")] = None,
    tasks_dir: TaskDirs = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list (one object per task) instead of a table.")
    ] = False,
) -> None:
    """Show every task: id, kind, metric, rows, splits (and why a known task is unavailable)."""
    reg = registry(tasks_dir)
    specs = reg.split(split) if split else sorted(reg.tasks.values(), key=lambda s: s.id)
    broken = sorted(reg.skipped.values() if split else reg.unavailable.values(), key=lambda u: u.id)
    if as_json:
        listing = [
            TaskListing(
                id=s.id,
                available=True,
                kind=s.kind,
                metric=s.metric,
                is_lower_better=s.is_lower_better,
                rows=s.rows,
                splits=reg.splits_of(s.id),
            )
            for s in specs
        ]
        listing += [
            TaskListing(id=u.id, available=False, splits=reg.splits_of(u.id), problem=u.problem, fix=u.fix)
            for u in broken
        ]
        print(json.dumps([t.model_dump() for t in listing], indent=2))
        return
    title = f"{len(specs) + len(broken)} tasks" + (f" in split {split!r}" if split else "")
    table = Table(title=title + (f" ({len(broken)} unavailable)" if broken else ""))
    for col in ("id", "kind", "metric", "rows", "splits"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for s in specs:
        table.add_row(s.id, s.kind, s.metric, f"{s.rows:,}" if s.rows else "?", ", ".join(reg.splits_of(s.id)))
    for u in broken:
        table.add_row(u.id, "[red]unavailable[/]", escape(u.problem), "", ", ".join(reg.splits_of(u.id)))
    console.print(table)
    for fix in sorted({u.fix for u in broken if u.fix}):
        n = sum(u.fix == fix for u in broken)
        console.print(f"{n} unavailable task(s): {escape(fix)}", highlight=False, soft_wrap=True)


@tasks_app.command("show")
def tasks_show(task_id: str, tasks_dir: TaskDirs = None) -> None:
    """Print a task's card: spec fields, splits, leaderboard size, and its description."""
    from medalist.grading import task_thresholds
    from medalist.tasks import task_cache
    from medalist.tasks.columns import column_roles

    reg = registry(tasks_dir)
    spec = reg.get(task_id)
    th = task_thresholds(spec)
    roles = column_roles(task_cache(spec))  # MLE-bench: read from the prepared sample submission, if any
    inferred = " (inferred from the sample submission)" if roles.source == "inferred" else ""
    table = Table(show_header=False, title=spec.name)
    rows = {
        "id": spec.id,
        "kind": spec.kind,
        "metric": f"{spec.metric} ({'lower' if spec.is_lower_better else 'higher'} is better)",
        "id column": (roles.id_column or "?") + inferred if roles.source != "none" else "(not prepared yet)",
        "target columns": ", ".join(roles.target_columns) + inferred
        if roles.target_columns
        else ("(custom grader)" if spec.grader else ""),
        "rows": f"{spec.rows:,}" if spec.rows else "?",
        "source": spec.source or "",
        "tags": ", ".join(spec.tags),
        "splits": ", ".join(reg.splits_of(spec.id)),
        "limits": f"{spec.limits.time_limit_secs}s, {spec.limits.memory_gb} GB, {spec.limits.cpus} CPUs",
        "leaderboard": "none"
        if th is None
        else (
            f"{th.n_teams} entries; gold {th.gold:.6g}, silver {th.silver:.6g}, bronze {th.bronze:.6g}, median {th.median:.6g}"
        ),
        "folder": str(spec.directory),
    }
    for k, v in rows.items():
        table.add_row(k, v)
    console.print(table)
    console.print(Markdown(spec.description_path.read_text(encoding="utf-8")))


@app.command()
def prepare(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids (or split names).")] = None,
    split: Annotated[Optional[str], typer.Option(help="Prepare every task in this split.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Prepare every task.")] = False,
    force: Annotated[bool, typer.Option(help="Re-prepare even if already prepared.")] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Prepare tasks into the data cache (public/ and private/), checksummed; prepared tasks are skipped."""
    import time

    from medalist.paths import data_dir
    from medalist.tasks import prepare_task, quick_check

    specs = select_tasks(registry(tasks_dir), tasks, split, all_, "prepare")
    console.print(f"data dir: {data_dir()}")
    total = time.perf_counter()
    for spec in specs:
        start = time.perf_counter()
        pt = prepare_task(spec, force=force)
        problems = quick_check(pt)
        secs = time.perf_counter() - start
        if problems:
            raise MedalistError(f"{spec.id}: verification failed: {'; '.join(problems[:3])}")
        where = f"  prepared-only data in {pt.root}" if pt.external else ""
        n_public, n_private = (sum(1 for p in d.rglob("*") if p.is_file()) for d in (pt.public, pt.private))
        console.print(f"[green]ok[/] {spec.id:32s} {n_public} public, {n_private} private files  ({secs:.2f}s){where}")
    console.print(f"{len(specs)} task(s) ready in {time.perf_counter() - total:.1f}s")


@app.command()
def verify(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids (or split names).")] = None,
    split: Annotated[Optional[str], typer.Option(help="Verify every task in this split.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every prepared task.")] = False,
    update: Annotated[
        bool,
        typer.Option(
            help="Prepared-only MLE-bench data: re-record its checksums as the files are now (after `mlebench prepare`)."
        ),
    ] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Hash every prepared file and compare with the checksums taken when it was prepared (runs and grading
    only check sizes, modification times and the answers); exit 1 if anything changed."""
    import time

    from medalist.tasks import task_cache, verify_task

    specs = select_tasks(registry(tasks_dir), tasks, split, all_, "verify")
    failed = 0
    for spec in specs:
        pt = task_cache(spec)
        if pt.external and not pt.is_prepared():
            from medalist.tasks import prepare_task

            prepare_task(spec)  # first use of prepared-only data: record it (their folder is not written)
        if not pt.is_prepared():
            if all_ or split:
                continue
            raise MedalistError(f"task {spec.id!r} is not prepared; run `medalist prepare {spec.id}`")
        if update and not pt.external:
            raise MedalistError(
                f"--update is for prepared-only MLE-bench data; re-prepare {spec.id!r} with `medalist prepare {spec.id} --force`"
            )
        start = time.perf_counter()
        problems = verify_task(pt, update=update)
        secs = time.perf_counter() - start
        if problems:
            failed += 1
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            err_console.print(
                f"[red]changed[/] {spec.id}: {escape('; '.join(problems[:5]))}{more}", highlight=False, soft_wrap=True
            )
        else:
            console.print(f"[green]ok[/] {spec.id:32s} every file matches its checksum  ({secs:.2f}s)")
    if failed:
        raise typer.Exit(1)
