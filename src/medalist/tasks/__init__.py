"""Tasks: specs parsed from task.yaml, the registry of tasks and splits, and preparation."""

from medalist.tasks.prepare import (
    PreparedTask,
    PrepareManifest,
    ensure_prepared,
    load_entry_point,
    prepare_task,
    task_cache,
    verify_task,
)
from medalist.tasks.registry import BUILTIN_DIR, TaskRegistry
from medalist.tasks.spec import GradingLimits, TaskLimits, TaskSpec, TaskType, load_task_spec

__all__ = [
    "BUILTIN_DIR",
    "GradingLimits",
    "PrepareManifest",
    "PreparedTask",
    "TaskLimits",
    "TaskRegistry",
    "TaskSpec",
    "TaskType",
    "ensure_prepared",
    "load_entry_point",
    "load_task_spec",
    "prepare_task",
    "task_cache",
    "verify_task",
]
