"""What a bwrap sandbox needs to use exactly some GPUs, and nothing of any other.

A run gets its GPUs' device nodes (``--dev-bind``) plus the control nodes (``nvidiactl``, ``nvidia-uvm``,
``nvidia-uvm-tools``, ``nvidia-modeset``) that exist, the host's NVIDIA user-space driver libraries and
``nvidia-smi`` read-only (already visible when under ``/usr``, bound at their host path otherwise), and
``CUDA_VISIBLE_DEVICES``/``NVIDIA_VISIBLE_DEVICES`` set to the GPUs' UUIDs (UUIDs, not indices: inside, the
driver numbers the visible GPUs from 0). CUDA's initialisation also reads sysfs, so the NVIDIA kernel
modules' ``/sys/module/nvidia*`` and the run's GPUs' own PCI device folders are bound read-only (no other
GPU's, and nothing else of ``/sys``). Host locations follow the test hooks of ``gpu.py``.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from medalist.errors import MedalistError
from medalist.sandbox.gpu import ENV_LIB_DIRS, GpuDevice, dev_dir, nvidia_smi, sys_dir

CONTROL_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")
# User-space driver libraries (the files the NVIDIA container toolkit would inject, by name pattern).
DRIVER_LIB = re.compile(
    r"^lib(cuda|cudadebugger|nvcuvid|nvoptix|nvidia-[a-z0-9_-]+|(GLX|EGL|GLESv1_CM|GLESv2)_nvidia)\.so(\.[0-9.]+)?$"
)
ALREADY_VISIBLE = ("/usr/",)  # host trees the bwrap sandbox shows anyway (read-only)


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
            out["LD_LIBRARY_PATH"] = ":".join(
                self.lib_dirs + [p for p in out.get("LD_LIBRARY_PATH", "").split(":") if p]
            )
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
        args += [
            "--ro-bind",
            str(real),
            str(inside),
            "--symlink",
            os.readlink(link),
            f"/sys/bus/pci/devices/{g.pci_bus}",
        ]
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
    "CONTROL_NODES",
    "GpuSandboxSetup",
    "driver_files",
    "driver_lib_dirs",
    "sandbox_setup",
    "sysfs_args",
    "visible_env",
]
