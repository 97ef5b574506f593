"""Grade submissions: validate, score with the task's metric, place against the leaderboard."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medalist.errors import ConfigError, InvalidSubmissionError, MedalistError
from medalist.fsutil import atomic_write_json
from medalist.grading.confidence import confidence_for
from medalist.grading.isolate import GradingBounds, check_submission_size, clip, grading_bounds, run_isolated
from medalist.grading.jsonl import read_submission_jsonl, report_timestamp
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


def score_frame_aligned(
    spec: TaskSpec, submission: pd.DataFrame, answers: pd.DataFrame
) -> tuple[float, AlignedSubmission]:
    """Like :func:`score_frame`, also returning the aligned truth and predictions (for medal confidence)."""
    metric = get_metric(spec.metric)
    aligned = validate_frame(submission, answers, spec, metric, template_is_answers=True)
    assert aligned.y_true is not None
    try:
        value = metric(aligned.y_true, aligned.y_pred, **spec.metric_args)
    except ValueError as exc:
        raise InvalidSubmissionError(clip(f"cannot score with {spec.metric}: {exc}")) from None
    if not np.isfinite(value):
        raise InvalidSubmissionError(f"{spec.metric} is not finite for this submission ({value})")
    return value, aligned


def score_custom(spec: TaskSpec, submission: Path, pt: PreparedTask, max_bytes: int | None = None) -> float:
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
    check_submission_size(submission, max_bytes)
    fn = load_entry_point(spec, spec.grader, field="grader")
    try:
        returned: Any = fn(submission, pt.answers_path, **spec.grader_args)  # whatever the hook gives: checked below
    except (MedalistError, MemoryError):
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise InvalidSubmissionError(clip(f"grader {spec.grader} failed: {type(exc).__name__}: {first}")) from None
    try:
        value = float(returned)
    except (TypeError, ValueError):
        raise InvalidSubmissionError(f"grader {spec.grader} returned {returned!r}, not a number") from None
    if not np.isfinite(value):
        raise InvalidSubmissionError(f"grader {spec.grader} returned a non-finite score ({value})")
    return value


def read_answers(pt: PreparedTask) -> pd.DataFrame:
    """The private answers of a prepared task."""
    try:
        return read_csv_file(pt.answers_path, pt.spec.id_column, what="answers")
    except InvalidSubmissionError as exc:
        raise MedalistError(f"task {pt.spec.id!r}: {exc}") from None


_ANSWERS: dict[tuple[str, int, int, int], pd.DataFrame] = {}


def cached_answers(pt: PreparedTask) -> pd.DataFrame:
    """The answers, parsed once for consecutive submissions of one task (a run group grades all seeds of a
    task in a row); keyed by the file's identity, size and mtime, and only the latest task is kept. The
    grading child inherits the frame from this process without copying or re-reading it."""
    st = os.stat(pt.answers_path)
    key = (str(pt.answers_path), st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _ANSWERS:
        frame = read_answers(pt)
        _ANSWERS.clear()
        _ANSWERS[key] = frame
    return _ANSWERS[key]


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


def score_file(
    submission: Path,
    spec: TaskSpec,
    pt: PreparedTask,
    *,
    answers: pd.DataFrame | None = None,
    bounds: GradingBounds | None = None,
) -> float:
    """Read, validate and score one submission file in this process (raises InvalidSubmissionError)."""
    return score_file_with_confidence(submission, spec, pt, answers=answers, bounds=bounds)[0]


def score_file_with_confidence(
    submission: Path,
    spec: TaskSpec,
    pt: PreparedTask,
    *,
    answers: pd.DataFrame | None = None,
    bounds: GradingBounds | None = None,
    thresholds: Thresholds | None = None,
) -> tuple[float, float | None]:
    """:func:`score_file` plus the medal confidence of the score (None without ``thresholds``, a custom
    grader or a stored bootstrap), computed where the aligned predictions are (the grading child)."""
    cap = bounds.max_submission_bytes if bounds else None
    if spec.grader is not None:
        return score_custom(spec, submission, pt, cap), None
    sub = read_csv_file(submission, spec.id_column, max_bytes=cap)
    score, aligned = score_frame_aligned(spec, sub, answers if answers is not None else read_answers(pt))
    if thresholds is None:
        return score, None
    return score, confidence_for(spec, pt, report_for_score(spec, score, thresholds), aligned)


def grade_submission(
    submission: Path, spec: TaskSpec, pt: PreparedTask | None = None, *, answers: pd.DataFrame | None = None
) -> CompetitionReport:
    """Grade one submission file for one task; an invalid submission yields a report, not an exception.

    The submission's size is checked before it is read, and it is scored in a child process with the
    task's grading limits (memory, time): whatever the file holds, the outcome is a score or a reason.
    """
    start = time.perf_counter()
    pt = pt or ensure_prepared(spec)
    thresholds = task_thresholds(spec)
    submission = Path(submission)
    exists = submission.is_file() and not submission.is_symlink()
    bounds = grading_bounds(spec, pt)
    score: float | None = None
    error: str | None = None
    confidence: float | None = None
    try:
        check_submission_size(submission, bounds.max_submission_bytes)
        if answers is None and spec.grader is None:
            answers = cached_answers(pt)
        score, confidence = run_isolated(
            lambda: score_file_with_confidence(
                submission, spec, pt, answers=answers, bounds=bounds, thresholds=thresholds
            ),
            memory_bytes=bounds.memory_bytes,
            timeout_secs=bounds.timeout_secs,
        )
    except InvalidSubmissionError as exc:
        error = clip(str(exc))
    rep = report_for_score(spec, score, thresholds)
    rep.medal_confidence = confidence
    add_baseline(rep, pt, spec.is_lower_better)
    rep.submission_exists = exists
    rep.valid_submission = score is not None
    rep.submission_path = str(submission)
    rep.error = error
    rep.grading_seconds = round(time.perf_counter() - start, 4)
    return rep


def failed_report(spec_id: str, submission: Path, exc: Exception) -> CompetitionReport:
    """The report of a submission that could not be graded because of the task or harness (not the
    submission): invalid, with the reason, so a group's summary is still written."""
    reason = str(exc) if isinstance(exc, MedalistError) else f"{type(exc).__name__}: {exc}"
    rep = CompetitionReport(competition_id=spec_id, submission_path=str(submission))
    rep.submission_exists = Path(submission).is_file() and not Path(submission).is_symlink()
    rep.error = clip(f"not graded: {reason}")
    return rep


def add_baseline(rep: CompetitionReport, pt: PreparedTask, is_lower_better: bool) -> None:
    """Fill baseline_score / improvement / success when the prepared task has a measured baseline."""
    base = read_baseline(pt.private)
    if base is None or base.score is None:
        return
    rep.baseline_score = base.score
    if rep.score is None:
        rep.success = False
        return
    rep.improvement = improvement(rep.score, base.score, is_lower_better)
    rep.success = rep.improvement is not None and rep.improvement > SUCCESS_IMPROVEMENT


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
        try:
            rep = grade_submission(Path(entry.submission_path), spec)
        except Exception as exc:
            rep = failed_report(spec.id, Path(entry.submission_path), exc)
        rep.run_id, rep.seed = entry.run_id, entry.seed
        reports.append(rep)
    summary = GradingSummary.from_reports(reports)
    output_dir = Path(output_dir)
    stamp = report_timestamp()
    for i, rep in enumerate(reports):
        atomic_write_json(output_dir / "reports" / f"{i:04d}_{rep.competition_id}.json", rep)
    atomic_write_json(output_dir / f"{stamp}_grading_report.json", summary)
    return summary
