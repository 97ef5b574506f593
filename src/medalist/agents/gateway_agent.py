"""Base of the agents that call models through the harness gateway (aide, research, the adapters).

An agent is built from its model settings (:class:`LLMConfig`: models, endpoint, budget, response
cache) and its options, validated by its ``options_model``. Inside the sandbox the agent program gets
its options as one JSON argument (``--options-json``) and parses them with the same model.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from medalist.agents.base import AgentContext, AgentLaunch
from medalist.agents.llm_launch import gateway_launch, run_scope
from medalist.agents.solution_env import SolutionEnv, resolve
from medalist.inside.options import AgentOptions, CodingAgentOptions, validate_options
from medalist.llm.config import LLMConfig
from medalist.llm.keys import check_api_keys
from medalist.sandbox.base import Mount


def option_values(options: Mapping[str, Any], model: type[AgentOptions]) -> dict[str, Any]:
    """The agent's own options: a model-layer key the agent has no field for (``temperature`` given to an
    agent that takes none; it also sets :attr:`LLMConfig.temperature`) is left out."""
    llm_keys = LLMConfig.config_keys()
    return {k: v for k, v in options.items() if k in model.model_fields or k not in llm_keys}


class GatewayAgent:
    """A module run inside the sandbox behind the gateway.

    Subclasses set ``id``, ``description``, ``module`` (run as ``python -m``) and ``options_model``.
    ``resumable`` agents continue from their own logs when ``medalist run --resume`` redoes an
    interrupted run: the runner keeps the files named in ``resume_keep`` instead of cleaning them.
    """

    id = ""
    description = ""
    module = ""
    options_model: type[AgentOptions] = AgentOptions
    resumable = False
    resume_keep: tuple[str, ...] = ("workspace", "llm_usage.json", "llm_calls.jsonl")
    steps_from_limits = True
    calls_per_step = 1
    """Model calls one of the agent's steps may take (the gateway's step budget is STEP_LIMIT x this)."""

    def __init__(self, llm: LLMConfig, options: Mapping[str, Any] | None = None) -> None:
        self.llm = llm
        self.options = validate_options(self.id, self.options_model, option_values(options or {}, self.options_model))

    def preflight(self) -> list[str]:
        """Fail before any run starts when a key is missing or the endpoint does not answer; returns notes."""
        from medalist.llm.preflight import check_endpoint

        check_api_keys(self.llm.models(), self.llm.api_base, self.llm.api_key_env)
        return check_endpoint(self.llm)

    def argv(self, ctx: AgentContext) -> list[str]:
        return [ctx.python, "-m", self.module, f"--options-json={self.options.model_dump_json()}"]

    def extra_mounts(self, ctx: AgentContext) -> list[Mount]:
        return []

    def extra_env(self, ctx: AgentContext) -> dict[str, str]:
        return {}

    def scope(self) -> str:
        """This agent's part of the response-cache scope (its id and options)."""
        return f"{self.id}:{self.options.model_dump_json()}"

    @contextmanager
    def launch(self, ctx: AgentContext) -> Iterator[AgentLaunch]:
        with gateway_launch(
            ctx,
            self.llm,
            self.argv(ctx),
            env=self.extra_env(ctx),
            scope=run_scope(ctx, self.scope()),
            steps_from_limits=self.steps_from_limits,
            calls_per_step=self.calls_per_step,
        ) as launch:
            launch.mounts.extend(self.extra_mounts(ctx))
            yield launch


class CodingAgent(GatewayAgent):
    """An agent whose solution scripts run with the solution environment (aide, research)."""

    options_model: type[AgentOptions] = CodingAgentOptions
    resumable = True

    def solution(self, python: str) -> SolutionEnv:
        return resolve(str(getattr(self.options, "solution_env", "auto")), python)

    def preflight(self) -> list[str]:
        env = self.solution(sys.executable)  # a bad solution_env fails before any model call
        notes = super().preflight()
        return [*notes, env.note] if env.note else notes

    def extra_mounts(self, ctx: AgentContext) -> list[Mount]:
        return self.solution(ctx.python).mounts

    def extra_env(self, ctx: AgentContext) -> dict[str, str]:
        env = self.solution(ctx.python)
        return {**env.env, **({"MEDALIST_SOLUTION_NOTE": env.note} if env.note else {})}
