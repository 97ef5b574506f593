"""Medal thresholds at every leaderboard-size band, both directions, boundaries, ties, median, rank."""

from __future__ import annotations

import numpy as np
import pytest

from medalist.errors import ConfigError
from medalist.grading import load_leaderboard, medal_ranks, report_for_score, thresholds_from_scores
from medalist.tasks.spec import TaskSpec


@pytest.mark.parametrize(
    ("n", "gold", "silver", "bronze"),
    [
        (1, 1, 1, 1),  # every tier keeps at least one place
        (5, 1, 1, 2),
        (10, 1, 2, 4),
        (50, 5, 10, 20),
        (99, 9, 19, 39),  # N < 100: 10% / 20% / 40%, rounded down
        (100, 10, 20, 40),  # 100-249: top 10 places / 20% / 40%
        (180, 10, 36, 72),
        (249, 10, 49, 99),
        (250, 10, 50, 100),  # 250-999: 10 + 0.2% N / top 50 / top 100
        (500, 11, 50, 100),
        (999, 11, 50, 100),
        (1000, 12, 50, 100),  # 1000+: 10 + 0.2% N / 5% / 10%
        (1999, 13, 99, 199),
        (5000, 20, 250, 500),
    ],
)
def test_medal_ranks_by_band(n, gold, silver, bronze):
    r = medal_ranks(n)
    assert (r.gold, r.silver, r.bronze) == (gold, silver, bronze)


def test_medal_ranks_rejects_empty_leaderboard():
    with pytest.raises(ValueError):
        medal_ranks(0)


@pytest.mark.parametrize("n", [10, 99, 100, 249, 250, 999, 1000, 2500])
def test_thresholds_are_the_scores_at_those_places(n):
    r = medal_ranks(n)
    scores = np.arange(1, n + 1, dtype=float)
    rng = np.random.default_rng(n)
    shuffled = rng.permutation(scores)  # the file's row order must not matter
    # higher is better: place k holds score n - k + 1
    hi = thresholds_from_scores(shuffled, is_lower_better=False)
    assert (hi.gold, hi.silver, hi.bronze) == (n - r.gold + 1, n - r.silver + 1, n - r.bronze + 1)
    assert hi.median == pytest.approx((n + 1) / 2)
    assert hi.n_teams == n
    # lower is better: place k holds score k
    lo = thresholds_from_scores(shuffled, is_lower_better=True)
    assert (lo.gold, lo.silver, lo.bronze) == (r.gold, r.silver, r.bronze)
    assert lo.median == pytest.approx((n + 1) / 2)


def test_non_finite_leaderboard_scores_are_dropped():
    th = thresholds_from_scores(np.array([1.0, np.nan, 2.0, np.inf, 3.0]), is_lower_better=False)
    assert th.n_teams == 3
    assert th.gold == 3.0
    with pytest.raises(ValueError, match="no finite scores"):
        thresholds_from_scores(np.array([np.nan]), is_lower_better=False)


def _spec(metric: str) -> TaskSpec:
    return TaskSpec(id="t", name="t", task_type="regression", metric=metric, target_columns=["y"])


HIGHER = _spec("accuracy")
LOWER = _spec("rmse")


def _report(spec: TaskSpec, scores: list[float], score: float | None):
    th = thresholds_from_scores(np.array(scores, dtype=float), spec.metric == "rmse")
    return report_for_score(spec, score, th)


def _medal(rep) -> str:
    assert rep.any_medal == (rep.gold_medal or rep.silver_medal or rep.bronze_medal)
    assert rep.gold_medal + rep.silver_medal + rep.bronze_medal <= 1, "at most one tier"
    return "gold" if rep.gold_medal else "silver" if rep.silver_medal else "bronze" if rep.bronze_medal else "none"


# 10 teams, higher is better: places 1..10 hold 1.0, 0.9, ..., 0.1
TEN_HIGH = [round(1.0 - 0.1 * i, 1) for i in range(10)]
# gold = place 1 (1.0), silver = place 2 (0.9), bronze = place 4 (0.7), median 0.55


@pytest.mark.parametrize(
    ("score", "medal", "above_median", "rank"),
    [
        (1.05, "gold", True, 1),
        (1.0, "gold", True, 1),  # tie with the gold threshold earns gold and shares place 1
        (0.95, "silver", True, 2),
        (0.9, "silver", True, 2),
        (0.8, "bronze", True, 3),
        (0.7, "bronze", True, 4),
        (0.69, "none", True, 5),
        (0.55, "none", False, 6),  # exactly the median is not above it
        (0.56, "none", True, 6),
        (0.0, "none", False, 11),
    ],
)
def test_higher_is_better_medals(score, medal, above_median, rank):
    rep = _report(HIGHER, TEN_HIGH, score)
    assert (rep.gold_threshold, rep.silver_threshold, rep.bronze_threshold) == (1.0, 0.9, 0.7)
    assert rep.median_threshold == pytest.approx(0.55)
    assert _medal(rep) == medal
    assert rep.above_median is above_median
    assert rep.leaderboard_rank == rank
    assert rep.is_lower_better is False
    assert rep.leaderboard_size == 10


# 10 teams, lower is better: places 1..10 hold 0.1 .. 1.0
TEN_LOW = [round(0.1 * (i + 1), 1) for i in range(10)]


@pytest.mark.parametrize(
    ("score", "medal", "above_median", "rank"),
    [
        (0.05, "gold", True, 1),
        (0.1, "gold", True, 1),
        (0.2, "silver", True, 2),
        (0.3, "bronze", True, 3),
        (0.4, "bronze", True, 4),
        (0.41, "none", True, 5),
        (0.55, "none", False, 6),
        (0.54, "none", True, 6),
        (2.0, "none", False, 11),
    ],
)
def test_lower_is_better_medals(score, medal, above_median, rank):
    rep = _report(LOWER, TEN_LOW, score)
    assert (rep.gold_threshold, rep.silver_threshold, rep.bronze_threshold) == (0.1, 0.2, 0.4)
    assert _medal(rep) == medal
    assert rep.above_median is above_median
    assert rep.leaderboard_rank == rank
    assert rep.is_lower_better is True


@pytest.mark.parametrize("n", [99, 100, 249, 250, 999, 1000])
@pytest.mark.parametrize("spec", [HIGHER, LOWER], ids=["higher", "lower"])
def test_boundary_sizes_exact_thresholds_and_just_outside(n, spec):
    """At each band boundary: hitting a threshold exactly earns that tier; a bit worse drops one tier."""
    lower = spec is LOWER
    scores = list(range(1, n + 1))  # distinct; better = smaller (lower) or larger (higher)
    r = medal_ranks(n)

    def at_place(k: int) -> float:
        return float(k if lower else n - k + 1)

    def worse(x: float) -> float:
        return x + 0.5 if lower else x - 0.5

    for place, tier, next_tier in (
        (r.gold, "gold", "silver"),
        (r.silver, "silver", "bronze"),
        (r.bronze, "bronze", "none"),
    ):
        rep = _report(spec, scores, at_place(place))
        assert _medal(rep) == tier, (n, place)
        assert rep.leaderboard_rank == place
        assert _medal(_report(spec, scores, worse(at_place(place)))) == next_tier, (n, place)


def test_ties_on_the_leaderboard_share_the_better_place():
    scores = [0.9, 0.8, 0.8, 0.8, 0.5]
    hi = _report(HIGHER, scores, 0.8)
    assert hi.leaderboard_rank == 2
    # beats or ties 4 of 5 entries (three 0.8s and the 0.5)
    assert hi.beats_fraction == pytest.approx(4 / 5)
    lo = _report(LOWER, [0.1, 0.2, 0.2, 0.3], 0.2)
    assert lo.leaderboard_rank == 2
    assert lo.beats_fraction == pytest.approx(3 / 4)


def test_beats_fraction_extremes():
    assert _report(HIGHER, TEN_HIGH, 2.0).beats_fraction == 1.0
    assert _report(HIGHER, TEN_HIGH, -1.0).beats_fraction == 0.0
    assert _report(LOWER, TEN_LOW, 0.0).beats_fraction == 1.0
    assert _report(LOWER, TEN_LOW, 0.95).beats_fraction == pytest.approx(0.1)


def test_invalid_score_gets_thresholds_but_no_medal():
    rep = _report(HIGHER, TEN_HIGH, None)
    assert rep.score is None
    assert rep.gold_threshold == 1.0 and rep.median_threshold == pytest.approx(0.55)
    assert not rep.any_medal and not rep.above_median
    assert rep.leaderboard_rank is None and rep.beats_fraction is None


def test_no_leaderboard_means_no_medal_fields():
    rep = report_for_score(HIGHER, 0.99, None)
    assert rep.score == 0.99
    assert rep.gold_threshold is None and not rep.any_medal and not rep.above_median


def test_median_of_even_and_odd_leaderboards():
    assert thresholds_from_scores(np.array([1.0, 2.0, 3.0]), False).median == 2.0
    assert thresholds_from_scores(np.array([1.0, 2.0, 3.0, 10.0]), False).median == 2.5


def test_load_leaderboard(tmp_path):
    path = tmp_path / "leaderboard.csv"
    path.write_text("team,score\na,0.5\nb,0.9\nc,0.7\n")
    th = load_leaderboard(path, is_lower_better=False)
    assert th.n_teams == 3 and th.gold == 0.9 and th.median == 0.7


def test_load_leaderboard_errors_name_the_file(tmp_path):
    bad = tmp_path / "leaderboard.csv"
    bad.write_text("team,points\na,1\n")
    with pytest.raises(
        ConfigError, match=r"leaderboard\.csv: leaderboard needs a 'score' column \(has: team, points\)"
    ):
        load_leaderboard(bad, False)
    bad.write_text("")
    with pytest.raises(ConfigError, match=r"leaderboard\.csv: cannot read leaderboard"):
        load_leaderboard(bad, False)
    bad.write_text("score\nx\ny\n")
    with pytest.raises(ConfigError, match=r"leaderboard\.csv: .*non-numeric"):
        load_leaderboard(bad, False)
    with pytest.raises(ConfigError, match="cannot read leaderboard"):
        load_leaderboard(tmp_path / "missing.csv", False)
