"""The gateway: real HTTP over its unix socket and through the loopback forwarder, metering, budgets."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")
from fake_openai import FakeOpenAI, unix_request

from medalist.inside.forwarder import start_forwarder
from medalist.inside.llm_client import BudgetStop, GatewayClient
from medalist.llm import Budget, LLMConfig, UsageMeter
from medalist.llm.gateway import Gateway
from medalist.llm.provider import Provider


@pytest.fixture
def gateway(fake_openai: FakeOpenAI, tmp_path: Path) -> Iterator[Gateway]:
    config = LLMConfig(
        model="openai/fake-code",
        feedback_model="openai/fake-review",
        api_base=fake_openai.url,
        budget=Budget(max_tokens=50),
    )
    meter = UsageMeter(config.budget, path=tmp_path / "llm_usage.json")
    with Gateway(Provider(config, meter), calls_log=tmp_path / "calls.jsonl") as gw:
        yield gw


def _chat(gw: Gateway, model: str = "code", token: str | None = "ok", **extra: object) -> tuple[int, dict]:
    return unix_request(
        str(gw.socket_path),
        "POST",
        "/v1/chat/completions",
        {"model": model, "messages": [{"role": "user", "content": "hi"}], **extra},
        token=gw.token if token == "ok" else token,
    )


def test_socket_is_reachable_by_other_users(gateway: Gateway) -> None:
    assert stat.S_IMODE(gateway.socket_path.stat().st_mode) == 0o666
    assert len(str(gateway.socket_path)) < 100


def test_models_and_chat_over_unix_socket(gateway: Gateway, fake_openai: FakeOpenAI) -> None:
    status, models = unix_request(str(gateway.socket_path), "GET", "/v1/models", token=gateway.token)
    assert status == 200
    assert {m["id"] for m in models["data"]} >= {"code", "feedback", "openai/fake-code", "openai/fake-review"}
    status, body = _chat(gateway, "feedback")
    assert status == 200 and body["choices"][0]["message"]["content"] == "hello"
    assert fake_openai.requests[-1]["model"] == "fake-review"
    assert body["usage"]["prompt_tokens"] == 11


def test_token_is_required(gateway: Gateway) -> None:
    status, body = _chat(gateway, token=None)
    assert status == 401 and body["error"]["code"] == "invalid_api_key"
    status, _ = _chat(gateway, token="sk-wrong")
    assert status == 401


def test_usage_is_metered_logged_and_budget_stops_with_402(gateway: Gateway, tmp_path: Path) -> None:
    assert _chat(gateway)[0] == 200  # 18 tokens
    assert _chat(gateway)[0] == 200  # 36
    assert _chat(gateway)[0] == 200  # 54 >= 50
    status, body = _chat(gateway)
    assert status == 402 and body["error"]["type"] == "budget_exceeded" and body["error"]["code"] == "max_tokens"
    usage = json.loads((tmp_path / "llm_usage.json").read_text())
    assert usage["calls"] == 3 and usage["input_tokens"] == 33 and usage["output_tokens"] == 21
    assert usage["stop_reason"] == "max_tokens"
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert len(calls) == 4 and calls[0]["content"] == "hello" and calls[-1]["error"]
    status, summary = unix_request(str(gateway.socket_path), "GET", "/v1/medalist/usage", token=gateway.token)
    assert status == 200 and summary["calls"] == 3


def test_streaming_request_gets_one_sse_chunk(gateway: Gateway) -> None:
    status, body = _chat(gateway, stream=True)
    assert status == 200
    events = [e for e in body["raw"].split("\n\n") if e]
    chunk = json.loads(events[0].removeprefix("data: "))
    assert chunk["choices"][0]["delta"]["content"] == "hello" and events[-1] == "data: [DONE]"


def test_bad_requests(gateway: Gateway) -> None:
    status, body = unix_request(
        str(gateway.socket_path), "POST", "/v1/chat/completions", {"model": "code"}, token=gateway.token
    )
    assert status == 400 and "messages" in body["error"]["message"]
    status, _ = unix_request(str(gateway.socket_path), "GET", "/v1/nothing", token=gateway.token)
    assert status == 404


def test_client_through_loopback_forwarder_steps_and_budget(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    config = LLMConfig(model="openai/fake", api_base=fake_openai.url, budget=Budget(max_steps=2))
    with Gateway(Provider(config, UsageMeter(config.budget, path=tmp_path / "u.json"))) as gw:
        server, port = start_forwarder(str(gw.socket_path))
        try:
            client = GatewayClient(f"http://127.0.0.1:{port}/v1", gw.token)
            client.start_step(1)
            assert client.chat([{"role": "user", "content": "a"}]).content == "hello"
            assert client.chat([{"role": "user", "content": "b"}], role="feedback").output_tokens == 7
            with pytest.raises(BudgetStop) as err:  # each call is a step: the budget is used up
                client.start_step(2)
            assert err.value.reason == "max_steps"
            with pytest.raises(BudgetStop):
                client.chat([{"role": "user", "content": "c"}])
            usage = client.usage()
            assert usage["steps"] == 2 and usage["calls"] == 2 and usage["agent_steps"] == 1
        finally:
            server.shutdown()
            server.server_close()


def test_forwarder_command_sets_base_url_and_returns_child_code(gateway: Gateway) -> None:
    code = (
        "import os, sys; from medalist.inside.llm_client import GatewayClient;"
        "r = GatewayClient().chat([{'role': 'user', 'content': 'x'}]);"
        "print(os.environ['OPENAI_BASE_URL'], r.content); sys.exit(3)"
    )
    env = dict(os.environ, OPENAI_API_KEY=gateway.token)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "medalist.inside.forwarder",
            "--socket",
            str(gateway.socket_path),
            "--",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    url, content = done.stdout.split()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1") and content == "hello"


def test_upstream_failure_is_retried_by_the_gateway_only(tmp_path: Path) -> None:
    from medalist.inside.llm_client import ChatError

    with FakeOpenAI(["x"], fail_first=100, fail_status=500) as fake:
        config = LLMConfig(model="openai/fake", api_base=fake.url, retries=1, backoff_secs=0.0)
        with Gateway(Provider(config, UsageMeter())) as gw:
            server, port = start_forwarder(str(gw.socket_path))
            try:
                client = GatewayClient(f"http://127.0.0.1:{port}/v1", gw.token, sleep=lambda s: None)
                with pytest.raises(ChatError, match="HTTP 503: openai/fake: gave up after 2 tries"):
                    client.chat([{"role": "user", "content": "a"}])
            finally:
                server.shutdown()
                server.server_close()
        assert len(fake.requests) == 2


def test_agent_reported_stop_reason_is_kept_unless_a_budget_came_first(gateway: Gateway, tmp_path: Path) -> None:
    server, port = start_forwarder(str(gateway.socket_path))
    try:
        client = GatewayClient(f"http://127.0.0.1:{port}/v1", gateway.token)
        client.report_stop("time_limit", "3 nodes")
        client.report_stop("later", "ignored")
    finally:
        server.shutdown()
        server.server_close()
    usage = json.loads((tmp_path / "llm_usage.json").read_text())
    assert usage["stop_reason"] == "time_limit" and usage["stop_message"] == "3 nodes"


def test_cost_budget_uses_litellm_prices_and_stops_with_402(tmp_path: Path) -> None:
    with FakeOpenAI(["ok"], prompt_tokens=100_000, completion_tokens=1_000) as fake:
        config = LLMConfig(model="openai/gpt-4o-mini", api_base=fake.url, budget=Budget(max_cost_usd=0.03))
        with Gateway(Provider(config, UsageMeter(config.budget, path=tmp_path / "u.json"))) as gw:
            assert _chat(gw)[0] == 200 and _chat(gw)[0] == 200  # $0.0156 each at gpt-4o-mini prices
            status, body = _chat(gw)
    assert status == 402 and body["error"]["code"] == "max_cost"
    usage = json.loads((tmp_path / "u.json").read_text())
    assert usage["cost_usd"] == pytest.approx(2 * (100_000 * 0.15 + 1_000 * 0.6) / 1e6)
    assert usage["stop_reason"] == "max_cost" and len(fake.requests) == 2
