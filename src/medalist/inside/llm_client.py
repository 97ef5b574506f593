"""A minimal OpenAI-compatible chat client (standard library only) for agents inside the sandbox.

It talks to the harness gateway at ``OPENAI_BASE_URL`` with the per-run token in
``OPENAI_API_KEY``. :class:`ChatModel` is the interface agent logic is written against, so tests
can drive an agent with scripted answers (:class:`ScriptedChatModel`).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class BudgetStop(Exception):
    """The gateway refused: a budget (cost, tokens, steps, wall time) is used up. Stop cleanly."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ChatError(Exception):
    """A model call failed (after the gateway's retries)."""


class ChatTimeout(ChatError):
    """A model call did not answer within its timeout (not retried: the caller set a deadline)."""


@dataclass
class ChatReply:
    content: str
    input_tokens: int = 0
    output_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict)


class ChatModel(Protocol):
    """What agent logic needs from a model service."""

    def chat(
        self, messages: list[dict[str, Any]], *, role: str = "code", timeout: float | None = None, **params: Any
    ) -> ChatReply:
        """One chat completion (``timeout``: seconds to wait for the answer, None = client default)."""
        ...

    def start_step(self, n: int) -> None:
        """Tell the harness a step starts (raises :class:`BudgetStop` if the step budget is used up)."""
        ...


class GatewayClient:
    """HTTP client for the gateway (or any OpenAI-compatible server)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 900.0,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        base = base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE")
        if not base:
            raise ChatError("OPENAI_BASE_URL is not set: the agent was started without a model gateway")
        self.base_url = base.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        self.timeout = timeout
        self.retries = retries
        self._sleep = sleep

    def _request(
        self, method: str, path: str, payload: dict[str, Any] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        data = None if payload is None else json.dumps(payload).encode()
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        delay = 1.0
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(req, timeout=timeout or self.timeout) as resp:
                    return json.loads(resp.read())
            except TimeoutError:
                raise ChatTimeout(f"no answer from the model within {timeout or self.timeout:.0f}s") from None
            except urllib.error.HTTPError as exc:
                body = _error_body(exc)
                err = error if isinstance(error := body.get("error"), dict) else {}
                if exc.code == 402 or err.get("type") == "budget_exceeded":
                    raise BudgetStop(
                        str(err.get("code") or "budget"), str(err.get("message") or "budget used up")
                    ) from None
                # The gateway already retried its provider ("upstream_error"); only retry the gateway itself.
                if (exc.code in (408, 429) or exc.code >= 500) and err.get("type") != "upstream_error":
                    if attempt < self.retries:
                        self._sleep(delay)
                        delay *= 2
                        continue
                raise ChatError(f"HTTP {exc.code}: {err.get('message') or exc.reason}") from None
            except (urllib.error.URLError, ConnectionError) as exc:
                if isinstance(getattr(exc, "reason", None), TimeoutError):
                    raise ChatTimeout(f"no answer from the model within {timeout or self.timeout:.0f}s") from None
                if attempt < self.retries:
                    self._sleep(delay)
                    delay *= 2
                    continue
                raise ChatError(f"cannot reach the model gateway at {self.base_url}: {exc}") from None
        raise AssertionError("unreachable")

    def chat(
        self, messages: list[dict[str, Any]], *, role: str = "code", timeout: float | None = None, **params: Any
    ) -> ChatReply:
        payload = {"model": role, "messages": messages, **{k: v for k, v in params.items() if v is not None}}
        data = self._request("POST", "/chat/completions", payload, timeout=timeout)
        choices = data.get("choices") or [{}]
        content = (choices[0].get("message") or {}).get("content") or ""
        usage = data.get("usage") or {}
        return ChatReply(
            content=content,
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            raw=data,
        )

    def start_step(self, n: int) -> None:
        self._request("POST", "/medalist/step", {"step": n})

    def report_stop(self, reason: str, message: str = "") -> None:
        """Record why the agent stopped (kept in run.json's usage unless a budget stopped it first)."""
        try:
            self._request("POST", "/medalist/stop", {"reason": reason, "message": message}, timeout=30)
        except (ChatError, BudgetStop):
            pass

    def usage(self) -> dict[str, Any]:
        return self._request("GET", "/medalist/usage")


def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        data = json.loads(exc.read() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class ScriptedChatModel:
    """Answers from a fixed script (for tests of agent logic): strings, or callables of the messages.

    ``max_steps`` imitates the gateway's step budget.
    """

    def __init__(
        self, answers: Iterable[str | Callable[[list[dict[str, Any]]], str]], *, max_steps: int | None = None
    ) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []
        self.steps = 0
        self.max_steps = max_steps

    def chat(
        self, messages: list[dict[str, Any]], *, role: str = "code", timeout: float | None = None, **params: Any
    ) -> ChatReply:
        if not self.answers:
            raise BudgetStop("script_exhausted", "the scripted model has no answers left")
        answer = self.answers.pop(0)
        text = answer(messages) if callable(answer) else answer
        self.calls.append({"role": role, "messages": messages, "params": params, "answer": text})
        return ChatReply(
            content=text,
            input_tokens=sum(len(str(m.get("content", ""))) // 4 for m in messages),
            output_tokens=len(text) // 4,
        )

    def start_step(self, n: int) -> None:
        if self.max_steps is not None and n > self.max_steps:
            raise BudgetStop("max_steps", f"step budget reached: {n - 1} of {self.max_steps} steps")
        self.steps = n
