"""Model configuration of an LLM agent run: per-role models, endpoint, retries and budgets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medalist.errors import ConfigError

Role = Literal["code", "feedback"]
ROLES: tuple[Role, ...] = ("code", "feedback")
NO_MODEL = "an LLM agent needs a model: pass --model provider/name (e.g. openai/gpt-4o-mini)"


class Budget(BaseModel):
    """Limits on model use for one run; the first one reached stops the agent (None = unlimited)."""

    model_config = ConfigDict(extra="forbid")

    max_cost_usd: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, gt=0, description="Input + output tokens over the whole run.")
    max_steps: int | None = Field(
        default=None, gt=0, description="Agent steps (model calls for agents that report none)."
    )
    max_wall_secs: float | None = Field(default=None, gt=0)


class LLMConfig(BaseModel):
    """Which models an agent uses and how they are reached.

    Models are litellm ``provider/model`` names (``openai/gpt-4o-mini``, ``anthropic/claude-...``,
    ``gemini/...``, ``openrouter/...``); with ``api_base`` any OpenAI-compatible server works as
    ``openai/NAME``.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="The code model (writes plans and code).")
    feedback_model: str | None = Field(default=None, description="Reviews outputs; defaults to the code model.")
    api_base: str | None = None
    api_key_env: str | None = Field(default=None, description="Env var holding the key for api_base (optional).")
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_output_tokens: int | None = Field(default=None, gt=0, description="Per-call cap on generated tokens.")
    request_timeout_secs: float = Field(default=600, gt=0)
    retries: int = Field(default=4, ge=0, description="Retries of a transient error (rate limit, 5xx, connection).")
    backoff_secs: float = Field(default=1.0, ge=0, description="First retry delay; doubles each retry.")
    backoff_max_secs: float = Field(default=30.0, ge=0)
    cache_dir: str | None = Field(default=None, description="Response cache folder (opt-in): reruns replay from it.")
    budget: Budget = Field(default_factory=Budget)

    @field_validator("model", "feedback_model")
    @classmethod
    def _provider_prefixed(cls, v: str | None) -> str | None:
        if v is not None and ("/" not in v or v.startswith("/") or v.endswith("/")):
            raise ValueError(f"model {v!r} must be 'provider/model' (e.g. openai/gpt-4o-mini)")
        return v

    def role_model(self, role: Role) -> str:
        """The litellm model name serving ``role``."""
        if role == "feedback" and self.feedback_model:
            return self.feedback_model
        return self.model

    def models(self) -> list[str]:
        """Distinct models of every role, code model first."""
        out: list[str] = []
        for role in ROLES:
            m = self.role_model(role)
            if m not in out:
                out.append(m)
        return out

    @classmethod
    def config_keys(cls) -> frozenset[str]:
        """Keys of a flat agent config that belong to the model layer (the rest are the agent's options)."""
        return frozenset(cls.model_fields) | set(_FLAT_BUDGET)

    @classmethod
    def flat_fields(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """This model's fields from a flat agent config (how run.json stored them before the ``llm`` field).

        ``max_cost``/``max_cost_usd``, ``max_tokens``, ``max_steps`` and ``max_wall_secs`` go into the
        budget; keys that are not model settings are left out (they belong to the agent).
        """
        fields = {k: config[k] for k in cls.model_fields if k in config and k != "budget" and config[k] is not None}
        budget = dict(config.get("budget") or {})
        for key, target in _FLAT_BUDGET.items():
            if config.get(key) is not None:
                budget[target] = config[key]
        return {**fields, "budget": budget}

    @classmethod
    def checked(cls, **fields: Any) -> LLMConfig:
        """Validate ``fields`` (a missing model or a bad value is one ConfigError naming the field)."""
        if not fields.get("model"):
            raise ConfigError(NO_MODEL)
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"]) or "config"
            raise ConfigError(f"LLM config: {loc}: {err['msg']}") from None


# Budget keys of a flat agent config and the Budget field each sets.
_FLAT_BUDGET = {
    "max_cost": "max_cost_usd",
    "max_cost_usd": "max_cost_usd",
    "max_tokens": "max_tokens",
    "max_steps": "max_steps",
    "max_wall_secs": "max_wall_secs",
}
