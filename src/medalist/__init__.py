"""medalist: benchmark AI agents on end-to-end machine-learning engineering tasks.

The Python API (:mod:`medalist.api`) is available as ``medalist.run``, ``medalist.compare``,
``medalist.write_report``, ... It is loaded on first use, so programs that run inside the sandbox and import a medalist module do not load
the harness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = (
    "ExperimentConfig",
    "RunHooks",
    "RunResult",
    "compare",
    "grade",
    "list_tasks",
    "prepare",
    "resume",
    "run",
    "write_report",
)
__all__ = [
    "ExperimentConfig",
    "RunHooks",
    "RunResult",
    "__version__",
    "compare",
    "grade",
    "list_tasks",
    "prepare",
    "resume",
    "run",
    "write_report",
]

if TYPE_CHECKING:
    from medalist.api import (
        ExperimentConfig,
        RunHooks,
        RunResult,
        compare,
        grade,
        list_tasks,
        prepare,
        resume,
        run,
        write_report,
    )


def __getattr__(name: str) -> Any:
    if name in _API:
        from medalist import api

        return getattr(api, name)
    raise AttributeError(f"module 'medalist' has no attribute {name!r}")
