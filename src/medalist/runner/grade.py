"""Grade a run group: one report per run embedded in its ``run.json``, a summary in the group dir."""

from __future__ import annotations

from pathlib import Path

from medalist.clock import utc_now
from medalist.fsutil import atomic_write_json
from medalist.grading import CompetitionReport, GradingSummary, grade_submission
from medalist.grading.grade import failed_report
from medalist.runner.execute import read_record, write_record
from medalist.runner.group import RunGroup
from medalist.runner.models import GRADING_SUMMARY_JSON, RunEntry
from medalist.tasks.prepare import PreparedTask, ensure_prepared
from medalist.tasks.registry import TaskRegistry


def grade_group(
    group: RunGroup, registry: TaskRegistry, graded: dict[str, CompetitionReport] | None = None
) -> GradingSummary:
    """Grade every run's submission (missing or invalid ones get a report saying so) and write the summary.

    Every run gets a report and the summary is always written: a submission that breaks grading is
    invalid with a reason, and a task that cannot be graded marks its runs "not graded" with the cause.
    ``graded`` holds reports already made by :func:`grade_run` in this session (as runs finished); those
    runs are not graded again.
    """
    prepared: dict[str, PreparedTask] = {}
    reports = [(graded or {}).get(e.run_id) or grade_run(group, e, registry, prepared) for e in group.meta.runs]
    summary = GradingSummary.from_reports(reports)
    atomic_write_json(group.dir / GRADING_SUMMARY_JSON, summary)
    group.meta.graded_at = utc_now()
    group.save()
    return summary


def grade_run(
    group: RunGroup, entry: RunEntry, registry: TaskRegistry, prepared: dict[str, PreparedTask] | None = None
) -> CompetitionReport:
    """Grade one run: its report goes into its ``run.json`` and its score into the group's entry (not saved).

    ``prepared`` caches prepared tasks across calls. Never raises: a failure is an invalid report with
    the cause.
    """
    prepared = {} if prepared is None else prepared
    run_dir = group.run_dir(entry)
    try:
        record = read_record(run_dir)
    except ValueError:
        record = None
    submission = run_dir / (record.paths.submission if record else "workspace/submission/submission.csv")
    try:
        spec = registry.get(entry.task_id)
        if spec.id not in prepared:
            prepared[spec.id] = ensure_prepared(spec)
        report = grade_submission(submission, spec, prepared[spec.id])
    except Exception as exc:
        report = failed_report(entry.task_id, submission, exc)
    report.run_id, report.seed = entry.run_id, entry.seed
    report.submission_path = str(Path(entry.dir) / submission.relative_to(run_dir))
    if record is not None:
        record.grading = report
        write_record(run_dir, record)
    entry.score, entry.valid_submission = report.score, report.valid_submission
    return report
