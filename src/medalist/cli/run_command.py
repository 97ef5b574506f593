"""``medalist run``: run an agent on tasks x seeds in the sandbox, live progress, then grading."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional, cast

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from medalist.cli.app import app, console, err_console
from medalist.errors import MedalistError
from medalist.runner.config import config_callback, init_command

app.command("init")(init_command)


@app.command()
def run(
    ctx: typer.Context,
    agent: Annotated[Optional[str], typer.Option("--agent", help="Agent id (built-in or from --agents-file).")] = None,
    tasks: Annotated[
        Optional[list[str]],
        typer.Option("--tasks", help="Task ids, split names or split files (repeat or comma-separate)."),
    ] = None,
    seeds: Annotated[int, typer.Option(help="Seeds per task (0..N-1).", min=1)] = 1,
    workers: Annotated[int, typer.Option(help="Runs executed at the same time.", min=1)] = 1,
    time_limit: Annotated[
        Optional[float], typer.Option("--time-limit", help="Seconds per run (default: the task's).")
    ] = None,
    memory: Annotated[
        Optional[float], typer.Option("--memory", help="GB of memory per run (default: the task's).")
    ] = None,
    cpus: Annotated[Optional[float], typer.Option("--cpus", help="CPUs per run (default: the task's).")] = None,
    step_limit: Annotated[
        Optional[int], typer.Option("--step-limit", help="STEP_LIMIT for agents (default: the task's).")
    ] = None,
    disk: Annotated[
        Optional[float], typer.Option("--disk", help="GB a run's workspace may grow (default: the task's).")
    ] = None,
    max_files: Annotated[
        Optional[int], typer.Option("--max-files", help="Files a run's workspace may gain (default: the task's).")
    ] = None,
    sandbox: Annotated[str, typer.Option(help="Sandbox backend: auto, bwrap or process.")] = "auto",
    executor: Annotated[
        str, typer.Option(help="Where runs execute: local (process pool) or dask (docs/cluster.md).")
    ] = "local",
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            "--scheduler",
            help="--executor dask: scheduler address tcp://HOST:PORT (default: a local cluster of --workers).",
        ),
    ] = None,
    gpus: Annotated[
        Optional[int],
        typer.Option(
            "--gpus", min=0, help="Whole NVIDIA GPUs per run, each run's own (default: the task's, usually 0)."
        ),
    ] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder that holds run groups.")] = Path("runs"),
    agents_file: Annotated[Optional[Path], typer.Option("--agents-file", help="YAML of command agents.")] = None,
    tasks_dir: Annotated[
        Optional[list[Path]], typer.Option("--tasks-dir", help="Extra folder of task folders.")
    ] = None,
    resume: Annotated[
        Optional[Path], typer.Option("--resume", help="Finish an interrupted run group (its dir).")
    ] = None,
    no_grade: Annotated[bool, typer.Option("--no-grade", help="Skip grading at the end.")] = False,
    model: Annotated[
        Optional[str], typer.Option("--model", help="LLM agents: code model, litellm 'provider/model'.")
    ] = None,
    feedback_model: Annotated[
        Optional[str], typer.Option("--feedback-model", help="LLM agents: review model (default: --model).")
    ] = None,
    api_base: Annotated[
        Optional[str], typer.Option("--api-base", help="LLM agents: OpenAI-compatible base URL (local server).")
    ] = None,
    api_key_env: Annotated[
        Optional[str], typer.Option("--api-key-env", help="LLM agents: env var with the key for --api-base.")
    ] = None,
    max_cost: Annotated[Optional[float], typer.Option("--max-cost", help="LLM agents: USD budget per run.")] = None,
    max_tokens: Annotated[Optional[int], typer.Option("--max-tokens", help="LLM agents: token budget per run.")] = None,
    max_output_tokens: Annotated[
        Optional[int], typer.Option("--max-output-tokens", help="LLM agents: cap per model call.")
    ] = None,
    llm_cache: Annotated[
        Optional[Path],
        typer.Option(
            "--llm-cache",
            help="LLM agents: response cache folder (opt-in); a rerun replays from it with no upstream call.",
        ),
    ] = None,
    agent_option: Annotated[
        Optional[list[str]],
        typer.Option(
            "--agent-option",
            help="An agent option as key=value (repeatable), e.g. num_drafts=5; see docs/llm-agents.md.",
        ),
    ] = None,
    config: Annotated[
        Optional[Path],
        typer.Option(
            "--config",
            is_eager=True,
            callback=config_callback,
            help="Experiment YAML (`medalist init` writes one); flags given here override its values.",
        ),
    ] = None,
) -> None:
    """Run an agent on tasks x seeds in the sandbox, then grade; `--resume DIR` finishes a group."""
    from pydantic import ValidationError

    from medalist import api
    from medalist.configfile import format_validation_error
    from medalist.runner.config import ExperimentConfig, ExperimentLimits, ModelBudget, SandboxChoice
    from medalist.runner.progress import GroupView
    from medalist.sandbox import BACKENDS, get_sandbox

    def live(group):
        return Live(GroupView(group), console=console, refresh_per_second=2, transient=False)

    started: list[Path] = []  # the group's dir, once it exists

    def on_start(group):
        started.append(group.dir)
        console.print(f"run group: {group.dir}")

    hooks = api.RunHooks(
        note=lambda message: err_console.print(f"[yellow]note:[/] {escape(message)}", highlight=False, soft_wrap=True),
        skipped=lambda message: err_console.print(
            f"[yellow]skipped:[/] {escape(message)}", highlight=False, soft_wrap=True
        ),
        started=on_start,
        live=live,
    )
    try:
        if resume is not None:
            if agent or tasks or gpus is not None:
                raise MedalistError(
                    "--resume takes the group dir only; its agent, tasks and limits come from metadata.json"
                )
            result = api.resume(
                resume, executor=executor, workers=workers, scheduler=scheduler, grade=not no_grade, hooks=hooks
            )
        else:
            if not agent or not tasks:
                raise MedalistError(
                    "name an agent and tasks: medalist run --agent ID --tasks SPLIT|FILE|ID (or --resume DIR)"
                )
            if sandbox.strip().lower() not in BACKENDS:
                get_sandbox(sandbox)  # raises: unknown sandbox backend, naming the choices
            try:
                experiment = ExperimentConfig(
                    agent=agent,
                    agents_file=agents_file,
                    model=model,
                    feedback_model=feedback_model,
                    api_base=api_base,
                    api_key_env=api_key_env,
                    budget=ModelBudget(
                        max_cost_usd=max_cost, max_tokens=max_tokens, max_output_tokens=max_output_tokens
                    ),
                    llm_cache=llm_cache,
                    agent_options=_agent_options(ctx, agent_option),
                    tasks=tasks,
                    tasks_dir=tasks_dir or [],
                    seeds=seeds,
                    executor=executor,
                    scheduler=scheduler,
                    workers=workers,
                    sandbox=cast(SandboxChoice, sandbox.strip().lower()),  # one of BACKENDS: checked above
                    runs_dir=runs_dir,
                    grade=not no_grade,
                    limits=ExperimentLimits(
                        time_limit_secs=time_limit,
                        memory_gb=memory,
                        cpus=cpus,
                        gpus=gpus,
                        disk_gb=disk,
                        max_files=max_files,
                        step_limit=step_limit,
                    ),
                )
            except ValidationError as exc:
                raise MedalistError(format_validation_error("medalist run", exc)) from None
            result = api.run(experiment, hooks)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the executor has stopped the runs and removed their sandboxes
        how = f"`medalist run --resume {started[0]}`" if started else "`medalist run --resume DIR`"
        console.line()  # end the live table's last line
        err_console.print(f"[yellow]interrupted:[/] finish the group with {how} (unfinished runs are redone)")
        raise typer.Exit(130) from None
    console.line()
    _print_result(result.group, result.summary)
    if result.harness_errors:
        err_console.print(
            f"[red]some runs hit harness errors[/] (see run.json / harness.log); retry with "
            f"`medalist run --resume {result.group.dir}`"
        )
        raise typer.Exit(1)


def _agent_options(ctx: typer.Context, given: list[str] | None) -> dict[str, object]:
    """``--agent-option`` pairs on top of the experiment YAML's ``agent_options`` (a flag wins per key)."""
    from medalist.configfile import parse_key_values

    from_file: list[str] = []
    source = ctx.get_parameter_source("agent_option")
    if source is not None and source.name == "COMMANDLINE":  # (typer may bring its own click's enum)
        from_file = list((ctx.default_map or {}).get("agent_option") or [])
    return {**parse_key_values(from_file, "agent_options"), **parse_key_values(given or [])}


def _print_result(group, summary) -> None:
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
        table.add_row(
            e.run_id,
            e.status,
            "-" if r.score is None else f"{r.score:.5g}",
            str(r.valid_submission),
            medal,
            str(r.above_median),
        )
    console.print(table)
    console.print(
        f"{summary.total_runs} runs, {summary.total_valid_submissions} valid, {summary.total_medals} medals, "
        f"{summary.total_above_median} above median; summary: {group.dir / 'grading_summary.json'}"
    )
