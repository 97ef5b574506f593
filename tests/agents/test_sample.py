"""The sample agent end to end: sandboxed run, grading embedded in run.json, summary in the group dir."""

from __future__ import annotations

import json

from medalist.grading import grade_submission
from medalist.runner import GroupMetadata, read_record
from medalist.tasks import TaskRegistry, ensure_prepared


def test_sample_agent_run_and_grading(run_group) -> None:
    group, summary = run_group("sample", ["penguins-species", "breast-cancer-diagnosis"], time_limit=30)
    assert summary is not None and summary.total_runs == len(group.meta.runs) >= 2
    reg = TaskRegistry.default()
    for entry in group.meta.runs:
        run_dir = group.run_dir(entry)
        record = read_record(run_dir)
        assert record is not None and record.status == "completed" and record.exit_code == 0
        assert record.seconds is not None and record.started_at and record.ended_at
        # The submission is byte-for-byte the sample, and its embedded report matches grading it directly.
        pt = ensure_prepared(reg.get(entry.task_id))
        sub = run_dir / "workspace/submission/submission.csv"
        assert sub.read_bytes() == pt.sample_submission_path.read_bytes()
        direct = grade_submission(sub, pt.spec, pt)
        assert record.grading is not None and record.grading.valid_submission
        assert record.grading.score == direct.score and entry.score == direct.score
        assert record.grading.run_id == entry.run_id
        assert (run_dir / "agent_stdout.log").exists()
    on_disk = json.loads((group.dir / "grading_summary.json").read_text())
    assert on_disk["total_valid_submissions"] == len(group.meta.runs)
    meta = GroupMetadata.model_validate_json((group.dir / "metadata.json").read_text())
    assert meta.graded_at and all(e.status == "completed" for e in meta.runs)
    # Harness files the agent saw: task info has no private fields; instructions name the contract.
    shared = group.dir / "_shared" / entry.task_id
    info = json.loads((shared / "harness/task.json").read_text())
    assert info["id"] == entry.task_id and "answers" not in info["spec"]
    text = (shared / "instructions.txt").read_text()
    assert "/home/submission/submission.csv" in text and "validate_submission" in text
