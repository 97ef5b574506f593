"""Serialised grading results: per-task reports (a superset of MLE-bench's) and group summaries."""

from __future__ import annotations

from pydantic import BaseModel, Field

from medalist.clock import utc_now


class CompetitionReport(BaseModel):
    """One graded submission; field names match MLE-bench's report, plus medalist's extras."""

    competition_id: str
    score: float | None = None
    gold_threshold: float | None = None
    silver_threshold: float | None = None
    bronze_threshold: float | None = None
    median_threshold: float | None = None
    any_medal: bool = False
    gold_medal: bool = False
    silver_medal: bool = False
    bronze_medal: bool = False
    above_median: bool = False
    submission_exists: bool = False
    valid_submission: bool = False
    is_lower_better: bool = False
    created_at: str = Field(default_factory=utc_now)
    submission_path: str = ""
    # medalist extras
    metric: str = ""
    error: str | None = None
    leaderboard_size: int | None = None
    leaderboard_rank: int | None = None
    beats_fraction: float | None = Field(
        default=None, description="Fraction of leaderboard entries this score beats or ties (0..1)."
    )
    medal_confidence: float | None = Field(
        default=None,
        description="Bootstrap probability (paired resampling of test rows against the reference population) that "
        "this submission's medal tier (gold, silver, bronze or none) holds; None when the task stores no bootstrap.",
    )
    grading_seconds: float | None = None
    baseline_score: float | None = Field(default=None, description="Score of the task's starter solution, if measured.")
    improvement: float | None = Field(
        default=None, description="Relative improvement over baseline_score (0.1 = 10% better), direction-aware."
    )
    success: bool | None = Field(
        default=None, description="improvement > 10% (MLAgentBench's criterion); None without a baseline."
    )
    run_id: str | None = None
    seed: int | None = None


class GradingSummary(BaseModel):
    """Totals over a set of reports, as ``medalist grade`` writes them."""

    created_at: str = Field(default_factory=utc_now)
    total_runs: int
    total_runs_with_submissions: int = Field(default=0, description="MLE-bench's name for total_submissions.")
    total_submissions: int
    total_valid_submissions: int
    total_medals: int
    total_gold_medals: int
    total_silver_medals: int
    total_bronze_medals: int
    total_above_median: int
    competition_reports: list[CompetitionReport]

    @classmethod
    def from_reports(cls, reports: list[CompetitionReport]) -> GradingSummary:
        return cls(
            total_runs=len(reports),
            total_runs_with_submissions=sum(r.submission_exists for r in reports),
            total_submissions=sum(r.submission_exists for r in reports),
            total_valid_submissions=sum(r.valid_submission for r in reports),
            total_medals=sum(r.any_medal for r in reports),
            total_gold_medals=sum(r.gold_medal for r in reports),
            total_silver_medals=sum(r.silver_medal for r in reports),
            total_bronze_medals=sum(r.bronze_medal for r in reports),
            total_above_median=sum(r.above_median for r in reports),
            competition_reports=reports,
        )
