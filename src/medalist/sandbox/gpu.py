"""NVIDIA GPUs on this host: discovery, and what a sandbox needs to use some of them.

Discovery: ``nvidia-smi -L`` (index, name, UUID), with each GPU's device minor (``/dev/nvidia<minor>``)
from ``/proc/driver/nvidia/gpus/*/information``; without ``nvidia-smi``, that proc folder alone. A GPU
counts only when its device node exists. The harness's own ``CUDA_VISIBLE_DEVICES`` (indices or UUIDs),
when set, limits the GPUs medalist hands out (e.g. one Dask worker per GPU pair).

Inside the sandbox a run gets exactly its GPUs' device nodes (``--dev-bind``) plus the control nodes
(``nvidiactl``, ``nvidia-uvm``, ``nvidia-uvm-tools``, ``nvidia-modeset``) that exist, the host's NVIDIA
user-space driver libraries and ``nvidia-smi`` read-only (already visible when under ``/usr``, bound at
their host path otherwise), and ``CUDA_VISIBLE_DEVICES``/``NVIDIA_VISIBLE_DEVICES`` set to the GPUs' UUIDs
(UUIDs, not indices: inside, the driver numbers the visible GPUs from 0). CUDA's initialisation also
reads sysfs, so the NVIDIA kernel modules' ``/sys/module/nvidia*`` and the run's GPUs' own PCI device
folders are bound read-only (no other GPU's, and nothing else of ``/sys``).

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from medalist.errors import MedalistError

ENV_DEV_DIR = "MEDALIST_NVIDIA_DEV_DIR"
ENV_PROC_DIR = "MEDALIST_NVIDIA_PROC_DIR"
ENV_LIB_DIRS = "MEDALIST_NVIDIA_LIB_DIRS"
ENV_SYS_DIR = "MEDALIST_NVIDIA_SYS_DIR"
CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
# User-space driver libraries (the files the NVIDIA container toolkit would inject, by name pattern).
DRIVER_LIB = re.compile(
    r"^lib(cuda|cudadebugger|nvcuvid|nvoptix|nvidia-[a-z0-9_-]+|(GLX|EGL|GLESv1_CM|GLESv2)_nvidia)\.so(\.[0-9.]+)?$"
)
SMI_TIMEOUT_SECS = 20.0
_LIST_LINE = re.compile(r"^GPU (\d+): (.*?) \(UUID: (GPU-[^)]+)\)\s*$")
ALREADY_VISIBLE = ("/usr/",)  # host trees the bwrap sandbox shows anyway (read-only)


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
        gpus = [GpuDevice(index=i, uuid=u, name=n, minor=int(by_uuid[u]["Device Minor"]) if u in by_uuid else i,
                          pci_bus=by_uuid.get(u, {}).get("Bus Location")) for i, n, u in listed]
    else:
        gpus = [
            GpuDevice(index=i, uuid=f.get("GPU UUID", f"bus-{f['Bus Location']}"), name=f.get("Model", ""),
                      minor=int(f["Device Minor"]), pci_bus=f["Bus Location"])
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
        why = (f"CUDA_VISIBLE_DEVICES={narrowed!r} names none of its GPUs" if narrowed is not None and discover_gpus()
               else "nvidia-smi lists none with a device node" if nvidia_smi()
               else f"no nvidia-smi on PATH and no {proc_dir()}/gpus")
        raise MedalistError(f"--gpus {n}: no NVIDIA GPU found on {where} ({why}); see README, GPUs")
    if len(gpus) < n:
        raise MedalistError(f"--gpus {n}: {where} has only {len(gpus)} usable NVIDIA GPU(s)")
    return gpus


# ---- what a sandbox needs ----------------------------------------------------------------------


def driver_lib_dirs() -> list[Path]:
    """Folders holding the host's NVIDIA driver libraries (``MEDALIST_NVIDIA_LIB_DIRS``, else ldconfig's)."""
    hook = os.environ.get(ENV_LIB_DIRS)
    if hook is not None:
        return [Path(p) for p in hook.split(":") if p]
    try:
        out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    dirs: list[Path] = []
    for line in out.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.startswith(("libcuda.so", "libnvidia-ml.so")) and path:
            d = Path(path).parent
            if d not in dirs:
                dirs.append(d)
    return dirs


def driver_files(dirs: Iterable[Path]) -> list[Path]:
    """The driver library files (and their symlinks) in ``dirs``."""
    files = []
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        files += [d / n for n in names if DRIVER_LIB.match(n)]
    return files


def _hidden(path: Path) -> bool:
    return not any(str(path).startswith(p) for p in ALREADY_VISIBLE)


@dataclass(frozen=True)
class GpuSandboxSetup:
    """Extra bwrap arguments and environment that give a sandbox exactly ``gpus``."""

    args: list[str]
    env: dict[str, str]
    path_dirs: list[str]  # appended to PATH
    lib_dirs: list[str]  # prepended to LD_LIBRARY_PATH

    def apply_env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with the GPU variables set and PATH / LD_LIBRARY_PATH extended."""
        out = {**env, **self.env}
        if self.path_dirs:
            out["PATH"] = ":".join([p for p in out.get("PATH", "").split(":") if p] + self.path_dirs)
        if self.lib_dirs:
            out["LD_LIBRARY_PATH"] = ":".join(self.lib_dirs + [p for p in out.get("LD_LIBRARY_PATH", "").split(":") if p])
        return out


def visible_env(gpus: Sequence[GpuDevice]) -> dict[str, str]:
    """``CUDA_VISIBLE_DEVICES`` and ``NVIDIA_VISIBLE_DEVICES``: the run's GPUs by UUID (none: an empty
    ``CUDA_VISIBLE_DEVICES``, which hides every GPU from CUDA where device nodes are not isolated)."""
    if not gpus:
        return {"CUDA_VISIBLE_DEVICES": ""}
    ids = ",".join(g.uuid for g in gpus)
    return {"CUDA_VISIBLE_DEVICES": ids, "NVIDIA_VISIBLE_DEVICES": ids}


def _check_node(path: Path) -> None:
    st = os.stat(path)
    if not stat.S_ISCHR(st.st_mode):
        raise MedalistError(f"GPU device {path} is not a character device")
    if st.st_mode & 0o006 != 0o006:
        raise MedalistError(
            f"GPU device {path} is not readable and writable by all (mode {st.st_mode & 0o777:o}): the sandbox "
            "user could not use it; load the nvidia module with NVreg_DeviceFileMode=0666 (its default)"
        )


def sysfs_args(gpus: Sequence[GpuDevice]) -> list[str]:
    """Read-only binds of the NVIDIA modules' sysfs folders and of ``gpus``' own PCI device folders
    (with their ``/sys/bus/pci/devices`` links), at their /sys paths."""
    root = sys_dir()
    args: list[str] = []
    try:
        modules = sorted(n for n in os.listdir(root / "module") if n.startswith("nvidia"))
    except OSError:
        modules = []
    for name in modules:
        args += ["--ro-bind", str(root / "module" / name), f"/sys/module/{name}"]
    for g in gpus:
        link = root / "bus" / "pci" / "devices" / (g.pci_bus or "-")
        if not g.pci_bus or not link.is_symlink():
            continue
        real = link.resolve()
        try:
            inside = Path("/sys") / real.relative_to(root.resolve())
        except ValueError:
            continue
        args += ["--ro-bind", str(real), str(inside), "--symlink", os.readlink(link), f"/sys/bus/pci/devices/{g.pci_bus}"]
    return args


def sandbox_setup(gpus: Sequence[GpuDevice]) -> GpuSandboxSetup:
    """The binds and environment of a bwrap sandbox that sees exactly ``gpus`` (none: no GPU at all)."""
    if not gpus:
        return GpuSandboxSetup(args=[], env={}, path_dirs=[], lib_dirs=[])
    root = dev_dir()
    args: list[str] = []
    for name in [g.node for g in gpus] + [n for n in CONTROL_NODES if (root / n).exists()]:
        host = root / name
        _check_node(host)
        args += ["--dev-bind", str(host), f"/dev/{name}"]
    lib_dirs: list[str] = []
    for f in driver_files(driver_lib_dirs()):
        if not _hidden(f):
            continue
        if f.is_symlink():
            args += ["--symlink", os.readlink(f), str(f)]
        else:
            args += ["--ro-bind", str(f), str(f)]
        if str(f.parent) not in lib_dirs:
            lib_dirs.append(str(f.parent))
    args += sysfs_args(gpus)
    path_dirs: list[str] = []
    smi = nvidia_smi()
    if smi is not None:
        real = Path(smi).resolve()
        if _hidden(Path(smi)):
            args += ["--ro-bind", str(real), smi]
            path_dirs.append(str(Path(smi).parent))
    return GpuSandboxSetup(args=args, env=visible_env(gpus), path_dirs=path_dirs, lib_dirs=lib_dirs)


__all__ = [
    "CONTROL_NODES", "GpuDevice", "GpuSandboxSetup", "discover_gpus", "driver_files", "driver_lib_dirs",
    "host_gpus", "parse_smi_list", "proc_gpus", "require_gpus", "run_smi", "sandbox_setup", "sysfs_args",
    "visible_env", "visible_subset",
]
