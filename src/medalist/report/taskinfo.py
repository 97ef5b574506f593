"""Build each task's TaskInfo: score direction, leaderboard, sample-submission score and baseline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from medalist.errors import MedalistError
from medalist.report.models import TaskInfo
from medalist.tasks.prepare import PreparedTask
from medalist.tasks.registry import TaskRegistry
from medalist.tasks.spec import TaskSpec


def prepared(spec: TaskSpec, data_dirs: Sequence[Path] = ()) -> PreparedTask:
    """The task prepared in one of ``data_dirs`` (where the runs found it), else in the default cache
    (preparing it there if needed)."""
    from medalist.tasks.prepare import ensure_prepared, task_cache

    for root in data_dirs:
        pt = task_cache(spec, Path(root))
        if pt.is_prepared():
            return pt
    return ensure_prepared(spec)


def sample_submission_score(spec: TaskSpec, data_dirs: Sequence[Path] = ()) -> float | None:
    """Score of the task's own sample submission; None if it has none."""
    from medalist.grading import grade_submission

    if not spec.sample_submission:
        return None
    pt = prepared(spec, data_dirs)
    path = pt.sample_submission_path
    assert path is not None  # spec.sample_submission is set: the public sample
    rep = grade_submission(path, spec, pt)
    return rep.score if rep.valid_submission else None


def starter_baseline_score(spec: TaskSpec, data_dirs: Sequence[Path] = ()) -> float | None:
    """The task's starter-solution score cached beside its private data, when the task has one."""
    try:
        from medalist.tasks.baseline import read_baseline
    except ImportError:  # older medalist without starter baselines
        return None
    from medalist.tasks.prepare import task_cache

    pt = next((p for p in (task_cache(spec, Path(r)) for r in data_dirs) if p.is_prepared()), task_cache(spec))
    if not pt.is_prepared():
        return None
    try:
        base = read_baseline(pt.private)
    except ValueError:
        return None
    return None if base is None or base.score is None else float(base.score)


def task_info(
    spec: TaskSpec, splits: list[str], warnings: list[str] | None = None, data_dirs: Sequence[Path] = ()
) -> TaskInfo:
    """Everything the aggregation needs about one task; problems become warnings, not failures."""
    from medalist.grading import task_thresholds

    warn = warnings if warnings is not None else []
    info = TaskInfo(task_id=spec.id, metric=spec.metric, is_lower_better=spec.is_lower_better, splits=splits)
    try:
        th = task_thresholds(spec)
    except MedalistError as exc:
        warn.append(f"{spec.id}: leaderboard unreadable: {exc}")
        th = None
    if th is not None:
        info.leaderboard_scores = [float(s) for s in th.scores]
        info.leaderboard_best = float(th.scores[0])
        info.gold_threshold, info.silver_threshold = th.gold, th.silver
        info.bronze_threshold, info.median_threshold = th.bronze, th.median
    try:
        info.sample_score = sample_submission_score(spec, data_dirs)
    except MedalistError as exc:
        warn.append(f"{spec.id}: sample submission not scored: {exc}")
    starter = starter_baseline_score(spec, data_dirs)
    if starter is not None:
        info.baseline_score, info.baseline_source = starter, "starter"
    elif info.sample_score is not None:
        info.baseline_score, info.baseline_source = info.sample_score, "sample_submission"
    return info


def task_infos(
    registry: TaskRegistry, task_ids: Iterable[str], data_dirs: Sequence[Path] = ()
) -> tuple[dict[str, TaskInfo], dict[str, list[str]], list[str]]:
    """TaskInfo for each known task id, the registry's splits, and warnings."""
    warnings: list[str] = []
    infos: dict[str, TaskInfo] = {}
    for tid in sorted(set(task_ids)):
        if tid not in registry.tasks:
            continue
        infos[tid] = task_info(registry.tasks[tid], registry.splits_of(tid), warnings, data_dirs)
    splits = {name: list(ids) for name, ids in sorted(registry.splits.items())}
    return infos, splits, warnings
