"""Timestamps as medalist writes them into every serialised file."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    """ISO-8601 UTC timestamp, seconds precision."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
