"""Inside the sandbox: run the published ``aide`` (aideml) on the task, then publish its best solution.

aideml writes ``best_solution.py`` to its log dir but keeps no submission of that node, so the best
script is run once more (with aideml's own python, in its working dir) to produce ``submission.csv``.
Standard library only; started by the harness python behind the gateway forwarder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from medalist.inside.toolkit import contract_path


def aide_command(
    aide: str,
    data: Path,
    desc: Path,
    logs: Path,
    work: Path,
    steps: int,
    exec_timeout: int,
    num_drafts: int | None = None,
    debug_prob: float | None = None,
) -> list[str]:
    args = [
        aide,
        f"data_dir={data}",
        f"desc_file={desc}",
        f"log_dir={logs}",
        f"workspace_dir={work}",
        "exp_name=medalist",
        f"agent.steps={steps}",
        "agent.code.model=code",
        "agent.feedback.model=feedback",
        "report.model=feedback",
        f"exec.timeout={exec_timeout}",
        "generate_report=False",
        "copy_data=False",
        "preprocess_data=False",
    ]
    if num_drafts is not None:
        args.append(f"agent.search.num_drafts={num_drafts}")
    if debug_prob is not None:
        args.append(f"agent.search.debug_prob={debug_prob}")
    return args


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    p = argparse.ArgumentParser(description="run aideml inside the sandbox")
    p.add_argument("--aide", required=True)
    p.add_argument("--steps", type=int, default=int(env.get("STEP_LIMIT") or 20))
    p.add_argument("--time-limit", type=float, default=float(env.get("TIME_LIMIT_SECS") or 3600))
    p.add_argument("--exec-timeout", type=int, default=600)
    p.add_argument("--num-drafts", type=int, default=None)
    p.add_argument("--debug-prob", type=float, default=None)
    args = p.parse_args(argv)
    start = time.monotonic()
    margin = min(120.0, max(15.0, 0.1 * args.time_limit))
    logs, code, sub = contract_path("logs") / "aideml", contract_path("code"), contract_path("submission")
    work = Path(env.get("TMPDIR") or "/tmp") / "aideml-workspace"
    cmd = aide_command(
        args.aide,
        contract_path("data"),
        contract_path("instructions"),
        logs,
        work,
        args.steps,
        min(args.exec_timeout, int(args.time_limit / 3)),
        args.num_drafts,
        args.debug_prob,
    )
    print("medalist: running", " ".join(cmd), flush=True)
    try:
        done = subprocess.run(cmd, timeout=max(10.0, args.time_limit - margin * 2), stdin=subprocess.DEVNULL)
        print(f"medalist: aide exited with {done.returncode}", flush=True)
    except subprocess.TimeoutExpired:
        print("medalist: aide stopped at the time budget", flush=True)
    best = next(iter(sorted(logs.rglob("best_solution.py"))), None)
    if best is None:
        print("medalist: aide left no best_solution.py", file=sys.stderr)
        return 1
    code.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, code / "best_solution.py")
    # aideml's experiment folder is "<index>-<exp_name>" with input/ (the data) and working/ (outputs).
    exp_dir = next(iter(sorted(p.parent for p in work.glob("*/working"))), None)
    if exp_dir is None:
        print(f"medalist: no aideml workspace under {work}", file=sys.stderr)
        return 1
    python = str(Path(args.aide).parent / "python")
    left = args.time_limit - (time.monotonic() - start) - 10
    try:
        subprocess.run(
            [python, str(code / "best_solution.py")], cwd=exp_dir, timeout=max(5.0, left), stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        print("medalist: re-running the best solution hit the time limit", file=sys.stderr)
    for candidate in (exp_dir / "working" / "submission.csv", exp_dir / "submission.csv"):
        if candidate.is_file():
            sub.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(candidate, sub / "submission.csv")
            print(f"medalist: published {candidate}", flush=True)
            return 0
    print("medalist: the best solution wrote no submission.csv", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
