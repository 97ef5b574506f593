"""The agent's own report (``/home/logs/agent_report.json``) is copied into run.json, defensively."""

from __future__ import annotations

import json
from pathlib import Path

from medalist.runner.execute import AGENT_REPORT_MAX_BYTES, read_agent_report


def test_a_well_formed_report_is_read(tmp_path: Path) -> None:
    (tmp_path / "agent_report.json").write_text(
        json.dumps({"outcome": "sample_submission", "reason": "images", "n": 3})
    )
    report = read_agent_report(tmp_path)
    assert report is not None and report.outcome == "sample_submission" and report.reason == "images"
    assert report.model_dump()["n"] == 3


def test_missing_malformed_oversized_or_linked_reports_are_ignored(tmp_path: Path) -> None:
    assert read_agent_report(tmp_path) is None
    path = tmp_path / "agent_report.json"
    for text in ("{not json", json.dumps({"reason": "no outcome"}), json.dumps({"outcome": "x" * 101}), "[1, 2]"):
        path.write_text(text)
        assert read_agent_report(tmp_path) is None, text
    path.write_text(json.dumps({"outcome": "model", "reason": "x" * AGENT_REPORT_MAX_BYTES}))
    assert read_agent_report(tmp_path) is None
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"outcome": "host file"}))
    path.unlink()
    path.symlink_to(secret)
    assert read_agent_report(tmp_path) is None
