"""An opt-in cache of model responses keyed by the full request, so a rerun replays with no upstream call.

The key is a SHA-256 of: the run's scope (task, seed, agent and its options: two seeds never share
answers), the resolved model and endpoint, every message, every parameter sent upstream, and how many
times this same request was already made in the run (drafting three times from the same prompt gets
three answers, and a replay gets the same three in order). One part of a message is left out: lines
starting with ``[status]``, where agents put what changes from run to run by itself (time left), so a
rerun's requests still match. Entries are JSON files written atomically under the cache folder (safe
with parallel runs); errors are never cached.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from medalist.fsutil import atomic_write_json

STATUS_LINE = re.compile(r"^\[status\][^\n]*$", re.M)
"""Lines agents mark as run-dependent (time left, ...); masked in the key."""


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return STATUS_LINE.sub("[status]", value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


def request_key(
    scope: str, model: str, api_base: str | None, messages: list[Any], params: dict[str, Any], occurrence: int = 0
) -> str:
    """The cache key of one request (see the module docstring)."""
    canonical = json.dumps(
        {
            "scope": scope,
            "model": model,
            "api_base": api_base,
            "messages": _masked(messages),
            "params": params,
            "occurrence": occurrence,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """Responses of one run's model calls, in ``folder`` (shared by runs: the scope keeps them apart)."""

    def __init__(self, folder: Path, scope: str) -> None:
        self.folder = Path(folder)
        self.scope = scope
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def key(self, model: str, api_base: str | None, messages: list[Any], params: dict[str, Any]) -> str:
        """The next key for this request (counts repeats of the same request in this run)."""
        base = request_key(self.scope, model, api_base, messages, params)
        with self._lock:
            n = self._seen[base]
            self._seen[base] += 1
        return request_key(self.scope, model, api_base, messages, params, n)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry (``response``, ``input_tokens``, ``output_tokens``, ``cost_usd``), or None."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("response"), dict) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {"key": key, "scope": self.scope, **entry})
