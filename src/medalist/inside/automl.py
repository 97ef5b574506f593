"""The ``automl`` agent's program, run inside the sandbox: a strong non-LLM baseline.

Reads the task info the harness provides (``/opt/medalist/task.json``), types the columns
(numeric / categorical / date / free text), trains gradient boosting (LightGBM, or scikit-learn's
HistGradientBoosting if LightGBM is missing) with K-fold CV and early stopping, and writes a
submission in the sample submission's format. It budgets against ``TIME_LIMIT_SECS``: a valid
fallback (the sample submission) is written first, folds stop early when time runs short, and a
time guard ends boosting before the deadline.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medalist.inside import automl_layout as layout_module
from medalist.inside import contract
from medalist.inside.automl_layout import Layout, NotTabular, read_table, resolve_layout

log = logging.getLogger("automl")
BUDGET_FRACTION = 0.6  # of TIME_LIMIT_SECS spent on training; the rest is slack for start-up and writing
MAX_CATEGORIES = 200
TEXT_MIN_WORDS = 4.0


# ----------------------------------------------------------------------------------------- problem
@dataclass
class Problem:
    """What to predict and how the submission encodes it."""

    kind: str  # "classification" | "regression"
    output: str  # "label" | "binary_proba" | "class_proba" | "multilabel_proba" | "ranked" | "numeric"
    label_columns: list[str]
    submission_columns: list[str]
    log_target: bool = False
    k: int = 5


def detect_problem(info: dict, train: pd.DataFrame, test: pd.DataFrame) -> Problem:
    targets: list[str] = info["target_columns"]
    prediction: str = info["prediction"]
    extra = [c for c in train.columns if c not in test.columns and c != info["id_column"]]
    present = all(t in train.columns for t in targets)
    if prediction == "numeric":
        return Problem("regression", "numeric", targets, targets, log_target=info["metric"] == "rmsle")
    if prediction == "ranked":
        label = targets[0] if present else extra[0]
        return Problem("classification", "ranked", [label], targets, k=int(info.get("metric_args", {}).get("k", 5)))
    if prediction == "label":
        return Problem("classification", "label", targets, targets)
    # probabilities
    if len(targets) == 1 and present:
        return Problem("classification", "binary_proba", targets, targets)
    if not present:  # one probability column per class of a single train-only label column
        names = {str(t) for t in targets}
        labels = [c for c in extra if {str(v) for v in train[c].dropna().unique()} <= names]
        if labels:
            return Problem("classification", "class_proba", labels[:1], targets)
    if present and info["task_type"] == "multiclass-classification":
        return Problem("classification", "class_proba", targets, targets)  # one-hot label columns
    return Problem("classification", "multilabel_proba", targets, targets)


# ---------------------------------------------------------------------------------------- features
@dataclass
class Features:
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


def type_columns(frame: pd.DataFrame) -> Features:
    ft = Features()
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            ft.numeric.append(col)
            continue
        text = s.dropna().astype(str)
        if text.empty:
            continue
        if pd.to_numeric(text, errors="coerce").notna().mean() >= 0.95:
            ft.numeric.append(col)
            continue
        sample = text.sample(min(500, len(text)), random_state=0)
        if sample.str.contains(r"\d").mean() > 0.9:
            with np.errstate(all="ignore"):
                try:
                    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
                except (ValueError, TypeError):
                    parsed = pd.Series(pd.NaT, index=sample.index)
            if parsed.notna().mean() >= 0.95:
                ft.dates.append(col)
                continue
        if text.str.split().str.len().mean() >= TEXT_MIN_WORDS and text.nunique() / len(text) >= 0.5:
            ft.text.append(col)
        else:
            ft.categorical.append(col)
    return ft


def build_matrix(train: pd.DataFrame, test: pd.DataFrame, ft: Features) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numeric + date parts + categories (as pandas categoricals shared by train and test)."""
    both = pd.concat([train, test], axis=0, ignore_index=True)
    out = pd.DataFrame(index=both.index)
    for col in ft.numeric:
        out[col] = pd.to_numeric(both[col], errors="coerce").astype(float)
    for col in ft.dates:
        d = pd.to_datetime(both[col], errors="coerce", format="mixed")
        if getattr(d.dt, "tz", None) is not None:  # '2009-06-15 17:26:21 UTC': compare as naive UTC times
            d = d.dt.tz_convert(None)
        for part in ("year", "month", "day", "day_of_week", "hour"):
            values = getattr(d.dt, part)
            if values.nunique() > 1:
                out[f"{col}__{part}"] = values.astype(float)
        out[f"{col}__epoch"] = (d - pd.Timestamp("1970-01-01")).dt.total_seconds()
    for col in ft.categorical:
        s = both[col].astype("string").fillna("__missing__")
        top = s.value_counts().index[:MAX_CATEGORIES]
        s = s.where(s.isin(top), "__other__")
        out[col] = pd.Categorical(s)
        out[f"{col}__freq"] = s.map(s.value_counts(normalize=True)).astype(float)
    n = len(train)
    return out.iloc[:n].reset_index(drop=True), out.iloc[n:].reset_index(drop=True)


def text_features(
    train_text: pd.Series, test_text: pd.Series, y: np.ndarray, problem: Problem, folds: list, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of a TF-IDF linear model, stacked as features for boosting."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, Ridge

    def model():
        if problem.kind == "classification":
            return LogisticRegression(C=4.0, max_iter=500)
        return Ridge(alpha=1.0)

    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=50_000, sublinear_tf=True)
    xtr = vec.fit_transform(train_text)
    xte = vec.transform(test_text)

    def predict(m, x):
        return m.predict_proba(x) if problem.kind == "classification" else m.predict(x).reshape(-1, 1)

    width = len(np.unique(y)) if problem.kind == "classification" else 1
    oof = np.zeros((xtr.shape[0], width))
    for tr, va in folds:
        m = model().fit(xtr[tr], y[tr])
        oof[va] = predict(m, xtr[va])
    full = predict(model().fit(xtr, y), xte)
    return oof, full


# ------------------------------------------------------------------------------------------ models
def make_folds(y: np.ndarray, classification: bool, n_splits: int, seed: int) -> list:
    from sklearn.model_selection import KFold, StratifiedKFold

    if classification:
        counts = np.bincount(y)
        smallest = counts[counts > 0].min()
        if smallest >= 2:
            k = max(2, min(n_splits, int(smallest)))
            return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return list(KFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(len(y))))


def _time_guard(deadline: float):
    import lightgbm as lgb

    def callback(env) -> None:
        if time.time() > deadline:
            log.info("time guard: stopping boosting at iteration %d", env.iteration)
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

    callback.order = 40  # type: ignore[attr-defined]  # lightgbm sorts callbacks by it; mypy has no function attributes
    return callback


def fit_predict(
    xtr: pd.DataFrame,
    y: np.ndarray,
    xva: pd.DataFrame,
    yva: np.ndarray,
    xte: pd.DataFrame,
    problem: Problem,
    n_classes: int,
    seed: int,
    deadline: float,
    threads: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Train one model with early stopping on (xva, yva); predictions for xva and xte."""
    try:
        import lightgbm as lgb
    except ImportError:
        return _fit_predict_hgb(xtr, y, xva, yva, xte, problem, n_classes, seed)
    # Many classes = one tree per class per round: a faster rate keeps multiclass affordable.
    lr = 0.1 if n_classes > 5 or len(xtr) > 50_000 else 0.05
    params: dict[str, Any] = dict(
        n_estimators=2000,
        learning_rate=lr,
        num_leaves=31,
        min_child_samples=max(3, min(20, len(xtr) // 40)),
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        reg_lambda=1.0,
        random_state=seed,
        n_jobs=threads,
        verbose=-1,
    )
    callbacks = [lgb.early_stopping(50, verbose=False), _time_guard(deadline)]
    if problem.kind == "classification":
        model = lgb.LGBMClassifier(**params)
        seen = np.isin(yva, y)
        if not seen.all():  # a class too rare to be in every training fold: early-stop on the classes it knows
            xva_eval, yva_eval = xva[seen], yva[seen]
        else:
            xva_eval, yva_eval = xva, yva
        model.fit(xtr, y, eval_set=[(xva_eval, yva_eval)], callbacks=callbacks)
        return _proba(np.asarray(model.predict_proba(xva)), model.classes_, n_classes), _proba(
            np.asarray(model.predict_proba(xte)), model.classes_, n_classes
        )
    model = lgb.LGBMRegressor(**params)
    model.fit(xtr, y, eval_set=[(xva, yva)], callbacks=callbacks)
    return np.asarray(model.predict(xva)), np.asarray(model.predict(xte))


def _proba(p: np.ndarray, classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Class probabilities laid out over all ``n_classes`` even if a fold missed some class."""
    out = np.zeros((p.shape[0], n_classes))
    out[:, np.asarray(classes, dtype=int)] = p
    return out


def _fit_predict_hgb(xtr, y, xva, yva, xte, problem, n_classes, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kw = dict(
        max_iter=1000, learning_rate=0.05, early_stopping=True, random_state=seed, categorical_features="from_dtype"
    )
    if problem.kind == "classification":
        m = HistGradientBoostingClassifier(**kw).fit(xtr, y)
        return _proba(m.predict_proba(xva), m.classes_, n_classes), _proba(m.predict_proba(xte), m.classes_, n_classes)
    m = HistGradientBoostingRegressor(**kw).fit(xtr, y)
    return m.predict(xva), m.predict(xte)


def cross_validate(
    x: pd.DataFrame,
    y: np.ndarray,
    xte: pd.DataFrame,
    problem: Problem,
    n_classes: int,
    folds: list,
    seed: int,
    deadline: float,
    threads: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """K-fold CV; test predictions are the mean over the folds that finished in time."""
    oof_width = n_classes if problem.kind == "classification" else 1
    oof = np.full((len(x), oof_width), np.nan)
    test_preds: list[np.ndarray] = []
    fold_secs: list[float] = []
    for i, (tr, va) in enumerate(folds):
        remaining = deadline - time.time()
        if test_preds and remaining < 1.3 * max(fold_secs):
            log.info("budget: stopping after %d of %d folds (%.0fs left)", len(test_preds), len(folds), remaining)
            break
        t0 = time.time()
        pva, pte = fit_predict(
            x.iloc[tr], y[tr], x.iloc[va], y[va], xte, problem, n_classes, seed + i, deadline, threads
        )
        oof[va] = pva.reshape(len(va), -1)
        test_preds.append(pte.reshape(len(xte), -1))
        fold_secs.append(time.time() - t0)
        log.info("fold %d/%d done in %.1fs", i + 1, len(folds), fold_secs[-1])
    return oof, np.mean(test_preds, axis=0), len(test_preds)


# -------------------------------------------------------------------------------------------- main
def _class_values(labels: np.ndarray, like: pd.Series) -> np.ndarray:
    """Decoded labels in the train column's own type (ints stay ints)."""
    if pd.api.types.is_integer_dtype(like.dtype):
        return labels.astype(np.int64)
    return labels


def solve(
    info: dict, data: Path, seed: int, deadline: float, threads: int, layout: Layout | None = None
) -> tuple[pd.DataFrame, dict]:
    layout = layout or resolve_layout(info, data)
    info = layout.info(info)
    id_col = info["id_column"]
    train = read_table(layout.train, id_col, max_table_bytes())
    test = read_table(layout.test, id_col, float("inf"))
    sample = pd.read_csv(layout.sample, dtype={id_col: str})
    problem = detect_problem(info, train, test)
    problem.log_target = problem.log_target or layout.log_target
    missing = [c for c in problem.label_columns if c not in train.columns]
    if missing:
        raise NotTabular(f"{layout.train.name} has no column {', '.join(missing)} to learn from")
    unknown = int((~sample[id_col].isin(test[id_col])).sum())
    if unknown:
        raise NotTabular(f"{unknown} id(s) of the sample submission are not in {layout.test.name}")
    log.info(
        "layout: train=%s test=%s id=%s targets=%s (%s)",
        layout.train.name,
        layout.test.name,
        id_col,
        layout.target_columns,
        layout.source,
    )
    log.info("problem: %s", problem)
    feat_cols = [c for c in test.columns if c != id_col and c in train.columns and c not in problem.label_columns]
    ft = type_columns(train[feat_cols])
    log.info("features: numeric=%s categorical=%s dates=%s text=%s", ft.numeric, ft.categorical, ft.dates, ft.text)
    xtr, xte = build_matrix(train[feat_cols], test[feat_cols], ft)

    # Targets: one label vector per model (several for multi-label / multi-target regression).
    if problem.output == "class_proba" and len(problem.label_columns) > 1:
        targets = [
            (
                "__class__",
                pd.Series(np.asarray(problem.label_columns)[train[problem.label_columns].to_numpy().argmax(1)]),
            )
        ]
    elif problem.output == "multilabel_proba" or (problem.kind == "regression" and len(problem.label_columns) > 1):
        targets = [(c, train[c]) for c in problem.label_columns]
    else:
        targets = [(problem.label_columns[0], train[problem.label_columns[0]])]

    n_folds = 5 if len(train) < 100_000 else 3
    submission = pd.DataFrame({id_col: test[id_col].astype(str)})
    cv: dict[str, object] = {}
    per_target_deadline = (deadline - time.time()) / len(targets)
    for name, ys in targets:
        target_deadline = time.time() + per_target_deadline
        keep = ys.notna().to_numpy()
        if problem.kind == "classification":
            classes, y = np.unique(ys[keep].astype(str) if ys.dtype == object else ys[keep], return_inverse=True)
        else:
            y = ys[keep].to_numpy(dtype=float)
            y = np.log1p(np.clip(y, 0, None)) if problem.log_target else y
            classes = np.array([])
        x = xtr[keep].reset_index(drop=True)
        folds = make_folds(y, problem.kind == "classification", n_folds, seed)
        if ft.text:
            text_tr = train.loc[keep, ft.text].fillna("").astype(str).agg(" ".join, axis=1)
            text_te = test[ft.text].fillna("").astype(str).agg(" ".join, axis=1)
            oof_t, te_t = text_features(text_tr, text_te, y, problem, folds, seed)
            x = x.assign(**{f"text_lin_{j}": oof_t[:, j] for j in range(oof_t.shape[1])})
            xte_t = xte.assign(**{f"text_lin_{j}": te_t[:, j] for j in range(te_t.shape[1])})
        else:
            xte_t = xte
        oof, pred, used = cross_validate(x, y, xte_t, problem, len(classes), folds, seed, target_deadline, threads)
        done = ~np.isnan(oof).any(axis=1)
        if problem.kind == "classification":
            acc = float((oof[done].argmax(1) == y[done]).mean()) if done.any() else None
            cv[name] = {"folds": used, "oof_accuracy": acc, "classes": len(classes)}
        else:
            rmse = float(np.sqrt(np.mean((oof[done, 0] - y[done]) ** 2))) if done.any() else None
            cv[name] = {"folds": used, "oof_rmse": rmse}
        log.info("cv %s: %s", name, cv[name])
        _write_target(
            submission, problem, name, classes, pred, train[problem.label_columns[0]] if name != "__class__" else None
        )
    cols = [id_col, *problem.submission_columns]
    submission = submission[cols]
    # Keep the sample submission's row order.
    submission = submission.set_index(id_col).loc[sample[id_col]].reset_index()
    return submission, {"problem": problem.__dict__, "cv": cv, "layout": layout.source}


def max_table_bytes() -> float:
    """Largest training CSV read whole: a sixth of the memory limit (parsed frames and models take the rest)."""
    memory_gb = float(os.environ.get(contract.ENV_MEMORY_GB) or 6)
    return memory_gb * 1e9 / 6


def _write_target(
    sub: pd.DataFrame, problem: Problem, name: str, classes: np.ndarray, pred: np.ndarray, like: pd.Series | None
) -> None:
    if problem.output == "numeric":
        p = pred[:, 0]
        sub[name] = np.clip(np.expm1(p), 0, None) if problem.log_target else p
    elif problem.output == "label":
        labels = classes[pred.argmax(1)]
        sub[name] = _class_values(labels, like) if like is not None else labels
    elif problem.output == "binary_proba":
        pos = [i for i, c in enumerate(classes) if str(c) in ("1", "1.0", "True", "true", "yes")]
        j = pos[0] if pos else len(classes) - 1
        sub[name] = np.clip(pred[:, j], 0.0, 1.0) if len(classes) > 1 else 1.0
    elif problem.output == "multilabel_proba":
        pos = [i for i, c in enumerate(classes) if str(c) in ("1", "1.0", "True", "true")]
        sub[name] = np.clip(pred[:, pos[0] if pos else -1], 0.0, 1.0) if len(classes) > 1 else 0.0
    elif problem.output == "class_proba":
        names = [str(c) for c in classes]
        for col in problem.submission_columns:
            sub[col] = pred[:, names.index(str(col))] if str(col) in names else 0.0
    elif problem.output == "ranked":
        order = np.argsort(-pred, axis=1)[:, : problem.k]
        sub[problem.submission_columns[0]] = [" ".join(str(classes[i]) for i in row) for row in order]


def write_report(outcome: str, reason: str = "", **extra: object) -> None:
    """``/home/logs/agent_report.json``: what the run produced and why (the harness copies it into run.json)."""
    path = Path(contract.resolve(contract.AGENT_REPORT_PATH))
    path.write_text(json.dumps({"outcome": outcome, "reason": reason, **extra}, default=str))


def main() -> int:
    start = time.time()
    warnings.filterwarnings("ignore", message=".*eval_set.*")
    logs, code = Path(contract.resolve(contract.LOGS_DIR)), Path(contract.resolve(contract.CODE_DIR))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(message)s",
        handlers=[logging.StreamHandler(sys.stdout), logging.FileHandler(logs / "automl.log")],
    )
    shutil.copyfile(__file__, code / "automl.py")  # the agent's code, saved with the run
    shutil.copyfile(layout_module.__file__, code / "automl_layout.py")
    info = json.loads(
        Path(contract.resolve(os.environ.get(contract.ENV_TASK_INFO, contract.TASK_INFO_PATH))).read_text()
    )
    data = Path(contract.resolve(contract.DATA_DIR))
    out = Path(contract.resolve(contract.SUBMISSION_PATH))
    sample = data / info["sample_submission"] if info.get("sample_submission") else None
    if sample is not None and sample.is_file():
        shutil.copyfile(sample, out)  # valid fallback if anything goes wrong
    limit = float(os.environ.get(contract.ENV_TIME_LIMIT, "600"))
    seed = int(os.environ.get(contract.ENV_SEED, "0"))
    threads = max(1, int(float(os.environ.get(contract.ENV_CPUS, "1")) + 0.5))
    deadline = start + BUDGET_FRACTION * limit
    log.info(
        "task %s, time limit %.0fs (training budget %.0fs), seed %d, %d thread(s)",
        info["id"],
        limit,
        deadline - start,
        seed,
        threads,
    )
    fallback = "sample_submission" if out.is_file() else "no_submission"  # no public sample to copy
    try:
        submission, summary = solve(info, data, seed, deadline, threads)
    except NotTabular as exc:
        log.info("no tabular model: %s; outcome: %s", exc, fallback)
        write_report(fallback, f"no tabular model: {exc}")
        return 0
    except Exception as exc:
        log.exception("automl failed; outcome: %s", fallback)
        first = (str(exc).strip().splitlines() or [""])[0]
        write_report(fallback, f"automl failed: {type(exc).__name__}: {first}")
        return 1
    tmp = out.with_suffix(".tmp")
    submission.to_csv(tmp, index=False)
    os.replace(tmp, out)
    summary["seconds"] = round(time.time() - start, 2)
    (logs / "automl_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    write_report("model", f"gradient boosting, {summary['layout']} layout", cv=summary["cv"])
    tool = shutil.which("validate_submission")
    if tool:
        proc = subprocess.run([tool, str(out)], capture_output=True, text=True)
        log.info("validate_submission: %s", (proc.stdout + proc.stderr).strip())
    log.info("done in %.1fs", time.time() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
