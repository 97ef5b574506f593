"""A harness killed outright (SIGKILL, a lost node) cannot clean up: the next one sweeps what it left.

Without the sweep every killed `medalist run` leaves its sandbox's /etc copy, its empty mask folder
and one empty cgroup per hierarchy for each run it had going, for good; and an agent it started just
before dying (before the parent-death signal took hold) runs on, orphaned, with nothing to stop it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from run_helpers import (  # type: ignore[import-not-found]
    MEDALIST,
    dead_harness_cgroups,
    kill_9_when,
    medalist_cli,
    run_cgroups,
)


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
    # kill -9 the harness once its run's cgroup exists: its worker dies with it (PDEATHSIG), no cleanup runs
    kill_9_when(harness, lambda: bool(run_cgroups() - before), "the run's cgroup appearing", timeout=180)
    time.sleep(2)  # bwrap --die-with-parent takes the sleeping agent down with the worker
    left_cgroups = dead_harness_cgroups(run_cgroups() - before)  # not other harnesses'
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


# A harness that dies right after starting its agent: the agent, in the run's cgroup, outlives it.
DYING_HARNESS = """
import os, subprocess
from medalist.fsutil import owner_tag
from medalist.sandbox.cgroups import RUN_PREFIX, CgroupLimits, RunCgroup, detect_cgroups
cgroup = RunCgroup(detect_cgroups(), f"{RUN_PREFIX}{owner_tag()}-orphan", CgroupLimits()).create()
agent = subprocess.Popen(["/bin/sleep", "300"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
cgroup.attach(agent.pid)
print(agent.pid, flush=True)
os._exit(0)
"""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.sandbox
@pytest.mark.slow
def test_an_agent_orphaned_by_a_killed_harness_is_killed_by_the_next_run(require_bwrap: str, runs_dir: Path) -> None:
    before = run_cgroups()
    made = subprocess.run([sys.executable, "-c", DYING_HARNESS], capture_output=True, text=True, check=True)
    orphan = int(made.stdout)
    left_cgroups = {p for p in run_cgroups() - before if p.name.endswith("-orphan")}
    try:
        assert alive(orphan) and left_cgroups  # control: the agent runs on in its cgroup

        proc = medalist_cli(
            "run", "--agent", "sample", "--tasks", "penguins-species", "--runs-dir", str(runs_dir),
            "--sandbox", "bwrap", timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert not alive(orphan), "the orphaned agent still runs"
        assert not any(p.exists() for p in left_cgroups), sorted(p for p in left_cgroups if p.exists())
    finally:
        if alive(orphan):
            os.kill(orphan, 9)
