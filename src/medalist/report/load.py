"""Read run groups written by `medalist run` (``metadata.json`` + ``<task>_s<seed>/run.json``) into RunViews."""

from __future__ import annotations

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
    """One run group on disk: its metadata and every run record found in it."""

    path: Path
    metadata: GroupMetadata
    records: list[tuple[Path, RunRecord]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def agent_label(self) -> str:
        return agent_label(self.metadata)

    def info(self) -> GroupInfo:
        return GroupInfo(name=self.name, path=str(self.path), agent=self.agent_label,
                         n_runs=len(self.records), created_at=self.metadata.created_at)


def agent_label(meta: GroupMetadata) -> str:
    """The agent id, plus the model in brackets when the agent config names one."""
    cfg = meta.agent.config or {}
    kwargs = cfg.get("kwargs") if isinstance(cfg.get("kwargs"), dict) else {}
    model = cfg.get("model") or kwargs.get("model")
    return f"{meta.agent_id} ({model})" if model else meta.agent_id


def _read_model(path: Path, model: type[M], what: str) -> M:
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        detail = f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}" if first else str(exc).splitlines()[0]
        raise MedalistError(f"{path}: not a valid {what}: {detail}") from None


def load_group(path: Path) -> LoadedGroup:
    """Load one run group folder; a folder without ``metadata.json`` is rejected in one line."""
    path = Path(path).resolve()
    if not path.exists():
        raise MedalistError(f"{path}: no such run group")
    if not (path / METADATA_JSON).is_file():
        raise MedalistError(f"{path}: not a run group (no {METADATA_JSON}; expected runs/<timestamp>_<agent>/)")
    meta = _read_model(path / METADATA_JSON, GroupMetadata, "run group metadata")
    group = LoadedGroup(path=path, metadata=meta)
    run_files = sorted(path.glob(f"*/{RUN_JSON}"))
    for rf in run_files:
        try:
            group.records.append((rf.parent, _read_model(rf, RunRecord, "run record")))
        except MedalistError as exc:
            group.warnings.append(str(exc))
    listed = {e.run_id for e in meta.runs}
    found = {r.run_id for _, r in group.records}
    missing = sorted(listed - found)
    if missing:
        group.warnings.append(f"{path.name}: {len(missing)} listed run(s) have no run.json: {', '.join(missing[:5])}")
    return group


def run_view(group: LoadedGroup, run_dir: Path, rec: RunRecord) -> RunView:
    """Flatten a run record into what the report needs."""
    usage = rec.usage
    return RunView(
        group=group.name,
        agent=group.agent_label,
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
        run_dir=str(run_dir),
        paths={k: v for k, v in rec.paths.model_dump().items() if k in ("logs", "code", "stdout", "stderr")},
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
    runs = [run_view(g, d, r) for g in groups for d, r in g.records]
    return groups, runs
