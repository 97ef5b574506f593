"""The ``medalist`` command line: a thin layer over the Python API (:mod:`medalist.api`).

Every command module is imported here, explicitly: importing one registers its commands on ``app``.
"""

from __future__ import annotations

# Importing a command module registers its commands; the order here is the order of `medalist --help`.
# isort: off
from medalist.cli import task_commands  # noqa: F401
from medalist.cli import grading_commands  # noqa: F401
from medalist.cli import leaderboard_commands  # noqa: F401
from medalist.cli import audit_command  # noqa: F401
from medalist.cli import run_command  # noqa: F401
from medalist.cli import report_commands  # noqa: F401

# isort: on
from medalist.cli.app import (
    TaskDirs,
    app,
    console,
    err_console,
    one_line,
    registry,
    run_app,
    select_tasks,
    warn_skipped,
)

__all__ = ["TaskDirs", "app", "console", "err_console", "main", "one_line", "registry", "select_tasks", "warn_skipped"]


def main() -> None:
    """Console entry point (``medalist``)."""
    run_app()


if __name__ == "__main__":
    main()
