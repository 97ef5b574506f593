"""Host-side glue for agents that call models: start a metered gateway for the run and wrap the
agent command so it reaches the gateway from inside the sandbox.

Files written to the run dir: ``llm_usage.json`` (the :class:`UsageSummary`, rewritten after every
call; the runner copies it into run.json's ``usage``) and ``llm_calls.jsonl`` (every model call:
messages, answer, tokens, cost, timings).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from medalist.llm.cache import ResponseCache
from medalist.llm.config import LLMConfig
from medalist.llm.gateway import SANDBOX_GATEWAY_DIR, SOCKET_NAME, Gateway, GatewayLimits
from medalist.llm.keys import PROVIDER_KEY_ENVS, check_api_keys
from medalist.llm.usage import USAGE_JSON, UsageMeter, load_usage

if TYPE_CHECKING:
    from medalist.agents.base import AgentContext, AgentLaunch

CALLS_JSONL = "llm_calls.jsonl"
SANDBOX_SOCKET = f"{SANDBOX_GATEWAY_DIR}/{SOCKET_NAME}"


def run_budget(config: LLMConfig, ctx: AgentContext, *, steps_from_limits: bool, calls_per_step: int = 1) -> LLMConfig:
    """The config with the run's STEP_LIMIT as step budget. The gateway counts a step per model call, so
    an agent whose steps take several calls (code + review) declares ``calls_per_step`` on the host."""
    if steps_from_limits and config.budget.max_steps is None:
        steps = ctx.limits.step_limit * max(1, calls_per_step)
        return config.model_copy(update={"budget": config.budget.model_copy(update={"max_steps": steps})})
    return config


def run_gateway_limits(ctx: AgentContext) -> GatewayLimits:
    """The gateway's limits for a run: its call log may not outgrow the run's disk limit."""
    disk_gb = getattr(ctx.limits, "disk_gb", None)
    return GatewayLimits(max_log_bytes=None if disk_gb is None else int(disk_gb * (1 << 30)))


def run_scope(ctx: AgentContext, agent: str) -> str:
    """What keeps one run's cached answers apart from another's: task, seed and the agent (with options)."""
    prepared = getattr(ctx, "prepared", None)
    task = prepared.spec.id if prepared is not None else ""
    return f"{task}|s{getattr(ctx, 'seed', 0)}|{agent}"


@contextmanager
def gateway_launch(
    ctx: AgentContext,
    config: LLMConfig,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    python: str | None = None,
    steps_from_limits: bool = True,
    scope: str = "",
    calls_per_step: int = 1,
) -> Iterator[AgentLaunch]:
    """Serve ``config``'s models to the sandbox for the duration of the run and launch ``argv`` behind
    the loopback forwarder (``OPENAI_BASE_URL`` and a per-run ``OPENAI_API_KEY`` token are set).

    A usage file already in the run dir (an interrupted attempt kept for ``--resume``) carries over, so
    budgets cover the whole run. With ``config.cache_dir`` answers come from (and go to) the response
    cache under ``scope`` (see :func:`run_scope`)."""
    from medalist.agents.base import AgentLaunch
    from medalist.llm.provider import Provider
    from medalist.sandbox.base import Mount

    check_api_keys(config.models(), config.api_base, config.api_key_env)
    config = run_budget(config, ctx, steps_from_limits=steps_from_limits, calls_per_step=calls_per_step)
    usage_path = Path(ctx.run_dir) / USAGE_JSON
    meter = UsageMeter(config.budget, path=usage_path, previous=load_usage(usage_path))
    cache = ResponseCache(Path(config.cache_dir), scope or run_scope(ctx, "")) if config.cache_dir else None
    provider = Provider(config, meter, cache=cache)
    with Gateway(provider, calls_log=Path(ctx.run_dir) / CALLS_JSONL, limits=run_gateway_limits(ctx)) as gw:
        wrapped = [python or ctx.python, "-m", "medalist.inside.forwarder", "--socket", SANDBOX_SOCKET, "--", *argv]
        agent_env = {
            # Blank every provider key the host has, for backends that pass the host env through.
            **{name: "" for names in PROVIDER_KEY_ENVS.values() for name in names if os.environ.get(name)},
            "OPENAI_API_KEY": gw.token,
            "MEDALIST_GATEWAY_SOCKET": SANDBOX_SOCKET,
            "MEDALIST_MODEL_CODE": "code",
            "MEDALIST_MODEL_FEEDBACK": "feedback",
            **(env or {}),
        }
        yield AgentLaunch(
            argv=wrapped,
            env=agent_env,
            mounts=[Mount(source=gw.socket_dir, target=SANDBOX_GATEWAY_DIR)],
            secrets=[gw.token],
        )
