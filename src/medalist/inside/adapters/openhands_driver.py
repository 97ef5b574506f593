"""Inside the sandbox, with OpenHands' own Python (3.13, ``.venv-openhands``): run OpenHands' CodeActAgent
(the ``openhands-sdk`` Agent with its terminal, file editor and task tracker tools, as OpenHands' CLI
builds it) on the contract's instructions, in a local workspace (no Docker: commands run in the sandbox).

- Model calls go to the harness gateway (``OPENAI_BASE_URL``, a per-run token as the key) under the
  gateway's role alias ``code``; every agent iteration is reported as a step, and the reason the agent
  stopped is reported at the end.
- ``STEP_LIMIT`` caps the iterations (OpenHands' ``max_iteration_per_run``); at ``--deadline`` (the time
  limit less a margin) the conversation is paused and the process exits, so the submission on disk is graded.
- The trajectory: OpenHands' own event store under ``/home/logs/openhands/`` and, rewritten after every
  event, ``/home/logs/trace.json`` (one entry per tool call: action, thought, input, output), which the
  HTML report shows.

Imports only the standard library and ``openhands`` (this file runs in OpenHands' venv, not the harness's).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CLIP = 20_000  # characters kept per field of trace.json


class Gateway:
    """The two medalist calls of the harness gateway this driver makes (steps, stop reason)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url.rstrip("/"), token

    def post(self, path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"{}")
            except ValueError:
                return exc.code, {}
        except (OSError, ValueError) as exc:
            return 0, {"error": {"message": str(exc)}}

    def step(self, n: int) -> str | None:
        """Report step ``n``; the budget's message when the gateway refuses it (a budget is used up)."""
        status, body = self.post("/medalist/step", {"step": n})
        if status == 402:
            return str((body.get("error") or {}).get("message") or "budget used up")
        return None

    def stop(self, reason: str, message: str = "") -> None:
        self.post("/medalist/stop", {"reason": reason, "message": message[:500]})


def _text(value: Any) -> str:
    """Text of an SDK content value (a string, TextContent items, or anything with ``text``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "\n".join(t for t in (_text(v) for v in value) if t)
    text = getattr(value, "text", None)
    return text if isinstance(text, str) else str(value)


def _shown(args: dict[str, Any]) -> str:
    """A tool call's arguments for people: a shell command as is; otherwise ``command path`` and each
    other argument (multi-line text such as a file's content below its name)."""
    args = {k: v for k, v in args.items() if k != "kind"}
    if isinstance(args.get("command"), str) and set(args) <= {"command", "is_input", "timeout", "reset"}:
        return str(args["command"])
    head = " ".join(str(args.pop(k)) for k in ("command", "path") if k in args)
    rest = [f"{k}:\n{v}" if isinstance(v, str) and "\n" in v else f"{k}: {json.dumps(v)}" for k, v in args.items()]
    return "\n".join([head, *rest] if head else rest)


def _clip(text: str) -> str:
    return text if len(text) <= CLIP else text[:CLIP] + f"\n... ({len(text) - CLIP:,} more characters)"


class Trajectory:
    """Turns OpenHands events into trace.json steps (written atomically after each event) and reports
    each new agent iteration (one model response) to the gateway as a step."""

    def __init__(self, path: Path, gateway: Gateway | None, on_budget: Any) -> None:
        self.path, self.gateway, self.on_budget = path, gateway, on_budget
        self.steps: list[dict[str, Any]] = []
        self.by_call: dict[str, dict[str, Any]] = {}
        self.responses: set[str] = set()
        self.notes: list[str] = []
        self.lock = threading.Lock()

    def _iteration(self, response_id: str | None) -> int:
        if response_id and response_id not in self.responses:
            self.responses.add(response_id)
            if self.gateway is not None:
                refused = self.gateway.step(len(self.responses))
                if refused:
                    self.on_budget(refused)
        return len(self.responses)

    def __call__(self, event: Any) -> None:
        kind = type(event).__name__
        with self.lock:
            if kind == "ActionEvent":
                action = getattr(event, "action", None)
                args = action.model_dump(exclude_none=True, mode="json") if action is not None else {}
                entry = {
                    "step": self._iteration(getattr(event, "llm_response_id", None)),
                    "action": event.tool_name,
                    "thought": _clip("\n".join(t for t in (_text(event.thought), _text(event.reasoning_content)) if t)),
                    "input": _clip(_shown(args)),
                    "output": "",
                }
                self.by_call[event.tool_call_id] = entry
                self.steps.append(entry)
            elif kind in ("ObservationEvent", "AgentErrorEvent", "UserRejectObservation"):
                out = (
                    _text(event.error)
                    if kind == "AgentErrorEvent"
                    else (
                        _text(event.observation.to_llm_content)
                        if kind == "ObservationEvent"
                        else _text(event.rejection_reason)
                    )
                )
                called = self.by_call.get(event.tool_call_id)
                if called is None:
                    called = {
                        "step": len(self.responses),
                        "action": event.tool_name,
                        "thought": "",
                        "input": "",
                        "output": "",
                    }
                    self.steps.append(called)
                called["output"] = _clip(("error: " if kind == "AgentErrorEvent" else "") + out)
            elif kind == "MessageEvent" and getattr(event, "source", "") == "agent":
                self.steps.append(
                    {
                        "step": self._iteration(getattr(event, "llm_response_id", None)),
                        "action": "message",
                        "thought": "",
                        "input": "",
                        "output": _clip(_text(event.llm_message.content)),
                    }
                )
            elif kind == "ConversationErrorEvent":
                self.notes.append(f"{event.code}: {event.detail}")
            else:
                return
            self.save()

    def save(self, **extra: Any) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(
            json.dumps(
                {
                    "agent": "openhands",
                    "iterations": len(self.responses),
                    "steps": self.steps,
                    "notes": self.notes,
                    **extra,
                },
                indent=1,
            ),
            encoding="utf-8",
        )
        os.replace(tmp, self.path)


def build_agent(model: str, base_url: str, api_key: str, native_tool_calling: bool, timeout: int, terminal: str) -> Any:
    """OpenHands' default CodeActAgent (CLI mode: no browser) on the gateway's model alias, its terminal
    tool on the given backend (``subprocess``: one bash on a pty; ``tmux``: OpenHands' pane pool)."""
    from openhands.sdk import LLM, Tool
    from openhands.tools.preset.default import get_default_agent

    llm = LLM(
        model=f"openai/{model}",
        base_url=base_url,
        api_key=api_key,
        usage_id="agent",
        api_mode="chat",
        native_tool_calling=native_tool_calling,
        stream=False,
        timeout=timeout,
        # Plain-string message content: every OpenAI-compatible server takes it (llama.cpp's rejects
        # content lists), and behind the gateway's alias OpenHands enables no caching or vision anyway.
        force_string_serializer=True,
        # The gateway already retries its provider; a refused budget (HTTP 402) must not be retried.
        num_retries=1,
        retry_min_wait=1,
        retry_max_wait=4,
    )
    agent = get_default_agent(llm, cli_mode=True)
    tools = [
        Tool(name=t.name, params={**t.params, "terminal_type": terminal}) if t.name == "terminal" else t
        for t in agent.tools
    ]
    return agent.model_copy(update={"tools": tools})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="run OpenHands' CodeActAgent inside the sandbox")
    p.add_argument("--workspace", type=Path, required=True)
    p.add_argument("--logs", type=Path, required=True)
    p.add_argument("--instructions", type=Path, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--deadline", type=float, required=True, help="epoch seconds: the conversation is paused then")
    p.add_argument("--model", default="code")
    p.add_argument("--native-tool-calling", choices=("true", "false"), default="true")
    p.add_argument("--llm-timeout", type=int, default=600)
    p.add_argument("--terminal", choices=("subprocess", "tmux"), default="subprocess")
    args = p.parse_args(argv)
    start = time.monotonic()
    base_url, token = os.environ.get("OPENAI_BASE_URL"), os.environ.get("OPENAI_API_KEY", "")
    if not base_url:
        print("medalist: OPENAI_BASE_URL is not set (no model gateway)", file=sys.stderr)
        return 2
    store = args.logs / "openhands"
    store.mkdir(parents=True, exist_ok=True)
    task = args.instructions.read_text(encoding="utf-8")

    from openhands.sdk import Conversation

    gateway = Gateway(base_url, token)
    stopped: dict[str, str] = {}
    conversation: Any = None

    def budget_used(message: str) -> None:
        stopped.setdefault("budget", message)
        if conversation is not None:
            threading.Thread(target=conversation.pause, daemon=True).start()

    trajectory = Trajectory(args.logs / "trace.json", gateway, budget_used)
    agent = build_agent(
        args.model, base_url, token, args.native_tool_calling == "true", args.llm_timeout, args.terminal
    )
    conversation = Conversation(
        agent=agent,
        workspace=str(args.workspace),
        persistence_dir=str(store),
        callbacks=[trajectory],
        max_iteration_per_run=max(1, args.steps),
        delete_on_close=False,
    )
    conversation.send_message(task)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            conversation.run()
        except BaseException as exc:
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=max(1.0, args.deadline - time.time()))
    if runner.is_alive():
        stopped.setdefault("time", f"time limit: paused after {time.monotonic() - start:.0f}s")
        threading.Thread(target=conversation.pause, daemon=True).start()
        runner.join(timeout=5.0)
    status = str(getattr(conversation.state.execution_status, "value", conversation.state.execution_status))
    if "budget" in stopped:
        reason, message = "budget", stopped["budget"]
    elif "time" in stopped:
        reason, message = "time_limit", stopped["time"]
    elif errors:
        text = str(errors[0]).splitlines()[0][:300] if str(errors[0]) else ""
        # A model call the gateway refused (HTTP 402 budget_exceeded) ends the run like a used-up step budget.
        reason = "budget" if "budget_exceeded" in str(errors[0]) else "error"
        message = f"{type(errors[0]).__name__}: {text}"
    elif status == "finished":
        last = trajectory.steps[-1]["action"] if trajectory.steps else ""
        reason, message = (
            "finished",
            ("the agent called finish" if last == "finish" else "the agent answered without a tool call"),
        )
    elif any("MaxIterationsReached" in n for n in trajectory.notes):
        reason, message = "max_steps", f"OpenHands' iteration limit ({args.steps}) reached"
    else:
        reason, message = status, f"conversation ended with status {status}"
    with trajectory.lock:
        trajectory.save(
            stop_reason=reason, stop_message=message, status=status, seconds=round(time.monotonic() - start, 1)
        )
    gateway.stop(reason, message)
    print(f"medalist: OpenHands stopped ({reason}): {message}", flush=True)
    if runner.is_alive():  # a tool call still running at the time limit: leave, the sandbox ends the rest
        os._exit(0)
    try:
        conversation.close()
    except Exception as exc:
        print(f"medalist: closing the conversation: {exc}", file=sys.stderr)
    return 1 if reason == "error" and not trajectory.steps else 0


if __name__ == "__main__":
    sys.exit(main())
