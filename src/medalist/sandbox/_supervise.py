"""Shared by the backends: output files, the wait loop (timeout + disk guard), and result assembly.

Kept separate from the backends so ``bwrap`` and ``process`` enforce timeouts and the disk guard the
same way; only how a run is launched and killed differs.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from medalist.sandbox.base import ExitReason, SandboxRequest

GiB = 1 << 30
POLL_SECS = 0.1  # how often the wait loop wakes to check the disk guard
DISK_SCAN_SECS = 0.5  # a full size scan of writable mounts is rarer than the cheap free-space check
FREE_RESERVE_BYTES = 1 * GiB  # never let a run push a filesystem below this (or half its start free)


def tree_usage(root: Path) -> tuple[int, int]:
    """(bytes of disk blocks, number of entries) under ``root``, never following symlinks (the tree is
    untrusted)."""
    total = 0
    count = 0
    stack = [root]
    while stack:
        path = stack.pop()
        try:
            with os.scandir(path) as it:
                for entry in it:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    count += 1
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
        except (NotADirectoryError, FileNotFoundError, PermissionError):
            try:
                total += os.lstat(path).st_blocks * 512
            except OSError:
                pass
    return total, count


def _used_inodes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_files - st.f_ffree


def _free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


@dataclass
class DiskGuard:
    """Stops a run that writes too much: growth of the writable mounts beyond ``limit_bytes``, or any
    watched filesystem falling below its free-space reserve (so a disk fill cannot starve the harness).
    """

    writable: list[Path]
    limit_bytes: int | None
    baseline: int = 0
    reserves: dict[Path, int] = field(default_factory=dict)
    limit_files: int | None = None
    baseline_files: int = 0
    inodes_at_start: dict[Path, int] = field(default_factory=dict)
    _next_scan: float = 0.0

    @classmethod
    def start(cls, request: SandboxRequest) -> DiskGuard:
        """Measure the starting size and free space of everything the run may write to."""
        writable = [m.source for m in request.mounts if m.writable]
        disk_gb = getattr(request.limits, "disk_gb", None)
        limit = int(disk_gb * GiB) if disk_gb is not None else None
        watched = list(writable) + [p.parent for p in (request.stdout, request.stderr) if p is not None]
        reserves: dict[Path, int] = {}
        for path in watched:
            try:
                reserves[path] = min(FREE_RESERVE_BYTES, _free_bytes(path) // 2)
            except OSError:
                pass
        max_files = getattr(request.limits, "max_files", None)
        usage = [tree_usage(p) for p in writable] if (limit is not None or max_files is not None) else []
        inodes: dict[Path, int] = {}
        if max_files is not None:
            for path in writable:
                try:
                    inodes[path] = _used_inodes(path)
                except OSError:
                    pass
        return cls(
            writable=writable,
            limit_bytes=limit,
            baseline=sum(u[0] for u in usage),
            reserves=reserves,
            limit_files=max_files,
            baseline_files=sum(u[1] for u in usage),
            inodes_at_start=inodes,
        )

    def _inode_alarm(self) -> bool:
        """Cheap check (statvfs) whether the mounts' filesystems gained more inodes than the file limit:
        then the full count runs at once instead of waiting for the next scan."""
        if self.limit_files is None:
            return False
        for path, start in self.inodes_at_start.items():
            try:
                if _used_inodes(path) - start > self.limit_files:
                    return True
            except OSError:
                continue
        return False

    def violation(self) -> tuple[ExitReason, str] | None:
        """``(exit_reason, one-line detail)`` if the run must be stopped now, else None."""
        for path, reserve in self.reserves.items():
            try:
                free = _free_bytes(path)
            except OSError:
                continue
            if free < reserve:
                return (
                    "killed",
                    f"disk guard: free space on {path} fell to {free >> 20} MiB (reserve {reserve >> 20} MiB)",
                )
        now = time.monotonic()
        scan = self.limit_bytes is not None or self.limit_files is not None
        if scan and (now >= self._next_scan or self._inode_alarm()):
            usage = [tree_usage(p) for p in self.writable]
            self._next_scan = time.monotonic() + DISK_SCAN_SECS
            grown = sum(u[0] for u in usage) - self.baseline
            files = sum(u[1] for u in usage) - self.baseline_files
            if self.limit_bytes is not None and grown > self.limit_bytes:
                return (
                    "disk_limit",
                    f"disk limit: writable mounts grew by {grown >> 20} MiB (limit {self.limit_bytes >> 20} MiB)",
                )
            if self.limit_files is not None and files > self.limit_files:
                return "file_limit", f"file limit: writable mounts gained {files} files (limit {self.limit_files})"
        return None


@dataclass
class Outcome:
    """What the wait loop saw: the main process's return code and why the run ended."""

    returncode: int | None
    reason: ExitReason
    detail: str
    wall_seconds: float


def open_outputs(request: SandboxRequest) -> tuple[IO[bytes] | int, IO[bytes] | int]:
    """Open stdout/stderr targets as the harness (the sandbox inherits the fds, never the paths)."""
    out: IO[bytes] | int = subprocess.DEVNULL
    err: IO[bytes] | int = subprocess.STDOUT
    if request.stdout is not None:
        request.stdout.parent.mkdir(parents=True, exist_ok=True)
        out = open(request.stdout, "ab")
    if request.stderr is not None:
        request.stderr.parent.mkdir(parents=True, exist_ok=True)
        err = open(request.stderr, "ab")
    elif request.stdout is None:
        err = subprocess.DEVNULL
    return out, err


def close_outputs(*files: IO[bytes] | int) -> None:
    for f in files:
        if not isinstance(f, int):
            f.close()


def supervise(
    proc: subprocess.Popen[bytes],
    started: float,
    timeout: float | None,
    guard: DiskGuard,
    kill_tree: Callable[[], None],
) -> Outcome:
    """Wait for ``proc``; on timeout or a disk-guard violation call ``kill_tree`` and say why."""
    deadline = started + timeout if timeout is not None else None
    reason: ExitReason = "exited"
    detail = ""
    exited = _exit_waiter(proc)
    try:
        while True:
            wait = POLL_SECS
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - time.monotonic()))
            if exited(wait):
                break
            if deadline is not None and time.monotonic() >= deadline:
                reason, detail = "timeout", f"timed out after {timeout:g}s; process tree killed"
            else:
                problem = guard.violation()
                if problem is None:
                    continue
                reason, detail = problem
            kill_tree()
            proc.wait()
            break
    finally:
        exited(None)
    return Outcome(proc.returncode, reason, detail, time.monotonic() - started)


def _exit_waiter(proc: subprocess.Popen[bytes]) -> Callable[[float | None], bool]:
    """A function ``wait(secs) -> exited?`` that wakes the moment ``proc`` exits.

    ``Popen.wait(timeout=...)`` polls with sleeps of up to 50 ms, which alone would double the cost
    of a short sandboxed command; a pidfd (Linux 5.3+) is woken by the kernel instead. ``wait(None)``
    releases the pidfd.
    """
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        fd = -1

    def wait(secs: float | None) -> bool:
        nonlocal fd
        if secs is None:
            if fd >= 0:
                os.close(fd)
                fd = -1
            return proc.returncode is not None
        if fd >= 0:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            if poller.poll(int(secs * 1000) + 1):
                proc.wait()
                return True
            return proc.poll() is not None
        try:
            proc.wait(timeout=secs)
            return True
        except subprocess.TimeoutExpired:
            return False

    return wait
