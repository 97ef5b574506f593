"""Plain-text formatting of a Comparison: numbers as people read them, and the rich tables of `compare`."""

from __future__ import annotations

from rich.table import Table

from medalist.report.aggregate import TASKS_RUN
from medalist.report.models import AgentSplitAggregate, Comparison, Estimate, n_tasks

COLUMNS: list[tuple[str, str]] = [
    ("any_medal", "any medal %"),
    ("gold_medal", "gold %"),
    ("silver_medal", "silver %"),
    ("bronze_medal", "bronze %"),
    ("above_median", "> median %"),
    ("submission_exists", "submitted %"),
    ("valid_submission", "valid %"),
    ("normalized_score", "norm. score"),
    ("success", "success %"),
    ("improvement", "improvement % (capped)"),
    ("improvement_median", "improvement % (median)"),
    ("medal_confidence", "medal confidence"),
]


def fmt_estimate(e: Estimate | None, digits: int = 1) -> str:
    """'mean ± SEM' ('mean' alone with one seed, '-' with none)."""
    if e is None or e.mean is None:
        return "-"
    if e.sem is None:
        return f"{e.mean:.{digits}f}"
    return f"{e.mean:.{digits}f} ± {e.sem:.{digits}f}"


def fmt_ci(
    e: Estimate | None, digits: int = 1, lo: float | None = None, hi: float | None = None, mlebench: bool = False
) -> str:
    """'[low, high]' of the t interval (or MLE-bench's 1.96*SEM one), optionally clipped to the metric's
    possible range (e.g. 0..100 for a rate)."""
    bounds = (
        (e.mlebench_ci_low, e.mlebench_ci_high)
        if e is not None and mlebench
        else ((e.ci_low, e.ci_high) if e is not None else (None, None))
    )
    if bounds[0] is None or bounds[1] is None:
        return "-"
    low = bounds[0] if lo is None else max(lo, bounds[0])
    high = bounds[1] if hi is None else min(hi, bounds[1])
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def fmt_status(agg: AgentSplitAggregate) -> str:
    """complete / padded (N missing runs as failures) / partial."""
    if agg.status == "padded":
        return f"padded ({agg.padded_runs} missing run{'s' if agg.padded_runs != 1 else ''} as failures)"
    if agg.status == "partial":
        return "partial: not the split's score"
    return "complete"


def fmt_seeds(agg: AgentSplitAggregate) -> str:
    extra = f" ({agg.unused_runs} later run{'s' if agg.unused_runs != 1 else ''} unused)" if agg.unused_runs else ""
    return f"{agg.n_seeds}{extra}"


def digits_of(metric: str) -> int:
    return 3 if metric in ("normalized_score", "medal_confidence") else 1


RATE_RANGE = (0.0, 100.0)


def fmt_pass_at_k(agg: AgentSplitAggregate) -> str:
    return "  ".join(f"@{k} {v * 100:.0f}%" for k, v in sorted(agg.pass_at_k.items())) or "-"


def fmt_cost(usd: float | None, unknown: bool = False) -> str:
    if unknown:
        return "unknown" if usd is None else f"{fmt_cost(usd)} + unknown"
    return "-" if usd is None else f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


def fmt_seconds(secs: float | None) -> str:
    if secs is None:
        return "-"
    if secs < 60:
        return f"{secs:.1f}s"
    if secs < 3600:
        return f"{secs / 60:.1f}m"
    return f"{secs / 3600:.2f}h"


def legend(comparison: Comparison) -> str:
    """What the numbers in split_table are, in one paragraph (printed once under the tables)."""
    seeds = "missing runs padded as failures" if comparison.pad_missing else "complete seeds only, later runs unused"
    return (
        f"protocol {comparison.protocol} ({seeds}): seed i = the i-th run of every task of the split; "
        "mean ± SEM over seeds; 95% CI: Student-t (clipped to 0-100) and MLE-bench's ±1.96·SEM. "
        "partial = over the tasks run only, not the split's score (--pad-missing scores it). "
        f"Improvement: capped at ±{comparison.improvement_cap * 100:.0f}% per run, or the median over tasks."
    )


def split_about(comparison: Comparison, split: str) -> str:
    """'25 tasks', or what the tasks-run pseudo-split is."""
    size = next((a.split_size for a in comparison.aggregates if a.split == split), 0)
    return n_tasks(size) + (": every task run, not a benchmark split" if split == TASKS_RUN else "")


def split_table(comparison: Comparison, split: str) -> Table:
    """One rich table per split: a row per metric, a column per agent (narrow enough for a terminal)."""
    aggs = [a for a in comparison.aggregates if a.split == split]
    table = Table(title=f"split {split} ({split_about(comparison, split)})", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for a in aggs:
        table.add_column(a.agent + ("\n(partial)" if a.status == "partial" else ""), justify="right")
    table.add_row("coverage", *[a.coverage for a in aggs])
    table.add_row("status", *[fmt_status(a) for a in aggs])
    table.add_row("seeds averaged", *[fmt_seeds(a) for a in aggs])
    for key, label in COLUMNS:
        if all(key not in a.metrics for a in aggs):
            continue  # e.g. no normalized score for tasks outside the registry
        table.add_row(label, *[fmt_estimate(a.metrics.get(key), digits_of(key)) for a in aggs])
        if key == "any_medal":
            table.add_row("  95% CI (t)", *[fmt_ci(a.metrics.get(key), 1, *RATE_RANGE) for a in aggs])
            table.add_row("  ±1.96·SEM", *[fmt_ci(a.metrics.get(key), 1, mlebench=True) for a in aggs])
    table.add_row("pass@k (any medal)", *[fmt_pass_at_k(a) for a in aggs])
    table.add_row("total cost", *[fmt_cost(a.total_cost_usd, a.cost_unknown) for a in aggs])
    table.add_row("total time", *[fmt_seconds(a.total_wall_seconds) for a in aggs])
    return table


def covered_splits(comparison: Comparison) -> list[str]:
    """'tasks-run' plus the splits some agent has a score on (complete or padded); partial ones stay in
    the JSON and are named by partial_summary."""
    scored = {a.split for a in comparison.aggregates if a.scored}
    return [s for s in comparison.splits if s == TASKS_RUN or s in scored]


def partial_summary(comparison: Comparison) -> list[str]:
    """One line per split left out of covered_splits: who ran how much of it."""
    shown = set(covered_splits(comparison))
    out = []
    for s in comparison.splits:
        if s not in shown:
            aggs = [a for a in comparison.aggregates if a.split == s]
            out.append(f"{s}: " + ", ".join(f"{a.agent} {a.coverage}" for a in aggs))
    return out
