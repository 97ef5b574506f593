"""`medalist run --gpus N` end to end with fake NVIDIA GPUs (fake_gpus.py): the real CLI, local and Dask
executors, the real bwrap sandbox. Each run gets its own GPU, visible inside its sandbox and no other;
GPUs come back after kill -9 + --resume; without GPUs `--gpus` fails in one line."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from fake_gpus import FakeGpus
from medalist.errors import MedalistError
from medalist.runner import GroupMetadata, RunRecord, read_record
from medalist.sandbox.gpu import discover_gpus
from medalist.sandbox.gpu_alloc import GpuAllocator
from run_helpers import MEDALIST, kill_9_when, medalist_cli, only_group, write_shell_agent  # type: ignore[import-not-found]

# A command agent that logs what GPUs its sandbox shows, and when it held them.
GPU_AGENT_SH = """#!/bin/sh
start=$(date +%s.%N)
ls /dev | grep '^nvidia[0-9]' > /home/logs/gpu_nodes.txt
echo "$CUDA_VISIBLE_DEVICES" > /home/logs/cuda.txt
nvidia-smi -L > /home/logs/smi.txt
sleep {sleep}
cp /home/data/sample_submission.csv /home/submission/submission.csv
echo "$start $(date +%s.%N)" > /home/logs/span.txt
"""


def _meta(gdir: Path) -> GroupMetadata:
    return GroupMetadata.model_validate_json((gdir / "metadata.json").read_text())


def _check_gpu_runs(gdir: Path, fake: FakeGpus, n_runs: int) -> list[RunRecord]:
    """Every run completed with one GPU, saw exactly that GPU inside, and runs that overlapped in time
    had different GPUs."""
    meta = _meta(gdir)
    assert len(meta.runs) == n_runs and all(e.status == "completed" and e.valid_submission for e in meta.runs)
    records, spans = [], []
    for e in meta.runs:
        rec = read_record(gdir / e.dir)
        assert rec is not None and len(rec.gpus) == 1, rec
        gpu = rec.gpus[0]
        logs = gdir / e.dir / "workspace" / "logs"
        assert (logs / "gpu_nodes.txt").read_text().split() == [f"nvidia{gpu.minor}"]
        assert (logs / "cuda.txt").read_text().strip() == gpu.uuid
        assert (logs / "smi.txt").read_text().splitlines() == [f"GPU 0: {gpu.name} (UUID: {gpu.uuid})"]
        assert rec.gpu_usage is not None and rec.gpu_usage.samples >= 1 and rec.gpu_wait_seconds is not None
        assert "1 NVIDIA GPU(s) of your own" in (gdir / "_shared" / e.task_id / "instructions.txt").read_text()
        start, end = map(float, (logs / "span.txt").read_text().split())
        spans.append((start, end, gpu.uuid))
        records.append(rec)
    for i, (s1, e1, g1) in enumerate(spans):
        for s2, e2, g2 in spans[i + 1 :]:
            if s1 < e2 and s2 < e1:
                assert g1 != g2, "two runs executing at the same time shared a GPU"
    assert {r.gpus[0].uuid for r in records} == set(fake.uuids)  # both GPUs were used
    return records


def test_gpus_without_nvidia_gpus_fails_in_one_line(runs_dir: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "MEDALIST_NVIDIA_PROC_DIR": str(tmp_path / "none")}
    res = medalist_cli(
        "run",
        "--agent",
        "sample",
        "--tasks",
        "penguins-species",
        "--gpus",
        "1",
        "--runs-dir",
        str(runs_dir / "groups"),
        env=env,
        timeout=120,
    )
    assert res.returncode == 2  # the CLI's exit code for a user error
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "--gpus 1: no NVIDIA GPU found on this machine" in lines[0], res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert not (runs_dir / "groups").exists() or not any((runs_dir / "groups").iterdir())  # no group started


@pytest.mark.slow
def test_dummy_quick_two_workers_each_run_sees_only_its_gpu(
    runs_dir: Path, fake_gpus: FakeGpus, require_bwrap: str
) -> None:
    """The issue's acceptance command: `medalist run --agent dummy --tasks quick --gpus 1 --workers 2`."""
    res = medalist_cli(
        "run",
        "--agent",
        "dummy",
        "--tasks",
        "quick",
        "--gpus",
        "1",
        "--workers",
        "2",
        "--runs-dir",
        str(runs_dir / "groups"),
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    gdir = only_group(runs_dir / "groups")
    seen = []
    for e in _meta(gdir).runs:
        rec = read_record(gdir / e.dir)
        assert rec is not None and rec.status == "completed" and len(rec.gpus) == 1
        checks = json.loads((gdir / e.dir / "workspace" / "logs" / "dummy_checks.json").read_text())
        assert checks["passed"], checks["failed"]
        view = checks["gpus"]
        gpu_nodes = {p: rdev for p, rdev in view["devices"].items() if p[len("/dev/nvidia") :].isdigit()}
        assert gpu_nodes == {f"/dev/nvidia{rec.gpus[0].minor}": f"195:{rec.gpus[0].minor}"}
        assert view["CUDA_VISIBLE_DEVICES"] == rec.gpus[0].uuid and view["nvidia_smi_uuids"] == [rec.gpus[0].uuid]
        seen.append(rec.gpus[0].uuid)
    assert len(seen) == len(set(seen)) == 2  # quick = 2 tasks, 2 GPUs: one each


@pytest.mark.slow
def test_kill_9_then_resume_gives_gpus_back(runs_dir: Path, fake_gpus: FakeGpus, require_bwrap: str) -> None:
    """kill -9 `medalist run --gpus 1 --workers 2` while runs hold both GPUs: the GPUs are free again at
    once (nothing stale to clean), and `--resume` finishes every run, each with its own GPU."""
    agents = write_shell_agent(runs_dir, "gpu-probe", GPU_AGENT_SH.format(sleep=3))
    groups = runs_dir / "groups"
    proc = subprocess.Popen(
        [
            MEDALIST,
            "run",
            "--agent",
            "gpu-probe",
            "--agents-file",
            str(agents),
            "--tasks",
            "penguins-species,wine-cultivar",
            "--seeds",
            "2",
            "--gpus",
            "1",
            "--workers",
            "2",
            "--runs-dir",
            str(groups),
            "--time-limit",
            "60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Two sandboxes in flight, each holding a GPU:
    kill_9_when(
        proc,
        lambda: len(list(groups.glob("*/*/workspace/logs/gpu_nodes.txt"))) >= 2,
        "two runs holding GPUs at once",
        timeout=300,
    )
    gdir = only_group(groups)
    allocator = GpuAllocator(discover_gpus())
    deadline = time.monotonic() + 30  # the workers die with the killed CLI (PDEATHSIG), taking their locks
    while (lease := allocator.try_acquire(2, "test")) is None:
        assert time.monotonic() < deadline, f"GPUs still held after kill -9: {allocator.holders()}"
        time.sleep(0.2)
    lease.release()
    assert any(e.status != "completed" for e in _meta(gdir).runs)

    res = medalist_cli("run", "--resume", str(gdir), "--workers", "2", timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert _meta(gdir).resumed == 1
    _check_gpu_runs(gdir, fake_gpus, 4)


@pytest.mark.slow
def test_dask_executor_gives_each_run_a_gpu(runs_dir: Path, fake_gpus: FakeGpus, require_bwrap: str) -> None:
    """`--executor dask` (private LocalCluster; its workers declare the host's GPUs) with --gpus 1; the
    peaks nvidia-smi reports for each run's own GPU land in run.json and the report's cost/time table."""
    agents = write_shell_agent(runs_dir, "gpu-probe", GPU_AGENT_SH.format(sleep=1.5))
    fake_gpus.set_usage(0, 1234, 56)
    fake_gpus.set_usage(1, 2345, 78)
    res = medalist_cli(
        "run",
        "--agent",
        "gpu-probe",
        "--agents-file",
        str(agents),
        "--tasks",
        "penguins-species",
        "--seeds",
        "3",
        "--gpus",
        "1",
        "--workers",
        "2",
        "--executor",
        "dask",
        "--runs-dir",
        str(runs_dir / "groups"),
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    gdir = only_group(runs_dir / "groups")
    expected = {fake_gpus.uuids[0]: (1234, 56.0), fake_gpus.uuids[1]: (2345, 78.0)}
    cells = []
    for rec in _check_gpu_runs(gdir, fake_gpus, 3):
        mem, util = expected[rec.gpus[0].uuid]
        assert rec.gpu_usage is not None and rec.gpu_usage.peak_memory_bytes == mem * 2**20
        assert rec.gpu_usage.peak_utilization_pct == util
        cells.append(f"<td>1: {mem} MB, {util:.0f}%</td>")
    html = runs_dir / "report.html"
    rep = medalist_cli("report", str(gdir), "-o", str(html), timeout=120)
    assert rep.returncode == 0, rep.stderr
    text = html.read_text()
    assert "GPUs: peak mem, util" in text and all(c in text for c in cells)


@pytest.mark.slow
def test_dask_worker_declaring_more_gpus_than_it_has_is_refused(runs_dir: Path, fake_gpus: FakeGpus) -> None:
    from medalist.runner.executors.dask import DaskExecutor

    executor = DaskExecutor(1)
    executor.local_resources["GPU"] = 3.0  # the fake host has 2
    try:
        groups = runs_dir / "g"
        groups.mkdir()
        with pytest.raises(MedalistError, match=r"declares GPU=3 but has 2 usable NVIDIA GPU\(s\)"):
            executor.check_workers(groups, "process", gpus=1)
    finally:
        executor.close()
