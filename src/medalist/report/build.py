"""From run group folders to a Comparison: load runs, look tasks up, aggregate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from medalist.grading.report import CompetitionReport
from medalist.report.aggregate import compare
from medalist.report.load import LoadedGroup, load_groups
from medalist.report.models import Comparison, RunView, TaskInfo
from medalist.report.taskinfo import task_infos
from medalist.tasks.registry import TaskRegistry

UNFINISHED = frozenset({"pending", "running"})
"""Runs not finished yet are left out of the numbers (a failed or errored run counts as a failure)."""

MEDAL_FIELDS = (
    "gold_threshold",
    "silver_threshold",
    "bronze_threshold",
    "median_threshold",
    "any_medal",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "leaderboard_size",
    "leaderboard_rank",
    "beats_fraction",
)


def is_stale(report: CompetitionReport, info: TaskInfo, source: str = "medalist") -> bool:
    """Whether a run was graded against a different leaderboard than the task has now (MLE-bench's
    reports carry no leaderboard size, so for them only the gold threshold tells)."""
    moved = bool(info.leaderboard_scores) and report.gold_threshold != info.gold_threshold
    if source != "medalist":
        return moved and report.gold_threshold is not None
    return (report.leaderboard_size or 0) != len(info.leaderboard_scores) or moved


def replace_on_current_leaderboard(run: RunView, registry: TaskRegistry) -> RunView:
    """The run with its score placed again on the task's current leaderboard (medals, rank, ...)."""
    from medalist.grading import report_for_score, task_thresholds

    rep = run.report
    if rep is None or rep.score is None or not rep.valid_submission:
        return run
    spec = registry.tasks[run.task_id]
    fresh = report_for_score(spec, rep.score, task_thresholds(spec))
    updated = rep.model_copy(update={f: getattr(fresh, f) for f in MEDAL_FIELDS})
    return run.model_copy(update={"report": updated})


def build_comparison(
    paths: list[Path],
    registry: TaskRegistry | None = None,
    current_leaderboards: bool = False,
    pad_missing: bool = False,
    num_seeds: int | None = None,
    extra_splits: Mapping[str, Sequence[str]] | None = None,
) -> tuple[Comparison, list[LoadedGroup]]:
    """Load the run groups at ``paths`` (medalist's or MLE-bench's) and aggregate them per agent x split
    with MLE-bench's protocol (``pad_missing``, ``num_seeds``: see aggregate.compare).

    Splits are the registry's plus ``extra_splits`` (e.g. read from split files). Runs keep the grading
    stored with them; with ``current_leaderboards`` every valid score is placed again on the task's
    current leaderboard (use it when leaderboards changed after grading).
    """
    registry = registry or TaskRegistry.default()
    groups, runs = load_groups(paths)
    unfinished = [r for r in runs if r.status in UNFINISHED]
    runs = [r for r in runs if r.status not in UNFINISHED]
    data_dirs = [Path(g.data_dir) for g in groups if g.data_dir]
    infos, splits, warnings = task_infos(registry, {r.task_id for r in runs}, data_dirs)
    splits.update({name: list(ids) for name, ids in (extra_splits or {}).items()})
    stale = sorted(
        {
            r.task_id
            for r in runs
            if r.report is not None
            and r.report.valid_submission
            and r.task_id in infos
            and is_stale(r.report, infos[r.task_id], r.source)
        }
    )
    if current_leaderboards:
        runs = [replace_on_current_leaderboard(r, registry) if r.task_id in infos else r for r in runs]
    elif stale:
        warnings.append(
            f"runs of {len(stale)} task(s) were graded against another leaderboard than the current "
            f"one ({', '.join(stale[:4])}{', ...' if len(stale) > 4 else ''}); "
            "--current-leaderboards places their scores on today's leaderboards"
        )
    comparison = compare(
        runs, infos, splits, groups=[g.info() for g in groups], pad_missing=pad_missing, num_seeds=num_seeds
    )
    if unfinished:
        warnings.append(
            f"{len(unfinished)} run(s) still pending or running were left out "
            f"({', '.join(r.key for r in unfinished[:3])}{', ...' if len(unfinished) > 3 else ''})"
        )
    comparison.warnings = [w for g in groups for w in g.warnings] + warnings + comparison.warnings
    return comparison, groups
