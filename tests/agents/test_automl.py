"""automl: valid submissions that beat the sample submission, in the sandbox, within the time limit."""

from __future__ import annotations

import json

import pytest

from medalist.runner import read_record


@pytest.mark.slow
def test_automl_beats_sample_on_builtin_tasks(run_group) -> None:
    tasks = ["penguins-species", "breast-cancer-diagnosis"]
    auto_group, auto = run_group("automl", tasks, time_limit=120)
    _, sample = run_group("sample", tasks, time_limit=30)
    assert auto is not None and sample is not None
    by_task = {r.competition_id: r for r in sample.competition_reports}
    for rep in auto.competition_reports:
        base = by_task[rep.competition_id]
        assert rep.valid_submission, rep.error
        better = rep.score < base.score if rep.is_lower_better else rep.score > base.score
        assert better, (rep.competition_id, rep.score, base.score)
    for entry in auto_group.meta.runs:
        run_dir = auto_group.run_dir(entry)
        record = read_record(run_dir)
        assert record is not None and record.status == "completed"
        assert record.seconds is not None and record.seconds < 120
        assert (run_dir / "workspace/code/automl.py").is_file()  # it saves its code
        summary = json.loads((run_dir / "workspace/logs/automl_summary.json").read_text())
        assert all(cv["folds"] >= 2 for cv in summary["cv"].values())
        assert "valid submission format" in (run_dir / "workspace/logs/automl.log").read_text()
