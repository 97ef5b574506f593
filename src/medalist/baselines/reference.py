"""Train one configured model on public data and produce a submission frame.

This is the single place where a :class:`ModelConfig` meets data: column typing, feature choice,
row sampling, fitting (single-threaded, so results are reproducible bit for bit) and prediction.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from medalist.baselines.data import Problem, PublicData, problem_for
from medalist.baselines.features import FeatureTypes, detect_feature_types, model_columns, normalise_frame
from medalist.baselines.models import KNN_MAX_TRAIN_ROWS, ModelConfig, build_model
from medalist.baselines.submission import make_submission
from medalist.tasks.spec import TaskSpec

MIN_TRAIN_ROWS = 30


def select_features(types: FeatureTypes, config: ModelConfig) -> FeatureTypes:
    """Apply the config's feature choice: all columns, numeric/date only, or a seeded random subset."""
    if config.features == "all":
        return types
    if config.features == "numeric":
        chosen = types.numeric + types.datetime
        return types.subset(chosen) if chosen else types
    frac = float(config.features.split(":", 1)[1])
    cols = sorted(types.all)
    k = max(1, int(round(frac * len(cols))))
    rng = np.random.default_rng(config.seed + 7919)
    picked = sorted(rng.choice(len(cols), size=k, replace=False).tolist())
    return types.subset([cols[i] for i in picked])


def sample_rows(y: pd.Series | pd.DataFrame, n: int, seed: int, stratify: bool) -> np.ndarray:
    """Positions of ``n`` training rows drawn reproducibly (stratified by label when asked and possible)."""
    total = len(y)
    if n >= total:
        return np.arange(total)
    n = max(n, min(MIN_TRAIN_ROWS, total))
    idx = np.arange(total)
    strat = None
    if stratify and isinstance(y, pd.Series):
        counts = y.value_counts()
        if counts.min() >= 2 and n >= len(counts) and total - n >= len(counts):
            strat = y.to_numpy()
    if n >= total:
        return idx
    chosen, _ = train_test_split(idx, train_size=n, random_state=seed, stratify=strat)
    return np.sort(chosen)


def _predict(model: Any, X: pd.DataFrame, problem: Problem, n: int) -> tuple[np.ndarray, list[object] | None]:
    if problem.kind in ("binary_probability", "multiclass_probability"):
        proba = model.predict_proba(X)
        classes = list(model.classes_)
        if problem.kind == "binary_probability" and len(classes) == 1:
            only = str(classes[0]) in ("1", "1.0", "True")
            return np.full(n, 1.0 if only else 0.0), None
        return proba, classes
    return np.asarray(model.predict(X)), None


def fit_predict(
    config: ModelConfig,
    data: PublicData,
    spec: TaskSpec,
    *,
    problem: Problem | None = None,
    types: FeatureTypes | None = None,
    max_train_rows: int | None = None,
    normalised: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Fit ``config`` on (a sample of) the training rows and return a submission for the test rows.

    ``max_train_rows`` caps the rows used before ``config.train_fraction`` applies, to bound cost on
    large tasks; kNN is further capped at ``KNN_MAX_TRAIN_ROWS``. ``normalised`` may hold
    ``normalise_frame`` of the full train and test features for ``types`` (computed once when many
    models share the same data, e.g. a leaderboard population).
    """
    if problem is None:
        cols = list(data.X_train.columns)
        label_cols = [data.y_train.name] if isinstance(data.y_train, pd.Series) else list(data.y_train.columns)
        problem = problem_for(spec, [spec.id_column, *cols, *map(str, label_cols)], [spec.id_column, *cols])
    all_types = types or detect_feature_types(data.X_train)
    types = select_features(all_types, config)
    cap = len(data.X_train) if max_train_rows is None else min(len(data.X_train), max_train_rows)
    n = int(round(cap * config.train_fraction))
    if config.family == "knn":
        n = min(n, KNN_MAX_TRAIN_ROWS)
    rows = sample_rows(data.y_train, n, config.seed, stratify=problem.is_classification)
    if normalised is None:
        normalised = normalise_frame(data.X_train, all_types), normalise_frame(data.X_test, all_types)
    cols = model_columns(types)
    X_train = normalised[0].iloc[rows][cols]
    y_train = data.y_train.iloc[rows]
    X_test = normalised[1][cols]
    n_classes = int(y_train.nunique()) if isinstance(y_train, pd.Series) and problem.is_classification else 2
    model = build_model(config, types, problem, n_classes=n_classes)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_train, y_train.to_numpy() if isinstance(y_train, pd.DataFrame) else y_train)
        preds, classes = _predict(model, X_test, problem, len(X_test))
    return make_submission(spec, data.test_ids, preds, classes=classes, problem=problem)
