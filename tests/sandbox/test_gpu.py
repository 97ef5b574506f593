"""GPU discovery, the bind plan for a sandbox, and peak sampling, against fake NVIDIA GPUs (fake_gpus.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fake_gpus import FakeGpus
from medalist.errors import MedalistError
from medalist.sandbox.gpu import GpuDevice, discover_gpus, host_gpus, parse_smi_list, require_gpus
from medalist.sandbox.gpu_binds import sandbox_setup, visible_env
from medalist.sandbox.gpu_usage import GpuMonitor, parse_query


def test_parse_smi_list_keeps_gpus_and_skips_mig_lines() -> None:
    text = (
        "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5b4a1a4e-1111-2222-3333-444455556666)\n"
        "  MIG 1g.5gb     Device  0: (UUID: MIG-aaaa)\n"
        "GPU 1: Tesla T4 (UUID: GPU-0f0f0f0f-1111-2222-3333-444455556666)\n"
        "No devices were found\n"
    )
    assert parse_smi_list(text) == [
        (0, "NVIDIA A100-SXM4-40GB", "GPU-5b4a1a4e-1111-2222-3333-444455556666"),
        (1, "Tesla T4", "GPU-0f0f0f0f-1111-2222-3333-444455556666"),
    ]


def test_discovery_maps_nvidia_smi_index_to_device_minor(fake_gpus: FakeGpus) -> None:
    """nvidia-smi's index is not the /dev/nvidia<N> number: the minor comes from /proc/driver/nvidia."""
    gpus = discover_gpus()
    assert [(g.index, g.uuid, g.minor, g.pci_bus) for g in gpus] == [
        (0, fake_gpus.uuids[0], 1, fake_gpus.pci_bus(0)),
        (1, fake_gpus.uuids[1], 0, fake_gpus.pci_bus(1)),
    ]
    # A GPU whose device node is missing is not usable.
    (fake_gpus.dev / "nvidia0").unlink()
    assert [g.uuid for g in discover_gpus()] == [fake_gpus.uuids[0]]


def test_discovery_without_nvidia_smi_reads_proc(fake_gpus: FakeGpus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", fake_gpus.env(smi=False)["PATH"].replace(f"{fake_gpus.bin}:", ""))
    gpus = discover_gpus()
    assert [(g.index, g.uuid, g.minor, g.name) for g in gpus] == [
        (0, fake_gpus.uuids[0], 1, "Fake GPU 0"),
        (1, fake_gpus.uuids[1], 0, "Fake GPU 1"),
    ]


def test_cuda_visible_devices_of_the_harness_narrows_the_pool(
    fake_gpus: FakeGpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dask worker started with CUDA_VISIBLE_DEVICES hands out only those (by index or UUID prefix)."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert [g.uuid for g in host_gpus()] == [fake_gpus.uuids[1]]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", fake_gpus.uuids[0][:16])
    assert [g.uuid for g in host_gpus()] == [fake_gpus.uuids[0]]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    with pytest.raises(MedalistError, match="no NVIDIA GPU found on this machine .CUDA_VISIBLE_DEVICES='' names none"):
        require_gpus(1)


def test_no_gpu_and_too_few_gpus_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("MEDALIST_NVIDIA_PROC_DIR", str(tmp_path / "no-proc"))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with pytest.raises(MedalistError) as exc:
        require_gpus(1)
    assert "\n" not in str(exc.value) and "no NVIDIA GPU found on this machine" in str(exc.value)
    assert "no nvidia-smi on PATH" in str(exc.value)


def test_too_few_gpus(fake_gpus: FakeGpus) -> None:
    with pytest.raises(MedalistError, match=r"--gpus 3: this machine has only 2 usable NVIDIA GPU\(s\)"):
        require_gpus(3)


def test_sandbox_setup_binds_exactly_the_given_gpu(fake_gpus: FakeGpus) -> None:
    """The plan for GPU index 1 (/dev/nvidia0): its node and the control nodes as device binds, driver
    libraries and nvidia-smi read-only at their host paths, its own PCI folder only; UUIDs in the env."""
    gpu = discover_gpus()[1]
    setup = sandbox_setup([gpu])
    triples = [tuple(setup.args[i : i + 3]) for i in range(len(setup.args)) if setup.args[i].startswith("--")]
    dev_binds = sorted(t[2] for t in triples if t[0] == "--dev-bind")
    assert dev_binds == [
        "/dev/nvidia-modeset",
        "/dev/nvidia-uvm",
        "/dev/nvidia-uvm-tools",
        "/dev/nvidia0",
        "/dev/nvidiactl",
    ]
    assert all(t[0] in ("--ro-bind", "--symlink") for t in triples if t[0] != "--dev-bind")  # nothing writable
    bound = {t[2] for t in triples}
    assert {
        str(fake_gpus.lib / "libcuda.so.1"),
        str(fake_gpus.lib / "libnvidia-ml.so.550.54.14"),
        str(fake_gpus.bin / "nvidia-smi"),
    } <= bound
    assert str(fake_gpus.lib / "libunrelated.so.1") not in bound
    assert f"/sys/devices/pci0000:00/{fake_gpus.pci_bus(1)}" in bound
    assert f"/sys/devices/pci0000:00/{fake_gpus.pci_bus(0)}" not in bound
    assert {"/sys/module/nvidia", "/sys/module/nvidia_uvm"} <= bound and "/sys/module/snd" not in bound
    env = setup.apply_env({"PATH": "/usr/bin:/bin"})
    assert env["CUDA_VISIBLE_DEVICES"] == env["NVIDIA_VISIBLE_DEVICES"] == fake_gpus.uuids[1]
    assert env["PATH"] == f"/usr/bin:/bin:{fake_gpus.bin}" and env["LD_LIBRARY_PATH"] == str(fake_gpus.lib)
    assert sandbox_setup([]).args == [] and sandbox_setup([]).env == {}
    assert visible_env([]) == {"CUDA_VISIBLE_DEVICES": ""}


def test_sandbox_setup_refuses_a_device_the_sandbox_user_cannot_open(fake_gpus: FakeGpus) -> None:
    os.chmod(fake_gpus.dev / "nvidia1", 0o660)
    with pytest.raises(MedalistError, match=r"nvidia1 is not readable and writable by all \(mode 660\)"):
        sandbox_setup([discover_gpus()[0]])


def test_parse_query_skips_unsupported_values() -> None:
    got = parse_query("GPU-a, 1024, 87\nGPU-b, [N/A], [Not Supported]\n\n")
    assert got == {"GPU-a": (1024 * 2**20, 87.0), "GPU-b": (None, None)}


def test_monitor_records_peaks_of_its_own_gpus_only(fake_gpus: FakeGpus) -> None:
    """Memory is the peak of the sum over the run's GPUs, utilisation the busiest GPU; another run's GPU
    never counts."""
    gpus = discover_gpus()
    fake_gpus.set_usage(0, 100, 10)
    fake_gpus.set_usage(1, 50_000, 100)  # not this run's GPU
    with GpuMonitor([gpus[0]], interval=0.05) as mon:
        time.sleep(0.3)
        fake_gpus.set_usage(0, 3000, 95)
        time.sleep(0.3)
        fake_gpus.set_usage(0, 200, 5)
        time.sleep(0.2)
    usage = mon.usage()
    assert usage is not None and usage.error is None and usage.samples >= 4
    assert usage.peak_memory_bytes == 3000 * 2**20 and usage.peak_utilization_pct == 95.0
    with GpuMonitor(gpus, interval=10) as both:
        pass
    assert both.usage().peak_memory_bytes == (200 + 50_000) * 2**20  # type: ignore[union-attr]
    assert GpuMonitor([]).usage() is None


def test_monitor_reports_a_failing_nvidia_smi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with GpuMonitor([GpuDevice(index=0, uuid="GPU-x", minor=0)], interval=10) as mon:
        pass
    usage = mon.usage()
    assert usage is not None and usage.samples == 0 and usage.peak_memory_bytes is None
    assert usage.error == "nvidia-smi is not on PATH"
