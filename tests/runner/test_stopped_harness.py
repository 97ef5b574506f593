"""A harness that is asked to stop (Ctrl-C, or SIGTERM from a scheduler, `timeout` or `docker stop`) stops
its runs at once and cleanly, and the group can be finished with ``--resume``.

Before, SIGINT to the harness alone left it waiting for every running agent to end (hours for an LLM
agent), and SIGTERM killed it with no clean-up: the agents' sandboxes, cgroups and temp folders stayed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from run_helpers import MEDALIST, dead_harness_cgroups, medalist_cli, run_cgroups  # type: ignore[import-not-found]


def agent_processes(token: str) -> list[int]:
    """Pids whose command line holds ``token`` (the sleeper agent's unique argument)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and token in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell's background job would otherwise ignore it


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "Ctrl-C"])
def test_a_stopped_harness_stops_its_runs_cleanly_and_the_group_resumes(
    how: str, require_bwrap: str, runs_dir: Path
) -> None:
    tmp = runs_dir / "tmp"
    tmp.mkdir()
    token = f"{random.uniform(290, 299):.6f}"  # sleep's argument, unique to this test's agent
    agents = runs_dir / "agents.yaml"
    agents.write_text(f"agents:\n  - id: sleeper\n    command: [/bin/sleep, '{token}']\n")
    before = run_cgroups()
    harness = subprocess.Popen(
        [MEDALIST, "run", "--agent", "sleeper", "--agents-file", str(agents), "--tasks", "penguins-species",
         "--runs-dir", str(runs_dir / "runs"), "--sandbox", "bwrap", "--time-limit", "20"],
        env={**os.environ, "TMPDIR": str(tmp), "COLUMNS": "300"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=_default_sigint,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not agent_processes(token):
            assert harness.poll() is None and time.monotonic() < deadline, "the agent never started"
            time.sleep(0.2)
        if how == "Ctrl-C":
            os.killpg(harness.pid, signal.SIGINT)  # a terminal signals the whole foreground group
        else:
            os.kill(harness.pid, getattr(signal, how))  # the harness alone
        out, err = harness.communicate(timeout=60)  # well before the agent's own end (20 s limit, not reached)
    finally:
        if harness.poll() is None:
            os.killpg(harness.pid, signal.SIGKILL)
            harness.wait()
    assert harness.returncode == 130, (harness.returncode, err[-2000:])
    group = next((runs_dir / "runs").iterdir())
    assert f"--resume {group}" in " ".join(err.split()), err[-2000:]
    assert not agent_processes(token), "the agent outlived the stopped harness"
    assert not list(tmp.iterdir()), sorted(tmp.iterdir())  # the sandbox's /etc copy and mask folder
    assert not dead_harness_cgroups(run_cgroups() - before)  # the worker's run cgroups
    run_json = json.loads(next(group.glob("*/run.json")).read_text())
    assert run_json["status"] == "running"  # not finished: --resume redoes it

    if how == "SIGTERM":  # once is enough to show the group can be finished
        resumed = medalist_cli("run", "--resume", str(group), env={"TMPDIR": str(tmp)}, timeout=300)
        assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
        run_json = json.loads(next(group.glob("*/run.json")).read_text())
        assert run_json["status"] != "running" and run_json["exit_reason"] == "timeout", run_json


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_agent_starts_with_default_signal_handling(require_bwrap: str, runs_dir: Path) -> None:
    """The workers' own Ctrl-C/SIGTERM handling must not reach the agent: an ignored signal would be
    inherited through exec (an agent that ignores SIGINT cannot interrupt its own scripts)."""
    agents = runs_dir / "agents.yaml"
    agents.write_text("agents:\n  - id: sigs\n    command: [/bin/grep, SigIgn, /proc/self/status]\n")
    proc = medalist_cli(
        "run", "--agent", "sigs", "--agents-file", str(agents), "--tasks", "penguins-species",
        "--runs-dir", str(runs_dir), "--sandbox", "bwrap", "--no-grade", timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (log,) = runs_dir.glob("*/*/agent_stdout.log")
    ignored = int(log.read_text().split()[-1], 16)
    assert not ignored & (1 << (signal.SIGINT - 1) | 1 << (signal.SIGTERM - 1)), hex(ignored)
