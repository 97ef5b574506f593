"""Sandbox launch overhead: ``python -c pass`` inside bwrap (with per-run cgroup setup and teardown)
versus the same command unsandboxed.

Target: sandboxed median < 1.5 x unsandboxed median + 30 ms.

Usage (as root, after ``bash scripts/setup.sh``)::

    .venv/bin/python benchmarks/sandbox_overhead.py [-n 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from medalist.sandbox import BwrapSandbox, Limits, SandboxRequest

ARGV = [sys.executable, "-c", "pass"]


def time_unsandboxed(n: int) -> list[float]:
    """Wall seconds of ``n`` plain ``python -c pass`` runs."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(ARGV, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        out.append(time.perf_counter() - t)
    return out


def time_sandboxed(n: int) -> list[float]:
    """Wall seconds of ``n`` full ``BwrapSandbox.run`` calls (cgroup create, bwrap, kill, remove)."""
    sb = BwrapSandbox.create()
    request = SandboxRequest(argv=ARGV, cwd="/tmp", limits=Limits(memory_gb=1, cpus=1, pids=64, time_limit_secs=30))
    out = []
    for _ in range(n):
        t = time.perf_counter()
        result = sb.run(request)
        out.append(time.perf_counter() - t)
        if not result.ok:
            raise SystemExit(f"sandboxed run failed: {result}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="runs per variant (after 3 warm-ups)")
    args = parser.parse_args()
    time_unsandboxed(3)
    time_sandboxed(3)
    # Interleave the two variants in blocks so machine load affects both alike.
    plain: list[float] = []
    boxed: list[float] = []
    for _ in range(max(1, args.n // 5)):
        plain += time_unsandboxed(5)
        boxed += time_sandboxed(5)
    p, b = statistics.median(plain) * 1e3, statistics.median(boxed) * 1e3
    target = 1.5 * p + 30
    print(f"unsandboxed python -c pass : median {p:6.1f} ms  (n={len(plain)})")
    print(f"bwrap + cgroup             : median {b:6.1f} ms  (n={len(boxed)})")
    print(f"overhead                   : +{b - p:.1f} ms, ratio {b / p:.2f}x")
    verdict = "MEETS" if b < target else "MISSES"
    print(f"target 1.5x + 30 ms = {target:.1f} ms -> {verdict}")
    load = os.getloadavg()[0]
    print(
        f"load average {load:.2f} on {os.cpu_count()} cpus"
        + ("  (busy machine: figures inflated)" if load > (os.cpu_count() or 1) else "")
    )


if __name__ == "__main__":
    main()
