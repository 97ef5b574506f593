"""Tasks: specs parsed from task.yaml, the registry of tasks and splits, preparation and verification."""

from medalist.tasks.cache import PreparedTask, PrepareManifest, task_cache
from medalist.tasks.prepare import ensure_prepared, load_entry_point, prepare_task, verify_task
from medalist.tasks.registry import BUILTIN_DIR, TaskRegistry
from medalist.tasks.spec import GradingLimits, TaskLimits, TaskSpec, TaskType, UnavailableTask, load_task_spec
from medalist.tasks.verify import full_check, quick_check

__all__ = [
    "BUILTIN_DIR",
    "GradingLimits",
    "PrepareManifest",
    "PreparedTask",
    "TaskLimits",
    "TaskRegistry",
    "TaskSpec",
    "TaskType",
    "UnavailableTask",
    "ensure_prepared",
    "full_check",
    "load_entry_point",
    "load_task_spec",
    "prepare_task",
    "quick_check",
    "task_cache",
    "verify_task",
]
