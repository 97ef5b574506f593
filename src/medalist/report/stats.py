"""Small statistics used by the aggregation: mean +- SEM with a t-based 95% CI (and MLE-bench's
1.96*SEM interval beside it), pass@k, score transforms and the guards that keep relative improvement sane.

Every function is pure and works on plain numbers so the results can be checked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats as _stats

from medalist.report.models import DEGENERATE_BASELINE_RATIO, IMPROVEMENT_CAP, Estimate

CI_METHOD = "t"  # Student-t interval over per-seed values: mean +- t(0.975, n-1) * SEM
CI_LEVEL = 0.95
MLEBENCH_Z = 1.96  # MLE-bench's leaderboard interval: mean +- 1.96 * SEM


def estimate(values: Sequence[float]) -> Estimate:
    """Mean, standard error of the mean and a two-sided t-based 95% CI of ``values``.

    With one value the SEM and CI are undefined (None); with none, everything is None.
    SEM uses the sample standard deviation (ddof=1) divided by sqrt(n).
    """
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        return Estimate(n=0)
    mean = math.fsum(vals) / n
    if n == 1:
        return Estimate(mean=mean, n=1, values=vals)
    var = math.fsum((v - mean) ** 2 for v in vals) / (n - 1)
    sem = math.sqrt(var / n)
    half = float(_stats.t.ppf(0.5 + CI_LEVEL / 2, n - 1)) * sem
    return Estimate(
        mean=mean,
        sem=sem,
        ci_low=mean - half,
        ci_high=mean + half,
        mlebench_ci_low=mean - MLEBENCH_Z * sem,
        mlebench_ci_high=mean + MLEBENCH_Z * sem,
        n=n,
        values=vals,
    )


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k: probability that at least one of ``k`` runs drawn without replacement from
    ``n`` runs (``c`` of them successful) succeeds: 1 - C(n-c, k) / C(n, k)."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n (got n={n}, c={c})")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n (got n={n}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def normalized_score(score: float, zero: float, one: float) -> float | None:
    """Linear rescale so ``zero`` (the sample submission's score) maps to 0 and ``one`` (the
    leaderboard's best) to 1; direction-free because both ends share the metric's orientation.
    None when the two anchors coincide."""
    if one == zero:
        return None
    return (score - zero) / (one - zero)


def capped(value: float, cap: float = IMPROVEMENT_CAP) -> float:
    """``value`` clipped to [-cap, cap]."""
    return max(-cap, min(cap, value))


def degenerate_baseline(baseline: float, best: float | None) -> bool:
    """Whether relative improvement over ``baseline`` is meaningless: the baseline is 0, or it is ~0
    next to the distance to the leaderboard's ``best`` (see DEGENERATE_BASELINE_RATIO)."""
    if baseline == 0:
        return True
    if best is None or best == baseline:
        return False
    return abs(baseline) <= DEGENERATE_BASELINE_RATIO * abs(best - baseline)
