"""Matrix factorisation for rating tasks: biased latent factors fitted by alternating least squares.

The ``mf`` family predicts a rating as ``mean + user bias + item bias + user factors . item factors``,
the collaborative-filtering model of the Netflix-prize era. Both sides are solved in turn as ridge
regressions whose penalty grows with the number of ratings (weighted-lambda ALS), so rare users and
items stay close to their biases. Users or items unseen in a training fold get zero bias and factors.
Parameters: ``users`` and ``items`` (id columns of the view), ``factors``, ``reg``, ``iters``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from medalist.baselines.recipes.base import Preds, Recipe, View, cross_fit, family
from medalist.baselines.recipes.task import TaskData
from medalist.errors import MedalistError


def _solve_side(own: np.ndarray, n_own: int, other: np.ndarray, residual: np.ndarray, reg: float) -> np.ndarray:
    """Per entity of one side: ridge solution ``[factors, bias]`` given the other side's ``[factors, 1]``."""
    k1 = other.shape[1]
    out = np.zeros((n_own, k1))
    order = np.argsort(own, kind="stable")
    bounds = np.searchsorted(own[order], np.arange(n_own + 1))
    eye = np.eye(k1)
    for e in range(n_own):
        rows = order[bounds[e] : bounds[e + 1]]
        if len(rows) == 0:
            continue
        f = other[rows]
        out[e] = np.linalg.solve(f.T @ f + reg * len(rows) * eye, f.T @ residual[rows])
    return out


def als_fit_predict(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    query: tuple[np.ndarray, np.ndarray],
    *,
    factors: int,
    reg: float,
    iters: int,
    seed: int,
) -> np.ndarray:
    """Fit biased ALS on integer-coded ``(users, items, ratings)``; predict the ``query`` pairs (codes
    outside the fitted range, or -1, count as unseen)."""
    n_u, n_i = int(users.max()) + 1, int(items.max()) + 1
    mu = float(ratings.mean())
    rng = np.random.default_rng(seed)
    user_side = np.hstack([rng.normal(0, 0.1, (n_u, factors)), np.zeros((n_u, 1))])  # [p_u, b_u]
    item_side = np.hstack([rng.normal(0, 0.1, (n_i, factors)), np.zeros((n_i, 1))])  # [q_i, b_i]
    ones = np.ones((len(ratings), 1))
    for _ in range(iters):
        # users: regress r - mu - b_i on [q_i, 1]
        feats = np.hstack([item_side[items, :factors], ones])
        user_side = _solve_side(users, n_u, feats, ratings - mu - item_side[items, factors], reg)
        feats = np.hstack([user_side[users, :factors], ones])
        item_side = _solve_side(items, n_i, feats, ratings - mu - user_side[users, factors], reg)
    qu, qi = query
    pu = np.where(((qu >= 0) & (qu < n_u))[:, None], user_side[np.clip(qu, 0, n_u - 1)], 0.0)
    pi = np.where(((qi >= 0) & (qi < n_i))[:, None], item_side[np.clip(qi, 0, n_i - 1)], 0.0)
    pred = mu + pu[:, factors] + pi[:, factors] + np.sum(pu[:, :factors] * pi[:, :factors], axis=1)
    return np.clip(pred, ratings.min(), ratings.max())


def id_codes(train: pd.Series, test: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the training ids; test ids never seen in training get -1."""
    cats = pd.Index(pd.unique(train.astype(str)))
    return cats.get_indexer(train.astype(str)), cats.get_indexer(test.astype(str))


def als_on_rows(
    users: np.ndarray,
    items: np.ndarray,
    ratings: np.ndarray,
    rows: np.ndarray,
    query: tuple[np.ndarray, np.ndarray],
    *,
    factors: int,
    reg: float,
    iters: int,
    seed: int,
) -> np.ndarray:
    """Fit ALS on the given ``rows`` of coded ids and predict the ``query`` pairs. Ids are re-coded from
    those rows alone, so a user or item absent from them is unseen to the model too."""
    u, qu = id_codes(pd.Series(users[rows]), pd.Series(query[0]))
    i, qi = id_codes(pd.Series(items[rows]), pd.Series(query[1]))
    return als_fit_predict(u, i, ratings[rows], (qu, qi), factors=factors, reg=reg, iters=iters, seed=seed)


@family("mf")
def fit_mf(recipe: Recipe, view: View, task: TaskData) -> Preds:
    p = recipe.params
    if task.is_classification or task.y_float.shape[1] != 1:
        raise MedalistError(f"recipe {recipe.name}: matrix factorisation needs one numeric rating target")
    for col in (p.get("users"), p.get("items")):
        if col not in view.train.columns:
            raise MedalistError(f"recipe {recipe.name}: view {recipe.view!r} has no id column {col!r}")
    u_tr, u_te = id_codes(view.train[p["users"]], view.test[p["users"]])
    i_tr, i_te = id_codes(view.train[p["items"]], view.test[p["items"]])
    y = task.y_float[:, 0]
    factors, reg, iters = int(p.get("factors", 32)), float(p.get("reg", 0.05)), int(p.get("iters", 12))

    def fit_fold(tr: np.ndarray, va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        query = (np.concatenate([u_tr[va], u_te]), np.concatenate([i_tr[va], i_te]))
        pred = als_on_rows(u_tr, i_tr, y, tr, query, factors=factors, reg=reg, iters=iters, seed=recipe.seed)
        return pred[: len(va)], pred[len(va) :]

    return cross_fit(task, fit_fold, "value")
