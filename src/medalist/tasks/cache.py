"""Where a task's prepared data lives, and medalist's records about it.

A task is prepared into medalist's cache (``<data dir>/<id>/prepared/{public,private}`` plus
``manifest.json``), or, for an MLE-bench competition, used in place from an MLE-bench data dir that
already holds ``<id>/prepared/{public,private}`` (``MEDALIST_MLEBENCH_DATA_DIR``). Such external data is
never written to: medalist keeps its manifest and fingerprint for it under
``<data dir>/.external/<id>-<digest of the folder>/``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from medalist.paths import data_dir, mlebench_data_dir
from medalist.tasks.mlebench import is_mlebench_task
from medalist.tasks.spec import TaskSpec

MANIFEST = "manifest.json"
FINGERPRINT = "fingerprint.json"
EXTERNAL = ".external"


class PrepareManifest(BaseModel):
    """What was prepared, by which version, and the SHA-256 of every public and private file."""

    task_id: str
    data_version: str
    medalist_version: str
    prepared_at: str
    seconds: float
    public: dict[str, str]
    private: dict[str, str]
    external: str | None = Field(
        default=None, description="Prepared-only data used in place (its task folder); None = prepared by medalist."
    )
    complete: bool = Field(
        default=True, description="Every file is hashed; False for external data until `medalist verify` hashes it all."
    )

    def hashes(self) -> dict[str, str]:
        """SHA-256 by ``public/<path>`` / ``private/<path>``."""
        return {f"public/{k}": v for k, v in self.public.items()} | {f"private/{k}": v for k, v in self.private.items()}


@dataclass(frozen=True)
class PreparedTask:
    """Locations of a prepared task: its data (``root``) and medalist's records about it (``state``)."""

    spec: TaskSpec
    root: Path
    state_dir: Path | None = None  # default: root
    external: bool = False  # data prepared elsewhere, used read-only in place

    @property
    def state(self) -> Path:
        return self.state_dir or self.root

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def public(self) -> Path:
        return self.root / "prepared" / "public"

    @property
    def private(self) -> Path:
        return self.root / "prepared" / "private"

    @property
    def manifest_path(self) -> Path:
        return self.state / MANIFEST

    @property
    def fingerprint_path(self) -> Path:
        return self.state / FINGERPRINT

    @property
    def answers_path(self) -> Path:
        return self.private / self.spec.answers

    @property
    def sample_submission_path(self) -> Path | None:
        """The sample submission the harness grades as the no-skill floor: the public one, else the copy
        an MLE-bench preparer keeps under private/ (its public copy being compressed); None without one."""
        if self.spec.sample_submission is not None:
            return self.public / self.spec.sample_submission
        if self.spec.private_sample_submission is not None:
            return self.private / self.spec.private_sample_submission
        return None

    def is_prepared(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> PrepareManifest:
        return PrepareManifest.model_validate_json(self.manifest_path.read_text())


def external_root(spec: TaskSpec) -> Path | None:
    """The competition's folder in the MLE-bench data dir, if one is configured and holds it prepared."""
    base = mlebench_data_dir()
    if base is None or not is_mlebench_task(spec):
        return None
    folder = base / spec.id
    return folder if (folder / "prepared" / "private").is_dir() else None


def task_cache(spec: TaskSpec, root: Path | None = None) -> PreparedTask:
    """Where ``spec`` is (or will be) prepared: ``<root or data dir>/<id>``, or its prepared-only folder in
    the MLE-bench data dir when one holds it (only when ``root`` is not given)."""
    if root is None and (ext := external_root(spec)) is not None:
        digest = hashlib.sha256(str(ext).encode()).hexdigest()[:12]
        return PreparedTask(spec=spec, root=ext, state_dir=data_dir() / EXTERNAL / f"{spec.id}-{digest}", external=True)
    return PreparedTask(spec=spec, root=(root or data_dir()) / spec.id)
