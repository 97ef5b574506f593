"""The litellm provider over real HTTP to a local OpenAI-compatible server: metering, retries, errors."""

from __future__ import annotations

import pytest

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")
from fake_openai import FakeOpenAI

from medalist.llm import Budget, BudgetExceeded, LLMConfig, UsageMeter
from medalist.llm.provider import PLACEHOLDER_KEY, Provider, ProviderError


def _provider(url: str, **cfg: object) -> tuple[Provider, list[float]]:
    sleeps: list[float] = []
    config = LLMConfig(model="openai/fake-code", feedback_model="openai/fake-review", api_base=url, **cfg)
    return Provider(config, UsageMeter(config.budget), sleep=sleeps.append), sleeps


def test_call_is_metered_and_unknown_model_costs_zero_with_a_note(fake_openai: FakeOpenAI) -> None:
    provider, _ = _provider(fake_openai.url)
    result = provider.complete([{"role": "user", "content": "hi"}], role="feedback")
    assert result.content == "hello"
    assert fake_openai.requests[0]["model"] == "fake-review"
    s = provider.meter.summary()
    assert (s.calls, s.input_tokens, s.output_tokens, s.cost_usd) == (1, 11, 7, 0.0)
    assert any("no price known for openai/fake-review" in n for n in s.notes)


def test_real_key_is_not_sent_to_a_custom_api_base(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-secret")
    provider, _ = _provider(fake_openai.url)
    provider.complete([{"role": "user", "content": "hi"}])
    auth = fake_openai.headers[0].get("Authorization") or fake_openai.headers[0].get("authorization")
    assert auth == f"Bearer {PLACEHOLDER_KEY}"


def test_transient_errors_are_retried_with_exponential_backoff() -> None:
    with FakeOpenAI(["ok"], fail_first=3, fail_status=503) as fake:
        provider, sleeps = _provider(fake.url, retries=4, backoff_secs=0.5)
        assert provider.complete([{"role": "user", "content": "x"}]).content == "ok"
    assert sleeps == [0.5, 1.0, 2.0]
    s = provider.meter.summary()
    assert s.errors == 3 and s.calls == 1


def test_retries_give_up_with_one_line_error() -> None:
    with FakeOpenAI(["ok"], fail_first=10, fail_status=500) as fake:
        provider, sleeps = _provider(fake.url, retries=2, backoff_secs=0.1)
        with pytest.raises(ProviderError, match="gave up after 3 tries") as err:
            provider.complete([{"role": "user", "content": "x"}])
    assert len(sleeps) == 2 and "\n" not in str(err.value)


def test_bad_request_is_not_retried() -> None:
    with FakeOpenAI(["ok"], fail_first=10, fail_status=400) as fake:
        provider, sleeps = _provider(fake.url)
        with pytest.raises(ProviderError):
            provider.complete([{"role": "user", "content": "x"}])
        assert len(fake.requests) == 1 and sleeps == []


def test_budget_is_checked_before_each_call(fake_openai: FakeOpenAI) -> None:
    provider, _ = _provider(fake_openai.url, budget=Budget(max_tokens=20))
    provider.complete([{"role": "user", "content": "x"}])  # 18 tokens
    provider.complete([{"role": "user", "content": "x"}])  # 36: over
    with pytest.raises(BudgetExceeded):
        provider.complete([{"role": "user", "content": "x"}])
    assert len(fake_openai.requests) == 2


def test_known_model_gets_a_price_from_litellm_tables() -> None:
    meter = UsageMeter()
    provider = Provider(LLMConfig(model="openai/gpt-4o-mini"), meter)
    cost, note = provider._cost(
        "openai/gpt-4o-mini",
        {
            "model": "gpt-4o-mini",
            "usage": {"prompt_tokens": 1000, "completion_tokens": 1000, "total_tokens": 2000},
            "choices": [],
        },
        1000,
        1000,
    )
    assert note is None and cost == pytest.approx(0.00075)


def test_resolve_maps_roles_and_names() -> None:
    provider = Provider(LLMConfig(model="openai/a", feedback_model="openai/b"), UsageMeter())
    assert provider.resolve("code") == "openai/a"
    assert provider.resolve("feedback") == "openai/b"
    assert provider.resolve("b") == "openai/b"
    assert provider.resolve("gpt-whatever") == "openai/a"
    assert provider.resolve(None, role="feedback") == "openai/b"
