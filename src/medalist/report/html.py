"""Render a Comparison (plus each run's trace) as one self-contained HTML file.

Everything is inline (CSS, a few lines of JS, SVG plots); jinja2 autoescaping escapes every string,
so agent-produced text (code, logs, errors, plans) can never inject markup or scripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from medalist import __version__
from medalist.report.models import AgentSplitAggregate, Comparison, RunView, TaskAgentCell
from medalist.report.svg import Mark, agent_color, leaderboard_plot
from medalist.report.table import (
    COLUMNS,
    RATE_RANGE,
    covered_splits,
    digits_of,
    fmt_ci,
    fmt_cost,
    fmt_estimate,
    fmt_pass_at_k,
    fmt_seconds,
    fmt_status,
    split_about,
)
from medalist.report.traces import RunTrace, read_trace

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = lambda v: "-" if v is None else f"{v:.5g}"
    env.filters["seconds"] = fmt_seconds
    env.filters["cost"] = fmt_cost
    env.filters["tokens"] = lambda v: "-" if v is None else f"{v:,}"
    return env


def slug(text: str) -> str:
    """An HTML id from arbitrary text."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def medal_of(run: RunView) -> str:
    rep = run.report
    if rep is None:
        return "ungraded"
    if rep.gold_medal:
        return "gold"
    if rep.silver_medal:
        return "silver"
    if rep.bronze_medal:
        return "bronze"
    if rep.above_median:
        return "above-median"
    return "valid" if rep.valid_submission else "invalid"


@dataclass
class RunPage:
    run: RunView
    anchor: str
    medal: str
    color: str
    trace: RunTrace


def _leaderboard_rows(comparison: Comparison, split: str) -> list[dict[str, Any]]:
    """Agents with a score on the split, ranked by any-medal rate then normalized score; agents that
    ran the split only partly follow, unranked."""
    aggs: list[AgentSplitAggregate] = [a for a in comparison.aggregates if a.split == split]

    def key(a: AgentSplitAggregate) -> tuple[bool, float, float]:
        any_m = a.metrics.get("any_medal")
        norm = a.metrics.get("normalized_score")
        return (
            not a.scored,
            -(any_m.mean or 0) if any_m else 0,
            -(norm.mean or 0) if norm and norm.mean is not None else 0,
        )

    rows = []
    rank = 0
    for a in sorted(aggs, key=key):
        rank += a.scored
        rows.append(
            {
                "rank": rank if a.scored else "",
                "agent": a.agent,
                "color": agent_color(comparison.agents.index(a.agent)),
                "coverage": a.coverage,
                "status": a.status,
                "status_text": fmt_status(a),
                "runs": a.n_runs,
                "seeds": a.n_seeds,
                "unused": a.unused_runs,
                "cells": [fmt_estimate(a.metrics.get(k), digits_of(k)) for k, _ in COLUMNS],
                "ci": fmt_ci(a.metrics.get("any_medal"), 1, *RATE_RANGE),
                "ci_mlebench": fmt_ci(a.metrics.get("any_medal"), 1, mlebench=True),
                "pass_at_k": fmt_pass_at_k(a),
                "cost": fmt_cost(a.total_cost_usd, a.cost_unknown),
                "time": fmt_seconds(a.total_wall_seconds),
            }
        )
    return rows


def _matrix(comparison: Comparison) -> list[dict[str, Any]]:
    rows = []
    for tid in sorted({c.task_id for c in comparison.cells}):
        cells: list[TaskAgentCell | None] = [comparison.cell(tid, a) for a in comparison.agents]
        rows.append({"task": tid, "anchor": "task-" + slug(tid), "cells": cells})
    return rows


def _task_plots(comparison: Comparison) -> list[dict[str, Any]]:
    out = []
    for tid in sorted({r.task_id for r in comparison.runs}):
        info = comparison.tasks.get(tid)
        runs = [r for r in comparison.runs if r.task_id == tid]
        invalid = [r for r in runs if r.report is None or r.report.score is None or not r.report.valid_submission]
        svg = None
        if info is not None:
            marks = [
                Mark(
                    agent=r.agent,
                    row=comparison.agents.index(r.agent),
                    score=r.report.score,
                    label=f"{r.agent}, seed {r.seed}: {r.report.score:.6g} ({medal_of(r)})",
                    color=agent_color(comparison.agents.index(r.agent)),
                )
                for r in runs
                if r not in invalid and r.report is not None and r.report.score is not None
            ]
            svg = leaderboard_plot(info, marks, comparison.agents)
        out.append(
            {
                "task": tid,
                "anchor": "task-" + slug(tid),
                "info": info,
                "svg": svg,
                "invalid": invalid,
                "n_runs": len(runs),
            }
        )
    return out


def _run_pages(comparison: Comparison) -> list[RunPage]:
    pages = []
    for r in comparison.runs:
        trace = read_trace(Path(r.run_dir), **r.paths) if r.run_dir else RunTrace()
        pages.append(
            RunPage(
                run=r,
                anchor="run-" + slug(r.key),
                medal=medal_of(r),
                color=agent_color(comparison.agents.index(r.agent)),
                trace=trace,
            )
        )
    return pages


def render_report(comparison: Comparison, title: str = "medalist report") -> str:
    """The whole report as one HTML string."""
    max_secs = max((r.wall_seconds or 0 for r in comparison.runs), default=0) or 1
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            title=title,
            version=__version__,
            c=comparison,
            columns=[label for _, label in COLUMNS],
            splits=[
                (s, split_about(comparison, s), _leaderboard_rows(comparison, s)) for s in covered_splits(comparison)
            ],
            partial_splits=[
                (s, split_about(comparison, s), _leaderboard_rows(comparison, s))
                for s in comparison.splits
                if s not in covered_splits(comparison)
            ],
            agent_colors={a: agent_color(i) for i, a in enumerate(comparison.agents)},
            matrix=_matrix(comparison),
            plots=_task_plots(comparison),
            pages=_run_pages(comparison),
            max_secs=max_secs,
        )
    )


def write_report(comparison: Comparison, out: Path, title: str = "medalist report") -> Path:
    """Render and atomically write the report; returns the path written."""
    from medalist.fsutil import atomic_write_text

    out = Path(out)
    atomic_write_text(out, render_report(comparison, title))
    return out
