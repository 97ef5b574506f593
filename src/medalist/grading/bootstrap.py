"""Bootstrap a metric over resamples of the test rows, fast enough to run at grading time.

Resample ``b`` draws ``n`` row positions with replacement from a counter-based generator
(splitmix64 of ``(seed, b, i)``), so the same resamples come back on any machine and NumPy version,
and the first ``k`` of ``B`` resamples do not depend on ``B``. Common metrics are computed for all
resamples at once from per-row losses or per-resample confusion matrices (equal to scoring each
resampled copy with the metric, which the tests check); any other metric falls back to scoring the
resampled copies one by one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from medalist.metrics import Metric

_EPS = 1e-15
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def resample_indices(n: int, resamples: int, seed: int, start: int = 0) -> np.ndarray:
    """Row positions of resamples ``start .. start+resamples-1`` (shape ``(resamples, n)``)."""
    if n <= 0:
        raise ValueError("cannot resample an empty test set")
    b = np.arange(start, start + resamples, dtype=np.uint64)[:, None]
    i = np.arange(n, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) * _GOLDEN) ^ (b << np.uint64(32)) ^ i
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(n)).astype(np.int64)


# ------------------------------------------------------------------ per-row losses (mean over a resample)


def _row_losses(name: str, t: np.ndarray, p: np.ndarray) -> np.ndarray | None:
    """Per-row loss whose resample mean gives the metric (before a final transform), or None."""
    if name == "accuracy":
        return (t == p).astype(float)
    if name in ("mae",):
        return np.abs(p.astype(float) - t.astype(float))
    if name in ("mse", "rmse"):
        return (p.astype(float) - t.astype(float)) ** 2
    if name == "rmsle":
        tt, pp = np.clip(t.astype(float), 0, None), np.clip(p.astype(float), 0, None)
        return (np.log1p(pp) - np.log1p(tt)) ** 2
    if name == "smape":
        tt, pp = t.astype(float), p.astype(float)
        denom = (np.abs(tt) + np.abs(pp)) / 2.0
        diff = np.abs(pp - tt)
        return 100.0 * np.divide(diff, denom, out=np.zeros_like(diff), where=denom != 0)
    if name == "log_loss":
        pp = np.clip(p.astype(float), _EPS, 1 - _EPS)
        tt = t.astype(int)
        return -(tt * np.log(pp) + (1 - tt) * np.log1p(-pp))
    if name == "multiclass_log_loss":
        tt = t.astype(float).reshape(len(t), -1)
        pp = np.clip(p.astype(float).reshape(len(p), -1), _EPS, 1 - _EPS)
        pp = pp / pp.sum(axis=1, keepdims=True)
        return -np.log(pp[np.arange(len(pp)), tt.argmax(axis=1)])
    if name == "mcrmse":
        return (p.astype(float).reshape(len(p), -1) - t.astype(float).reshape(len(t), -1)) ** 2
    return None


_FINISH: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "rmse": np.sqrt,
    "rmsle": np.sqrt,
    "mcrmse": lambda m: np.sqrt(m).mean(axis=1),
}


def _mean_losses(loss: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return loss[idx].mean(axis=1)


# ------------------------------------------------------------------ confusion-matrix metrics

_CONFUSION = {"accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_micro", "mcc", "quadratic_weighted_kappa"}


def _confusions(t: np.ndarray, p: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-resample confusion matrices ``(B, K, K)`` (rows = true) and the sorted label values."""
    labels, codes = np.unique(np.concatenate([t, p]), return_inverse=True)
    k = len(labels)
    pair = codes[: len(t)] * k + codes[len(t) :]
    flat = (np.arange(len(idx))[:, None] * (k * k) + pair[idx]).ravel()
    counts = np.bincount(flat, minlength=len(idx) * k * k).astype(np.float64)
    return counts.reshape(len(idx), k, k), labels


def _from_confusion(name: str, c: np.ndarray, labels: np.ndarray, metric_args: dict) -> np.ndarray:
    tp = np.diagonal(c, axis1=1, axis2=2)
    true_n = c.sum(axis=2)
    pred_n = c.sum(axis=1)
    n = c.sum(axis=(1, 2))
    if name in ("accuracy", "f1_micro"):
        return tp.sum(axis=1) / n
    if name == "balanced_accuracy":
        present = true_n > 0
        recall = np.divide(tp, true_n, out=np.zeros_like(tp), where=present)
        return recall.sum(axis=1) / present.sum(axis=1)
    if name in ("f1", "f1_macro"):
        denom = true_n + pred_n
        f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
        if name == "f1_macro":
            present = denom > 0
            return f1.sum(axis=1) / present.sum(axis=1)
        pos = metric_args.get("pos_label", 1)
        hit = (
            np.flatnonzero(labels.astype(str) == str(pos))
            if labels.dtype.kind not in "iufb"
            else np.flatnonzero(labels == pos)
        )
        return f1[:, hit[0]] if len(hit) else np.zeros(len(c))
    if name == "mcc":
        cov_ytyp = tp.sum(axis=1) * n - np.einsum("bk,bk->b", true_n, pred_n)
        cov_ypyp = n**2 - np.einsum("bk,bk->b", pred_n, pred_n)
        cov_ytyt = n**2 - np.einsum("bk,bk->b", true_n, true_n)
        denom = np.sqrt(cov_ytyt * cov_ypyp)
        return np.divide(cov_ytyp, denom, out=np.zeros_like(cov_ytyp), where=denom > 0)
    if name == "quadratic_weighted_kappa":
        # sklearn weighs by the distance between positions among the labels present in each resample
        present = (true_n + pred_n) > 0
        pos = np.cumsum(present, axis=1) - 1.0
        w = (pos[:, :, None] - pos[:, None, :]) ** 2
        expected = true_n[:, :, None] * pred_n[:, None, :] / n[:, None, None]
        num = (w * c).sum(axis=(1, 2))
        den = (w * expected).sum(axis=(1, 2))
        return 1.0 - np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    raise KeyError(name)


# ------------------------------------------------------------------ ROC-AUC


def _auc(t: np.ndarray, score: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Weighted Mann-Whitney AUC per resample (ties count one half), from resample counts."""
    m, n = idx.shape
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    counts = np.bincount((np.arange(m)[:, None] * n + idx).ravel(), minlength=m * n).reshape(m, n)
    c = counts[:, order].astype(np.float64)
    pos = t.astype(int)[order] == 1
    wp = c * pos
    wn = c - wp
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    if len(starts) < n:  # tied scores: pool them, each tie counts one half
        wp, wn = np.add.reduceat(wp, starts, axis=1), np.add.reduceat(wn, starts, axis=1)
    below = np.cumsum(wn, axis=1)
    below -= 0.5 * wn
    num = np.einsum("ij,ij->i", wp, below)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    return np.divide(num, den, out=np.full(m, np.nan), where=den > 0)


# ------------------------------------------------------------------ entry point


def fast_metric_supported(metric: Metric) -> bool:
    """True when :func:`bootstrap_scores` computes ``metric`` vectorised (no per-resample loop)."""
    return (
        metric.name in _CONFUSION
        or metric.name in ("roc_auc", "gini", "r2")
        or _row_losses(metric.name, np.zeros(1), np.zeros(1)) is not None
    )


BLOCK_ELEMENTS = 2_000_000
"""Resampled rows gathered at once (bounds memory whatever the test set size)."""


def bootstrap_scores(
    metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, resamples: int, seed: int, **metric_args: object
) -> np.ndarray:
    """The metric on resamples ``0 .. resamples-1`` of the aligned rows (shape ``(resamples,)``).

    ``y_true``/``y_pred`` are the arrays the grader scores (see ``validate_frame``). A resample on
    which the metric is undefined (e.g. one class only for ROC-AUC) scores NaN.
    """
    n = len(y_true)
    step = max(1, BLOCK_ELEMENTS // n)
    return np.concatenate(
        [
            _scores_on(
                metric, y_true, y_pred, resample_indices(n, min(step, resamples - s), seed, start=s), metric_args
            )
            for s in range(0, resamples, step)
        ]
    )


def fast_score(metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, **metric_args: object) -> float:
    """The metric on the rows as they are, through the same vectorised paths (for tuning loops)."""
    idx = np.arange(len(y_true))[None, :]
    return float(_scores_on(metric, np.asarray(y_true), np.asarray(y_pred), idx, metric_args)[0])


def _scores_on(
    metric: Metric, y_true: np.ndarray, y_pred: np.ndarray, idx: np.ndarray, metric_args: dict
) -> np.ndarray:
    name = metric.name
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if name in ("roc_auc", "gini"):
        auc = _auc(t, p.astype(float), idx)
        return auc if name == "roc_auc" else 2.0 * auc - 1.0
    if name == "r2":
        tt, pp = t.astype(float), p.astype(float)
        ss_res = _mean_losses((tt - pp) ** 2, idx)
        var = _mean_losses(tt**2, idx) - _mean_losses(tt, idx) ** 2
        return 1.0 - np.divide(ss_res, var, out=np.full(len(idx), np.nan), where=var > 1e-300)
    if name in _CONFUSION and name != "accuracy":
        c, labels = _confusions(t, p, idx)
        return _from_confusion(name, c, labels, metric_args)
    loss = _row_losses(name, t, p)
    if loss is not None:
        m = _mean_losses(loss, idx)
        return _FINISH.get(name, lambda x: x)(m)
    out = np.empty(len(idx))
    for b, rows in enumerate(idx):
        try:
            out[b] = metric(t[rows], p[rows], **metric_args)
        except ValueError:
            out[b] = np.nan
    return out
