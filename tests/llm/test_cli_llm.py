"""`medalist run` with LLM agents: option errors and missing keys are one line, before any run starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MEDALIST = str(Path(sys.executable).parent / "medalist")
KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENROUTER_API_KEY")


def run_cli(*args: str, runs_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in KEYS}
    return subprocess.run(
        [MEDALIST, "run", "--runs-dir", str(runs_dir), "--sandbox", "process", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--agent", "aide", "--model", "anthropic/claude-3-5-haiku-20241022"], "needs ANTHROPIC_API_KEY"),
        (
            ["--agent", "research", "--model", "openai/gpt-4o-mini", "--feedback-model", "gemini/gemini-1.5-flash"],
            "needs OPENAI_API_KEY",
        ),
        (["--agent", "aide"], "needs a model"),
        (["--agent", "aide", "--model", "gpt-4o"], "provider/model"),
        (["--agent", "automl", "--model", "openai/gpt-4o"], "apply to LLM agents"),
    ],
)
def test_llm_option_errors_are_one_line_and_start_no_run(args: list[str], expected: str, tmp_path: Path) -> None:
    done = run_cli(*args, "--tasks", "penguins-species", runs_dir=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], done.stderr
    assert not any(tmp_path.iterdir())  # no run group was created


def test_wrong_endpoint_fails_in_one_line_before_any_run(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = run_cli(
        "--agent",
        "aide",
        "--model",
        "openai/x",
        "--api-base",
        f"http://127.0.0.1:{port}/v1",
        "--tasks",
        "penguins-species",
        runs_dir=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "model check failed for openai/x" in lines[0] and "check --api-base" in lines[0]
    assert not any(tmp_path.iterdir())  # no run group, so nothing can look "completed"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--agent", "aide", "--agent-option", "nope=1"], "agent 'aide': unknown option 'nope' (its options: "),
        (
            ["--agent", "aide", "--agent-option", "num_drafts=0"],
            "field 'num_drafts': Input should be greater than or equal to 1",
        ),
        (
            ["--agent", "research", "--agent-option", "history_steps=many"],
            "field 'history_steps': Input should be a valid integer",
        ),
        (["--agent", "aide", "--agent-option", "debug_prob"], "expected key=value"),
        (["--agent", "aide", "--agent-option", "api_base=http://x"], "a model setting, not an agent option"),
        (
            ["--agent", "aide", "--agent-option", "solution_env=/nonexistent/venv"],
            "solution_env '/nonexistent/venv': no venv there",
        ),
    ],
)
def test_agent_option_errors_are_one_line_and_start_no_run(args: list[str], expected: str, tmp_path: Path) -> None:
    done = run_cli(
        *args,
        "--model",
        "openai/x",
        "--api-base",
        "http://127.0.0.1:9/v1",
        "--tasks",
        "penguins-species",
        runs_dir=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert not any(tmp_path.iterdir())


def test_options_of_a_non_llm_agent_are_refused(tmp_path: Path) -> None:
    done = run_cli("--agent", "automl", "--agent-option", "folds=3", "--tasks", "penguins-species", runs_dir=tmp_path)
    assert done.returncode == 2 and "agent 'automl' takes no options" in done.stderr
