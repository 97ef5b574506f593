"""The research agent's loop (our implementation of an MLAgentBench-style interactive agent).

Each step: the model sees the task, the data and environment facts, the actions, the research
discipline, a ``[status]`` line (time and steps left) and the history (the last ``history_steps``
steps in full, with the head and tail of their observations; earlier ones in one line each), and
answers in a fixed format (Reflection / Research Plan and Status / Fact Check / Thought / Action /
Action Input). A reply that does not follow the format is re-asked (``max_retries`` times) within
the step. The action runs in the workspace; the step goes to ``trace.json`` with its timestamps, and
files it changed are copied to ``snapshots/step_N``. Final Answer is refused (twice at most) while
there is no valid submission. A trace left by an interrupted attempt is continued.
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medalist.inside.facts import status_line
from medalist.inside.llm_client import BudgetStop, ChatError, ChatModel, ChatReply
from medalist.inside.research.actions import ACTION_NAMES, ACTIONS, ActionError, Workspace
from medalist.inside.research.options import ResearchOptions
from medalist.inside.research.parser import ParsedAction, ParseError, parse_response
from medalist.inside.research.trace import Trace, TraceStep
from medalist.inside.steps import StepLimits, StepLoop
from medalist.inside.toolkit import excerpt, now_iso

log = logging.getLogger("medalist.research")
SNAPSHOT_MAX_BYTES = 5 * 1024 * 1024
MAX_FINAL_REFUSALS = 2


@dataclass
class ResearchSettings(StepLimits):
    """The run's limits (from the contract) and the agent's options."""

    max_steps: int = 30
    options: ResearchOptions = field(default_factory=ResearchOptions)


@dataclass
class ResearchPaths:
    work: Path
    data: Path
    logs: Path
    submission: Path


@dataclass
class ResearchContext:
    """What the prompt states besides the task: data preview and environment."""

    preview: str = ""
    environment: str = ""


class DeadlineChat:
    """Wraps a :class:`ChatModel` so no call outlives the run's deadline."""

    def __init__(self, inner: ChatModel, left: Callable[[], float]) -> None:
        self.inner, self.left = inner, left

    def chat(
        self, messages: list[dict[str, Any]], *, role: str = "code", timeout: float | None = None, **params: Any
    ) -> ChatReply:
        left = self.left()
        if left < 5:
            raise BudgetStop("time_limit", "no time left for another model call")
        bound = None if math.isinf(left) else left
        return self.inner.chat(messages, role=role, timeout=bound if timeout is None else min(timeout, left), **params)

    def start_step(self, n: int) -> None:
        self.inner.start_step(n)


def _format_actions() -> str:
    lines = []
    for a in ACTIONS:
        args = ", ".join(f'"{k}": {v}' for k, v in a.arguments.items())
        lines.append(f"- {a.name}: {a.description} Input: {{{args}}}")
    return "\n".join(lines)


DISCIPLINE = """\
- Start with a high-level plan built from the problem and the actions, kept in Research Plan and Status;
  revise it when you learn something.
- Research Plan and Status holds 1) the high-level plan, 2) which steps are done and which are in
  progress, 3) the short result of each finished step. Only what earlier observations confirmed goes there.
- A number (a score, a size) is confirmed only when an observation showed it: run the code and look.
- Measure a baseline first, then improve it one change at a time, comparing each change with the last.
- Go for the goal directly; spend steps on what moves the score. Do not try to install packages.
- Write the submission with a script you execute. Final Answer ends the run: use it once, when the
  submission is written and valid."""

RESPONSE_FORMAT = """\
Always answer in exactly this format:
Reflection: what the last observation means; if it shows an error, its cause and how to fix it
Research Plan and Status: the full plan with the status and confirmed results of each step; mark what
changed with **double asterisks**; copy it unchanged if nothing changed
Fact Check: each statement of that update, and whether an observation confirmed it or it is a guess
Thought: what to do now, and why
Action: one action name from the list
Action Input: one JSON object with the action's arguments (valid JSON: double quotes, newlines as \\n)"""


class ResearchLoop(StepLoop):
    def __init__(
        self,
        model: ChatModel,
        task: str,
        paths: ResearchPaths,
        settings: ResearchSettings,
        *,
        task_id: str = "",
        clock: Callable[[], float] = time.monotonic,
        context: ResearchContext | None = None,
        python: str | None = None,
        validate: Callable[[Path], tuple[bool | None, str]] | None = None,
        trace: Trace | None = None,
        started: float | None = None,
    ) -> None:
        self.s, self.o, self.paths, self.task = settings, settings.options, paths, task
        self.context = context or ResearchContext()
        self.validate = validate
        self.model = DeadlineChat(model, lambda: self.remaining() - self.s.time_margin)
        self.trace = (
            trace
            if trace is not None and trace.steps
            else Trace(task_id=task_id, started_at=now_iso(), actions=ACTION_NAMES)
        )
        if trace is not None and trace.steps:
            self.trace.attempts += 1
        self.trace.settings = {
            **self.o.model_dump(),
            "max_steps": settings.max_steps,
            "time_limit": settings.time_limit,
        }
        self._start_clock(clock, started, self.trace.elapsed_secs)
        self.ws = Workspace(
            root=paths.work,
            data=paths.data,
            model=self.model,
            exec_timeout=lambda: min(self.o.exec_timeout, max(5.0, self.remaining() - self.s.time_margin)),
            history=self.history,
            python=python,
            output_chars=self.o.output_chars,
            chunk_chars=self.o.understand_chunk_chars,
            max_chunks=self.o.understand_max_chunks,
            temperature=self.o.feedback_temperature,
        )
        self.trace_path = paths.logs / "trace.json"
        paths.submission.mkdir(parents=True, exist_ok=True)
        self._final_refusals = sum(1 for t in self.trace.steps if t.action == "Final Answer" and t.error)

    # -- prompt ------------------------------------------------------------------------------------
    def history(self) -> str:
        steps = self.trace.steps
        k = self.o.history_steps
        old, recent = steps[:-k], steps[-k:]
        lines = []
        for t in old:
            obs = " ".join((t.error or t.observation).split())
            brief = obs if len(obs) <= 240 else f"{obs[:90]} ... {obs[-140:]}"
            lines.append(f"Step {t.step}: {t.action or '(no action)'} {t.action_input if t.action else ''} -> {brief}")
        for t in recent:
            lines.append(
                f"Step {t.step}:\n{excerpt(t.response, 4000)}\nObservation:\n```\n"
                f"{excerpt(t.observation, self.o.observation_chars)}\n```"
            )
        return "\n".join(lines) or "(no steps yet)"

    def prompt(self, step: int) -> list[dict[str, str]]:
        facts = ""
        if self.context.preview:
            facts += f"# Data (in data/)\n{self.context.preview}\n\n"
        if self.context.environment:
            facts += f"# Environment\n{self.context.environment}\n\n"
        left = None if math.isinf(self.remaining()) else self.remaining()
        exec_limit = min(self.o.exec_timeout, max(5.0, self.remaining() - self.s.time_margin))
        user = (
            f"# Research problem\n{self.task}\n\n{facts}"
            f"# Workspace\nYour files are in the current folder; the competition data is in `data/` (read-only). "
            f"Scripts you run must write the submission to `{self.paths.submission / 'submission.csv'}`.\n\n"
            f"# Actions\n{_format_actions()}\n\n# Instructions\n{DISCIPLINE}\n\n{RESPONSE_FORMAT}\n\n"
            f"# History\n{self.history()}\n\n# Status\n"
            f"{status_line(left, self.s.time_limit, step, self.s.max_steps, exec_limit)}\n"
        )
        return [
            {"role": "system", "content": "You are a careful machine-learning research assistant."},
            {"role": "user", "content": user},
        ]

    # -- steps -------------------------------------------------------------------------------------
    def _fingerprint(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for p in self.paths.work.rglob("*"):
            if p.is_file() and not p.is_symlink() and "data" not in p.relative_to(self.paths.work).parts[:1]:
                st = p.stat()
                out[str(p.relative_to(self.paths.work))] = f"{st.st_size}:{st.st_mtime_ns}"
        sub = self.paths.submission / "submission.csv"
        if sub.is_file():
            out["<submission>/submission.csv"] = hashlib.md5(sub.read_bytes()).hexdigest()
        return out

    def _snapshot(self, rec: TraceStep, before: dict[str, str]) -> None:
        after = self._fingerprint()
        changed = sorted(k for k, v in after.items() if before.get(k) != v)
        rec.changed_files = changed
        if not changed:
            return
        dest = self.paths.logs / "snapshots" / f"step_{rec.step}"
        for name in changed:
            src = (
                (self.paths.submission / "submission.csv")
                if name.startswith("<submission>")
                else self.paths.work / name
            )
            if src.is_file() and src.stat().st_size <= SNAPSHOT_MAX_BYTES:
                target = dest / name.replace("<submission>", "submission")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target)
        rec.snapshot = str(dest.relative_to(self.paths.logs))

    def _ask(self, rec: TraceStep, n: int) -> ParsedAction | None:
        """The model's next action, re-asking (bounded) while the reply does not follow the format."""
        messages = self.prompt(n)
        for attempt in range(self.o.max_retries + 1):
            reply = self.model.chat(
                messages, role="code", max_tokens=self.s.max_output_tokens, temperature=self.o.temperature
            )
            rec.response = reply.content
            try:
                return parse_response(reply.content, ACTION_NAMES)
            except ParseError as exc:
                rec.parse_errors.append(str(exc))
                if attempt == self.o.max_retries:
                    rec.error = f"parse error: {exc}"
                    rec.observation = f"Your answer could not be parsed: {exc}.\n{RESPONSE_FORMAT}"
                    return None
                rec.retries += 1
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply.content},
                    {
                        "role": "user",
                        "content": f"Your answer could not be parsed: {exc}. Answer again, "
                        f"following the format exactly.\n{RESPONSE_FORMAT}",
                    },
                ]
        return None

    def step(self, n: int) -> TraceStep:
        rec = TraceStep(step=n, started_at=now_iso())
        before = self._fingerprint()
        try:
            parsed = self._ask(rec, n)
            self._model_answered(True)
        except ChatError as exc:
            self._model_answered(False)
            rec.error = f"model call failed: {exc}"
            rec.observation = rec.error
            return self._finish(rec, before)
        if parsed is None:
            return self._finish(rec, before)
        rec.reflection = parsed.sections.get("Reflection", "")[:2000]
        rec.plan = parsed.sections.get("Research Plan and Status", "")[:3000]
        rec.thought = parsed.sections.get("Thought", "")[:2000]
        rec.action, rec.action_input = parsed.action, parsed.action_input
        if parsed.action == "Final Answer":
            self._final_answer(rec, parsed)
            return self._finish(rec, before)
        try:
            rec.observation = self.ws.run(parsed.action, parsed.action_input)
        except ActionError as exc:
            rec.error = str(exc)
            rec.observation = f"Action failed: {exc}"
        except ChatError as exc:
            rec.error = f"the action's model call failed: {exc}"
            rec.observation = rec.error
        return self._finish(rec, before)

    def _submission_problem(self) -> str | None:
        """Why there is no valid submission yet (None: there is one)."""
        self._collect_submission()
        target = self.paths.submission / "submission.csv"
        if not target.is_file():
            return f"there is no submission at {target}"
        if self.validate is not None:
            ok, message = self.validate(target)
            if ok is False:
                return f"{target} is invalid: {message}"
        return None

    def _final_answer(self, rec: TraceStep, parsed: ParsedAction) -> None:
        answer = str(parsed.action_input.get("final_answer", "")) or "(no summary)"
        problem = self._submission_problem() if self.o.final_answer_needs_submission else None
        if problem is not None and self._final_refusals < MAX_FINAL_REFUSALS:
            self._final_refusals += 1
            rec.error = f"final answer refused: {problem}"
            rec.observation = (
                f"Final Answer refused: {problem}. Write the submission with a script and execute "
                "it, then answer again."
            )
            return
        rec.observation = answer if problem is None else f"{answer}\n(accepted without a valid submission: {problem})"
        self.trace.final_answer = rec.observation

    def _finish(self, rec: TraceStep, before: dict[str, str]) -> TraceStep:
        self._snapshot(rec, before)
        rec.ended_at = now_iso()
        self.trace.steps.append(rec)
        self._save()
        return rec

    def _save(self) -> None:
        self.trace.elapsed_secs = round(self.elapsed(), 3)
        self.trace.save(self.trace_path)

    def run(self) -> Trace:
        if self.trace.final_answer is not None:  # a resumed run that had already answered
            stop = "final_answer"
        else:
            stop = self.run_steps(len(self.trace.steps) + 1, self.model.start_step, self._step, log)
        self._collect_submission()
        self.trace.stop_reason = stop
        self.trace.ended_at = now_iso()
        self._save()
        return self.trace

    def _step(self, n: int) -> str | None:
        rec = self.step(n)
        log.info("step %d: %s -> %s", n, rec.action, (rec.error or "ok")[:100])
        return "final_answer" if self.trace.final_answer is not None else None

    def _collect_submission(self) -> None:
        """A submission.csv left in the workspace counts if none was written to the submission folder."""
        target = self.paths.submission / "submission.csv"
        local = self.paths.work / "submission.csv"
        if not target.exists() and local.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, target)
