"""Helpers shared by the tests: bwrap gates, the real CLI, run groups executed in-process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# MLE-bench's per-competition report fields (mlebench/grade_helpers.py CompetitionReport.to_dict()), in order.
MLEBENCH_REPORT_FIELDS = (
    "competition_id",
    "score",
    "gold_threshold",
    "silver_threshold",
    "bronze_threshold",
    "median_threshold",
    "any_medal",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "submission_exists",
    "valid_submission",
    "is_lower_better",
    "created_at",
    "submission_path",
)

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


def medalist_cli(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real ``medalist`` console script."""
    full_env = {**os.environ, **(env or {}), "COLUMNS": "200"}
    return subprocess.run([MEDALIST, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def only_group(runs_dir: Path) -> Path:
    groups = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert len(groups) == 1, groups
    return groups[0]


@pytest.fixture
def run_group(runs_dir: Path):
    """Run an experiment through the Python API (real executor, real sandbox, real grading)."""
    import medalist
    from medalist.runner.config import ExperimentLimits

    def go(
        agent: str,
        tasks: list[str],
        *,
        seeds: int = 1,
        time_limit: float = 60,
        sandbox: str = "auto",
        agents_file: Path | None = None,
        workers: int = 1,
        grade: bool = True,
        limits: dict | None = None,
    ):
        config = medalist.ExperimentConfig(
            agent=agent,
            tasks=tasks,
            seeds=seeds,
            sandbox=sandbox,
            agents_file=agents_file,
            workers=workers,
            grade=grade,
            runs_dir=runs_dir,
            limits=ExperimentLimits(time_limit_secs=time_limit, **(limits or {})),
        )
        result = medalist.run(config)
        return result.group, result.summary

    return go


def write_shell_agent(root: Path, agent_id: str, script: str) -> Path:
    """An agents YAML (returned) with one command agent ``agent_id`` that runs the sh ``script``, bound
    from ``root/<agent_id>_agent`` at /opt/agent."""
    code = root / f"{agent_id}_agent"
    code.mkdir(exist_ok=True)
    (code / "agent.sh").write_text(script)
    os.chmod(code, 0o755)
    os.chmod(code / "agent.sh", 0o755)
    path = root / "agents.yaml"
    path.write_text(
        f"agents:\n  - id: {agent_id}\n    command: [/bin/sh, /opt/agent/agent.sh]\n"
        f"    mounts: [{{source: {code.name}, target: /opt/agent}}]\n"
    )
    return path


def kill_9_when(proc: subprocess.Popen, ready: Callable[[], bool], what: str, timeout: float = 120) -> None:  # type: ignore[type-arg]
    """Poll ``ready`` until it holds, then ``kill -9`` ``proc``; fail saying ``what`` never happened."""
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} never happened")
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


CGROUP_ROOT = Path("/sys/fs/cgroup")


def run_cgroups() -> set[Path]:
    """Every run cgroup on this machine, in every hierarchy (v1 controllers and the unified one)."""
    from medalist.sandbox.cgroups import PARENT_NAME, RUN_PREFIX

    return {p for p in CGROUP_ROOT.glob(f"*/{PARENT_NAME}/{RUN_PREFIX}*") if p.is_dir()} | {
        p for p in CGROUP_ROOT.glob(f"{PARENT_NAME}/{RUN_PREFIX}*") if p.is_dir()
    }


def dead_harness_cgroups(cgroups: set[Path]) -> set[Path]:
    """Those of ``cgroups`` whose maker is dead (leftovers; other live harnesses' runs are not)."""
    from medalist.fsutil import dead_owner
    from medalist.sandbox.cgroups import RUN_PREFIX

    return {p for p in cgroups if dead_owner(p.name, RUN_PREFIX)}
