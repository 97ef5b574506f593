"""Recipes: named, plain-data descriptions of one model trained with the task's shared K-fold.

A :class:`Recipe` names a family (a registered fit function), its parameters, the feature view it
reads and a seed. Fitting it yields :class:`Preds`: out-of-fold predictions for every training row
(what blends, stacks and decision rules are tuned on) and test predictions (the mean of the fold
models). Classification recipes predict class probabilities ``(n, classes)``; ordinal recipes may
predict one score column (``kind="score"``); regression recipes predict ``(n, targets)`` values.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from medalist.baselines.features import FeatureTypes
from medalist.baselines.models import short_value
from medalist.baselines.recipes.task import TaskData
from medalist.errors import MedalistError

PredKind = Literal["proba", "score", "value"]


@dataclass(frozen=True)
class View:
    """Model-ready training and test features (same columns) and their typing."""

    train: pd.DataFrame
    test: pd.DataFrame
    types: FeatureTypes


@dataclass
class Preds:
    """Out-of-fold and test predictions of one recipe (or blend), plus what they cost."""

    oof: np.ndarray
    test: np.ndarray
    kind: PredKind
    seconds: float


@dataclass(frozen=True)
class Recipe:
    """One reference model: family, parameters, feature view and seed (plain data, listed in provenance)."""

    family: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    view: str = "base"
    seed: int = 0
    label: str = ""

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        ps = ",".join(f"{k}={short_value(v)}" for k, v in sorted(self.params.items()))
        return f"{self.family}({ps})@{self.view}#{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "params": json.loads(json.dumps(self.params, default=str)),
            "view": self.view,
            "seed": self.seed,
        }


FitFn = Callable[[Recipe, View, TaskData], Preds]
_FAMILIES: dict[str, FitFn] = {}


def family(name: str) -> Callable[[FitFn], FitFn]:
    """Register a recipe family's fit function under ``name``."""

    def deco(fn: FitFn) -> FitFn:
        if name in _FAMILIES:
            raise ValueError(f"recipe family {name!r} registered twice")
        _FAMILIES[name] = fn
        return fn

    return deco


def fit_function(name: str) -> FitFn:
    try:
        return _FAMILIES[name]
    except KeyError:
        raise MedalistError(f"unknown recipe family {name!r} (known: {', '.join(sorted(_FAMILIES))})") from None


FoldFit = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``fit_fold(train_rows, valid_rows) -> (valid predictions, test predictions)``."""


def cross_fit(task: TaskData, fit_fold: FoldFit, kind: PredKind) -> Preds:
    """Run ``fit_fold`` on every shared fold: out-of-fold predictions and the fold-mean test prediction."""
    start = time.perf_counter()
    oof: np.ndarray | None = None
    tests = []
    for tr, va in task.folds:
        pva, pte = fit_fold(tr, va)
        pva = np.asarray(pva, dtype=float).reshape(len(va), -1)
        if oof is None:
            oof = np.zeros((task.n_train, pva.shape[1]))
        oof[va] = pva
        tests.append(np.asarray(pte, dtype=float).reshape(len(task.public.X_test), -1))
    assert oof is not None
    return Preds(oof=oof, test=np.mean(tests, axis=0), kind=kind, seconds=time.perf_counter() - start)


def class_proba(model: Any, X: Any, n_classes: int) -> np.ndarray:
    """``predict_proba`` laid out over all classes (a fold may miss a rare class)."""
    p = model.predict_proba(X)
    out = np.zeros((p.shape[0], n_classes))
    out[:, np.asarray(model.classes_, dtype=int)] = p
    return out
