"""The ``process`` backend: runs the command as a plain child process. It does NOT isolate.

For machines without bubblewrap (or without root). It still enforces the wall-clock timeout and the
disk guard, and kills the whole process group at the end, but the command sees the whole host
filesystem (including private answers), the network, and runs as the harness user with no memory,
cpu or pids limits. A daemon that calls ``setsid`` escapes the final process-group kill.

Path mapping: it cannot remap paths, so mount targets are translated instead. The command runs in
the host directory that backs ``request.cwd`` (when ``cwd`` lies under a mount target), and every
mount is announced in the environment as ``MEDALIST_MOUNT_<TARGET>`` (target upper-cased, ``/`` and
other non-alphanumerics as ``_``; e.g. ``/home/data`` -> ``MEDALIST_MOUNT_HOME_DATA``) holding the
host path. Arguments that start with a mount target (``/home/data/train.csv``) are rewritten to the
host path. Programs that hard-code sandbox paths elsewhere (inside files they read) will not find them.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from medalist.errors import MedalistError
from medalist.sandbox._supervise import DiskGuard, close_outputs, open_outputs, supervise
from medalist.sandbox.base import Mount, SandboxRequest, SandboxResult
from medalist.sandbox.gpu_binds import visible_env

log = logging.getLogger("medalist.sandbox")
WARNING = (
    "sandbox backend 'process' does NOT isolate: agent code runs as you, sees the whole filesystem "
    "(including private answers) and the network, with no memory/cpu/pids limits. Use the bwrap backend "
    "(bash scripts/setup.sh as root) for real runs."
)
_warned = False


def warn_once() -> None:
    """Warn once per process that nothing is isolated: through logging when the application has
    configured it (so it lands in the run log), else straight to stderr in bold red via rich."""
    global _warned
    if _warned:
        return
    _warned = True
    if log.hasHandlers():
        log.warning(WARNING)
        return
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]WARNING[/]: {WARNING}")


def mount_env_name(target: str) -> str:
    """``/home/data`` -> ``MEDALIST_MOUNT_HOME_DATA``."""
    return "MEDALIST_MOUNT_" + re.sub(r"[^A-Za-z0-9]+", "_", target.strip("/")).upper()


def map_path(path: str, mounts: list[Mount]) -> str | None:
    """Host path for a sandbox path under one of ``mounts`` (deepest target wins), else None."""
    best: Mount | None = None
    for m in mounts:
        t = m.target.rstrip("/") or "/"
        if path == t or path.startswith(t + "/"):
            if best is None or len(t) > len(best.target.rstrip("/")):
                best = m
    if best is None:
        return None
    rest = path[len(best.target.rstrip("/")) :].lstrip("/")
    return str(Path(best.source).resolve() / rest) if rest else str(Path(best.source).resolve())


@dataclass
class ProcessSandbox:
    """No isolation; timeout + process-group kill + disk guard only. Warns once when created."""

    name: str = "process"
    isolates: bool = False

    def __post_init__(self) -> None:
        warn_once()

    def translate(self, request: SandboxRequest) -> tuple[list[str], dict[str, str], str]:
        """The argv, environment and host cwd that stand in for the sandbox paths of ``request``."""
        if not request.argv:
            raise MedalistError("sandbox request has an empty command")
        argv = [map_path(a, request.mounts) or a if a.startswith("/") else a for a in request.argv]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEDALIST_MOUNT_")}
        for m in request.mounts:
            env[mount_env_name(m.target)] = str(Path(m.source).resolve())
        env.update(visible_env(request.gpus))  # devices are not isolated here: CUDA is told which are the run's
        env.update(request.env)
        cwd = map_path(request.cwd, request.mounts)
        if cwd is None:
            writable = [m for m in request.mounts if m.writable]
            cwd = str(Path(writable[0].source).resolve()) if writable else os.getcwd()
        return argv, env, cwd

    def run(self, request: SandboxRequest) -> SandboxResult:
        """Run ``request`` as a child in its own session; kill its process group at the end."""
        argv, env, cwd = self.translate(request)
        guard = DiskGuard.start(request)
        out, err = open_outputs(request)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True
            )
        except OSError as exc:
            raise MedalistError(f"cannot start {argv[0]!r}: {exc}") from exc
        finally:
            close_outputs(out, err)

        def kill_group() -> None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        outcome = supervise(proc, started, request.limits.time_limit_secs, guard, kill_group)
        kill_group()  # children left in the group after the main process exited
        return SandboxResult(
            exit_code=outcome.returncode,
            exit_reason=outcome.reason,
            wall_seconds=outcome.wall_seconds,
            detail=outcome.detail,
        )
