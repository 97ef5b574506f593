"""Agent registry: built-in agents by id plus agents configured in an agents YAML."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from medalist.agents.base import Agent
from medalist.agents.builtin import AutomlAgent, DummyAgent, SampleAgent
from medalist.agents.command import CommandAgent
from medalist.agents.config import CommandAgentConfig, load_agents_file
from medalist.agents.llm_agents import llm_agent_factories
from medalist.agents.spec import AgentSpec
from medalist.configfile import format_validation_error
from medalist.errors import ConfigError, MedalistError
from medalist.llm.config import NO_MODEL

_LLM_AGENTS = llm_agent_factories()  # aide, research, aideml, plexe, openhands: built from the spec's llm + config
_BUILTINS: dict[str, Callable[..., Agent]] = {
    "dummy": DummyAgent,
    "sample": SampleAgent,
    "automl": AutomlAgent,
    **_LLM_AGENTS,
}


class AgentRegistry:
    """Built-in agents plus the ``command`` agents of an optional agents YAML."""

    def __init__(self, agents_file: Path | None = None) -> None:
        self.agents_file = agents_file
        self.configured: dict[str, CommandAgentConfig] = {}
        if agents_file is not None:
            for cfg in load_agents_file(agents_file):
                if cfg.id in _BUILTINS:
                    raise ConfigError(
                        f"{agents_file}: field 'agents[{cfg.id}].id': {cfg.id!r} is a built-in agent; pick another id"
                    )
                self.configured[cfg.id] = cfg

    def ids(self) -> list[str]:
        return sorted([*_BUILTINS, *self.configured])

    def spec(self, agent_id: str) -> AgentSpec:
        """A serialisable description of the agent (no secret values) for run specs and metadata."""
        if agent_id in self.configured:
            return AgentSpec(id=agent_id, kind="command", config=self.configured[agent_id].model_dump())
        if agent_id in _BUILTINS:
            return AgentSpec(id=agent_id)
        near = difflib.get_close_matches(agent_id, self.ids(), n=3)
        hint = f" (did you mean: {', '.join(near)}?)" if near else ""
        where = f"built-in or in {self.agents_file}" if self.agents_file else "built-in; pass --agents-file for others"
        raise MedalistError(f"unknown agent {agent_id!r}{hint}; known ({where}): {', '.join(self.ids())}")

    def get(self, agent_id: str) -> Agent:
        return build_agent(self.spec(agent_id))


def build_agent(spec: AgentSpec) -> Agent:
    """Rebuild an agent from its spec (what a worker does)."""
    if spec.kind == "command":
        return CommandAgent(CommandAgentConfig.model_validate(spec.config))
    if spec.id not in _BUILTINS:
        raise MedalistError(f"unknown built-in agent {spec.id!r}")
    if spec.id in _LLM_AGENTS:
        if spec.llm is None:
            raise ConfigError(NO_MODEL)
        return _LLM_AGENTS[spec.id](spec.llm, spec.config)
    return _BUILTINS[spec.id]()


def with_agent_options(spec: AgentSpec, options: dict[str, Any]) -> AgentSpec:
    """``spec`` with ``--agent-option`` values for an agent that is not an LLM agent: a command agent gets
    them as extra kwargs (``--key=value``); the other built-ins take none."""
    if not options:
        return spec
    if spec.kind != "command":
        raise ConfigError(f"agent {spec.id!r} takes no options (got {', '.join(sorted(options))})")
    try:
        config = CommandAgentConfig.model_validate(
            {**spec.config, "kwargs": {**spec.config.get("kwargs", {}), **options}}
        )
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"agent {spec.id!r} options", exc)) from None
    return spec.model_copy(update={"config": config.model_dump()})
