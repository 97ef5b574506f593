"""A preflight model call before any run starts: a wrong endpoint, key or model name fails the command in
one clear line, instead of every run "completing" after its model calls failed.

One tiny completion per distinct model (code and feedback), with one retry and a short timeout, through
the same :class:`~medalist.llm.provider.Provider` the gateway uses (so the response cache applies and a
cached rerun makes no upstream call). A cost budget with a model whose price is unknown is refused too:
it could never be enforced.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from medalist.errors import MedalistError
from medalist.llm.cache import ResponseCache
from medalist.llm.config import LLMConfig
from medalist.llm.usage import UsageMeter

if TYPE_CHECKING:
    from medalist.llm.provider import Provider

PROMPT = [{"role": "user", "content": "Reply with the word OK."}]
PREFLIGHT_SCOPE = "preflight"


class PreflightError(MedalistError):
    """The model endpoint did not answer a trivial request (or a budget cannot be enforced)."""


def _where(config: LLMConfig) -> str:
    return f"at {config.api_base}" if config.api_base else "(provider's default endpoint)"


def _hint(message: str, status: int, config: LLMConfig) -> str:
    text = message.lower()
    if status in (401, 403) or any(s in text for s in ("auth", "api key", "api_key", "permission")):
        return "check the API key" + (f" in {config.api_key_env}" if config.api_key_env else "")
    if status == 404 or any(s in text for s in ("not found", "does not exist", "no such model", "unknown model")):
        return "check --model"
    if any(s in text for s in ("connection", "connect", "refused", "resolve", "unreachable", "timed out", "timeout")):
        return "check --api-base (is the server running?)" if config.api_base else "check the network"
    return "check --model and --api-base"


def _plain(message: str, model: str) -> str:
    """litellm's error text without the repeated class names (one short line)."""
    text = " ".join(message.split()).removeprefix(f"{model}: ")
    text = re.sub(r"litellm\.\w+: (\w+: )?(\w+Exception - )?", "", text)
    return text[:300]


def check_endpoint(config: LLMConfig, *, timeout: float = 60.0) -> list[str]:
    """One tiny call per model; raise :class:`PreflightError` (one line) if any fails. Returns notes."""
    from medalist.llm.provider import Provider

    quick = config.model_copy(
        update={"retries": 1, "backoff_secs": 0.5, "request_timeout_secs": timeout, "max_output_tokens": None}
    )
    cache = ResponseCache(Path(config.cache_dir), PREFLIGHT_SCOPE) if config.cache_dir else None
    provider = Provider(quick, UsageMeter(), cache=cache)
    notes: list[str] = []
    quiet = logging.getLogger("medalist.llm.provider")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the one line below says it all; no retry warnings on the console
    try:
        for model in config.models():
            notes += _check_model(provider, model, config)
    finally:
        quiet.setLevel(level)
    return notes


def _check_model(provider: Provider, model: str, config: LLMConfig) -> list[str]:
    from medalist.llm.provider import ProviderError

    try:
        result = provider.complete(PROMPT, model=model, max_tokens=16)
    except ProviderError as exc:
        message = _plain(str(exc), model)
        code = f" (HTTP {exc.status_code})" if exc.status_code not in (502, 503) else ""
        raise PreflightError(
            f"model check failed for {model} {_where(config)}{code}: {message}; "
            f"{_hint(message, exc.status_code, config)}"
        ) from None
    if result.cost_usd is None:
        if config.budget.max_cost_usd is not None:
            raise PreflightError(
                f"no price is known for {model}, so --max-cost cannot be enforced; use --max-tokens instead"
            )
        return [f"no price is known for {model}: its cost will show as unknown"]
    return []
