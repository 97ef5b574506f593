"""Runner: run groups (metadata, resume), the worker function, executors, grading of a group."""

from medalist.agents.spec import AgentSpec, RunLimits
from medalist.runner.execute import execute_run, read_record, run_worker
from medalist.runner.executors import Executor, LocalExecutor, get_executor, register_executor
from medalist.runner.grade import grade_group
from medalist.runner.group import RunGroup, resolve_limits
from medalist.runner.instructions import render_instructions
from medalist.runner.models import (
    FINAL_STATUSES,
    GroupMetadata,
    LimitOverrides,
    RunEntry,
    RunPaths,
    RunRecord,
    RunSpec,
    RunStatus,
    Usage,
)
from medalist.runner.session import execute_group

__all__ = [
    "FINAL_STATUSES",
    "AgentSpec",
    "Executor",
    "GroupMetadata",
    "LimitOverrides",
    "LocalExecutor",
    "RunEntry",
    "RunGroup",
    "RunLimits",
    "RunPaths",
    "RunRecord",
    "RunSpec",
    "RunStatus",
    "Usage",
    "execute_group",
    "execute_run",
    "get_executor",
    "grade_group",
    "read_record",
    "register_executor",
    "render_instructions",
    "resolve_limits",
    "run_worker",
]
