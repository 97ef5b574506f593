"""Live progress of a run group: one row per run (status, time, score) and a totals line."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from medalist.runner.group import RunGroup
from medalist.runner.models import RunEntry

STYLE = {
    "pending": "dim",
    "running": "cyan",
    "completed": "green",
    "failed": "red",
    "timeout": "yellow",
    "oom": "magenta",
    "error": "bold red",
}
MAX_ROWS = 40


class GroupView:
    """A rich renderable re-read on every refresh (statuses come from the group's metadata)."""

    def __init__(self, group: RunGroup) -> None:
        self.group = group
        self.started: dict[str, float] = {}
        self.t0 = time.monotonic()

    def _elapsed(self, entry: RunEntry) -> str:
        """A finished run's wall time; a running run's time so far (from its start, or since first seen)."""
        if entry.status == "running":
            if entry.started_at:
                return f"{(datetime.now(timezone.utc) - datetime.fromisoformat(entry.started_at)).total_seconds():.0f}s"
            return f"{time.monotonic() - self.started.setdefault(entry.run_id, time.monotonic()):.0f}s"
        return "" if entry.seconds is None else f"{entry.seconds:.0f}s"

    def __rich__(self) -> RenderableType:
        meta = self.group.meta
        table = Table(title=f"{meta.group_id}  ({meta.executor.name} x{meta.executor.workers}, sandbox {meta.sandbox})")
        for col in ("run", "status", "time", "score"):
            table.add_column(col)
        counts: dict[str, int] = {}
        rows = []
        for e in meta.runs:
            counts[e.status] = counts.get(e.status, 0) + 1
            score = f"{e.score:.5g}" if e.score is not None else ("invalid" if e.valid_submission is False else "")
            rows.append((e.run_id, Text(e.status, style=STYLE.get(e.status, "")), self._elapsed(e), score))
        # Show active runs first when the group is large.
        rows.sort(key=lambda r: (r[1].plain not in ("running",), 0))
        for r in rows[:MAX_ROWS]:
            table.add_row(*r)
        if len(rows) > MAX_ROWS:
            table.add_row(f"... {len(rows) - MAX_ROWS} more", "", "", "")
        done = sum(v for k, v in counts.items() if k not in ("pending", "running"))
        totals = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        line = Text(f"{done}/{len(rows)} runs finished ({totals}) - {time.monotonic() - self.t0:.0f}s elapsed")
        return Group(table, line)
