"""`medalist run` from the command line: one-line user errors, limits, timeouts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from medalist.runner import GroupMetadata, read_record
from run_helpers import medalist_cli, only_group  # type: ignore[import-not-found]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "name an agent and tasks"),
        (["--agent", "nope", "--tasks", "quick"], "unknown agent 'nope'"),
        (["--agent", "sample", "--tasks", "no-such-task"], "unknown task 'no-such-task'"),
        (["--agent", "sample", "--tasks", "quick", "--sandbox", "docker"], "unknown sandbox backend"),
        (["--agent", "sample", "--tasks", "quick", "--executor", "ray"], "unknown executor"),
        (["--resume", "/nonexistent/group"], "not a run group"),
        (["--agent", "x", "--agents-file", "/nonexistent.yaml", "--tasks", "quick"], "agents file not found"),
    ],
)
def test_user_errors_are_one_line(args: list[str], expected: str, runs_dir: Path) -> None:
    proc = medalist_cli("run", *args, "--runs-dir", str(runs_dir / "r"), timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2  # one message (rich may wrap a long line once)


def test_timeout_is_recorded_and_graded(runs_dir: Path) -> None:
    agents = runs_dir / "agents.yaml"
    agents.write_text("agents:\n  - id: sleeper\n    command: [/bin/sleep, '60']\n")
    proc = medalist_cli(
        "run",
        "--agent",
        "sleeper",
        "--agents-file",
        str(agents),
        "--tasks",
        "penguins-species",
        "--time-limit",
        "2",
        "--runs-dir",
        str(runs_dir / "r"),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gdir = only_group(runs_dir / "r")
    meta = GroupMetadata.model_validate_json((gdir / "metadata.json").read_text())
    record = read_record(gdir / meta.runs[0].dir)
    assert record is not None and record.status == "timeout" and record.exit_reason == "timeout"
    assert record.seconds is not None and 2 <= record.seconds < 30
    assert record.grading is not None and not record.grading.submission_exists and not record.grading.valid_submission
    assert meta.limits.time_limit_secs == 2 and record.limits is not None and record.limits.time_limit_secs == 2
    assert os.path.isfile(gdir / "grading_summary.json")


def test_runs_dir_unreachable_by_sandbox_user(require_bwrap: str, tmp_path: Path) -> None:
    private = tmp_path / "private-runs"  # pytest's tmp_path lives under a root-only folder
    proc = medalist_cli(
        "run", "--agent", "sample", "--tasks", "quick", "--sandbox", "bwrap", "--runs-dir", str(private)
    )
    assert proc.returncode == 2 and "not reachable by the sandbox user" in proc.stderr
