"""The LLM agents as built-in agent factories (imported lazily; each takes model settings and options).

The agents registry adds these to its built-ins; ``medalist run --model ...`` puts the model settings
into the agent spec's ``llm`` and the agent options into its ``config``; both reach the factory here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from medalist.llm.config import LLMConfig

LLM_AGENTS: dict[str, str] = {
    "aide": "medalist.agents.aide:AideAgent",
    "research": "medalist.agents.research:ResearchAgent",
    "aideml": "medalist.agents.adapters:AidemlAgent",
    "plexe": "medalist.agents.adapters:PlexeAgent",
    "openhands": "medalist.agents.adapters:OpenHandsAgent",
}


def _factory(target: str) -> Callable[..., Any]:
    module, name = target.split(":")

    def build(llm: LLMConfig, options: dict[str, Any] | None = None) -> Any:
        return getattr(importlib.import_module(module), name)(llm, options)

    build.__name__ = name
    return build


def llm_agent_factories() -> dict[str, Callable[..., Any]]:
    """Factories ``f(llm, options=None) -> Agent`` for every LLM agent id."""
    return {agent_id: _factory(target) for agent_id, target in LLM_AGENTS.items()}
