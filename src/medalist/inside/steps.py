"""The step loop the in-sandbox LLM agents share (aide, research): their limits, the run's clock, and
when to stop. One place decides the stop reasons (``time_limit``, ``max_steps``, ``model_error``,
``model_errors`` or a gateway budget's reason), so both agents end runs, and report them, the same way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from medalist.inside.llm_client import BudgetStop, ChatError

START_MARGIN_SECS = 5.0
"""Besides the publish margin: no step starts with less time than this left."""


@dataclass
class StepLimits:
    """The run's limits (from the agent contract) that bound a step loop."""

    max_steps: int = 20
    time_limit: float | None = None
    time_margin: float = 30.0
    max_output_tokens: int | None = None
    max_model_errors: int = 3


class StepLoop:
    """Base of an agent's loop: the clock (a resumed attempt counts the time earlier attempts used) and
    the loop that runs steps until a limit, a budget or the model ends it."""

    s: StepLimits
    clock: Callable[[], float]
    start: float
    used_before: float
    _model_errors: int

    def _start_clock(self, clock: Callable[[], float], started: float | None, used_before: float) -> None:
        self.clock = clock
        self.start = clock() if started is None else started  # the program's start (setup counts too)
        self.used_before = used_before
        self._model_errors = 0

    def remaining(self) -> float:
        """Seconds left of the run's time limit (infinite without one)."""
        if self.s.time_limit is None:
            return math.inf
        return self.s.time_limit - self.elapsed()

    def elapsed(self) -> float:
        """Seconds this run has used, earlier attempts included."""
        return self.used_before + self.clock() - self.start

    def _model_answered(self, ok: bool) -> None:
        """Count consecutive failed model calls (reset by one that succeeds)."""
        self._model_errors = 0 if ok else self._model_errors + 1

    def run_steps(
        self,
        first: int,
        start_step: Callable[[int], None],
        step: Callable[[int], str | None],
        log: logging.Logger,
    ) -> str:
        """Run steps ``first`` .. ``max_steps`` and return why the loop stopped. ``step(n)`` returns a stop
        reason of its own (e.g. ``final_answer``) or None to go on; it may raise :class:`BudgetStop`."""
        for n in range(first, self.s.max_steps + 1):
            if self.remaining() < self.s.time_margin + START_MARGIN_SECS:
                return "time_limit"
            try:
                start_step(n)
                stop = step(n)
            except BudgetStop as exc:
                log.info("stopping: %s", exc)
                return exc.reason
            except ChatError as exc:
                log.warning("stopping after a model error: %s", exc)
                return "model_error"
            if stop is not None:
                return stop
            if self._model_errors >= self.s.max_model_errors:
                return "model_errors"
        return "max_steps"
