"""Reading MLE-bench run groups (a *grading_report.json per group, as `mlebench grade` writes it) in
compare and report, beside medalist's own run groups."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from mlebench_fixtures import competition_report, make_group, write_experiments, write_run_group
from report_fixtures import TASKS_DIR, registry, write_group

from medalist.errors import MedalistError
from medalist.report.aggregate import TASKS_RUN
from medalist.report.build import build_comparison
from medalist.report.html import render_report
from medalist.report.load import load_group

MEDALIST = str(Path(sys.executable).parent / "medalist")
GROUP = "2024-09-06T18-25-55-UTC_run-group_aide"


def entry(comp: str, medal: str = "", valid: bool = True, path: str = "") -> dict:
    e = competition_report(random.Random(0), comp, 0.0, GROUP, 0)
    e.update(
        {
            "gold_medal": medal == "gold",
            "silver_medal": medal == "silver",
            "bronze_medal": medal == "bronze",
            "any_medal": bool(medal),
            "above_median": bool(medal),
            "valid_submission": valid,
            "submission_exists": valid,
            "score": 0.97 if valid else None,
            "submission_path": path,
        }
    )
    return e


def test_group_folder_runs_in_report_order(tmp_path: Path) -> None:
    g = write_run_group(tmp_path, GROUP, [entry("b"), entry("a", "gold"), entry("b", "silver"), entry("a")])
    loaded = load_group(g)
    assert loaded.label == "mle-bench:aide@2024-09-06T18-25-55-UTC"
    assert loaded.path.name.endswith("_grading_report.json") and loaded.name == GROUP
    assert [(r.task_id, r.seed) for r in loaded.runs] == [("b", 0), ("a", 0), ("b", 1), ("a", 1)]
    assert all(r.source == "mlebench" for r in loaded.runs)
    assert loaded.runs[1].report.gold_medal and loaded.created_at == "2024-09-06T18-25-55-UTC"
    assert load_group(loaded.path).runs == loaded.runs  # the report file itself works too


def test_experiments_csv_pools_groups(tmp_path: Path) -> None:
    rng = random.Random(1)
    a = make_group(rng, tmp_path, "2024-09-07T00-00-00-UTC_run-group_aide", ["x", "y"])
    b = make_group(rng, tmp_path, "2024-09-08T00-00-00-UTC_run-group_aide", ["x", "y"])
    other = make_group(rng, tmp_path, "2024-09-09T00-00-00-UTC_run-group_aide", ["x", "y"])
    write_experiments(tmp_path, {"gpt4o-aide": [a, b]})
    c, _ = build_comparison([other, b, a], registry())
    assert c.agents == ["mle-bench:aide@2024-09-09T00-00-00-UTC", "mle-bench:gpt4o-aide"]
    pooled = c.aggregate("mle-bench:gpt4o-aide", TASKS_RUN)
    assert pooled.n_seeds == 2 and pooled.status == "complete"
    # seeds in run-group order (a before b), whatever order the groups were named in
    assert [k.split("/")[0] for k in (s[0] for s in pooled.seed_runs)] == [a.name, b.name]


def test_bad_mlebench_groups_are_one_line(tmp_path: Path) -> None:
    g = write_run_group(tmp_path, GROUP, [entry("a")])
    (g / "2024-09-20T00-00-00-GMT_grading_report.json").write_text("{}")
    with pytest.raises(MedalistError, match="2 grading reports .*name the one to read"):
        load_group(g)
    with pytest.raises(MedalistError, match="not an MLE-bench grading report"):
        load_group(g / "2024-09-20T00-00-00-GMT_grading_report.json")
    broken = tmp_path / "broken_grading_report.json"
    broken.write_text("{not json")
    with pytest.raises(MedalistError, match="not a readable grading report"):
        load_group(broken)


def test_incomplete_entries_are_skipped_with_a_warning(tmp_path: Path) -> None:
    bad = entry("b")
    del bad["gold_medal"]
    loaded = load_group(write_run_group(tmp_path, GROUP, [entry("a"), bad, {**entry("c"), "score": "high"}]))
    assert [r.task_id for r in loaded.runs] == ["a"]
    assert any("entry 1 skipped: no gold_medal" in w for w in loaded.warnings)
    assert any("entry 2 skipped: field 'score'" in w for w in loaded.warnings)


def test_side_by_side_with_medalist_runs_and_traces(tmp_path: Path) -> None:
    """An MLE-bench group on the same task as a medalist group: both scored, traces read from its run dir."""
    ours = write_group(
        tmp_path / "runs",
        "2026-01-01T00-00-00Z_automl",
        "automl",
        [{"task": "alpha", "seed": 0, "score": 0.8}, {"task": "alpha", "seed": 1, "score": 0.7}],
    )
    up_dir = tmp_path / "mle-bench" / "runs"
    run_dir = up_dir / GROUP / "alpha_0001"
    (run_dir / "logs").mkdir(parents=True)
    (run_dir / "logs" / "journal.json").write_text(json.dumps({"nodes": [{"id": "n0", "plan": "baseline gbm"}]}))
    theirs = write_run_group(
        up_dir,
        GROUP,
        [
            entry("alpha", "gold", path=f"runs/{GROUP}/alpha_0001/submission/submission.csv"),
            entry("alpha", valid=False),
        ],
    )
    c, _ = build_comparison([ours, theirs], registry())
    assert c.agents == ["automl", "mle-bench:aide@2024-09-06T18-25-55-UTC"]
    up = c.aggregate("mle-bench:aide@2024-09-06T18-25-55-UTC", "lite-test")
    assert up.status == "complete" and up.n_seeds == 2 and up.metrics["any_medal"].values == [100.0, 0.0]
    assert up.metrics["valid_submission"].values == [100.0, 0.0]
    # the registry knows alpha: MLE-bench runs get normalized scores too (0.97 on alpha's leaderboard)
    assert up.metrics["normalized_score"].values[1] == 0.0 and up.metrics["normalized_score"].values[0] > 0
    assert c.runs[-2].run_dir == str(run_dir) and c.runs[-1].run_dir is None
    assert not any("another leaderboard" in w for w in c.warnings)
    html = render_report(c)
    assert "baseline gbm" in html and "mle-bench:aide@2024-09-06T18-25-55-UTC" in html


def test_compare_and_report_cli_read_mlebench_groups(tmp_path: Path) -> None:
    g = write_run_group(tmp_path, GROUP, [entry("a", "gold"), entry("b"), entry("a")])
    proc = subprocess.run(
        [MEDALIST, "compare", str(g), "--tasks-dir", str(TASKS_DIR)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "mle-bench:aide@" in proc.stdout and "2 of 2 tasks" in proc.stdout and "1 (1 later run unused)" in proc.stdout
    )
    assert "not in the task registry" in proc.stderr
    out = tmp_path / "r.html"
    proc = subprocess.run(
        [MEDALIST, "report", str(g), "-o", str(out), "--pad-missing", "--tasks-dir", str(TASKS_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    html = out.read_text()
    assert "padded (1 missing run as failures)" in html and "2 of 2 tasks" in html


def test_ungraded_mlebench_group_is_one_line(tmp_path: Path) -> None:
    g = tmp_path / GROUP
    g.mkdir()
    (g / "metadata.json").write_text(json.dumps({"run_group": GROUP, "created_at": "x", "runs": {}}))
    with pytest.raises(MedalistError, match="MLE-bench run group without a grading report"):
        load_group(g)
