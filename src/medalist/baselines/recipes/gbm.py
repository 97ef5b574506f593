"""Gradient boosting recipes: LightGBM with early stopping on the validation fold, sklearn HistGB.

Parameters (all optional): ``lr``, ``leaves``, ``min_child``, ``colsample``, ``subsample``,
``l2``, ``l1``, ``max_bin``, ``objective`` (regression: ``l2``/``l1``/``huber``), ``target``
(``log`` trains on log1p of a non-negative target), ``ordinal`` (classification scored as one
regression on the class index, for ordinal metrics), ``class_weight``, ``extra_trees``, ``keep_lr``
(multi-class: keep ``lr`` instead of raising it to the multi-class floor; for tasks with a few classes).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from medalist.baselines.recipes.base import PredKind, Preds, Recipe, View, class_proba, cross_fit, family
from medalist.baselines.recipes.encode import cached, ordinal_matrix, tree_matrix
from medalist.baselines.recipes.task import TaskData

MAX_ROUNDS = 5000
EARLY_STOP = 100
MULTICLASS_TREES = 12_000
"""Multi-class boosting grows a tree per class per round: rounds are capped at this many trees in
total and the learning rate raised to at least 0.08, keeping 10- and 26-class tasks affordable."""


def _lgbm_kwargs(p: dict[str, Any], seed: int) -> dict[str, Any]:
    sub = float(p.get("subsample", 0.8))
    return dict(
        n_estimators=int(p.get("rounds", MAX_ROUNDS)),
        learning_rate=float(p.get("lr", 0.05)),
        num_leaves=int(p.get("leaves", 31)),
        min_child_samples=int(p.get("min_child", 20)),
        colsample_bytree=float(p.get("colsample", 0.8)),
        subsample=sub,
        subsample_freq=1 if sub < 1 else 0,
        reg_lambda=float(p.get("l2", 1.0)),
        reg_alpha=float(p.get("l1", 0.0)),
        max_bin=int(p.get("max_bin", 255)),
        extra_trees=bool(p.get("extra_trees", False)),
        min_split_gain=float(p.get("min_gain", 0.0)),
        max_depth=int(p.get("max_depth", -1)),
        cat_smooth=float(p.get("cat_smooth", 10.0)),
        random_state=seed,
        n_jobs=1,
        verbose=-1,
        deterministic=True,
        force_row_wise=True,
    )


def _target(y: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return np.log1p(np.clip(y, 0, None)) if p.get("target") == "log" else y


def _untarget(y: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    return np.expm1(y) if p.get("target") == "log" else y


@family("lgbm")
def fit_lgbm(recipe: Recipe, view: View, task: TaskData) -> Preds:
    import lightgbm as lgb

    p = recipe.params
    xtr, xte, _ = cached(task.cache, f"tree:{recipe.view}", lambda: tree_matrix(view))
    kw = _lgbm_kwargs(p, recipe.seed)
    ordinal = bool(p.get("ordinal")) and task.is_classification
    if task.is_classification and not ordinal and task.n_classes > 2:
        kw["n_estimators"] = min(kw["n_estimators"], MULTICLASS_TREES // task.n_classes)
        if not p.get("keep_lr"):
            kw["learning_rate"] = max(kw["learning_rate"], 0.08)
    stop: list[Callable[..., Any]] = [
        lgb.early_stopping(int(p.get("patience", EARLY_STOP if kw["n_estimators"] > 1000 else 50)), verbose=False)
    ]

    def fit_fold(tr: np.ndarray, va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if task.is_classification and not ordinal:
                m = lgb.LGBMClassifier(**kw, class_weight=p.get("class_weight"))
                m.fit(xtr.iloc[tr], task.y[tr], eval_set=[(xtr.iloc[va], task.y[va])], callbacks=stop)
                return class_proba(m, xtr.iloc[va], task.n_classes), class_proba(m, xte, task.n_classes)
            ys = task.y.astype(float).reshape(len(task.y), -1)
            outs_va, outs_te = [], []
            for j in range(ys.shape[1]):
                y = _target(ys[:, j], p)
                m = lgb.LGBMRegressor(**kw, objective=_objective(p))
                m.fit(xtr.iloc[tr], y[tr], eval_set=[(xtr.iloc[va], y[va])], callbacks=stop)
                outs_va.append(_untarget(np.asarray(m.predict(xtr.iloc[va])), p))
                outs_te.append(_untarget(np.asarray(m.predict(xte)), p))
            return np.column_stack(outs_va), np.column_stack(outs_te)

    kind: PredKind = "proba" if task.is_classification and not ordinal else ("score" if ordinal else "value")
    return cross_fit(task, fit_fold, kind)


def _objective(p: dict[str, Any]) -> str:
    return {"l2": "regression", "l1": "regression_l1", "huber": "huber"}.get(p.get("objective", "l2"), "regression")


@family("hgb")
def fit_hgb(recipe: Recipe, view: View, task: TaskData) -> Preds:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    p = recipe.params
    xtr, xte = cached(task.cache, f"ord:{recipe.view}", lambda: ordinal_matrix(view))
    kw = dict(
        max_iter=int(p.get("rounds", 1000)),
        learning_rate=float(p.get("lr", 0.06)),
        max_leaf_nodes=int(p.get("leaves", 31)),
        l2_regularization=float(p.get("l2", 1.0)),
        min_samples_leaf=int(p.get("min_child", 20)),
        early_stopping=True,
        validation_fraction=0.12,
        n_iter_no_change=30,
        random_state=recipe.seed,
    )

    def fit_fold(tr: np.ndarray, va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if task.is_classification:
                m = HistGradientBoostingClassifier(**kw, class_weight=p.get("class_weight")).fit(xtr[tr], task.y[tr])
                return class_proba(m, xtr[va], task.n_classes), class_proba(m, xte, task.n_classes)
            ys = task.y_float
            va_out, te_out = [], []
            for j in range(ys.shape[1]):
                m = HistGradientBoostingRegressor(
                    **kw, loss="absolute_error" if p.get("objective") == "l1" else "squared_error"
                )
                m.fit(xtr[tr], _target(ys[tr, j], p))
                va_out.append(_untarget(m.predict(xtr[va]), p))
                te_out.append(_untarget(m.predict(xte), p))
            return np.column_stack(va_out), np.column_stack(te_out)

    return cross_fit(task, fit_fold, "proba" if task.is_classification else "value")
