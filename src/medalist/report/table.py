"""Plain-text formatting of a Comparison: numbers as people read them, and the rich tables of `compare`."""

from __future__ import annotations

from rich.table import Table

from medalist.report.models import AgentSplitAggregate, Comparison, Estimate

COLUMNS: list[tuple[str, str]] = [
    ("any_medal", "any medal %"),
    ("gold_medal", "gold %"),
    ("silver_medal", "silver %"),
    ("bronze_medal", "bronze %"),
    ("above_median", "> median %"),
    ("valid_submission", "valid %"),
    ("success", "success %"),
    ("improvement", "improvement %"),
    ("normalized_score", "norm. score"),
    ("medal_confidence", "medal conf."),
]


def fmt_estimate(e: Estimate | None, digits: int = 1) -> str:
    """'mean ± SEM' ('mean' alone with one seed, '-' with none)."""
    if e is None or e.mean is None:
        return "-"
    if e.sem is None:
        return f"{e.mean:.{digits}f}"
    return f"{e.mean:.{digits}f} ± {e.sem:.{digits}f}"


def fmt_ci(e: Estimate | None, digits: int = 1, lo: float | None = None, hi: float | None = None) -> str:
    """'[low, high]', optionally clipped to the metric's possible range (e.g. 0..100 for a rate)."""
    if e is None or e.ci_low is None or e.ci_high is None:
        return "-"
    low = e.ci_low if lo is None else max(lo, e.ci_low)
    high = e.ci_high if hi is None else min(hi, e.ci_high)
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


RATE_RANGE = (0.0, 100.0)


def fmt_pass_at_k(agg: AgentSplitAggregate) -> str:
    return "  ".join(f"@{k} {v * 100:.0f}%" for k, v in sorted(agg.pass_at_k.items())) or "-"


def fmt_cost(usd: float | None) -> str:
    return "-" if usd is None else f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


def fmt_seconds(secs: float | None) -> str:
    if secs is None:
        return "-"
    if secs < 60:
        return f"{secs:.1f}s"
    if secs < 3600:
        return f"{secs / 60:.1f}m"
    return f"{secs / 3600:.2f}h"


def split_table(comparison: Comparison, split: str) -> Table:
    """One rich table per split: a row per metric, a column per agent (narrow enough for a terminal)."""
    aggs = [a for a in comparison.aggregates if a.split == split]
    size = aggs[0].split_size if aggs else 0
    table = Table(title=f"split {split} ({size} tasks)", title_justify="left", caption="mean ± SEM over seeds; 95% CI Student-t, clipped to 0-100")
    table.add_column("metric", no_wrap=True)
    for a in aggs:
        table.add_column(a.agent, justify="right")
    table.add_row("tasks run", *[f"{len(a.tasks)}/{a.split_size}" for a in aggs])
    table.add_row("runs (seeds)", *[f"{a.n_runs} ({len(a.seeds)})" for a in aggs])
    for key, label in COLUMNS:
        table.add_row(label, *[fmt_estimate(a.metrics.get(key), 3 if key in ("normalized_score", "medal_confidence") else 1) for a in aggs])
        if key == "any_medal":
            table.add_row("  95% CI", *[fmt_ci(a.metrics.get(key), 1, *RATE_RANGE) for a in aggs])
    table.add_row("pass@k (any medal)", *[fmt_pass_at_k(a) for a in aggs])
    table.add_row("total cost", *[fmt_cost(a.total_cost_usd) for a in aggs])
    table.add_row("total time", *[fmt_seconds(a.total_wall_seconds) for a in aggs])
    return table


def covered_splits(comparison: Comparison) -> list[str]:
    """'all' plus the splits some agent ran completely (partial splits stay in the JSON)."""
    full = {a.split for a in comparison.aggregates if len(a.tasks) == a.split_size}
    return [s for s in comparison.splits if s == "all" or s in full]
