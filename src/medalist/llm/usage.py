"""Token, cost and step accounting for one run, with budget checks.

A :class:`UsageMeter` is shared by every model call of a run (the gateway and in-process callers);
it is thread-safe and writes its :class:`UsageSummary` to a JSON file after every change, so the
runner can copy it into ``run.json`` even if the run is killed.

Enforcement is the host's alone: a step is one model call (an agent may report its own step numbers,
kept as ``agent_steps``, but cannot change the count), and every call :meth:`UsageMeter.reserve`\ s its
worst case (estimated input + its max output tokens, and their price) before it is forwarded, so
concurrent calls cannot overshoot a budget by more than one call.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from medalist.llm.config import Budget

USAGE_JSON = "llm_usage.json"


class BudgetExceeded(Exception):
    """A budget limit was reached; ``reason`` is a short machine-readable string."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class GatewayBusy(Exception):
    """A call waited too long for budget that concurrent calls had reserved (retry later)."""


@dataclass(eq=False)
class Reservation:
    """What one in-flight call may still use: released when the call ends (its real usage recorded)."""

    tokens: int
    cost_usd: float | None
    max_output: int | None = None
    """The call's output cap: its own, clamped to what the token budget had left when it was admitted."""


class ModelUsage(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    errors: int = 0
    unpriced_calls: int = 0


class UsageSummary(BaseModel):
    """Usage of one run; the first four fields match the runner's ``Usage`` slot in run.json."""

    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    errors: int = 0
    unpriced_calls: int = Field(
        default=0, description="Calls to a model with no known price: cost_usd leaves them out."
    )
    cache_hits: int = Field(default=0, description="Calls answered from the response cache (no upstream call).")
    cost_saved_usd: float = Field(default=0.0, description="Recorded price of the cached answers (not spent again).")
    resumed: int = Field(default=0, description="Times this run's usage was carried over into a resumed attempt.")
    agent_steps: int | None = Field(
        default=None, description="Steps the agent reported (informational; steps count calls; None: it reports none)."
    )
    per_model: dict[str, ModelUsage] = Field(default_factory=dict)
    budget: Budget = Field(default_factory=Budget)
    stop_reason: str | None = Field(default=None, description="Budget that stopped the agent, if any.")
    stop_message: str | None = None
    wall_secs: float = 0.0
    notes: list[str] = Field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def as_run_usage(self) -> dict:
        """Fields for run.json's ``usage`` (the runner's model allows extras). With calls to an unpriced
        model the total is unknown: ``cost_usd`` is null and ``cost_usd_priced`` sums the priced calls."""
        data = self.model_dump(mode="json")
        if self.unpriced_calls:
            data["cost_usd_priced"], data["cost_usd"] = data["cost_usd"], None
        return data


class UsageMeter:
    """Counts calls, tokens, cost and steps against a :class:`Budget`."""

    def __init__(
        self,
        budget: Budget | None = None,
        path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
        previous: UsageSummary | None = None,
    ) -> None:
        """``previous``: what an interrupted attempt of the same run used; it counts against the budget."""
        self.budget = budget or Budget()
        self.path = path
        self._clock = clock
        self._start = clock()
        self._lock = threading.Lock()
        self._s = UsageSummary(budget=self.budget)
        self._stop_by_agent = False
        self._changed = threading.Condition(self._lock)
        self._in_flight: list[Reservation] = []
        if previous is not None:
            self._s = previous.model_copy(
                update={
                    "budget": self.budget,
                    "stop_reason": None,
                    "stop_message": None,
                    "resumed": previous.resumed + 1,
                }
            )
            self._start -= previous.wall_secs
        self._save()

    # -- reading -----------------------------------------------------------------------------------
    def summary(self) -> UsageSummary:
        with self._lock:
            self._s.wall_secs = round(self._clock() - self._start, 3)
            return self._s.model_copy(deep=True)

    @property
    def steps(self) -> int:
        with self._lock:
            return self._s.steps

    # -- budget ------------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`BudgetExceeded` if any limit is reached (and record it as the stop reason)."""
        with self._lock:
            self._raise_if_over()

    def _raise_if_over(self) -> None:
        problem = self._over_budget()
        if problem:
            self._stop(*problem)
            raise BudgetExceeded(*problem)

    def reserve(
        self,
        input_tokens: int,
        max_output: int | None = None,
        price: Callable[[int], float | None] | None = None,
        *,
        wait_secs: float = 600.0,
    ) -> Reservation:
        """Claim room for one call before it is forwarded: its estimated ``input_tokens`` plus its output
        cap (``max_output``, clamped to what the token budget has left), priced by ``price(output cap)``
        (None: unknown). Waits while concurrent calls hold the room it needs; raises
        :class:`BudgetExceeded` once the budget is used up, :class:`GatewayBusy` after ``wait_secs``. A
        call is always admitted when nothing else is in flight, so a run overshoots a budget by at most
        that one call."""
        deadline = self._clock() + wait_secs
        with self._lock:
            while True:
                self._raise_if_over()
                out = max_output
                if self.budget.max_tokens is not None:
                    held = sum(r.tokens for r in self._in_flight)
                    room = self.budget.max_tokens - self._s.total_tokens - held - input_tokens
                    out = max(1, room if out is None else min(out, room))
                tokens = input_tokens + (out or 0)
                cost = price(out) if price is not None and out else None
                if self._fits(tokens, cost):
                    res = Reservation(tokens=tokens, cost_usd=cost, max_output=out)
                    self._in_flight.append(res)
                    return res
                left = deadline - self._clock()
                if left <= 0:
                    raise GatewayBusy("budget held by concurrent calls; retry later")
                self._changed.wait(min(left, 1.0))

    def _fits(self, tokens: int, cost_usd: float | None) -> bool:
        b, s, busy = self.budget, self._s, self._in_flight
        if not busy:
            return True
        if b.max_steps is not None and s.calls + len(busy) >= b.max_steps:
            return False
        if b.max_tokens is not None and s.total_tokens + sum(r.tokens for r in busy) + tokens > b.max_tokens:
            return False
        if b.max_cost_usd is not None:
            if cost_usd is None or any(r.cost_usd is None for r in busy):
                return False  # unknown prices: one call at a time
            if s.cost_usd + sum(r.cost_usd or 0.0 for r in busy) + cost_usd > b.max_cost_usd:
                return False
        return True

    def release(self, res: Reservation) -> None:
        """The call is over (its usage, if any, already recorded): free its reservation."""
        with self._lock:
            if res in self._in_flight:
                self._in_flight.remove(res)
            self._changed.notify_all()

    def _over_budget(self) -> tuple[str, str] | None:
        b, s = self.budget, self._s
        if b.max_cost_usd is not None and s.cost_usd >= b.max_cost_usd:
            return "max_cost", f"cost budget reached: ${s.cost_usd:.4f} of ${b.max_cost_usd:.4f}"
        if b.max_tokens is not None and s.total_tokens >= b.max_tokens:
            return "max_tokens", f"token budget reached: {s.total_tokens} of {b.max_tokens} tokens"
        if b.max_steps is not None and s.steps >= b.max_steps:
            return "max_steps", f"step budget reached: {s.steps} of {b.max_steps} steps"
        elapsed = self._clock() - self._start
        if b.max_wall_secs is not None and elapsed >= b.max_wall_secs:
            return "max_wall_secs", f"wall-time budget reached: {elapsed:.0f}s of {b.max_wall_secs:.0f}s"
        return None

    def _stop(self, reason: str, message: str, *, by_agent: bool = False) -> None:
        """First reason wins, except that a budget stop replaces what the agent said of itself."""
        if self._s.stop_reason is None or (self._stop_by_agent and not by_agent):
            self._s.stop_reason, self._s.stop_message = reason, message
            self._stop_by_agent = by_agent
            self._save()

    def stop(self, reason: str, message: str, *, by_agent: bool = False) -> None:
        """Record why the agent stopped (first reason wins; a budget stop beats the agent's own)."""
        with self._lock:
            self._stop(reason, message, by_agent=by_agent)

    # -- recording ---------------------------------------------------------------------------------
    def record_call(
        self, model: str, input_tokens: int, output_tokens: int, cost_usd: float | None, note: str | None = None
    ) -> None:
        """Account one successful model call (``cost_usd=None``: unknown price, counted apart)."""
        with self._lock:
            s = self._s
            m = s.per_model.setdefault(model, ModelUsage())
            if cost_usd is None:
                m.unpriced_calls += 1
                s.unpriced_calls += 1
            m.calls += 1
            m.input_tokens += input_tokens
            m.output_tokens += output_tokens
            m.cost_usd += cost_usd or 0.0
            s.calls += 1
            s.input_tokens += input_tokens
            s.output_tokens += output_tokens
            s.cost_usd = round(s.cost_usd + (cost_usd or 0.0), 8)
            s.steps = s.calls
            if note and note not in s.notes:
                s.notes.append(note)
            problem = self._over_budget()
            if problem:  # the run records which budget this call used up, even if no later call asks
                self._stop(*problem)
            self._save()
            self._changed.notify_all()

    def note(self, text: str) -> None:
        """Add a note to the summary (at most 20, each cut to 300 characters)."""
        with self._lock:
            text = text[:300]
            if len(self._s.notes) < 20 and text not in self._s.notes:
                self._s.notes.append(text)
                self._save()

    def record_cache_hit(self, cost_usd: float | None) -> None:
        """The call just recorded was answered from the response cache."""
        with self._lock:
            self._s.cache_hits += 1
            self._s.cost_saved_usd = round(self._s.cost_saved_usd + (cost_usd or 0.0), 8)
            self._save()

    def record_error(self, model: str, message: str) -> None:
        with self._lock:
            self._s.per_model.setdefault(model, ModelUsage()).errors += 1
            self._s.errors += 1
            note = f"{model}: {message}"[:300]
            if len(self._s.notes) < 20 and note not in self._s.notes:
                self._s.notes.append(note)
            self._save()

    def record_step(self, n: int | None = None) -> int:
        """An agent says it starts a step (``n``: its own step number, else +1); returns the steps
        counted so far (model calls). The agent's numbers are kept as ``agent_steps`` only: they never
        change what the budget counts. Raises :class:`BudgetExceeded` if any budget is used up."""
        with self._lock:
            self._raise_if_over()
            s = self._s
            n = max(0, min(int(n), 1 << 30)) if n is not None else None
            s.agent_steps = max(s.agent_steps or 0, n) if n is not None else (s.agent_steps or 0) + 1
            self._save()
            return s.steps

    def _save(self) -> None:
        if self.path is None:
            return
        self._s.wall_secs = round(self._clock() - self._start, 3)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self._s.model_dump(mode="json"), indent=2), encoding="utf-8")
        os.replace(tmp, self.path)


def load_usage(path: Path) -> UsageSummary | None:
    """Read a usage file written by a meter (None if absent or unreadable)."""
    try:
        return UsageSummary.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_usage(run_dir: Path) -> dict | None:
    """What an LLM agent's run used (for run.json's ``usage``); None for runs without a model gateway."""
    summary = load_usage(Path(run_dir) / USAGE_JSON)
    return None if summary is None else summary.as_run_usage()
