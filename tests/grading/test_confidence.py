"""Bootstrap scoring equals rescoring resampled copies; medal confidence matches known tier probabilities."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from medalist.fsutil import atomic_write_json, sha256_file
from medalist.grading import grade_submission
from medalist.grading.bootstrap import bootstrap_scores, fast_metric_supported, fast_score, resample_indices
from medalist.grading.confidence import (
    BOOTSTRAP_FILE,
    BootstrapThresholds,
    medal_confidence,
    resampled_thresholds,
    tiers,
)
from medalist.metrics import get_metric

RNG = np.random.default_rng(0)
N = 600
CASES = {
    "accuracy": (RNG.integers(0, 3, N), RNG.integers(0, 3, N)),
    "balanced_accuracy": (RNG.integers(0, 3, N), RNG.integers(0, 4, N)),
    "f1": (RNG.integers(0, 2, N), RNG.integers(0, 2, N)),
    "f1_macro": (np.array(list("abcde"))[RNG.integers(0, 5, N)], np.array(list("abcdf"))[RNG.integers(0, 5, N)]),
    "f1_micro": (RNG.integers(0, 4, N), RNG.integers(0, 4, N)),
    "mcc": (RNG.integers(0, 2, N), RNG.integers(0, 2, N)),
    "quadratic_weighted_kappa": (RNG.integers(0, 5, N), np.minimum(RNG.integers(0, 5, N), 3)),
    "roc_auc": (RNG.integers(0, 2, N), np.round(RNG.random(N), 2)),
    "gini": (RNG.integers(0, 2, N), RNG.random(N)),
    "log_loss": (RNG.integers(0, 2, N), RNG.random(N)),
    "multiclass_log_loss": (np.eye(3)[RNG.integers(0, 3, N)], RNG.random((N, 3))),
    "rmse": (RNG.random(N) * 10, RNG.random(N) * 10),
    "mse": (RNG.random(N), RNG.random(N)),
    "mae": (RNG.random(N), RNG.random(N)),
    "rmsle": (RNG.random(N) * 10, RNG.random(N) * 10 - 1),
    "smape": (RNG.random(N) - 0.2, RNG.random(N)),
    "r2": (RNG.random(N), RNG.random(N)),
    "mcrmse": (RNG.random((N, 2)), RNG.random((N, 2))),
    "spearman": (RNG.random(N), RNG.random(N)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bootstrap_scores_equal_scoring_each_resampled_copy(name: str) -> None:
    metric = get_metric(name)
    t, p = CASES[name]
    fast = bootstrap_scores(metric, t, p, 25, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slow = np.array([metric(t[i], p[i]) for i in resample_indices(N, 25, seed=7)])
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)
    assert fast_score(metric, t, p) == pytest.approx(metric(t, p), rel=1e-10, abs=1e-12)
    assert fast_metric_supported(metric) == (name != "spearman")


def test_resamples_are_reproducible_and_prefix_stable() -> None:
    a = resample_indices(1000, 8, seed=3)
    assert a.shape == (8, 1000) and a.min() >= 0 and a.max() < 1000
    np.testing.assert_array_equal(a, resample_indices(1000, 8, seed=3))
    np.testing.assert_array_equal(a[5:], resample_indices(1000, 3, seed=3, start=5))
    assert not np.array_equal(a, resample_indices(1000, 8, seed=4))
    # fixed values: the generator is counter-based and must not drift across numpy versions
    assert resample_indices(1000, 1, seed=0)[0, :5].tolist() == [535, 465, 110, 53, 978]
    # a resample draws with replacement: about 1 - 1/e of the rows appear
    assert 0.6 < len(np.unique(a[0])) / 1000 < 0.66


def test_tier_per_resample_respects_direction_and_ties() -> None:
    gold, silver, bronze = np.array([0.9, 0.9]), np.array([0.8, 0.8]), np.array([0.7, 0.7])
    assert tiers(np.array([0.9, 0.75]), gold, silver, bronze, lower=False).tolist() == [3, 1]
    assert tiers(np.array([0.69, 0.8]), gold, silver, bronze, lower=False).tolist() == [0, 2]
    assert tiers(
        np.array([0.1, 0.3]), np.array([0.1, 0.1]), np.array([0.2, 0.2]), np.array([0.3, 0.3]), lower=True
    ).tolist() == [3, 1]


# A constructed leaderboard whose tier probabilities are known exactly. The first ONES labels are 1,
# the last ZEROS are 0 (a task needs both labels); member i predicts 0 except on the first ONES - 2i
# rows, so members are nested and keep their order on every resample (gold = 10th place = member 9,
# silver = member 29, bronze = member 59 of 150).
ONES, ZEROS, TEAMS = 400, 10, 150
ROWS = ONES + ZEROS
TRUTH = np.r_[np.ones(ONES, dtype=int), np.zeros(ZEROS, dtype=int)]


def _member_predictions() -> list[np.ndarray]:
    return [np.r_[np.ones(ONES - 2 * i, dtype=int), np.zeros(2 * i + ZEROS, dtype=int)] for i in range(TEAMS)]


def _write_bootstrap(spec, pt, resamples: int = 400) -> BootstrapThresholds:
    th = resampled_thresholds("accuracy", TRUTH, _member_predictions(), TEAMS, resamples, seed=11)
    boot = BootstrapThresholds(
        task_id=spec.id,
        metric="accuracy",
        is_lower_better=False,
        seed=11,
        resamples=resamples,
        test_rows=ROWS,
        answers_sha256=sha256_file(pt.answers_path),
        leaderboard_sha256=sha256_file(spec.leaderboard_path),
        gold=th[0].tolist(),
        silver=th[1].tolist(),
        bronze=th[2].tolist(),
    )
    atomic_write_json(spec.leaderboard_path.parent / BOOTSTRAP_FILE, boot)
    return boot


def _csv(values: np.ndarray) -> str:
    return "id,target\n" + "".join(f"r{i:03d},{v}\n" for i, v in enumerate(values))


@pytest.fixture
def constructed(make_task):
    scores = [float((p == TRUTH).mean()) for p in _member_predictions()]
    spec, pt = make_task(task_id="nested", metric="accuracy", answers=_csv(TRUTH), leaderboard=scores)
    return spec, pt, _write_bootstrap(spec, pt)


def test_medal_confidence_matches_the_exact_tier_probability(constructed, tmp_path: Path) -> None:
    spec, pt, boot = constructed
    # One row short of the gold member: silver, and gold on exactly the resamples that miss row 381.
    sub = tmp_path / "silver.csv"
    sub.write_text(_csv(np.r_[np.ones(381, dtype=int), np.zeros(ROWS - 381, dtype=int)]))
    rep = grade_submission(sub, spec, pt)
    assert rep.silver_medal and not rep.gold_medal, rep.error
    drawn = (resample_indices(ROWS, boot.resamples, boot.seed) == 381).any(axis=1)
    assert rep.medal_confidence == pytest.approx(round(float(drawn.mean()), 4))
    assert rep.medal_confidence == pytest.approx(1 - (1 - 1 / ROWS) ** ROWS, abs=0.08)  # about 0.632
    # Perfect predictions are gold on every resample; a constant 0 is never a medal.
    perfect = tmp_path / "perfect.csv"
    perfect.write_text(_csv(TRUTH))
    assert grade_submission(perfect, spec, pt).medal_confidence == 1.0
    zero = tmp_path / "zero.csv"
    zero.write_text(_csv(np.zeros(ROWS, dtype=int)))
    rep0 = grade_submission(zero, spec, pt)
    assert not rep0.any_medal and rep0.medal_confidence == 1.0


def test_medal_confidence_midway_between_members_is_a_coin_toss(constructed) -> None:
    spec, _, boot = constructed
    y = TRUTH
    # right on rows [0, 341) plus row 399: ties member 29's count (silver) when row 341 is not drawn
    # or row 399 is; exact probability from the same resamples
    pred = np.r_[np.ones(341, dtype=int), np.zeros(ROWS - 341, dtype=int)]
    pred[399] = 1
    idx = resample_indices(ROWS, boot.resamples, boot.seed)
    holds = (idx == 399).sum(axis=1) >= (idx == 341).sum(axis=1)
    got = medal_confidence(spec, y, pred, 2, boot)
    assert got == pytest.approx(round(float(holds.mean()), 4))
    assert 0.2 < got < 0.95


def test_no_confidence_without_a_matching_bootstrap_file(constructed, tmp_path: Path) -> None:
    spec, pt, _ = constructed
    sub = tmp_path / "s.csv"
    sub.write_text(_csv(TRUTH))
    # the leaderboard changed after the thresholds were stored: they no longer apply
    spec.leaderboard_path.write_text(spec.leaderboard_path.read_text() + "extra,0.5\n")
    assert grade_submission(sub, spec, pt).medal_confidence is None
    (spec.leaderboard_path.parent / BOOTSTRAP_FILE).unlink()
    assert grade_submission(sub, spec, pt).medal_confidence is None
