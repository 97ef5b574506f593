"""An optional on-disk cache of fitted recipes and crowd members, for iterating on blends and on the
population's composition without refitting the zoo or the crowd.

Keyed by the recipe (name and parameters) or the crowd member's configuration, and the SHA-256 of
the task's public train and test files, so a change in preparation or in parameters misses the
cache. A change in a recipe family's code does not: clear the cache after editing recipe code.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from medalist.baselines.recipes import Preds, Recipe
from medalist.baselines.recipes.base import PredKind
from medalist.fsutil import atomic_write_bytes
from medalist.tasks.prepare import PreparedTask


class RecipeCache:
    """Fitted :class:`Preds` per recipe under ``root/<task id>/``."""

    def __init__(self, root: Path, pt: PreparedTask) -> None:
        m = pt.manifest()
        self.data_key = json.dumps({k: m.public.get(k) for k in ("train.csv", "test.csv")}, sort_keys=True)
        self.folder = Path(root) / pt.spec.id

    def _path(self, recipe: Recipe) -> Path:
        key = json.dumps([self.data_key, recipe.to_dict(), self._view_code(recipe)], sort_keys=True, default=str)
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".npz")

    def _view_code(self, recipe: Recipe) -> str:
        """The expert feature code behind an ``expert`` view (so editing it misses the cache)."""
        if recipe.view != "expert":
            return ""
        from medalist.baselines.experts import expert_for

        expert = expert_for(self.folder.name)
        return inspect.getsource(expert.features) if expert and expert.features else ""

    def get(self, recipe: Recipe) -> Preds | None:
        path = self._path(recipe)
        if not path.is_file():
            return None
        with np.load(path) as z:
            kind = cast(PredKind, str(z["kind"]))  # written by put() from a Preds
            return Preds(oof=z["oof"], test=z["test"], kind=kind, seconds=float(z["seconds"]))

    def _member_path(self, config: dict[str, Any]) -> Path:
        key = json.dumps([self.data_key, "crowd", config], sort_keys=True, default=str)
        return self.folder / "crowd" / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".csv")

    def get_member(self, config: dict[str, Any], id_column: str) -> tuple[pd.DataFrame, float] | None:
        """A crowd member's cached submission and fit seconds (the seconds are the CSV's first line)."""
        path = self._member_path(config)
        if not path.is_file():
            return None
        text = path.read_text(encoding="utf-8")
        head, body = text.split("\n", 1)
        return pd.read_csv(io.StringIO(body), dtype={id_column: str}, low_memory=False), float(head)

    def put_member(self, config: dict[str, Any], submission: pd.DataFrame, seconds: float, float_format: str) -> None:
        body = submission.to_csv(index=False, lineterminator="\n", float_format=float_format)
        atomic_write_bytes(self._member_path(config), f"{seconds!r}\n{body}".encode())

    def put(self, recipe: Recipe, preds: Preds) -> None:
        buf = io.BytesIO()
        np.savez(buf, oof=preds.oof, test=preds.test, kind=np.array(preds.kind), seconds=np.array(preds.seconds))
        atomic_write_bytes(self._path(recipe), buf.getvalue())
