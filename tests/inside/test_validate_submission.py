"""``validate_submission`` for tasks with their own grader (MLE-bench): the sample's columns and ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medalist.inside.validate import main


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "sample_submission.csv").write_text(
        "PassengerId,Transported\n0001_01,False\n0002_01,False\n0003_01,False\n"
    )
    spec = {
        "id": "spaceship-titanic",
        "name": "x",
        "task_type": "other",
        "metric": "accuracy",
        "grader": "medalist.tasks.mlebench:grade_competition",
        "is_lower_better": False,
        "id_column": "PassengerId",
        "target_columns": ["Transported"],
        "answers": "test.csv",
    }
    info = {"id_column": "PassengerId", "target_columns": ["Transported"], "column_roles": "inferred", "spec": spec}
    (tmp_path / "task.json").write_text(json.dumps(info))
    monkeypatch.setenv("MEDALIST_TASK_INFO", str(tmp_path / "task.json"))
    monkeypatch.setenv("MEDALIST_MOUNT_HOME_DATA", str(data))
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PassengerId,Transported\n0003_01,True\n0001_01,False\n0002_01,True\n", "valid submission format"),
        (
            "PassengerId,Prediction\n0001_01,True\n0002_01,True\n0003_01,True\n",
            "invalid submission: columns differ from the sample submission's; missing: Transported; unexpected: Prediction",
        ),
        (
            "PassengerId,Transported\n0001_01,True\n0002_01,True\n",
            "invalid submission: ids differ from the sample submission's: 1 missing, 0 unexpected",
        ),
        (
            "PassengerId,Transported\n0001_01,True\n0001_01,True\n0002_01,True\n0003_01,True\n",
            "invalid submission: 1 duplicate id(s)",
        ),
        (
            "PassengerId,Transported\n1_01,True\n0002_01,True\n0003_01,True\n",
            "invalid submission: ids differ from the sample submission's: 1 missing, 1 unexpected",
        ),
    ],
)
def test_format_check_against_the_sample(
    harness: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    sub = harness / "submission.csv"
    sub.write_text(text)
    code = main([str(sub)])
    out = capsys.readouterr().out
    assert message in out and code == (0 if message.startswith("valid") else 1), out
