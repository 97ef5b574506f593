"""Medal confidence: the bootstrap probability that a submission's medal tier holds.

A built-in task may ship ``leaderboard_bootstrap.json`` beside its leaderboard: for ``B`` fixed
resamples of the test rows (see :mod:`medalist.grading.bootstrap`), the gold, silver and bronze
thresholds of the leaderboard re-derived from every reference solution's test predictions scored on
that resample. Grading scores the submission on the same resamples (paired resampling), re-derives
its tier each time and reports the share of resamples where the tier equals the observed one. Only
the per-resample thresholds are stored (a few KB), not the reference predictions, so grading costs
``B`` vectorised metric evaluations of the submission alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from medalist.errors import ConfigError
from medalist.fsutil import sha256_file
from medalist.grading.bootstrap import bootstrap_scores, fast_metric_supported
from medalist.grading.medals import medal_ranks
from medalist.grading.report import CompetitionReport
from medalist.grading.validate import AlignedSubmission
from medalist.metrics import get_metric
from medalist.tasks.prepare import PreparedTask
from medalist.tasks.spec import TaskSpec

BOOTSTRAP_FILE = "leaderboard_bootstrap.json"
MAX_ROW_EVALUATIONS = 20_000_000
"""Resamples x test rows graded at most; beyond it the first resamples only are used."""
MIN_RESAMPLES = 50
"""Fewer usable resamples than this (huge test sets, slow metrics) and no confidence is reported."""
SLOW_METRIC_ROW_EVALUATIONS = 2_000_000
"""Budget for metrics scored resample by resample (no vectorised form)."""
TIERS = ("none", "bronze", "silver", "gold")


class BootstrapThresholds(BaseModel):
    """Per-resample medal thresholds of one leaderboard (the stored ``leaderboard_bootstrap.json``)."""

    task_id: str
    metric: str
    is_lower_better: bool
    seed: int
    resamples: int
    test_rows: int
    answers_sha256: str = Field(description="SHA-256 of the private answers the resamples index into.")
    leaderboard_sha256: str = Field(description="SHA-256 of the leaderboard.csv these thresholds belong to.")
    gold: list[float]
    silver: list[float]
    bronze: list[float]

    def matches(self, answers_sha256: str, leaderboard_sha256: str, test_rows: int) -> bool:
        """True when the stored resamples belong to these answers and this leaderboard."""
        return (
            self.answers_sha256 == answers_sha256
            and self.leaderboard_sha256 == leaderboard_sha256
            and self.test_rows == test_rows
        )


def bootstrap_path(spec: TaskSpec) -> Path | None:
    """Where a task's bootstrap thresholds live (beside its leaderboard), or None without a leaderboard."""
    lb = spec.leaderboard_path
    return None if lb is None else lb.parent / BOOTSTRAP_FILE


def load_bootstrap(spec: TaskSpec) -> BootstrapThresholds | None:
    """The task's stored bootstrap thresholds, or None when it has none."""
    path = bootstrap_path(spec)
    if path is None or not path.is_file():
        return None
    try:
        return BootstrapThresholds.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise ConfigError(f"{path}: not a valid bootstrap file: {str(exc).splitlines()[0]}") from None


def tiers(scores: np.ndarray, gold: np.ndarray, silver: np.ndarray, bronze: np.ndarray, lower: bool) -> np.ndarray:
    """Medal tier per resample: 3 gold, 2 silver, 1 bronze, 0 none (ties reach the threshold)."""
    s = np.asarray(scores, dtype=float)

    def reach(t: np.ndarray) -> np.ndarray:
        return s <= t if lower else s >= t

    return np.where(reach(gold), 3, np.where(reach(silver), 2, np.where(reach(bronze), 1, 0)))


def tier_thresholds(member_scores: np.ndarray, places: tuple[int, int, int], lower: bool) -> np.ndarray:
    """Gold/silver/bronze thresholds per resample from members' resampled scores ``(M, B)`` -> ``(3, B)``.

    A threshold is the score at the tier's last place (1-based) among the members on that resample.
    """
    s = np.asarray(member_scores, dtype=float)
    s = np.where(np.isnan(s), np.inf if lower else -np.inf, s)
    ordered = np.sort(s, axis=0) if lower else -np.sort(-s, axis=0)
    m = len(ordered)
    return np.stack([ordered[min(p, m) - 1] for p in places])


def resampled_thresholds(
    metric_name: str,
    y_true: np.ndarray,
    predictions: Sequence[np.ndarray],
    n_teams: int,
    resamples: int,
    seed: int,
    **metric_args: object,
) -> np.ndarray:
    """Gold/silver/bronze thresholds ``(3, resamples)`` of a leaderboard of ``n_teams`` members' predictions.

    Every member's aligned test predictions are scored on the same resamples; each resample's
    thresholds are the scores at the tiers' last places (Kaggle's rules for ``n_teams``).
    """
    metric = get_metric(metric_name)
    scores = np.vstack([bootstrap_scores(metric, y_true, p, resamples, seed, **metric_args) for p in predictions])
    ranks = medal_ranks(n_teams)
    return tier_thresholds(scores, (ranks.gold, ranks.silver, ranks.bronze), metric.is_lower_better)


def usable_resamples(metric_name: str, rows: int, stored: int) -> int:
    """How many of the stored resamples grading may use for a test set of ``rows`` rows."""
    budget = MAX_ROW_EVALUATIONS if fast_metric_supported(get_metric(metric_name)) else SLOW_METRIC_ROW_EVALUATIONS
    return min(stored, budget // max(rows, 1))


def medal_confidence(
    spec: TaskSpec, y_true: np.ndarray, y_pred: np.ndarray, observed_tier: int, boot: BootstrapThresholds
) -> float | None:
    """Share of resamples on which the submission keeps ``observed_tier`` (None if too few resamples)."""
    k = usable_resamples(spec.metric, len(y_true), boot.resamples)
    if k < MIN_RESAMPLES:
        return None
    metric = get_metric(spec.metric)
    scores = bootstrap_scores(metric, y_true, y_pred, k, boot.seed, **spec.metric_args)
    got = tiers(
        scores,
        np.asarray(boot.gold[:k]),
        np.asarray(boot.silver[:k]),
        np.asarray(boot.bronze[:k]),
        boot.is_lower_better,
    )
    valid = ~np.isnan(scores)
    if valid.sum() < MIN_RESAMPLES:
        return None
    return round(float(np.mean(got[valid] == observed_tier)), 4)


def observed_tier(report: CompetitionReport) -> int:
    """The report's tier as a number (3 gold, 2 silver, 1 bronze, 0 none)."""
    return 3 if report.gold_medal else 2 if report.silver_medal else 1 if report.bronze_medal else 0


def confidence_for(
    spec: TaskSpec, pt: PreparedTask, report: CompetitionReport, aligned: AlignedSubmission
) -> float | None:
    """Medal confidence of a graded submission, or None when the task has no matching bootstrap file."""
    boot = load_bootstrap(spec)
    lb = spec.leaderboard_path
    if boot is None or lb is None or aligned.y_true is None:
        return None
    answers_sha = pt.manifest().private.get(pt.answers_path.relative_to(pt.private).as_posix())
    if answers_sha is None or not boot.matches(answers_sha, sha256_file(lb), len(aligned.y_true)):
        return None
    return medal_confidence(spec, aligned.y_true, aligned.y_pred, observed_tier(report), boot)
