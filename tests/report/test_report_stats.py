"""Statistics helpers, checked against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from medalist.report.stats import estimate, normalized_score, pass_at_k
from medalist.tasks.baseline import improvement


def test_estimate_four_values() -> None:
    e = estimate([1, 2, 3, 4])
    # mean 2.5; sd (ddof=1) = sqrt(5/3) = 1.290994; sem = sd/2 = 0.645497; t(0.975, 3) = 3.182446
    assert e.mean == pytest.approx(2.5)
    assert e.sem == pytest.approx(math.sqrt(5 / 3) / 2)
    assert e.ci_low == pytest.approx(2.5 - 3.182446 * 0.645497, abs=1e-5)
    assert e.ci_high == pytest.approx(2.5 + 3.182446 * 0.645497, abs=1e-5)
    assert e.n == 4 and e.values == [1, 2, 3, 4]


def test_estimate_one_and_none() -> None:
    one = estimate([7.0])
    assert one.mean == 7.0 and one.sem is None and one.ci_low is None and one.n == 1
    none = estimate([])
    assert none.mean is None and none.n == 0


def test_estimate_constant_has_zero_width() -> None:
    e = estimate([3.0, 3.0, 3.0])
    assert e.sem == 0 and e.ci_low == e.ci_high == 3.0


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 0.4),  # pass@1 = c/n
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (5, 2, 4, 1.0),  # n - c < k: always a success in the draw
        (3, 1, 2, 2 / 3),  # 1 - C(2,2)/C(3,2)
        (4, 0, 3, 0.0),
        (4, 4, 1, 1.0),
    ],
)
def test_pass_at_k(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_improvement_directions() -> None:
    assert improvement(0.8, 0.5, is_lower_better=False) == pytest.approx(0.6)
    assert improvement(6.0, 8.0, is_lower_better=True) == pytest.approx(0.25)
    assert improvement(9.0, 8.0, is_lower_better=True) == pytest.approx(-0.125)
    assert improvement(-0.5, -1.0, is_lower_better=False) == pytest.approx(0.5)  # negative baseline: |b|
    assert improvement(1.0, 0.0, is_lower_better=False) is None


def test_normalized_score() -> None:
    assert normalized_score(0.8, 0.5, 0.9) == pytest.approx(0.75)
    assert normalized_score(6.0, 10.0, 2.0) == pytest.approx(0.5)  # lower is better: same formula
    assert normalized_score(12.0, 10.0, 2.0) == pytest.approx(-0.25)  # worse than the sample: negative
    assert normalized_score(1.0, 2.0, 2.0) is None
