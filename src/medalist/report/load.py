"""Read run groups into RunViews: medalist's own (``metadata.json`` + ``<task>_s<seed>/run.json``) and
MLE-bench's (a ``*grading_report*.json`` per run group, see mlebench_runs.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from medalist.errors import MedalistError
from medalist.report.models import GroupInfo, RunView
from medalist.runner.models import METADATA_JSON, RUN_JSON, GroupMetadata, RunRecord

M = TypeVar("M", bound=BaseModel)


@dataclass
class LoadedGroup:
    """One run group on disk: who ran it and every run found in it."""

    path: Path
    """The group folder (medalist), or the grading report file (MLE-bench)."""
    label: str
    """Agent label: the agent id plus its model (medalist), or the MLE-bench experiment / run group."""
    runs: list[RunView] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created_at: str | None = None
    data_dir: str | None = None

    @property
    def name(self) -> str:
        return self.path.parent.name if self.path.is_file() else self.path.name

    def info(self) -> GroupInfo:
        return GroupInfo(
            name=self.name, path=str(self.path), agent=self.label, n_runs=len(self.runs), created_at=self.created_at
        )


def agent_label(meta: GroupMetadata) -> str:
    """The agent id, plus the model in brackets: an LLM agent's, or the ``model`` a command agent is passed."""
    kwargs = given if isinstance(given := meta.agent.config.get("kwargs"), dict) else {}
    model = meta.agent.llm.model if meta.agent.llm else kwargs.get("model")
    return f"{meta.agent_id} ({model})" if model else meta.agent_id


def read_model(path: Path, model: type[M], what: str) -> M:
    """``path`` parsed as ``model``; a bad file is one MedalistError naming the first bad field."""
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        detail = f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}" if first else str(exc).splitlines()[0]
        raise MedalistError(f"{path}: not a valid {what}: {detail}") from None


def run_view(group: Path, label: str, run_dir: Path, rec: RunRecord) -> RunView:
    """Flatten a run record into what the report needs."""
    usage = rec.usage
    return RunView(
        group=group.name,
        agent=label,
        task_id=rec.task_id,
        seed=rec.seed,
        status=rec.status,
        error=rec.error,
        report=rec.grading,
        wall_seconds=rec.seconds,
        cost_usd=usage.cost_usd if usage else None,
        cost_unknown=bool(usage and usage.cost_usd is None and getattr(usage, "unpriced_calls", 0)),
        input_tokens=usage.input_tokens if usage else None,
        output_tokens=usage.output_tokens if usage else None,
        steps=usage.steps if usage else None,
        peak_memory_mb=rec.peak_memory_bytes / 2**20 if rec.peak_memory_bytes is not None else None,
        gpus=len(rec.gpus),
        gpu_peak_memory_mb=(
            rec.gpu_usage.peak_memory_bytes / 2**20
            if rec.gpu_usage and rec.gpu_usage.peak_memory_bytes is not None
            else None
        ),
        gpu_peak_utilization_pct=rec.gpu_usage.peak_utilization_pct if rec.gpu_usage else None,
        run_dir=str(run_dir),
        paths={k: v for k, v in rec.paths.model_dump().items() if k in ("logs", "code", "stdout", "stderr")},
    )


def load_medalist_group(path: Path) -> LoadedGroup:
    """A run group written by `medalist run`."""
    meta = read_model(path / METADATA_JSON, GroupMetadata, "run group metadata")
    group = LoadedGroup(path=path, label=agent_label(meta), created_at=meta.created_at, data_dir=meta.data_dir)
    found = set()
    for rf in sorted(path.glob(f"*/{RUN_JSON}")):
        try:
            rec = read_model(rf, RunRecord, "run record")
        except MedalistError as exc:
            group.warnings.append(str(exc))
            continue
        found.add(rec.run_id)
        group.runs.append(run_view(path, group.label, rf.parent, rec))
    missing = sorted({e.run_id for e in meta.runs} - found)
    if missing:
        group.warnings.append(f"{path.name}: {len(missing)} listed run(s) have no run.json: {', '.join(missing[:5])}")
    return group


def is_medalist_metadata(path: Path) -> bool:
    """Whether ``path`` looks like medalist's metadata.json (MLE-bench writes one of its own)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # unreadable: let the medalist loader name the problem
    return not isinstance(raw, dict) or "run_group" not in raw or "group_id" in raw


def load_group(path: Path) -> LoadedGroup:
    """Load one run group: a medalist group folder, an MLE-bench run group folder, or an MLE-bench
    grading report file. Anything else is rejected in one line."""
    from medalist.report.mlebench_runs import grading_reports_in, load_mlebench_group

    path = Path(path).resolve()
    if not path.exists():
        raise MedalistError(f"{path}: no such run group")
    if path.is_file():
        return load_mlebench_group(path)
    meta = path / METADATA_JSON
    reports = grading_reports_in(path)
    if meta.is_file() and is_medalist_metadata(meta):
        return load_medalist_group(path)
    if reports:
        return load_mlebench_group(path)
    if meta.is_file():
        raise MedalistError(
            f"{path}: an MLE-bench run group without a grading report (grade it first: "
            f"mlebench grade --submission {path.name}/submission.jsonl --output-dir {path.name})"
        )
    raise MedalistError(
        f"{path}: not a run group (no {METADATA_JSON} from `medalist run`, no *grading_report*.json "
        "from `mlebench grade`; expected runs/<timestamp>_<agent>/)"
    )


def load_groups(paths: list[Path]) -> tuple[list[LoadedGroup], list[RunView]]:
    """Load several run groups; runs come back in the order the groups were given."""
    if not paths:
        raise MedalistError("name at least one run group folder (runs/<timestamp>_<agent>/)")
    groups = [load_group(p) for p in paths]
    names = [g.path for g in groups]
    dup = {str(p) for p in names if names.count(p) > 1}
    if dup:
        raise MedalistError(f"run group given twice: {', '.join(sorted(dup))}")
    return groups, [r for g in groups for r in g.runs]
