"""Text recipes beyond TF-IDF linear models (those are ``logreg``/``linsvm`` with ``text`` options).

``nbsvm``: logistic regression on TF-IDF features scaled by their naive-Bayes log-count ratio
(Wang & Manning 2012), one-vs-rest for several classes; the ratio is computed on each training fold.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from medalist.baselines.recipes.base import Preds, Recipe, View, cross_fit, family
from medalist.baselines.recipes.linear import matrices
from medalist.baselines.recipes.task import TaskData


def _ratio(x: sp.csr_matrix, pos: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    p = np.asarray(x[pos].sum(axis=0)).ravel() + alpha
    q = np.asarray(x[~pos].sum(axis=0)).ravel() + alpha
    return np.log((p / p.sum()) / (q / q.sum()))


@family("nbsvm")
def fit_nbsvm(recipe: Recipe, view: View, task: TaskData) -> Preds:
    xtr, xte = matrices(recipe, view, task)
    c = float(recipe.params.get("C", 4.0))
    k = task.n_classes

    def fit_fold(tr: np.ndarray, va: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = range(1, 2) if k == 2 else range(k)
        pva, pte = np.zeros((len(va), k)), np.zeros((xte.shape[0], k))
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for j in cols:
                pos = task.y[tr] == j
                r = sp.diags(_ratio(xtr[tr], pos))
                m = LogisticRegression(C=c, max_iter=3000).fit(xtr[tr] @ r, pos.astype(int))
                pva[:, j] = m.predict_proba(xtr[va] @ r)[:, 1]
                pte[:, j] = m.predict_proba(xte @ r)[:, 1]
        if k == 2:
            pva[:, 0], pte[:, 0] = 1 - pva[:, 1], 1 - pte[:, 1]
        else:
            pva /= pva.sum(axis=1, keepdims=True)
            pte /= pte.sum(axis=1, keepdims=True)
        return pva, pte

    return cross_fit(task, fit_fold, "proba")
