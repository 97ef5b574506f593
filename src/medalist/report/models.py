"""Serialised results of aggregation: what `medalist compare --json` writes and the HTML report reads."""

from __future__ import annotations

from pydantic import BaseModel, Field

from medalist.grading.report import CompetitionReport, utc_now

RATE_METRICS = (
    "any_medal",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "valid_submission",
    "success",
)
"""Per-run 0/1 outcomes; aggregated as percentages (``success`` = improvement > 10% over baseline)."""

VALUE_METRICS = ("improvement", "normalized_score")
"""Per-run real values; aggregated as plain means (improvement as a fraction, 0.1 = 10%)."""

SUCCESS_THRESHOLD = 0.10


class Estimate(BaseModel):
    """Mean over replicates (seeds) with its standard error and a t-based 95% confidence interval."""

    mean: float | None = None
    sem: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = Field(0, description="Number of replicates (seeds) the mean is over.")
    values: list[float] = Field(default_factory=list, description="The per-replicate values.")


class RunView(BaseModel):
    """One agent run as the report sees it: identity, outcome, cost and where its files are."""

    group: str = Field(description="Run group folder name.")
    agent: str = Field(description="Agent label (agent name, plus the model when one is set).")
    task_id: str
    seed: int
    status: str = "unknown"
    error: str | None = None
    report: CompetitionReport | None = None
    wall_seconds: float | None = None
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    steps: int | None = None
    peak_memory_mb: float | None = None
    run_dir: str | None = None
    paths: dict[str, str] = Field(
        default_factory=dict, description="Files inside run_dir: logs, code, stdout, stderr (runner's RunPaths)."
    )

    @property
    def key(self) -> str:
        return f"{self.group}/{self.task_id}_s{self.seed}"


class TaskInfo(BaseModel):
    """What the aggregation needs to know about a task: direction, anchors and splits."""

    task_id: str
    metric: str = ""
    is_lower_better: bool = False
    baseline_score: float | None = Field(None, description="Score improvement is measured against.")
    baseline_source: str | None = Field(None, description="'starter' (task-provided) or 'sample_submission'.")
    sample_score: float | None = Field(None, description="Score of the task's sample submission (normalized 0).")
    leaderboard_best: float | None = Field(None, description="Best leaderboard score (normalized 1).")
    leaderboard_scores: list[float] = Field(default_factory=list, description="Leaderboard, best first.")
    gold_threshold: float | None = None
    silver_threshold: float | None = None
    bronze_threshold: float | None = None
    median_threshold: float | None = None
    splits: list[str] = Field(default_factory=list)


class RunMetrics(BaseModel):
    """Per-run derived numbers: the 0/1 outcomes and the real-valued scores."""

    key: str
    agent: str
    task_id: str
    seed: int
    rates: dict[str, float]
    improvement: float | None = None
    normalized_score: float | None = None
    medal_confidence: float | None = None


class AgentSplitAggregate(BaseModel):
    """One agent on one split: every metric as mean +- SEM (95% CI) over seeds, plus pass@k."""

    agent: str
    split: str
    tasks: list[str]
    split_size: int = Field(description="Tasks in the split (coverage = len(tasks) / split_size).")
    n_runs: int
    seeds: list[int]
    metrics: dict[str, Estimate] = Field(
        description="Rates in percent (any_medal, gold_medal, ..., success); improvement in percent; "
        "normalized_score as a fraction."
    )
    pass_at_k: dict[int, float] = Field(
        default_factory=dict, description="Unbiased pass@k of any medal, averaged over tasks with >= k seeds."
    )
    total_cost_usd: float | None = None
    total_wall_seconds: float | None = None


class TaskAgentCell(BaseModel):
    """One task x agent cell of the medal matrix."""

    task_id: str
    agent: str
    n_runs: int
    gold: int = 0
    silver: int = 0
    bronze: int = 0
    above_median: int = 0
    valid: int = 0
    best_medal: str = Field("none", description="gold, silver, bronze, above-median, valid, invalid or none.")
    scores: list[float | None] = Field(default_factory=list, description="Score per seed (null = invalid).")
    seeds: list[int] = Field(default_factory=list)
    mean_score: float | None = None
    mean_normalized_score: float | None = None
    mean_improvement: float | None = None


class GroupInfo(BaseModel):
    """A run group that went into the comparison."""

    name: str
    path: str
    agent: str
    n_runs: int
    created_at: str | None = None


class Comparison(BaseModel):
    """Everything `medalist compare` computes; the HTML report renders it."""

    created_at: str = Field(default_factory=utc_now)
    ci_method: str = Field(
        "t", description="95% CI: Student-t over per-seed values, mean +- t(0.975, n-1) * SEM (SEM: ddof=1)."
    )
    success_threshold: float = SUCCESS_THRESHOLD
    groups: list[GroupInfo] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    splits: list[str] = Field(default_factory=list)
    tasks: dict[str, TaskInfo] = Field(default_factory=dict)
    aggregates: list[AgentSplitAggregate] = Field(default_factory=list)
    cells: list[TaskAgentCell] = Field(default_factory=list)
    runs: list[RunView] = Field(default_factory=list)
    run_metrics: list[RunMetrics] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def aggregate(self, agent: str, split: str) -> AgentSplitAggregate | None:
        for a in self.aggregates:
            if a.agent == agent and a.split == split:
                return a
        return None

    def cell(self, task_id: str, agent: str) -> TaskAgentCell | None:
        for c in self.cells:
            if c.task_id == task_id and c.agent == agent:
                return c
        return None
