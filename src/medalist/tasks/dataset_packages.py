"""Dataset packages the built-in tasks load from, imported only while preparing and without their banners."""

from __future__ import annotations

import contextlib
import importlib
import io
from types import ModuleType


def import_dataset_package(name: str) -> ModuleType:
    """Import the dataset package ``name`` with anything it prints at import time kept off stdout.

    dmba prints "no display found. Using non-interactive Agg backend" when imported without a display,
    which would land in the middle of `medalist run`'s output whenever a task is prepared.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        return importlib.import_module(name)
