"""The Executor interface: run many RunSpecs somewhere, report each result as it finishes.

An executor only moves plain data: it calls :func:`medalist.runner.execute.execute_run` (or the
JSON-level :func:`~medalist.runner.execute.run_worker`) on each spec, wherever its workers live, and
hands every resulting :class:`RunRecord` back to ``on_done`` in the calling process. Execution is
idempotent per run dir, so an executor may retry a run safely. To add one (e.g. ``dask.py``):
implement ``map_runs`` and register a factory with :func:`medalist.runner.executors.register_executor`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from medalist.runner.models import RunRecord, RunSpec

OnDone = Callable[[RunRecord], None]
OnTick = Callable[[], object]  # its result is ignored


class Executor(Protocol):
    """Runs specs concurrently; ``map_runs`` blocks until every spec has a result."""

    name: str
    workers: int

    def map_runs(self, specs: Sequence[RunSpec], on_done: OnDone, on_tick: OnTick | None = None) -> None:
        """Execute every spec once; call ``on_done`` (in this process, one at a time) as each finishes
        and ``on_tick`` about twice a second while waiting. A spec whose worker crashed is reported as
        an ``error`` record, never raised."""
        ...

    def close(self) -> None:
        """Stop workers and release resources (runs still executing are abandoned)."""
        ...


ExecutorFactory = Callable[..., Executor]
"""Called as ``factory(workers, **options)`` (options: executor-specific, e.g. dask's ``scheduler``)."""
