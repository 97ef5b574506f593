"""AgentSpec: model settings are a typed field, and run files of older versions still read."""

from __future__ import annotations

import pytest

from medalist.agents import build_agent
from medalist.agents.spec import AgentSpec
from medalist.errors import ConfigError
from medalist.llm.config import Budget, LLMConfig


def test_an_old_flat_agent_config_is_read_into_typed_model_settings() -> None:
    old = {
        "id": "aide",
        "config": {"model": "openai/gpt-4o", "max_cost": 2.0, "cache_dir": "/c", "num_drafts": 3, "temperature": 0.2},
    }
    spec = AgentSpec.model_validate(old)
    assert spec.llm == LLMConfig(model="openai/gpt-4o", cache_dir="/c", temperature=0.2, budget=Budget(max_cost_usd=2))
    assert spec.config == {"num_drafts": 3, "temperature": 0.2}  # temperature was also aide's option
    assert AgentSpec.model_validate_json(spec.model_dump_json()) == spec


def test_a_command_agent_config_with_a_model_kwarg_is_left_alone() -> None:
    config = {"command": ["x"], "kwargs": {"model": "m"}, "model": "not an llm setting"}
    spec = AgentSpec.model_validate({"id": "mine", "kind": "command", "config": config})
    assert spec.llm is None and spec.config == config


def test_an_old_flat_config_with_a_bad_model_setting_is_a_validation_error() -> None:
    with pytest.raises(ValueError, match="max_cost_usd"):
        AgentSpec.model_validate({"id": "aide", "config": {"model": "openai/x", "max_cost": -1}})


def test_an_llm_agent_spec_builds_from_its_settings_and_options() -> None:
    agent = build_agent(AgentSpec(id="aide", llm=LLMConfig(model="openai/x"), config={"num_drafts": 4}))
    assert agent.llm.model == "openai/x" and agent.options.num_drafts == 4  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="needs a model"):
        build_agent(AgentSpec(id="aide", config={"num_drafts": 4}))
