"""``medalist audit [TASKS]``: answer reachability, leakage, duplicates and headroom, one report per task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from medalist.cli.app import TaskDirs, app, console, registry
from medalist.errors import MedalistError


@app.command("audit")
def audit(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids or split names (default: all).")] = None,
    check: Annotated[
        Optional[list[str]],
        typer.Option(
            help="Run only these checks (reach, id_leak, adversarial, duplicates, single_column, headroom); repeatable."
        ),
    ] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write every report to this JSON file.")] = None,
    tasks_dir: TaskDirs = None,
) -> None:
    """Audit prepared tasks; exit 1 when a check fails (a task.yaml ``audit_accept`` entry excuses it).

    The reach check searches every tree a run can bind (/usr, the harness venv, the solution and
    adapter venvs installed here); the first scan on a machine takes minutes, later ones only check
    that the trees are unchanged."""
    from medalist.fsutil import atomic_write_json
    from medalist.grading.audit import CHECKS, audit_tasks
    from medalist.runner.execute import known_trees
    from medalist.tasks import ensure_prepared

    chosen = tuple(check or CHECKS)
    unknown = [c for c in chosen if c not in CHECKS]
    if unknown:
        raise MedalistError(f"unknown check(s) {', '.join(unknown)}; choose from {', '.join(CHECKS)}")
    specs = registry(tasks_dir).resolve(list(tasks or ["all"]))
    pts = [ensure_prepared(spec) for spec in specs]
    reports = []
    if "reach" in chosen:
        console.print(f"reach: searching {len(known_trees())} file trees the sandbox binds (cached per tree state)")
    for rep in audit_tasks(pts, checks=chosen, trees=known_trees() if "reach" in chosen else None):
        reports.append(rep)
        console.print(f"[bold]{rep.task_id}[/bold] {'ok' if rep.passed else '[red]FAIL[/red]'} ({rep.seconds:.0f}s)")
        for c in rep.checks:
            mark = "ok" if c.passed else ("accepted" if c.accepted else ("skipped" if c.skipped else "FAIL"))
            console.print(
                f"  {c.name:<14} {mark:<8} {c.detail}"
                + (f"  [{c.accepted or c.skipped}]" if not c.passed and (c.accepted or c.skipped) else "")
            )
    if json_out is not None:
        atomic_write_json(json_out, {"reports": [json.loads(r.model_dump_json()) for r in reports]})
    if not all(r.passed for r in reports):
        raise typer.Exit(1)
