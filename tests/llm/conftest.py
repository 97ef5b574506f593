from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before any test imports litellm

from fake_openai import FakeOpenAI  # noqa: E402


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def bwrap():  # noqa: ANN201
    """The real bwrap backend (or a skip saying why it cannot run here)."""
    from run_helpers import skip_without_bwrap
    from medalist.sandbox import BwrapSandbox

    skip_without_bwrap()
    return BwrapSandbox.create()
