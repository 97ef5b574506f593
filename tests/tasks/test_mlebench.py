"""MLE-bench interop: a fixture checkout in MLE-bench's layout, prepared and graded by medalist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medalist.errors import ConfigError, MedalistError
from medalist.grading import grade_jsonl, grade_submission
from medalist.tasks import TaskRegistry, prepare_task, task_cache, verify_task
from medalist.tasks.mlebench import load_checkout
from run_helpers import MLEBENCH_REPORT_FIELDS

MEDALIST = Path(sys.executable).parent / "medalist"

MLEBENCH_REPORT_KEYS = set(MLEBENCH_REPORT_FIELDS)

GRADE_ACCURACY = """
import pandas as pd
from mlebench.grade_helpers import InvalidSubmissionError


def grade(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    if set(submission.columns) != {"id", "label"}:
        raise InvalidSubmissionError("Submission must have exactly the columns id and label.")
    if len(submission) != len(answers):
        raise InvalidSubmissionError("Submission and answers must have the same number of rows.")
    merged = answers.merge(submission, on="id", suffixes=("_true", "_pred"))
    if len(merged) != len(answers):
        raise InvalidSubmissionError("Submission ids do not match the test ids.")
    return float((merged["label_true"] == merged["label_pred"]).mean() * 1.0000001)
"""

GRADE_RMSE = """
import numpy as np


def grade(submission, answers):
    merged = answers.merge(submission, on="id", suffixes=("_true", "_pred"))
    return float(np.sqrt(((merged["y_true"] - merged["y_pred"]) ** 2).mean()))  # KeyError on bad columns
"""

GRADE_NEEDS_PKG = """
import medalist_test_package_that_does_not_exist  # noqa: F401


def grade(submission, answers):
    return 1.0
"""

PREPARE_SPLIT = """
from pathlib import Path

import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    df = pd.read_csv(raw / "train.csv")
    train, test = df.iloc[:60], df.iloc[60:]
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns=[TARGET]).to_csv(public / "test.csv", index=False)
    sample = test[["id"]].assign(**{TARGET: SAMPLE})
    sample.to_csv(public / "sample_submission.csv", index=False)
    test[["id", TARGET]].to_csv(private / "test.csv", index=False)
"""


def _competition(root: Path, cid: str, grade: str, target: str, sample: object, leaderboard: list[float]) -> None:
    comp = root / "mlebench" / "competitions" / cid
    comp.mkdir(parents=True)
    (comp / "config.yaml").write_text(
        textwrap.dedent(f"""\
        id: {cid}
        name: Toy {cid}
        competition_type: simple
        awards_medals: true
        prizes: null
        description: mlebench/competitions/{cid}/description.md
        dataset:
          answers: {cid}/prepared/private/test.csv
          sample_submission: {cid}/prepared/public/sample_submission.csv
        grader:
          name: toy-metric
          grade_fn: mlebench.competitions.{cid}.grade:grade
        preparer: mlebench.competitions.{cid}.prepare:prepare
        """)
    )
    (comp / "description.md").write_text(f"# {cid}\n\nPredict `{target}` for each id in test.csv.\n")
    (comp / "grade.py").write_text(grade)
    (comp / "prepare.py").write_text(f"TARGET = {target!r}\nSAMPLE = {sample!r}\n" + PREPARE_SPLIT)
    pd.DataFrame({"teamId": range(len(leaderboard)), "score": leaderboard}).to_csv(
        comp / "leaderboard.csv", index=False
    )


def make_checkout(root: Path) -> Path:
    """A miniature MLE-bench checkout: helpers module, three competitions, split files."""
    pkg = root / "mlebench"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "grade_helpers.py").write_text("class InvalidSubmissionError(Exception):\n    pass\n")
    # 20 teams, best first: higher-is-better accuracies 0.95 .. 0.38.
    _competition(root, "toy-accuracy", GRADE_ACCURACY, "label", "a", [round(0.95 - 0.03 * i, 2) for i in range(20)])
    # lower-is-better errors, best first.
    _competition(root, "toy-rmse", GRADE_RMSE, "y", 0.0, [round(0.1 + 0.1 * i, 2) for i in range(10)])
    _competition(root, "toy-needs-pkg", GRADE_NEEDS_PKG, "label", "a", [1.0, 0.5])
    splits = root / "experiments" / "splits"
    splits.mkdir(parents=True)
    (splits / "low.txt").write_text("toy-accuracy\ntoy-rmse\nnot-in-this-checkout\n")
    (splits / "spaceship.txt").write_text("toy-accuracy\n")
    return root


def raw_frame(cid: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    if cid == "toy-rmse":
        return pd.DataFrame({"id": range(80), "x": x, "y": 2 * x})
    return pd.DataFrame({"id": range(80), "x": x, "label": np.where(x > 0, "a", "b")})


@pytest.fixture()
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDALIST_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kaggle/kaggle.json
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    return make_checkout(tmp_path / "mle-bench")


def place_raw(spec_id: str, reg: TaskRegistry) -> None:
    raw = task_cache(reg.get(spec_id)).raw
    raw.mkdir(parents=True, exist_ok=True)
    raw_frame(spec_id).to_csv(raw / "train.csv", index=False)


def test_checkout_loads_as_tasks_with_splits_and_directions(checkout: Path) -> None:
    specs, splits, unavailable = load_checkout(checkout)
    assert unavailable == []
    by_id = {s.id: s for s in specs}
    assert sorted(by_id) == ["toy-accuracy", "toy-needs-pkg", "toy-rmse"]
    acc = by_id["toy-accuracy"]
    assert acc.name == "Toy toy-accuracy" and acc.metric == "toy-metric" and "mlebench" in acc.tags
    assert acc.is_lower_better is False and by_id["toy-rmse"].is_lower_better is True
    assert acc.answers == "test.csv" and acc.sample_submission == "sample_submission.csv"
    assert acc.description_path.read_text().startswith("# toy-accuracy")
    assert acc.kaggle_competition == "toy-accuracy"
    # split files keep their names under a prefix; ids missing from the checkout are dropped
    assert splits == {"mlebench-low": ["toy-accuracy", "toy-rmse"], "mlebench-spaceship": ["toy-accuracy"]}
    # the package dir works as well as the repository root
    assert [s.id for s in load_checkout(checkout / "mlebench")[0]] == sorted(by_id)


def test_registry_default_reads_env_var(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALIST_MLEBENCH_DIR", str(checkout))
    reg = TaskRegistry.default()
    assert "toy-rmse" in reg.tasks and "penguins-species" in reg.tasks
    assert [s.id for s in reg.resolve(["mlebench-low"])] == ["toy-accuracy", "toy-rmse"]


def test_bad_checkout_and_bad_config_are_one_line_errors(checkout: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not an MLE-bench checkout"):
        load_checkout(tmp_path)
    cfg = checkout / "mlebench" / "competitions" / "toy-rmse" / "config.yaml"
    cfg.write_text(cfg.read_text().replace("  grade_fn: mlebench.competitions.toy-rmse.grade:grade\n", ""))
    specs, splits, unavailable = load_checkout(checkout)  # the broken one is set aside, the others load
    assert [s.id for s in specs] == ["toy-accuracy", "toy-needs-pkg"] and splits["mlebench-low"] == [
        "toy-accuracy",
        "toy-rmse",
    ]
    assert [u.id for u in unavailable] == ["toy-rmse"]
    assert re.search(r"config.yaml: field 'grader.grade_fn'", unavailable[0].problem)
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    with pytest.raises(MedalistError, match=r"task 'toy-rmse' is unavailable: .*config.yaml: field 'grader.grade_fn'"):
        reg.get("toy-rmse")
    assert [s.id for s in reg.resolve(["mlebench-low"])] == ["toy-accuracy"] and list(reg.skipped) == ["toy-rmse"]


def test_prepare_without_raw_data_says_where_to_put_it(checkout: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    spec = reg.get("toy-accuracy")
    with pytest.raises(MedalistError, match="raw data missing") as err:
        prepare_task(spec)
    assert str(task_cache(spec).raw) in str(err.value) and "kaggle.json" in str(err.value)


def test_prepare_and_grade_with_their_grader_and_leaderboard(checkout: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    spec = reg.get("toy-accuracy")
    pt = prepare_task(spec)
    assert verify_task(pt) == []
    assert {"train.csv", "test.csv", "sample_submission.csv", "description.md"} <= set(pt.manifest().public)
    assert set(pt.manifest().private) == {"test.csv"}

    answers = pd.read_csv(pt.answers_path)
    perfect = pt.root / "perfect.csv"
    answers.to_csv(perfect, index=False)
    rep = grade_submission(perfect, spec, pt)
    assert rep.valid_submission and rep.submission_exists
    assert rep.score == round(1.0000001, 5) == 1.0  # rounded to 5 decimals like MLE-bench
    # 20 teams: gold = 2nd place (0.92), silver = 4th (0.86), bronze = 8th (0.74), median 0.665
    assert (rep.gold_threshold, rep.silver_threshold, rep.bronze_threshold) == (0.92, 0.86, 0.74)
    assert rep.median_threshold == pytest.approx(0.665)
    assert rep.gold_medal and rep.any_medal and rep.above_median and not rep.is_lower_better

    sample = grade_submission(pt.sample_submission_path, spec, pt)
    assert sample.valid_submission and 0.3 < sample.score < 0.7 and not sample.any_medal

    dumped = json.loads(rep.model_dump_json())
    assert MLEBENCH_REPORT_KEYS <= set(dumped)
    datetime.fromisoformat(dumped["created_at"])


def test_their_invalid_submission_error_becomes_invalid_report(checkout: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    spec = reg.get("toy-accuracy")
    pt = prepare_task(spec)
    bad = pt.root / "bad.csv"
    pd.read_csv(pt.sample_submission_path).rename(columns={"label": "prediction"}).to_csv(bad, index=False)
    rep = grade_submission(bad, spec, pt)
    assert not rep.valid_submission and rep.score is None and rep.submission_exists
    assert rep.error == "Submission must have exactly the columns id and label."
    assert rep.gold_threshold == 0.92  # thresholds are still reported, as MLE-bench does

    missing = grade_submission(pt.root / "nope.csv", spec, pt)
    assert not missing.submission_exists and not missing.valid_submission and "does not exist" in missing.error
    not_csv = pt.root / "sub.txt"
    not_csv.write_text("id,label\n")
    assert "must be a .csv" in grade_submission(not_csv, spec, pt).error


def test_lower_is_better_competition_and_grader_crash(checkout: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-rmse", reg)
    spec = reg.get("toy-rmse")
    pt = prepare_task(spec)
    sub = pd.read_csv(pt.answers_path)
    sub["y"] = sub["y"] + 0.25
    path = pt.root / "close.csv"
    sub.to_csv(path, index=False)
    rep = grade_submission(path, spec, pt)
    # 10 teams 0.1 .. 1.0 (lower better): gold = 1st (0.1), silver = 2nd (0.2), bronze = 4th (0.4)
    assert rep.is_lower_better and rep.score == pytest.approx(0.25)
    assert rep.bronze_medal and not rep.silver_medal and rep.above_median
    sub.rename(columns={"y": "wrong"}).to_csv(path, index=False)
    crashed = grade_submission(path, spec, pt)
    assert not crashed.valid_submission and "grader" in crashed.error and "KeyError" in crashed.error


def test_missing_dependency_of_their_code_is_a_clear_error(checkout: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-needs-pkg", reg)
    spec = reg.get("toy-needs-pkg")
    pt = prepare_task(spec)
    with pytest.raises(MedalistError, match="medalist_test_package_that_does_not_exist") as err:
        grade_submission(pt.sample_submission_path, spec, pt)
    assert f"pip install -e {checkout.resolve()}" in str(err.value)


def test_a_second_checkout_in_the_same_process_uses_its_own_code(checkout: Path, tmp_path: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    pt = prepare_task(reg.get("toy-accuracy"))
    assert grade_submission(pt.sample_submission_path, reg.get("toy-accuracy"), pt).valid_submission

    other = make_checkout(tmp_path / "other-checkout")
    grade_py = other / "mlebench" / "competitions" / "toy-accuracy" / "grade.py"
    grade_py.write_text("def grade(submission, answers):\n    return 0.123456789\n")
    reg2 = TaskRegistry(roots=[], mlebench_dirs=[other])
    rep = grade_submission(pt.sample_submission_path, reg2.get("toy-accuracy"), pt)
    assert rep.score == 0.12346


def test_grade_jsonl_with_competition_id_lines(checkout: Path, tmp_path: Path) -> None:
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    pt = prepare_task(reg.get("toy-accuracy"))
    answers = tmp_path / "answers_copy.csv"
    pd.read_csv(pt.answers_path).to_csv(answers, index=False)
    jsonl = tmp_path / "submissions.jsonl"
    jsonl.write_text(
        json.dumps({"competition_id": "toy-accuracy", "submission_path": str(answers)})
        + "\n"
        + json.dumps({"competition_id": "toy-accuracy", "submission_path": "missing.csv"})
        + "\n"
    )
    summary = grade_jsonl(jsonl, tmp_path / "out", reg)
    assert summary.total_runs == 2 and summary.total_valid_submissions == 1 and summary.total_gold_medals == 1
    written = sorted((tmp_path / "out" / "reports").glob("*.json"))
    assert len(written) == 2 and MLEBENCH_REPORT_KEYS <= set(json.loads(written[0].read_text()))


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MEDALIST), *args], capture_output=True, text=True, env=env, timeout=120)


def test_cli_global_option_and_env_var(checkout: Path, tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    listed = _cli("--mlebench-dir", str(checkout), "tasks", "list", "--split", "mlebench-low", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "toy-accuracy" in listed.stdout and "toy-rmse" in listed.stdout

    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    prepared = _cli("prepare", "toy-accuracy", env={**env, "MEDALIST_MLEBENCH_DIR": str(checkout)})
    assert prepared.returncode == 0, prepared.stderr
    sample = task_cache(reg.get("toy-accuracy")).public / "sample_submission.csv"
    graded = _cli("--mlebench-dir", str(checkout), "grade-sample", str(sample), "toy-accuracy", "--json", env=env)
    assert graded.returncode == 0, graded.stderr
    assert json.loads(graded.stdout)["competition_id"] == "toy-accuracy"

    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text(json.dumps({"competition_id": "toy-accuracy", "submission_path": str(sample)}) + "\n")
    out = _cli(
        "--mlebench-dir",
        str(checkout),
        "grade",
        "--submission",
        str(jsonl),
        "--output-dir",
        str(tmp_path / "graded"),
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert len(list((tmp_path / "graded").glob("*_grading_report.json"))) == 1

    unknown = _cli("grade-sample", str(sample), "toy-accuracy", env=env)
    assert unknown.returncode == 2 and "unknown task 'toy-accuracy'" in unknown.stderr


def bwrap_or_skip() -> None:
    from run_helpers import skip_without_bwrap

    skip_without_bwrap()


def run_dummy(flag: str, folder: Path, task_id: str) -> tuple[dict, dict]:
    """``medalist <flag> <folder> run --agent dummy --tasks <task_id>``; the run record and its report."""
    import shutil
    import tempfile

    runs = Path(tempfile.mkdtemp(prefix="medalist-interop-runs-", dir="/tmp"))
    os.chmod(runs, 0o755)
    try:
        out = _cli(
            flag,
            str(folder),
            "run",
            "--agent",
            "dummy",
            "--tasks",
            task_id,
            "--runs-dir",
            str(runs),
            "--sandbox",
            "bwrap",
            "--time-limit",
            "120",
            env={**os.environ, "COLUMNS": "200"},
        )
        groups = [p for p in runs.iterdir() if p.is_dir()]
        assert len(groups) == 1, out.stdout + out.stderr
        run = json.loads((groups[0] / f"{task_id}_s0" / "run.json").read_text())
        summary = json.loads((groups[0] / "grading_summary.json").read_text())
        assert out.returncode == 0, out.stdout + out.stderr + json.dumps(run.get("error"))
        return run, summary["competition_reports"][0]
    finally:
        shutil.rmtree(runs, ignore_errors=True)


def test_dummy_agent_end_to_end(checkout: Path) -> None:
    bwrap_or_skip()
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    pt = prepare_task(reg.get("toy-accuracy"))
    expected = grade_submission(pt.sample_submission_path, reg.get("toy-accuracy"), pt).score
    run, rep = run_dummy("--mlebench-dir", checkout, "toy-accuracy")
    assert run["status"] == "completed", run
    assert rep["competition_id"] == "toy-accuracy" and rep["valid_submission"] and rep["score"] == expected
    assert rep["gold_threshold"] == 0.92 and MLEBENCH_REPORT_KEYS <= set(rep)
