"""What a run gives an agent, as plain serialisable data: the agent's identity and config, and the run's limits.

These live with the agents (the runner builds and ships them) so agent code never imports the runner.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AgentSpec", "RunLimits"]


class RunLimits(BaseModel):
    """Limits applied to one run (resolved: CLI overrides on top of the task's defaults)."""

    model_config = ConfigDict(extra="forbid")

    time_limit_secs: float = Field(gt=0)
    memory_gb: float | None = Field(default=None, gt=0)
    cpus: float | None = Field(default=None, gt=0)
    step_limit: int = Field(default=50, gt=0)
    gpus: int = Field(default=0, ge=0)
    disk_gb: float = Field(default=20.0, gt=0)
    max_files: int = Field(default=100_000, gt=0)


class AgentSpec(BaseModel):
    """How to rebuild an agent in a worker: its id, kind and (for configured agents) its config.

    The config holds ``${VAR}`` references, never secret values: those are resolved at run time.
    """

    id: str
    kind: Literal["builtin", "command"] = "builtin"
    config: dict[str, Any] = Field(default_factory=dict)
