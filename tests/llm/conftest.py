from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before any test imports litellm

from fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def bwrap():
    """The real bwrap backend (or a skip saying why it cannot run here)."""
    from medalist.sandbox import BwrapSandbox
    from run_helpers import skip_without_bwrap

    skip_without_bwrap()
    return BwrapSandbox.create()


@pytest.fixture
def openhands_venv() -> Path:
    """OpenHands' venv (scripts/setup_openhands.sh) and a usable bwrap sandbox, or a skip saying why
    (a failure in CI, which installs it with setup.sh --test)."""
    from medalist.agents.adapters import OPENHANDS
    from run_helpers import skip_without_bwrap

    venv = OPENHANDS.venv(None)
    if not (venv / ".medalist-openhands-installed").is_file():
        msg = f"OpenHands not installed in {venv}: run bash scripts/setup_openhands.sh"
        if os.environ.get("MEDALIST_REQUIRE_LOCAL_LLM"):
            pytest.fail(msg)
        pytest.skip(msg)
    skip_without_bwrap()
    return venv
