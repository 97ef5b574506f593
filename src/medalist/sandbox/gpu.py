"""NVIDIA GPUs on this host: discovery (which GPUs exist, and which this harness may hand out).

Discovery: ``nvidia-smi -L`` (index, name, UUID), with each GPU's device minor (``/dev/nvidia<minor>``)
and PCI bus from ``/proc/driver/nvidia/gpus/*/information``; without ``nvidia-smi``, that proc folder
alone. A GPU counts only when its device node exists. The harness's own ``CUDA_VISIBLE_DEVICES``
(indices or UUIDs), when set, limits the GPUs medalist hands out (e.g. one Dask worker per GPU pair).
What a sandbox needs to use some of them is in ``gpu_binds.py``; who holds which in ``gpu_alloc.py``.

Test hooks (environment variables, for machines without a GPU): ``MEDALIST_NVIDIA_DEV_DIR`` (where the
device nodes are; default ``/dev``), ``MEDALIST_NVIDIA_PROC_DIR`` (default ``/proc/driver/nvidia``),
``MEDALIST_NVIDIA_SYS_DIR`` (the sysfs root; default ``/sys``) and ``MEDALIST_NVIDIA_LIB_DIRS``
(colon-separated folders of driver libraries; default: from ``ldconfig -p``).
``nvidia-smi`` is whatever is first on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from medalist.errors import MedalistError

ENV_DEV_DIR = "MEDALIST_NVIDIA_DEV_DIR"
ENV_PROC_DIR = "MEDALIST_NVIDIA_PROC_DIR"
ENV_LIB_DIRS = "MEDALIST_NVIDIA_LIB_DIRS"
ENV_SYS_DIR = "MEDALIST_NVIDIA_SYS_DIR"
SMI_TIMEOUT_SECS = 20.0
_LIST_LINE = re.compile(r"^GPU (\d+): (.*?) \(UUID: (GPU-[^)]+)\)\s*$")


class GpuDevice(BaseModel):
    """One NVIDIA GPU of the host: ``index`` as nvidia-smi numbers it, ``minor`` of ``/dev/nvidia<minor>``."""

    model_config = ConfigDict(frozen=True)

    index: int
    uuid: str
    name: str = ""
    minor: int
    pci_bus: str | None = None  # e.g. 0000:3b:00.0, from /proc/driver/nvidia

    @property
    def node(self) -> str:
        """The device node's name under /dev (also its path inside the sandbox, in /dev)."""
        return f"nvidia{self.minor}"


def dev_dir() -> Path:
    return Path(os.environ.get(ENV_DEV_DIR) or "/dev")


def proc_dir() -> Path:
    return Path(os.environ.get(ENV_PROC_DIR) or "/proc/driver/nvidia")


def sys_dir() -> Path:
    return Path(os.environ.get(ENV_SYS_DIR) or "/sys")


def nvidia_smi() -> str | None:
    """The host's ``nvidia-smi`` (first on PATH), or None."""
    return shutil.which("nvidia-smi")


def run_smi(args: Sequence[str]) -> str:
    """``nvidia-smi ARGS`` output; MedalistError (one line) when it is missing or fails."""
    exe = nvidia_smi()
    if exe is None:
        raise MedalistError("nvidia-smi is not on PATH")
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=SMI_TIMEOUT_SECS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MedalistError(f"nvidia-smi {' '.join(args)} failed: {exc}") from None
    if proc.returncode != 0:
        why = (proc.stderr or proc.stdout).strip().splitlines()
        raise MedalistError(f"nvidia-smi {' '.join(args)} failed (rc {proc.returncode}): {why[0] if why else ''}")
    return proc.stdout


def parse_smi_list(text: str) -> list[tuple[int, str, str]]:
    """``nvidia-smi -L`` lines -> (index, name, uuid); MIG lines and anything else are skipped."""
    out = []
    for line in text.splitlines():
        m = _LIST_LINE.match(line.strip())
        if m:
            out.append((int(m.group(1)), m.group(2).strip(), m.group(3).strip()))
    return out


def proc_gpus(root: Path | None = None) -> list[dict[str, str]]:
    """The ``key: value`` facts of each ``gpus/<bus>/information`` file, in bus order (nvidia-smi's)."""
    gpus_dir = (root or proc_dir()) / "gpus"
    found = []
    try:
        buses = sorted(os.listdir(gpus_dir))
    except OSError:
        return []
    for bus in buses:
        try:
            text = (gpus_dir / bus / "information").read_text()
        except OSError:
            continue
        facts = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in text.splitlines()) if v}
        facts.setdefault("Bus Location", bus)
        found.append(facts)
    return found


def _is_char_device(path: Path) -> bool:
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def discover_gpus() -> list[GpuDevice]:
    """Every NVIDIA GPU of this host whose device node exists (empty when there is none)."""
    proc = [f for f in proc_gpus() if f.get("Device Minor", "").isdigit()]
    by_uuid = {f.get("GPU UUID", ""): f for f in proc}
    if nvidia_smi() is not None:
        listed = parse_smi_list(run_smi(["-L"]))
        # Without the proc file (unusual), nvidia-smi's index is the best guess of the minor.
        gpus = [
            GpuDevice(
                index=i,
                uuid=u,
                name=n,
                minor=int(by_uuid[u]["Device Minor"]) if u in by_uuid else i,
                pci_bus=by_uuid.get(u, {}).get("Bus Location"),
            )
            for i, n, u in listed
        ]
    else:
        gpus = [
            GpuDevice(
                index=i,
                uuid=f.get("GPU UUID", f"bus-{f['Bus Location']}"),
                name=f.get("Model", ""),
                minor=int(f["Device Minor"]),
                pci_bus=f["Bus Location"],
            )
            for i, f in enumerate(proc)
        ]
    return [g for g in gpus if _is_char_device(dev_dir() / g.node)]


def visible_subset(gpus: Sequence[GpuDevice], spec: str | None) -> list[GpuDevice]:
    """The GPUs a ``CUDA_VISIBLE_DEVICES`` value names (indices or UUIDs); all of them when unset."""
    if spec is None:
        return list(gpus)
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    chosen = []
    for w in wanted:
        for g in gpus:
            if (w.isdigit() and int(w) == g.index) or (not w.isdigit() and g.uuid.startswith(w)):
                if g not in chosen:
                    chosen.append(g)
    return chosen


def host_gpus() -> list[GpuDevice]:
    """The GPUs this harness process may hand out: discovered, narrowed by its CUDA_VISIBLE_DEVICES."""
    return visible_subset(discover_gpus(), os.environ.get("CUDA_VISIBLE_DEVICES"))


def require_gpus(n: int, where: str = "this machine") -> list[GpuDevice]:
    """The host's GPUs when there are at least ``n``; else one MedalistError line saying what is missing."""
    try:
        gpus = host_gpus()
    except MedalistError as exc:
        raise MedalistError(f"--gpus {n}: cannot list NVIDIA GPUs on {where}: {exc}") from None
    if not gpus:
        narrowed = os.environ.get("CUDA_VISIBLE_DEVICES")
        why = (
            f"CUDA_VISIBLE_DEVICES={narrowed!r} names none of its GPUs"
            if narrowed is not None and discover_gpus()
            else "nvidia-smi lists none with a device node"
            if nvidia_smi()
            else f"no nvidia-smi on PATH and no {proc_dir()}/gpus"
        )
        raise MedalistError(f"--gpus {n}: no NVIDIA GPU found on {where} ({why}); see README, GPUs")
    if len(gpus) < n:
        raise MedalistError(f"--gpus {n}: {where} has only {len(gpus)} usable NVIDIA GPU(s)")
    return gpus


__all__ = [
    "GpuDevice",
    "dev_dir",
    "discover_gpus",
    "host_gpus",
    "nvidia_smi",
    "parse_smi_list",
    "proc_dir",
    "proc_gpus",
    "require_gpus",
    "run_smi",
    "sys_dir",
    "visible_subset",
]
