"""``medalist run``: run an agent on tasks x seeds in the sandbox, live progress, then grading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.live import Live
from rich.table import Table

from medalist.cli import app, console, err_console, warn_skipped
from medalist.errors import MedalistError
from medalist.runner.config import config_callback, init_command

app.command("init")(init_command)


def _split_selectors(values: list[str]) -> list[str]:
    return [part for v in values for part in v.replace(",", " ").split() if part]


def _check_sandbox(name: str) -> str:
    """Resolve ``auto`` to a backend name now, so a missing sandbox fails before any run starts."""
    from medalist.runner.execute import _sandbox

    return _sandbox(name).name


@app.command()
def run(
    ctx: typer.Context,
    agent: Annotated[Optional[str], typer.Option("--agent", help="Agent id (built-in or from --agents-file).")] = None,
    tasks: Annotated[
        Optional[list[str]], typer.Option("--tasks", help="Task ids, split names or split files (repeat or comma-separate).")
    ] = None,
    seeds: Annotated[int, typer.Option(help="Seeds per task (0..N-1).", min=1)] = 1,
    workers: Annotated[int, typer.Option(help="Runs executed at the same time.", min=1)] = 1,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", help="Seconds per run (default: the task's).")] = None,
    memory: Annotated[Optional[float], typer.Option("--memory", help="GB of memory per run (default: the task's).")] = None,
    cpus: Annotated[Optional[float], typer.Option("--cpus", help="CPUs per run (default: the task's).")] = None,
    step_limit: Annotated[Optional[int], typer.Option("--step-limit", help="STEP_LIMIT for agents (default: the task's).")] = None,
    disk: Annotated[Optional[float], typer.Option("--disk", help="GB a run's workspace may grow (default: the task's).")] = None,
    max_files: Annotated[Optional[int], typer.Option("--max-files", help="Files a run's workspace may gain (default: the task's).")] = None,
    sandbox: Annotated[str, typer.Option(help="Sandbox backend: auto, bwrap or process.")] = "auto",
    executor: Annotated[str, typer.Option(help="Where runs execute: local (process pool) or dask (docs/cluster.md).")] = "local",
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="--executor dask: scheduler address tcp://HOST:PORT (default: a local cluster of --workers).")] = None,
    gpus: Annotated[Optional[int], typer.Option(
        "--gpus", min=0, help="Whole NVIDIA GPUs per run, each run's own (default: the task's, usually 0).")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder that holds run groups.")] = Path("runs"),
    agents_file: Annotated[Optional[Path], typer.Option("--agents-file", help="YAML of command agents.")] = None,
    tasks_dir: Annotated[Optional[list[Path]], typer.Option("--tasks-dir", help="Extra folder of task folders.")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Finish an interrupted run group (its dir).")] = None,
    no_grade: Annotated[bool, typer.Option("--no-grade", help="Skip grading at the end.")] = False,
    model: Annotated[Optional[str], typer.Option("--model", help="LLM agents: code model, litellm 'provider/model'.")] = None,
    feedback_model: Annotated[Optional[str], typer.Option("--feedback-model", help="LLM agents: review model (default: --model).")] = None,
    api_base: Annotated[Optional[str], typer.Option("--api-base", help="LLM agents: OpenAI-compatible base URL (local server).")] = None,
    api_key_env: Annotated[Optional[str], typer.Option("--api-key-env", help="LLM agents: env var with the key for --api-base.")] = None,
    max_cost: Annotated[Optional[float], typer.Option("--max-cost", help="LLM agents: USD budget per run.")] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", help="LLM agents: token budget per run.")] = None,
    max_output_tokens: Annotated[Optional[int], typer.Option("--max-output-tokens", help="LLM agents: cap per model call.")] = None,
    llm_cache: Annotated[Optional[Path], typer.Option(
        "--llm-cache", help="LLM agents: response cache folder (opt-in); a rerun replays from it with no upstream call.")] = None,
    agent_option: Annotated[Optional[list[str]], typer.Option(
        "--agent-option", help="An agent option as key=value (repeatable), e.g. num_drafts=5; see docs/llm-agents.md.")] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", is_eager=True, callback=config_callback,
        help="Experiment YAML (`medalist init` writes one); flags given here override its values.")] = None,
) -> None:
    """Run an agent on tasks x seeds in the sandbox, then grade; `--resume DIR` finishes a group."""
    from medalist.agents import AgentRegistry
    from medalist.agents.config import check_mounts, protected_paths
    from medalist.agents.registry import with_agent_options
    from medalist.llm.agents import LLM_AGENTS, with_llm_options
    from medalist.paths import data_dir
    from medalist.runner.executors import get_executor
    from medalist.runner.gpus import check_local_gpus, gpus_needed
    from medalist.runner.group import RunGroup, resolve_limits
    from medalist.runner.layout import check_reachable
    from medalist.runner.models import ExecutorInfo, LimitOverrides
    from medalist.runner.progress import GroupView
    from medalist.runner.session import execute_group
    from medalist.tasks import TaskRegistry

    dask_options = {k: v for k, v in (("scheduler", scheduler),) if v is not None}
    if dask_options and executor != "dask":
        raise MedalistError("--scheduler needs --executor dask")
    if resume is not None:
        if agent or tasks or gpus is not None:
            raise MedalistError("--resume takes the group dir only; its agent, tasks and limits come from metadata.json")
        group = RunGroup.load(resume)
        if group.meta.data_dir:
            os.environ.setdefault("MEDALIST_DATA_DIR", group.meta.data_dir)
        registry = TaskRegistry.default(extra_roots=[Path(p) for p in group.meta.tasks_dirs])
        check_local_gpus(executor, gpus_needed(resolve_limits(registry.get(t), group.meta.limits).gpus
                                               for t in group.meta.tasks))
    runner = get_executor(executor, workers, **dask_options)  # an unreachable scheduler fails before any group exists
    if resume is not None:
        group.meta.resumed += 1
        group.meta.executor = ExecutorInfo(name=executor, workers=workers)
        _check_sandbox(group.meta.sandbox)
        _preflight(group.meta.agent)
        group.save()
    else:
        if not agent or not tasks:
            raise MedalistError("name an agent and tasks: medalist run --agent ID --tasks SPLIT|FILE|ID (or --resume DIR)")
        agents = AgentRegistry(agents_file)
        agent_spec = agents.spec(agent)
        if agent_spec.kind == "command":  # fail now, not in every run, when a ${VAR} is unset or a mount is unsafe
            command_config = agents.get(agent).config  # type: ignore[attr-defined]
            command_config.resolve_env()
            check_mounts(command_config, protected_paths(runs_dir.resolve(), [p.resolve() for p in tasks_dir or []]),
                         where=f"{agents_file}: ")
        llm = dict(model=model, feedback_model=feedback_model, api_base=api_base, api_key_env=api_key_env,
                   max_cost=max_cost, max_tokens=max_tokens, max_output_tokens=max_output_tokens,
                   cache_dir=str(llm_cache.resolve()) if llm_cache else None)
        options = _agent_options(ctx, agent_option)
        if agent_spec.kind == "command" or agent_spec.id not in LLM_AGENTS:
            if any(v is not None for v in llm.values()):
                raise MedalistError(f"--model and the other LLM options apply to LLM agents ({', '.join(LLM_AGENTS)}), not {agent!r}")
            agent_spec = with_agent_options(agent_spec, options)
        else:
            agent_spec.config = with_llm_options(agent_spec.config, **llm, **options)
            _preflight(agent_spec)  # missing key, wrong endpoint or model, invalid options: fail now
        registry = TaskRegistry.default(extra_roots=tasks_dir)
        specs = registry.resolve(_split_selectors(tasks))
        overrides = LimitOverrides(
            time_limit_secs=time_limit, memory_gb=memory, cpus=cpus, step_limit=step_limit, gpus=gpus,
            disk_gb=disk, max_files=max_files,
        )
        check_local_gpus(executor, gpus_needed(resolve_limits(t, overrides).gpus for t in specs))
        warn_skipped(registry)
        if not specs:
            raise MedalistError("no available task to run (see the skipped tasks above)")
        backend = _check_sandbox(sandbox)
        if backend != "process":
            check_reachable(runs_dir)
        group = RunGroup.create(
            runs_dir, agent=agent_spec, tasks=specs, seeds=list(range(seeds)),
            overrides=overrides,
            executor=ExecutorInfo(name=executor, workers=workers), sandbox=backend, grade=not no_grade,
            data_dir=str(data_dir()), tasks_dirs=[str(p.resolve()) for p in tasks_dir or []],
        )
    console.print(f"run group: {group.dir}")
    view = GroupView(group)
    summary = execute_group(
        group, runner, grade=not no_grade,
        live=lambda: Live(view, console=console, refresh_per_second=2, transient=False),
    )
    console.line()
    _print_result(group, summary)
    if any(e.status == "error" for e in group.meta.runs):
        err_console.print(f"[red]some runs hit harness errors[/] (see run.json / harness.log); retry with `medalist run --resume {group.dir}`")
        raise typer.Exit(1)


def _agent_options(ctx: typer.Context, given: list[str] | None) -> dict[str, object]:
    """``--agent-option`` pairs on top of the experiment YAML's ``agent_options`` (a flag wins per key)."""
    from medalist.configfile import parse_key_values
    from medalist.llm.config import LLMConfig

    from_file: list[str] = []
    source = ctx.get_parameter_source("agent_option")
    if source is not None and source.name == "COMMANDLINE":  # (typer may bring its own click's enum)
        from_file = list((ctx.default_map or {}).get("agent_option") or [])
    options = {**parse_key_values(from_file, "agent_options"), **parse_key_values(given or [])}
    clash = sorted(k for k in options if k in LLMConfig.config_keys() and k != "temperature")
    if clash:
        raise MedalistError(f"--agent-option {clash[0]}: a model setting, not an agent option (use --{clash[0].replace('_', '-')} "
                            "or the experiment YAML's model fields)")
    return options


def _preflight(spec) -> None:  # noqa: ANN001 - an AgentSpec
    """Build the agent (validates its options) and run its preflight checks, printing their notes."""
    from medalist.agents import build_agent

    check = getattr(build_agent(spec), "preflight", None)
    for note in (check() if check is not None else None) or []:
        err_console.print(f"[yellow]note:[/] {note}")


def _print_result(group, summary) -> None:  # noqa: ANN001
    if summary is None:
        console.print(f"{len(group.meta.runs)} runs finished (not graded); metadata: {group.metadata_path}")
        return
    table = Table(title="grading")
    for col in ("run", "status", "score", "valid", "medal", "above median"):
        table.add_column(col)
    by_id = {r.run_id: r for r in summary.competition_reports}
    for e in group.meta.runs:
        r = by_id[e.run_id]
        medal = "gold" if r.gold_medal else "silver" if r.silver_medal else "bronze" if r.bronze_medal else "-"
        table.add_row(e.run_id, e.status, "-" if r.score is None else f"{r.score:.5g}", str(r.valid_submission), medal, str(r.above_median))
    console.print(table)
    console.print(
        f"{summary.total_runs} runs, {summary.total_valid_submissions} valid, {summary.total_medals} medals, "
        f"{summary.total_above_median} above median; summary: {group.dir / 'grading_summary.json'}"
    )
