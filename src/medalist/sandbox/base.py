"""The Sandbox protocol: run a command isolated, with limits, and report how it ended.

Backends: ``bwrap`` (default; bubblewrap as an unprivileged user + cgroup limits) and ``process``
(no isolation; warns loudly). The runner and agents only talk to this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from medalist.sandbox.gpu import GpuDevice

ExitReason = Literal["exited", "timeout", "oom", "killed", "disk_limit", "file_limit", "error"]
"""``disk_limit`` / ``file_limit``: the writable mounts grew past ``Limits.disk_gb`` / ``Limits.max_files``;
``killed``: stopped by the harness for another reason (e.g. the free-space guard)."""


@dataclass(frozen=True)
class Mount:
    """A host path made visible inside the sandbox at ``target`` (read-only unless ``writable``)."""

    source: Path
    target: str
    writable: bool = False


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed command (None = unlimited)."""

    memory_gb: float | None = 4.0
    cpus: float | None = 1.0
    pids: int | None = 512
    time_limit_secs: float | None = None  # wall clock: the run is killed past it
    # Max growth of the writable mounts during one run (bwrap/process backends stop the run beyond it;
    # also the per-file size limit via RLIMIT_FSIZE under bwrap). See sandbox/__init__.py.
    disk_gb: float | None = 20.0
    # Max number of files and folders the writable mounts may gain during one run (an inode flood is
    # stopped like a disk fill, with exit_reason "file_limit").
    max_files: int | None = 100_000


@dataclass
class SandboxResult:
    """How a sandboxed command ended, with resource peaks where the backend can measure them."""

    exit_code: int | None
    exit_reason: ExitReason
    wall_seconds: float
    peak_memory_bytes: int | None = None
    cpu_seconds: float | None = None
    detail: str = ""
    pids_limit_hits: int | None = None  # forks refused by the pids limit (None = not measured)

    @property
    def ok(self) -> bool:
        return self.exit_reason == "exited" and self.exit_code == 0


@dataclass
class SandboxRequest:
    """Everything a backend needs to run one command."""

    argv: list[str]
    mounts: list[Mount] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = "/home"
    limits: Limits = field(default_factory=Limits)
    stdout: Path | None = None  # file to write stdout to (None = discard)
    stderr: Path | None = None  # file to write stderr to (None = merged into stdout)
    network: bool = False
    # Host paths that must never be visible inside (e.g. the task's private answers): the run is
    # refused if any bind would expose one of them.
    deny: list[Path] = field(default_factory=list)
    # The run's GPUs (leased by the caller, see gpu_alloc.py): the bwrap backend shows exactly these.
    gpus: tuple[GpuDevice, ...] = ()
    # Host paths inside a bound folder (the harness venv, a read-only mount) to hide inside the sandbox:
    # covered with an empty folder or /dev/null. The caller decides (e.g. files holding a task's raw data).
    hide: list[Path] = field(default_factory=list)


class Sandbox(Protocol):
    """A way to run commands in isolation."""

    name: str
    isolates: bool  # False for the process backend

    def run(self, request: SandboxRequest) -> SandboxResult:
        """Run ``request.argv`` to completion (or timeout/OOM), killing its whole process tree after."""
        ...
