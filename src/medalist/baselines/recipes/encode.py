"""Feature matrices from a view: ordinal codes for trees, scaled one-hot (+ TF-IDF) for linear models.

The transforms are unsupervised and fitted on the training rows once (not per fold), as a
competitor would do; nothing here looks at labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, SplineTransformer, StandardScaler

from medalist.baselines.features import datetime_part_columns
from medalist.baselines.recipes.base import View

MAX_TREE_TEXT_FEATURES = 0
"""Trees skip free text (text enters tree models through stacked text-model predictions)."""


def numeric_columns(view: View) -> list[str]:
    return [*view.types.numeric, *datetime_part_columns(view.types.datetime)]


def tree_matrix(view: View) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Numeric columns as floats and categoricals as pandas categories shared by train and test.

    Returns the two frames and the categorical column names (LightGBM reads them natively).
    """
    num = [c for c in numeric_columns(view) if c in view.train.columns]
    cats = list(view.types.categorical)
    tr = view.train[num].astype("float64")
    te = view.test[num].astype("float64")
    for col in cats:
        levels = pd.Index(pd.concat([view.train[col], view.test[col]]).astype(str).unique()).sort_values()
        tr[col] = pd.Categorical(view.train[col].astype(str), categories=levels)
        te[col] = pd.Categorical(view.test[col].astype(str), categories=levels)
    return tr, te, cats


def ordinal_matrix(view: View) -> tuple[np.ndarray, np.ndarray]:
    """Numeric columns (median-imputed) and integer category codes as one dense float matrix."""
    tr, te, cats = tree_matrix(view)
    for col in cats:
        tr[col] = tr[col].cat.codes.astype("float64")
        te[col] = te[col].cat.codes.astype("float64")
    med = tr.median(numeric_only=True).fillna(0.0)
    return tr.fillna(med).to_numpy(dtype=np.float64), te.fillna(med).to_numpy(dtype=np.float64)


def _text_vectorizers(params: dict[str, Any]) -> list[tuple[str, TfidfVectorizer]]:
    analyzers = params.get("text", "word")
    out = []
    if analyzers in ("word", "both"):
        out.append(
            (
                "w",
                TfidfVectorizer(
                    ngram_range=tuple(params.get("word_ngram", (1, 2))),
                    min_df=2,
                    max_features=int(params.get("word_features", 200_000)),
                    sublinear_tf=True,
                    strip_accents="unicode",
                    dtype=np.float32,
                ),
            )
        )
    if analyzers in ("char", "both"):
        out.append(
            (
                "c",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=tuple(params.get("char_ngram", (2, 5))),
                    min_df=2,
                    max_features=int(params.get("char_features", 300_000)),
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            )
        )
    return out


def linear_matrix(view: View, params: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """Scaled numerics (optionally with spline or quantile expansions), one-hot categories, TF-IDF text.

    ``params``: ``numeric`` in {"scale", "spline", "quantile", "raw"} (raw: imputed, unscaled, e.g. pixels); ``max_categories``; ``text`` in
    {"word", "char", "both"} with n-gram ranges; ``text_only`` drops the other columns.
    """
    params = params or {}
    num = [c for c in numeric_columns(view) if c in view.train.columns]
    quantiles = max(10, min(200, len(view.train)))
    parts: list[tuple[str, Any, Any]] = []
    if not params.get("text_only"):
        if num:
            steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
            mode = params.get("numeric", "scale")
            if mode == "spline":
                steps += [
                    (
                        "q",
                        QuantileTransformer(
                            n_quantiles=quantiles, output_distribution="uniform", subsample=100_000, random_state=0
                        ),
                    ),
                    ("spline", SplineTransformer(n_knots=int(params.get("knots", 6)), degree=3)),
                ]
            elif mode == "quantile":
                steps.append(
                    (
                        "q",
                        QuantileTransformer(
                            n_quantiles=quantiles, output_distribution="normal", subsample=100_000, random_state=0
                        ),
                    )
                )
            if mode != "raw":
                steps.append(("scale", StandardScaler()))
            parts.append(("num", Pipeline(steps), num))
        if view.types.categorical:
            parts.append(
                (
                    "cat",
                    OneHotEncoder(
                        handle_unknown="infrequent_if_exist",
                        min_frequency=int(params.get("min_frequency", 3)),
                        max_categories=int(params.get("max_categories", 200)),
                    ),
                    view.types.categorical,
                )
            )
    for i, col in enumerate(view.types.text):
        for tag, vec in _text_vectorizers(params):
            parts.append((f"text{i}{tag}", vec, col))
    ct = ColumnTransformer(parts, remainder="drop", sparse_threshold=1.0 if view.types.text else 0.3)
    xtr = ct.fit_transform(view.train)
    xte = ct.transform(view.test)
    if sp.issparse(xtr):
        return sp.csr_matrix(xtr, dtype=np.float32), sp.csr_matrix(xte, dtype=np.float32)
    return np.asarray(xtr, dtype=np.float64), np.asarray(xte, dtype=np.float64)


def cached(task_cache: dict[str, object], key: str, build: Any) -> Any:
    """Memoise an expensive matrix per task (views are shared by many recipes)."""
    if key not in task_cache:
        task_cache[key] = build()
    return task_cache[key]
