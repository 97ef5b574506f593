"""Reports, the submissions JSONL, and the summary that ``medalist grade`` writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from medalist.errors import ConfigError, TaskNotFoundError
from medalist.grading import CompetitionReport, GradingSummary, grade_jsonl, grade_submission, read_submission_jsonl
from medalist.tasks import TaskRegistry
from run_helpers import MLEBENCH_REPORT_FIELDS

MLEBENCH_FIELDS = set(MLEBENCH_REPORT_FIELDS)
# The keys of MLE-bench's summary (mlebench/grade.py aggregate_reports).
MLEBENCH_SUMMARY_KEYS = (
    "total_runs",
    "total_runs_with_submissions",
    "total_valid_submissions",
    "total_medals",
    "total_gold_medals",
    "total_silver_medals",
    "total_bronze_medals",
    "total_above_median",
    "competition_reports",
)
ANSWERS = "id,target\na,1\nb,0\nc,1\nd,0\ne,1\n"
LEADERBOARD = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]  # gold 1.0, silver 0.9, bronze 0.7, median 0.55
PERFECT = "id,target\na,0.9\nb,0.1\nc,0.8\nd,0.2\ne,0.7\n"  # AUC 1.0 -> gold
BRONZE = "id,target\na,0.9\nb,0.2\nc,0.4\nd,0.5\ne,0.8\n"  # AUC 5/6 -> bronze
COIN = "id,target\na,0.5\nb,0.5\nc,0.5\nd,0.5\ne,0.5\n"  # AUC 0.5 -> no medal, below median


def test_report_fields_are_a_superset_of_mlebench(make_task, tmp_path):
    spec, pt = make_task(task_id="fields", metric="roc_auc", answers=ANSWERS, leaderboard=LEADERBOARD)
    sub = tmp_path / "s.csv"
    sub.write_text(PERFECT)
    rep = grade_submission(sub, spec, pt)
    dumped = json.loads(rep.model_dump_json())
    assert MLEBENCH_FIELDS <= set(dumped)
    assert dumped["competition_id"] == "fields" and dumped["score"] == 1.0
    assert dumped["gold_medal"] and dumped["any_medal"] and not dumped["silver_medal"]
    assert dumped["submission_path"] == str(sub)
    assert dumped["created_at"].endswith("+00:00")
    assert dumped["grading_seconds"] >= 0
    assert set(CompetitionReport.model_fields) >= MLEBENCH_FIELDS


@pytest.fixture
def registry(tmp_path, task_writer) -> TaskRegistry:
    root = tmp_path / "tasks"
    # ids are unique per test module: grade_jsonl prepares into the session's shared data dir
    task_writer(root / "jl-auc", task_id="jl-auc", metric="roc_auc", answers=ANSWERS, leaderboard=LEADERBOARD)
    task_writer(
        root / "jl-rmse",
        task_id="jl-rmse",
        metric="rmse",
        task_type="regression",
        answers="id,target\n1,1.0\n2,2.0\n",
        leaderboard=[0.1, 0.2, 0.3, 0.4, 0.5],
    )
    return TaskRegistry(roots=[root])


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_grade_jsonl_writes_reports_and_summary(tmp_path, registry, monkeypatch):
    subs = tmp_path / "runs"
    _write(subs / "r1" / "submission.csv", PERFECT)
    _write(subs / "r2" / "submission.csv", BRONZE)
    _write(subs / "r3" / "submission.csv", COIN)
    _write(subs / "r4" / "submission.csv", "id,target\n1,1.0\n2,2.0\n")  # rmse 0 -> gold (lower is better)
    bad = _write(tmp_path / "elsewhere" / "bad.csv", "id,target\na,2\n")
    jsonl = _write(
        subs / "submissions.jsonl",
        "\n".join(
            [
                json.dumps({"competition_id": "jl-auc", "submission_path": "r1/submission.csv"}),  # relative to the cwd
                "  # a comment, as mlebench grade allows",
                json.dumps({"task_id": "jl-auc", "submission_path": "r2/submission.csv", "run_id": "run-2", "seed": 7}),
                "",
                "// " + json.dumps({"competition_id": "jl-auc", "submission_path": "commented-out.csv"}),
                json.dumps({"competition_id": "jl-auc", "submission_path": "r3/submission.csv"}),
                json.dumps({"competition_id": "jl-rmse", "submission_path": "r4/submission.csv"}),
                json.dumps({"competition_id": "jl-auc", "submission_path": str(bad)}),  # absolute path
                json.dumps({"competition_id": "jl-auc", "submission_path": "r9/missing.csv"}),
            ]
        )
        + "\n",
    )
    monkeypatch.chdir(subs)  # as `mlebench grade`: relative paths are relative to the working directory
    out = tmp_path / "graded"
    summary = grade_jsonl(jsonl, out, registry)

    assert summary.total_runs == 6
    assert summary.total_submissions == 5  # the missing file is not a submission
    assert summary.total_valid_submissions == 4
    assert (summary.total_gold_medals, summary.total_silver_medals, summary.total_bronze_medals) == (2, 0, 1)
    assert summary.total_medals == 3
    assert summary.total_above_median == 3
    reps = summary.competition_reports
    assert [r.score for r in reps[:4]] == [1.0, pytest.approx(5 / 6), 0.5, 0.0]
    assert reps[1].run_id == "run-2" and reps[1].seed == 7
    assert reps[3].is_lower_better and reps[3].gold_medal
    assert reps[4].valid_submission is False and (reps[4].error or "").startswith("4 missing id(s)")
    assert reps[5].submission_exists is False and "does not exist" in (reps[5].error or "")
    assert reps[0].submission_path == "r1/submission.csv"  # reported as written, as MLE-bench does

    written = sorted(p.name for p in (out / "reports").iterdir())
    assert written == [f"{i:04d}_{r.competition_id}.json" for i, r in enumerate(reps)]
    first = json.loads((out / "reports" / "0000_jl-auc.json").read_text())
    assert MLEBENCH_FIELDS <= set(first) and first["gold_medal"] is True
    (summary_file,) = out.glob("*_grading_report.json")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-(GMT|UTC)_grading_report\.json", summary_file.name)
    data = json.loads(summary_file.read_text())
    assert data["total_runs"] == 6 and data["total_medals"] == 3 and len(data["competition_reports"]) == 6
    assert set(MLEBENCH_SUMMARY_KEYS) <= set(data) and data["total_runs_with_submissions"] == 5
    assert GradingSummary.model_validate(data) == summary


def test_summary_of_nothing():
    s = GradingSummary.from_reports([])
    assert s.total_runs == 0 and s.total_medals == 0 and s.competition_reports == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"jsonl:2: bad submission line: Expecting property name"),
        ('{"competition_id": "jl-auc"}', r"jsonl:2: bad submission line: field 'submission_path': Field required"),
        ('{"submission_path": "x.csv"}', r"jsonl:2: bad submission line: needs 'competition_id' or 'task_id'"),
        ('["jl-auc", "x.csv"]', r"jsonl:2: bad submission line: .*valid dictionary"),
        ('{"competition_id": "jl-auc", "submission_path": "x.csv", "seed": "abc"}', r"jsonl:2: .*field 'seed'"),
    ],
)
def test_bad_jsonl_lines_name_file_and_line(tmp_path, line, message):
    jsonl = _write(
        tmp_path / "subs.jsonl",
        json.dumps({"competition_id": "jl-auc", "submission_path": "a.csv"}) + "\n" + line + "\n",
    )
    with pytest.raises(ConfigError, match=message) as info:
        read_submission_jsonl(jsonl)
    assert str(info.value).startswith(str(jsonl) + ":2:")


def test_unknown_task_in_jsonl_names_the_line(tmp_path, registry):
    jsonl = _write(
        tmp_path / "subs.jsonl", "\n" + json.dumps({"competition_id": "jl-aucc", "submission_path": "a.csv"}) + "\n"
    )
    with pytest.raises(ConfigError, match=r"subs\.jsonl:2: unknown task 'jl-aucc' \(did you mean: jl-auc"):
        grade_jsonl(jsonl, tmp_path / "out", registry)
    assert not (tmp_path / "out").exists(), "nothing is graded or written when a line is bad"


def test_missing_jsonl(tmp_path):
    with pytest.raises(Exception, match=r"submissions file not found"):
        read_submission_jsonl(tmp_path / "nope.jsonl")


def test_registry_get_unknown_task(registry):
    with pytest.raises(TaskNotFoundError, match="did you mean: jl-rmse"):
        registry.get("jl-rmsee")
