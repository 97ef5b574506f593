"""Per-run cgroups: memory/cpu/pids limits, peak usage, and killing a whole process tree.

Why cgroups and not rlimits or process groups: ``RLIMIT_AS`` breaks ``import numpy`` (it reserves
large virtual ranges), and ``os.killpg`` misses double-forked daemons that called ``setsid``.  A cgroup
holds every descendant no matter how it detaches, so limits and the final kill cover the whole tree.

The layout is detected at run time from ``/proc/self/mountinfo``:

- ``v2``: one unified hierarchy; controllers enabled via ``cgroup.subtree_control``.
- ``v1``: one hierarchy per controller (``memory``, ``cpu``, ``cpuacct``, ``pids``, ``freezer``).
- hybrid (v1 controllers plus an empty v2 hierarchy, as on the CI machines): limits come from v1,
  and the v2 hierarchy is still used for ``cgroup.kill`` (atomic, race-free tree kill).

Each run gets ``<hierarchy>/medalist/<run name>`` in every hierarchy used; the directories are removed
after the run.  Creating them needs root (or a delegated subtree); :func:`detect_cgroups` reports
whether that is possible so the caller can refuse or degrade explicitly.
"""

from __future__ import annotations

import errno
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from medalist.errors import MedalistError
from medalist.fsutil import sweep_dead_owners

PARENT_NAME = "medalist"
RUN_PREFIX = "run-"
"""Run cgroups are named ``run-<owner tag>-<random>`` (:func:`medalist.fsutil.owner_tag`)."""
V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "freezer")
CFS_PERIOD_US = 100_000


@dataclass(frozen=True)
class CgroupLayout:
    """Where the cgroup hierarchies are mounted on this machine.

    ``v1`` maps controller name -> mount point; ``unified`` is the cgroup2 mount (None if absent).
    """

    v1: dict[str, Path] = field(default_factory=dict)
    unified: Path | None = None

    @property
    def mode(self) -> str:
        """``"v2"``, ``"v1"``, ``"hybrid"`` or ``"none"``."""
        if self.v1 and self.unified is not None:
            return "hybrid"
        if self.v1:
            return "v1"
        if self.unified is not None:
            return "v2"
        return "none"

    @property
    def v2_controllers(self) -> set[str]:
        """Controllers available in the unified hierarchy (empty on hybrid machines)."""
        if self.unified is None:
            return set()
        try:
            return set((self.unified / "cgroup.controllers").read_text().split())
        except OSError:
            return set()

    def has_cgroup_kill(self) -> bool:
        """True if the kernel offers ``cgroup.kill`` (5.14+) in the unified hierarchy."""
        if self.unified is None:
            return False
        return any((d / "cgroup.kill").exists() for d in (self.unified / PARENT_NAME, self.unified) if d.is_dir()) or (
            _kernel_version() >= (5, 14)
        )

    def writable(self) -> bool:
        """True if we may create cgroups here (root, or a delegated writable hierarchy)."""
        roots = [*self.v1.values()] + ([self.unified] if self.unified else [])
        return bool(roots) and all(os.access(r, os.W_OK) for r in roots)


def detect_cgroups(mountinfo: Path = Path("/proc/self/mountinfo")) -> CgroupLayout:
    """Read the mount table and return the cgroup v1 controller mounts and the v2 mount."""
    v1: dict[str, Path] = {}
    unified: Path | None = None
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return CgroupLayout()
    for line in lines:
        # mountinfo: id parent major:minor root mountpoint opts [optional...] - fstype source superopts
        pre, sep, post = line.partition(" - ")
        if not sep:
            continue
        mount_point = Path(pre.split()[4].replace("\\040", " "))
        fstype, _source, superopts = (post.split() + ["", ""])[:3]
        if fstype == "cgroup2":
            unified = unified or mount_point
        elif fstype == "cgroup":
            for opt in superopts.split(","):
                if opt in V1_CONTROLLERS and opt not in v1:
                    v1[opt] = mount_point
    return CgroupLayout(v1=v1, unified=unified)


def _kernel_version() -> tuple[int, int]:
    try:
        major, minor = os.uname().release.split(".")[:2]
        return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)
    except ValueError:
        return (0, 0)


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _read_keyed(path: Path) -> dict[str, int]:
    """Parse ``key value`` lines (memory.events, memory.oom_control, cpu.stat, pids.events)."""
    out: dict[str, int] = {}
    try:
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                try:
                    out[parts[0]] = int(parts[1])
                except ValueError:
                    pass
    except OSError:
        pass
    return out


@dataclass
class CgroupLimits:
    """Limits applied to one run's cgroup (None = unlimited)."""

    memory_bytes: int | None = None
    cpus: float | None = None
    pids: int | None = None


@dataclass
class RunCgroup:
    """One run's cgroup(s): create, attach a pid, read usage, kill everything, remove.

    Use as a context manager or call :meth:`create` / :meth:`kill` / :meth:`remove` yourself.
    """

    layout: CgroupLayout
    name: str
    limits: CgroupLimits
    dirs: dict[str, Path] = field(default_factory=dict)  # "memory"/"cpu"/.../"unified" -> path

    # ---- setup -------------------------------------------------------------------------------
    def create(self) -> RunCgroup:
        """Create the run's cgroup directories and write the limits. Raises MedalistError if it can't."""
        try:
            if self.layout.v1:
                self._create_v1()
            if self.layout.unified is not None:
                self._create_unified()
        except OSError as exc:
            self.remove()
            raise MedalistError(
                f"cannot set up cgroup {self.name!r} ({self.layout.mode}): {exc}; run as root or use --sandbox process"
            ) from exc
        return self

    def _mkdir(self, key: str, root: Path) -> Path:
        parent = root / PARENT_NAME
        parent.mkdir(exist_ok=True)
        sweep_dead_owners(parent, RUN_PREFIX, remove=self._kill_and_remove)  # cgroups of killed harnesses
        path = parent / self.name
        path.mkdir()
        self.dirs[key] = path
        return path

    def _kill_and_remove(self, path: str) -> None:
        """Remove a killed harness's cgroup after SIGKILLing what still runs in it.

        A harness killed between starting an agent and the agent's parent-death signal taking hold
        leaves the agent running, orphaned, in its run cgroup; nothing else would ever stop it. The
        leftover is torn down as a run of its own (:meth:`kill`, :meth:`remove`); one that cannot be
        emptied stays.
        """
        folder = Path(path)
        key = next((k for k, root in self.layout.v1.items() if folder.is_relative_to(root)), "unified")
        leftover = RunCgroup(self.layout, folder.name, CgroupLimits(), {key: folder})
        try:
            leftover.kill(timeout=5.0)
        except MedalistError:
            return
        leftover.remove()

    def _create_v1(self) -> None:
        v1 = self.layout.v1
        lim = self.limits
        if "memory" in v1:
            mem = self._mkdir("memory", v1["memory"])
            if lim.memory_bytes is not None:
                _write(mem / "memory.limit_in_bytes", str(lim.memory_bytes))
                swap = mem / "memory.memsw.limit_in_bytes"  # no swap beyond the limit, when accounted
                if swap.exists():
                    try:
                        _write(swap, str(lim.memory_bytes))
                    except OSError:
                        pass
            try:
                _write(mem / "memory.swappiness", "0")
            except OSError:
                pass
        if "pids" in v1:
            pids = self._mkdir("pids", v1["pids"])
            if lim.pids is not None:
                _write(pids / "pids.max", str(lim.pids))
        # Each hierarchy joined costs a cgroup migration (~2 ms) per run, so join only what is needed:
        # cpu only for a quota; cpuacct only when no unified cgroup (whose cpu.stat counts cpu time);
        # the freezer only when there is no cgroup.kill.
        if "cpu" in v1 and lim.cpus is not None:
            cpu = self._mkdir("cpu", v1["cpu"])
            _write(cpu / "cpu.cfs_period_us", str(CFS_PERIOD_US))
            _write(cpu / "cpu.cfs_quota_us", str(max(1000, int(lim.cpus * CFS_PERIOD_US))))
        unified_kill = self.layout.unified is not None and self.layout.has_cgroup_kill()
        if (
            "cpuacct" in v1
            and self.layout.unified is None
            and not (v1["cpuacct"] == v1.get("cpu") and "cpu" in self.dirs)
        ):
            self._mkdir("cpuacct", v1["cpuacct"])
        if "freezer" in v1 and not unified_kill:
            self._mkdir("freezer", v1["freezer"])

    def _create_unified(self) -> None:
        assert self.layout.unified is not None
        root = self.layout.unified
        wanted = {"memory", "pids", "cpu"} & self.layout.v2_controllers - set(self.layout.v1)
        parent = root / PARENT_NAME
        parent.mkdir(exist_ok=True)
        if wanted:
            # Controllers must be enabled top-down: root -> medalist -> run cgroup.
            for cg in (root, parent):
                enabled = set((cg / "cgroup.subtree_control").read_text().split())
                missing = wanted - enabled
                if missing:
                    _write(cg / "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(missing)))
        path = self._mkdir("unified", root)
        lim = self.limits
        if "memory" in wanted:
            if lim.memory_bytes is not None:
                _write(path / "memory.max", str(lim.memory_bytes))
                if (path / "memory.swap.max").exists():
                    _write(path / "memory.swap.max", "0")
            if (path / "memory.oom.group").exists():
                _write(path / "memory.oom.group", "0")
        if "pids" in wanted and lim.pids is not None:
            _write(path / "pids.max", str(lim.pids))
        if "cpu" in wanted and lim.cpus is not None:
            _write(path / "cpu.max", f"{max(1000, int(lim.cpus * CFS_PERIOD_US))} {CFS_PERIOD_US}")

    def attach(self, pid: int) -> None:
        """Move ``pid`` (not yet exec'd, so it has no children) into every hierarchy of this run."""
        for path in self.dirs.values():
            _write(path / "cgroup.procs", str(pid))

    # ---- measurements ------------------------------------------------------------------------
    def oom_kills(self) -> int:
        """How many processes the kernel OOM-killed in this cgroup."""
        if "memory" in self.dirs:
            ctl = _read_keyed(self.dirs["memory"] / "memory.oom_control")
            if "oom_kill" in ctl:
                return ctl["oom_kill"]
            # Kernels before 4.13 lack oom_kill; a failcnt at the limit plus under_oom is the best hint.
            return 1 if ctl.get("under_oom") else 0
        if "unified" in self.dirs:
            return _read_keyed(self.dirs["unified"] / "memory.events").get("oom_kill", 0)
        return 0

    def peak_memory(self) -> int | None:
        """Peak memory use of the run in bytes (page cache and tmpfs included, as the limit sees it)."""
        if "memory" in self.dirs:
            return _read_int(self.dirs["memory"] / "memory.max_usage_in_bytes")
        if "unified" in self.dirs:
            return _read_int(self.dirs["unified"] / "memory.peak")
        return None

    def cpu_seconds(self) -> float | None:
        """User+system CPU time of every process that ran in the cgroup."""
        for key in ("cpuacct", "cpu"):
            if key in self.dirs:
                ns = _read_int(self.dirs[key] / "cpuacct.usage")
                if ns is not None:
                    return ns / 1e9
        if "unified" in self.dirs:
            usec = _read_keyed(self.dirs["unified"] / "cpu.stat").get("usage_usec")
            if usec is not None:
                return usec / 1e6
        return None

    def pids_limit_hits(self) -> int:
        """How many forks the pids limit refused (a fork bomb shows up here)."""
        for key in ("pids", "unified"):
            if key in self.dirs:
                return _read_keyed(self.dirs[key] / "pids.events").get("max", 0)
        return 0

    def procs(self) -> list[int]:
        """Every pid still in the run (read from the first hierarchy that holds them all)."""
        for path in self.dirs.values():
            try:
                return [int(p) for p in (path / "cgroup.procs").read_text().split()]
            except (OSError, ValueError):
                continue
        return []

    # ---- teardown ----------------------------------------------------------------------------
    def kill(self, timeout: float = 10.0) -> None:
        """SIGKILL every process in the run, including detached daemons, and wait until none remain.

        Uses ``cgroup.kill`` when the kernel has it (atomic: no fork can escape), else freezes the
        v1 freezer cgroup so nothing can fork while each pid gets SIGKILL, else loops kill-and-reread.
        """
        unified = self.dirs.get("unified")
        freezer = self.dirs.get("freezer")
        deadline = time.monotonic() + timeout
        if unified is not None and (unified / "cgroup.kill").exists():
            try:
                _write(unified / "cgroup.kill", "1")
            except OSError:
                pass
        elif freezer is not None:
            try:
                _write(freezer / "freezer.state", "FROZEN")
                while (freezer / "freezer.state").read_text().strip() == "FREEZING":
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
                self._kill_listed()
            finally:
                try:
                    _write(freezer / "freezer.state", "THAWED")  # SIGKILL is delivered on thaw
                except OSError:
                    pass
        while True:
            left = self.procs()
            if not left:
                return
            if time.monotonic() > deadline:
                raise MedalistError(f"sandbox processes {left[:10]} survived SIGKILL for {timeout:.0f}s")
            self._kill_listed()
            time.sleep(0.002)

    def _kill_listed(self) -> None:
        for pid in self.procs():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self) -> None:
        """Remove the run's cgroup directories (they must be empty: call :meth:`kill` first)."""
        for key, path in list(self.dirs.items()):
            for attempt in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or attempt == 49:
                        break  # leave it; a stale empty cgroup is harmless and reported nowhere
                    time.sleep(0.01)
            self.dirs.pop(key, None)

    def __enter__(self) -> RunCgroup:
        return self.create()

    def __exit__(self, *exc: object) -> None:
        try:
            self.kill()
        finally:
            self.remove()
