"""The LLM agents as built-in agent factories (imported lazily; each takes the agent's config).

The agents registry adds these to its built-ins; ``medalist run --model ...`` puts the model options
into the agent spec's config, which reaches the factory here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

LLM_AGENTS: dict[str, str] = {
    "aide": "medalist.agents.aide:AideAgent",
    "research": "medalist.agents.research:ResearchAgent",
    "aideml": "medalist.agents.adapters:AidemlAgent",
    "plexe": "medalist.agents.adapters:PlexeAgent",
    "openhands": "medalist.agents.adapters:OpenHandsAgent",
}


def _factory(target: str) -> Callable[..., Any]:
    module, name = target.split(":")

    def build(config: dict[str, Any] | None = None) -> Any:
        return getattr(importlib.import_module(module), name)(config)

    build.__name__ = name
    return build


def llm_agent_factories() -> dict[str, Callable[..., Any]]:
    """Factories ``f(config=None) -> Agent`` for every LLM agent id."""
    return {agent_id: _factory(target) for agent_id, target in LLM_AGENTS.items()}


def with_llm_options(config: dict[str, Any], **options: Any) -> dict[str, Any]:
    """An agent config with the given (non-None) LLM options set on top."""
    return {**config, **{k: v for k, v in options.items() if v is not None}}
