"""Hand-rolled inline SVG: a task's leaderboard distribution with medal lines and the agents' scores.

No external resources; every text node is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from medalist.report.models import TaskInfo

PALETTE = ("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#9c755f", "#edc948")
LINE_COLORS = {"gold": "#c9a000", "silver": "#8a949e", "bronze": "#b0703c", "median": "#555555"}


def agent_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Mark:
    """One agent run's score on the plot."""

    agent: str
    row: int
    score: float
    label: str
    color: str


def fmt(v: float) -> str:
    return f"{v:.4g}"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round-number ticks covering [lo, hi]."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + step * 1e-9:
        out.append(round(v, 12))
        v += step
    return out


def leaderboard_plot(task: TaskInfo, marks: Sequence[Mark], agents: Sequence[str], width: int = 640) -> Markup:
    """SVG strip: leaderboard histogram, medal/median/sample lines, one row of run markers per agent.

    The x axis is oriented so that better scores are always to the right.
    """
    lb = task.leaderboard_scores
    lines = [(name, getattr(task, f"{name}_threshold")) for name in ("gold", "silver", "bronze", "median")]
    lines = [(n, v) for n, v in lines if v is not None]
    values = list(lb) + [v for _, v in lines] + [m.score for m in marks]
    if task.sample_score is not None:
        values.append(task.sample_score)
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return Markup('<p class="muted">No leaderboard and no valid scores to plot.</p>')
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1), hi + 0.5 * (abs(hi) or 1)
    pad = (hi - lo) * 0.04
    lo, hi = lo - pad, hi + pad
    left, right = 130, 16
    plot_w = width - left - right

    def x(v: float) -> float:
        f = (v - lo) / (hi - lo)
        return left + (1 - f if task.is_lower_better else f) * plot_w

    levels: list[int] = []
    for i, (_, v) in enumerate(lines):  # stagger labels of lines that sit close together
        near = [levels[j] for j in range(i) if abs(x(lines[j][1]) - x(v)) < 46]
        levels.append(min(set(range(len(lines))) - set(near)))
    hist_h = 80 if lb else 0
    top = 20 + 11 * max(levels, default=0)
    row_h = 22
    rows_y = top + hist_h + 10
    axis_y = rows_y + row_h * max(1, len(agents)) + 4
    height = axis_y + 40

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lbplot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(task.task_id)} score plot">'
    ]
    parts.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{axis_y - top}" fill="#fafbfc" stroke="#e3e6ea"/>'
    )
    if lb:
        bins = 40
        counts = [0] * bins
        for s in lb:
            i = min(bins - 1, max(0, int((s - lo) / (hi - lo) * bins)))
            counts[i] += 1
        peak = max(counts)
        bw = plot_w / bins
        for i, c in enumerate(counts):
            if not c:
                continue
            h = hist_h * c / peak
            x0, x1 = x(lo + (hi - lo) * i / bins), x(lo + (hi - lo) * (i + 1) / bins)
            parts.append(
                f'<rect x="{min(x0, x1):.1f}" y="{top + hist_h - h:.1f}" width="{max(bw - 1, 1):.1f}" '
                f'height="{h:.1f}" fill="#c5cdd6"><title>{c} leaderboard entries</title></rect>'
            )
        parts.append(
            f'<text x="{left - 8}" y="{top + hist_h / 2 + 4:.0f}" text-anchor="end" class="lbl">'
            f"leaderboard ({len(lb)})</text>"
        )
    for (name, v), level in zip(lines, levels):
        xv = x(v)
        dash = ' stroke-dasharray="4 3"' if name == "median" else ""
        parts.append(
            f'<line x1="{xv:.1f}" x2="{xv:.1f}" y1="{top}" y2="{axis_y}" stroke="{LINE_COLORS[name]}" '
            f'stroke-width="1.5"{dash}><title>{name}: {fmt(v)}</title></line>'
        )
        parts.append(
            f'<text x="{xv:.1f}" y="{top - 5 - 11 * level}" text-anchor="middle" class="lbl" '
            f'fill="{LINE_COLORS[name]}">{name}</text>'
        )
    if task.sample_score is not None:
        xs = x(task.sample_score)
        parts.append(
            f'<line x1="{xs:.1f}" x2="{xs:.1f}" y1="{top}" y2="{axis_y}" stroke="#222" stroke-width="1" '
            f'stroke-dasharray="1 3"><title>sample submission: {fmt(task.sample_score)}</title></line>'
        )
        parts.append(f'<text x="{xs:.1f}" y="{axis_y - 4}" text-anchor="start" dx="3" class="lbl muted">sample</text>')
    for r, agent in enumerate(agents):
        y = rows_y + row_h * r + row_h / 2
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.0f}" text-anchor="end" class="lbl">{escape(_short(agent))}</text>'
        )
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eceff2"/>')
    for m in marks:
        y = rows_y + row_h * m.row + row_h / 2
        parts.append(
            f'<circle cx="{x(m.score):.1f}" cy="{y:.1f}" r="6" fill="{m.color}" fill-opacity="0.85" '
            f'stroke="#fff" stroke-width="1.5"><title>{escape(m.label)}</title></circle>'
        )
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{axis_y}" y2="{axis_y}" stroke="#888"/>')
    for t in _ticks(lo, hi):
        xt = x(t)
        parts.append(f'<line x1="{xt:.1f}" x2="{xt:.1f}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#888"/>')
        parts.append(f'<text x="{xt:.1f}" y="{axis_y + 16}" text-anchor="middle" class="tick">{fmt(t)}</text>')
    direction = "lower is better" if task.is_lower_better else "higher is better"
    parts.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{axis_y + 33}" text-anchor="middle" class="lbl muted">'
        f"{escape(task.metric)} ({direction}; better to the right)</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(text: str, n: int = 20) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"
