"""AIDE-style tree search (our implementation): draft, debug and improve candidate scripts.

Policy (as aideml's): write ``num_drafts`` drafts first; then at each step, with probability
``debug_prob``, debug a buggy leaf whose line of fixes is shallower than ``max_debug_depth``;
otherwise improve the best working node, or draft anew while no node works. A step asks the code
model for a plan and a script (re-asking, up to ``max_retries`` times, when the reply has no code),
runs the script with a timeout inside the time left, and asks the feedback model for a JSON review.
What the harness measured overrides the review: exit code, the printed ``VALIDATION_METRIC`` and
``validate_submission``. Scripts write the submission where the agent contract says; after each run
the file is moved into the node's folder and the best working node's submission is put back, so the
graded file is always the best one (or, while none works, the newest format-valid one). The journal is saved after every node; a journal left by an
interrupted attempt is continued (``medalist run --resume``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medalist.inside.aide import prompts
from medalist.inside.aide.journal import Journal, Node, Stage
from medalist.inside.aide.options import AideOptions
from medalist.inside.facts import status_line
from medalist.inside.llm_client import BudgetStop, ChatError, ChatModel, ChatTimeout
from medalist.inside.steps import StepLimits, StepLoop
from medalist.inside.toolkit import excerpt, extract_code, extract_json, now_iso, run_script, text_before_code

log = logging.getLogger("medalist.aide")
_METRIC_LINE = re.compile(r"VALIDATION_METRIC\s*[=:]\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
SUBMISSION = "submission.csv"


@dataclass
class AideSettings(StepLimits):
    """The run's limits (from the contract), the search's seed and the agent's options."""

    seed: int = 0
    options: AideOptions = field(default_factory=AideOptions)


@dataclass
class AidePaths:
    data: Path
    logs: Path
    code: Path
    submission: Path
    work: Path = field(default=Path())

    def __post_init__(self) -> None:
        if self.work == Path():
            self.work = self.logs / "aide" / "nodes"

    @property
    def published(self) -> Path:
        """The graded file (the agent contract's submission path)."""
        return self.submission / SUBMISSION


@dataclass
class TaskContext:
    description: str
    preview: str
    environment: str = ""
    metric_name: str = "the metric"
    lower_is_better: bool | None = None
    id_column: str = "id"
    targets: list[str] = field(default_factory=lambda: ["target"])
    task_id: str = ""
    sample_submission: str = "the sample submission"


def printed_metric(output: str) -> float | None:
    """The last ``VALIDATION_METRIC=<number>`` the script printed."""
    found = _METRIC_LINE.findall(output or "")
    if not found:
        return None
    value = float(found[-1])
    return value if math.isfinite(value) else None


def _as_float(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class AideSearch(StepLoop):
    """Runs the search loop against a :class:`ChatModel`; the journal is saved after every node."""

    def __init__(
        self,
        model: ChatModel,
        task: TaskContext,
        paths: AidePaths,
        settings: AideSettings,
        *,
        validate: Callable[[Path], tuple[bool | None, str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        python: str | None = None,
        journal: Journal | None = None,
        started: float | None = None,
    ) -> None:
        self.model = model
        self.task = task
        self.paths = paths
        self.s = settings
        self.o = settings.options
        self.validate = validate
        self.python = python
        self.journal_path = paths.logs / "journal.json"
        paths.submission.mkdir(parents=True, exist_ok=True)
        resumed = journal is not None and bool(journal.nodes)
        self.journal = (
            journal
            if journal is not None and resumed
            else Journal(
                task_id=task.task_id,
                metric_name=task.metric_name,
                lower_is_better=bool(task.lower_is_better),
                started_at=now_iso(),
            )
        )
        if resumed:
            self.journal.attempts += 1
        self.journal.settings = {
            **self.journal.settings,
            **self.o.model_dump(),
            "max_steps": settings.max_steps,
            "time_limit": settings.time_limit,
            "seed": settings.seed,
        }
        self._start_clock(clock, started, self.journal.elapsed_secs)
        # A resumed search draws from a stream of its own, so it does not replay the first attempt's choices.
        self.rng = random.Random(f"{settings.seed}:{len(self.journal.nodes)}")
        self.facts = prompts.PromptFacts(
            task=task.description,
            preview=task.preview if self.o.data_preview else "",
            environment=task.environment,
            data_dir=str(paths.data),
            submission_path=str(paths.published),
            sample_submission=task.sample_submission,
            metric_name=task.metric_name,
            lower_is_better=task.lower_is_better,
            columns=[task.id_column, *task.targets],
            k_fold=self.o.k_fold_validation,
        )
        self._pending_stop: BudgetStop | None = None

    # -- policy ------------------------------------------------------------------------------------
    def select(self) -> tuple[Stage, Node | None]:
        """aideml's policy: initial drafts; debug a buggy leaf with ``debug_prob``; improve the best node;
        draft anew while no node works."""
        j = self.journal
        if len(j.drafts) < self.o.num_drafts:
            return "draft", None
        if self.rng.random() < self.o.debug_prob:
            leaves = j.buggy_leaves(self.o.max_debug_depth)
            if leaves:
                return "debug", self.rng.choice(leaves)
        best = j.best()
        if best is None:
            return "draft", None
        return "improve", best

    def exec_limit(self) -> float:
        """Seconds the next script may run: the option, within the time left."""
        left = self.remaining() - self.s.time_margin
        return self.o.exec_timeout if math.isinf(left) else min(self.o.exec_timeout, max(5.0, left * 0.9))

    def status(self, step: int) -> str:
        left = None if math.isinf(self.remaining()) else self.remaining()
        return status_line(left, self.s.time_limit, step, self.s.max_steps, self.exec_limit())

    # -- model calls -------------------------------------------------------------------------------
    def _chat(self, messages: list[dict[str, str]], role: str, **params: Any) -> str:
        """One model call, bounded by the time left (the run must end before the harness kills it)."""
        left = self.remaining() - self.s.time_margin
        if left < 5:
            raise BudgetStop("time_limit", "no time left for another model call")
        reply = self.model.chat(messages, role=role, timeout=None if math.isinf(left) else left, **params)
        return reply.content

    def _code_answer(self, messages: list[dict[str, str]], node: Node) -> tuple[str, str | None]:
        """The code model's answer and its code, re-asking (bounded) while the answer has none."""
        answer = ""
        for attempt in range(self.o.max_retries + 1):
            answer = self._chat(messages, "code", max_tokens=self.s.max_output_tokens, temperature=self.o.temperature)
            code = extract_code(answer)
            if code is not None:
                return answer, code
            if attempt < self.o.max_retries:
                node.retries += 1
                messages = [
                    *messages,
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": prompts.NO_CODE},
                ]
        return answer, None

    # -- one step ----------------------------------------------------------------------------------
    def messages(self, stage: Stage, parent: Node | None, step: int) -> list[dict[str, str]]:
        status = self.status(step)
        if stage == "draft":
            return prompts.draft(self.facts, self.journal, status, self.o.memory_chars)
        assert parent is not None
        if stage == "improve":
            return prompts.improve(self.facts, self.journal, parent, status, self.o.memory_chars, self.o.output_chars)
        return prompts.debug(self.facts, parent, status, self.o.output_chars)

    def step(self, n: int) -> Node:
        stage, parent = self.select()
        node = Node(
            id=len(self.journal.nodes),
            step=n,
            parent_id=parent.id if parent else None,
            stage=stage,
            debug_depth=(parent.debug_depth + 1) if (parent and stage == "debug") else 0,
            started_at=now_iso(),
        )
        try:
            answer, code = self._code_answer(self.messages(stage, parent, n), node)
            self._model_answered(True)
        except ChatError as exc:
            self._model_answered(False)
            node.error = f"code model call failed: {exc}"
            node.findings = [node.error]
            return self._finish(node)
        node.plan = text_before_code(answer)[:4000]
        if code is None:
            node.error = f"no Python code block in the answer (after {node.retries} re-asks)"
            node.output = excerpt(answer, 2000)
            node.summary = node.error
            node.findings = [node.error]
            return self._finish(node)
        node.code = code
        self._execute(node)
        self._review(node)
        return self._finish(node)

    def _node_dir(self, node: Node) -> Path:
        return self.paths.work / f"node_{node.id:03d}"

    def _execute(self, node: Node) -> None:
        d = self._node_dir(node)
        d.mkdir(parents=True, exist_ok=True)
        script = d / "solution.py"
        script.write_text(node.code, encoding="utf-8")
        published = self.paths.published
        before = _digest(published)
        result = run_script(script, d, self.exec_limit(), python=self.python)
        node.exit_code, node.timed_out, node.exec_seconds = result.exit_code, result.timed_out, result.seconds
        node.printed_metric = printed_metric(result.output)
        node.output = excerpt(result.output, self.o.output_chars)
        local = d / SUBMISSION
        if published.is_file() and _digest(published) != before:  # written where the contract says
            shutil.move(str(published), local)
            node.submission_source = str(published)
        elif local.is_file():
            node.submission_source = "its working folder"
        self._republish()  # the graded file is the best node's again, whatever this script wrote
        node.has_submission = local.is_file() and local.stat().st_size > 0
        if node.has_submission and self.validate is not None:
            node.submission_valid, node.submission_check = self.validate(local)
        node.findings = self._findings(node)

    def _findings(self, node: Node) -> list[str]:
        """What the harness saw, stated as facts for the review and for a later debug prompt."""
        out: list[str] = []
        if node.timed_out:
            out.append(f"the script was killed at its time limit, after {node.exec_seconds or 0:.0f} s")
        elif node.exit_code != 0:
            out.append(f"the script exited with code {node.exit_code} (see the end of the output)")
        if not node.has_submission:
            out.append(f"no submission was written to {self.paths.published}")
        elif node.submission_valid is False:
            out.append(f"validate_submission rejected the submission: {node.submission_check[:500]}")
        if node.printed_metric is None:
            out.append("no line VALIDATION_METRIC=<number> was printed")
        return out

    def _review(self, node: Node) -> None:
        data: dict[str, Any] | None = None
        msgs = prompts.review(self.facts, node, self.o.output_chars)
        params: dict[str, Any] = {
            "max_tokens": self.o.review_max_tokens or self.s.max_output_tokens,
            "temperature": self.o.feedback_temperature,
        }
        json_mode = True
        try:
            for attempt in range(self.o.max_retries + 1):
                try:
                    extra = {"response_format": {"type": "json_object"}} if json_mode else {}
                    answer = self._chat(msgs, "feedback", **params, **extra)
                except ChatTimeout:
                    raise
                except ChatError:
                    if not json_mode:
                        raise
                    json_mode = False  # a server without JSON mode: ask again without it
                    continue
                node.review_raw = answer[:4000]
                data = extract_json(answer)
                if data is not None or attempt >= self.o.max_retries:
                    break
                json_mode = False
                msgs = [
                    *msgs,
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": prompts.REVIEW_AGAIN},
                ]
        except ChatError as exc:
            node.review_raw = f"(review failed: {exc})"
        except BudgetStop as exc:  # judge this node on the facts, then stop the search
            node.review_raw = node.review_raw or f"(no review: {exc})"
            self._pending_stop = exc
        node.review_parsed = data is not None
        data = data or {}
        model_bug = data.get("is_bug") if isinstance(data.get("is_bug"), bool) else None
        model_metric = _as_float(data.get("metric"))
        if isinstance(data.get("lower_is_better"), bool):
            node.lower_is_better = data["lower_is_better"]
            if self.task.lower_is_better is None and not self.journal.good_nodes:
                self.journal.lower_is_better = node.lower_is_better  # the task did not say; trust the review
        # The printed metric is a fact; the model's reading only fills in when nothing was printed.
        node.metric = node.printed_metric if node.printed_metric is not None else model_metric
        failed = node.timed_out or node.exit_code != 0
        no_sub = not node.has_submission or node.submission_valid is False
        node.is_bug = bool(failed or no_sub or node.metric is None or model_bug)
        summary = str(data.get("summary") or "").strip()
        if model_bug and not (failed or no_sub or node.metric is None):
            node.findings.append(f"the reviewer judged the run buggy: {summary[:300]}")
        node.summary = (summary or "; ".join(node.findings) or "ran, wrote a valid submission, printed a metric")[:1000]

    def _finish(self, node: Node) -> Node:
        node.ended_at = now_iso()
        self.journal.nodes.append(node)
        self._update_best()
        self._save()
        return node

    def _save(self) -> None:
        self.journal.elapsed_secs = round(self.elapsed(), 3)
        self.journal.save(self.journal_path)

    def _update_best(self) -> None:
        """Publish a new best node; while none works, the newest format-valid submission (a fallback,
        so the run has an entry even if it is stopped early)."""
        j = self.journal
        best = j.best()
        if best is not None:
            if best.id != j.best_node_id:
                j.best_node_id = best.id
                self._republish()
            return
        newest = j.nodes[-1] if j.nodes else None
        if newest is not None and newest.has_submission and newest.submission_valid:
            j.settings["fallback_node_id"] = newest.id
            self._republish()

    def _republish(self) -> None:
        """Put the best node's script and submission (or the fallback's) in the contract's places."""
        j = self.journal
        node_id = j.best_node_id if j.best_node_id is not None else j.settings.get("fallback_node_id")
        if not isinstance(node_id, int):
            return
        node = j.node(node_id)
        self.paths.code.mkdir(parents=True, exist_ok=True)
        (self.paths.code / "solution.py").write_text(node.code, encoding="utf-8")
        sub = self._node_dir(node) / SUBMISSION
        if sub.is_file():
            self.paths.submission.mkdir(parents=True, exist_ok=True)
            tmp = self.paths.published.with_name(f".{SUBMISSION}.tmp")
            shutil.copyfile(sub, tmp)
            tmp.replace(self.paths.published)

    # -- loop --------------------------------------------------------------------------------------
    def run(self) -> Journal:
        self._republish()  # a resumed search: the graded file may hold an interrupted script's output
        stop = self.run_steps(len(self.journal.nodes) + 1, self.model.start_step, self._step, log)
        self.journal.stop_reason = stop
        self.journal.ended_at = now_iso()
        self._save()
        return self.journal

    def _step(self, n: int) -> None:
        node = self.step(n)
        if self._pending_stop is not None:
            raise self._pending_stop
        log.info("step %d: node %d %s bug=%s metric=%s", n, node.id, node.stage, node.is_bug, node.metric)
