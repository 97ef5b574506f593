"""Serialised records of a run group: ``run.json`` (one run) and ``metadata.json`` (the group).

Both are pydantic models written atomically after every state change, so a reader (or a resumed
``medalist run``) never sees a half-written file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medalist.agents.spec import AgentSpec, RunLimits
from medalist.clock import utc_now
from medalist.grading.report import CompetitionReport
from medalist.sandbox.gpu import GpuDevice
from medalist.sandbox.gpu_usage import GpuUsage

RunStatus = Literal["pending", "running", "completed", "failed", "timeout", "oom", "error"]
"""``completed``: agent exited 0; ``failed``: non-zero exit or killed; ``timeout``/``oom``: hit a limit;
``error``: the harness could not run the agent (sandbox or setup problem)."""

FINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "timeout", "oom"})
"""Outcomes of the agent itself; ``--resume`` never redoes these (``error`` runs are retried)."""

RUN_JSON = "run.json"
METADATA_JSON = "metadata.json"
GRADING_SUMMARY_JSON = "grading_summary.json"


class LimitOverrides(BaseModel):
    """Limits given on the command line (None = use each task's own default)."""

    time_limit_secs: float | None = None
    memory_gb: float | None = None
    cpus: float | None = None
    step_limit: int | None = None
    gpus: int | None = None
    disk_gb: float | None = None
    max_files: int | None = None


class RunSpec(BaseModel):
    """Everything a worker needs to execute one run; plain data so any executor can ship it."""

    run_id: str
    group_id: str
    group_dir: str
    run_dir: str
    task_id: str
    seed: int
    agent: AgentSpec
    limits: RunLimits
    sandbox: str = "auto"
    data_dir: str | None = None  # the prepared-task cache (MEDALIST_DATA_DIR of the launching process)
    tasks_dirs: list[str] = Field(default_factory=list)
    task_sources: dict[str, str] = Field(default_factory=dict)
    """MLE-bench/MLAgentBench folders, MEDALIST_TASKS_PATH, ... of the launching process (paths.task_sources)."""


class Usage(BaseModel):
    """Model usage of a run (filled by LLM agents; None fields = not measured)."""

    model_config = ConfigDict(extra="allow")

    steps: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None


class AgentReport(BaseModel):
    """What the agent says it produced and why (``/home/logs/agent_report.json``, optional)."""

    model_config = ConfigDict(extra="allow")

    outcome: str = Field(max_length=100)
    reason: str = Field(default="", max_length=2000)


class RunPaths(BaseModel):
    """Where a run's files are, relative to its run dir."""

    workspace: str = "workspace"
    submission: str = "workspace/submission/submission.csv"
    code: str = "workspace/code"
    logs: str = "workspace/logs"
    stdout: str = "agent_stdout.log"
    stderr: str = "agent_stderr.log"


class RunRecord(BaseModel):
    """``run.json``: one agent on one task with one seed, from pending to graded."""

    run_id: str
    group_id: str
    task_id: str
    seed: int
    agent_id: str
    status: RunStatus = "pending"
    created_at: str = Field(default_factory=utc_now)
    started_at: str | None = None
    ended_at: str | None = None
    seconds: float | None = None
    exit_reason: str | None = None
    exit_code: int | None = None
    peak_memory_bytes: int | None = None
    cpu_seconds: float | None = None
    sandbox: str | None = None
    isolated: bool | None = None
    limits: RunLimits | None = None
    paths: RunPaths = Field(default_factory=RunPaths)
    error: str | None = None
    attempts: int = 0
    grading: CompetitionReport | None = None
    usage: Usage | None = None
    gpus: list[GpuDevice] = Field(default_factory=list, description="The GPUs this run was given.")
    gpu_wait_seconds: float | None = Field(
        default=None, description="Time spent waiting for free GPUs (not in the time limit)."
    )
    gpu_usage: GpuUsage | None = None
    agent_report: AgentReport | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES


class RunEntry(BaseModel):
    """A run as listed in ``metadata.json``."""

    run_id: str
    task_id: str
    seed: int
    dir: str
    status: RunStatus = "pending"
    started_at: str | None = None
    seconds: float | None = None
    score: float | None = None
    valid_submission: bool | None = None


class ExecutorInfo(BaseModel):
    name: str
    workers: int


class GroupMetadata(BaseModel):
    """``metadata.json``: a run group (one agent, several tasks x seeds) and the state of every run."""

    group_id: str
    agent_id: str
    agent: AgentSpec
    tasks: list[str]
    seeds: list[int]
    limits: LimitOverrides
    executor: ExecutorInfo
    sandbox: str
    grade: bool = True
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)
    medalist_version: str
    data_dir: str | None = None
    tasks_dirs: list[str] = Field(default_factory=list)
    task_sources: dict[str, str] = Field(default_factory=dict)
    resumed: int = 0
    graded_at: str | None = None
    runs: list[RunEntry] = Field(default_factory=list)

    def entry(self, run_id: str) -> RunEntry:
        for e in self.runs:
            if e.run_id == run_id:
                return e
        raise KeyError(run_id)
