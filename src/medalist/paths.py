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
