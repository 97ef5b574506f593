"""Run groups: create ``runs/<UTC timestamp>_<agent>/``, track every run in ``metadata.json``, resume."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from medalist import __version__, paths
from medalist.errors import MedalistError
from medalist.fsutil import atomic_write_json
from medalist.runner.execute import clean_run_dir, read_record, resume_keep
from medalist.runner.layout import run_dir_name
from medalist.runner.models import (
    FINAL_STATUSES,
    METADATA_JSON,
    AgentSpec,
    ExecutorInfo,
    GroupMetadata,
    LimitOverrides,
    RunEntry,
    RunLimits,
    RunRecord,
    RunSpec,
    utc_now,
)
from medalist.tasks.spec import TaskSpec

LOCK = ".lock"


def resolve_limits(spec: TaskSpec, overrides: LimitOverrides) -> RunLimits:
    """The task's default limits with the command-line overrides on top."""
    d = spec.limits
    return RunLimits(
        time_limit_secs=overrides.time_limit_secs or d.time_limit_secs,
        memory_gb=overrides.memory_gb or d.memory_gb,
        cpus=overrides.cpus or d.cpus,
        step_limit=overrides.step_limit or d.step_limit,
        gpus=overrides.gpus if overrides.gpus is not None else d.gpus,
        disk_gb=overrides.disk_gb or d.disk_gb,
        max_files=overrides.max_files or d.max_files,
    )


def _group_id(agent_id: str, runs_dir: Path) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", agent_id)
    base = f"{stamp}_{safe}"
    gid, n = base, 1
    while (runs_dir / gid).exists():
        n += 1
        gid = f"{base}_{n}"
    return gid


@dataclass
class RunGroup:
    """A group dir and its metadata; the only writer of ``metadata.json``."""

    dir: Path
    meta: GroupMetadata

    @property
    def metadata_path(self) -> Path:
        return self.dir / METADATA_JSON

    @classmethod
    def create(
        cls,
        runs_dir: Path,
        *,
        agent: AgentSpec,
        tasks: list[TaskSpec],
        seeds: list[int],
        overrides: LimitOverrides,
        executor: ExecutorInfo,
        sandbox: str,
        grade: bool = True,
        data_dir: str | None = None,
        tasks_dirs: list[str] | None = None,
        task_sources: dict[str, str] | None = None,
    ) -> RunGroup:
        """A new run group under ``runs_dir``; ``task_sources`` default to this process's (see
        :func:`medalist.paths.task_sources`), so workers elsewhere resolve the same tasks."""
        runs_dir = Path(runs_dir).resolve()
        runs_dir.mkdir(parents=True, exist_ok=True)
        gid = _group_id(agent.id, runs_dir)
        gdir = runs_dir / gid
        gdir.mkdir()
        os.chmod(gdir, 0o755)
        runs = [
            RunEntry(run_id=run_dir_name(t.id, s), task_id=t.id, seed=s, dir=run_dir_name(t.id, s))
            for t in tasks
            for s in seeds
        ]
        meta = GroupMetadata(
            group_id=gid,
            agent_id=agent.id,
            agent=agent,
            tasks=[t.id for t in tasks],
            seeds=seeds,
            limits=overrides,
            executor=executor,
            sandbox=sandbox,
            grade=grade,
            medalist_version=__version__,
            data_dir=data_dir,
            tasks_dirs=list(tasks_dirs or []),
            runs=runs,
            task_sources=paths.task_sources() if task_sources is None else dict(task_sources),
        )
        group = cls(dir=gdir, meta=meta)
        group.save()
        return group

    @classmethod
    def load(cls, group_dir: Path) -> RunGroup:
        gdir = Path(group_dir).resolve()
        path = gdir / METADATA_JSON
        if not path.is_file():
            raise MedalistError(f"{gdir}: not a run group (no {METADATA_JSON})")
        try:
            meta = GroupMetadata.model_validate_json(path.read_text())
        except ValueError as exc:
            raise MedalistError(f"{path}: unreadable metadata: {str(exc).splitlines()[0]}") from None
        return cls(dir=gdir, meta=meta)

    def save(self) -> None:
        self.meta.updated_at = utc_now()
        atomic_write_json(self.metadata_path, self.meta)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the group by one ``medalist run`` (released even on kill -9)."""
        fh = open(self.dir / LOCK, "a+")
        try:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise MedalistError(f"{self.dir} is in use by another `medalist run`") from None
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            yield
        finally:
            fh.close()

    def run_dir(self, entry: RunEntry) -> Path:
        return self.dir / entry.dir

    def run_spec(self, entry: RunEntry, task: TaskSpec) -> RunSpec:
        return RunSpec(
            run_id=entry.run_id,
            group_id=self.meta.group_id,
            group_dir=str(self.dir),
            run_dir=str(self.run_dir(entry)),
            task_id=entry.task_id,
            seed=entry.seed,
            agent=self.meta.agent,
            limits=resolve_limits(task, self.meta.limits),
            sandbox=self.meta.sandbox,
            data_dir=self.meta.data_dir,
            tasks_dirs=self.meta.tasks_dirs,
            task_sources=self.meta.task_sources,
        )

    def reset_unfinished(self) -> list[RunEntry]:
        """Before (re)starting: every run without a final outcome is cleaned and set back to pending.

        A run left ``running`` by a crash is redone (from scratch, or from its journal for a resumable
        agent); finished runs are kept as they are.
        """
        todo = []
        keep = resume_keep(self.meta.agent)  # aide/research continue from their journal
        for entry in self.meta.runs:
            record = self._read(entry)
            if record is not None and record.finished:
                entry.status, entry.started_at, entry.seconds = record.status, record.started_at, record.seconds
                continue
            clean_run_dir(self.run_dir(entry), keep)
            entry.status, entry.started_at, entry.seconds = "pending", None, None
            if record is not None:  # keep the attempt count across the clean-up
                from medalist.runner.execute import write_record

                write_record(
                    self.run_dir(entry),
                    RunRecord(
                        run_id=entry.run_id,
                        group_id=self.meta.group_id,
                        task_id=entry.task_id,
                        seed=entry.seed,
                        agent_id=self.meta.agent_id,
                        attempts=record.attempts,
                    ),
                )
            todo.append(entry)
        self.save()
        return todo

    def _read(self, entry: RunEntry) -> RunRecord | None:
        try:
            return read_record(self.run_dir(entry))
        except ValueError:
            return None

    def record_done(self, record: RunRecord) -> None:
        """A run finished: persist a worker-less record (crashed worker) and update metadata."""
        entry = self.meta.entry(record.run_id)
        on_disk = self._read(entry)
        if on_disk is None or (on_disk.status not in FINAL_STATUSES and on_disk.status != record.status):
            from medalist.runner.execute import write_record

            self.run_dir(entry).mkdir(parents=True, exist_ok=True)
            write_record(self.run_dir(entry), record)
        entry.status, entry.started_at, entry.seconds = record.status, record.started_at, record.seconds
        self.save()

    def refresh(self) -> bool:
        """Pick up status changes workers wrote to ``run.json`` (e.g. pending -> running); saves if any."""
        changed = False
        for entry in self.meta.runs:
            if entry.status in FINAL_STATUSES or entry.status == "error":
                continue
            record = self._read(entry)
            if record is not None and record.status != entry.status:
                entry.status, entry.started_at, entry.seconds = record.status, record.started_at, record.seconds
                changed = True
        if changed:
            self.save()
        return changed

    def records(self) -> list[RunRecord | None]:
        return [self._read(e) for e in self.meta.runs]
