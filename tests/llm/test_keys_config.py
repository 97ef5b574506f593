"""API-key checks (one clear line before any run) and LLM config parsing."""

from __future__ import annotations

import pytest

from medalist.errors import ConfigError, MedalistError
from medalist.llm import Budget, LLMConfig, MissingApiKeyError, check_api_keys


@pytest.mark.parametrize(
    ("model", "var"),
    [
        ("openai/gpt-4o-mini", "OPENAI_API_KEY"),
        ("anthropic/claude-3-5-sonnet-20240620", "ANTHROPIC_API_KEY"),
        ("openrouter/meta-llama/llama-3-8b-instruct", "OPENROUTER_API_KEY"),
        ("gemini/gemini-1.5-pro", "GEMINI_API_KEY"),
    ],
)
def test_missing_key_is_one_line_error_naming_the_variable(model: str, var: str) -> None:
    with pytest.raises(MissingApiKeyError) as err:
        check_api_keys([model], environ={})
    msg = str(err.value)
    assert var in msg and model in msg and "\n" not in msg
    assert isinstance(err.value, MedalistError)  # the CLI prints it as one line, exit 2


def test_present_key_passes_and_alternatives_count() -> None:
    check_api_keys(["openai/gpt-4o-mini"], environ={"OPENAI_API_KEY": "sk-x"})
    check_api_keys(["gemini/gemini-1.5-pro"], environ={"GOOGLE_API_KEY": "g"})


def test_every_role_model_is_checked() -> None:
    with pytest.raises(MissingApiKeyError, match="ANTHROPIC_API_KEY"):
        check_api_keys(["openai/gpt-4o", "anthropic/claude-3-haiku-20240307"], environ={"OPENAI_API_KEY": "k"})


def test_local_api_base_needs_no_key_but_a_named_key_env_must_exist() -> None:
    check_api_keys(["openai/gemma"], api_base="http://127.0.0.1:8080/v1", environ={})
    with pytest.raises(MissingApiKeyError, match="MY_KEY"):
        check_api_keys(["openai/gemma"], api_base="http://127.0.0.1:8080/v1", api_key_env="MY_KEY", environ={})


def test_keyless_local_providers() -> None:
    check_api_keys(["ollama/llama3"], environ={})


def test_config_from_the_flat_agent_config_of_old_run_files() -> None:
    flat = {"model": "openai/gpt-4o", "feedback_model": "openai/gpt-4o-mini", "max_cost": 1.5, "max_tokens": 1000}
    cfg = LLMConfig.checked(**LLMConfig.flat_fields({**flat, "other": "ignored"}))
    assert cfg.role_model("code") == "openai/gpt-4o"
    assert cfg.role_model("feedback") == "openai/gpt-4o-mini"
    assert cfg.models() == ["openai/gpt-4o", "openai/gpt-4o-mini"]
    assert cfg.budget == Budget(max_cost_usd=1.5, max_tokens=1000)
    assert LLMConfig(model="openai/x").role_model("feedback") == "openai/x"


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({}, "needs a model"),
        ({"model": "gpt-4o"}, "provider/model"),
        ({"model": "openai/x", "budget": {"max_cost_usd": -1}}, "budget.max_cost_usd"),
        ({"model": "openai/x", "temperature": 3}, "temperature"),
    ],
)
def test_config_errors_are_one_line(config: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as err:
        LLMConfig.checked(**config)
    assert "\n" not in str(err.value)
