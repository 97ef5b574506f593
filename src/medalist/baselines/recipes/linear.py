"""Linear, kernel and neighbour recipes on scaled one-hot (+ TF-IDF) matrices.

Families: ``logreg`` (``C``, ``class_weight``, ``penalty``: l2 or l1), ``ridge`` / ``enet`` (regression: ``alpha``,
``l1_ratio``, ``target``), ``linsvm`` (``C``; decision scores), ``svm`` (RBF, or ``kernel: poly`` with ``degree``: ``C``,
``gamma``; decision scores, or SVR values), ``knn`` (``k``, ``weights``), ``mlp`` (a multilayer perceptron:
``hidden``, ``alpha``; probabilities or values). Matrix options (see
:func:`~medalist.baselines.recipes.encode.linear_matrix`): ``numeric``, ``text``, ``text_only``.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from threadpoolctl import threadpool_limits

from medalist.baselines.recipes.base import PredKind, Preds, Recipe, View, class_proba, cross_fit, family
from medalist.baselines.recipes.encode import cached, linear_matrix
from medalist.baselines.recipes.gbm import _target, _untarget
from medalist.baselines.recipes.image import shift_augment
from medalist.baselines.recipes.task import TaskData

_MATRIX_KEYS = (
    "numeric",
    "knots",
    "max_categories",
    "min_frequency",
    "text",
    "text_only",
    "word_ngram",
    "char_ngram",
    "word_features",
    "char_features",
)


def matrices(recipe: Recipe, view: View, task: TaskData) -> tuple[Any, Any]:
    """The recipe's linear matrix, shared by every recipe with the same view and matrix options."""
    opts = {k: recipe.params[k] for k in _MATRIX_KEYS if k in recipe.params}
    key = f"lin:{recipe.view}:{json.dumps(opts, sort_keys=True, default=str)}"
    return cached(task.cache, key, lambda: linear_matrix(view, opts))


def _scores(model: Any, X: Any) -> np.ndarray:
    d = model.decision_function(X)
    return d.reshape(len(d), -1) if d.ndim == 1 else d


def _fit(recipe: Recipe, view: View, task: TaskData, make: Any, kind: PredKind) -> Preds:
    """Cross-fit ``make()``: class probabilities, decision scores or (per target) regression values."""
    xtr, xte = matrices(recipe, view, task)
    p = recipe.params

    def train_rows(tr: np.ndarray) -> tuple[Any, np.ndarray]:
        if p.get("augment") == "shift":  # pixel views only: shifted copies of the training fold
            return shift_augment(np.asarray(xtr[tr]), task.y[tr])
        return xtr[tr], task.y[tr]

    def fit_fold(tr: np.ndarray, va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "proba":
                m = make().fit(*train_rows(tr))
                return class_proba(m, xtr[va], task.n_classes), class_proba(m, xte, task.n_classes)
            if kind == "score":
                m = make().fit(*train_rows(tr))
                return _scores(m, xtr[va]), _scores(m, xte)
            ys = _target(task.y_float, p)
            va_out, te_out = [], []
            for j in range(ys.shape[1]):
                m = make().fit(xtr[tr], ys[tr, j])
                va_out.append(_untarget(m.predict(xtr[va]), p))
                te_out.append(_untarget(m.predict(xte), p))
            return np.column_stack(va_out), np.column_stack(te_out)

    return cross_fit(task, fit_fold, kind)


@family("logreg")
def fit_logreg(recipe: Recipe, view: View, task: TaskData) -> Preds:
    p = recipe.params
    l1 = p.get("penalty") == "l1"  # sparse: selects features, as on wide noisy data
    return _fit(
        recipe,
        view,
        task,
        lambda: LogisticRegression(
            C=float(p.get("C", 1.0)),
            max_iter=int(p.get("max_iter", 3000)),
            class_weight=p.get("class_weight"),
            penalty="l1" if l1 else "l2",
            solver="liblinear" if l1 else "lbfgs",
        ),
        "proba",
    )


@family("ridge")
def fit_ridge(recipe: Recipe, view: View, task: TaskData) -> Preds:
    a = float(recipe.params.get("alpha", 1.0))
    return _fit(recipe, view, task, lambda: Ridge(alpha=a), "value")


@family("enet")
def fit_enet(recipe: Recipe, view: View, task: TaskData) -> Preds:
    p = recipe.params
    return _fit(
        recipe,
        view,
        task,
        lambda: ElasticNet(
            alpha=float(p.get("alpha", 1e-3)),
            l1_ratio=float(p.get("l1_ratio", 0.5)),
            max_iter=20000,
            random_state=recipe.seed,
        ),
        "value",
    )


@family("linsvm")
def fit_linsvm(recipe: Recipe, view: View, task: TaskData) -> Preds:
    c = float(recipe.params.get("C", 0.5))
    return _fit(recipe, view, task, lambda: LinearSVC(C=c, max_iter=20000, random_state=recipe.seed), "score")


@family("svm")
def fit_svm(recipe: Recipe, view: View, task: TaskData) -> Preds:
    p = recipe.params
    gamma = p.get("gamma", "scale")
    kernel = {"kernel": str(p.get("kernel", "rbf")), "degree": int(p.get("degree", 3))}
    if task.is_classification:
        return _fit(
            recipe,
            view,
            task,
            lambda: SVC(
                C=float(p.get("C", 1.0)),
                gamma=gamma,
                **kernel,
                decision_function_shape="ovr",
                cache_size=500,
                random_state=recipe.seed,
            ),
            "score",
        )
    return _fit(
        recipe,
        view,
        task,
        lambda: TransformedTargetRegressor(
            SVR(C=float(p.get("C", 1.0)), gamma=gamma, epsilon=float(p.get("epsilon", 0.1)), cache_size=500, **kernel),
            transformer=StandardScaler(),
        ),
        "value",
    )


@family("knn")
def fit_knn(recipe: Recipe, view: View, task: TaskData) -> Preds:
    p = recipe.params
    k, w = int(p.get("k", 15)), p.get("weights", "distance")
    if task.is_classification:
        return _fit(recipe, view, task, lambda: KNeighborsClassifier(n_neighbors=k, weights=w), "proba")
    return _fit(recipe, view, task, lambda: KNeighborsRegressor(n_neighbors=k, weights=w), "value")


@family("mlp")
def fit_mlp(recipe: Recipe, view: View, task: TaskData) -> Preds:
    """A ReLU perceptron trained with Adam for ``max_iter`` epochs (``early_stopping``: stop on a tenth of
    each training fold instead, for large tasks; on small ones that tenth is too noisy)."""
    p = recipe.params
    hidden = tuple(int(h) for h in p.get("hidden", (256,)))
    opts: dict[str, Any] = {
        "hidden_layer_sizes": hidden,
        "alpha": float(p.get("alpha", 1e-3)),
        "max_iter": int(p.get("max_iter", 300)),
        "early_stopping": bool(p.get("early_stopping", False)),
        "n_iter_no_change": 15,
        "random_state": recipe.seed,
    }
    if task.is_classification:
        return _fit(recipe, view, task, lambda: MLPClassifier(**opts), "proba")
    return _fit(
        recipe,
        view,
        task,
        lambda: TransformedTargetRegressor(MLPRegressor(**opts), transformer=StandardScaler()),
        "value",
    )
