"""Model calls through litellm: any ``provider/model``, retries with exponential backoff, metering.

This is the only module that imports litellm (lazily: it takes seconds to import).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from typing import Any, cast

from pydantic import BaseModel, Field

from medalist.errors import MedalistError
from medalist.llm.cache import ResponseCache
from medalist.llm.config import LLMConfig, Role
from medalist.llm.usage import UsageMeter

log = logging.getLogger(__name__)

PASSTHROUGH_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "n",
        "presence_penalty",
        "frequency_penalty",
        "response_format",
        "tools",
        "tool_choice",
        "logit_bias",
        "user",
        "parallel_tool_calls",
    }
)
"""OpenAI chat parameters forwarded to the provider (others are dropped)."""

PLACEHOLDER_KEY = "sk-medalist-local"
"""Sent to a custom ``api_base`` that needs no key, so a real OPENAI_API_KEY is never leaked to it."""


class ProviderError(MedalistError):
    """A model call failed for good (after retries, or a non-transient error)."""

    def __init__(self, message: str, status_code: int = 502) -> None:
        super().__init__(message)
        self.status_code = status_code


class ChatResult(BaseModel):
    """One completed chat call: the text, token counts, cost and the OpenAI-shaped response."""

    model: str
    content: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    seconds: float = 0.0
    cached: bool = False
    response: dict[str, Any] = Field(default_factory=dict)


def litellm_module() -> Any:
    """Import litellm configured for offline use (local cost map, no telemetry)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    with warnings.catch_warnings():  # pydantic warns about litellm's TypedDicts at import
        warnings.simplefilter("ignore")
        import litellm

    # pydantic warns about litellm's ReadOnly TypedDicts when they are first used: noise for our users.
    warnings.filterwarnings("ignore", message=r".*`ReadOnly` qualifier", category=UserWarning)
    litellm.telemetry = False
    litellm.suppress_debug_info = True
    litellm.drop_params = True  # a provider that lacks a parameter (e.g. seed) ignores it
    return litellm


def _transient_errors(litellm: Any) -> tuple[type[BaseException], ...]:
    names = (
        "RateLimitError",
        "APIConnectionError",
        "Timeout",
        "InternalServerError",
        "ServiceUnavailableError",
        "BadGatewayError",
    )
    return tuple(getattr(litellm, n) for n in names if isinstance(getattr(litellm, n, None), type))


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:limit]


class Provider:
    """Calls models for one run; every call is checked against the budget and metered."""

    def __init__(
        self,
        config: LLMConfig,
        meter: UsageMeter,
        *,
        sleep: Callable[[float], None] = time.sleep,
        cache: ResponseCache | None = None,
    ) -> None:
        self.config = config
        self.meter = meter
        self.cache = cache
        self._sleep = sleep
        self._litellm = litellm_module()
        self._transient = _transient_errors(self._litellm)

    def _call_kwargs(self, model: str) -> dict[str, Any]:
        cfg = self.config
        kw: dict[str, Any] = {"timeout": cfg.request_timeout_secs, "num_retries": 0}
        if cfg.api_base:
            kw["api_base"] = cfg.api_base
            kw["api_key"] = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else PLACEHOLDER_KEY
        return kw

    def resolve(self, requested: str | None, role: Role = "code") -> str:
        """Map a model name an agent asked for to a configured model (roles, aliases, real names)."""
        if requested in ("code", "feedback"):
            return self.config.role_model(cast(Role, requested))
        if requested and requested in self.config.models():
            return requested
        if requested:
            for m in self.config.models():  # bare name of a configured model: "gpt-4o" for "openai/gpt-4o"
                if m.split("/", 1)[1] == requested:
                    return m
        return self.config.role_model(role)

    def complete(
        self, messages: list[dict[str, Any]], *, role: Role = "code", model: str | None = None, **params: Any
    ) -> ChatResult:
        """Run one chat completion with retries; raises BudgetExceeded or ProviderError."""
        self.meter.check()
        model = model or self.config.role_model(role)
        args = {k: v for k, v in params.items() if k in PASSTHROUGH_PARAMS and v is not None}
        if self.config.temperature is not None:
            args.setdefault("temperature", self.config.temperature)
        cap = self.config.max_output_tokens
        if cap is not None:
            args["max_tokens"] = min(int(args.get("max_tokens") or cap), cap)
        kwargs = self._call_kwargs(model)
        key = None if self.cache is None else self.cache.key(model, self.config.api_base, messages, args)
        if key is not None and self.cache is not None and (hit := self.cache.get(key)) is not None:
            return self._replay(model, hit)
        delay = self.config.backoff_secs
        for attempt in range(self.config.retries + 1):
            start = time.monotonic()
            try:
                resp = self._litellm.completion(model=model, messages=messages, **args, **kwargs)
            except self._transient as exc:
                self.meter.record_error(model, _one_line(exc))
                if attempt >= self.config.retries:
                    raise ProviderError(f"{model}: gave up after {attempt + 1} tries: {_one_line(exc)}", 503) from None
                log.warning(
                    "transient error from %s (try %d): %s; retrying in %.1fs",
                    model,
                    attempt + 1,
                    _one_line(exc, 120),
                    delay,
                )
                self._sleep(delay)
                delay = min(delay * 2, self.config.backoff_max_secs)
                self.meter.check()
                continue
            except Exception as exc:
                self.meter.record_error(model, _one_line(exc))
                status = getattr(exc, "status_code", None)
                raise ProviderError(f"{model}: {_one_line(exc)}", status if isinstance(status, int) else 502) from None
            result = self._account(model, resp, time.monotonic() - start)
            if key is not None and self.cache is not None:
                self.cache.put(
                    key,
                    result.model_dump(
                        include={
                            "model",
                            "input_tokens",
                            "output_tokens",
                            "cost_usd",
                            "response",
                        }
                    ),
                )
            return result
        raise AssertionError("unreachable")

    def _replay(self, model: str, hit: dict[str, Any]) -> ChatResult:
        """A cached answer: metered like the original call (budgets replay identically), marked as saved."""
        tin, tout = int(hit.get("input_tokens") or 0), int(hit.get("output_tokens") or 0)
        cost = hit.get("cost_usd")
        self.meter.record_call(model, tin, tout, cost, None if cost is not None else f"no price known for {model}")
        self.meter.record_cache_hit(cost)
        response = hit["response"]
        choices = response.get("choices") or [{}]
        content = (choices[0].get("message") or {}).get("content")
        return ChatResult(
            model=model,
            content=content,
            input_tokens=tin,
            output_tokens=tout,
            cost_usd=cost,
            cached=True,
            response=response,
        )

    def _account(self, model: str, resp: Any, seconds: float) -> ChatResult:
        data = resp.model_dump() if hasattr(resp, "model_dump") else dict(resp)
        usage = data.get("usage") or {}
        tin, tout = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        cost, note = self._cost(model, resp, tin, tout)
        self.meter.record_call(model, tin, tout, cost, note)
        choices = data.get("choices") or [{}]
        content = (choices[0].get("message") or {}).get("content")
        return ChatResult(
            model=model,
            content=content,
            input_tokens=tin,
            output_tokens=tout,
            cost_usd=cost,
            seconds=round(seconds, 3),
            response=data,
        )

    def estimate_cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """Price of a call of that size from litellm's table (None: unknown), to reserve budget with."""
        try:
            cin, cout = self._litellm.cost_per_token(
                model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
            )
            return float(cin) + float(cout)
        except Exception:
            return None

    def _cost(self, model: str, resp: Any, tin: int, tout: int) -> tuple[float | None, str | None]:
        try:
            cost = float(self._litellm.completion_cost(completion_response=resp, model=model))
        except Exception:
            return None, f"no price known for {model}"
        if cost == 0.0 and (tin or tout) and self.config.api_base is None:
            return 0.0, f"price of {model} is 0 in litellm's table"
        return cost, None
