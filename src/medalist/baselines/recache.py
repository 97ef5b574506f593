"""An optional on-disk cache of fitted recipes, for iterating on blends without refitting the zoo.

Keyed by the recipe (name and parameters) and the SHA-256 of the task's public train and test
files, so a change in preparation or in a recipe's parameters misses the cache. A change in a recipe
family's code does not: clear the cache after editing recipe code. Final builds run without it.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

import numpy as np

from medalist.baselines.recipes import Preds, Recipe
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
            return Preds(oof=z["oof"], test=z["test"], kind=str(z["kind"]), seconds=float(z["seconds"]))  # type: ignore[arg-type]

    def put(self, recipe: Recipe, preds: Preds) -> None:
        import io

        buf = io.BytesIO()
        np.savez(buf, oof=preds.oof, test=preds.test, kind=np.array(preds.kind), seconds=np.array(preds.seconds))
        atomic_write_bytes(self._path(recipe), buf.getvalue())
