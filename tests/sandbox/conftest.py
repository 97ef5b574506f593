"""Fixtures for sandbox tests: a bwrap backend (or a skip saying why)."""

from __future__ import annotations

import pytest

from medalist.sandbox import BwrapSandbox
from run_helpers import skip_without_bwrap


@pytest.fixture(scope="session")
def bwrap() -> BwrapSandbox:
    """The real bwrap backend; skips (with the reason) where bubblewrap, root or the user is missing."""
    skip_without_bwrap()
    return BwrapSandbox.create()
