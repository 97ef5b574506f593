"""Preparing a task from a dataset package prints nothing of that package's own (issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BANNER = "no display found"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(extra)
    return env


def _python(code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=_env(**extra), check=True
    )


def test_dmba_prints_its_banner_when_imported_plainly() -> None:
    """The control: without it the next test could pass because dmba stopped printing."""
    assert BANNER in _python("import dmba").stdout


def test_import_dataset_package_keeps_the_banner_off_stdout() -> None:
    out = _python(
        "from medalist.tasks.dataset_packages import import_dataset_package\n"
        "print(import_dataset_package('dmba').load_data.__name__)"
    ).stdout
    assert out == "load_data\n"


def test_preparing_a_dmba_task_prints_no_banner(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("medalist")
    done = subprocess.run(
        [str(cli), "prepare", "spambase"],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(MEDALIST_DATA_DIR=str(tmp_path / "data"), COLUMNS="200"),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "data" / "spambase").is_dir()
    assert BANNER not in done.stdout + done.stderr
