"""TaskSpec: one competition's ``task.yaml``, parsed and validated with precise errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from medalist.configfile import format_validation_error, read_yaml, renamed_key
from medalist.errors import ConfigError
from medalist.fsutil import is_lfs_pointer, lfs_pointer_message

TaskType = Literal[
    "binary-classification",
    "multiclass-classification",
    "multilabel-classification",
    "regression",
    "ranking",
    "other",
]


class TaskLimits(BaseModel):
    """Default resource and time limits for an agent run on this task."""

    model_config = ConfigDict(extra="forbid")

    time_limit_secs: int = Field(default=3600, gt=0)
    memory_gb: float = Field(default=4.0, gt=0)
    cpus: float = Field(default=2.0, gt=0)
    gpus: int = Field(default=0, ge=0, description="Whole NVIDIA GPUs per run (medalist run --gpus overrides).")
    step_limit: int = Field(default=50, gt=0)
    disk_gb: float = Field(default=20.0, gt=0, description="How much the run's workspace may grow.")
    max_files: int = Field(default=100_000, gt=0, description="How many files the run's workspace may gain.")


class GradingLimits(BaseModel):
    """Bounds on grading one submission, so a hostile file cannot knock the grader over."""

    model_config = ConfigDict(extra="forbid")

    max_submission_mb: float | None = Field(
        default=None, gt=0, description="Largest submission graded (None: 10x the answers' size, at least 1 MB)."
    )
    memory_gb: float = Field(default=4.0, gt=0, description="Memory of the process that grades one submission.")
    time_limit_secs: float = Field(default=300, gt=0, description="Time to grade one submission.")

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return renamed_key(data, "timeout_secs", "time_limit_secs", "task.yaml grading_limits")


class TaskSpec(BaseModel):
    """A competition: what the agent is told, how its submission is graded, and how data is built."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str
    description: str = "description.md"
    task_type: TaskType
    metric: str = Field(description="A named metric, or a free label when 'grader' is set.")
    metric_args: dict[str, Any] = Field(default_factory=dict)
    id_column: str = "id"
    target_columns: list[str] = Field(default_factory=list, description="Required unless 'grader' is set.")
    prepare: str = "prepare.py:prepare"
    prepare_args: dict[str, Any] = Field(default_factory=dict, description="Extra keyword arguments for prepare.")
    grader: str | None = Field(
        default=None,
        description="Custom grader 'file.py:fn' or 'module:fn', used instead of the named metric; called as "
        "fn(submission_path, answers_path, **grader_args) -> float, raising InvalidSubmissionError when invalid.",
    )
    grader_args: dict[str, Any] = Field(default_factory=dict)
    is_lower_better: bool = Field(
        default=False,
        description="Score direction: the named metric's unless given; required with a custom grader "
        "('lower_is_better' is read too, with a warning).",
    )
    leaderboard: str | None = "leaderboard.csv"
    answers: str = "answers.csv"
    sample_submission: str | None = "sample_submission.csv"
    private_sample_submission: str | None = Field(
        default=None,
        description="A sample submission kept beside the answers (private/), for tasks whose public copy is "
        "compressed or absent: the harness grades it as the no-skill floor; agents never see it.",
    )
    kaggle_competition: str | None = Field(
        default=None, description="Kaggle competition whose files are downloaded into raw/ when raw/ is empty."
    )
    kaggle_checksums: str | None = Field(
        default=None, description="YAML file (task folder relative) with the md5 of the Kaggle zip under key 'zip'."
    )
    limits: TaskLimits = Field(default_factory=TaskLimits)
    grading_limits: GradingLimits = Field(default_factory=GradingLimits)
    tags: list[str] = Field(default_factory=list)
    rows: int | None = Field(default=None, ge=0, description="Approximate number of rows (train + test).")
    source: str | None = Field(default=None, description="Where the raw data comes from (package, dataset).")
    data_version: str = "1"
    audit_accept: dict[str, str] = Field(
        default_factory=dict,
        description="Audit checks whose failure is a documented, deliberate property of the task: "
        "check name (reach, id_leak, adversarial, duplicates, single_column, headroom) -> the reason.",
    )

    # Set by the loader, never read from YAML.
    root: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _direction(cls, data: Any) -> Any:
        """The score direction: given (also under its old name), else the named metric's."""
        data = renamed_key(data, "lower_is_better", "is_lower_better", "task.yaml")
        if not isinstance(data, dict) or data.get("is_lower_better") is not None:
            return data
        if data.get("grader") is not None:
            raise ValueError("is_lower_better: required when a custom 'grader' is set")
        from medalist.metrics import get_metric  # local import: metrics do not depend on tasks

        try:
            return {**data, "is_lower_better": get_metric(str(data.get("metric"))).is_lower_better}
        except KeyError:  # an unknown or missing metric: reported as such (load_task_spec, field errors)
            return data

    @field_validator("target_columns")
    @classmethod
    def _unique_targets(cls, v: list[str], info: ValidationInfo) -> list[str]:
        id_column = info.data.get("id_column")
        if id_column in v:
            raise ValueError(f"the id column {id_column!r} cannot also be a target column")
        if len(set(v)) != len(v):
            dup = sorted({c for c in v if v.count(c) > 1})
            raise ValueError(f"target columns must be unique (repeated: {', '.join(dup)})")
        return v

    @field_validator("prepare")
    @classmethod
    def _entry_point(cls, v: str) -> str:
        target, sep, func = v.rpartition(":")
        if not sep or not target or not func.isidentifier():
            raise ValueError(f"expected 'file.py:function' or 'package.module:function', got {v!r}")
        return v

    @model_validator(mode="after")
    def _grader_needs(self) -> TaskSpec:
        if self.grader is None and not self.target_columns:
            raise ValueError("target_columns: list at least one column (or set a custom 'grader')")
        return self

    @property
    def directory(self) -> Path:
        """The folder holding task.yaml (prepare script, description, leaderboard)."""
        if self.root is None:
            raise ConfigError(f"task {self.id!r} has no directory (it was not loaded from a file)")
        return self.root

    @property
    def description_path(self) -> Path:
        return self.directory / self.description

    @property
    def leaderboard_path(self) -> Path | None:
        return None if self.leaderboard is None else self.directory / self.leaderboard

    @property
    def kind(self) -> str:
        """Short kind label for listings: text/image tags win over the generic task type."""
        for tag in ("text", "image"):
            if tag in self.tags:
                return f"{tag}-{self.task_type.split('-')[0]}"
        return self.task_type


@dataclass(frozen=True)
class UnavailableTask:
    """A task that is known (listed) but cannot be loaded; naming it gives ``message``."""

    id: str
    problem: str  # one line: what is wrong
    fix: str = ""  # one line: how to fix it

    @property
    def message(self) -> str:
        return f"task {self.id!r} is unavailable: {self.problem}" + (f"; {self.fix}" if self.fix else "")


def load_task_spec(path: Path) -> TaskSpec:
    """Parse ``task.yaml`` (or a folder holding one); raise ConfigError naming file and field."""
    path = Path(path)
    if path.is_dir():
        path = path / "task.yaml"
    raw = read_yaml(path, missing_hint="task config not found")
    if raw is None:
        raise ConfigError(f"{path}: file is empty; expected a mapping of fields (id, name, task_type, ...)")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    raw.pop("root", None)
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None
    spec.root = path.parent.resolve()
    from medalist.metrics import get_metric  # local import: metrics do not depend on tasks

    if spec.grader is None:
        try:
            get_metric(spec.metric)
        except KeyError as exc:
            raise ConfigError(f"{path}: field 'metric': {exc.args[0]}") from None
    if not spec.description_path.is_file():
        raise ConfigError(f"{path}: field 'description': file {spec.description_path} does not exist")
    board = spec.leaderboard_path
    if board is not None and is_lfs_pointer(board):
        raise ConfigError(f"{path}: field 'leaderboard': " + lfs_pointer_message(board))
    script = spec.prepare.rpartition(":")[0]
    if script.endswith(".py") and not (spec.directory / script).is_file():
        raise ConfigError(f"{path}: field 'prepare': file {spec.directory / script} does not exist")
    return spec
