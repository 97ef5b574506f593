"""Results people can read: aggregation over seeds and run groups (MLE-bench's protocol), comparisons,
MLE-bench run groups read beside medalist's, and the HTML report.

Names are imported lazily, so `medalist --help` does not load jinja2 or the task registry.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "AgentSplitAggregate": "models",
    "Comparison": "models",
    "Estimate": "models",
    "RunMetrics": "models",
    "RunView": "models",
    "TaskInfo": "models",
    "TASKS_RUN": "aggregate",
    "compare": "aggregate",
    "run_metrics": "aggregate",
    "PROTOCOL": "protocol",
    "SeedPlan": "protocol",
    "build_seeds": "protocol",
    "LoadedGroup": "load",
    "load_group": "load",
    "load_groups": "load",
    "load_mlebench_group": "mlebench_runs",
    "build_comparison": "build",
    "render_report": "html",
    "write_report": "html",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'medalist.report' has no attribute {name!r}")
    return getattr(importlib.import_module(f"medalist.report.{_EXPORTS[name]}"), name)
