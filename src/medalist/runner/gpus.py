"""GPUs for runs: check a host before a group starts, lease a run's GPUs and record them in run.json.

The lease is taken on the machine that executes the run (the local worker process, or a Dask worker),
from that machine's GPUs (narrowed by its ``CUDA_VISIBLE_DEVICES``), with the host-wide allocator of
:mod:`medalist.sandbox.gpu_alloc`; peaks are sampled on the same machine while the run executes.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from medalist.runner.models import RunRecord, RunSpec
from medalist.sandbox.gpu import GpuDevice, require_gpus
from medalist.sandbox.gpu_alloc import GpuAllocator
from medalist.sandbox.gpu_usage import GpuMonitor

log = logging.getLogger("medalist.runner")


def gpus_needed(limits: Iterable[int]) -> int:
    """The most GPUs any one run needs (0 = none)."""
    return max(limits, default=0)


def check_local_gpus(executor: str, needed: int) -> None:
    """For runs executing on this machine: fail now, in one line, unless it has ``needed`` GPUs."""
    if needed > 0 and executor == "local":
        require_gpus(needed)


@contextmanager
def run_gpus(spec: RunSpec, record: RunRecord) -> Iterator[tuple[GpuDevice, ...]]:
    """Hold the run's GPUs while the block runs; fill ``record.gpus``, ``gpu_wait_seconds`` and
    ``gpu_usage`` (sampled peaks). Yields ``()`` for a run that asks for no GPU."""
    n = spec.limits.gpus
    if n < 1:
        yield ()
        return
    allocator = GpuAllocator(require_gpus(n, where=f"host {socket.gethostname()}"))

    def waiting(holders: dict[str, dict[str, object]]) -> None:
        log.info(
            "run %s waits for %d free GPU(s); held by %s",
            spec.run_id,
            n,
            ", ".join(str(h.get("owner", "?")) for h in holders.values()),
        )

    lease = allocator.acquire(n, owner=f"{spec.group_id}/{spec.run_id}", on_wait=waiting)
    record.gpus, record.gpu_wait_seconds = list(lease.gpus), lease.waited_secs
    monitor = GpuMonitor(lease.gpus)
    try:
        with monitor:
            yield lease.gpus
    finally:
        record.gpu_usage = monitor.usage()  # after the monitor's last sample
        lease.release()


__all__ = ["check_local_gpus", "gpus_needed", "run_gpus"]
