"""Agent options: typed, validated settings an agent takes from ``--agent-option key=value`` or the
experiment YAML's ``agent_options``. Each agent declares a pydantic model; the same model parses the
options again inside the sandbox, so defaults live in one place (docs/llm-agents.md lists them).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medalist.configfile import format_validation_error
from medalist.errors import ConfigError


class AgentOptions(BaseModel):
    """Base of every agent's options (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid")


class CodingAgentOptions(AgentOptions):
    """Options shared by the agents that write and run scripts (aide, research)."""

    exec_timeout: float = Field(
        default=600.0, gt=0, description="Seconds one script may run (also capped by the time left)."
    )
    temperature: float | None = Field(default=0.5, ge=0, le=2, description="Sampling temperature of the code model.")
    feedback_temperature: float | None = Field(
        default=0.5, ge=0, le=2, description="Sampling temperature of reviews and helper calls."
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Re-asks of a malformed model reply before the step gives up."
    )
    data_preview: bool = Field(
        default=True, description="Show a data preview (types, missing values, ranges, classes)."
    )
    preview_chars: int = Field(default=6000, ge=500, description="Length cap of the data preview.")
    output_chars: int = Field(
        default=5000, ge=500, description="Characters of a script's output shown to the model (head and tail)."
    )
    solution_env: str = Field(
        default="auto",
        description="Python for solution scripts: 'auto' (the solution venv if installed, else the "
        "harness's), 'harness', or a venv folder.",
    )


def validate_options(agent_id: str, model: type[AgentOptions], values: dict[str, Any]) -> AgentOptions:
    """``values`` as ``model``, or ConfigError in one line naming the option (and the valid ones)."""
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        known = ", ".join(model.model_fields) or "none"
        raise ConfigError(f"agent {agent_id!r}: unknown option {', '.join(map(repr, unknown))} (its options: {known})")
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(f"agent {agent_id!r} options", exc)) from None
