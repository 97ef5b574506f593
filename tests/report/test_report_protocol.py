"""MLE-bench's seed protocol in compare: complete seeds, padding, coverage and partial splits, and the
robust improvement figures (every expected number worked out by hand)."""

from __future__ import annotations

import pytest
from report_fixtures import rep, run
from rich.console import Console

from medalist.report.aggregate import TASKS_RUN, compare
from medalist.report.models import TaskInfo
from medalist.report.protocol import build_seeds
from medalist.report.stats import degenerate_baseline
from medalist.report.table import covered_splits, partial_summary, split_table


def test_complete_seeds_use_the_fewest_runs() -> None:
    plan = build_seeds({"a": ["a0", "a1", "a2"], "b": ["b0"]}, ["a", "b"])
    assert plan.seeds == [["a0", "b0"]] and plan.unused == 2 and plan.padded == 0 and plan.used == 2


def test_padding_uses_the_most_runs() -> None:
    plan = build_seeds({"a": ["a0", "a1", "a2"], "b": ["b0"]}, ["a", "b", "c"], pad_missing=True)
    assert plan.seeds == [["a0", "b0", None], ["a1", None, None], ["a2", None, None]]
    assert plan.padded == 5 and plan.unused == 0 and plan.used == 4


def test_num_seeds_keeps_the_first_seeds() -> None:
    plan = build_seeds({"a": ["a0", "a1", "a2"], "b": ["b0", "b1"]}, ["a", "b"], num_seeds=1)
    assert plan.seeds == [["a0", "b0"]] and plan.unused == 3


def test_a_task_without_runs_gives_no_complete_seed() -> None:
    assert build_seeds({"a": ["a0"]}, ["a", "b"]).seeds == []
    with pytest.raises(ValueError):
        build_seeds({}, [])


# The issue's case: a 12-task run with one seed (7 medals) and a later group with a second seed of two
# tasks (both medals), on a 25-task split. Averaging per seed over whatever ran gave (58.3 + 100) / 2.
SPLIT = {"all": [f"t{i:02d}" for i in range(25)]}
ISSUE_RUNS = [
    run("X", f"t{i:02d}", 0, rep(f"t{i:02d}", 0.9, "gold" if i < 7 else "")).model_copy(update={"group": "g1"})
    for i in range(12)
] + [run("X", f"t{i:02d}", 1, rep(f"t{i:02d}", 0.9, "gold")).model_copy(update={"group": "g2"}) for i in range(2)]


def render(comparison, split: str) -> str:
    console = Console(record=True, width=200)
    console.print(split_table(comparison, split))
    return console.export_text()


def test_partial_split_is_labelled_and_not_scored() -> None:
    c = compare(ISSUE_RUNS, {}, SPLIT)
    ran = c.aggregate("X", TASKS_RUN)
    assert ran.status == "complete" and ran.n_seeds == 1 and ran.unused_runs == 2
    assert ran.metrics["gold_medal"].values == pytest.approx([700 / 12])  # one complete seed: 7 of 12
    full = c.aggregate("X", "all")
    assert full.status == "partial" and not full.scored and full.coverage == "12 of 25 tasks"
    assert len(full.missing_tasks) == 13 and full.tasks_per_seed == 12
    assert covered_splits(c) == [TASKS_RUN]
    assert partial_summary(c) == ["all: X 12 of 25 tasks"]
    text = render(c, "all")
    assert "12 of 25 tasks" in text and "partial: not the split's score" in text and "X" in text
    assert "complete" not in text.split("status")[1].splitlines()[0]


def test_padding_scores_the_split_with_failures() -> None:
    c = compare(ISSUE_RUNS, {}, SPLIT, pad_missing=True)
    full = c.aggregate("X", "all")
    assert full.status == "padded" and full.scored and full.n_seeds == 2
    assert full.padded_runs == 13 + 23 and full.n_runs == 14 and full.unused_runs == 0
    assert full.metrics["gold_medal"].values == pytest.approx([7 / 25 * 100, 2 / 25 * 100])
    assert full.metrics["submission_exists"].values == pytest.approx([12 / 25 * 100, 2 / 25 * 100])
    assert full.seed_runs[1][:3] == ["g2/t00_s1", "g2/t01_s1", None]
    assert covered_splits(c) == [TASKS_RUN, "all"]
    assert "padded (36 missing runs as failures)" in render(c, "all")


def test_seeds_follow_run_group_order() -> None:
    # seed labels are not used to pair runs: the i-th run of each task (in group order) forms seed i
    runs = [
        run("X", "a", 5, rep("a", 0.9, "gold")).model_copy(update={"group": "2026-01-02_x"}),
        run("X", "a", 0, rep("a", 0.9)).model_copy(update={"group": "2026-01-01_x"}),
        run("X", "b", 3, rep("b", 0.9)).model_copy(update={"group": "2026-01-01_x"}),
    ]
    agg = compare(runs, {}).aggregate("X", TASKS_RUN)
    assert agg.seed_runs == [["2026-01-01_x/a_s0", "2026-01-01_x/b_s3"]] and agg.unused_runs == 1
    assert agg.metrics["any_medal"].values == [0.0]


# improvement: r2 has a no-skill baseline (0.001 next to a best of 0.9), f1 a weak but real one.
TASKS = {
    "r2": TaskInfo(
        task_id="r2", baseline_score=0.001, sample_score=0.001, leaderboard_best=0.9, leaderboard_scores=[0.9, 0.5]
    ),
    "f1": TaskInfo(
        task_id="f1", baseline_score=0.1, sample_score=0.1, leaderboard_best=0.8, leaderboard_scores=[0.8, 0.4]
    ),
    "acc": TaskInfo(
        task_id="acc", baseline_score=0.5, sample_score=0.5, leaderboard_best=0.9, leaderboard_scores=[0.9, 0.7]
    ),
}


def test_degenerate_baseline_rule() -> None:
    assert degenerate_baseline(0.0, None) and degenerate_baseline(0.001, 0.9) and degenerate_baseline(-0.05, 0.9)
    assert not degenerate_baseline(0.1, 0.8) and not degenerate_baseline(0.5, 0.9)
    assert not degenerate_baseline(10.0, 2.0)  # lower is better: RMSE 10 -> 2
    assert not degenerate_baseline(0.3, None)
    assert TASKS["r2"].baseline_degenerate and not TASKS["f1"].baseline_degenerate


def test_improvement_is_capped_and_leaves_degenerate_baselines_out() -> None:
    runs = [
        run("X", "r2", 0, rep("r2", 0.6)),  # 59900% over 0.001: left out
        run("X", "f1", 0, rep("f1", 0.7)),  # +600%: capped to +100%
        run("X", "acc", 0, rep("acc", 0.6)),
    ]  # +20%
    c = compare(runs, TASKS)
    m = c.aggregate("X", TASKS_RUN).metrics
    assert m["improvement"].values == pytest.approx([(100 + 20) / 2])
    assert m["improvement_median"].values == pytest.approx([(600 + 20) / 2])
    assert m["success"].values == [100.0]  # over f1 and acc only
    # the normalized score keeps every task: r2 (0.6-0.001)/(0.9-0.001), f1 6/7, acc 0.25
    assert m["normalized_score"].values == pytest.approx([(0.599 / 0.899 + 6 / 7 + 0.25) / 3])
    assert any("r2 (0.001)" in n and "no skill" in n for n in c.notes)
    assert c.run_metrics[[r.task_id for r in c.runs].index("r2")].improvement is None
    assert c.cell("r2", "X").mean_improvement is None and c.cell("f1", "X").mean_improvement == pytest.approx(6.0)


def test_split_files_for_compare(tmp_path) -> None:
    from medalist.errors import MedalistError
    from medalist.report.selection import split_files, split_names

    (tmp_path / "low.txt").write_text("a\n\n b \n")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    assert split_files([str(tmp_path / "low.txt"), "lite"]) == {"low": ["a", "b"]}
    assert split_names([str(tmp_path / "low.txt"), "lite"]) == ["low", "lite"]
    with pytest.raises(MedalistError, match="split file not found"):
        split_files([str(tmp_path / "nope.txt")])
    with pytest.raises(MedalistError, match="lists no task ids"):
        split_files([str(tmp_path / "empty.txt")])
