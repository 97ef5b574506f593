"""Fake NVIDIA GPUs for tests on machines without one: device nodes made with mknod (root only), a
/proc/driver/nvidia look-alike, driver library files, and a fake ``nvidia-smi`` that behaves like the
real driver in one way that matters here: it lists only the GPUs whose device node it can see (so inside
a sandbox it lists the sandbox's GPUs, renumbered from 0). Pointed to by medalist's GPU test hooks."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

NVIDIA_MAJOR = 195  # the real driver's major for /dev/nvidia<N>, nvidiactl (255) and nvidia-modeset (254)
UVM_MAJOR = 509  # dynamic on real hosts; any unused major will do (opening gives ENXIO)

SMI = r"""#!/bin/sh
# Fake nvidia-smi for medalist's tests: lists the GPUs whose device node exists in $DEV.
DEV="${MEDALIST_NVIDIA_DEV_DIR:-/dev}"
USAGE="@USAGE@"
GPUS='@GPUS@'
case "$1" in
  -L)
    i=0
    echo "$GPUS" | while read -r minor uuid name; do
      [ -c "$DEV/nvidia$minor" ] || continue
      echo "GPU $i: $name (UUID: $uuid)"
      i=$((i + 1))
    done ;;
  --query-gpu=*)
    fields=$(echo "${1#--query-gpu=}" | tr ',' ' ')
    i=0
    echo "$GPUS" | while read -r minor uuid name; do
      [ -c "$DEV/nvidia$minor" ] || continue
      mem=0; util=0
      [ -r "$USAGE/$uuid" ] && read -r mem util < "$USAGE/$uuid"
      line=""
      for f in $fields; do
        case "$f" in
          index) v=$i ;; uuid) v=$uuid ;; name) v=$name ;; memory.used) v=$mem ;; utilization.gpu) v=$util ;;
          *) v="[N/A]" ;;
        esac
        line="${line:+$line, }$v"
      done
      echo "$line"
      i=$((i + 1))
    done ;;
  *) echo "fake nvidia-smi" ;;
esac
"""


@dataclass
class FakeGpus:
    """``n`` fake GPUs under ``root`` (reachable by the sandbox user). ``minors[i]`` is the device minor
    of the GPU nvidia-smi calls index i (they differ on purpose)."""

    root: Path
    minors: list[int]
    uuids: list[str] = field(default_factory=list)

    @property
    def dev(self) -> Path:
        return self.root / "dev"

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def lib(self) -> Path:
        return self.root / "lib"

    def env(self, *, smi: bool = True) -> dict[str, str]:
        """Environment pointing medalist's GPU discovery (and allocator, sampler) at the fakes."""
        path = os.environ.get("PATH", "/usr/bin:/bin")
        return {
            "MEDALIST_NVIDIA_DEV_DIR": str(self.dev),
            "MEDALIST_NVIDIA_PROC_DIR": str(self.root / "proc"),
            "MEDALIST_NVIDIA_LIB_DIRS": str(self.lib),
            "MEDALIST_NVIDIA_SYS_DIR": str(self.root / "sys"),
            "MEDALIST_GPU_LOCK_DIR": str(self.root / "locks"),
            "MEDALIST_GPU_SAMPLE_SECS": "0.2",
            "PATH": f"{self.bin}:{path}" if smi else path,
        }

    def set_usage(self, index: int, memory_mib: float, utilization_pct: float) -> None:
        """What the fake nvidia-smi reports for GPU ``index`` from now on."""
        (self.root / "usage" / self.uuids[index]).write_text(f"{memory_mib} {utilization_pct}\n")

    def node_rdev(self, index: int) -> tuple[int, int]:
        return NVIDIA_MAJOR, self.minors[index]

    def pci_bus(self, index: int) -> str:
        return f"0000:{0x10 + index:02x}:00.0"


def _mknod(path: Path, major: int, minor: int, mode: int = 0o666) -> None:
    os.mknod(path, stat.S_IFCHR | mode, os.makedev(major, minor))
    os.chmod(path, mode)


def make_fake_gpus(root: Path, minors: list[int]) -> FakeGpus:
    """Create the fakes under ``root`` (must exist, world-searchable); needs root for mknod."""
    fake = FakeGpus(
        root=root,
        minors=minors,
        uuids=[f"GPU-fake{i:04d}-0000-4000-8000-{minor:012d}" for i, minor in enumerate(minors)],
    )
    for sub in (
        "dev",
        "bin",
        "lib",
        "usage",
        "locks",
        "proc/gpus",
        "sys/module/nvidia",
        "sys/module/nvidia_uvm",
        "sys/module/snd",
        "sys/bus/pci/devices",
        "sys/devices/pci0000:00",
        "sys/kernel",
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root / sub, 0o755)
    for d in (
        root / "proc",
        root / "sys",
        root / "sys/module",
        root / "sys/bus",
        root / "sys/bus/pci",
        root / "sys/devices",
    ):
        os.chmod(d, 0o755)
    (root / "sys/module/nvidia/version").write_text("550.54.14\n")
    (root / "sys/module/nvidia_uvm/initstate").write_text("live\n")
    (root / "sys/kernel/secret").write_text("host sysfs: must stay invisible\n")
    for i, minor in enumerate(minors):
        _mknod(fake.dev / f"nvidia{minor}", NVIDIA_MAJOR, minor)
        info = fake.root / "proc" / "gpus" / f"0000:{0x10 + i:02x}:00.0"
        info.mkdir()
        (info / "information").write_text(
            f"Model: \t\t Fake GPU {i}\nIRQ:   \t\t 42\nGPU UUID: \t {fake.uuids[i]}\nDevice Minor: \t {minor}\n"
            f"Bus Location: \t {fake.pci_bus(i)}\n"
        )
        pci = root / "sys/devices/pci0000:00" / fake.pci_bus(i)
        pci.mkdir()
        (pci / "vendor").write_text("0x10de\n")
        (root / "sys/bus/pci/devices" / fake.pci_bus(i)).symlink_to(f"../../../devices/pci0000:00/{fake.pci_bus(i)}")
    _mknod(fake.dev / "nvidiactl", NVIDIA_MAJOR, 255)
    _mknod(fake.dev / "nvidia-modeset", NVIDIA_MAJOR, 254)
    _mknod(fake.dev / "nvidia-uvm", UVM_MAJOR, 0)
    _mknod(fake.dev / "nvidia-uvm-tools", UVM_MAJOR, 1)
    (fake.lib / "libcuda.so.550.54.14").write_bytes(b"\x7fELF fake libcuda\n")
    (fake.lib / "libcuda.so.1").symlink_to("libcuda.so.550.54.14")
    (fake.lib / "libnvidia-ml.so.550.54.14").write_bytes(b"\x7fELF fake nvml\n")
    (fake.lib / "libnvidia-ml.so.1").symlink_to("libnvidia-ml.so.550.54.14")
    (fake.lib / "libunrelated.so.1").write_bytes(b"not a driver library\n")
    table = "\n".join(f"{m} {u} Fake GPU {i}" for i, (m, u) in enumerate(zip(minors, fake.uuids)))
    smi = fake.bin / "nvidia-smi"
    smi.write_text(SMI.replace("@GPUS@", table).replace("@USAGE@", str(root / "usage")))
    os.chmod(smi, 0o755)
    for p in fake.lib.iterdir():
        if not p.is_symlink():
            os.chmod(p, 0o644)
    os.chmod(fake.lib / "libcuda.so.550.54.14", 0o666)  # only the read-only bind keeps a sandbox from writing it
    return fake


@pytest.fixture
def fake_gpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGpus]:
    """Two fake GPUs (nvidia-smi index 0 -> /dev/nvidia1, index 1 -> /dev/nvidia0), active in os.environ."""
    if os.geteuid() != 0:
        pytest.skip("fake GPU device nodes need root (mknod)")
    root = Path(tempfile.mkdtemp(prefix="medalist-fakegpu-", dir="/tmp"))
    root.chmod(0o755)
    fake = make_fake_gpus(root, minors=[1, 0])
    for k, v in fake.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    yield fake
    shutil.rmtree(root, ignore_errors=True)
