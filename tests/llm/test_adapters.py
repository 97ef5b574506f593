"""Adapters for published agents: aideml and plexe run for real inside the sandbox through the gateway,
against a scripted upstream (tests/llm/fake_openai.py)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from fake_openai import FakeOpenAI

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

from medalist.agents.adapters import AIDEML, PLEXE, AidemlAgent, PlexeAgent
from medalist.errors import MedalistError
from medalist.inside.adapters.aideml_run import aide_command
from medalist.inside.adapters.plexe_predict import predict as plexe_predict
from medalist.inside.adapters.plexe_run import plexe_command
from medalist.llm.config import LLMConfig
from medalist.runner.models import RunLimits
from medalist.sandbox.base import Limits, Mount, SandboxRequest

SOLUTION = """I will predict 1 for every row.
```python
import pandas as pd
test = pd.read_csv("./input/test.csv")
pd.DataFrame({"id": test["id"], "y": 1}).to_csv("./working/submission.csv", index=False)
print("validation accuracy: 0.5")
```"""


def _open_to_the_sandbox(box: Path) -> None:
    """Create the contract's writable folders under ``box/workspace`` and open ``box``'s data and
    instructions to the unprivileged sandbox user."""
    data, ws = box / "data", box / "workspace"
    for d in ("code", "logs", "submission"):
        (ws / d).mkdir(parents=True)
        (ws / d).chmod(0o777)
    for p in [data, *data.iterdir(), box / "instructions.txt"]:
        p.chmod(0o755 if p.is_dir() else 0o644)


def _contract_request(
    launch: Any, box: Path, argv: list[str], env: dict[str, str], timeout: float, memory_gb: float
) -> SandboxRequest:
    """An adapter's launch as the runner would start it: the agent contract's mounts and environment."""
    ws = box / "workspace"
    return SandboxRequest(
        argv=argv,
        cwd="/home/code",
        env={
            **launch.env,
            **env,
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONUNBUFFERED": "1",
        },
        mounts=[
            *launch.mounts,
            Mount(box / "data", "/home/data"),
            Mount(box / "instructions.txt", "/home/instructions.txt"),
            *(Mount(ws / d, f"/home/{d}", writable=True) for d in ("code", "logs", "submission")),
        ],
        limits=Limits(time_limit_secs=timeout, memory_gb=memory_gb),
        stdout=box / "out.log",
        stderr=box / "err.log",
    )


def scripted(body: dict) -> str | dict:
    """Code answers for drafts; a submit_review tool call when aideml asks for a review."""
    if body.get("tools"):
        args = {"is_bug": False, "summary": "predicts a constant", "metric": 0.5, "lower_is_better": False}
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": body["tools"][0]["function"]["name"], "arguments": json.dumps(args)},
                }
            ],
        }
    return SOLUTION


@pytest.fixture
def box() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="medalist-adapter-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _ctx(box: Path) -> SimpleNamespace:
    return SimpleNamespace(run_dir=box, python=sys.executable, limits=RunLimits(time_limit_secs=240, step_limit=1))


def test_missing_adapter_venv_is_a_one_line_error(tmp_path: Path) -> None:
    agent = AidemlAgent(LLMConfig(model="openai/x", api_base="http://127.0.0.1:1/v1"), {"venv": str(tmp_path / "none")})
    with pytest.raises(MedalistError, match="aideml==0.2.2 is not installed") as err:
        agent.preflight()
    assert "\n" not in str(err.value) and "pip install --no-deps aideml" in str(err.value)


def test_aide_command_points_every_role_at_the_gateway_aliases() -> None:
    cmd = aide_command(
        "/v/bin/aide",
        Path("/home/data"),
        Path("/home/instructions.txt"),
        Path("/home/logs/aideml"),
        Path("/tmp/ws"),
        3,
        60,
        num_drafts=2,
    )
    assert "agent.code.model=code" in cmd and "agent.feedback.model=feedback" in cmd
    assert "agent.steps=3" in cmd and "generate_report=False" in cmd and "agent.search.num_drafts=2" in cmd


def test_plexe_adapter_routes_every_role_to_the_gateway(box: Path, tmp_path: Path) -> None:
    venv = tmp_path / "plexe-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "plexe").write_text("#!/bin/sh\n")
    agent = PlexeAgent(LLMConfig(model="openai/x", api_base="http://127.0.0.1:1/v1"), {"venv": str(venv)})
    agent.check_installed()
    with agent.launch(_ctx(box)) as launch:  # type: ignore[arg-type]
        cfg = yaml.safe_load((box / "plexe_config" / "config.yaml").read_text())
        assert launch.env["CONFIG_FILE"] == PlexeAgent.CONFIG_TARGET
        assert any(m.target == str(venv) for m in launch.mounts)
        assert "medalist.inside.adapters.plexe_run" in launch.argv and "medalist.inside.forwarder" in launch.argv
    assert cfg["planner_llm"] == "openai/code" and cfg["routing_config"]["default"]["api_base"] == "${OPENAI_BASE_URL}"
    assert cfg["spark_local_cores"] == 2 and cfg["allowed_model_types"] == ["xgboost", "lightgbm"]
    cmd = plexe_command("/v/bin/python", Path("/home/data"), "predict y", Path("/home/logs/plexe"), 2, 0)
    assert cmd[:2] == ["/v/bin/python", "-c"] and "plexe.main" in cmd[2]
    assert cmd[3:5] == ["--train-dataset-uri", "/home/data/train.csv"] and "--test-dataset-uri" not in cmd


def test_plexe_predict_writes_the_task_columns_from_the_model_package(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "model" / "artifacts").mkdir(parents=True)
    (work / "model" / "artifacts" / "threshold.txt").write_text("0.5")
    (work / "model" / "predictor.py").write_text(
        "from pathlib import Path\nimport pandas as pd\n\n"
        "class XGBoostPredictor:\n"
        "    def __init__(self, model_dir):\n"
        "        self.t = float((Path(model_dir) / 'artifacts' / 'threshold.txt').read_text())\n"
        "    def predict(self, x):\n"
        "        assert 'id' not in x.columns\n"
        "        return pd.DataFrame({'prediction': (x['x'] > self.t).astype(int)})\n"
    )
    (tmp_path / "test.csv").write_text("id,x\n4,0.2\n5,0.8\n")
    (tmp_path / "sample.csv").write_text("id,y\n4,0\n5,0\n")
    (tmp_path / "task.json").write_text(json.dumps({"id_column": "id", "target_columns": ["y"]}))
    out = tmp_path / "sub" / "submission.csv"
    assert plexe_predict(work, tmp_path / "test.csv", out, tmp_path / "task.json", tmp_path / "sample.csv") == 2
    assert out.read_text().splitlines() == ["id,y", "4,0", "5,1"]
    (work / "model" / "predictor.py").write_text(  # the baseline fallback: no model_dir argument
        "import numpy as np\n\nclass HeuristicBaselinePredictor:\n"
        "    def predict(self, x):\n        return np.ones(len(x), dtype=int)\n"
    )
    plexe_predict(work, tmp_path / "test.csv", out, None, tmp_path / "sample.csv")
    assert out.read_text().splitlines() == ["id,y", "4,1", "5,1"]


@pytest.mark.slow
def test_aideml_runs_through_the_gateway_scripted_llm(box: Path) -> None:
    venv = AIDEML.venv({})
    if not (venv / "bin" / "aide").is_file():
        msg = f"aideml not installed in {venv}: run bash scripts/setup_local_llm.sh"
        if os.environ.get("MEDALIST_REQUIRE_LOCAL_LLM"):  # CI sets it once setup runs setup_local_llm.sh
            pytest.fail(msg)
        pytest.skip(msg)
    from medalist.sandbox import get_sandbox

    data, ws = box / "data", box / "workspace"
    data.mkdir()
    (data / "train.csv").write_text("id,x,y\n1,0.1,0\n2,0.9,1\n3,0.4,0\n")
    (data / "test.csv").write_text("id,x\n4,0.2\n5,0.8\n")
    (box / "instructions.txt").write_text("Predict y for test.csv; write id,y.")
    _open_to_the_sandbox(box)
    with FakeOpenAI(scripted) as fake:
        agent = AidemlAgent(LLMConfig(model="openai/scripted", api_base=fake.url), {"num_drafts": 1})
        with agent.launch(_ctx(box)) as launch:  # type: ignore[arg-type]
            sandbox = get_sandbox("auto")
            result = sandbox.run(
                _contract_request(launch, box, launch.argv, {"STEP_LIMIT": "1", "TIME_LIMIT_SECS": "240"}, 240, 4)
            )
    log = (box / "out.log").read_text()[-3000:] + (box / "err.log").read_text()[-3000:]
    assert result.ok, log
    assert (ws / "submission" / "submission.csv").read_text().splitlines() == ["id,y", "4,1", "5,1"], log
    assert "to_csv" in (ws / "code" / "best_solution.py").read_text()
    usage = json.loads((box / "llm_usage.json").read_text())
    assert usage["calls"] >= 2 and usage["agent_steps"] is None  # aideml reports no steps: calls counted
    assert any(r.get("tools") for r in fake.requests)  # aideml's function-calling review went through


def _plexe_code(src: str) -> str:
    return f"Thought: scripted.\n<code>\n{src}\n</code>"


# plexe runs one smolagents CodeAgent per step of its workflow; each is recognised by the tool it must call
# (listed in its system prompt) and answered with code that calls it, as a model would.
PLEXE_ANSWERS = {
    "register_layout": 'register_layout(data_layout="flat_numeric")',
    "save_statistical_profile": (
        'save_statistical_profile(total_rows=120, total_columns=4, numeric_columns=["id", "x1", "x2", "y"], '
        "string_columns=[], other_columns=[], missing_value_summary={}, string_stats={}, quality_issues=[], "
        'key_insights=["all numeric"])'
    ),
    "save_eda_report": (
        'save_eda_report(task_type="binary_classification", output_targets=["y"], input_description={"x1": "numeric"}, '
        'target_description={"y": "binary"}, data_challenges=[], preprocessing_recommendations=[], key_insights=[], '
        'recommended_split={"train": 0.7, "val": 0.15, "test": 0.15})'
    ),
    "submit_metric_choice": 'submit_metric_choice(rationale="balanced", metric_name="accuracy", optimization_direction="higher")',
    "save_split_uris": (
        'names = [k for k in ("train", "val", "test") if split_ratios.get(k)]\n'
        "parts = spark.read.parquet(dataset_uri).randomSplit([float(split_ratios[k]) for k in names], seed=0)\n"
        'uris = {k: output_dir + "/" + k + ".parquet" for k in names}\n'
        "for k, part in zip(names, parts):\n"
        '    part.write.mode("overwrite").parquet(uris[k])\n'
        'save_split_uris(train_uri=uris["train"], val_uri=uris["val"], test_uri=uris.get("test"))'
    ),
    "save_sample_uris": (
        "uris = {}\n"
        'for k, uri in (("train", train_uri), ("val", val_uri)):\n'
        '    uris[k] = output_dir + "/" + k + "_sample.parquet"\n'
        '    spark.read.parquet(uri).write.mode("overwrite").parquet(uris[k])\n'
        'save_sample_uris(train_sample_uri=uris["train"], val_sample_uri=uris["val"])'
    ),
    "save_baseline_code": (
        'code = "import numpy as np\\n\\nclass HeuristicBaselinePredictor:\\n'
        '    def predict(self, x):\\n        return np.where(x[\\"x1\\"] > 0, 1, 0)\\n"\n'
        "save_baseline_code(code)"
    ),
}


def plexe_scripted(body: dict) -> str:
    system = body["messages"][0]["content"]
    system = system if isinstance(system, str) else " ".join(p.get("text", "") for p in system)
    for tool, src in PLEXE_ANSWERS.items():
        if f"def {tool}(" in system:
            return _plexe_code(f'{src}\nfinal_answer("done")')
    return _plexe_code('final_answer("nothing scripted for this step")')


@pytest.mark.slow
def test_plexe_runs_through_the_gateway_scripted_llm(box: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = PLEXE.venv({})
    if not (venv / "bin" / "plexe").is_file() or not shutil.which("java"):
        msg = f"plexe not installed in {venv} (or no java): run bash scripts/setup_local_llm.sh"
        if os.environ.get("MEDALIST_REQUIRE_LOCAL_LLM"):
            pytest.fail(msg)
        pytest.skip(msg)
    from medalist.sandbox import get_sandbox

    data, ws = box / "data", box / "workspace"
    data.mkdir()
    rows = [(i, ((i * 37) % 101 - 50) / 50, ((i * 53) % 89 - 44) / 44) for i in range(160)]
    (data / "train.csv").write_text("id,x1,x2,y\n" + "".join(f"{i},{a},{b},{int(a > 0)}\n" for i, a, b in rows[:120]))
    (data / "test.csv").write_text("id,x1,x2\n" + "".join(f"{i},{a},{b}\n" for i, a, b in rows[120:]))
    (data / "sample_submission.csv").write_text("id,y\n" + "".join(f"{i},0\n" for i, _, _ in rows[120:]))
    (box / "instructions.txt").write_text("Predict the binary y for test.csv from x1 and x2; write id,y.")
    _open_to_the_sandbox(box)
    monkeypatch.setenv("MEDALIST_TEST_UPSTREAM_KEY", "sk-real-upstream-key")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-host-secret")
    with FakeOpenAI(plexe_scripted) as fake:
        agent = PlexeAgent(
            LLMConfig(model="openai/scripted", api_base=fake.url, api_key_env="MEDALIST_TEST_UPSTREAM_KEY")
        )
        with agent.launch(_ctx(box)) as launch:  # type: ignore[arg-type]
            sandbox = get_sandbox("auto")
            result = sandbox.run(
                _contract_request(launch, box, [*launch.argv, "--iterations=1"], {"TIME_LIMIT_SECS": "300"}, 300, 6)
            )
            sandbox_env = dict(launch.env)
    err = (box / "err.log").read_text()
    log = (box / "out.log").read_text()[-3000:] + err[:3000] + "\n...\n" + err[-3000:]
    assert result.ok, log
    # plexe's agents reached the scripted model through the gateway, one role after another ...
    systems = [str(r["messages"][0]["content"]) for r in fake.requests]
    for tool in PLEXE_ANSWERS:
        assert any(f"def {tool}(" in s for s in systems), (tool, log)
    assert all(r["model"] == "scripted" for r in fake.requests)
    auth = [{k.lower(): v for k, v in h.items()}.get("authorization") for h in fake.headers]
    assert set(auth) == {"Bearer sk-real-upstream-key"}  # the real key is added by the gateway, outside
    assert "sk-real-upstream-key" not in json.dumps(sandbox_env) and "sk-real-host-secret" not in json.dumps(
        sandbox_env
    )
    # ... built its model package (here the heuristic baseline: the scripted model writes no search plans) ...
    package = ws / "logs" / "plexe" / "model"
    assert (package / "predictor.py").is_file() and (ws / "logs" / "plexe" / "model.tar.gz").is_file(), log
    # ... and the wrapper predicted test.csv with it.
    expected = ["id,y"] + [f"{i},{int(a > 0)}" for i, a, _ in rows[120:]]
    assert (ws / "submission" / "submission.csv").read_text().splitlines() == expected, log
    usage = json.loads((box / "llm_usage.json").read_text())
    assert usage["calls"] == len(fake.requests) >= len(PLEXE_ANSWERS)
