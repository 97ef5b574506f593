"""The ``openhands`` agent: OpenHands' CodeActAgent (openhands-sdk, its own venv on Debian 13's Python 3.13)
run by ``medalist run`` in the bwrap sandbox through the gateway, against a scripted OpenAI-compatible
upstream that replays tool calls (tests/llm/fake_openai.py): real commands, real files, real grading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI

from run_helpers import medalist_cli, only_group

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

from medalist.agents.adapters import OpenHandsAgent
from medalist.errors import MedalistError
from medalist.llm.config import LLMConfig

TRAIN = """import json
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

info = json.load(open("/opt/medalist/task.json"))
idc, target = info["id_column"], info["target_columns"][0]
train, test = pd.read_csv("/home/data/train.csv"), pd.read_csv("/home/data/test.csv")
features = [c for c in test.columns if c != idc]
X = pd.get_dummies(pd.concat([train[features], test[features]]), dummy_na=True).fillna(-1)
model = RandomForestClassifier(n_estimators=200, random_state=0).fit(X.iloc[:len(train)], train[target])
pd.DataFrame({idc: test[idc], target: model.predict(X.iloc[len(train):])}).to_csv(
    "/home/submission/submission.csv", index=False)
print("trained on", len(train), "rows")
"""

# What a model would do: look at the data, write a training script, run it and check the submission.
SOLVE = [
    ("terminal", {"command": "id -un; ls /home/data; head -3 /home/data/train.csv; env"}),
    ("file_editor", {"command": "create", "path": "/home/code/train.py", "file_text": TRAIN}),
    ("terminal", {"command": "cd /home/code && python train.py && validate_submission", "timeout": 120}),
    ("finish", {"message": "Trained a random forest and wrote /home/submission/submission.csv."}),
]


def tool_call(n: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": f"Step {n}: {name}.",
        "tool_calls": [
            {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        ],
    }


def replay(calls: list[tuple[str, dict[str, Any]]]) -> Any:
    """Answers the n-th request (n = assistant turns so far) with the n-th tool call (the last repeats)."""

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        n = sum(1 for m in body["messages"] if m["role"] == "assistant")
        return tool_call(n, *calls[min(n, len(calls) - 1)])

    return answer


def tool_results(body: dict[str, Any]) -> list[str]:
    out = []
    for m in body["messages"]:
        if m["role"] == "tool":
            c = m["content"]
            out.append(c if isinstance(c, str) else " ".join(p.get("text", "") for p in c))
    return out


def _run(runs_dir: Path, fake: FakeOpenAI, *extra: str) -> Path:
    done = medalist_cli(
        "run",
        "--agent",
        "openhands",
        "--tasks",
        "penguins-species",
        "--model",
        "openai/scripted",
        "--api-base",
        fake.url,
        "--api-key-env",
        "MEDALIST_TEST_UPSTREAM_KEY",
        "--runs-dir",
        str(runs_dir),
        *extra,
        timeout=600,
        env={"MEDALIST_TEST_UPSTREAM_KEY": "sk-real-upstream-key"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run,) = [p.parent for p in only_group(runs_dir).glob("*/run.json")]
    return run


def _log(run: Path) -> str:
    return "".join(
        (run / f).read_text()[-3000:] for f in ("agent_stdout.log", "agent_stderr.log") if (run / f).is_file()
    )


def test_missing_openhands_venv_is_a_one_line_error(tmp_path: Path) -> None:
    agent = OpenHandsAgent(
        LLMConfig(model="openai/x", api_base="http://127.0.0.1:1/v1"), {"venv": str(tmp_path / "none")}
    )
    with pytest.raises(MedalistError, match="openhands-sdk==1.58.2 is not installed") as err:
        agent.preflight()
    assert "\n" not in str(err.value) and "setup_openhands.sh" in str(err.value)


@pytest.mark.slow
@pytest.mark.usefixtures("openhands_venv")
def test_openhands_solves_a_task_in_the_sandbox_scripted_llm(runs_dir: Path) -> None:
    from medalist.report.traces import read_trace

    with FakeOpenAI(replay(SOLVE)) as fake:
        run = _run(runs_dir, fake, "--time-limit", "400", "--step-limit", "8")
    record, log = json.loads((run / "run.json").read_text()), _log(run)
    assert record["status"] == "completed", log
    grading = record["grading"]
    assert grading["valid_submission"] and grading["score"] >= 0.9, (grading, log)  # a real forest, really trained
    # The commands ran in the sandbox as the unprivileged user, and the model saw their output.
    calls = fake.agent_requests
    assert len(calls) == len(fake.requests) - 1  # one preflight call before the run
    results = tool_results(calls[-1])
    assert results[0].splitlines()[0].strip() == "medalist-sandbox" and "train.csv" in results[0], results
    assert "OPENAI_BASE_URL=http://127.0.0.1:" in results[0] and "sk-real-upstream-key" not in results[0]  # env dumped
    assert "valid submission format" in results[2] and "trained on" in results[2], results
    assert (run / "workspace/code/train.py").read_text() == TRAIN
    # Model calls went through the gateway: the scripted model under its real name, the key added outside.
    assert len(calls) == len(SOLVE) and all(r["model"] == "scripted" for r in fake.requests)
    assert [t["function"]["name"] for t in calls[0]["tools"]][:2] == ["terminal", "file_editor"]
    auth = {h.get("Authorization") or h.get("authorization") for h in fake.headers}
    assert auth == {"Bearer sk-real-upstream-key"}
    assert not [f for f in run.rglob("*") if f.is_file() and b"sk-real-upstream-key" in f.read_bytes()]
    usage = record["usage"]
    assert usage["calls"] == usage["agent_steps"] == len(SOLVE) and usage["stop_reason"] == "finished", usage
    # The trajectory: OpenHands' own event store and trace.json, which the report shows.
    assert any((run / "workspace/logs/openhands").glob("*/events/*.json"))
    trace = read_trace(run)
    assert [s.action for s in trace.steps] == [name for name, _ in SOLVE], trace.steps
    assert "train.csv" in trace.steps[0].output and trace.steps[2].input.startswith("cd /home/code")


@pytest.mark.slow
@pytest.mark.usefixtures("openhands_venv")
def test_openhands_stops_at_the_step_limit_scripted_llm(runs_dir: Path) -> None:
    loop = [("terminal", {"command": "echo still working"})]
    with FakeOpenAI(replay(loop)) as fake:
        run = _run(runs_dir, fake, "--time-limit", "300", "--step-limit", "2")
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed", _log(run)
    usage = record["usage"]
    assert usage["calls"] == usage["agent_steps"] == 2 and usage["stop_reason"] == "max_steps", usage
    assert len(fake.agent_requests) == 2
    trace = json.loads((run / "workspace/logs/trace.json").read_text())
    assert trace["stop_reason"] == "max_steps" and len(trace["steps"]) == 2
    assert record["grading"] is not None and not record["grading"]["valid_submission"]  # graded: no submission


@pytest.mark.slow
@pytest.mark.usefixtures("openhands_venv")
def test_openhands_stops_when_the_gateway_refuses_over_budget_scripted_llm(runs_dir: Path) -> None:
    loop = [("terminal", {"command": "echo still working"})]
    with FakeOpenAI(replay(loop)) as fake:  # 18 tokens a call: the third call would pass 30
        run = _run(runs_dir, fake, "--time-limit", "300", "--step-limit", "10", "--max-tokens", "30")
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed", _log(run)
    usage = record["usage"]
    assert usage["calls"] == 2 == len(fake.agent_requests) and usage["stop_reason"] == "max_tokens", usage
    trace = json.loads((run / "workspace/logs/trace.json").read_text())
    assert trace["stop_reason"] == "budget" and len(trace["steps"]) == 2, trace
