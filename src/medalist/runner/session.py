"""Drive a run group to completion: plan, execute through an executor, then grade."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from medalist.grading import CompetitionReport, GradingSummary
from medalist.runner.execute import prescan
from medalist.runner.executors import Executor
from medalist.runner.grade import grade_group, grade_run
from medalist.runner.group import RunGroup
from medalist.runner.models import RunRecord
from medalist.tasks.prepare import ensure_prepared
from medalist.tasks.registry import TaskRegistry


def execute_group(
    group: RunGroup,
    executor: Executor,
    *,
    grade: bool = True,
    live: Callable[[], AbstractContextManager[object]] | None = None,
    notify: Callable[[str], None] | None = None,
) -> GradingSummary | None:
    """Run every unfinished run of ``group`` (holding its lock), then grade all runs.

    ``live`` optionally returns a context manager (e.g. a rich Live display) kept open while runs execute;
    ``notify`` is told (one line) when the sandbox's file trees must first be scanned for answer copies.
    """
    registry = TaskRegistry.default(extra_roots=[Path(p) for p in group.meta.tasks_dirs])
    tasks = {t: registry.get(t) for t in group.meta.tasks}
    # prepare once here, so workers never race to prepare a task
    prepared = [ensure_prepared(spec) for spec in tasks.values()]
    prepared_by_id = {spec.id: pt for spec, pt in zip(tasks.values(), prepared)}
    if group.meta.sandbox != "process":  # every run checks its own trees too; this scans once for all of them
        prescan(prepared, notify=notify)
    with group.lock():
        todo = group.reset_unfinished()
        specs = [group.run_spec(e, tasks[e.task_id]) for e in todo]

        graded: dict[str, CompetitionReport] = {}

        def on_done(record: RunRecord) -> None:
            group.record_done(record)
            if grade:  # as each run ends, so a live view shows its score
                graded[record.run_id] = grade_run(group, group.meta.entry(record.run_id), registry, prepared_by_id)
                group.save()

        with live() if live else nullcontext():
            try:
                if specs:
                    executor.map_runs(specs, on_done, on_tick=group.refresh)
            finally:
                executor.close()
        group.refresh()
        if not grade:
            return None
        return grade_group(group, registry, graded)
