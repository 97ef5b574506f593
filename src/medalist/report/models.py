"""Serialised results of aggregation: what `medalist compare --json` writes and the HTML report reads."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

from medalist.clock import utc_now
from medalist.grading.report import CompetitionReport
from medalist.tasks.baseline import SUCCESS_IMPROVEMENT

RATE_METRICS = (
    "any_medal",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "submission_exists",
    "valid_submission",
    "success",
)
"""Per-run 0/1 outcomes; aggregated as percentages (``success`` = improvement > 10% over baseline)."""

VALUE_METRICS = ("normalized_score", "improvement", "improvement_median", "medal_confidence")
"""Per-run real values, averaged per seed: normalized score as a fraction; improvement in percent, capped
per run (mean) or uncapped (median over the seed's tasks); tasks with a degenerate baseline left out;
medal confidence as a probability, over the runs that have one."""

SplitStatus = Literal["complete", "padded", "partial"]
"""complete: every seed holds a run of every split task; padded: --pad-missing filled missing runs with
failures; partial: the agent ran only some of the split's tasks, so the numbers are not the split's score."""


IMPROVEMENT_CAP = 1.0
"""Per-run relative improvement is clipped to [-100%, +100%] before it is averaged, so one task cannot
dominate the mean (reaching a leaderboard's best is often several hundred percent over a weak baseline)."""

DEGENERATE_BASELINE_RATIO = 0.1
"""A baseline has no skill for relative figures when |baseline| <= 0.1 * |leaderboard best - baseline|,
i.e. when matching the best entry would be more than a 1000% improvement (an R^2 or F1 of ~0)."""


def n_tasks(n: int) -> str:
    return f"{n} task{'s' if n != 1 else ''}"


class Estimate(BaseModel):
    """Mean over replicates (seeds) with its standard error, a t-based 95% confidence interval and
    MLE-bench's mean +- 1.96 * SEM interval (both undefined with one seed)."""

    mean: float | None = None
    sem: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    mlebench_ci_low: float | None = Field(default=None, description="mean - 1.96 * SEM (MLE-bench's interval).")
    mlebench_ci_high: float | None = Field(default=None, description="mean + 1.96 * SEM (MLE-bench's interval).")
    n: int = Field(default=0, description="Number of replicates (seeds) the mean is over.")
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
    cost_unknown: bool = Field(default=False, description="It called a model whose price is unknown.")
    input_tokens: int | None = None
    output_tokens: int | None = None
    steps: int | None = None
    peak_memory_mb: float | None = None
    gpus: int = Field(default=0, description="GPUs the run was given.")
    gpu_peak_memory_mb: float | None = None
    gpu_peak_utilization_pct: float | None = None
    run_dir: str | None = None
    paths: dict[str, str] = Field(
        default_factory=dict, description="Files inside run_dir: logs, code, stdout, stderr (runner's RunPaths)."
    )
    source: Literal["medalist", "mlebench"] = Field(
        default="medalist", description="'mlebench': read from an MLE-bench grading report (seed = order in the group)."
    )

    @property
    def key(self) -> str:
        return f"{self.group}/{self.task_id}_s{self.seed}"


class TaskInfo(BaseModel):
    """What the aggregation needs to know about a task: direction, anchors and splits."""

    task_id: str
    metric: str = ""
    is_lower_better: bool = False
    baseline_score: float | None = Field(default=None, description="Score improvement is measured against.")
    baseline_source: str | None = Field(default=None, description="'starter' (task-provided) or 'sample_submission'.")
    sample_score: float | None = Field(
        default=None, description="Score of the task's sample submission (normalized 0)."
    )
    leaderboard_best: float | None = Field(default=None, description="Best leaderboard score (normalized 1).")
    leaderboard_scores: list[float] = Field(default_factory=list, description="Leaderboard, best first.")
    gold_threshold: float | None = None
    silver_threshold: float | None = None
    bronze_threshold: float | None = None
    median_threshold: float | None = None
    splits: list[str] = Field(default_factory=list)

    @computed_field(description="Baseline ~0 (no skill): the task is left out of relative improvement.")  # type: ignore[prop-decorator]  # pydantic's mypy workaround
    @property
    def baseline_degenerate(self) -> bool:
        from medalist.report.stats import degenerate_baseline

        return self.baseline_score is not None and degenerate_baseline(self.baseline_score, self.leaderboard_best)


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
    """One agent on one split under MLE-bench's protocol: seeds that each hold one run per task, every
    metric as mean +- SEM over those seeds (t and 1.96*SEM intervals), plus pass@k."""

    agent: str
    split: str
    status: SplitStatus
    split_size: int = Field(description="Tasks in the split.")
    tasks: list[str] = Field(description="Split tasks the agent ran (coverage = len(tasks) of split_size).")
    missing_tasks: list[str] = Field(default_factory=list, description="Split tasks the agent never ran.")
    tasks_per_seed: int = Field(description="Tasks each seed holds: split_size, or len(tasks) when partial.")
    n_seeds: int = Field(description="Seeds averaged.")
    n_runs: int = Field(description="Runs inside those seeds.")
    padded_runs: int = Field(default=0, description="Missing runs counted as failures (--pad-missing).")
    unused_runs: int = Field(default=0, description="Runs beyond the last complete seed, left out as MLE-bench does.")
    seed_runs: list[list[str | None]] = Field(
        default_factory=list, description="Per seed, the run key used for each task (null = padded failure)."
    )
    metrics: dict[str, Estimate] = Field(
        description="Rates in percent (any_medal, gold_medal, ..., success); normalized_score as a fraction; "
        "improvement (capped per run) and improvement_median in percent."
    )
    pass_at_k: dict[int, float] = Field(
        default_factory=dict, description="Unbiased pass@k of any medal over the seeds, averaged over tasks."
    )
    total_cost_usd: float | None = None
    cost_unknown: bool = False
    total_wall_seconds: float | None = None

    @computed_field(description="'12 of 25 tasks': split tasks the agent ran.")  # type: ignore[prop-decorator]  # pydantic's mypy workaround
    @property
    def coverage(self) -> str:
        return f"{len(self.tasks)} of {n_tasks(self.split_size)}"

    @computed_field(description="Whether the numbers are the split's score (complete or padded, not partial).")  # type: ignore[prop-decorator]  # pydantic's mypy workaround
    @property
    def scored(self) -> bool:
        return self.status != "partial"


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
    best_medal: str = Field(default="none", description="gold, silver, bronze, above-median, valid, invalid or none.")
    scores: list[float | None] = Field(default_factory=list, description="Score per seed (null = invalid).")
    seeds: list[int] = Field(default_factory=list)
    mean_score: float | None = None
    mean_normalized_score: float | None = None
    mean_improvement: float | None = None
    mean_medal_confidence: float | None = Field(
        default=None, description="Mean bootstrap medal confidence of the runs."
    )


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
    protocol: str = Field(default="mlebench", description="How seeds are built (MLE-bench's leaderboard protocol).")
    pad_missing: bool = Field(default=False, description="Missing runs were counted as failures.")
    num_seeds: int | None = Field(default=None, description="Seeds requested (None: every complete seed).")
    ci_method: str = Field(
        default="t",
        description="95% CI: Student-t over per-seed values, mean +- t(0.975, n-1) * SEM (SEM: ddof=1); "
        "mlebench_ci_* is MLE-bench's mean +- 1.96 * SEM.",
    )
    success_threshold: float = SUCCESS_IMPROVEMENT
    improvement_cap: float = Field(default=IMPROVEMENT_CAP, description="Per-run improvement is clipped to +-this.")
    groups: list[GroupInfo] = Field(default_factory=list)
    agents: list[str] = Field(default_factory=list)
    splits: list[str] = Field(default_factory=list)
    tasks: dict[str, TaskInfo] = Field(default_factory=dict)
    aggregates: list[AgentSplitAggregate] = Field(default_factory=list)
    cells: list[TaskAgentCell] = Field(default_factory=list)
    runs: list[RunView] = Field(default_factory=list)
    run_metrics: list[RunMetrics] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What the numbers leave out, and why.")

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
