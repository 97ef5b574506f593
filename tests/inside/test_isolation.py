"""In-sandbox programs load no harness module (issue 11): a run's agent imports what it runs, not the
runner, the sandbox or the LLM gateway that the host uses to start it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ENTRY_POINTS = [
    "medalist.inside.dummy",
    "medalist.inside.automl",
    "medalist.inside.aide.main",
    "medalist.inside.research.main",
    "medalist.inside.adapters.aideml_run",
    "medalist.inside.adapters.plexe_run",
    "medalist.inside.adapters.openhands_run",
    "medalist.inside.forwarder",
]
BASE = {"medalist", "medalist.errors", "medalist.fsutil", "medalist.configfile"}
"""The bottom layer: standard-library helpers (errors, atomic writes, YAML option parsing)."""
HARNESS = ("agents", "runner", "sandbox", "llm", "report", "cli", "api", "baselines")


def _loaded(module: str) -> list[str]:
    code = (
        "import importlib, json, sys; importlib.import_module(sys.argv[1]); "
        "print(json.dumps(sorted(m for m in sys.modules if m == 'medalist' or m.startswith('medalist.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_entry_point_imports_only_inside_modules(module: str) -> None:
    host = [m for m in _loaded(module) if not m.startswith("medalist.inside") and m not in BASE]
    assert host == [], f"{module} loads harness modules"


def test_validate_submission_loads_the_graders_checks_and_nothing_of_the_harness() -> None:
    """``validate_submission`` runs the grader's own format checks (so "valid" means valid when graded),
    hence grading and the task layer; never the runner, sandbox, agents or LLM gateway."""
    loaded = _loaded("medalist.inside.validate")
    assert "medalist.grading.validate" in loaded
    assert [m for m in loaded if m.split(".")[1:2] and any(m.startswith(f"medalist.{h}") for h in HARNESS)] == []


def test_the_check_sees_a_harness_import() -> None:
    """Control: importing a host module is reported (else the tests above could pass blind)."""
    assert "medalist.runner.models" in _loaded("medalist.runner.models")
