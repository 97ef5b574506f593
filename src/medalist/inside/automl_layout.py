"""Where the ``automl`` agent finds its table, and what it must predict (runs inside the sandbox).

Built-in tasks state everything in ``task.json`` (``train.csv``, ``test.csv``, the id and target
columns, and the metric's prediction kind); their layout is taken as it is. Foreign tasks (MLE-bench)
state less: the harness infers the id and target columns from the sample submission, and this module
finds the training table (the CSV holding the test table's columns plus the targets, e.g. ``labels.csv``)
and infers the kind of prediction from the grader's name and the data. When the data is not one table
(images, audio, JSON, archives, ...) :class:`NotTabular` says why, and the agent submits the sample.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TABLE_SUFFIXES = (".csv", ".csv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")
# Words in a grader's name that fix the prediction kind (MLE-bench names graders like "auc-roc").
PROBABILITY_WORDS = ("auc", "log-loss", "logloss", "log_loss", "cross-entropy", "crossentropy", "brier")
NUMERIC_WORDS = ("error", "rmse", "rmsle", "mae", "mse", "r2", "squared", "pearson", "spearman")
LABEL_WORDS = ("accuracy", "f1", "kappa", "precision", "recall")
MAX_LABEL_CLASSES = 30  # integer targets with at most this many values (and integer sample values) are labels


class NotTabular(Exception):
    """The task's data is not a table automl can learn from; the message says why (one line)."""


@dataclass
class Layout:
    """Files and column roles for one tabular task."""

    train: Path
    test: Path
    sample: Path
    id_column: str
    target_columns: list[str]
    prediction: str  # "label" | "probability" | "numeric" | "ranked"
    log_target: bool = False
    source: str = "task"  # "task": all from task.json; "inferred": found in the data

    def info(self, info: dict) -> dict:
        """``info`` (task.json) completed with this layout's roles, for the modelling code."""
        return {
            **info,
            "id_column": self.id_column,
            "target_columns": self.target_columns,
            "prediction": self.prediction,
        }


def table_files(data: Path) -> list[Path]:
    """Top-level tables (CSV, possibly compressed) of the public data, sorted by name."""
    return sorted(p for p in data.iterdir() if p.is_file() and p.name.lower().endswith(TABLE_SUFFIXES))


def header(path: Path) -> list[str]:
    """Column names of a (possibly compressed) CSV."""
    return list(pd.read_csv(path, nrows=0).columns)


def describe_files(data: Path, limit: int = 4) -> str:
    """What the public folder holds, by file type, e.g. '1,200 .jpg, 2 .csv, 1 folder(s)'."""
    counts: Counter[str] = Counter()
    folders = 0
    for p in data.rglob("*"):
        if p.is_dir():
            folders += p.parent == data
        elif p.is_file():
            counts["".join(p.suffixes[-2:]).lower() or "(no extension)"] += 1
    parts = [f"{n:,} {ext}" for ext, n in counts.most_common(limit)]
    more = sum(counts.values()) - sum(n for _, n in counts.most_common(limit))
    return (
        ", ".join(parts + ([f"{more:,} other"] if more else []) + ([f"{folders} folder(s)"] if folders else []))
        or "nothing"
    )


def resolve_layout(info: dict, data: Path) -> Layout:
    """The layout of a task (see module doc); raises NotTabular with the reason."""
    sample_name = info.get("sample_submission")
    if not sample_name:
        raise NotTabular(f"there is no public sample submission to follow (public files: {describe_files(data)})")
    sample = data / sample_name
    if not sample.is_file() or not sample.name.lower().endswith(TABLE_SUFFIXES):
        raise NotTabular(f"the sample submission {sample_name} is not a CSV file")
    if info.get("prediction") and (data / "train.csv").is_file() and (data / "test.csv").is_file():
        return Layout(
            data / "train.csv",
            data / "test.csv",
            sample,
            info["id_column"],
            list(info["target_columns"]),
            info["prediction"],
        )
    id_col = info.get("id_column")
    targets = list(info.get("target_columns") or [])
    if not id_col or not targets:
        raise NotTabular(f"the sample submission's id and target columns are unknown ({', '.join(header(sample))})")
    tables = [p for p in table_files(data) if p != sample]
    test = _find_test(tables, id_col, data)
    test_cols = header(test)
    features = [c for c in test_cols if c != id_col]
    if not features:
        raise NotTabular(
            f"{test.name} holds only the ids ({id_col}); the inputs are other files ({describe_files(data)})"
        )
    train = _find_train(tables, test, features, targets, data)
    train_cols = header(train)
    if not set(features) & set(train_cols):
        raise NotTabular(f"{train.name} shares no feature column with {test.name}")
    prediction = infer_prediction(str(info.get("metric") or ""), targets, train, train_cols, sample, id_col)
    metric = str(info.get("metric") or "").lower()
    return Layout(
        train,
        test,
        sample,
        id_col,
        targets,
        prediction,
        log_target=prediction == "numeric" and ("rmsle" in metric or "log-error" in metric),
        source="inferred",
    )


def _find_test(tables: list[Path], id_col: str, data: Path) -> Path:
    named = [p for p in tables if p.name.lower().startswith("test")]
    for p in sorted(named, key=lambda p: (p.name.lower() != "test.csv", p.name)):
        if id_col in header(p):
            return p
    raise NotTabular(f"no test table with the id column {id_col!r} (public files: {describe_files(data)})")


def _find_train(tables: list[Path], test: Path, features: list[str], targets: list[str], data: Path) -> Path:
    """The table with the most of the test's feature columns and a column the test lacks (the label)."""
    best: tuple[int, int, str] | None = None
    chosen = None
    for p in tables:
        if p == test:
            continue
        cols = header(p)
        shared = len(set(features) & set(cols))
        labels = [c for c in cols if c not in features]
        if shared == 0 or not labels:
            continue
        has_targets = all(t in cols for t in targets)
        key = (int(has_targets) + int(p.name.lower() == "train.csv"), shared, p.name)
        if best is None or key[:2] > best[:2]:
            best, chosen = key, p
    if chosen is None:
        raise NotTabular(
            f"no training table with the test's columns and the targets {', '.join(targets)} "
            f"(public files: {describe_files(data)})"
        )
    return chosen


def _sample_values(sample: Path, targets: list[str]) -> pd.DataFrame:
    return pd.read_csv(sample, usecols=targets, nrows=2000)


def infer_prediction(
    metric: str, targets: list[str], train: Path, train_cols: list[str], sample: Path, id_col: str
) -> str:
    """label / probability / numeric for a task whose metric medalist does not know (see module doc)."""
    name = metric.lower()
    if not all(t in train_cols for t in targets):
        return "probability"  # one column per class of a label column that only train has
    if any(w in name for w in PROBABILITY_WORDS):
        return "probability"
    if any(w in name for w in NUMERIC_WORDS):
        return "numeric"
    if any(w in name for w in LABEL_WORDS):
        return "label"
    y = pd.read_csv(train, usecols=targets, nrows=200_000)
    given = _sample_values(sample, targets)
    for t in targets:
        col = y[t].dropna()
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            return "label"
        values = pd.to_numeric(given[t], errors="coerce").dropna()
        integral = bool(np.all(np.mod(col, 1) == 0)) and bool(np.all(np.mod(values, 1) == 0))
        if set(np.unique(col)) <= {0, 1} and len(values) and ((values > 0) & (values < 1)).any():
            return "probability"
        if not (integral and col.nunique() <= MAX_LABEL_CLASSES):
            return "numeric"
    return "label"


def read_table(path: Path, id_col: str | None, max_bytes: float) -> pd.DataFrame:
    """Read a table with its id column as text; of a plain CSV larger than ``max_bytes`` only the first rows
    that fit are read (a 55M-row training file must not exhaust the run's memory)."""
    dtype = {id_col: str} if id_col else None
    if path.stat().st_size <= max_bytes or not path.name.lower().endswith(".csv"):
        return pd.read_csv(path, low_memory=False, dtype=dtype)
    with open(path, "rb") as fh:
        fh.readline()
        lines = [fh.readline() for _ in range(10_000)]
    per_row = max(1.0, sum(map(len, lines)) / max(1, len(lines)))
    return pd.read_csv(path, nrows=max(10_000, int(max_bytes / per_row)), low_memory=False, dtype=dtype)
