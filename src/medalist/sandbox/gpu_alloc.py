"""A per-host GPU allocator: each run gets N whole GPUs that no concurrently executing run holds.

One lock file per GPU (named by UUID) in a host-wide folder (``MEDALIST_GPU_LOCK_DIR``, default
``/run/medalist/gpus``, else ``<tmp>/medalist-gpus``). A run holds ``flock`` on the files of its GPUs
for as long as it executes; the kernel drops a lock when its holder's file is closed, so a crashed
run, a worker killed with ``kill -9`` or a lost Dask worker never leaves a GPU taken (the file stays,
naming its last holder, but holds nothing). Choosing is all-or-nothing under a second, short-held lock
(``allocate.lock``), so two runs that need two GPUs each never end up with one each; among free GPUs
the least recently leased goes first, which spreads runs over the devices. Works across processes and
threads (every lease opens its own file descriptions), on one host; Dask workers on different hosts
each allocate from their own host's GPUs.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from medalist.errors import MedalistError
from medalist.sandbox.gpu import GpuDevice

ENV_LOCK_DIR = "MEDALIST_GPU_LOCK_DIR"
ALLOCATE_LOCK = "allocate.lock"
POLL_SECS = 0.5


def lock_dir() -> Path:
    """The host-wide folder of GPU lock files (created, world-searchable)."""
    hook = os.environ.get(ENV_LOCK_DIR)
    options = [Path(hook)] if hook else [Path("/run/medalist/gpus"), Path(tempfile.gettempdir()) / "medalist-gpus"]
    problems = []
    for d in options:
        try:
            d.mkdir(parents=True, exist_ok=True)
            if os.access(d, os.W_OK | os.X_OK):
                return d
            problems.append(f"{d} is not writable")
        except OSError as exc:
            problems.append(f"{d}: {exc.strerror or exc}")
    raise MedalistError(f"no usable GPU lock folder ({'; '.join(problems)}); set {ENV_LOCK_DIR}")


def _lock_name(gpu: GpuDevice) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", gpu.uuid) + ".lock"


def _open(path: Path) -> IO[str]:
    fh = open(path, "a+")
    try:
        os.chmod(path, 0o644)
    except OSError:
        pass
    return fh


def _try_flock(fh: IO[str]) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@dataclass
class GpuLease:
    """GPUs held by one run until :meth:`release` (or until the holding process dies)."""

    gpus: tuple[GpuDevice, ...]
    _handles: list[IO[str]] = field(default_factory=list, repr=False)
    waited_secs: float = 0.0

    def release(self) -> None:
        for fh in self._handles:
            fh.close()  # closing the file drops its flock
        self._handles.clear()


class GpuAllocator:
    """Leases whole GPUs out of ``gpus`` (this host's, or a Dask worker's), disjoint across processes."""

    def __init__(self, gpus: Sequence[GpuDevice], root: Path | None = None) -> None:
        self.gpus = list(gpus)
        self.root = Path(root) if root is not None else lock_dir()

    def _path(self, gpu: GpuDevice) -> Path:
        return self.root / _lock_name(gpu)

    def holders(self) -> dict[str, dict[str, Any]]:
        """UUID -> what the lock file says about the last holder (owner, pid, host, since)."""
        out = {}
        for g in self.gpus:
            try:
                out[g.uuid] = json.loads(self._path(g).read_text() or "{}")
            except (OSError, ValueError):
                out[g.uuid] = {}
        return out

    def try_acquire(self, n: int, owner: str) -> GpuLease | None:
        """``n`` free GPUs now (least recently leased first), or None when fewer than ``n`` are free."""
        with _open(self.root / ALLOCATE_LOCK) as gate:
            fcntl.flock(gate, fcntl.LOCK_EX)  # held only while choosing: milliseconds

            def last_used(g: GpuDevice) -> tuple[float, int]:
                try:
                    return self._path(g).stat().st_mtime, g.index
                except OSError:
                    return 0.0, g.index

            taken: list[tuple[GpuDevice, IO[str]]] = []
            for g in sorted(self.gpus, key=last_used):
                fh = _open(self._path(g))
                if _try_flock(fh):
                    taken.append((g, fh))
                    if len(taken) == n:
                        break
                else:
                    fh.close()
            if len(taken) < n:
                for _, fh in taken:
                    fh.close()
                return None
            info = {"owner": owner, "pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
            for _, fh in taken:
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(info))
                fh.flush()
            return GpuLease(
                gpus=tuple(sorted((g for g, _ in taken), key=lambda g: g.index)), _handles=[fh for _, fh in taken]
            )

    def acquire(
        self,
        n: int,
        owner: str,
        *,
        wait_secs: float | None = None,
        on_wait: Callable[[dict[str, dict[str, Any]]], None] | None = None,
    ) -> GpuLease:
        """``n`` GPUs, waiting for runs that hold them to finish (up to ``wait_secs``; None = no limit)."""
        if n < 1:
            return GpuLease(gpus=())
        if n > len(self.gpus):
            raise MedalistError(f"a run needs {n} GPU(s) but only {len(self.gpus)} are available here")
        start = time.monotonic()
        told = False
        while True:
            lease = self.try_acquire(n, owner)
            if lease is not None:
                lease.waited_secs = round(time.monotonic() - start, 3)
                return lease
            if wait_secs is not None and time.monotonic() - start > wait_secs:
                raise MedalistError(f"no {n} free GPU(s) after {wait_secs:g}s (held by {self.holders()})")
            if on_wait is not None and not told:
                on_wait(self.holders())
                told = True
            time.sleep(POLL_SECS)

    @contextmanager
    def lease(self, n: int, owner: str, *, wait_secs: float | None = None) -> Iterator[tuple[GpuDevice, ...]]:
        """Hold ``n`` GPUs for the ``with`` block (released on exit, exceptions included)."""
        held = self.acquire(n, owner, wait_secs=wait_secs)
        try:
            yield held.gpus
        finally:
            held.release()


__all__ = ["ENV_LOCK_DIR", "GpuAllocator", "GpuLease", "lock_dir"]
