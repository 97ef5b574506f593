"""Experiment configs: ``medalist run --config experiment.yaml`` and the template ``medalist init`` writes.

The YAML gives defaults for `medalist run`'s options; flags given on the command line win. Values are
validated by a pydantic model and every problem is reported in one line naming the file and the field.
Paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from medalist.configfile import format_key_value, format_validation_error, read_yaml
from medalist.errors import ConfigError, MedalistError

SandboxChoice = Literal["auto", "bwrap", "process"]  # medalist.sandbox.BACKENDS


class ExperimentLimits(BaseModel):
    """Per-run limits (unset = each task's own default)."""

    model_config = ConfigDict(extra="forbid")

    time_limit_secs: float | None = Field(default=None, gt=0, description="Wall-clock seconds per run.")
    memory_gb: float | None = Field(default=None, gt=0, description="Memory per run, GB.")
    cpus: float | None = Field(default=None, gt=0, description="CPUs per run.")
    gpus: int | None = Field(default=None, ge=0, description="Whole NVIDIA GPUs per run (each run's own).")
    disk_gb: float | None = Field(default=None, gt=0, description="GB a run's workspace may grow.")
    max_files: int | None = Field(default=None, gt=0, description="Files a run's workspace may gain.")
    step_limit: int | None = Field(default=None, gt=0, description="Agent steps per run (the agent's STEP_LIMIT).")


class ModelBudget(BaseModel):
    """Per-run limits on model use for LLM agents (unset = unlimited)."""

    model_config = ConfigDict(extra="forbid")

    max_cost_usd: float | None = Field(default=None, gt=0, description="USD per run.")
    max_tokens: int | None = Field(default=None, gt=0, description="Input + output tokens per run.")
    max_output_tokens: int | None = Field(default=None, gt=0, description="Cap per model call.")


class ExperimentConfig(BaseModel):
    """One experiment: an agent (and model) on tasks x seeds, with limits and an executor."""

    model_config = ConfigDict(extra="forbid")

    agent: str | None = Field(
        default=None, description="Agent id: built-in (dummy, automl, aide, ...) or from agents_file."
    )
    agents_file: Path | None = Field(default=None, description="YAML of command agents.")
    model: str | None = Field(default=None, description="Model for LLM agents, e.g. openai/gpt-4o-mini.")
    provider: str | None = Field(default=None, description="Provider, when the model name has no 'provider/' prefix.")
    feedback_model: str | None = Field(default=None, description="LLM agents: review model (default: model).")
    api_base: str | None = Field(
        default=None, description="LLM agents: OpenAI-compatible base URL (e.g. a local server)."
    )
    api_key_env: str | None = Field(default=None, description="LLM agents: env var holding the key for api_base.")
    budget: ModelBudget = Field(default_factory=ModelBudget)
    llm_cache: Path | None = Field(default=None, description="LLM agents: response cache folder (opt-in).")
    agent_options: dict[str, Any] = Field(default_factory=dict, description="The agent's options (docs/llm-agents.md).")
    tasks: list[str] = Field(default_factory=list, description="Task ids, split names or split files.")
    tasks_dir: list[Path] = Field(default_factory=list, description="Extra folders of task folders.")
    seeds: int | None = Field(default=None, ge=1, description="Seeds per task (0..N-1).")
    limits: ExperimentLimits = Field(default_factory=ExperimentLimits)
    executor: str | None = Field(default=None, description="Where runs execute: local, dask, ...")
    scheduler: str | None = Field(default=None, description="Dask scheduler address tcp://HOST:PORT (dask executor).")
    workers: int | None = Field(default=None, ge=1, description="Runs executed at the same time.")
    sandbox: SandboxChoice | None = None
    runs_dir: Path | None = Field(default=None, description="Folder that holds run groups.")
    grade: bool | None = Field(default=None, description="Grade the runs at the end (default true).")

    @model_validator(mode="before")
    @classmethod
    def _old_spellings(cls, data: Any) -> Any:
        """``max_iterations`` (before 0.2) is ``limits.step_limit``: still read, with a warning."""
        if isinstance(data, dict) and "max_iterations" in data:
            data = dict(data)
            value = data.pop("max_iterations")
            limits = dict(data.get("limits") or {})
            if limits.get("step_limit") is None:
                limits["step_limit"] = value
            data["limits"] = limits
            warnings.warn(
                "experiment config: 'max_iterations' is now 'limits.step_limit' (the old name still works)",
                FutureWarning,
                stacklevel=2,
            )
        return data

    @field_validator("limits", "budget", "agent_options", mode="before")
    @classmethod
    def _empty_section(cls, v: Any) -> Any:
        return {} if v is None else v

    @field_validator("tasks", mode="before")
    @classmethod
    def _tasks_list(cls, v: Any) -> Any:
        """Task selectors, comma- or space-separated in one string or across list items."""
        values = [v] if isinstance(v, str) else v
        if not isinstance(values, list):
            return v  # pydantic reports the wrong type
        return [
            part
            for item in values
            for part in (item.replace(",", " ").split() if isinstance(item, str) else [item])
            if part != ""
        ]

    @field_validator("tasks_dir", mode="before")
    @classmethod
    def _dirs_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, (str, Path)) else v

    def full_model(self) -> str | None:
        """The model as 'provider/model' (the provider prefix added when given separately)."""
        if self.model is None:
            return None
        if self.provider and not self.model.startswith(f"{self.provider}/"):
            return f"{self.provider}/{self.model}"
        return self.model

    def llm_fields(self) -> dict[str, Any]:
        """The model settings this config sets, as :class:`medalist.llm.LLMConfig` fields (unset ones left out)."""
        fields = {
            "model": self.full_model(),
            "feedback_model": self.feedback_model,
            "api_base": self.api_base,
            "api_key_env": self.api_key_env,
            "max_output_tokens": self.budget.max_output_tokens,
            "cache_dir": str(self.llm_cache.resolve()) if self.llm_cache else None,
        }
        budget = {"max_cost_usd": self.budget.max_cost_usd, "max_tokens": self.budget.max_tokens}
        out: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        if any(v is not None for v in budget.values()):
            out["budget"] = {k: v for k, v in budget.items() if v is not None}
        return out

    def run_options(self) -> dict[str, Any]:
        """The values this config sets, keyed by `medalist run`'s parameter names (unset ones left out)."""
        opts: dict[str, Any] = {option: self._field(name) for option, name in FIELD_OF_OPTION.items()}
        opts.update(
            model=self.full_model(),
            agent_option=[format_key_value(k, v) for k, v in self.agent_options.items()] or None,
            tasks=self.tasks or None,
            tasks_dir=[str(p) for p in self.tasks_dir] or None,
            no_grade=None if self.grade is None else not self.grade,
        )
        return {k: str(v) if isinstance(v, Path) else v for k, v in opts.items() if v is not None}

    def _field(self, dotted: str) -> Any:
        """The value of a field, or of a section's field (``limits.cpus``)."""
        value: Any = self
        for name in dotted.split("."):
            value = getattr(value, name)
        return value


# The experiment YAML field each `medalist run` option reads (a dotted name is a section's field). Options
# whose value is converted (model with provider, agent options, no_grade) are set by run_options.
FIELD_OF_OPTION = {
    "agent": "agent",
    "agents_file": "agents_file",
    "model": "model",
    "feedback_model": "feedback_model",
    "api_base": "api_base",
    "api_key_env": "api_key_env",
    "max_cost": "budget.max_cost_usd",
    "max_tokens": "budget.max_tokens",
    "max_output_tokens": "budget.max_output_tokens",
    "llm_cache": "llm_cache",
    "agent_option": "agent_options",
    "tasks": "tasks",
    "tasks_dir": "tasks_dir",
    "seeds": "seeds",
    "time_limit": "limits.time_limit_secs",
    "memory": "limits.memory_gb",
    "cpus": "limits.cpus",
    "gpus": "limits.gpus",
    "disk": "limits.disk_gb",
    "max_files": "limits.max_files",
    "step_limit": "limits.step_limit",
    "executor": "executor",
    "scheduler": "scheduler",
    "workers": "workers",
    "sandbox": "sandbox",
    "runs_dir": "runs_dir",
    "no_grade": "grade",
}


def load_experiment(path: Path) -> ExperimentConfig:
    """Parse and validate an experiment YAML; relative paths are resolved against its folder."""
    path = Path(path)
    raw = read_yaml(path, missing_hint=f"experiment config not found (`medalist init {path}` writes a template)")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        cfg = ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None
    base = path.resolve().parent

    def rel(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else base / p

    if cfg.agents_file is not None:
        cfg.agents_file = rel(cfg.agents_file)
    if cfg.runs_dir is not None:
        cfg.runs_dir = rel(cfg.runs_dir)
    if cfg.llm_cache is not None:
        cfg.llm_cache = rel(cfg.llm_cache)
    cfg.tasks_dir = [rel(p) for p in cfg.tasks_dir]
    cfg.tasks = [str(rel(Path(t))) if t.endswith(".txt") and rel(Path(t)).is_file() else t for t in cfg.tasks]
    return cfg


def config_defaults(path: Path, accepted: set[str]) -> dict[str, Any]:
    """The run options an experiment file sets, refusing ones this `medalist run` does not have."""
    cfg = load_experiment(path)
    opts = cfg.run_options()
    unknown = sorted(k for k in opts if k not in accepted)
    if unknown:
        fields = ", ".join(f"'{FIELD_OF_OPTION.get(k, k)}'" for k in unknown)
        raise ConfigError(f"{path}: field {fields}: not supported by this version of `medalist run`")
    return opts


def config_callback(ctx: Any, param: Any, value: Path | None) -> Path | None:
    """Click callback of an eager ``--config`` option: the file's values become the command's defaults,
    so flags given on the command line still override them."""
    if value is None:
        return None
    accepted = {p.name for p in ctx.command.params if p.name}
    ctx.default_map = {**(ctx.default_map or {}), **config_defaults(Path(value), accepted)}
    return value


TEMPLATE = """\
# medalist experiment config: `medalist run --config {name}`
# Every field is optional; flags given on the command line override the values here.
# Relative paths are relative to this file's folder.

# Agent: a built-in id (`dummy`, `sample`, `automl`, LLM agents such as `aide`, `research`)
# or an id defined in agents_file.
agent: automl
# agents_file: agents.yaml

# LLM agents only: the model as litellm 'provider/model' (or give provider separately),
# an optional review model, an OpenAI-compatible server, and per-run budgets.
# model: openai/gpt-4o-mini
# provider: openai
# feedback_model: openai/gpt-4o-mini
# api_base: http://127.0.0.1:8000/v1
# api_key_env: MY_API_KEY       # name of the env var holding the key (never the key itself)
# budget: {max_cost_usd: 0.5, max_tokens: 200000, max_output_tokens: 4096}
# llm_cache: llm-cache            # replay model answers on reruns (opt-in)
# agent_options: {num_drafts: 5, debug_prob: 0.5}   # the agent's options (docs/llm-agents.md)

# Tasks: task ids, split names (`lite`, `quick`, `all`, ...) or split files (*.txt).
tasks: [lite]
# tasks_dir: [my_tasks]          # extra folders of task folders

seeds: 1                         # seeds per task: 0..N-1

limits:                          # per run; unset = the task's own default
  # time_limit_secs: 600
  # memory_gb: 2
  # cpus: 1
  # gpus: 1                      # whole NVIDIA GPUs per run, each run's own (README: GPUs)
  # step_limit: 20               # agent steps per run (the agent's STEP_LIMIT)

executor: local                  # where runs execute: local (process pool) or dask
# scheduler: tcp://10.0.0.5:8786  # dask: an existing scheduler (default: a local cluster)
workers: 1                       # runs at the same time
sandbox: auto                    # auto, bwrap (isolated) or process (no isolation, warns)
runs_dir: runs                   # run groups are written under here
grade: true                      # grade every run at the end
"""


def write_template(path: Path, force: bool = False) -> Path:
    """Write the commented template; refuses to overwrite an existing file unless ``force``."""
    path = Path(path)
    if path.is_dir():
        path = path / "experiment.yaml"
    if path.exists() and not force:
        raise MedalistError(f"{path}: already exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE.replace("{name}", path.name), encoding="utf-8")
    load_experiment(path)  # the template must always be valid
    return path


def init_command(
    path: Annotated[Path, typer.Argument(help="File to write (a folder gets experiment.yaml).")] = Path(
        "experiment.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented experiment config template for `medalist run --config` (never prompts)."""
    written = write_template(path, force=force)
    typer.echo(f"wrote {written}; run it with: medalist run --config {written}")
