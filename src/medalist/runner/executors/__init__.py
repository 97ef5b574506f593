"""Executors: where runs execute (``local``: a process pool; ``dask``: a Dask cluster, an optional extra)."""

from __future__ import annotations

from typing import Any

from medalist.errors import MedalistError
from medalist.runner.executors.base import Executor, ExecutorFactory, OnDone, OnTick
from medalist.runner.executors.local import LocalExecutor

__all__ = ["Executor", "ExecutorFactory", "LocalExecutor", "OnDone", "OnTick", "get_executor", "register_executor"]

_REGISTERED: dict[str, ExecutorFactory] = {}


def register_executor(name: str, factory: ExecutorFactory) -> None:
    """Make a third-party executor available as ``--executor NAME`` (``factory(workers, **options)``)."""
    if name in ("local", "dask"):
        raise MedalistError(f"executor {name!r} is built in")
    _REGISTERED[name] = factory


def _dask(workers: int, **options: Any) -> Executor:
    try:  # an optional extra: imported only when asked for
        from medalist.runner.executors.dask import DaskExecutor
    except ImportError as exc:
        raise MedalistError(f"the dask executor is not available ({exc})") from None
    return DaskExecutor(workers, **options)


def get_executor(name: str, workers: int, **options: Any) -> Executor:
    """The executor ``name`` with ``workers`` concurrent runs; MedalistError for an unknown name."""
    factories: dict[str, ExecutorFactory] = {"local": LocalExecutor, "dask": _dask, **_REGISTERED}
    if name not in factories:
        raise MedalistError(f"unknown executor {name!r} (known: {', '.join(sorted(factories))})")
    return factories[name](workers, **options)
