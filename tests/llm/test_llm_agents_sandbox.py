"""aide and research through `medalist run` as a user runs them: real bwrap sandbox, gateway, grading,
against a scripted OpenAI-compatible upstream (tests/llm/fake_openai.py). Options from the CLI and the
experiment YAML reach the agent; a cached rerun makes no upstream call; a run killed mid-search
continues from its journal on `--resume`; research's scripts run with the solution environment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from fake_openai import FakeOpenAI

from run_helpers import MEDALIST, medalist_cli, only_group

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

TASK = "penguins-species"
CODE = """I copy the sample submission as a first baseline.
```python
import shutil
shutil.copyfile("/home/data/sample_submission.csv", "/home/submission/submission.csv")
print("VALIDATION_METRIC=0.5")
```"""
REVIEW = json.dumps({"is_bug": False, "metric": 0.5, "lower_is_better": False, "summary": "a constant baseline"})


def aide_answer(body: dict) -> str:
    """Reviews for review prompts, 'OK' for the preflight, the same script for every code prompt."""
    messages = body["messages"]
    if messages[0]["content"].startswith("You review"):
        return REVIEW
    if "Reply with the word OK" in messages[-1]["content"]:
        return "OK"
    return CODE


def experiment(path: Path, fake: FakeOpenAI, runs_dir: Path, step_limit: int = 2, **extra: object) -> Path:
    cfg = {
        "agent": "aide",
        "model": "openai/scripted",
        "api_base": fake.url,
        "tasks": [TASK],
        "limits": {"time_limit_secs": 240, "step_limit": step_limit},
        "runs_dir": str(runs_dir),
        **extra,
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


def journal_of(group: Path) -> dict:
    return json.loads((group / f"{TASK}_s0" / "workspace/logs/journal.json").read_text())


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_aide_scripted_upstream_options_reach_the_agent_and_a_cached_rerun_makes_no_upstream_call(
    require_bwrap: str, runs_dir: Path, box: Path
) -> None:
    with FakeOpenAI(aide_answer) as fake:
        cfg = experiment(
            box / "experiment.yaml",
            fake,
            runs_dir,
            llm_cache=str(box / "cache"),
            agent_options={"num_drafts": 1, "debug_prob": 0.25},
        )
        args = ["run", "--config", str(cfg), "--agent-option", "num_drafts=2", "--agent-option", "max_retries=1"]
        first = medalist_cli(*args, timeout=600)
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        upstream = len(fake.requests)
        assert upstream == 1 + 2 * 2  # the preflight, then two steps of code + review
        group = only_group(runs_dir)
        meta = json.loads((group / "metadata.json").read_text())
        assert {k: meta["agent"]["config"][k] for k in ("num_drafts", "debug_prob", "max_retries")} == {
            "num_drafts": 2,
            "debug_prob": 0.25,
            "max_retries": 1,
        }  # the flag wins over the YAML per key
        assert meta["agent"]["llm"]["model"] == "openai/scripted" and meta["agent"]["llm"]["api_base"] == fake.url
        assert "model" not in meta["agent"]["config"]  # model settings are typed, apart from the options
        journal = journal_of(group)
        assert (journal["settings"]["num_drafts"], journal["settings"]["debug_prob"]) == (2, 0.25)
        assert [n["stage"] for n in journal["nodes"]] == ["draft", "draft"]  # two drafts: num_drafts=2 was used
        record = json.loads((group / f"{TASK}_s0" / "run.json").read_text())
        assert record["status"] == "completed" and record["grading"]["valid_submission"] is True
        assert record["usage"]["cost_usd"] is None and record["usage"]["unpriced_calls"] == 4

        group.rename(box / "first-group")
        second = medalist_cli(*args, timeout=600)
        assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
        assert len(fake.requests) == upstream  # replayed: not one upstream call
        replay = only_group(runs_dir)
        usage = json.loads((replay / f"{TASK}_s0" / "run.json").read_text())["usage"]
        assert usage["cache_hits"] == usage["calls"] == 4
        again = journal_of(replay)
        assert [(n["code"], n["metric"], n["is_bug"]) for n in again["nodes"]] == [
            (n["code"], n["metric"], n["is_bug"]) for n in journal["nodes"]
        ]


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_killed_aide_run_scripted_upstream_resumes_from_its_journal(
    require_bwrap: str, runs_dir: Path, box: Path
) -> None:
    gate = threading.Event()
    code_calls = [0]

    def answer(body: dict) -> str:
        text = aide_answer(body)
        if text == CODE:
            code_calls[0] += 1
            if code_calls[0] == 2:  # the second step hangs until the harness is killed
                gate.wait(120)
        return text

    with FakeOpenAI(answer) as fake:
        cfg = experiment(box / "experiment.yaml", fake, runs_dir, step_limit=3)
        proc = subprocess.Popen(
            [MEDALIST, "run", "--config", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        try:
            deadline = time.monotonic() + 300
            while code_calls[0] < 2:
                assert proc.poll() is None and time.monotonic() < deadline, "the run ended before its second step"
                time.sleep(0.5)
            os.killpg(proc.pid, signal.SIGKILL)  # the harness dies mid-step (kill -9)
            proc.wait(30)
        finally:
            gate.set()
        group = only_group(runs_dir)
        run_dir = group / f"{TASK}_s0"
        assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
        assert len(journal_of(group)["nodes"]) == 1
        time.sleep(2)  # let the sandbox (--die-with-parent) go away
        resumed = medalist_cli("run", "--resume", str(group), timeout=600)
        assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    record = json.loads((run_dir / "run.json").read_text())
    journal = journal_of(group)
    assert record["status"] == "completed" and record["attempts"] == 2 and record["grading"]["valid_submission"]
    assert journal["attempts"] == 2 and [n["id"] for n in journal["nodes"]] == [0, 1, 2]
    assert [n["step"] for n in journal["nodes"]] == [1, 2, 3]
    usage = record["usage"]
    # Budgets count over both attempts: steps are model calls (a code and a review call per agent step;
    # the call that hung when the harness died was never answered), the agent's own step numbers go on.
    assert usage["resumed"] == 1 and usage["agent_steps"] == 3, usage
    assert usage["steps"] == usage["calls"] == 6, usage


RESEARCH_SCRIPT = (
    "import shutil, torch, xgboost, catboost\\n"
    "shutil.copyfile('data/sample_submission.csv', '/home/submission/submission.csv')\\n"
    "print('torch', torch.__version__, 'xgboost', xgboost.__version__)\\n"
)


def research_step(action: str, inputs: str) -> str:
    return (
        f"Reflection: none yet\nResearch Plan and Status: 1. baseline\nFact Check: none\nThought: go\n"
        f"Action: {action}\nAction Input: {inputs}"
    )


@pytest.mark.sandbox
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_research_scripted_upstream_runs_scripts_with_the_solution_environment(
    require_bwrap: str, runs_dir: Path
) -> None:
    from medalist.agents.solution_env import default_venv, venv_python

    if not venv_python(default_venv()).is_file():
        pytest.skip("no solution environment (bash scripts/setup_solution_env.sh)")
    answers = [
        "OK",
        research_step(
            "Write File", json.dumps({"file_name": "train.py", "content": RESEARCH_SCRIPT.replace("\\n", "\n")})
        ),
        research_step("Execute Script", '{"script_name": "train.py"}'),
        research_step("Final Answer", '{"final_answer": "baseline submitted"}'),
    ]
    with FakeOpenAI(answers) as fake:
        done = medalist_cli(
            "run",
            "--agent",
            "research",
            "--model",
            "openai/scripted",
            "--api-base",
            fake.url,
            "--tasks",
            TASK,
            "--time-limit",
            "240",
            "--step-limit",
            "5",
            "--runs-dir",
            str(runs_dir),
            timeout=600,
        )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    run_dir = only_group(runs_dir) / f"{TASK}_s0"
    trace = json.loads((run_dir / "workspace/logs/trace.json").read_text())
    assert trace["stop_reason"] == "final_answer", trace
    assert "exit code 0" in trace["steps"][1]["observation"] and "torch 2." in trace["steps"][1]["observation"]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and record["grading"]["valid_submission"] is True
