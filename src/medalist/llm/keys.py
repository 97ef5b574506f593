"""API-key checks done before any run starts, so a missing key is one clear line, not a failed run."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from medalist.errors import MedalistError

PROVIDER_KEY_ENVS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
    "xai": ("XAI_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
}
"""Env vars a provider reads its key from (any one suffices). Others are asked of litellm."""

KEYLESS_PROVIDERS = frozenset({"ollama", "ollama_chat", "lm_studio", "vllm", "hosted_vllm", "llamafile"})


class MissingApiKeyError(MedalistError):
    """A model's provider needs an API key that is not in the environment."""


def provider_of(model: str) -> str:
    """The provider prefix of a ``provider/model`` name."""
    return model.split("/", 1)[0]


def key_envs(model: str) -> tuple[str, ...]:
    """Env vars that can hold the key for ``model`` (empty if the provider needs none)."""
    provider = provider_of(model)
    if provider in KEYLESS_PROVIDERS:
        return ()
    if provider in PROVIDER_KEY_ENVS:
        return PROVIDER_KEY_ENVS[provider]
    try:  # litellm knows the rest; imported lazily because it is slow to import
        from medalist.llm.provider import litellm_module

        missing = litellm_module().validate_environment(model).get("missing_keys") or []
    except Exception:
        return ()
    return tuple(missing)


def check_api_keys(
    models: Iterable[str],
    api_base: str | None = None,
    api_key_env: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`MissingApiKeyError` (one line) if a model's provider key is missing.

    With ``api_base`` (a local or self-hosted OpenAI-compatible server) no key is required, but a
    named ``api_key_env`` must exist.
    """
    env = os.environ if environ is None else environ
    if api_base:
        if api_key_env and not env.get(api_key_env):
            raise MissingApiKeyError(f"{api_key_env} is not set (named by --api-key-env for {api_base})")
        return
    for model in dict.fromkeys(models):
        names = key_envs(model)
        if names and not any(env.get(n) for n in names):
            either = " or ".join(names)
            raise MissingApiKeyError(
                f"model {model} needs {either} in the environment (or pass --api-base for a local server)"
            )
