"""Grade a run group: one report per run embedded in its ``run.json``, a summary in the group dir."""

from __future__ import annotations

from pathlib import Path

from medalist.fsutil import atomic_write_json
from medalist.grading import GradingSummary, grade_submission
from medalist.grading.grade import failed_report
from medalist.runner.execute import read_record, write_record
from medalist.runner.group import RunGroup
from medalist.runner.models import GRADING_SUMMARY_JSON, utc_now
from medalist.tasks.prepare import ensure_prepared
from medalist.tasks.registry import TaskRegistry


def grade_group(group: RunGroup, registry: TaskRegistry) -> GradingSummary:
    """Grade every run's submission (missing or invalid ones get a report saying so).

    Every run gets a report and the summary is always written: a submission that breaks grading is
    invalid with a reason, and a task that cannot be graded marks its runs "not graded" with the cause.
    """
    reports = []
    prepared = {}
    for entry in group.meta.runs:
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
        except Exception as exc:  # noqa: BLE001 - one broken task or run must not leave the group ungraded
            report = failed_report(entry.task_id, submission, exc)
        report.run_id, report.seed = entry.run_id, entry.seed
        report.submission_path = str(Path(entry.dir) / submission.relative_to(run_dir))
        reports.append(report)
        if record is not None:
            record.grading = report
            write_record(run_dir, record)
        entry.score, entry.valid_submission = report.score, report.valid_submission
    summary = GradingSummary.from_reports(reports)
    atomic_write_json(group.dir / GRADING_SUMMARY_JSON, summary)
    group.meta.graded_at = utc_now()
    group.save()
    return summary
