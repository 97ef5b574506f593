"""A hostile agent in the real bwrap sandbox attacks its model gateway: resetting the step count,
racing the token budget, huge and parallel requests, n>1, flooding the call log. Each attack must fail:
budgets hold to within one call, host memory and disk stay bounded, and the run records why it stopped."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_openai import FakeOpenAI

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

from medalist.agents.llm_launch import gateway_launch
from medalist.llm import Budget, LLMConfig
from medalist.runner.models import RunLimits
from medalist.sandbox.base import Limits, Mount, SandboxRequest

pytestmark = pytest.mark.sandbox

HOSTILE = r"""
import http.client, json, os, sys, threading
from urllib.parse import urlparse
url = urlparse(os.environ["OPENAI_BASE_URL"])
TOKEN = os.environ["OPENAI_API_KEY"]

def post(path, payload=None, raw=None):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    body = raw if raw is not None else json.dumps(payload).encode()
    try:
        conn.request("POST", "/v1" + path, body=body, headers={"Authorization": "Bearer " + TOKEN,
                                                               "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data.startswith(b"{") else {})
    except OSError as exc:
        return type(exc).__name__, {}
    finally:
        conn.close()

def chat(content="hi", **extra):
    return post("/chat/completions", {"model": "code", "messages": [{"role": "user", "content": content}], **extra})

def parallel(n, fn):
    out = [None] * n
    def one(i):
        out[i] = fn()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return out

attack = sys.argv[1]
got = {}
if attack == "step_reset":
    got["chats"] = []
    for _ in range(10):
        got.setdefault("steps", []).append(post("/medalist/step", {"step": 1})[0])
        got["chats"].append(chat()[0])
elif attack == "race":
    got["statuses"] = [r[0] for r in parallel(30, chat)]
    got["after"] = [chat()[0] for _ in range(10)]  # then keep asking, one at a time
elif attack == "huge":
    big = b'{"model": "code", "messages": [{"role": "user", "content": "' + b"x" * (30 << 20) + b'"}]}'
    got["statuses"] = [r[0] for r in parallel(16, lambda: post("/chat/completions", raw=big))]
    got["after"] = chat()[0]
elif attack == "n64":
    status, body = chat(n=64, best_of=64)
    got["status"], got["choices"] = status, len(body.get("choices") or [])
elif attack == "log_flood":
    got["statuses"] = [chat("y" * (200 << 10))[0] for _ in range(40)]
open("/home/out/result.json", "w").write(json.dumps(got))
"""


def attack(
    bwrap,
    box: Path,
    name: str,
    *,
    budget: Budget | None = None,
    step_limit: int = 50,
    disk_gb: float = 20.0,
    fake: FakeOpenAI,
) -> tuple[dict, dict]:
    """Run the hostile agent's ``name`` attack in bwrap behind a fresh gateway; (its results, run usage)."""
    run_dir = box / name
    out = run_dir / "out"
    out.mkdir(parents=True)
    out.chmod(0o777)
    run_dir.chmod(0o755)
    script = box / "hostile.py"
    script.write_text(HOSTILE)
    script.chmod(0o644)
    ctx = SimpleNamespace(
        run_dir=run_dir,
        python=sys.executable,
        limits=RunLimits(time_limit_secs=120, step_limit=step_limit, disk_gb=disk_gb),
    )
    config = LLMConfig(model="openai/fake", api_base=fake.url, budget=budget or Budget(), retries=0)
    with gateway_launch(ctx, config, [sys.executable, "/home/hostile.py", name]) as launch:  # type: ignore[arg-type]
        result = bwrap.run(
            SandboxRequest(
                argv=launch.argv,
                env=launch.env,
                cwd="/home",
                mounts=[*launch.mounts, Mount(script, "/home/hostile.py"), Mount(out, "/home/out", writable=True)],
                limits=Limits(time_limit_secs=120, memory_gb=2),
                stdout=run_dir / "stdout.log",
                stderr=run_dir / "stderr.log",
            )
        )
    assert result.ok, (result, (run_dir / "stderr.log").read_text()[-2000:])
    return json.loads((out / "result.json").read_text()), json.loads((run_dir / "llm_usage.json").read_text())


def test_step_count_cannot_be_reset(bwrap, box: Path) -> None:
    with FakeOpenAI(["ok"]) as fake:
        got, usage = attack(bwrap, box, "step_reset", step_limit=2, fake=fake)
    assert got["chats"].count(200) == 2 and len(fake.requests) == 2, got
    assert set(got["chats"][2:]) == {402}
    assert usage["steps"] == usage["calls"] == 2 and usage["stop_reason"] == "max_steps"


def test_concurrent_calls_overshoot_the_token_budget_by_at_most_one_call(bwrap, box: Path) -> None:
    with FakeOpenAI(["ok"]) as fake:  # 11 + 7 = 18 tokens a call, whatever max_tokens says
        got, usage = attack(bwrap, box, "race", budget=Budget(max_tokens=100), fake=fake)
    assert usage["input_tokens"] + usage["output_tokens"] <= 100 + 18, usage
    served = got["statuses"].count(200) + got["after"].count(200)
    assert len(fake.requests) == usage["calls"] == served <= 6, got
    assert set(got["statuses"]) <= {200, 402, 429} and got["after"][-1] == 402, got  # 429: more than 4 at once
    assert usage["stop_reason"] == "max_tokens"


def test_huge_parallel_requests_are_refused_without_host_memory(bwrap, box: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with FakeOpenAI(["ok"]) as fake:
        got, usage = attack(bwrap, box, "huge", fake=fake)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert 200 not in got["statuses"] and got["statuses"].count(413) >= 1, got
    assert got["after"] == 200 and len(fake.requests) == 1
    assert grown_mb < 200, f"the gateway's process grew by {grown_mb:.0f} MB"


def test_n_is_forced_to_one(bwrap, box: Path) -> None:
    with FakeOpenAI(["ok"]) as fake:
        got, usage = attack(bwrap, box, "n64", fake=fake)
    assert got == {"status": 200, "choices": 1}
    assert len(fake.requests) == 1 and fake.requests[0].get("n", 1) == 1 and "best_of" not in fake.requests[0]


def test_call_log_is_bounded_by_the_disk_limit(bwrap, box: Path) -> None:
    limit = 1 << 20
    with FakeOpenAI(["ok"]) as fake:
        got, usage = attack(bwrap, box, "log_flood", disk_gb=limit / (1 << 30), fake=fake)
    assert got["statuses"] == [200] * 40 and usage["calls"] == 40  # the calls are still served and metered
    log = box / "log_flood" / "llm_calls.jsonl"
    assert log.stat().st_size <= limit + 1024, log.stat().st_size  # + the one line saying it is full
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["truncated"] is True and any("llm_calls.jsonl reached its limit" in n for n in usage["notes"])
