"""Bagged tree recipes: random forests and extra trees (``trees``, ``max_features``, ``min_leaf``, ``target``)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
from threadpoolctl import threadpool_limits

from medalist.baselines.recipes.base import Preds, Recipe, View, class_proba, cross_fit, family
from medalist.baselines.recipes.encode import cached, ordinal_matrix
from medalist.baselines.recipes.gbm import _target, _untarget
from medalist.baselines.recipes.task import TaskData


def _fit_forest(recipe: Recipe, view: View, task: TaskData, extra: bool) -> Preds:
    p = recipe.params
    xtr, xte = cached(task.cache, f"ord:{recipe.view}", lambda: ordinal_matrix(view))
    cls = (
        (ExtraTreesClassifier if extra else RandomForestClassifier)
        if task.is_classification
        else (ExtraTreesRegressor if extra else RandomForestRegressor)
    )
    mf = p.get("max_features", "sqrt" if task.is_classification else 0.5)
    kw = dict(
        n_estimators=int(p.get("trees", 300)),
        max_features=mf,
        min_samples_leaf=int(p.get("min_leaf", 1)),
        max_samples=p.get("max_samples"),
        bootstrap=bool(p.get("bootstrap", not extra)) or p.get("max_samples") is not None,
        n_jobs=1,
        random_state=recipe.seed,
    )
    if task.is_classification:
        kw["class_weight"] = p.get("class_weight")

    def fit_fold(tr: np.ndarray, va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if task.is_classification:
                m = cls(**kw).fit(xtr[tr], task.y[tr])
                return class_proba(m, xtr[va], task.n_classes), class_proba(m, xte, task.n_classes)
            y = _target(task.y_float, p)
            m = cls(**kw).fit(xtr[tr], y[tr] if y.shape[1] > 1 else y[tr, 0])
            return _untarget(m.predict(xtr[va]), p), _untarget(m.predict(xte), p)

    return cross_fit(task, fit_fold, "proba" if task.is_classification else "value")


@family("rf")
def fit_rf(recipe: Recipe, view: View, task: TaskData) -> Preds:
    return _fit_forest(recipe, view, task, extra=False)


@family("et")
def fit_et(recipe: Recipe, view: View, task: TaskData) -> Preds:
    return _fit_forest(recipe, view, task, extra=True)
