"""The root ``medalist`` app, its consoles and global options, and helpers every command module shares."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

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
        typer.Option(
            "--mlebench-dir",
            envvar="MEDALIST_MLEBENCH_DIR",
            show_envvar=True,
            help="Also load competitions from this MLE-bench checkout (see docs/interop.md).",
        ),
    ] = None,
    mlagentbench_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--mlagentbench-dir",
            envvar="MEDALIST_MLAGENTBENCH_DIR",
            show_envvar=True,
            help="Also load tasks from this MLAgentBench benchmarks/ folder (see docs/interop.md).",
        ),
    ] = None,
    mlebench_data_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--mlebench-data-dir",
            envvar="MEDALIST_MLEBENCH_DATA_DIR",
            show_envvar=True,
            help="MLE-bench data dir holding <id>/prepared/{public,private}: used in place, read-only, "
            "without raw/ (see docs/interop.md).",
        ),
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


def registry(tasks_dir: list[Path] | None = None):
    from medalist.tasks import TaskRegistry

    return TaskRegistry.default(extra_roots=tasks_dir)


def warn_skipped(reg) -> None:
    """Say which unavailable tasks a split left out, and why (one line each)."""
    for u in reg.skipped.values():
        err_console.print(f"[yellow]skipped:[/] {escape(u.message)}", highlight=False, soft_wrap=True)


def select_tasks(reg, tasks: list[str] | None, split: str | None, all_: bool, verb: str) -> list:
    """The tasks a command names by id, ``--split`` or ``--all`` (an error when it names none)."""
    selectors = list(tasks or []) + ([split] if split else []) + (["all"] if all_ else [])
    if not selectors:
        raise MedalistError(f"name tasks to {verb}, or use --split NAME or --all")
    specs = reg.resolve(selectors)
    warn_skipped(reg)
    return specs


def one_line(msg: object) -> str:
    """A message on one line (errors are printed as one line, never a traceback)."""
    return " ".join(str(msg).splitlines())


def handle_sigterm_as_ctrl_c() -> None:
    """From now on SIGTERM (a scheduler's stop, ``timeout``, ``docker stop``) raises KeyboardInterrupt in
    this process, so what Ctrl-C cleans up (running sandboxes) is cleaned up either way. A forked helper
    (a multiprocessing pool's worker, which the pool stops with SIGTERM) inherits the handler and dies as
    it would have without it."""
    owner = os.getpid()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)


def run_app() -> None:
    """Run the app: user mistakes print one line and exit 2, never a traceback; SIGTERM is Ctrl-C."""
    handle_sigterm_as_ctrl_c()
    try:
        app()
    except MedalistError as exc:
        # escape: messages quote user text ('medalist[suite]', '[0, 1]') that rich would read as markup
        err_console.print(f"[red]error:[/] {escape(one_line(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
