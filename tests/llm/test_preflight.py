"""The preflight model call: a wrong endpoint, key or model fails in one clear line, fast."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

from medalist.llm import LLMConfig
from medalist.llm.config import Budget
from medalist.llm.preflight import PreflightError, check_endpoint


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_preflight_wrong_port_fails_fast_in_one_line() -> None:
    base = f"http://127.0.0.1:{closed_port()}/v1"
    start = time.monotonic()
    with pytest.raises(PreflightError) as err:
        check_endpoint(LLMConfig(model="openai/any", api_base=base))
    message = str(err.value)
    assert time.monotonic() - start < 20
    assert "\n" not in message and base in message and "check --api-base" in message
    assert message.count("openai/any") == 1 and "Connection error" in message


@pytest.mark.parametrize(("status", "hint"), [(401, "check the API key"), (404, "check --model")])
def test_preflight_scripted_upstream_refusals_name_the_fix(status: int, hint: str) -> None:
    with FakeOpenAI(["OK"], fail_first=10, fail_status=status) as fake:
        with pytest.raises(PreflightError, match=hint) as err:
            check_endpoint(LLMConfig(model="openai/fake", api_base=fake.url))
    assert "\n" not in str(err.value)


def test_preflight_scripted_upstream_checks_every_model_and_notes_unknown_prices(tmp_path: Path) -> None:
    with FakeOpenAI(["OK"]) as fake:
        config = LLMConfig(
            model="openai/fake-code", feedback_model="openai/fake-review", api_base=fake.url, cache_dir=str(tmp_path)
        )
        notes = check_endpoint(config)
        assert [r["model"] for r in fake.requests] == ["fake-code", "fake-review"]
        assert notes == [
            f"no price is known for openai/fake-{m}: its cost will show as unknown" for m in ("code", "review")
        ]
        check_endpoint(config)  # a cached rerun: no upstream call
        assert len(fake.requests) == 2
        with pytest.raises(PreflightError, match="--max-cost cannot be enforced"):
            check_endpoint(config.model_copy(update={"budget": Budget(max_cost_usd=1.0), "cache_dir": None}))
