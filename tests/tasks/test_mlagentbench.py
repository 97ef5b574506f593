"""MLAgentBench interop: fixture task folders in MLAgentBench's layout, prepared, baselined and graded."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from medalist.errors import ConfigError, MedalistError
from medalist.grading import grade_submission
from medalist.tasks import TaskRegistry, prepare_task, verify_task
from medalist.tasks.baseline import improvement, read_baseline
from medalist.tasks.mlagentbench import load_benchmarks

PREPARE = """\
import numpy as np
import pandas as pd

input("Consent to the data terms; press enter")  # MLAgentBench prepare scripts pause like this
rng = np.random.default_rng(0)
x = rng.normal(size=200)
df = pd.DataFrame({"id": range(200), "x": x, "target": 3 * x + 10 + rng.normal(scale=0.1, size=200)})
df.iloc[:150].to_csv("../env/train.csv", index=False)
df.iloc[150:][["id", "x"]].to_csv("../env/test.csv", index=False)
df.iloc[150:][["id", "target"]].to_csv("answer.csv", index=False)
"""

EVAL = """\
import os
import sys

import pandas as pd

sys.path.append("../env")


def get_score(submission_folder="../env"):
    submission = pd.read_csv(os.path.join(submission_folder, "submission.csv"))
    answers = pd.read_csv(os.path.join(os.path.dirname(__file__), "answer.csv"))
    merged = answers.merge(submission, on="id", suffixes=("", "_pred"))
    if len(merged) != len(answers):
        raise ValueError("submission ids do not match the test ids")
    return float((merged["target"] - merged["target_pred"]).abs().mean())


if __name__ == "__main__":
    print(get_score())
"""

TRAIN = """\
import pandas as pd

train = pd.read_csv("train.csv")
test = pd.read_csv("test.csv")
# starter: predict the training mean (the agent should do better)
pd.DataFrame({"id": test["id"], "target": train["target"].mean()}).to_csv("submission.csv", index=False)
"""


def make_task(
    bench: Path, name: str, *, train: str = TRAIN, prepare: str = PREPARE, overrides: str | None = None
) -> Path:
    task = bench / name
    (task / "env").mkdir(parents=True)
    (task / "scripts").mkdir()
    (task / "env" / "train.py").write_text(train)
    pd.DataFrame({"id": range(150, 200), "target": 0.0}).to_csv(task / "env" / "sample_submission.csv", index=False)
    (task / "scripts" / "prepare.py").write_text(prepare)
    (task / "scripts" / "eval.py").write_text(EVAL)
    (task / "scripts" / "research_problem.txt").write_text(
        "Go through train.py and improve the model's mean absolute error on test.csv; "
        "save per-id predictions to submission.csv.\n"
    )
    (task / "scripts" / "read_only_files.txt").write_text("./train.csv\n./test.csv\n")
    if overrides is not None:
        (task / "medalist.yaml").write_text(overrides)
    return task


@pytest.fixture()
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDALIST_DATA_DIR", str(tmp_path / "cache"))
    root = tmp_path / "MLAgentBench" / "benchmarks"
    make_task(root, "toy-mae", overrides="is_lower_better: true\nbaseline_timeout_secs: 120\n")
    (root / "unscored-task" / "env").mkdir(parents=True)  # no scripts/eval.py: skipped
    return root


def test_benchmarks_folder_loads_tasks(bench: Path) -> None:
    specs, splits = load_benchmarks(bench)
    assert [s.id for s in specs] == ["toy-mae"] and splits == {"mlagentbench": ["toy-mae"]}
    spec = specs[0]
    assert spec.is_lower_better and spec.grader and spec.leaderboard is None
    assert spec.sample_submission == "sample_submission.csv"
    assert spec.description_path.name == "research_problem.txt"
    # the repository root works too
    assert [s.id for s in load_benchmarks(bench.parent.parent)[0]] == ["toy-mae"]


def test_direction_defaults_and_bad_overrides(tmp_path: Path) -> None:
    make_task(tmp_path / "b", "accuracy-task")
    make_task(tmp_path / "b", "house-price")
    by_id = {s.id: s for s in load_benchmarks(tmp_path / "b")[0]}
    assert by_id["accuracy-task"].is_lower_better is False  # MLAgentBench default: higher is better
    assert by_id["house-price"].is_lower_better is True  # known error metric (MAE)
    make_task(tmp_path / "c", "typo", overrides="lower_is_beter: true\n")
    with pytest.raises(ConfigError, match="medalist.yaml: field 'lower_is_beter'"):
        load_benchmarks(tmp_path / "c")
    with pytest.raises(ConfigError, match="not an MLAgentBench benchmarks folder"):
        load_benchmarks(tmp_path / "nothing-here")


def test_prepare_publishes_env_keeps_scripts_private_and_measures_baseline(bench: Path) -> None:
    reg = TaskRegistry(roots=[], mlagentbench_dirs=[bench])
    spec = reg.get("toy-mae")
    pt = prepare_task(spec)
    assert verify_task(pt) == []
    m = pt.manifest()
    assert {"train.py", "train.csv", "test.csv", "sample_submission.csv", "description.md"} <= set(m.public)
    assert "answer.csv" not in " ".join(m.public) and "scripts/answer.csv" in m.private
    assert "baseline.json" in m.private
    # the task folder itself is untouched (prepare ran in a copy)
    assert not (bench / "toy-mae" / "env" / "train.csv").exists()
    assert not (bench / "toy-mae" / "scripts" / "answer.csv").exists()

    base = read_baseline(pt.private)
    assert base is not None and base.error is None and base.score is not None
    assert 2.0 < base.score < 3.5  # MAE of predicting the mean of 3x + 10 with x ~ N(0, 1)

    # a perfect submission: MAE 0, 100% improvement, success
    perfect = pt.root / "perfect.csv"
    pd.read_csv(pt.private / "scripts" / "answer.csv").to_csv(perfect, index=False)
    rep = grade_submission(perfect, spec, pt)
    assert rep.valid_submission and rep.score == pytest.approx(0.0, abs=1e-12)
    assert rep.baseline_score == base.score and rep.improvement == pytest.approx(1.0) and rep.success is True
    assert rep.is_lower_better and rep.gold_threshold is None  # no leaderboard

    # 5% better than the starter: an improvement, but not MLAgentBench's > 10% success
    sub = pd.read_csv(pt.private / "scripts" / "answer.csv")
    sub["target"] = sub["target"] + 0.95 * base.score
    slightly = pt.root / "slightly.csv"
    sub.to_csv(slightly, index=False)
    rep = grade_submission(slightly, spec, pt)
    assert rep.improvement == pytest.approx(0.05, abs=1e-6) and rep.success is False

    # the sample submission (all zeros) is much worse than the starter
    rep = grade_submission(pt.sample_submission_path, spec, pt)
    assert rep.valid_submission and rep.improvement < 0 and rep.success is False


def test_eval_failure_is_an_invalid_submission(bench: Path) -> None:
    reg = TaskRegistry(roots=[], mlagentbench_dirs=[bench])
    spec = reg.get("toy-mae")
    pt = prepare_task(spec)
    bad = pt.root / "bad.csv"
    pd.DataFrame({"id": [1, 2], "target": [0.0, 0.0]}).to_csv(bad, index=False)
    rep = grade_submission(bad, spec, pt)
    assert not rep.valid_submission and rep.score is None
    assert rep.error == "eval.py get_score failed: ValueError: submission ids do not match the test ids"
    assert rep.success is False and rep.baseline_score is not None


def test_starter_failures_are_recorded_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALIST_DATA_DIR", str(tmp_path / "cache"))
    bench = tmp_path / "benchmarks"
    make_task(bench, "slow-starter", train="import time\ntime.sleep(30)\n", overrides="baseline_timeout_secs: 1\n")
    make_task(bench, "broken-starter", train="print(train_mae)\n")
    reg = TaskRegistry(roots=[], mlagentbench_dirs=[bench])
    slow = read_baseline(prepare_task(reg.get("slow-starter")).private)
    assert slow is not None and slow.score is None and slow.error == "train.py timed out after 1s"
    broken = read_baseline(prepare_task(reg.get("broken-starter")).private)
    assert broken is not None and broken.error == (
        "train.py exited with code 1: NameError: name 'train_mae' is not defined"
    )
    pt = prepare_task(reg.get("broken-starter"))
    rep = grade_submission(pt.sample_submission_path, reg.get("broken-starter"), pt)
    assert rep.valid_submission and rep.baseline_score is None and rep.improvement is None and rep.success is None


def test_failing_prepare_script_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALIST_DATA_DIR", str(tmp_path / "cache"))
    make_task(tmp_path / "b", "no-data", prepare="raise FileNotFoundError('kaggle download missing')\n")
    reg = TaskRegistry(roots=[], mlagentbench_dirs=[tmp_path / "b"])
    with pytest.raises(MedalistError, match=r"scripts/prepare.py failed \(exit code 1\): FileNotFoundError: kaggle"):
        prepare_task(reg.get("no-data"))


def test_improvement_direction() -> None:
    assert improvement(1.1, 1.0, is_lower_better=False) == pytest.approx(0.1)
    assert improvement(0.8, 1.0, is_lower_better=True) == pytest.approx(0.2)
    assert improvement(-0.9, -1.0, is_lower_better=False) == pytest.approx(0.1)
    assert improvement(1.0, 0.0, is_lower_better=False) is None


def test_report_fields_serialise(bench: Path) -> None:
    reg = TaskRegistry(roots=[], mlagentbench_dirs=[bench])
    spec = reg.get("toy-mae")
    pt = prepare_task(spec)
    data = json.loads(grade_submission(pt.sample_submission_path, spec, pt).model_dump_json())
    assert {"baseline_score", "improvement", "success"} <= set(data)


def test_dummy_agent_end_to_end(bench: Path) -> None:
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    from run_helpers import skip_without_bwrap

    skip_without_bwrap()
    reg = TaskRegistry(roots=[], mlagentbench_dirs=[bench])
    spec = reg.get("toy-mae")
    pt = prepare_task(spec)
    expected = grade_submission(pt.sample_submission_path, spec, pt)
    runs = Path(tempfile.mkdtemp(prefix="medalist-interop-runs-", dir="/tmp"))
    os.chmod(runs, 0o755)
    try:
        out = subprocess.run(
            [
                str(Path(sys.executable).parent / "medalist"),
                "--mlagentbench-dir",
                str(bench),
                "run",
                "--agent",
                "dummy",
                "--tasks",
                "toy-mae",
                "--runs-dir",
                str(runs),
                "--sandbox",
                "bwrap",
                "--time-limit",
                "120",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "COLUMNS": "200"},
        )
        (group,) = [p for p in runs.iterdir() if p.is_dir()]
        run = json.loads((group / "toy-mae_s0" / "run.json").read_text())
        assert out.returncode == 0 and run["status"] == "completed", out.stdout + out.stderr + str(run.get("error"))
        rep = json.loads((group / "grading_summary.json").read_text())["competition_reports"][0]
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    assert rep["valid_submission"] and rep["score"] == pytest.approx(expected.score)
    assert rep["baseline_score"] == expected.baseline_score and rep["success"] is False and rep["is_lower_better"]
