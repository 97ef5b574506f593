"""Peak GPU memory and utilisation of a run, sampled on the host with ``nvidia-smi`` while it executes.

``nvidia-smi --query-gpu=uuid,memory.used,utilization.gpu --format=csv,noheader,nounits`` once at the
start, every ``MEDALIST_GPU_SAMPLE_SECS`` (default 1) seconds, and once at the end. The allocator gives
each run its GPUs exclusively, so what a GPU uses is that run's (plus anything outside medalist).
Memory is summed over the run's GPUs per sample; utilisation is the busiest GPU's.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from types import TracebackType

from pydantic import BaseModel

from medalist.errors import MedalistError
from medalist.sandbox.gpu import GpuDevice, run_smi

ENV_SAMPLE_SECS = "MEDALIST_GPU_SAMPLE_SECS"
QUERY = ["--query-gpu=uuid,memory.used,utilization.gpu", "--format=csv,noheader,nounits"]
MIB = 2**20


class GpuUsage(BaseModel):
    """A run's GPU peaks (None = never measured) and how many samples they come from."""

    peak_memory_bytes: int | None = None
    peak_utilization_pct: float | None = None
    samples: int = 0
    error: str | None = None  # why sampling failed, when it did


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None


def parse_query(text: str) -> dict[str, tuple[float | None, float | None]]:
    """``uuid, memory.used (MiB), utilization.gpu (%)`` CSV lines -> uuid -> (bytes, percent)."""
    out = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[0]:
            mem = _number(parts[1])
            out[parts[0]] = (mem * MIB if mem is not None else None, _number(parts[2]))
    return out


class GpuMonitor:
    """Samples ``gpus`` in a background thread between ``__enter__`` and ``__exit__``."""

    def __init__(self, gpus: Sequence[GpuDevice], interval: float | None = None) -> None:
        self.uuids = [g.uuid for g in gpus]
        self.interval = interval if interval is not None else float(os.environ.get(ENV_SAMPLE_SECS) or 1.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._usage = GpuUsage()

    def sample(self) -> None:
        """Take one sample now (a failing nvidia-smi is remembered, never raised)."""
        try:
            values = parse_query(run_smi(QUERY))
        except MedalistError as exc:
            self._usage.error = str(exc)
            return
        mine = [values[u] for u in self.uuids if u in values]
        if not mine:
            return
        u = self._usage
        u.samples += 1
        mems = [m for m, _ in mine if m is not None]
        utils = [p for _, p in mine if p is not None]
        if mems:
            u.peak_memory_bytes = max(u.peak_memory_bytes or 0, int(sum(mems)))
        if utils:
            u.peak_utilization_pct = max(u.peak_utilization_pct or 0.0, max(utils))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> GpuMonitor:
        if self.uuids:
            self.sample()
            self._thread = threading.Thread(target=self._loop, name="medalist-gpu-monitor", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.sample()

    def usage(self) -> GpuUsage | None:
        """The peaks so far (None for a run without GPUs)."""
        return self._usage.model_copy() if self.uuids else None


__all__ = ["GpuMonitor", "GpuUsage", "parse_query"]
