"""Inside the sandbox: run OpenHands (``openhands_driver`` with OpenHands' own Python) on the task.

Resolves the contract's paths and limits, gives the driver a deadline (the sandbox's start plus the
time limit less two margins of ``publish_margin``) for its conversation, and kills it if it overstays
(the submission on disk is graded either way). The agent's commands run with the sandbox's ``PATH``: ``python`` there is the harness's solution
environment, not OpenHands' interpreter. Standard library only; started behind the gateway forwarder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from medalist.inside.toolkit import contract_path, publish_margin

DRIVER = Path(__file__).with_name("openhands_driver.py")


def sandbox_started(time_limit: float) -> float:
    """Epoch seconds at which the run's sandbox started: the start of its pid 1 (bwrap's init, in the
    sandbox's own pid namespace), so time lost before this wrapper ran counts against the limit. This
    process's own start where that is unknown or implausible (the process backend's pid 1 is the host's)."""
    now = time.time()
    try:
        ticks = int(Path("/proc/1/stat").read_text().rsplit(")", 1)[1].split()[19])
        age = float(Path("/proc/uptime").read_text().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return now
    return now - age if 0 <= age < time_limit else now


def driver_command(
    python: str,
    steps: int,
    deadline: float,
    *,
    native_tool_calling: bool = True,
    terminal: str = "subprocess",
    llm_timeout: int | None = None,
) -> list[str]:
    args = [
        python,
        str(DRIVER),
        f"--workspace={contract_path('code')}",
        f"--logs={contract_path('logs')}",
        f"--instructions={contract_path('instructions')}",
        f"--steps={steps}",
        f"--deadline={deadline:.0f}",
        f"--native-tool-calling={'true' if native_tool_calling else 'false'}",
        f"--terminal={terminal}",
    ]
    if llm_timeout is not None:
        args.append(f"--llm-timeout={llm_timeout}")
    return args


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    p = argparse.ArgumentParser(description="run OpenHands inside the sandbox")
    p.add_argument("--python", required=True, help="OpenHands' venv python")
    p.add_argument("--steps", type=int, default=int(env.get("STEP_LIMIT") or 30))
    p.add_argument("--time-limit", type=float, default=float(env.get("TIME_LIMIT_SECS") or 3600))
    p.add_argument("--native-tool-calling", choices=("true", "false"), default="true")
    p.add_argument("--terminal", choices=("subprocess", "tmux"), default="subprocess")
    p.add_argument("--llm-timeout", type=int, default=None)
    args = p.parse_args(argv)
    start = sandbox_started(args.time_limit)
    margin = publish_margin(args.time_limit)
    cmd = driver_command(
        args.python,
        args.steps,
        start + max(10.0, args.time_limit - 2 * margin),
        native_tool_calling=args.native_tool_calling == "true",
        terminal=args.terminal,
        llm_timeout=args.llm_timeout,
    )
    tmp = Path(env.get("TMPDIR") or "/tmp")
    inputrc = tmp / "medalist-openhands-inputrc"  # no bracketed-paste escapes in the agent's terminal output
    inputrc.write_text("set enable-bracketed-paste off\n", encoding="utf-8")
    child_env = {
        **env,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "OPENHANDS_SUPPRESS_BANNER": "1",
        "INPUTRC": str(inputrc),
        "TMUX_TMPDIR": str(tmp),
    }
    print("medalist: running", " ".join(cmd), flush=True)
    try:
        done = subprocess.run(
            cmd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            cwd=contract_path("code"),
            timeout=max(10.0, start + args.time_limit - margin - time.time()),
        )
    except subprocess.TimeoutExpired:
        print("medalist: OpenHands overstayed its time and was stopped", file=sys.stderr)
        return 0
    submission = contract_path("submission") / "submission.csv"
    print(
        f"medalist: OpenHands exited with {done.returncode}; "
        f"{'a' if submission.is_file() else 'no'} submission at {submission}",
        flush=True,
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
