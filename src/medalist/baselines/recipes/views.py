"""Feature views: the typed public columns (``base``), a task's expert feature engineering (``expert``),
and pixel views for image tasks (``pixels``, ``deskew``, ``hog``, ``deskew_hog``)."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from medalist.baselines.features import FeatureTypes, detect_feature_types, normalise_frame
from medalist.baselines.recipes.base import View
from medalist.baselines.recipes.image import as_images, deskew, gradient_histograms
from medalist.baselines.recipes.task import TaskData
from medalist.errors import MedalistError


def _typed(train: pd.DataFrame, test: pd.DataFrame, text: tuple[str, ...] = ()) -> View:
    detected = detect_feature_types(train)
    types = FeatureTypes(
        numeric=[c for c in detected.numeric if c not in text],
        categorical=[c for c in detected.categorical if c not in text],
        text=[*detected.text, *[c for c in text if c not in detected.text]],
        datetime=[c for c in detected.datetime if c not in text],
    )
    return View(normalise_frame(train, types), normalise_frame(test, types), types)


def _numeric_view(train: np.ndarray, test: np.ndarray, prefix: str) -> View:
    cols = [f"{prefix}{i}" for i in range(train.shape[1])]
    return View(pd.DataFrame(train, columns=cols), pd.DataFrame(test, columns=cols), FeatureTypes(numeric=cols))


def _pixels(task: TaskData) -> tuple[np.ndarray, np.ndarray]:
    X, Xt = task.public.X_train, task.public.X_test
    both = as_images(np.vstack([X.to_numpy(dtype=float), Xt.to_numpy(dtype=float)]))
    return both[: len(X)], both[len(X) :]


def build_view(name: str, task: TaskData) -> View:
    """The named view of a task's public features (memoised on the task)."""
    key = f"view:{name}"
    if key in task.cache:
        return cast(View, task.cache[key])  # only build_view stores under "view:" keys
    X, Xt = task.public.X_train, task.public.X_test
    if name == "base":
        view = View(normalise_frame(X, task.types), normalise_frame(Xt, task.types), task.types)
    elif name == "expert":
        from medalist.baselines.experts import expert_for

        expert = expert_for(task.spec.id)
        if expert is None or expert.features is None:
            raise MedalistError(f"task {task.spec.id!r} has no expert feature engineering")
        view = _typed(*expert.features(X.copy(), Xt.copy(), task), text=expert.text)
    elif name in ("pixels", "deskew", "hog", "deskew_hog"):
        tr, te = _pixels(task)
        if name.startswith("deskew"):
            tr, te = deskew(tr), deskew(te)
        if name.endswith("hog"):
            cell = max(2, tr.shape[1] // 7)
            flat = [np.hstack([gradient_histograms(a, cell), a.reshape(len(a), -1)]) for a in (tr, te)]
            view = _numeric_view(flat[0], flat[1], "h")
        else:
            view = _numeric_view(tr.reshape(len(tr), -1), te.reshape(len(te), -1), "p")
    else:
        raise MedalistError(f"unknown feature view {name!r}")
    task.cache[key] = view
    return view
