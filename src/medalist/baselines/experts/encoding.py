"""Encodings experts build features with: frequencies, out-of-fold target means, stacked text models.

Anything computed from training labels is out-of-fold on the task's shared folds for training rows
(each row's value comes from the other folds) and uses every training row for test rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from threadpoolctl import threadpool_limits

from medalist.baselines.recipes.factor import als_on_rows, id_codes
from medalist.baselines.recipes.task import TaskData


def key(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One string key per row from several columns (for grouping)."""
    out = frame[columns[0]].astype(str).fillna("")
    for col in columns[1:]:
        out = out + "|" + frame[col].astype(str).fillna("")
    return out


def frequency(train_keys: pd.Series, test_keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """How often each key occurs across train and test (unsupervised)."""
    counts = pd.concat([train_keys, test_keys]).value_counts()
    return train_keys.map(counts).to_numpy(dtype=float), test_keys.map(counts).to_numpy(dtype=float)


def target_vector(task: TaskData) -> np.ndarray:
    """A numeric target to encode: the value (regression), P(positive) (binary) or the class index (ordinal)."""
    if task.is_classification:
        return (task.y == task.n_classes - 1).astype(float) if task.n_classes == 2 else task.y.astype(float)
    return task.y_float[:, 0]


def _smoothed_means(keys: pd.Series, y: np.ndarray, prior: float, smoothing: float) -> pd.Series:
    g = pd.DataFrame({"k": keys.to_numpy(), "y": y}).groupby("k")["y"].agg(["sum", "count"])
    return (g["sum"] + prior * smoothing) / (g["count"] + smoothing)


def target_mean(
    train_keys: pd.Series, test_keys: pd.Series, task: TaskData, y: np.ndarray | None = None, smoothing: float = 20.0
) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed target mean per key: out-of-fold for training rows, from all training rows for test rows."""
    y = target_vector(task) if y is None else y
    prior = float(np.mean(y))
    tr = np.full(len(train_keys), prior)
    for fit_rows, enc_rows in task.folds:
        means = _smoothed_means(train_keys.iloc[fit_rows], y[fit_rows], float(np.mean(y[fit_rows])), smoothing)
        tr[enc_rows] = train_keys.iloc[enc_rows].map(means).fillna(float(np.mean(y[fit_rows]))).to_numpy()
    te = test_keys.map(_smoothed_means(train_keys, y, prior, smoothing)).fillna(prior).to_numpy(dtype=float)
    return tr, te


def text_model(
    train_text: pd.Series,
    test_text: pd.Series,
    task: TaskData,
    *,
    analyzer: str = "word",
    C: float = 4.0,
    y: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of a TF-IDF linear model (P(positive) / class index mean / value, or a
    ridge fit of ``y`` when given, e.g. a log target)."""
    ngram = (1, 2) if analyzer == "word" else (2, 5)
    vec = TfidfVectorizer(
        analyzer="char_wb" if analyzer == "char" else "word",
        ngram_range=ngram,
        min_df=2,
        sublinear_tf=True,
        max_features=200_000,
        dtype=np.float32,
    )
    xtr = vec.fit_transform(train_text.fillna("").astype(str))
    xte = vec.transform(test_text.fillna("").astype(str))
    binary = task.is_classification and task.n_classes == 2 and y is None
    y = target_vector(task) if y is None else y

    def fit_predict(rows: np.ndarray, x_new: object) -> np.ndarray:
        if binary:
            m = LogisticRegression(C=C, max_iter=3000).fit(xtr[rows], y[rows].astype(int))
            return m.predict_proba(x_new)[:, 1]
        return Ridge(alpha=1.0 / C).fit(xtr[rows], y[rows]).predict(x_new)

    tr = np.zeros(len(train_text))
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fit_rows, enc_rows in task.folds:
            tr[enc_rows] = fit_predict(fit_rows, xtr[enc_rows])
        te = fit_predict(np.arange(len(train_text)), xte)
    return tr, te


def stacked_text_models(
    tr: pd.DataFrame,
    te: pd.DataFrame,
    task: TaskData,
    column: str,
    *,
    name: str | None = None,
    y: np.ndarray | None = None,
) -> None:
    """Add, in place, out-of-fold word and char TF-IDF model predictions of a text column as
    ``{name}_word_model`` and ``{name}_char_model`` (``name`` defaults to the column): free text
    entering tree models as two numbers."""
    for analyzer in ("word", "char"):
        tr[f"{name or column}_{analyzer}_model"], te[f"{name or column}_{analyzer}_model"] = text_model(
            tr[column], te[column], task, analyzer=analyzer, y=y
        )


def factor_model(
    train_ids: tuple[pd.Series, pd.Series],
    test_ids: tuple[pd.Series, pd.Series],
    task: TaskData,
    *,
    factors: int = 32,
    reg: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of a biased matrix factorisation of the target over two id columns
    (user, item): the collaborative-filtering signal a tree model cannot build from target means."""
    y = target_vector(task)
    (users, test_users), (items, test_items) = (id_codes(a, b) for a, b in zip(train_ids, test_ids, strict=True))

    def fit_predict(rows: np.ndarray, query: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return als_on_rows(users, items, y, rows, query, factors=factors, reg=reg, iters=12, seed=0)

    tr = np.zeros(len(y))
    for fit_rows, enc_rows in task.folds:
        tr[enc_rows] = fit_predict(fit_rows, (users[enc_rows], items[enc_rows]))
    te = fit_predict(np.arange(len(y)), (test_users, test_items))
    return tr, te


def panel_neighbours(tr: pd.DataFrame, te: pd.DataFrame, y: np.ndarray, *, entity: str, time: str, name: str) -> None:
    """Add, in place, the entity's nearest earlier and later training-row targets ``prev_{name}`` and
    ``next_{name}``, their distances in time (``prev_gap``, ``next_gap``) and their distance-weighted
    mean ``between_{name}``: a panel's own history. (entity, time) pairs are unique, so a training row
    never finds itself; its history holds only the entity's other periods, as a test row's does."""
    known = pd.DataFrame({entity: tr[entity].to_numpy(), time: tr[time].to_numpy(), name: y}).sort_values(time)
    for frame in (tr, te):
        rows = pd.DataFrame({entity: frame[entity].to_numpy(), time: frame[time].to_numpy()})
        rows["row"] = np.arange(len(rows))
        rows = rows.sort_values(time)
        for side, direction in (("prev", "backward"), ("next", "forward")):
            found = pd.merge_asof(
                rows,
                known.rename(columns={time: f"{side}_{time}"}),
                left_on=time,
                right_on=f"{side}_{time}",
                by=entity,
                direction=direction,
                allow_exact_matches=False,
            ).sort_values("row")
            frame[f"{side}_{name}"] = found[name].to_numpy()
            frame[f"{side}_gap"] = (found[time] - found[f"{side}_{time}"]).abs().to_numpy()
        w_prev, w_next = 1.0 / frame["prev_gap"], 1.0 / frame["next_gap"]
        both = (frame[f"prev_{name}"] * w_prev + frame[f"next_{name}"] * w_next) / (w_prev + w_next)
        frame[f"between_{name}"] = both.fillna(frame[f"prev_{name}"]).fillna(frame[f"next_{name}"])
