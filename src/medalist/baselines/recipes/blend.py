"""Combining recipes and turning predictions into submissions, tuned on out-of-fold predictions only.

- :func:`as_proba` calibrates decision scores (SVMs, ordinal regressions) into class probabilities
  with a logistic regression fitted across the shared folds (Platt scaling).
- :func:`combine` blends several recipes: a plain mean, greedy ensemble selection with replacement
  (Caruana et al.) or a stacked logistic/ridge meta-model, each fitted on out-of-fold predictions.
- :func:`decide` picks the submission rule: argmax or raw values by default; ``tuned`` fits a
  decision threshold (binary label metrics), per-class weights (multiclass label metrics), ordinal
  cut points (quadratic weighted kappa), a temperature (multi-class log loss) or a scale factor
  (SMAPE / MAE) on the out-of-fold predictions.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from threadpoolctl import threadpool_limits

from medalist.baselines.recipes.base import Preds
from medalist.baselines.recipes.task import TaskData
from medalist.grading.bootstrap import fast_score

Combine = Literal["mean", "hill", "stack"]
Rule = Literal["default", "tuned"]
_CLIP = 1e-6
ORDINAL_METRICS = ("quadratic_weighted_kappa",)
SCALED_METRICS = ("smape", "mae")


# ------------------------------------------------------------------ metric plumbing


def truth(task: TaskData) -> np.ndarray:
    """Training labels as the tuning scorer reads them (class codes for label metrics)."""
    kind = task.problem.kind
    if kind == "multiclass_probability":
        return np.eye(task.n_classes)[task.y]
    if kind == "classification":
        return task.y
    if kind == "binary_probability":
        return task.classes[task.y]
    y = task.y_float
    return y[:, 0] if y.shape[1] == 1 else y


def metric_values(task: TaskData, values: np.ndarray) -> np.ndarray:
    """Submission-format values (labels, P(1), class probabilities or numbers) as the metric reads them."""
    kind = task.problem.kind
    if kind == "binary_probability":
        return values[:, _positive(task)] if values.ndim == 2 else values
    if kind == "regression":
        return values[:, 0] if values.ndim == 2 and values.shape[1] == 1 else values
    return values


def _positive(task: TaskData) -> int:
    for i, c in enumerate(task.classes):
        if str(c) in ("1", "1.0", "True", "true"):
            return i
    return len(task.classes) - 1


def _code_args(task: TaskData) -> dict[str, object]:
    """Metric arguments for class codes (a ``pos_label`` becomes its class code)."""
    args = dict(task.spec.metric_args)
    if "pos_label" in args or task.metric.name == "f1":
        pos = args.get("pos_label", 1)
        hit = [i for i, c in enumerate(task.classes) if str(c) == str(pos)]
        args["pos_label"] = hit[0] if hit else _positive(task)
    return args


def oof_score(task: TaskData, values: np.ndarray, codes: bool = False) -> float:
    """The task metric of out-of-fold predictions (label metrics score class codes when ``codes``)."""
    if task.problem.kind == "classification":
        if not codes:
            values = np.searchsorted(task.classes, values)
        return fast_score(task.metric, task.y, values, **_code_args(task))
    return fast_score(task.metric, truth(task), metric_values(task, values), **task.spec.metric_args)


# ------------------------------------------------------------------ calibration


def _logit_features(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, _CLIP, 1 - _CLIP)
    return np.log(q)


def as_proba(preds: Preds, task: TaskData) -> Preds:
    """Class probabilities from ``preds`` (unchanged when already probabilities).

    One score column (binary decision values, ordinal scores): a logistic regression on it,
    cross-fitted on the shared folds. One score per class (one-vs-rest decision values): a softmax
    with one temperature fitted on the out-of-fold scores, which keeps every row's argmax.
    """
    if preds.kind != "score":
        return preds
    start = time.perf_counter()
    if preds.oof.shape[1] == 1:
        oof, test = _cross_fit_meta(task, preds.oof, preds.test, lambda: LogisticRegression(C=1.0, max_iter=2000))
    else:
        t = _softmax_temperature(preds.oof, task.y)
        oof, test = _softmax(preds.oof / t), _softmax(preds.test / t)
    return Preds(oof=oof, test=test, kind="proba", seconds=preds.seconds + time.perf_counter() - start)


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising the log loss of ``softmax(scores / t)`` (golden-section on log t)."""
    rows = np.arange(len(y))

    def loss(log_t: float) -> float:
        p = _softmax(scores / np.exp(log_t))
        return float(-np.mean(np.log(np.clip(p[rows, y], _CLIP, 1.0))))

    lo, hi = -6.0, 6.0
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = loss(b)
    return float(np.exp((lo + hi) / 2))


def _cross_fit_meta(
    task: TaskData, x: np.ndarray, x_test: np.ndarray, make: Callable[[], Any], y: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A small model on out-of-fold features: its own out-of-fold predictions and a full-fit test prediction."""
    classify = task.is_classification
    if y is None:
        y = task.y if classify else task.y_float
    oof = np.zeros((len(x), task.n_classes if classify else y.shape[1]))
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tr, va in task.folds:
            oof[va] = _meta_predict(make, x[tr], y[tr], x[va], task)
        test = _meta_predict(make, x, y, x_test, task)
    return oof, test


def _meta_predict(
    make: Callable[[], Any], x: np.ndarray, y: np.ndarray, x_new: np.ndarray, task: TaskData
) -> np.ndarray:
    m = make()
    if task.is_classification:
        m.fit(x, y)
        p = m.predict_proba(x_new)
        out = np.zeros((len(x_new), task.n_classes))
        out[:, np.asarray(m.classes_, dtype=int)] = p
        return out
    cols = [m.fit(x, y[:, j]).predict(x_new) for j in range(y.shape[1])]
    return np.column_stack(cols)


# ------------------------------------------------------------------ combining


def _proxy(task: TaskData) -> Callable[[np.ndarray], float]:
    """Objective (lower is better) that ensemble selection minimises on out-of-fold predictions."""
    if task.is_classification and task.metric.prediction == "label":
        onehot = np.eye(task.n_classes)[task.y]

        def logloss(p: np.ndarray) -> float:
            q = np.clip(p, _CLIP, 1.0)
            return float(-np.mean(np.log((q * onehot).sum(axis=1) / q.sum(axis=1))))

        return logloss
    sign = -1.0 if task.metric.higher_is_better else 1.0
    return lambda v: sign * oof_score(task, v)


def hill_climb(preds: Sequence[Preds], task: TaskData, steps: int = 30) -> np.ndarray:
    """Greedy ensemble selection with replacement: weights (summing to 1) minimising the OOF proxy."""
    proxy = _proxy(task)
    scores = [proxy(p.oof) for p in preds]
    counts = np.zeros(len(preds))
    counts[int(np.argmin(scores))] = 1
    current = preds[int(np.argmin(scores))].oof.copy()
    best = min(scores)
    for _ in range(steps):
        n = counts.sum()
        trial = [proxy((current * n + p.oof) / (n + 1)) for p in preds]
        j = int(np.argmin(trial))
        if trial[j] >= best - 1e-12:
            break
        best = trial[j]
        current = (current * n + preds[j].oof) / (n + 1)
        counts[j] += 1
    return counts / counts.sum()


def combine(preds: Sequence[Preds], task: TaskData, how: Combine) -> tuple[Preds, list[float]]:
    """Blend ``preds`` (all probabilities, or all values); returns the blend and the member weights."""
    start = time.perf_counter()
    cost = sum(p.seconds for p in preds)
    kind = preds[0].kind
    if how == "mean":
        w = np.full(len(preds), 1.0 / len(preds))
    elif how == "hill":
        w = hill_climb(preds, task)
    else:
        x = np.hstack([_stack_features(p, task) for p in preds])
        xt = np.hstack([_stack_features(p, task, test=True) for p in preds])
        make = (
            (lambda: LogisticRegression(C=0.5, max_iter=3000)) if task.is_classification else (lambda: Ridge(alpha=1.0))
        )
        logged = not task.is_classification and _log_space(task)
        oof, test = _cross_fit_meta(task, x, xt, make, y=np.log1p(np.clip(task.y_float, 0, None)) if logged else None)
        if logged:
            oof, test = np.expm1(oof), np.expm1(test)
        return Preds(oof, test, kind, cost + time.perf_counter() - start), [1.0] * len(preds)
    oof = sum(wi * p.oof for wi, p in zip(w, preds, strict=True))
    test = sum(wi * p.test for wi, p in zip(w, preds, strict=True))
    return Preds(np.asarray(oof), np.asarray(test), kind, cost + time.perf_counter() - start), [float(x) for x in w]


def _log_space(task: TaskData) -> bool:
    return bool(task.y_float.min() >= 0) and task.metric.name in ("rmsle", "smape", "mae", "rmse", "mcrmse")


def _stack_features(p: Preds, task: TaskData, test: bool = False) -> np.ndarray:
    v = p.test if test else p.oof
    if task.is_classification:
        return _logit_features(v)
    return np.log1p(np.clip(v, 0, None)) if _log_space(task) else v


# ------------------------------------------------------------------ decisions


@dataclass(frozen=True)
class Decision:
    """A fitted submission rule (plain numbers, listed in provenance)."""

    rule: str
    params: tuple[float, ...] = ()

    def apply(self, task: TaskData, pred: np.ndarray) -> np.ndarray:
        """Submission-format values (labels, probabilities or numbers) from blend predictions."""
        out = self.apply_codes(task, pred)
        return task.classes[out] if task.problem.kind == "classification" else out

    def apply_codes(self, task: TaskData, pred: np.ndarray) -> np.ndarray:
        """Like :meth:`apply`, but class codes instead of labels for label metrics."""
        kind = task.problem.kind
        if kind == "regression":
            return pred * (self.params[0] if self.rule == "scale" else 1.0)
        if kind == "multiclass_probability":
            if self.rule == "temperature":
                q = np.clip(pred, _CLIP, 1.0) ** (1.0 / self.params[0])
                return q / q.sum(axis=1, keepdims=True)
            return pred
        if kind == "binary_probability":
            return pred
        if self.rule == "threshold":
            idx = (pred[:, _positive(task)] >= self.params[0]).astype(int)
            idx = np.where(idx == 1, _positive(task), 1 - _positive(task))
        elif self.rule == "weights":
            idx = np.argmax(pred * np.asarray(self.params), axis=1)
        elif self.rule == "ordinal":
            idx = np.digitize(expected_index(pred), np.asarray(self.params))
        else:
            idx = np.argmax(pred, axis=1)
        return idx


def expected_index(pred: np.ndarray) -> np.ndarray:
    """Ordinal score of class probabilities (probability-weighted class index)."""
    return pred @ np.arange(pred.shape[1], dtype=float)


def decide(task: TaskData, preds: Preds, rule: Rule) -> Decision:
    """The default rule, or the rule tuned on ``preds.oof`` for this task's metric."""
    kind = task.problem.kind
    if rule == "default":
        return Decision("default")
    if kind == "regression":
        return _tune_scale(task, preds.oof) if task.metric.name in SCALED_METRICS else Decision("default")
    if kind == "multiclass_probability":
        return _tune_temperature(task, preds.oof)
    if kind == "binary_probability":
        return Decision("default")
    if task.metric.name in ORDINAL_METRICS:
        return _tune_cuts(task, preds.oof)
    if task.n_classes == 2:
        return _tune_threshold(task, preds.oof)
    return _tune_weights(task, preds.oof)


def _best(task: TaskData, candidates: Sequence[Decision], oof: np.ndarray) -> Decision:
    scores = [oof_score(task, d.apply_codes(task, oof), codes=True) for d in candidates]
    pick = int(np.argmax(scores) if task.metric.higher_is_better else np.argmin(scores))
    return candidates[pick]


def _tune_threshold(task: TaskData, oof: np.ndarray) -> Decision:
    p = oof[:, _positive(task)]
    grid = np.unique(np.round(np.r_[np.quantile(p, np.linspace(0.01, 0.99, 197)), 0.5], 6))
    return _best(task, [Decision("threshold", (float(t),)) for t in grid], oof)


def _tune_weights(task: TaskData, oof: np.ndarray, passes: int = 3) -> Decision:
    w = np.ones(task.n_classes)
    factors = np.exp(np.linspace(-1.5, 1.5, 13))
    current = Decision("weights", tuple(w))
    for _ in range(passes):
        for k in range(task.n_classes):
            cands = []
            for f in factors:
                trial = w.copy()
                trial[k] *= f
                cands.append(Decision("weights", tuple(float(x) for x in trial / trial.max())))
            current = _best(task, [current, *cands], oof)
            w = np.asarray(current.params)
    return current


def _tune_cuts(task: TaskData, oof: np.ndarray, passes: int = 3) -> Decision:
    k = task.n_classes
    s = expected_index(oof)
    cuts = np.arange(k - 1, dtype=float) + 0.5
    current = Decision("ordinal", tuple(cuts))
    for _ in range(passes):
        for j in range(k - 1):
            lo = cuts[j - 1] if j > 0 else float(s.min())
            hi = cuts[j + 1] if j < k - 2 else float(s.max())
            cands = []
            for v in np.linspace(lo, hi, 41)[1:-1]:
                trial = cuts.copy()
                trial[j] = v
                cands.append(Decision("ordinal", tuple(float(x) for x in trial)))
            current = _best(task, [current, *cands], oof)
            cuts = np.asarray(current.params)
    return current


def _tune_temperature(task: TaskData, oof: np.ndarray) -> Decision:
    return _best(task, [Decision("temperature", (float(t),)) for t in np.exp(np.linspace(-0.7, 0.7, 29))], oof)


def _tune_scale(task: TaskData, oof: np.ndarray) -> Decision:
    return _best(task, [Decision("scale", (float(c),)) for c in np.exp(np.linspace(-0.25, 0.25, 51))], oof)
