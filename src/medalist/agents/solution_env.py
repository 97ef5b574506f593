"""The solution environment (host side): the venv that scripts written by LLM agents run with.

It is separate from the harness's venv (torch, xgboost, catboost, ... without touching medalist's own
dependencies), installed by ``scripts/setup_solution_env.sh`` and bound read-only into the sandbox at its
host path. Dataset files that ship inside its packages (scikit-learn's bundled datasets) are hidden the
same way as in every bound tree (:mod:`medalist.tasks.hidden`): with them an agent could rebuild the
answers of tasks built from those datasets. Its mounts cover the floor themselves; the runner adds what
the reachability scan finds in it (e.g. scikit-learn's OpenML test fixtures). Inside, agents find its python in ``MEDALIST_SOLUTION_PYTHON``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from medalist.errors import ConfigError
from medalist.sandbox.base import Mount
from medalist.sandbox.masks import empty_dir
from medalist.tasks.hidden import floor_in

VENV_ENV = "MEDALIST_SOLUTION_VENV"
PYTHON_ENV = "MEDALIST_SOLUTION_PYTHON"
"""Inside the sandbox: the interpreter solution scripts run with."""
SETUP_HINT = "bash scripts/setup_solution_env.sh"


def default_venv() -> Path:
    """``MEDALIST_SOLUTION_VENV``, else ``.venv-solution`` beside the harness venv (setup's layout)."""
    raw = os.environ.get(VENV_ENV)
    if raw:
        return Path(raw).expanduser().resolve()
    import sys

    return Path(sys.prefix).resolve().parent / ".venv-solution"


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@dataclass
class SolutionEnv:
    """Which python solution scripts get, the mounts that make it visible, and why (for the log)."""

    python: str
    venv: Path | None = None
    note: str = ""
    mounts: list[Mount] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {PYTHON_ENV: self.python}


def solution_mounts(venv: Path) -> list[Mount]:
    """The venv read-only at its own path (its scripts' shebangs and pyvenv.cfg stay valid), with the
    packaged dataset data covered by an empty folder (or /dev/null for a file)."""
    mounts = [Mount(source=venv, target=str(venv))]
    for path in floor_in(venv):
        mounts.append(Mount(source=empty_dir() if path.is_dir() else Path("/dev/null"), target=str(path)))
    return mounts


def resolve(setting: str, harness_python: str) -> SolutionEnv:
    """The solution environment for an agent option value: ``auto``, ``harness`` or a venv folder.

    ``auto`` falls back to the harness's python (with a note) when the solution venv is not installed;
    a named venv that does not exist is a ConfigError.
    """
    if setting == "harness":
        return SolutionEnv(python=harness_python, note="solution scripts run with the harness's python")
    if setting == "auto":
        venv = default_venv()
        if not venv_python(venv).is_file():
            return SolutionEnv(
                python=harness_python,
                note=f"no solution environment at {venv} ({SETUP_HINT} installs it): solution "
                "scripts run with the harness's python (no torch, xgboost or catboost)",
            )
    else:
        venv = Path(setting).expanduser().resolve()
        if not venv_python(venv).is_file():
            raise ConfigError(f"solution_env {setting!r}: no venv there ({venv_python(venv)} is missing)")
    return SolutionEnv(python=str(venv_python(venv)), venv=venv, mounts=solution_mounts(venv))
