"""medalist's Python API: what the ``medalist`` command does, as typed functions for scripts and notebooks.

The CLI (:mod:`medalist.cli`) only parses options, calls these and prints. Example::

    import medalist

    result = medalist.run(medalist.ExperimentConfig(agent="automl", tasks=["lite"], runs_dir="runs"))
    comparison = medalist.compare([result.group.dir])
    medalist.write_report(comparison, "report.html")

User mistakes raise :class:`medalist.errors.MedalistError` with a message that names the problem.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from medalist.errors import MedalistError
from medalist.runner.config import ExperimentConfig

if TYPE_CHECKING:
    from medalist.agents.command import CommandAgent
    from medalist.agents.config import ProtectedPaths
    from medalist.grading import CompetitionReport, GradingSummary
    from medalist.report.models import Comparison
    from medalist.runner.executors import Executor
    from medalist.runner.group import RunGroup
    from medalist.runner.models import AgentSpec
    from medalist.tasks import PreparedTask, TaskRegistry, TaskSpec

__all__ = [
    "ExperimentConfig",
    "RunHooks",
    "RunResult",
    "compare",
    "grade",
    "list_tasks",
    "prepare",
    "write_report",
    "resume",
    "run",
]


def _ignore(_: str) -> None:
    return None


@dataclass
class RunHooks:
    """What a caller sees of a run group while it executes (all optional; the CLI prints them).

    ``note``: one-line notes (an agent's preflight notes, a first scan of the sandbox's file trees);
    ``skipped``: why an unavailable task of a split was left out; ``started``: the group, once it exists;
    ``live``: a context manager kept open while runs execute (the CLI's live table).
    """

    note: Callable[[str], None] = _ignore
    skipped: Callable[[str], None] = _ignore
    started: Callable[[RunGroup], None] = lambda group: None
    live: Callable[[RunGroup], AbstractContextManager[object]] = lambda group: nullcontext()


@dataclass
class RunResult:
    """A finished run group and its grading summary (None when grading was off)."""

    group: RunGroup
    summary: GradingSummary | None
    harness_errors: list[str] = field(default_factory=list)
    """Runs the harness could not run (sandbox or setup problems): `resume` retries them."""


def _registry(tasks_dirs: Sequence[Path | str] = ()) -> TaskRegistry:
    from medalist.tasks import TaskRegistry

    return TaskRegistry.default(extra_roots=[Path(p) for p in tasks_dirs] or None)


def list_tasks(split: str | None = None, tasks_dirs: Sequence[Path | str] = ()) -> list[TaskSpec]:
    """Every available task (or the tasks of ``split``), sorted by id."""
    reg = _registry(tasks_dirs)
    return reg.split(split) if split else sorted(reg.tasks.values(), key=lambda s: s.id)


def prepare(tasks: Sequence[str], *, force: bool = False, tasks_dirs: Sequence[Path | str] = ()) -> list[PreparedTask]:
    """Prepare tasks (ids or split names) into the data cache; already prepared ones are reused unless ``force``.

    Raises MedalistError when a prepared task fails its quick verification.
    """
    from medalist.tasks import prepare_task, quick_check

    out = []
    for spec in _registry(tasks_dirs).resolve(list(tasks)):
        pt = prepare_task(spec, force=force)
        problems = quick_check(pt)
        if problems:
            raise MedalistError(f"{spec.id}: verification failed: {'; '.join(problems[:3])}")
        out.append(pt)
    return out


def grade(submission: Path | str, task_id: str, tasks_dirs: Sequence[Path | str] = ()) -> CompetitionReport:
    """Grade one submission CSV for one task (an invalid submission gets a report that says why)."""
    from medalist.grading import grade_submission

    return grade_submission(Path(submission), _registry(tasks_dirs).get(task_id))


def compare(
    run_groups: Sequence[Path | str],
    *,
    splits: Sequence[str] = (),
    pad_missing: bool = False,
    num_seeds: int | None = None,
    current_leaderboards: bool = False,
    tasks_dirs: Sequence[Path | str] = (),
) -> Comparison:
    """Aggregate run groups per split and agent with MLE-bench's protocol (see ``medalist compare``).

    ``splits``: split names or split files (.txt, one task id a line) to show; raises MedalistError when
    none of the runs is in a named split.
    """
    from medalist.report.build import build_comparison
    from medalist.report.selection import split_files, split_names

    comparison, _ = build_comparison(
        [Path(g) for g in run_groups],
        _registry(tasks_dirs),
        current_leaderboards,
        pad_missing=pad_missing,
        num_seeds=num_seeds,
        extra_splits=split_files(list(splits)),
    )
    if splits:
        unknown = [s for s in split_names(list(splits)) if s not in comparison.splits]
        if unknown:
            raise MedalistError(
                f"none of the runs is in split(s) {', '.join(unknown)} (have: {', '.join(comparison.splits)})"
            )
    return comparison


def write_report(comparison: Comparison, output: Path | str, title: str = "medalist report") -> Path:
    """Write the self-contained HTML report of a comparison (see :func:`compare`) to ``output``; returns its path."""
    from medalist.report.html import write_report

    return write_report(comparison, Path(output), title)


def _preflight(spec: AgentSpec, note: Callable[[str], None]) -> None:
    """Build the agent (validates its options) and run its preflight checks (LLM agents: one model call)."""
    from medalist.agents import build_agent

    check = getattr(build_agent(spec), "preflight", None)
    for line in (check() if check is not None else None) or []:
        note(line)


def _sandbox_name(name: str) -> str:
    """Resolve ``auto`` to a backend now, so a missing sandbox fails before any run starts."""
    from medalist.sandbox import get_sandbox

    return get_sandbox(name).name


def _agent_spec(
    config: ExperimentConfig, protected: Callable[[], ProtectedPaths], note: Callable[[str], None]
) -> AgentSpec:
    """The agent of ``config`` with its model settings and options, validated (and preflighted) now."""
    from medalist.agents import AgentRegistry
    from medalist.agents.config import check_mounts
    from medalist.agents.llm_agents import LLM_AGENTS
    from medalist.agents.registry import with_agent_options
    from medalist.llm.config import LLMConfig

    if not config.agent:
        raise MedalistError("name an agent and tasks: medalist run --agent ID --tasks SPLIT|FILE|ID (or --resume DIR)")
    agents = AgentRegistry(config.agents_file)
    spec = agents.spec(config.agent)
    if spec.kind == "command":  # fail now, not in every run, when a ${VAR} is unset or a mount is unsafe
        command_config = cast("CommandAgent", agents.get(config.agent)).config  # a "command" spec builds one
        command_config.resolve_env()
        check_mounts(command_config, protected(), where=f"{config.agents_file}: ")
    clash = sorted(k for k in config.agent_options if k in LLMConfig.config_keys() and k != "temperature")
    if clash:
        raise MedalistError(
            f"--agent-option {clash[0]}: a model setting, not an agent option (use "
            f"--{clash[0].replace('_', '-')} or the experiment YAML's model fields)"
        )
    llm = config.llm_fields()
    if spec.kind == "command" or spec.id not in LLM_AGENTS:
        if llm:
            raise MedalistError(
                f"--model and the other LLM options apply to LLM agents ({', '.join(LLM_AGENTS)}), not {config.agent!r}"
            )
        return with_agent_options(spec, dict(config.agent_options))
    temperature = config.agent_options.get("temperature")  # an option of aide/research; the model default too
    settings = LLMConfig.checked(**llm, **({"temperature": temperature} if temperature is not None else {}))
    spec = spec.model_copy(update={"config": dict(config.agent_options), "llm": settings})
    _preflight(spec, note)  # missing key, wrong endpoint or model, invalid options: fail now
    return spec


def run(config: ExperimentConfig, hooks: RunHooks | None = None) -> RunResult:
    """Run ``config.agent`` on ``config.tasks`` x seeds in the sandbox, then grade (unless ``grade`` is false).

    Everything is checked before the run group is created (agent, options, model preflight, tasks,
    GPUs, sandbox, a reachable runs folder), so a mistake costs no runs.
    """
    from medalist.agents.config import protected_paths
    from medalist.paths import data_dir
    from medalist.runner.executors import get_executor
    from medalist.runner.gpus import check_local_gpus, gpus_needed
    from medalist.runner.group import RunGroup, resolve_limits
    from medalist.runner.layout import check_reachable
    from medalist.runner.models import ExecutorInfo, LimitOverrides

    hooks = hooks or RunHooks()
    executor, workers = config.executor or "local", config.workers or 1
    runs_dir = Path(config.runs_dir or "runs")
    executor_options = _executor_options(executor, config.scheduler)
    runner = get_executor(executor, workers, **executor_options)  # an unreachable scheduler fails before any group
    if not config.tasks:
        raise MedalistError("name an agent and tasks: medalist run --agent ID --tasks SPLIT|FILE|ID (or --resume DIR)")
    agent = _agent_spec(
        config, lambda: protected_paths(runs_dir.resolve(), [p.resolve() for p in config.tasks_dir]), hooks.note
    )
    registry = _registry(config.tasks_dir)
    specs = registry.resolve(config.tasks)
    lim = config.limits
    overrides = LimitOverrides(
        time_limit_secs=lim.time_limit_secs,
        memory_gb=lim.memory_gb,
        cpus=lim.cpus,
        step_limit=lim.step_limit,
        gpus=lim.gpus,
        disk_gb=lim.disk_gb,
        max_files=lim.max_files,
    )
    check_local_gpus(executor, gpus_needed(resolve_limits(t, overrides).gpus for t in specs))
    for u in registry.skipped.values():
        hooks.skipped(u.message)
    if not specs:
        raise MedalistError("no available task to run (see the skipped tasks above)")
    backend = _sandbox_name(config.sandbox or "auto")
    if backend != "process":
        check_reachable(runs_dir)
    grade = config.grade is not False
    group = RunGroup.create(
        runs_dir,
        agent=agent,
        tasks=specs,
        seeds=list(range(config.seeds or 1)),
        overrides=overrides,
        executor=ExecutorInfo(name=executor, workers=workers),
        sandbox=backend,
        grade=grade,
        data_dir=str(data_dir()),
        tasks_dirs=[str(p.resolve()) for p in config.tasks_dir],
    )
    return _execute(group, runner, grade, hooks)


def resume(
    group_dir: Path | str,
    *,
    executor: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    grade: bool = True,
    hooks: RunHooks | None = None,
) -> RunResult:
    """Finish an interrupted run group: runs without a final outcome are redone, finished ones kept; then
    grade every run (unless ``grade`` is false)."""
    from medalist.paths import use_task_sources
    from medalist.runner.executors import get_executor
    from medalist.runner.gpus import check_local_gpus, gpus_needed
    from medalist.runner.group import RunGroup, resolve_limits
    from medalist.runner.models import ExecutorInfo

    hooks = hooks or RunHooks()
    group = RunGroup.load(Path(group_dir))
    if group.meta.data_dir:
        os.environ.setdefault("MEDALIST_DATA_DIR", group.meta.data_dir)
    use_task_sources(group.meta.task_sources)  # the tasks the group was made with
    registry = _registry(group.meta.tasks_dirs)
    check_local_gpus(
        executor, gpus_needed(resolve_limits(registry.get(t), group.meta.limits).gpus for t in group.meta.tasks)
    )
    runner = get_executor(executor, workers, **_executor_options(executor, scheduler))
    group.meta.resumed += 1
    group.meta.executor = ExecutorInfo(name=executor, workers=workers)
    _sandbox_name(group.meta.sandbox)
    _preflight(group.meta.agent, hooks.note)
    group.save()
    return _execute(group, runner, grade, hooks)


def _executor_options(executor: str, scheduler: str | None) -> dict[str, str]:
    if scheduler is not None and executor != "dask":
        raise MedalistError("--scheduler needs --executor dask")
    return {"scheduler": scheduler} if scheduler is not None else {}


def _execute(group: RunGroup, runner: Executor, grade: bool, hooks: RunHooks) -> RunResult:
    from medalist.runner.session import execute_group

    hooks.started(group)
    summary = execute_group(
        group,
        runner,
        grade=grade,
        live=lambda: hooks.live(group),
        notify=hooks.note,
    )
    return RunResult(group, summary, [e.run_id for e in group.meta.runs if e.status == "error"])
