"""Helpers shared by the tests: bwrap gates, the real CLI, run groups executed in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MEDALIST = str(Path(sys.executable).parent / "medalist")


def bwrap_skip_reason() -> str | None:
    """Why the bwrap sandbox cannot run here (None when it can): no bubblewrap, no root, or unusable."""
    from medalist.sandbox import bwrap_usable

    if shutil.which("bwrap") is None:
        return "bubblewrap not installed (bash scripts/setup.sh)"
    if os.geteuid() != 0:
        return "bwrap runs need root (to drop to the sandbox user and create cgroups)"
    reason = bwrap_usable()
    return None if reason is None else f"bwrap sandbox unusable here: {reason}"


def skip_without_bwrap() -> None:
    """Skip the calling test, saying why, where the bwrap sandbox cannot run."""
    reason = bwrap_skip_reason()
    if reason is not None:
        pytest.skip(reason)


def medalist_cli(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``medalist`` console script."""
    full_env = {**os.environ, **(env or {}), "COLUMNS": "200"}
    return subprocess.run([MEDALIST, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def only_group(runs_dir: Path) -> Path:
    groups = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert len(groups) == 1, groups
    return groups[0]


@pytest.fixture
def run_group(runs_dir: Path):  # noqa: ANN201
    """Create and execute a run group in-process (real executor, real sandbox, real grading)."""
    from medalist.agents import AgentRegistry
    from medalist.paths import data_dir
    from medalist.runner import LimitOverrides, LocalExecutor, RunGroup, execute_group
    from medalist.runner.models import ExecutorInfo
    from medalist.sandbox import get_sandbox
    from medalist.tasks import TaskRegistry

    def go(agent: str, tasks: list[str], *, seeds: int = 1, time_limit: float = 60, sandbox: str = "auto",
           agents_file: Path | None = None, workers: int = 1, grade: bool = True,
           limits: dict | None = None):  # noqa: ANN202
        specs = TaskRegistry.default().resolve(tasks)
        group = RunGroup.create(
            runs_dir, agent=AgentRegistry(agents_file).spec(agent), tasks=specs, seeds=list(range(seeds)),
            overrides=LimitOverrides(time_limit_secs=time_limit, **(limits or {})), executor=ExecutorInfo(name="local", workers=workers),
            sandbox=get_sandbox(sandbox).name, grade=grade, data_dir=str(data_dir()),
        )
        summary = execute_group(group, LocalExecutor(workers), grade=grade)
        return group, summary

    return go
