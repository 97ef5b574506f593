"""Helpers for LLM agents running inside the sandbox: contract paths, script execution with a
timeout, code/JSON extraction from model answers. Standard library and the contract only."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from medalist.inside import contract

_NAMED = {
    "data": contract.DATA_DIR,
    "submission": contract.SUBMISSION_DIR,
    "code": contract.CODE_DIR,
    "logs": contract.LOGS_DIR,
    "instructions": contract.INSTRUCTIONS_PATH,
    "harness": contract.HARNESS_DIR,
}


def contract_path(name: str) -> Path:
    """A contract path by name (``data``, ``submission``, ...), where it really is (see :func:`contract.resolve`)."""
    return Path(contract.resolve(_NAMED[name]))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def publish_margin(time_limit: float | None) -> float:
    """Seconds an in-sandbox agent keeps in hand before its time limit to publish its best result:
    5% of the limit, between 10 and 60 s (30 s when there is no limit)."""
    return 30.0 if time_limit is None else min(60.0, max(10.0, 0.05 * time_limit))


def excerpt(text: str, limit: int = 4000) -> str:
    """Head and tail of ``text`` within ``limit`` characters (tracebacks live at the end)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head - 40
    return f"{text[:head]}\n... [{len(text) - head - tail} characters cut] ...\n{text[-tail:]}"


@dataclass
class ExecResult:
    exit_code: int | None
    timed_out: bool
    seconds: float
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def run_script(
    script: Path,
    cwd: Path,
    timeout: float,
    *,
    python: str | None = None,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> ExecResult:
    """Run a Python script with a wall-clock timeout, killing its whole process group after."""
    cwd.mkdir(parents=True, exist_ok=True)
    log_path = log_path or cwd / "output.txt"
    start = time.monotonic()
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [python or sys.executable, str(script)],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        timed_out = False
        try:
            proc.wait(timeout=max(1.0, timeout))
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    if timed_out:
        output += f"\n[medalist] the script was killed after the {timeout:.0f}s time limit\n"
    return ExecResult(
        exit_code=None if timed_out else proc.returncode,
        timed_out=timed_out,
        seconds=round(time.monotonic() - start, 3),
        output=output,
    )


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def extract_code(text: str) -> str | None:
    """The Python code in a model answer: the longest fenced block (python first), else None."""
    blocks = [(lang.lower(), body.strip()) for lang, body in _FENCE.findall(text or "")]
    py = [b for lang, b in blocks if lang in ("python", "py", "python3") and b]
    pool = py or [b for lang, b in blocks if lang in ("", "code") and b]
    if pool:
        return max(pool, key=len) + "\n"
    stripped = (text or "").strip()
    if re.search(r"^(import |from \S+ import )", stripped, re.M) and "```" not in stripped:
        return stripped + "\n"
    return None


def text_before_code(text: str) -> str:
    """The prose of an answer before its first code fence (the plan)."""
    return (text or "").split("```", 1)[0].strip()


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in a model answer (fenced or bare), else None."""
    if not text:
        return None
    candidates = [body for _lang, body in _FENCE.findall(text)] + [text]
    for cand in candidates:
        cand = cand.strip()
        try:
            data = json.loads(cand)
            if isinstance(data, dict):
                return data
        except ValueError:
            pass
        start = cand.find("{")
        while start != -1:
            depth = 0
            for i in range(start, len(cand)):
                if cand[i] == "{":
                    depth += 1
                elif cand[i] == "}":
                    depth -= 1
                    if depth == 0:
                        try:
                            data = json.loads(cand[start : i + 1])
                        except ValueError:
                            break
                        if isinstance(data, dict):
                            return data
                        break
            start = cand.find("{", start + 1)
    return None


def task_info() -> dict[str, Any]:
    """The task facts the harness gives (``/opt/medalist/task.json``); {} if absent."""
    path = Path(os.environ.get("MEDALIST_TASK_INFO") or contract_path("harness") / "task.json")
    if not path.is_file():
        path = contract_path("harness") / "task.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def validate_submission(path: Path) -> tuple[bool | None, str]:
    """Run the harness's format check on a submission (None: no checker available)."""
    tool = shutil.which("validate_submission") or str(contract_path("harness") / "bin" / "validate_submission")
    if not Path(tool).is_file():
        return None, "validate_submission is not available"
    try:
        done = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"validate_submission failed to run: {exc}"
    text = (done.stdout + done.stderr).strip()
    if done.returncode == 0:
        return True, text[-1000:]
    if text.startswith("invalid submission"):
        return False, text[:1000]
    return None, f"validate_submission could not check the file: {text[-300:]}"
