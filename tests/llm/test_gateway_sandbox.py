"""The gateway seen from inside the real bwrap sandbox: no network, no real key, calls still work."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_openai import FakeOpenAI

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

from medalist.agents.llm_launch import gateway_launch
from medalist.llm import LLMConfig
from medalist.runner.models import RunLimits
from medalist.sandbox.base import Limits, Mount, SandboxRequest

PROBE = """
import json, os, socket
from medalist.inside.llm_client import GatewayClient, BudgetStop
out = {"env": dict(os.environ)}
c = GatewayClient()
c.start_step(1)
out["answer"] = c.chat([{"role": "user", "content": "hi"}]).content
try:
    c.start_step(2)
    out["step2"] = "allowed"
except BudgetStop as e:
    out["step2"] = e.reason
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("1.1.1.1", 80)); out["net"] = "reachable"
except OSError as e:
    out["net"] = type(e).__name__
open("/home/out/probe.json", "w").write(json.dumps(out))
"""


@pytest.mark.sandbox
def test_sandboxed_agent_reaches_gateway_without_real_key_or_network(
    bwrap,
    box: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-host-secret")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-host-secret")
    out = box / "out"
    out.mkdir()
    out.chmod(0o777)
    (box / "probe.py").write_text(PROBE)
    (box / "probe.py").chmod(0o644)
    ctx = SimpleNamespace(run_dir=box, python=sys.executable, limits=RunLimits(time_limit_secs=60, step_limit=1))
    with FakeOpenAI(["pong"]) as fake:
        config = LLMConfig(model="openai/fake", api_base=fake.url)
        with gateway_launch(ctx, config, [sys.executable, "/home/probe.py"]) as launch:  # type: ignore[arg-type]
            result = bwrap.run(
                SandboxRequest(
                    argv=launch.argv,
                    env=launch.env,
                    cwd="/home",
                    mounts=[
                        *launch.mounts,
                        Mount(box / "probe.py", "/home/probe.py"),
                        Mount(out, "/home/out", writable=True),
                    ],
                    limits=Limits(time_limit_secs=60, memory_gb=2),
                    stdout=box / "stdout.log",
                    stderr=box / "stderr.log",
                )
            )
            token = launch.env["OPENAI_API_KEY"]
    assert result.ok, (box / "stderr.log").read_text()[-2000:]
    probe = json.loads((out / "probe.json").read_text())
    env_text = json.dumps(probe["env"])
    assert "sk-real-host-secret" not in env_text and "sk-ant-host-secret" not in env_text
    assert probe["env"]["OPENAI_API_KEY"] == token and probe["env"]["OPENAI_BASE_URL"].startswith("http://127.0.0.1:")
    assert probe["answer"] == "pong" and probe["step2"] == "max_steps" and probe["net"] != "reachable"
    usage = json.loads((box / "llm_usage.json").read_text())
    assert usage["calls"] == 1 and usage["steps"] == 1 and usage["stop_reason"] == "max_steps"
    assert json.loads((box / "llm_calls.jsonl").read_text().splitlines()[0])["content"] == "pong"
