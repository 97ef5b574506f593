"""The per-host GPU allocator: concurrent leases across processes never share a GPU, a crashed or
``kill -9``-ed holder never keeps one, and choosing is all-or-nothing. Real processes, real flock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from medalist.errors import MedalistError
from medalist.sandbox.gpu import GpuDevice
from medalist.sandbox.gpu_alloc import GpuAllocator, lock_dir

GPUS = [GpuDevice(index=i, uuid=f"GPU-test-{i}", name=f"test {i}", minor=i) for i in range(3)]

# A child process: lease `need` GPUs `rounds` times, log (uuids, start, end) of each hold as JSON lines.
WORKER = textwrap.dedent("""
    import json, random, sys, time
    from pathlib import Path
    from medalist.sandbox.gpu import GpuDevice
    from medalist.sandbox.gpu_alloc import GpuAllocator
    root, need, rounds, out = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    gpus = [GpuDevice(index=i, uuid=f"GPU-test-{i}", minor=i) for i in range(3)]
    alloc = GpuAllocator(gpus, root)
    with open(out, "a") as log:
        for r in range(rounds):
            with alloc.lease(need, owner=f"{out}#{r}") as held:
                t0 = time.time()
                time.sleep(random.uniform(0.01, 0.04))
                t1 = time.time()
            log.write(json.dumps({"uuids": [g.uuid for g in held], "t0": t0, "t1": t1}) + "\\n")
""")

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from medalist.sandbox.gpu import GpuDevice
    from medalist.sandbox.gpu_alloc import GpuAllocator
    root, mode = Path(sys.argv[1]), sys.argv[2]
    alloc = GpuAllocator([GpuDevice(index=0, uuid="GPU-test-0", minor=0)], root)
    with alloc.lease(1, owner="holder"):
        print("held", flush=True)
        if mode == "crash":
            raise RuntimeError("the run crashed")
        time.sleep(600)
""")


def _spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_concurrent_processes_never_share_a_gpu(tmp_path: Path) -> None:
    """6 processes lease 1 or 2 of 3 GPUs 15 times each, all at once: per GPU, no two holds overlap,
    every lease is whole (never fewer GPUs than asked), and every GPU is used."""
    logs = [tmp_path / f"w{i}.jsonl" for i in range(6)]
    procs = [_spawn(WORKER, str(tmp_path), "2" if i % 3 == 0 else "1", "15", str(log)) for i, log in enumerate(logs)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    holds: dict[str, list[tuple[float, float]]] = {}
    for i, log in enumerate(logs):
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        assert len(rows) == 15
        for row in rows:
            assert len(set(row["uuids"])) == (2 if i % 3 == 0 else 1)
            for u in row["uuids"]:
                holds.setdefault(u, []).append((row["t0"], row["t1"]))
    assert set(holds) == {g.uuid for g in GPUS}
    for uuid, spans in holds.items():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert start >= end, f"{uuid} was held by two runs at once"


def test_kill_9_and_crash_never_keep_a_gpu(tmp_path: Path) -> None:
    """A holder that crashes releases at once; one killed with SIGKILL too (the kernel drops flock),
    while its lock file still names it as the last holder."""
    alloc = GpuAllocator(GPUS[:1], tmp_path)
    crashed = _spawn(HOLDER, str(tmp_path), "crash")
    _, err = crashed.communicate(timeout=60)
    assert crashed.returncode != 0 and "the run crashed" in err
    lease = alloc.try_acquire(1, "after-crash")
    assert lease is not None
    lease.release()

    holder = _spawn(HOLDER, str(tmp_path), "hold")
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert alloc.try_acquire(1, "while-held") is None
    assert alloc.holders()["GPU-test-0"]["pid"] == holder.pid
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with alloc.lease(1, owner="after-kill", wait_secs=5) as got:
        assert [g.uuid for g in got] == ["GPU-test-0"]
        assert alloc.holders()["GPU-test-0"]["owner"] == "after-kill"


def test_all_or_nothing_and_waiting(tmp_path: Path) -> None:
    """A run needing 2 GPUs while 1 of 2 is held takes none (so the holder's neighbour can still get the
    other), then gets both once the holder releases; leases in one process are disjoint too."""
    a, b = GpuAllocator(GPUS[:2], tmp_path), GpuAllocator(GPUS[:2], tmp_path)
    first = a.acquire(1, "first")
    assert b.try_acquire(2, "needs-two") is None
    second = b.try_acquire(1, "second")
    assert second is not None and set(second.gpus).isdisjoint(first.gpus)
    second.release()
    with pytest.raises(MedalistError, match=r"no 2 free GPU\(s\) after 0.3s"):
        b.acquire(2, "needs-two", wait_secs=0.3)
    seen: list[dict[str, object]] = []
    threading.Timer(0.4, first.release).start()
    both = b.acquire(2, "needs-two", wait_secs=10, on_wait=seen.append)
    assert len(both.gpus) == 2 and both.waited_secs >= 0.3 and seen  # it said whom it waited for
    both.release()
    with pytest.raises(MedalistError, match=r"needs 3 GPU\(s\) but only 2 are available"):
        a.acquire(3, "too-many")
    assert a.acquire(0, "none").gpus == ()


def test_least_recently_leased_gpu_goes_first(tmp_path: Path) -> None:
    """Back-to-back runs rotate over the GPUs instead of always taking GPU 0."""
    alloc = GpuAllocator(GPUS, tmp_path)
    order = []
    for i in range(6):
        with alloc.lease(1, owner=f"run{i}") as got:
            order.append(got[0].index)
        time.sleep(0.01)  # distinct mtimes
    assert order == [0, 1, 2, 0, 1, 2]


def test_lock_dir_hook_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALIST_GPU_LOCK_DIR", str(tmp_path / "locks"))
    assert lock_dir() == tmp_path / "locks" and (tmp_path / "locks").is_dir()
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("MEDALIST_GPU_LOCK_DIR", str(blocker / "locks"))
    with pytest.raises(MedalistError, match="no usable GPU lock folder"):
        lock_dir()
