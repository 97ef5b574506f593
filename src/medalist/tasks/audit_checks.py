"""Data checks of a prepared task: id/row-order leakage, adversarial validation, duplicates, single columns.

Every check scores with the task's own metric under K-fold cross-validation on train.csv, so results
read like leaderboard scores. Scores are turned into a *gain*: the share of the way from the
no-skill baseline (majority class / class prior / mean) to a perfect score, ``(s - null) /
(perfect - null)``, where ``null`` is the same model on shuffled bins (no signal) and ``perfect`` the
metric of the true values against themselves. A gain near
0 means no signal; 1 means perfect. Models here are binned target means (a column cut into quantile
bins, each bin predicting the training rows' mean target or class shares): cheap, one column at a
time, and exactly what an "id neighbour" or "row position" attack amounts to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from medalist.metrics import Metric, get_metric
from medalist.tasks.prepare import PreparedTask

FOLDS = 5
SEED = 0
MAX_ROWS = 10_000  # checks run on at most this many train (and test) rows (a fixed random subset)
ADV_ROWS = 4_000  # adversarial validation: rows of each side
ADV_ITER = 60
ADV_FOLDS = 3
ADV_CELLS = 1_000_000
SCREEN_COLUMNS = 32


@dataclass
class TargetView:
    """The training target in the form the metric grades, plus what a prediction must look like."""

    metric: Metric
    truth: np.ndarray  # 1-D labels/values, or 2-D (one-hot classes / several numeric targets)
    classes: list[object] | None  # class labels for classification (column order of ``probs``)
    raw: pd.DataFrame  # the target column(s) as in train.csv


def target_view(pt: PreparedTask, train: pd.DataFrame) -> TargetView:
    """How this task's target is graded: labels, positive-class probabilities, one-hot or numeric columns."""
    spec = pt.spec
    metric = get_metric(spec.metric)
    in_train = [c for c in spec.target_columns if c in train.columns]
    if in_train == spec.target_columns:
        raw = train[in_train]
        truth = raw.to_numpy() if len(in_train) > 1 else raw.iloc[:, 0].to_numpy()
        classes = None if metric.prediction == "numeric" else sorted(pd.unique(raw.iloc[:, 0]), key=str)
        return TargetView(metric, truth, classes, raw)
    # one probability column per class; train.csv holds the class label in its one extra column
    test_cols = set(pd.read_csv(pt.public / "test.csv", nrows=0).columns)
    label = [c for c in train.columns if c not in test_cols]
    if len(label) != 1:
        raise ValueError(f"task {spec.id}: cannot find the label column of train.csv for {spec.target_columns}")
    raw = train[label]
    classes = list(spec.target_columns)
    truth = np.stack([(raw.iloc[:, 0].astype(str) == str(c)).astype(int).to_numpy() for c in classes], axis=1)
    return TargetView(metric, truth, classes, raw)


def _bin_codes(x: pd.Series, bins: int) -> np.ndarray:
    """A column as integer bin codes: quantile bins for numbers, the most frequent values for the rest."""
    if pd.api.types.is_numeric_dtype(x.dtype) and x.nunique() > bins:
        ranks = x.rank(method="average", pct=True).fillna(-1).to_numpy()
        return np.where(ranks < 0, bins, np.minimum((ranks * bins).astype(int), bins - 1))
    codes, uniques = pd.factorize(x.astype(str).where(x.notna(), "\x00NA"))
    return codes


def _fold_ids(n: int, y_strata: np.ndarray | None) -> np.ndarray:
    fold = np.empty(n, dtype=int)
    splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    strata = y_strata if y_strata is not None else np.arange(n) % FOLDS
    try:
        splits = list(splitter.split(np.zeros(n), strata))
    except ValueError:  # a class with fewer members than folds
        splits = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(np.zeros(n), np.arange(n) % FOLDS))
    for k, (_, test_idx) in enumerate(splits):
        fold[test_idx] = k
    return fold


def _encoded(view: TargetView) -> np.ndarray:
    """Targets as a float matrix the bin means are taken over: one-hot classes or numeric columns."""
    if view.classes is None:
        t = np.asarray(view.truth, dtype=float)
        return t.reshape(len(t), -1)
    labels = view.raw.iloc[:, 0].astype(str).to_numpy()
    return np.stack([(labels == str(c)).astype(float) for c in view.classes], axis=1)


def _predictions(view: TargetView, means: np.ndarray) -> np.ndarray:
    """Turn per-row target means (class shares or numeric means) into what the metric grades."""
    pred = view.metric.prediction
    if view.classes is None:
        return means[:, 0] if means.shape[1] == 1 else means
    if view.truth.ndim == 2:  # one-hot probability columns
        return means
    if pred == "probability":  # binary: probability of the positive (last sorted, i.e. 1) class
        return means[:, -1]
    picks = np.asarray(view.classes, dtype=object)[means.argmax(axis=1)]
    return picks.astype(view.truth.dtype) if view.truth.dtype != object else picks


def score(view: TargetView, pred: np.ndarray) -> float:
    return float(view.metric(view.truth, pred))


def binned_means(enc: np.ndarray, codes: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Each row's bin mean of the encoded target among the other folds' rows (the prior for a bin they lack)."""
    prior = enc.mean(axis=0)
    codes = np.unique(codes, return_inverse=True)[1].ravel()  # 0..bins-1
    bins = int(codes.max()) + 1 if len(codes) else 1
    means = np.empty_like(enc)
    for k in range(FOLDS):
        tr, te = folds != k, folds == k
        counts = np.bincount(codes[tr], minlength=bins)
        sums = np.stack(
            [np.bincount(codes[tr], weights=enc[tr, j], minlength=bins) for j in range(enc.shape[1])], axis=1
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            per_bin = np.where(counts[:, None] > 0, sums / counts[:, None], prior)
        means[te] = per_bin[codes[te]]
    return means


def binned_cv_score(view: TargetView, codes: np.ndarray, folds: np.ndarray) -> float:
    """CV score of predicting each row by the mean target of its bin among the other folds' rows."""
    return score(view, _predictions(view, binned_means(_encoded(view), codes, folds)))


def baseline_score(view: TargetView) -> float:
    """The no-skill score: every row predicted by the overall mean / class shares / majority class."""
    enc = _encoded(view)
    return score(view, _predictions(view, np.tile(enc.mean(axis=0), (len(enc), 1))))


def perfect_score(view: TargetView) -> float:
    return score(view, view.truth if view.truth.ndim == 1 or view.classes is not None else view.truth)


def gain(view: TargetView, s: float, base: float, perfect: float) -> float:
    """Share of the way from the baseline to a perfect score (0 = no signal, 1 = perfect)."""
    span = perfect - base
    if span == 0 or not np.isfinite(s):
        return 0.0
    return float((s - base) / span)


@dataclass
class ColumnSignal:
    name: str
    score: float
    gain: float


def strata(view: TargetView) -> np.ndarray | None:
    return None if view.classes is None else view.raw.iloc[:, 0].astype(str).to_numpy()


def null_score(view: TargetView, codes: np.ndarray, folds: np.ndarray, repeats: int = 3) -> float:
    """The same binned model on shuffled bins: what a column without signal scores (for F1-like metrics
    a constant baseline scores 0, while any non-constant guess scores more)."""
    rng = np.random.default_rng(SEED)
    return float(np.mean([binned_cv_score(view, rng.permutation(codes), folds) for _ in range(repeats)]))


def leakage_probes(view: TargetView, train: pd.DataFrame, id_column: str) -> list[ColumnSignal]:
    """Id-only (coarse id bins), id-neighbour (about 5 rows per bin) and row-position models, each
    measured against the same model on shuffled bins."""
    folds = _fold_ids(len(train), strata(view))
    perfect = perfect_score(view)
    ids = train[id_column]
    position = pd.Series(np.arange(len(train)))
    probes = {
        "id_only": _bin_codes(ids, 32),
        "id_neighbour": _bin_codes(ids, max(2, len(train) // 5)),
        "row_position": _bin_codes(position, 32),
        "row_neighbour": _bin_codes(position, max(2, len(train) // 5)),
    }
    out = []
    for name, codes in probes.items():
        s = binned_cv_score(view, codes, folds)
        out.append(ColumnSignal(name, s, gain(view, s, null_score(view, codes, folds), perfect)))
    return out


def single_column_signals(view: TargetView, train: pd.DataFrame, features: list[str]) -> list[ColumnSignal]:
    """Each public column alone (64 quantile bins or its values), best first. With more than
    ``SCREEN_COLUMNS`` columns (pixels), all are ranked by the binned model's squared error first and
    the task's metric scores the best ``SCREEN_COLUMNS``: a column that alone nearly solves the task
    leads both rankings."""
    folds = _fold_ids(len(train), strata(view))
    perfect = perfect_score(view)
    base = null_score(view, np.arange(len(train)) % 64, folds)
    codes = {col: _bin_codes(train[col], 64) for col in features}
    if len(features) > SCREEN_COLUMNS:
        enc = _encoded(view)
        error = {col: float(np.mean((binned_means(enc, c, folds) - enc) ** 2)) for col, c in codes.items()}
        features = sorted(features, key=lambda col: error[col])[:SCREEN_COLUMNS]
    out = []
    for col in features:
        s = binned_cv_score(view, codes[col], folds)
        out.append(ColumnSignal(col, s, gain(view, s, base, perfect)))
    return sorted(out, key=lambda c: -c.gain)


def _model_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as they are; text/categories as codes (long text as its length)."""
    out: dict[str, np.ndarray] = {}
    for col in frame.columns:
        x = frame[col]
        if pd.api.types.is_numeric_dtype(x.dtype) or pd.api.types.is_bool_dtype(x.dtype):
            out[col] = x.to_numpy(dtype=float)
        elif x.astype(str).str.len().mean() > 40:
            out[col] = x.astype(str).str.len().to_numpy(dtype=float)
        else:
            out[col] = pd.factorize(x.astype(str), sort=True)[0].astype(float)  # value order, not row order
    return pd.DataFrame(out, index=frame.index)


def adversarial_auc(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> float:
    """Cross-validated ROC-AUC of a classifier telling test rows from train rows (0.5 = indistinguishable).

    At most ``ADV_ROWS`` rows of each side (a fixed random subset; fewer for wide data, down to 1,000,
    so rows x columns stay under ``ADV_CELLS``): under no shift the AUC's standard error is then 0.007
    to 0.013, far inside the check's margin (0.6); one thread, so its cost does not depend on the
    machine's load."""
    rng = np.random.default_rng(SEED)
    rows = max(1000, min(ADV_ROWS, ADV_CELLS // max(1, len(features))))
    sides = [f.iloc[np.sort(rng.choice(len(f), rows, replace=False))] if len(f) > rows else f for f in (train, test)]
    both = pd.concat([sides[0][features], sides[1][features]], ignore_index=True)
    X = _model_matrix(both)
    y = np.r_[np.zeros(len(sides[0])), np.ones(len(sides[1]))]
    model = HistGradientBoostingClassifier(max_iter=ADV_ITER, random_state=SEED)
    with threadpool_limits(1):
        proba = cross_val_predict(
            model, X, y, cv=StratifiedKFold(ADV_FOLDS, shuffle=True, random_state=SEED), method="predict_proba"
        )[:, 1]
    return float(roc_auc_score(y, proba))


@dataclass
class DuplicateSignal:
    """Test rows whose public features equal a train row's, and what copying that row's target buys.

    ``copy_gain``: 1 - error(copy) / error(no-skill guess) on those rows (squared error over the
    target's one-hot classes or values). Near 1: the same records twice (copying is exact); near 0 or
    below: coarse features that coincide by chance. ``copy_score``: the task's metric on the whole test
    set for the submission that copies on those rows and guesses the training prior elsewhere (what
    copying alone earns, to hold against the leaderboard)."""

    share: float
    copy_gain: float
    copy_score: float | None = None


def _test_view(pt: PreparedTask, view: TargetView, test: pd.DataFrame) -> TargetView:
    """The hidden answers of ``test``'s rows in the form ``view`` grades (labels, one-hot or values)."""
    spec = pt.spec
    answers = pd.read_csv(pt.answers_path, low_memory=False).set_index(spec.id_column)
    raw = answers.loc[test[spec.id_column].to_numpy(), spec.target_columns].reset_index(drop=True)
    if view.classes is not None and view.truth.ndim == 2:  # one probability column per class
        onehot = raw[list(view.classes)].to_numpy()
        labels = pd.DataFrame({"label": np.asarray(view.classes, dtype=object)[onehot.argmax(axis=1)]})
        return TargetView(view.metric, onehot, view.classes, labels)
    truth = raw.to_numpy() if len(raw.columns) > 1 else raw.iloc[:, 0].to_numpy()
    if view.classes is not None and view.truth.dtype != object:
        truth = truth.astype(view.truth.dtype)
    return TargetView(view.metric, truth, view.classes, raw)


def duplicate_signal(
    pt: PreparedTask, view: TargetView, train: pd.DataFrame, test: pd.DataFrame, features: list[str]
) -> DuplicateSignal:
    if not features:
        return DuplicateSignal(0.0, 0.0)

    def key(frame: pd.DataFrame) -> np.ndarray:
        return pd.util.hash_pandas_object(frame[features].astype(str), index=False).to_numpy()

    k_train, k_test = key(train), key(test)
    dup = np.isin(k_test, k_train)
    if not dup.any():
        return DuplicateSignal(0.0, 0.0)
    enc = _encoded(view)
    prior = enc.mean(axis=0)
    copied = np.broadcast_to(prior, (len(test), enc.shape[1])).copy()
    copied[dup] = pd.DataFrame(enc).groupby(k_train).mean().reindex(k_test[dup]).to_numpy()
    tv = _test_view(pt, view, test)
    truth_m = _encoded(tv)[dup]

    def err(pred: np.ndarray) -> float:
        return float(np.mean((pred - truth_m) ** 2))

    base = err(np.broadcast_to(prior, truth_m.shape))
    return DuplicateSignal(
        float(dup.mean()), 0.0 if base == 0 else 1.0 - err(copied[dup]) / base, score(tv, _predictions(tv, copied))
    )


def load_frames(pt: PreparedTask) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """train.csv, test.csv and the public feature names."""
    train = pd.read_csv(pt.public / "train.csv", low_memory=False)
    test = pd.read_csv(pt.public / "test.csv", low_memory=False)
    return train, test, [c for c in test.columns if c != pt.spec.id_column]


def capped(frame: pd.DataFrame, rows: int = MAX_ROWS) -> pd.DataFrame:
    """At most ``rows`` rows of ``frame``: a fixed random subset, kept in file order (the order checks
    read row positions). With 10,000 rows a gain's standard error is about 0.01, a tenth of the margin
    between the id checks' limit and a real leak."""
    if len(frame) <= rows:
        return frame
    keep = np.sort(np.random.default_rng(SEED).choice(len(frame), rows, replace=False))
    return frame.iloc[keep].reset_index(drop=True)
