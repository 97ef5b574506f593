"""The dummy agent passes every sandbox check under bwrap (identity, no private data, no network, mounts)."""

from __future__ import annotations

import json

import pytest

from medalist.runner import read_record


@pytest.mark.sandbox
def test_dummy_passes_all_checks_under_bwrap(require_bwrap: str, run_group) -> None:
    group, summary = run_group("dummy", ["penguins-species"], sandbox=require_bwrap)
    run_dir = group.run_dir(group.meta.runs[0])
    record = read_record(run_dir)
    assert record is not None
    stdout = (run_dir / "agent_stdout.log").read_text()
    assert record.status == "completed", stdout + (run_dir / "agent_stderr.log").read_text()
    assert record.sandbox == "bwrap" and record.isolated
    checks = json.loads((run_dir / "workspace/logs/dummy_checks.json").read_text())
    names = {c["check"] for c in checks["checks"]}
    assert checks["passed"] and checks["failed"] == []
    assert all(c["ok"] for c in checks["checks"])
    # The checks that matter were actually made, with real targets.
    answers = str(group.meta.data_dir) + "/penguins-species/prepared/private/answers.csv"
    assert f"private_unreadable:{answers}" in names
    assert any(n.startswith("no_host_loopback:127.0.0.1:") for n in names)
    for n in (
        "not_root",
        "data_read_only",
        "writable:/home/submission",
        "writable:/home/code",
        "writable:/home/logs",
        "no_internet:1.1.1.1:53",
        "no_dns",
        "no_answers_file_reachable",
        "validate_submission",
        "contract_env",
    ):
        assert n in names
    assert checks["identity"]["uid"] != 0
    assert "uid=" in stdout and "interpreter:" in stdout
    # Its submission is the sample, graded as valid.
    assert summary is not None and summary.competition_reports[0].valid_submission


def test_dummy_checks_fail_without_isolation(run_group) -> None:
    """Under the non-isolating process backend the dummy must notice and fail (its checks can fail)."""
    group, _ = run_group("dummy", ["penguins-species"], sandbox="process", grade=False)
    run_dir = group.run_dir(group.meta.runs[0])
    record = read_record(run_dir)
    assert record is not None and record.status == "failed" and record.exit_code == 1
    checks = json.loads((run_dir / "workspace/logs/dummy_checks.json").read_text())
    assert not checks["passed"]
    assert any(f.startswith("no_host_loopback") for f in checks["failed"])
