"""A harness killed outright (SIGKILL, a lost node) cannot clean up: the next one sweeps what it left.

Without the sweep every killed `medalist run` leaves its sandbox's /etc copy, its empty mask folder
and one empty cgroup per hierarchy for each run it had going, for good.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from medalist.sandbox.cgroups import PARENT_NAME, RUN_PREFIX
from run_helpers import MEDALIST, medalist_cli  # type: ignore[import-not-found]

CGROUP_ROOT = Path("/sys/fs/cgroup")


def run_cgroups() -> set[Path]:
    return {p for p in CGROUP_ROOT.glob(f"*/{PARENT_NAME}/{RUN_PREFIX}*") if p.is_dir()} | {
        p for p in CGROUP_ROOT.glob(f"{PARENT_NAME}/{RUN_PREFIX}*") if p.is_dir()
    }


def leftovers(tmp: Path) -> set[Path]:
    return {p for p in tmp.iterdir() if p.name.startswith("medalist-sandbox-")}


@pytest.mark.sandbox
@pytest.mark.slow
def test_what_a_killed_harness_leaves_is_swept_by_the_next_run(require_bwrap: str, runs_dir: Path) -> None:
    tmp = runs_dir / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "COLUMNS": "200"}
    agents = runs_dir / "agents.yaml"
    agents.write_text("agents:\n  - id: sleeper\n    command: [/bin/sleep, '300']\n")
    before = run_cgroups()
    harness = subprocess.Popen(
        [MEDALIST, "run", "--agent", "sleeper", "--agents-file", str(agents), "--tasks", "penguins-species",
         "--runs-dir", str(runs_dir / "r1"), "--sandbox", "bwrap"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not (run_cgroups() - before) and time.monotonic() < deadline:
            assert harness.poll() is None, "the harness ended before its run started"
            time.sleep(0.5)
        left_cgroups = run_cgroups() - before
        assert left_cgroups, "the run's cgroup never appeared"
    finally:
        os.killpg(harness.pid, signal.SIGKILL)  # the harness and its worker: no cleanup code runs
        harness.wait()
    time.sleep(2)  # bwrap --die-with-parent takes the sleeping agent down with the worker
    left_tmp = leftovers(tmp)
    assert left_tmp and all(p.exists() for p in left_cgroups)  # control: the kill did leave them

    proc = medalist_cli(
        "run", "--agent", "sample", "--tasks", "penguins-species", "--runs-dir", str(runs_dir / "r2"),
        "--sandbox", "bwrap", env={"TMPDIR": str(tmp)}, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert not any(p.exists() for p in left_tmp), sorted(p for p in left_tmp if p.exists())
    assert not any(p.exists() for p in left_cgroups), sorted(p for p in left_cgroups if p.exists())
    assert not leftovers(tmp)  # and the second harness removed its own at exit
