"""What a run gives an agent, as plain serialisable data: the agent's identity and config, and the run's limits.

These live with the agents (the runner builds and ships them) so agent code never imports the runner.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medalist.llm.config import LLMConfig

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
    """How to rebuild an agent in a worker: its id, kind, config and (LLM agents) model settings.

    ``config`` is a command agent's definition, or an LLM agent's options; ``llm`` says which models an
    LLM agent uses and how they are reached. Neither holds secret values: ``${VAR}`` references and key
    variable names are resolved at run time.
    """

    id: str
    kind: Literal["builtin", "command"] = "builtin"
    config: dict[str, Any] = Field(default_factory=dict)
    llm: LLMConfig | None = Field(default=None, description="An LLM agent's models, endpoint and budget.")

    @model_validator(mode="before")
    @classmethod
    def _flat_model_settings(cls, data: Any) -> Any:
        """Read run.json files written before the ``llm`` field, whose agent config held the model settings
        next to the options (``{"model": ..., "max_cost": ..., "num_drafts": ...}``)."""
        if not isinstance(data, dict) or data.get("llm") is not None or data.get("kind", "builtin") != "builtin":
            return data
        config = data.get("config")
        if not isinstance(config, dict) or not config.get("model"):
            return data
        llm_keys = LLMConfig.config_keys() - {"temperature"}  # temperature was also an agent option
        options = {k: v for k, v in config.items() if k not in llm_keys}
        return {**data, "config": options, "llm": LLMConfig.flat_fields(config)}
