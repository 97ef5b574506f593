"""Run agent commands isolated, with limits: ``get_sandbox().run(SandboxRequest(...))``.

Backends:

- ``bwrap`` (default when usable): bubblewrap as the unprivileged ``medalist-sandbox`` user inside a
  per-run cgroup. No network, allow-listed read-only binds, memory/cpu/pids limits, OOM reported as
  ``exit_reason="oom"`` (rc 137), wall-clock timeout and end-of-run kill of the whole tree (daemons too).
- ``process``: no isolation (warns loudly once); timeout, disk guard and process-group kill only.

GPUs: ``SandboxRequest.gpus`` (leased with :class:`GpuAllocator`, one run per GPU per host) are the
only GPU devices a bwrap sandbox sees (``gpu_binds.py``); see ``gpu.py`` for discovery and its test hooks.

Disk: ``Limits.disk_gb`` (default 20) caps both the size of any one file the command writes
(RLIMIT_FSIZE, bwrap only) and how much the writable mounts may grow during a run (checked every
0.5 s; the run is stopped with ``exit_reason="disk_limit"``). ``Limits.max_files`` (default 100,000)
caps how many files and folders they may gain (an inode flood): ``exit_reason="file_limit"``; a cheap
statvfs check between scans triggers the count early. Independently,
a run is stopped if free space on a writable mount's or log file's filesystem falls below
min(1 GiB, half of what was free at the start), so a disk fill never starves the harness. ``/tmp``
and ``/dev/shm`` inside are tmpfs sized to the memory limit, and their pages count against it.

Example::

    from medalist.sandbox import Limits, Mount, SandboxRequest, get_sandbox

    result = get_sandbox().run(SandboxRequest(
        argv=["python", "agent.py"],
        mounts=[Mount(public_dir, "/home/data"), Mount(workspace, "/home/submission", writable=True)],
        limits=Limits(memory_gb=4, cpus=1, time_limit_secs=3600),
        stdout=logs / "agent.log",
        deny=[private_dir],
    ))
"""

from __future__ import annotations

import logging
from functools import lru_cache

from medalist.errors import MedalistError
from medalist.sandbox.base import ExitReason, Limits, Mount, Sandbox, SandboxRequest, SandboxResult
from medalist.sandbox.bwrap import BwrapSandbox, SandboxUser, bwrap_usable, check_access, find_sandbox_user
from medalist.sandbox.cgroups import CgroupLayout, CgroupLimits, RunCgroup, detect_cgroups
from medalist.sandbox.gpu import GpuDevice, discover_gpus, host_gpus, require_gpus
from medalist.sandbox.gpu_alloc import GpuAllocator, GpuLease
from medalist.sandbox.gpu_usage import GpuMonitor, GpuUsage
from medalist.sandbox.process import ProcessSandbox

BACKENDS = ("auto", "bwrap", "process")
log = logging.getLogger("medalist.sandbox")


@lru_cache(maxsize=None)
def _auto_choice() -> str:
    reason = bwrap_usable()
    if reason is None:
        return "bwrap"
    log.warning("bwrap sandbox unavailable (%s); falling back to the non-isolating process backend", reason)
    return "process"


def get_sandbox(name: str = "auto") -> Sandbox:
    """The sandbox backend ``name``: ``"bwrap"``, ``"process"``, or ``"auto"`` (bwrap if this machine
    has bubblewrap, root, the sandbox user and writable cgroups; else process, with a warning).

    Raises MedalistError for an unknown name, or when ``"bwrap"`` is asked for but cannot work here.
    """
    key = name.strip().lower()
    if key not in BACKENDS:
        raise MedalistError(f"unknown sandbox backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    if key == "auto":
        key = _auto_choice()
    if key == "bwrap":
        return BwrapSandbox.create()
    return ProcessSandbox()


__all__ = [
    "BACKENDS",
    "BwrapSandbox",
    "CgroupLayout",
    "CgroupLimits",
    "ExitReason",
    "GpuAllocator",
    "GpuDevice",
    "GpuLease",
    "GpuMonitor",
    "GpuUsage",
    "Limits",
    "Mount",
    "ProcessSandbox",
    "RunCgroup",
    "Sandbox",
    "SandboxRequest",
    "SandboxResult",
    "SandboxUser",
    "bwrap_usable",
    "check_access",
    "detect_cgroups",
    "discover_gpus",
    "find_sandbox_user",
    "get_sandbox",
    "host_gpus",
    "require_gpus",
]
