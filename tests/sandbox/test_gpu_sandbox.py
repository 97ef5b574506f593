"""GPUs in the real bwrap sandbox, with fake NVIDIA devices: a run sees exactly its own GPU device node
(plus the control nodes), read-only driver libraries and nvidia-smi, its own PCI sysfs folder, and no
device of another run however it looks for one."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from fake_gpus import NVIDIA_MAJOR, UVM_MAJOR, FakeGpus
from medalist.sandbox import BwrapSandbox, Limits, Mount, SandboxRequest
from medalist.sandbox.gpu import GpuDevice, discover_gpus

pytestmark = pytest.mark.sandbox

# Runs inside the sandbox: look everywhere for GPU device nodes and try to get at another GPU.
PROBE = (
    textwrap.dedent("""
    import errno, json, os, stat, subprocess, sys
    fake_dev, other_minor, lib, sysfs_other = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    found = {}
    for root, dirs, files in os.walk("/", onerror=lambda e: None):
        if root in ("/proc", "/usr", sys.prefix):  # host trees medalist binds as they are (and slow to walk)
            dirs[:] = []
            continue
        for name in files + dirs:
            p = os.path.join(root, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) in (@MAJORS@):
                found[p] = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    def try_open(p):
        try:
            os.close(os.open(p, os.O_RDWR))
            return "opened"
        except OSError as e:
            return errno.errorcode[e.errno]
    def try_mknod(p):
        try:
            os.mknod(p, stat.S_IFCHR | 0o666, os.makedev(@NVIDIA@, other_minor))
            return "made"
        except OSError as e:
            return errno.errorcode[e.errno]
    def try_write(p):
        try:
            open(p, "ab").close()
            return "writable"
        except OSError as e:
            return errno.errorcode[e.errno]
    smi = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
    print(json.dumps({
        "found": found,
        "dev": sorted(os.listdir("/dev")),
        "open_other": try_open(f"/dev/nvidia{other_minor}"),
        "open_own": {p: try_open(p) for p in found if p.startswith("/dev/nvidia") and p[11:].isdigit()},
        "mknod_dev": try_mknod(f"/dev/nvidia{other_minor}"),
        "mknod_tmp": try_mknod("/tmp/nvidia-stolen"),
        "fake_dev_dir_visible": os.path.exists(fake_dev),
        "libcuda": open(os.path.join(lib, "libcuda.so.1"), "rb").read().decode(errors="replace"),
        "libcuda_write": try_write(os.path.join(lib, "libcuda.so.550.54.14")),
        "lib_listing": sorted(os.listdir(lib)),
        "sys": sorted(os.listdir("/sys")) if os.path.isdir("/sys") else None,
        "sys_module": sorted(os.listdir("/sys/module")) if os.path.isdir("/sys/module") else None,
        "sys_other_gpu": os.path.exists(sysfs_other),
        "smi": smi.stdout, "smi_rc": smi.returncode,
        "env": {k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH")},
    }))
""")
    .replace("@MAJORS@", f"{NVIDIA_MAJOR}, {UVM_MAJOR}")
    .replace("@NVIDIA@", str(NVIDIA_MAJOR))
)


def _probe(bwrap: BwrapSandbox, box: Path, fake: FakeGpus, gpus: tuple[GpuDevice, ...], other: int) -> dict:
    work = box / "work"
    work.mkdir(exist_ok=True)
    work.chmod(0o777)  # writable by the sandbox user: the harness never chowns host folders
    log = box / "probe.json"
    result = bwrap.run(
        SandboxRequest(
            argv=[
                sys.executable,
                "-c",
                PROBE,
                str(fake.dev),
                str(fake.minors[other]),
                str(fake.lib),
                f"/sys/devices/pci0000:00/{fake.pci_bus(other)}",
            ],
            mounts=[Mount(work, "/home/work", writable=True)],
            cwd="/home/work",
            limits=Limits(memory_gb=1, cpus=1, pids=64, time_limit_secs=120),
            stdout=log,
            stderr=box / "probe.err",
            env={"PATH": "/usr/bin:/bin"},
            gpus=gpus,
        )
    )
    assert result.ok, (result, (box / "probe.err").read_text())
    return json.loads(log.read_text().strip().splitlines()[-1])


def test_a_run_sees_only_its_own_gpu(bwrap: BwrapSandbox, box: Path, fake_gpus: FakeGpus) -> None:
    gpus = discover_gpus()
    mine, other = 1, 0  # nvidia-smi index 1 is /dev/nvidia0; the other GPU is /dev/nvidia1
    got = _probe(bwrap, box, fake_gpus, (gpus[mine],), other)
    own_node = f"/dev/nvidia{fake_gpus.minors[mine]}"
    # Every GPU-driver device node reachable anywhere: exactly its own GPU's and the control nodes.
    assert got["found"] == {
        own_node: f"{NVIDIA_MAJOR}:{fake_gpus.minors[mine]}",
        "/dev/nvidiactl": f"{NVIDIA_MAJOR}:255",
        "/dev/nvidia-modeset": f"{NVIDIA_MAJOR}:254",
        "/dev/nvidia-uvm": f"{UVM_MAJOR}:0",
        "/dev/nvidia-uvm-tools": f"{UVM_MAJOR}:1",
    }
    assert sorted(got["dev"]) == sorted(
        [
            "core",
            "fd",
            "full",
            "null",
            "ptmx",
            "pts",
            "random",
            "shm",
            "stderr",
            "stdin",
            "stdout",
            "tty",
            "urandom",
            "zero",
            "nvidiactl",
            "nvidia-modeset",
            "nvidia-uvm",
            "nvidia-uvm-tools",
            own_node[5:],
        ]
    )
    # Its node is a live device node (no driver behind the fake: ENXIO, not EACCES from a nodev mount);
    # the other GPU cannot be opened or made.
    assert got["open_own"] == {own_node: "ENXIO"}
    assert got["open_other"] == "ENOENT"
    assert got["mknod_dev"] in ("EPERM", "EACCES", "EROFS") and got["mknod_tmp"] in ("EPERM", "EACCES")
    assert got["fake_dev_dir_visible"] is False
    # Driver libraries read-only, and only the driver's; nvidia-smi lists only this GPU.
    assert "fake libcuda" in got["libcuda"] and got["libcuda_write"] == "EROFS"  # world-writable on the host
    assert "libunrelated.so.1" not in got["lib_listing"] and "libcuda.so.1" in got["lib_listing"]
    assert got["smi_rc"] == 0 and got["smi"].strip() == f"GPU 0: Fake GPU {mine} (UUID: {fake_gpus.uuids[mine]})"
    assert got["env"]["CUDA_VISIBLE_DEVICES"] == got["env"]["NVIDIA_VISIBLE_DEVICES"] == fake_gpus.uuids[mine]
    assert got["env"]["LD_LIBRARY_PATH"] == str(fake_gpus.lib)
    # sysfs: the nvidia modules and its own PCI folder, not the other GPU's, nothing else of /sys.
    assert got["sys"] == ["bus", "devices", "module"] and got["sys_module"] == ["nvidia", "nvidia_uvm"]
    assert got["sys_other_gpu"] is False


def test_a_run_without_gpus_sees_no_gpu_at_all(bwrap: BwrapSandbox, box: Path, fake_gpus: FakeGpus) -> None:
    work = box / "work"
    work.mkdir()
    work.chmod(0o777)  # writable by the sandbox user: the harness never chowns host folders
    log = box / "out.txt"
    code = (
        "import glob, os; print(glob.glob('/dev/nvidia*'), os.path.exists('/sys'), "
        "os.environ.get('CUDA_VISIBLE_DEVICES'))"
    )
    result = bwrap.run(
        SandboxRequest(
            argv=[sys.executable, "-c", code],
            mounts=[Mount(work, "/home/work", writable=True)],
            cwd="/home/work",
            limits=Limits(time_limit_secs=60),
            stdout=log,
        )
    )
    assert result.ok and log.read_text().strip() == "[] False None"
