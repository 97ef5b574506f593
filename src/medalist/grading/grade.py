"""Grade submissions: validate, score with the task's metric, place against the leaderboard."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, PrivateAttr, ValidationError

from medalist.errors import ConfigError, InvalidSubmissionError, MedalistError
from medalist.fsutil import atomic_write_json
from medalist.grading.confidence import confidence_for
from medalist.grading.medals import Thresholds, load_leaderboard
from medalist.grading.report import CompetitionReport, GradingSummary
from medalist.grading.validate import AlignedSubmission, read_csv_file, validate_frame
from medalist.metrics import get_metric
from medalist.tasks.baseline import SUCCESS_IMPROVEMENT, improvement, read_baseline
from medalist.tasks.prepare import PreparedTask, ensure_prepared, load_entry_point
from medalist.tasks.registry import TaskRegistry
from medalist.tasks.spec import TaskSpec


def score_frame(spec: TaskSpec, submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    """Validate a submission frame against the answers and return its metric score."""
    return score_frame_aligned(spec, submission, answers)[0]


def score_frame_aligned(spec: TaskSpec, submission: pd.DataFrame, answers: pd.DataFrame) -> tuple[float, AlignedSubmission]:
    """Like :func:`score_frame`, also returning the aligned truth and predictions (for medal confidence)."""
    metric = get_metric(spec.metric)
    aligned = validate_frame(submission, answers, spec, metric, template_is_answers=True)
    assert aligned.y_true is not None
    try:
        value = metric(aligned.y_true, aligned.y_pred, **spec.metric_args)
    except ValueError as exc:
        raise InvalidSubmissionError(f"cannot score with {spec.metric}: {exc}") from None
    if not np.isfinite(value):
        raise InvalidSubmissionError(f"{spec.metric} is not finite for this submission ({value})")
    return value, aligned


def score_custom(spec: TaskSpec, submission: Path, pt: PreparedTask) -> float:
    """Score with the task's own grader hook: ``fn(submission_path, answers_path, **grader_args) -> float``.

    The hook signals an unscorable submission with InvalidSubmissionError; any other exception it raises
    also makes the submission invalid (as MLE-bench does), with the error named in the reason.
    """
    assert spec.grader is not None
    submission = Path(submission)
    if submission.is_symlink():
        raise InvalidSubmissionError(f"submission {submission} is a symbolic link; submit a regular file")
    if not submission.is_file():
        raise InvalidSubmissionError(f"submission file {submission} does not exist")
    fn = load_entry_point(spec, spec.grader, field="grader")
    try:
        value = fn(submission, pt.answers_path, **spec.grader_args)
    except MedalistError:
        raise
    except Exception as exc:  # noqa: BLE001 (a foreign grader may raise anything)
        first = (str(exc).strip().splitlines() or [""])[0]
        raise InvalidSubmissionError(f"grader {spec.grader} failed: {type(exc).__name__}: {first}") from None
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidSubmissionError(f"grader {spec.grader} returned {value!r}, not a number") from None
    if not np.isfinite(value):
        raise InvalidSubmissionError(f"grader {spec.grader} returned a non-finite score ({value})")
    return value


def read_answers(pt: PreparedTask) -> pd.DataFrame:
    """The private answers of a prepared task."""
    try:
        return read_csv_file(pt.answers_path, pt.spec.id_column, what="answers")
    except InvalidSubmissionError as exc:
        raise MedalistError(f"task {pt.spec.id!r}: {exc}") from None


def task_thresholds(spec: TaskSpec) -> Thresholds | None:
    """Leaderboard thresholds of a task, or None when it has no leaderboard file."""
    path = spec.leaderboard_path
    if path is None or not path.is_file():
        return None
    return load_leaderboard(path, spec.is_lower_better)


def report_for_score(spec: TaskSpec, score: float | None, thresholds: Thresholds | None) -> CompetitionReport:
    """Fill medal fields for a score (None = invalid or missing)."""
    rep = CompetitionReport(competition_id=spec.id, metric=spec.metric, is_lower_better=spec.is_lower_better)
    if thresholds is not None:
        rep.gold_threshold = thresholds.gold
        rep.silver_threshold = thresholds.silver
        rep.bronze_threshold = thresholds.bronze
        rep.median_threshold = thresholds.median
        rep.leaderboard_size = thresholds.n_teams
    if score is None:
        return rep
    rep.score = float(score)
    if thresholds is not None:
        t = thresholds
        rep.gold_medal = t.at_least(score, t.gold)
        rep.silver_medal = not rep.gold_medal and t.at_least(score, t.silver)
        rep.bronze_medal = not (rep.gold_medal or rep.silver_medal) and t.at_least(score, t.bronze)
        rep.any_medal = rep.gold_medal or rep.silver_medal or rep.bronze_medal
        rep.above_median = score < t.median if t.is_lower_better else score > t.median
        rep.leaderboard_rank = t.rank(score)
        worse_or_equal = np.sum(t.scores >= score) if t.is_lower_better else np.sum(t.scores <= score)
        rep.beats_fraction = float(worse_or_equal) / t.n_teams
    return rep


def grade_submission(
    submission: Path, spec: TaskSpec, pt: PreparedTask | None = None, *, answers: pd.DataFrame | None = None
) -> CompetitionReport:
    """Grade one submission file for one task; an invalid submission yields a report, not an exception."""
    start = time.perf_counter()
    pt = pt or ensure_prepared(spec)
    thresholds = task_thresholds(spec)
    submission = Path(submission)
    exists = submission.is_file() and not submission.is_symlink()
    score: float | None = None
    error: str | None = None
    aligned: AlignedSubmission | None = None
    try:
        if spec.grader is not None:
            score = score_custom(spec, submission, pt)
        else:
            sub = read_csv_file(submission, spec.id_column)
            score, aligned = score_frame_aligned(spec, sub, answers if answers is not None else read_answers(pt))
    except InvalidSubmissionError as exc:
        error = str(exc)
    rep = report_for_score(spec, score, thresholds)
    if aligned is not None and thresholds is not None:
        rep.medal_confidence = confidence_for(spec, pt, rep, aligned)
    add_baseline(rep, pt, spec.is_lower_better)
    rep.submission_exists = exists
    rep.valid_submission = score is not None
    rep.submission_path = str(submission)
    rep.error = error
    rep.grading_seconds = round(time.perf_counter() - start, 4)
    return rep


def add_baseline(rep: CompetitionReport, pt: PreparedTask, lower_is_better: bool) -> None:
    """Fill baseline_score / improvement / success when the prepared task has a measured baseline."""
    base = read_baseline(pt.private)
    if base is None or base.score is None:
        return
    rep.baseline_score = base.score
    if rep.score is None:
        rep.success = False
        return
    rep.improvement = improvement(rep.score, base.score, lower_is_better)
    rep.success = rep.improvement is not None and rep.improvement > SUCCESS_IMPROVEMENT


class SubmissionLine(BaseModel):
    """One line of a submissions JSONL (MLE-bench uses ``competition_id``; ``task_id`` also works)."""

    submission_path: str
    competition_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    seed: int | None = None
    _line: int | None = PrivateAttr(default=None)  # 1-based line in the JSONL, for error messages

    @property
    def task(self) -> str:
        tid = self.task_id or self.competition_id
        if not tid:
            raise ValueError("needs 'competition_id' or 'task_id'")
        return tid


def read_submission_jsonl(path: Path) -> list[SubmissionLine]:
    """Parse a submissions JSONL; errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise MedalistError(f"{path}: submissions file not found")
    lines = []
    for no, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            entry = SubmissionLine.model_validate(json.loads(text))
            entry.task  # noqa: B018  (validates the id is present)
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(str(x) for x in e["loc"])
            msg = f"field '{where}': {e['msg']}" if where else e["msg"]
            raise ConfigError(f"{path}:{no}: bad submission line: {msg}") from None
        except (json.JSONDecodeError, ValueError) as exc:
            raise ConfigError(f"{path}:{no}: bad submission line: {str(exc).splitlines()[0]}") from None
        p = Path(entry.submission_path)
        if not p.is_absolute():
            entry.submission_path = str((path.parent / p))
        entry._line = no
        lines.append(entry)
    return lines


def grade_jsonl(path: Path, output_dir: Path, registry: TaskRegistry | None = None) -> GradingSummary:
    """Grade every line of a submissions JSONL; write one report per line and a summary JSON."""
    registry = registry or TaskRegistry.default()
    entries = read_submission_jsonl(path)
    specs = []
    for entry in entries:  # every task id is checked before anything is graded
        try:
            specs.append(registry.get(entry.task))
        except MedalistError as exc:
            raise ConfigError(f"{path}:{entry._line}: {exc}") from None
    reports = []
    for entry, spec in zip(entries, specs, strict=True):
        rep = grade_submission(Path(entry.submission_path), spec)
        rep.run_id, rep.seed = entry.run_id, entry.seed
        reports.append(rep)
    summary = GradingSummary.from_reports(reports)
    output_dir = Path(output_dir)
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S")
    for i, rep in enumerate(reports):
        atomic_write_json(output_dir / "reports" / f"{i:04d}_{rep.competition_id}.json", rep)
    atomic_write_json(output_dir / f"{stamp}_grading_report.json", summary)
    return summary
