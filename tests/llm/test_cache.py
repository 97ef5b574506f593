"""The response cache, through the real Provider against a scripted OpenAI-compatible upstream: a rerun
replays every answer in order with no upstream call; repeats of one request get their own answers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI

pytest.importorskip("litellm", reason="the llm extra is not installed (pip install -e '.[llm]')")

from medalist.llm import LLMConfig, UsageMeter
from medalist.llm.cache import ResponseCache, request_key
from medalist.llm.provider import Provider


def ask(provider: Provider, text: str) -> str | None:
    return provider.complete([{"role": "user", "content": text}], temperature=0.5).content


def conversation(provider: Provider, minutes_left: int) -> list[str | None]:
    """What an agent run asks: one prompt twice (two drafts), one with a [status] line, one more."""
    status = f"Draft a model.\n[status] {minutes_left} of 60 minutes left; step 3 of 20\nGo."
    return [
        ask(provider, "Draft a model."),
        ask(provider, "Draft a model."),
        ask(provider, status),
        ask(provider, "Review."),
    ]


def test_cached_rerun_scripted_upstream_makes_no_upstream_call(tmp_path: Path) -> None:
    counter = itertools.count(1)
    with FakeOpenAI(lambda body: f"answer {next(counter)}") as fake:
        config = LLMConfig(model="openai/fake", api_base=fake.url, cache_dir=str(tmp_path / "cache"))

        def run(scope: str, minutes_left: int) -> tuple[list[str | None], UsageMeter]:
            meter = UsageMeter()
            return conversation(
                Provider(config, meter, cache=ResponseCache(tmp_path / "cache", scope)), minutes_left
            ), meter

        first, meter1 = run("task|s0|aide", 55)
        assert first == ["answer 1", "answer 2", "answer 3", "answer 4"] and len(fake.requests) == 4
        replay, meter2 = run("task|s0|aide", 41)  # another run of the same experiment: time left differs
        assert replay == first and len(fake.requests) == 4  # no upstream call at all
        s1, s2 = meter1.summary(), meter2.summary()
        assert s2.cache_hits == 4 and s1.cache_hits == 0
        assert (s2.input_tokens, s2.output_tokens, s2.calls) == (s1.input_tokens, s1.output_tokens, s1.calls)
        other, _ = run("task|s1|aide", 55)  # another seed never shares answers
        assert other == ["answer 5", "answer 6", "answer 7", "answer 8"] and len(fake.requests) == 8


def test_cache_key_covers_the_whole_request_except_status_lines() -> None:
    msgs = [{"role": "user", "content": "x\n[status] 5 of 60 minutes left\ny"}]
    base = request_key("s", "openai/m", None, msgs, {"temperature": 0.5})
    same = request_key(
        "s",
        "openai/m",
        None,
        [{"role": "user", "content": "x\n[status] 1 of 60 minutes left\ny"}],
        {"temperature": 0.5},
    )
    assert base == same
    for changed in (
        request_key("s", "openai/m", None, msgs, {"temperature": 0.7}),
        request_key("s", "openai/other", None, msgs, {"temperature": 0.5}),
        request_key("s", "openai/m", "http://127.0.0.1:1/v1", msgs, {"temperature": 0.5}),
        request_key("s", "openai/m", None, [{"role": "user", "content": "x\ny"}], {"temperature": 0.5}),
        request_key("s", "openai/m", None, msgs, {"temperature": 0.5}, occurrence=1),
        request_key("t", "openai/m", None, msgs, {"temperature": 0.5}),
    ):
        assert changed != base


def test_upstream_errors_are_not_cached(tmp_path: Path) -> None:
    with FakeOpenAI(["ok"], fail_first=1, fail_status=400) as fake:
        config = LLMConfig(model="openai/fake", api_base=fake.url, retries=0)
        provider = Provider(config, UsageMeter(), cache=ResponseCache(tmp_path, "s"))
        with pytest.raises(Exception):
            ask(provider, "hi")
        provider2 = Provider(config, UsageMeter(), cache=ResponseCache(tmp_path, "s"))
        assert ask(provider2, "hi") == "ok" and len(fake.requests) == 2
