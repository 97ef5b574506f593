"""The code passes the project's lint (ruff, configured in pyproject.toml: pyflakes errors, syntax, import order)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def test_ruff_check_is_clean() -> None:
    assert RUFF.is_file(), f"{RUFF} missing: install the dev extra (bash scripts/setup.sh)"
    done = subprocess.run([str(RUFF), "check", "src", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_ruff_flags_an_unused_import(tmp_path: Path) -> None:
    """Control: the configured rules catch a real defect (else the test above could pass blind)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    done = subprocess.run([str(RUFF), "check", "--config", str(ROOT / "pyproject.toml"), str(bad)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "F401" in done.stdout
