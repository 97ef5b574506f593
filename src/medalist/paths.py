"""Where medalist keeps prepared data: the platform user cache, or ``MEDALIST_DATA_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """Root of the prepared-task cache (``MEDALIST_DATA_DIR`` overrides the user cache dir)."""
    env = os.environ.get("MEDALIST_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("medalist")) / "data"


MLEBENCH_DATA_ENV = "MEDALIST_MLEBENCH_DATA_DIR"


def mlebench_data_dir() -> Path | None:
    """An MLE-bench data dir (``<id>/prepared/{public,private}``, as ``mlebench prepare`` leaves it) whose
    prepared competitions medalist uses in place, read-only (``MEDALIST_MLEBENCH_DATA_DIR``); None if unset."""
    env = os.environ.get(MLEBENCH_DATA_ENV)
    return Path(env).expanduser().resolve() if env else None


TASK_SOURCE_ENVS = ("MEDALIST_TASKS_PATH", "MEDALIST_MLEBENCH_DIR", "MEDALIST_MLAGENTBENCH_DIR", MLEBENCH_DATA_ENV)
"""Environment variables that decide which tasks exist and where their data is (besides ``--tasks-dir``)."""


def task_sources() -> dict[str, str]:
    """This process's task sources (the set ones of :data:`TASK_SOURCE_ENVS`), recorded in a run group so
    every worker, on any machine with the same install, resolves the same tasks."""
    return {name: os.environ[name] for name in TASK_SOURCE_ENVS if os.environ.get(name)}


def use_task_sources(sources: dict[str, str]) -> None:
    """Make a run group's recorded task sources this process's own (a worker, or a resumed group)."""
    for name, value in sources.items():
        if name in TASK_SOURCE_ENVS:
            os.environ[name] = value
