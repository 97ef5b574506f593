"""The ``medalist`` command line: tasks, prepare, grading (run/report commands live in their packages)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from medalist.errors import MedalistError

app = typer.Typer(
    name="medalist",
    help="Benchmark AI agents on end-to-end ML engineering tasks (offline suite, sandboxed runs, medals).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
tasks_app = typer.Typer(help="List and inspect tasks.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
console = Console()
err_console = Console(stderr=True)

@app.callback()
def global_options(
    mlebench_dir: Annotated[
        Optional[Path],
        typer.Option("--mlebench-dir", envvar="MEDALIST_MLEBENCH_DIR", show_envvar=True,
                     help="Also load competitions from this MLE-bench checkout (see docs/interop.md)."),
    ] = None,
    mlagentbench_dir: Annotated[
        Optional[Path],
        typer.Option("--mlagentbench-dir", envvar="MEDALIST_MLAGENTBENCH_DIR", show_envvar=True,
                     help="Also load tasks from this MLAgentBench benchmarks/ folder (see docs/interop.md)."),
    ] = None,
    mlebench_data_dir: Annotated[
        Optional[Path],
        typer.Option("--mlebench-data-dir", envvar="MEDALIST_MLEBENCH_DATA_DIR", show_envvar=True,
                     help="MLE-bench data dir holding <id>/prepared/{public,private}: used in place, read-only, "
                     "without raw/ (see docs/interop.md)."),
    ] = None,
) -> None:
    """Benchmark AI agents on end-to-end ML engineering tasks (offline suite, sandboxed runs, medals)."""
    # Exported so every registry (TaskRegistry.default()) and child process sees the same task set.
    for value, var in (
        (mlebench_dir, "MEDALIST_MLEBENCH_DIR"),
        (mlagentbench_dir, "MEDALIST_MLAGENTBENCH_DIR"),
        (mlebench_data_dir, "MEDALIST_MLEBENCH_DATA_DIR"),
    ):
        if value is not None:
            os.environ[var] = str(value.expanduser().resolve())
    if mlebench_data_dir is not None and not mlebench_data_dir.expanduser().is_dir():
        raise MedalistError(f"--mlebench-data-dir {mlebench_data_dir}: no such folder")


TaskDirs = Annotated[
    Optional[list[Path]],
    typer.Option("--tasks-dir", help="Extra folder of task folders (repeatable; MEDALIST_TASKS_PATH also works)."),
]


def registry(tasks_dir: list[Path] | None = None):  # noqa: ANN201 (lazy import keeps --help fast)
    from medalist.tasks import TaskRegistry

    return TaskRegistry.default(extra_roots=tasks_dir)


@tasks_app.command("list")
def tasks_list(
    split: Annotated[Optional[str], typer.Option(help="Only tasks in this split.")] = None,
    tasks_dir: TaskDirs = None,
) -> None:
    """Show every task: id, kind, metric, rows, splits (and why a known task is unavailable)."""
    reg = registry(tasks_dir)
    specs = reg.split(split) if split else sorted(reg.tasks.values(), key=lambda s: s.id)
    broken = sorted(reg.skipped.values() if split else reg.unavailable.values(), key=lambda u: u.id)
    title = f"{len(specs) + len(broken)} tasks" + (f" in split {split!r}" if split else "")
    table = Table(title=title + (f" ({len(broken)} unavailable)" if broken else ""))
    for col in ("id", "kind", "metric", "rows", "splits"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for s in specs:
        table.add_row(s.id, s.kind, s.metric, f"{s.rows:,}" if s.rows else "?", ", ".join(reg.splits_of(s.id)))
    for u in broken:
        table.add_row(u.id, "[red]unavailable[/]", escape(u.problem), "", ", ".join(reg.splits_of(u.id)))
    console.print(table)
    for fix in sorted({u.fix for u in broken if u.fix}):
        n = sum(u.fix == fix for u in broken)
        console.print(f"{n} unavailable task(s): {escape(fix)}", highlight=False, soft_wrap=True)


def warn_skipped(reg) -> None:  # noqa: ANN001 (a TaskRegistry)
    """Say which unavailable tasks a split left out, and why (one line each)."""
    for u in reg.skipped.values():
        err_console.print(f"[yellow]skipped:[/] {escape(u.message)}", highlight=False, soft_wrap=True)


@tasks_app.command("show")
def tasks_show(task_id: str, tasks_dir: TaskDirs = None) -> None:
    """Print a task's card: spec fields, splits, leaderboard size, and its description."""
    from medalist.grading import task_thresholds

    from medalist.tasks import task_cache
    from medalist.tasks.columns import column_roles

    reg = registry(tasks_dir)
    spec = reg.get(task_id)
    th = task_thresholds(spec)
    roles = column_roles(task_cache(spec))  # MLE-bench: read from the prepared sample submission, if any
    inferred = " (inferred from the sample submission)" if roles.source == "inferred" else ""
    table = Table(show_header=False, title=spec.name)
    rows = {
        "id": spec.id,
        "kind": spec.kind,
        "metric": f"{spec.metric} ({'lower' if spec.is_lower_better else 'higher'} is better)",
        "id column": (roles.id_column or "?") + inferred if roles.source != "none" else "(not prepared yet)",
        "target columns": ", ".join(roles.target_columns) + inferred if roles.target_columns
        else ("(custom grader)" if spec.grader else ""),
        "rows": f"{spec.rows:,}" if spec.rows else "?",
        "source": spec.source or "",
        "tags": ", ".join(spec.tags),
        "splits": ", ".join(reg.splits_of(spec.id)),
        "limits": f"{spec.limits.time_limit_secs}s, {spec.limits.memory_gb} GB, {spec.limits.cpus} CPUs",
        "leaderboard": "none" if th is None else (
            f"{th.n_teams} entries; gold {th.gold:.6g}, silver {th.silver:.6g}, bronze {th.bronze:.6g}, median {th.median:.6g}"
        ),
        "folder": str(spec.directory),
    }
    for k, v in rows.items():
        table.add_row(k, v)
    console.print(table)
    console.print(Markdown(spec.description_path.read_text(encoding="utf-8")))


def _select(reg, tasks: list[str] | None, split: str | None, all_: bool, verb: str) -> list:  # noqa: ANN001
    selectors = list(tasks or []) + ([split] if split else []) + (["all"] if all_ else [])
    if not selectors:
        raise MedalistError(f"name tasks to {verb}, or use --split NAME or --all")
    specs = reg.resolve(selectors)
    warn_skipped(reg)
    return specs


@app.command()
def prepare(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids (or split names).")] = None,
    split: Annotated[Optional[str], typer.Option(help="Prepare every task in this split.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Prepare every task.")] = False,
    force: Annotated[bool, typer.Option(help="Re-prepare even if already prepared.")] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Prepare tasks into the data cache (public/ and private/), checksummed; prepared tasks are skipped."""
    import time

    from medalist.paths import data_dir
    from medalist.tasks import prepare_task, quick_check

    specs = _select(registry(tasks_dir), tasks, split, all_, "prepare")
    console.print(f"data dir: {data_dir()}")
    total = time.perf_counter()
    for spec in specs:
        start = time.perf_counter()
        pt = prepare_task(spec, force=force)
        problems = quick_check(pt)
        secs = time.perf_counter() - start
        if problems:
            raise MedalistError(f"{spec.id}: verification failed: {'; '.join(problems[:3])}")
        where = f"  prepared-only data in {pt.root}" if pt.external else ""
        n_public, n_private = (sum(1 for p in d.rglob("*") if p.is_file()) for d in (pt.public, pt.private))
        console.print(f"[green]ok[/] {spec.id:32s} {n_public} public, {n_private} private files  ({secs:.2f}s){where}")
    console.print(f"{len(specs)} task(s) ready in {time.perf_counter() - total:.1f}s")


@app.command()
def verify(
    tasks: Annotated[Optional[list[str]], typer.Argument(help="Task ids (or split names).")] = None,
    split: Annotated[Optional[str], typer.Option(help="Verify every task in this split.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Verify every prepared task.")] = False,
    update: Annotated[bool, typer.Option(
        help="Prepared-only MLE-bench data: re-record its checksums as the files are now (after `mlebench prepare`)."
    )] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Hash every prepared file and compare with the checksums taken when it was prepared (runs and grading
    only check sizes, modification times and the answers); exit 1 if anything changed."""
    import time

    from medalist.tasks import task_cache, verify_task

    specs = _select(registry(tasks_dir), tasks, split, all_, "verify")
    failed = 0
    for spec in specs:
        pt = task_cache(spec)
        if pt.external and not pt.is_prepared():
            from medalist.tasks import prepare_task

            prepare_task(spec)  # first use of prepared-only data: record it (their folder is not written)
        if not pt.is_prepared():
            if all_ or split:
                continue
            raise MedalistError(f"task {spec.id!r} is not prepared; run `medalist prepare {spec.id}`")
        if update and not pt.external:
            raise MedalistError(f"--update is for prepared-only MLE-bench data; re-prepare {spec.id!r} with `medalist prepare {spec.id} --force`")
        start = time.perf_counter()
        problems = verify_task(pt, update=update)
        secs = time.perf_counter() - start
        if problems:
            failed += 1
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            err_console.print(f"[red]changed[/] {spec.id}: {escape('; '.join(problems[:5]))}{more}", highlight=False, soft_wrap=True)
        else:
            console.print(f"[green]ok[/] {spec.id:32s} every file matches its checksum  ({secs:.2f}s)")
    if failed:
        raise typer.Exit(1)


def _print_report(rep) -> None:  # noqa: ANN001
    table = Table(show_header=False, title=f"{rep.competition_id}: {rep.metric}")
    for k, v in rep.model_dump().items():
        if v is not None and k not in ("created_at",):
            table.add_row(k, escape(str(v)))
    console.print(table)


@app.command("grade-sample")
def grade_sample(
    submission: Path,
    task_id: str,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    tasks_dir: TaskDirs = None,
) -> None:
    """Grade one submission CSV for one task and print its report."""
    from medalist.grading import grade_submission

    spec = registry(tasks_dir).get(task_id)
    rep = grade_submission(submission, spec)
    if json_out:
        print(rep.model_dump_json(indent=2))
    else:
        _print_report(rep)
    if not rep.valid_submission:
        err_console.print(f"[red]invalid submission:[/] {escape(_one_line(rep.error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@app.command()
def grade(
    submission: Annotated[Path, typer.Option(help="JSONL: one {competition_id|task_id, submission_path} per line.")],
    output_dir: Annotated[Path, typer.Option(help="Where reports and the summary are written.")],
    tasks_dir: TaskDirs = None,
) -> None:
    """Grade many submissions; writes per-task reports and a summary JSON."""
    from medalist.grading import grade_jsonl

    summary = grade_jsonl(submission, output_dir, registry(tasks_dir))
    table = Table(title="grading summary")
    for col in ("task", "score", "valid", "medal", "above median", "error"):
        table.add_column(col)
    for r in summary.competition_reports:
        medal = "gold" if r.gold_medal else "silver" if r.silver_medal else "bronze" if r.bronze_medal else "-"
        table.add_row(r.competition_id, "-" if r.score is None else f"{r.score:.6g}", str(r.valid_submission),
                      medal, str(r.above_median), escape(r.error or ""))
    console.print(table)
    console.print(
        f"{summary.total_runs} runs, {summary.total_valid_submissions} valid, {summary.total_medals} medals "
        f"({summary.total_gold_medals} gold, {summary.total_silver_medals} silver, {summary.total_bronze_medals} bronze), "
        f"{summary.total_above_median} above median; written to {output_dir}"
    )


@app.command("metrics")
def metrics_list() -> None:
    """List the named metrics and their direction."""
    from medalist.metrics import list_metrics

    table = Table(title="metrics")
    for col in ("name", "better", "predictions", "description"):
        table.add_column(col)
    for m in list_metrics():
        table.add_row(m.name, "lower" if m.is_lower_better else "higher", m.prediction, m.description)
    console.print(table)


def _register_optional_commands() -> None:
    """Attach commands that live in other packages (each module adds itself to ``app``)."""
    import importlib

    for mod in ("medalist.tasks.cli_leaderboard", "medalist.tasks.cli_audit", "medalist.runner.cli", "medalist.report.cli"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if not (exc.name and mod.startswith(exc.name)):
                raise


def main() -> None:
    """Console entry point: user mistakes print one line and exit 2, never a traceback."""
    _register_optional_commands()
    try:
        app()
    except MedalistError as exc:
        # escape: messages quote user text ('medalist[suite]', '[0, 1]') that rich would read as markup
        err_console.print(f"[red]error:[/] {escape(_one_line(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)


def _one_line(msg: object) -> str:
    return " ".join(str(msg).splitlines())


if __name__ == "__main__":
    main()
