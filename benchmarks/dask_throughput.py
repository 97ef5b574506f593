"""Throughput of the dask executor (1 vs 2 workers) against the local executor, measured in the same run.

Each configuration runs one group of N short runs (a command agent that sleeps S seconds, then copies
the sample submission) on a tiny built-in task, in the default sandbox, without grading. For the
dask executor a real ``dask scheduler`` and ``dask worker`` subprocesses are started on 127.0.0.1
(their start-up is reported separately: a cluster outlives many groups). Printed per configuration:

- runs/minute (N / group wall time),
- harness overhead per run = group wall time x workers / N - S (scheduling, sandbox, staging, result
  handling: everything that is not the agent's own sleep), and the in-worker part of it
  (mean ``run.json`` seconds - S),

then the 2-worker/1-worker throughput ratio of each executor and the dask/local ratios.

    .venv/bin/python benchmarks/dask_throughput.py [--runs 8] [--sleep 2] [--sandbox auto]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from medalist.agents import AgentRegistry
from medalist.paths import data_dir
from medalist.runner import LocalExecutor, RunGroup, execute_group, read_record
from medalist.runner.executors.dask import DaskExecutor
from medalist.runner.models import ExecutorInfo, LimitOverrides
from medalist.sandbox import get_sandbox
from medalist.tasks import TaskRegistry
from medalist.tasks.prepare import ensure_prepared

DASK = str(Path(sys.executable).parent / "dask")
TASK = "penguins-species"


@dataclass
class Result:
    label: str
    workers: int
    runs: int
    wall: float
    run_seconds: list[float]

    def per_minute(self) -> float:
        return self.runs / self.wall * 60

    def overhead(self, sleep: float) -> float:
        return self.wall * self.workers / self.runs - sleep

    def in_worker_overhead(self, sleep: float) -> float:
        return statistics.mean(self.run_seconds) - sleep


class TestCluster:
    """A scheduler and workers on 127.0.0.1 as subprocesses (each in its own session), killed on close."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = open(workdir / "cluster.log", "ab")
        sched_file = workdir / "scheduler.json"
        self._spawn(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ]
        )
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.1)
        time.sleep(0.2)
        self.address: str = json.loads(sched_file.read_text())["address"]

    def _spawn(self, args: list[str]) -> None:
        self.procs.append(subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True))

    def add_workers(self, n: int) -> None:
        import distributed

        have = len(self.procs) - 1
        for i in range(n):
            self._spawn(
                [
                    DASK,
                    "worker",
                    self.address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--name",
                    f"w{have + i}",
                    "--death-timeout",
                    "60",
                ]
            )
        with distributed.Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(have + n, timeout=120)

    def close(self) -> None:
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=30)
        self.log.close()


def make_agent(root: Path, sleep: float) -> Path:
    code = root / "sleepy_agent"
    code.mkdir()
    (code / "agent.sh").write_text(
        f"#!/bin/sh\nsleep {sleep}\ncp /home/data/sample_submission.csv /home/submission/submission.csv\n"
    )
    os.chmod(code, 0o755)
    os.chmod(code / "agent.sh", 0o755)
    path = root / "agents.yaml"
    path.write_text(
        "agents:\n  - id: sleepy\n    command: [/bin/sh, /opt/agent/agent.sh]\n"
        "    mounts: [{source: sleepy_agent, target: /opt/agent}]\n"
    )
    return path


def run_group(
    root: Path, agents_file: Path, label: str, executor: object, workers: int, runs: int, sandbox: str
) -> Result:
    specs = TaskRegistry.default().resolve([TASK])
    group = RunGroup.create(
        root / "groups",
        agent=AgentRegistry(agents_file).spec("sleepy"),
        tasks=specs,
        seeds=list(range(runs)),
        overrides=LimitOverrides(time_limit_secs=120),
        executor=ExecutorInfo(name=label.split()[0], workers=workers),
        sandbox=sandbox,
        grade=False,
        data_dir=str(data_dir()),
    )
    start = time.monotonic()
    execute_group(group, executor, grade=False)  # type: ignore[arg-type]
    wall = time.monotonic() - start
    records = [read_record(group.run_dir(e)) for e in group.meta.runs]
    bad = [r.run_id for r in records if r is None or r.status != "completed"]
    if bad:
        raise SystemExit(f"{label}: runs did not complete: {bad} (see {group.dir})")
    return Result(label, workers, runs, wall, [r.seconds or 0.0 for r in records if r is not None])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--sleep", type=float, default=2.0, help="seconds each agent sleeps")
    ap.add_argument("--sandbox", default="auto")
    args = ap.parse_args()

    ensure_prepared(TaskRegistry.default().get(TASK))
    sandbox = get_sandbox(args.sandbox).name
    root = Path(tempfile.mkdtemp(prefix="medalist-bench-dask-", dir="/tmp"))
    os.chmod(root, 0o755)
    results: list[Result] = []
    cluster: TestCluster | None = None
    try:
        agents_file = make_agent(root, args.sleep)
        for k in (1, 2):
            results.append(run_group(root, agents_file, f"local {k}w", LocalExecutor(k), k, args.runs, sandbox))
        t0 = time.monotonic()
        cluster = TestCluster(root)
        cluster.add_workers(1)
        startup_1 = time.monotonic() - t0
        results.append(
            run_group(root, agents_file, "dask 1w", DaskExecutor(scheduler=cluster.address), 1, args.runs, sandbox)
        )
        t0 = time.monotonic()
        cluster.add_workers(1)
        startup_add = time.monotonic() - t0
        results.append(
            run_group(root, agents_file, "dask 2w", DaskExecutor(scheduler=cluster.address), 2, args.runs, sandbox)
        )
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"{args.runs} runs of a command agent sleeping {args.sleep:g} s on {TASK}, sandbox {sandbox}, "
        f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"dask cluster start-up (not in the figures): scheduler + 1 worker {startup_1:.1f} s, +1 worker {startup_add:.1f} s"
    )
    print(f"{'executor':<10} {'wall s':>7} {'runs/min':>9} {'overhead s/run':>15} {'in-worker s/run':>16}")
    for r in results:
        print(
            f"{r.label:<10} {r.wall:7.1f} {r.per_minute():9.1f} {r.overhead(args.sleep):15.2f} "
            f"{r.in_worker_overhead(args.sleep):16.2f}"
        )
    by = {r.label: r for r in results}
    ideal = 2.0
    for ex in ("local", "dask"):
        ratio = by[f"{ex} 2w"].per_minute() / by[f"{ex} 1w"].per_minute()
        print(f"{ex}: 2-worker/1-worker throughput ratio {ratio:.2f} (ideal {ideal:.0f})")
    for k in (1, 2):
        ratio = by[f"dask {k}w"].per_minute() / by[f"local {k}w"].per_minute()
        print(f"{k} worker(s): dask/local throughput ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
