"""A task's starter baseline: its score, cached in the prepared task, and improvement over it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

BASELINE_FILE = "baseline.json"
SUCCESS_IMPROVEMENT = 0.10
"""MLAgentBench's success criterion: more than 10% improvement over the starter baseline."""


class BaselineScore(BaseModel):
    """The starter solution's score (None when it failed; ``error`` says why)."""

    score: float | None = None
    source: str = Field(default="starter", description="What produced the score (e.g. 'starter: python train.py').")
    seconds: float | None = None
    error: str | None = None
    measured_at: str | None = None


def baseline_path(private: Path) -> Path:
    """Where a prepared task keeps its baseline (in private/: the agent never sees it)."""
    return Path(private) / BASELINE_FILE


def read_baseline(private: Path) -> BaselineScore | None:
    """The cached baseline of a prepared task, or None when the task has none."""
    path = baseline_path(private)
    if not path.is_file():
        return None
    return BaselineScore.model_validate_json(path.read_text(encoding="utf-8"))


def improvement(score: float, baseline: float, is_lower_better: bool) -> float | None:
    """Relative improvement over ``baseline`` in the metric's good direction (0.1 = 10% better).

    (score - baseline) / |baseline| when higher is better, (baseline - score) / |baseline| when lower
    is better; None when the baseline is 0 (relative change undefined).
    """
    if baseline == 0:
        return None
    delta = baseline - score if is_lower_better else score - baseline
    return delta / abs(baseline)
