"""The code passes the project's lint, format check (ruff) and type check (mypy), configured in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")
CODE = ["src", "tests", "benchmarks", "scripts"]


def _ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert RUFF.is_file(), f"{RUFF} missing: install the dev extra (bash scripts/setup.sh)"
    return subprocess.run([str(RUFF), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_check_is_clean() -> None:
    done = _ruff("check", *CODE)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_ruff_format_is_clean() -> None:
    done = _ruff("format", "--check", *CODE)
    assert done.returncode == 0, "run `.venv/bin/ruff format src tests benchmarks scripts`:\n" + done.stdout[-4000:]


def test_ruff_flags_an_unused_import_and_a_stale_noqa(tmp_path: Path) -> None:
    """Control: the configured rules catch real defects (else the test above could pass blind)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx = 1  # noqa: E501\n")
    done = _ruff("check", "--config", str(ROOT / "pyproject.toml"), str(bad), cwd=tmp_path)
    assert done.returncode == 1 and "F401" in done.stdout and "RUF100" in done.stdout


def test_ruff_format_flags_unformatted_code(tmp_path: Path) -> None:
    """Control: the format check fails on code that is not formatted."""
    bad = tmp_path / "bad.py"
    bad.write_text("x = {  'a':1 }\n")
    done = _ruff("format", "--check", "--config", str(ROOT / "pyproject.toml"), str(bad), cwd=tmp_path)
    assert done.returncode == 1


MYPY = Path(sys.executable).with_name("mypy")


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert MYPY.is_file(), f"{MYPY} missing: install the dev extra (bash scripts/setup.sh)"
    return subprocess.run([str(MYPY), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_mypy_is_clean() -> None:
    """The package type-checks under the [tool.mypy] configuration in pyproject.toml (files, exclude, overrides)."""
    done = _mypy()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_mypy_flags_a_type_error(tmp_path: Path) -> None:
    """Control: mypy with the project's configuration reports a real type error (else the test above could pass blind)."""
    bad = tmp_path / "bad.py"
    bad.write_text('x: int = "a"\n')
    done = _mypy("--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", str(bad), cwd=tmp_path)
    assert done.returncode == 1 and "[assignment]" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
