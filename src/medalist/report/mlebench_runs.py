"""Read MLE-bench run groups, so MLE-bench results sit beside medalist's in `compare` and `report`.

MLE-bench keeps one grading report per run group, ``runs/<timestamp>_run-group_<agent>/<timestamp>
_grading_report.json``, as `mlebench grade` writes it: totals plus ``competition_reports``, one per run
(several per competition when the group ran several seeds). Each entry becomes a run; a competition's
runs are numbered in the order the report lists them. Run groups that ``runs/run_group_experiments.csv``
(MLE-bench's map from experiment id to run groups, read from beside the group) puts in one experiment
share that experiment's label and are pooled, as MLE-bench's aggregation pools them; any other group
is an agent of its own.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from medalist.errors import MedalistError
from medalist.grading.report import CompetitionReport
from medalist.report.load import LoadedGroup
from medalist.report.models import RunView

REPORT_GLOB = "*grading_report*.json"
EXPERIMENTS_CSV = "run_group_experiments.csv"
REQUIRED = (
    "competition_id",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "submission_exists",
    "valid_submission",
)
"""Fields MLE-bench's aggregation reads from every report entry."""

_GROUP_NAME = re.compile(r"(?P<stamp>.+?)_run-group_(?P<agent>.+)")


def grading_reports_in(folder: Path) -> list[Path]:
    """The grading reports at the top of a run group folder."""
    return sorted(p for p in Path(folder).glob(REPORT_GLOB) if p.is_file())


def experiment_of(group_dir: Path) -> str | None:
    """The experiment id ``run_group_experiments.csv`` beside ``group_dir`` gives it, if any."""
    table = group_dir.parent / EXPERIMENTS_CSV
    if not table.is_file():
        return None
    try:
        rows = list(csv.reader(table.read_text(encoding="utf-8").splitlines()))
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise MedalistError(f"{table}: not readable: {exc}") from None
    for row in rows:
        if len(row) >= 2 and row[0].strip() != "experiment_id" and row[1].strip() == group_dir.name:
            return row[0].strip()
    return None


def group_label(group_dir: Path) -> str:
    """``mle-bench:<experiment id>``, else ``mle-bench:<agent>@<timestamp>`` from the folder name."""
    experiment = experiment_of(group_dir)
    if experiment:
        return f"mle-bench:{experiment}"
    m = _GROUP_NAME.fullmatch(group_dir.name)
    return f"mle-bench:{m['agent']}@{m['stamp']}" if m else f"mle-bench:{group_dir.name}"


def _report_file(path: Path) -> Path:
    if path.is_file():
        return path
    reports = grading_reports_in(path)
    if not reports:
        raise MedalistError(f"{path}: no {REPORT_GLOB} in this MLE-bench run group (run `mlebench grade` first)")
    if len(reports) > 1:
        raise MedalistError(
            f"{path}: {len(reports)} grading reports ({', '.join(r.name for r in reports[:4])}); name the one to read"
        )
    return reports[0]


def _entries(report: Path) -> list[object]:
    try:
        raw = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MedalistError(f"{report}: not a readable grading report: {str(exc).splitlines()[0]}") from None
    entries = raw.get("competition_reports") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise MedalistError(f"{report}: not an MLE-bench grading report (no 'competition_reports' list)")
    return entries


def _run_dir(group_dir: Path, submission_path: str) -> Path | None:
    """The run's folder (``<group>/<run id>/`` holding ``submission/submission.csv``), when it is there."""
    if not submission_path:
        return None
    sub = Path(submission_path)
    for candidate in [sub] if sub.is_absolute() else [group_dir.parent.parent / sub, group_dir / sub]:
        run_dir = candidate.parent.parent
        try:
            if run_dir.is_dir() and run_dir.resolve().parent == group_dir.resolve():
                return run_dir
        except OSError:
            continue
    return None


def _created_at(group_dir: Path) -> str | None:
    try:
        meta = json.loads((group_dir / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = meta.get("created_at") if isinstance(meta, dict) else None
    return str(value) if value is not None else None


def load_mlebench_group(path: Path) -> LoadedGroup:
    """An MLE-bench run group folder, or one of its grading report files."""
    report = _report_file(Path(path))
    group_dir = report.parent
    group = LoadedGroup(path=report, label=group_label(group_dir), created_at=_created_at(group_dir))
    seen: dict[str, int] = defaultdict(int)
    for i, entry in enumerate(_entries(report)):
        lacking = [k for k in REQUIRED if not isinstance(entry, dict) or k not in entry]
        if lacking:
            group.warnings.append(f"{report.name}: entry {i} skipped: no {', '.join(lacking)}")
            continue
        try:
            rep = CompetitionReport.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            group.warnings.append(
                f"{report.name}: entry {i} skipped: field '{'.'.join(map(str, first['loc']))}': {first['msg']}"
            )
            continue
        seed = seen[rep.competition_id]
        seen[rep.competition_id] += 1
        run_dir = _run_dir(group_dir, rep.submission_path)
        group.runs.append(
            RunView(
                group=group_dir.name,
                agent=group.label,
                task_id=rep.competition_id,
                seed=seed,
                status="graded",
                report=rep,
                source="mlebench",
                run_dir=None if run_dir is None else str(run_dir),
                paths={"logs": "logs", "code": "code", "stdout": "run.log", "stderr": "agent_stderr.log"},
            )
        )
    if not group.runs:
        group.warnings.append(f"{report}: no competition reports")
    return group
