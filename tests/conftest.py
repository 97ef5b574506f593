"""Shared fixtures: an isolated data cache per session, dirs the sandbox user can reach, bwrap gates."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_gpus import fake_gpus  # noqa: F401  (a fixture)
from run_helpers import run_group, skip_without_bwrap  # noqa: F401  (run_group is a fixture)


@pytest.fixture(scope="session", autouse=True)
def medalist_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prepared tasks go to a session-wide temp cache (shared by tests, never the user's cache).

    ``MEDALIST_TEST_DATA_DIR`` reuses a persistent cache between local test runs.
    """
    keep = os.environ.get("MEDALIST_TEST_DATA_DIR")
    path = Path(keep) if keep else tmp_path_factory.mktemp("medalist-data")
    path.mkdir(parents=True, exist_ok=True)
    os.environ["MEDALIST_DATA_DIR"] = str(path)
    # The machine's answer-reach scan state is shared by every test, also those that move HOME (where the
    # user cache dir would otherwise point): a cold state costs a full scan of /usr and the venvs.
    from medalist.tasks.reach_state import REACH_ENV, reach_dir

    os.environ.setdefault(REACH_ENV, str(reach_dir()))
    return path


def _reachable_dir(prefix: str) -> Iterator[Path]:
    # pytest's tmp_path lives under a 0700 dir the unprivileged sandbox user cannot enter.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def box() -> Iterator[Path]:
    """A scratch dir the sandbox user can reach."""
    yield from _reachable_dir("medalist-test-")


@pytest.fixture
def runs_dir() -> Iterator[Path]:
    """A runs dir the sandbox user can reach."""
    yield from _reachable_dir("medalist-runs-")


@pytest.fixture(scope="session")
def require_bwrap() -> str:
    """The bwrap backend's name, or a skip that says why it cannot run here."""
    skip_without_bwrap()
    return "bwrap"
