"""Aggregation numbers on the hand-written fixtures in report_fixtures.py (each expected value derived by hand)."""

from __future__ import annotations

import pytest
from report_fixtures import RUNS, SPLITS, TASKS, rep, run

from medalist.report.aggregate import TASKS_RUN, compare, dedupe_runs, pass_at_k_table, run_metrics

T1 = 12.706205  # t(0.975, 1)
T2 = 4.302653  # t(0.975, 2)


@pytest.fixture(scope="module")
def comparison():
    return compare(RUNS, TASKS, SPLITS)


def test_run_metrics_per_run() -> None:
    m = run_metrics(RUNS[0], TASKS["alpha"])
    assert m.rates["gold_medal"] == 1 and m.rates["any_medal"] == 1 and m.rates["silver_medal"] == 0
    assert m.improvement == pytest.approx(0.6)  # (0.8 - 0.5) / 0.5
    assert m.normalized_score == pytest.approx(0.75)  # (0.8 - 0.5) / (0.9 - 0.5)
    assert m.rates["success"] == 1
    small = run_metrics(RUNS[1], TASKS["alpha"])
    assert small.improvement == pytest.approx(0.08) and small.rates["success"] == 0  # 8% is not > 10%
    beta = run_metrics(RUNS[2], TASKS["beta"])
    assert beta.improvement == pytest.approx(0.25)  # starter baseline 8 -> 6, lower is better
    assert beta.normalized_score == pytest.approx(0.5)  # (6 - 10) / (2 - 10)
    invalid = run_metrics(RUNS[3], TASKS["beta"])
    assert invalid.improvement == 0 and invalid.normalized_score == 0 and invalid.rates["valid_submission"] == 0
    crashed = run_metrics(RUNS[6], TASKS["alpha"])
    assert crashed.rates["any_medal"] == 0 and crashed.rates["valid_submission"] == 0


def test_run_metrics_without_task_info() -> None:
    m = run_metrics(RUNS[0], None)
    assert m.improvement is None and m.normalized_score is None and "success" not in m.rates


def test_agent_a_tasks_run_split(comparison) -> None:
    a = comparison.aggregate("A", TASKS_RUN)
    assert a.tasks == ["alpha", "beta"] and a.n_seeds == 2 and a.n_runs == 4 and a.split_size == 2
    assert a.status == "complete" and a.padded_runs == 0 and a.unused_runs == 0 and a.coverage == "2 of 2 tasks"
    assert a.seed_runs == [["g_A/alpha_s0", "g_A/beta_s0"], ["g_A/alpha_s1", "g_A/beta_s1"]]
    m = a.metrics
    # per seed: seed 0 -> both medals (100%), seed 1 -> none (0%)
    assert m["any_medal"].values == [100.0, 0.0]
    assert m["any_medal"].mean == pytest.approx(50.0)
    assert m["any_medal"].sem == pytest.approx(50.0)
    assert m["any_medal"].ci_low == pytest.approx(50 - T1 * 50, rel=1e-6)
    assert m["any_medal"].ci_high == pytest.approx(50 + T1 * 50, rel=1e-6)
    assert m["any_medal"].mlebench_ci_low == pytest.approx(50 - 1.96 * 50)
    assert m["any_medal"].mlebench_ci_high == pytest.approx(50 + 1.96 * 50)
    assert m["submission_exists"].values == [100.0, 100.0]
    assert m["gold_medal"].values == [50.0, 0.0] and m["gold_medal"].sem == pytest.approx(25.0)
    assert m["bronze_medal"].values == [50.0, 0.0]
    assert m["silver_medal"].values == [0.0, 0.0] and m["silver_medal"].sem == 0
    assert m["above_median"].mean == pytest.approx(50.0)
    assert m["valid_submission"].values == [100.0, 50.0] and m["valid_submission"].mean == pytest.approx(75.0)
    assert m["valid_submission"].sem == pytest.approx(25.0)
    assert m["success"].values == [100.0, 0.0]
    # improvement %: seed 0 (60 + 25) / 2 = 42.5; seed 1 (8 + 0) / 2 = 4
    assert m["improvement"].values == pytest.approx([42.5, 4.0])
    assert m["improvement"].mean == pytest.approx(23.25)
    assert m["improvement"].sem == pytest.approx(19.25)
    assert m["improvement_median"].values == pytest.approx([42.5, 4.0])  # median of two = their mean
    # normalized: seed 0 (0.75 + 0.5) / 2 = 0.625; seed 1 (0.1 + 0) / 2 = 0.05
    assert m["normalized_score"].values == pytest.approx([0.625, 0.05])
    assert m["normalized_score"].mean == pytest.approx(0.3375)
    assert m["normalized_score"].sem == pytest.approx(0.2875)
    # pass@k: alpha and beta each 1 medal in 2 seeds -> pass@1 = 0.5, pass@2 = 1
    assert a.pass_at_k == pytest.approx({1: 0.5, 2: 1.0})
    assert a.total_cost_usd == pytest.approx(0.75) and a.total_wall_seconds == pytest.approx(40.0)


def test_agent_b_three_seeds(comparison) -> None:
    # B ran alpha only: on tasks-run (alpha, beta) it is partial, its numbers cover alpha alone
    b = comparison.aggregate("B", TASKS_RUN)
    assert b.n_seeds == 3 and b.tasks == ["alpha"] and b.missing_tasks == ["beta"] and b.tasks_per_seed == 1
    assert b.status == "partial" and not b.scored and b.coverage == "1 of 2 tasks"
    m = b.metrics
    assert m["any_medal"].values == [100.0, 0.0, 0.0]
    assert m["any_medal"].mean == pytest.approx(100 / 3)
    assert m["any_medal"].sem == pytest.approx(100 / 3)  # sd = 57.735, / sqrt(3)
    assert m["any_medal"].ci_high == pytest.approx(100 / 3 + T2 * 100 / 3, rel=1e-6)
    assert m["silver_medal"].mean == pytest.approx(100 / 3)
    assert m["valid_submission"].values == [100.0, 100.0, 0.0]
    assert m["improvement"].values == pytest.approx([40.0, 0.0, 0.0])
    assert m["normalized_score"].mean == pytest.approx(0.5 / 3)
    # one medal in three seeds: pass@1 = 1/3, pass@2 = 1 - C(2,2)/C(3,2) = 2/3, pass@3 = 1
    assert b.pass_at_k == pytest.approx({1: 1 / 3, 2: 2 / 3, 3: 1.0})
    assert b.total_cost_usd is None


def test_split_restricts_tasks(comparison) -> None:
    a = comparison.aggregate("A", "lite")
    assert a.tasks == ["alpha"] and a.n_runs == 2 and a.split_size == 1
    assert a.metrics["valid_submission"].mean == pytest.approx(100.0) and a.metrics["valid_submission"].sem == 0
    assert a.metrics["improvement"].mean == pytest.approx(34.0)  # (60 + 8) / 2
    assert a.metrics["improvement"].sem == pytest.approx(26.0)
    assert a.metrics["normalized_score"].mean == pytest.approx(0.425)
    assert comparison.splits == [TASKS_RUN, "lite"]
    assert comparison.agents == ["A", "B"]
    b = comparison.aggregate("B", "lite")
    assert b.status == "complete" and b.n_seeds == 3 and b.metrics["any_medal"].values == [100.0, 0.0, 0.0]


def test_medal_matrix_cells(comparison) -> None:
    c = comparison.cell("alpha", "A")
    assert c.best_medal == "gold" and c.gold == 1 and c.valid == 2 and c.scores == [0.8, 0.54]
    assert c.mean_score == pytest.approx(0.67) and c.mean_normalized_score == pytest.approx(0.425)
    beta = comparison.cell("beta", "A")
    assert beta.best_medal == "bronze" and beta.scores == [6.0, None] and beta.valid == 1
    assert beta.mean_score == pytest.approx(6.0) and beta.mean_improvement == pytest.approx(0.125)
    b = comparison.cell("alpha", "B")
    assert b.best_medal == "silver" and b.n_runs == 3 and b.seeds == [0, 1, 2]
    assert comparison.cell("beta", "B") is None


def test_single_seed_has_no_pass_at_k_and_no_ci() -> None:
    c = compare([RUNS[0], RUNS[2]], TASKS)
    a = c.aggregate("A", TASKS_RUN)
    assert a.pass_at_k == {}
    assert a.metrics["any_medal"].mean == 100.0 and a.metrics["any_medal"].sem is None
    assert a.metrics["any_medal"].mlebench_ci_low is None  # undefined with one seed (MLE-bench prints 0)


def test_pass_at_k_uneven_seeds() -> None:
    # task alpha: 3 runs, 1 medal; task beta: 1 run, medal -> k=1 averages both, k>=2 only alpha
    runs = [run("X", "alpha", s, rep("alpha", 0.7, "gold" if s == 0 else "")) for s in range(3)]
    runs.append(run("X", "beta", 0, rep("beta", 3.0, "gold", lower=True)))
    c = compare(runs, TASKS)
    ms = [m for m in c.run_metrics]
    assert pass_at_k_table(ms) == pytest.approx({1: (1 / 3 + 1) / 2, 2: 2 / 3, 3: 1.0})


def test_duplicate_runs_last_group_wins() -> None:
    first = run("A", "alpha", 0, rep("alpha", 0.6)).model_copy(update={"group": "g1"})
    second = run("A", "alpha", 0, rep("alpha", 0.8, "gold")).model_copy(update={"group": "g2"})
    kept, warnings = dedupe_runs([first, second])
    assert [r.group for r in kept] == ["g2"] and "g2 replaces g1" in warnings[0]


def test_unknown_task_warns() -> None:
    c = compare([run("A", "gamma", 0, rep("gamma", 1.0))], TASKS)
    assert any("gamma" in w and "not in the task registry" in w for w in c.warnings)
    assert "improvement" not in c.aggregate("A", TASKS_RUN).metrics


def test_comparison_round_trips_json(comparison) -> None:
    from medalist.report.models import Comparison

    again = Comparison.model_validate_json(comparison.model_dump_json())
    assert again.aggregate("B", TASKS_RUN).pass_at_k == comparison.aggregate("B", TASKS_RUN).pass_at_k
    assert again.aggregate("B", TASKS_RUN).status == "partial" and again.protocol == "mlebench"


def test_covered_splits_hide_partial_ones() -> None:
    from medalist.report.table import covered_splits

    c = compare(RUNS, TASKS, {"lite": ["alpha"], "big": ["alpha", "beta", "gamma"]})
    assert c.splits == [TASKS_RUN, "lite", "big"]
    assert covered_splits(c) == [TASKS_RUN, "lite"]  # nobody ran gamma
    big = c.aggregate("A", "big")
    assert big.split_size == 3 and big.tasks == ["alpha", "beta"] and big.status == "partial"
    assert big.coverage == "2 of 3 tasks" and big.missing_tasks == ["gamma"]
    padded = compare(RUNS, TASKS, {"big": ["alpha", "beta", "gamma"]}, pad_missing=True)
    assert covered_splits(padded) == [TASKS_RUN, "big"]
