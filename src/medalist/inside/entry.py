"""What the in-sandbox entry points of the LLM agents (aide, research) share: arguments from the agent
contract, the gateway client, the instructions and task facts, the solution python, resuming from a
previous attempt's log, and how the program ends (exit 1 when the model could not be reached, so such
a run is ``failed`` rather than ``completed``). Standard library and pydantic only.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from medalist.inside.llm_client import ChatError, GatewayClient
from medalist.inside.toolkit import contract_path, publish_margin, task_info

STARTED = time.monotonic()
"""When the agent program started: its time limit counts from here, not from when its search starts."""
MODEL_FAILURES = frozenset({"model_error", "model_errors"})
"""Stop reasons that mean the model service failed (the run exits 1)."""
SOLUTION_PYTHON_ENV = "MEDALIST_SOLUTION_PYTHON"
SOLUTION_NOTE_ENV = "MEDALIST_SOLUTION_NOTE"
log = logging.getLogger("medalist.agent")
M = TypeVar("M", bound=BaseModel)


def parse_entry_args(name: str, argv: list[str] | None, default_steps: int) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(description=f"{name} agent (runs inside the sandbox)")
    p.add_argument("--options-json", default="{}", help="The agent's options (validated on the host).")
    p.add_argument("--steps", type=int, default=int(env.get("STEP_LIMIT") or default_steps))
    p.add_argument("--time-limit", type=float, default=float(env.get("TIME_LIMIT_SECS") or 0) or None)
    p.add_argument("--seed", type=int, default=int(env.get("MEDALIST_SEED") or 0))
    p.add_argument("--max-output-tokens", type=int, default=None)
    return p.parse_args(argv)


@dataclass
class AgentRun:
    """One agent program's run: its client, task facts and solution python."""

    name: str
    client: GatewayClient | None
    margin: float
    instructions: str
    info: dict[str, Any] = field(default_factory=dict)
    python: str = sys.executable
    note: str = ""

    @property
    def task_id(self) -> str:
        return str(self.info.get("id") or os.environ.get("COMPETITION_ID") or "")

    @classmethod
    def start(cls, name: str, args: argparse.Namespace) -> AgentRun:
        try:
            client: GatewayClient | None = GatewayClient()
        except ChatError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            client = None
        path = contract_path("instructions")
        text = path.read_text(encoding="utf-8") if path.is_file() else "(no instructions found)"
        return cls(
            name=name,
            client=client,
            margin=publish_margin(args.time_limit),
            instructions=text,
            info=task_info(),
            python=os.environ.get(SOLUTION_PYTHON_ENV) or sys.executable,
            note=os.environ.get(SOLUTION_NOTE_ENV, ""),
        )

    def load_previous(self, path: Path, model: type[M]) -> M | None:
        """The log an interrupted attempt left (None if there is none or it is unreadable)."""
        if not path.is_file():
            return None
        try:
            loaded = model.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("cannot resume from %s (%s): starting afresh", path, str(exc).splitlines()[0][:200])
            return None
        log.info("resuming from %s", path)
        return loaded

    def limits(self, args: argparse.Namespace) -> dict[str, Any]:
        """The step loop's limits (``StepLimits`` fields) from the contract's arguments."""
        return {
            "max_steps": args.steps,
            "time_limit": args.time_limit,
            "time_margin": self.margin,
            "max_output_tokens": args.max_output_tokens,
        }

    def finish(self, stop_reason: str | None, summary: str, errors: Iterable[str | None] = ()) -> int:
        """Report the stop to the gateway and print it; exit status 1 when the model service failed (the
        newest of ``errors``, oldest first, is named then)."""
        assert self.client is not None
        reason = stop_reason or "done"
        failed = reason in MODEL_FAILURES
        last_error = next((e for e in reversed(list(errors)) if e), None) if failed else None
        if last_error:
            summary += f"; last error: {last_error}"
        self.client.report_stop(reason, summary)
        print(f"{self.name}: stop: {reason}; {summary}")
        if failed:
            print(
                f"{self.name}: the model could not be reached ({reason}); see llm_usage.json notes",
                file=sys.stderr,
            )
            return 1
        return 0


def start_agent(name: str, argv: list[str] | None, default_steps: int) -> tuple[argparse.Namespace, AgentRun] | None:
    """Log setup, the contract's arguments and the run (None when the gateway client cannot start: the
    program then exits 2)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    args = parse_entry_args(name, argv, default_steps=default_steps)
    run = AgentRun.start(name, args)
    return None if run.client is None else (args, run)
