"""Shared building blocks for built-in ``prepare`` scripts: keyed, non-invertible splits and file writing.

Every random choice a built-in task makes (which rows to keep, which rows are test rows, which id a row
gets) is drawn from a secret *key*: SHA-256 over the task id and a canonical serialisation of the full
labelled data (test labels included). Every machine that has the dataset package derives the same key;
an agent in the sandbox cannot, because it never sees the test labels (nor the raw data, which the
sandbox hides). So knowing medalist's source code, train.csv and test.csv is not enough to replay the
split and rebuild the answers: the attacker would need to guess every test label first.

The random draws are SHAKE-256 output over the key (standard, stable everywhere), not a library's
splitter or a NumPy distribution, so two machines with different pandas/NumPy/scikit-learn versions
prepare the same bytes as long as the dataset itself is the same. Ids are a keyed permutation of
``0..n-1`` unrelated to the source order; public files and answers are sorted by id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

KEY_VERSION = b"medalist-keyed-split-v1"
CSV_FLOAT_FORMAT = "%.10g"
"""Float format of every CSV the suite writes: fixed, so files are byte-identical across runs."""
_MANTISSA_BITS = 40  # floats are hashed at 40 of 52 mantissa bits: immune to last-digit parser differences
_NA = "\x01NA\x01"


def _float_bytes(values: np.ndarray) -> bytes:
    """Canonical bytes of float64 values, rounded to ``_MANTISSA_BITS`` so 1-ulp parse differences vanish."""
    x = np.asarray(values, dtype="<f8")
    mantissa, exponent = np.frexp(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0))
    q = np.round(mantissa * (1 << _MANTISSA_BITS)).astype("<i8")
    special = np.where(np.isnan(x), 1, np.where(np.isposinf(x), 2, np.where(np.isneginf(x), 3, 0))).astype("<i1")
    return q.tobytes() + exponent.astype("<i4").tobytes() + special.tobytes()


def _column_bytes(col: pd.Series) -> bytes:
    """A column's values as bytes that depend on the values only, not on dtype details or library versions."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    if pd.api.types.is_bool_dtype(col.dtype):
        return b"b" + _float_bytes(col.astype("float64").to_numpy())
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        stamps = pd.to_datetime(col, utc=True)
        seconds = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return b"t" + _float_bytes(seconds.to_numpy(dtype="float64", na_value=np.nan))
    if pd.api.types.is_timedelta64_dtype(col.dtype):
        return b"d" + _float_bytes(col.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan))
    if pd.api.types.is_numeric_dtype(col.dtype):
        return b"n" + _float_bytes(col.to_numpy(dtype="float64", na_value=np.nan))
    missing = col.isna().to_numpy()
    text = "\x00".join(_NA if m else str(v) for v, m in zip(col.astype(object).to_numpy(), missing))
    return b"s" + text.encode("utf-8", "surrogatepass")


def data_key(task_id: str, df: pd.DataFrame) -> bytes:
    """The task's secret: SHA-256 of the task id and the canonical bytes of every cell of ``df``.

    ``df`` must be the full labelled data (test labels included) so the key cannot be computed from
    what an agent sees. Column order and row order are part of the key.
    """
    h = hashlib.sha256(KEY_VERSION + b"\x00" + task_id.encode() + b"\x00")
    h.update(f"{len(df)}x{df.shape[1]}".encode())
    for name in df.columns:
        h.update(b"\x00" + str(name).encode() + b"\x00")
        h.update(hashlib.sha256(_column_bytes(df[name])).digest())
    return h.digest()


def keyed_uniform(key: bytes, purpose: str, n: int) -> np.ndarray:
    """``n`` unsigned 64-bit draws from SHAKE-256(key, purpose): reproducible, library-independent."""
    raw = hashlib.shake_256(key + b"\x00" + purpose.encode()).digest(8 * n) if n else b""
    return np.frombuffer(raw, dtype="<u8").copy()


def keyed_order(key: bytes, purpose: str, n: int) -> np.ndarray:
    """A keyed random permutation of ``0..n-1`` (ties, never seen in practice, break by position)."""
    return np.argsort(keyed_uniform(key, purpose, n), kind="stable")


def _label_strings(values: pd.Series) -> np.ndarray:
    """Labels as canonical strings (so ``1`` and ``1.0`` from different pandas versions group alike)."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return np.array([_NA if pd.isna(v) else format(float(v), ".12g") for v in values.to_numpy()], dtype=object)
    return np.array([_NA if pd.isna(v) else str(v) for v in values.astype(object).to_numpy()], dtype=object)


def _test_mask(key: bytes, n: int, test_size: float, strata: np.ndarray | None) -> np.ndarray:
    """Which of ``n`` rows are test rows: per stratum, the first ``round(size * test_size)`` in keyed order."""
    draws = keyed_uniform(key, "split", n)
    mask = np.zeros(n, dtype=bool)
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(strata == s) for s in sorted(set(strata))]
    for rows in groups:
        n_test = int(np.floor(len(rows) * test_size + 0.5))
        chosen = rows[np.argsort(draws[rows], kind="stable")[:n_test]]
        mask[chosen] = True
    return mask


def keyed_split(
    df: pd.DataFrame,
    *,
    task_id: str,
    test_size: float,
    stratify: str | None = None,
    max_rows: int | None = None,
    id_column: str = "id",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the full labelled ``df`` into (train, test) with keyed randomness; both get random ids.

    The key is derived from ``task_id`` and all of ``df`` (before any subsampling). With ``max_rows``,
    a keyed random subset of that many rows is kept first. The test rows are drawn per class of
    ``stratify`` (when given) so class shares match. Ids are a keyed permutation of ``0..n-1``;
    both frames are returned sorted by id, the id column first.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    if id_column in df.columns:
        raise ValueError(f"the data already has a column {id_column!r}")
    key = data_key(task_id, df)
    df = df.reset_index(drop=True)
    if max_rows is not None and len(df) > max_rows:
        keep = np.sort(keyed_order(key, "subsample", len(df))[:max_rows])
        df = df.iloc[keep].reset_index(drop=True)
    n = len(df)
    strata = _label_strings(df[stratify]) if stratify is not None else None
    is_test = _test_mask(key, n, test_size, strata)
    ids = np.empty(n, dtype=np.int64)
    ids[keyed_order(key, "ids", n)] = np.arange(n)
    out = df.copy()
    out.insert(0, id_column, ids)
    train = out[~is_test].sort_values(id_column, kind="stable").reset_index(drop=True)
    test = out[is_test].sort_values(id_column, kind="stable").reset_index(drop=True)
    return train, test


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a CSV byte-for-byte reproducibly (fixed float format, no index, LF line ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT)


def write_competition(
    train: pd.DataFrame,
    test: pd.DataFrame,
    *,
    public: Path,
    private: Path,
    id_column: str,
    targets: Sequence[str],
    sample_values: dict[str, object],
    answer_columns: dict[str, pd.Series] | None = None,
) -> None:
    """Write train.csv, test.csv (targets removed), sample_submission.csv and private answers.csv.

    ``sample_values`` gives the constant each target column takes in the sample submission;
    ``answer_columns`` overrides answer columns (e.g. one-hot columns for multiclass probabilities).
    All files keep the frames' row order (by id, from :func:`keyed_split`).
    """
    write_csv(train, public / "train.csv")
    features = [c for c in test.columns if c not in targets]
    write_csv(test[features], public / "test.csv")
    sample = pd.DataFrame({id_column: test[id_column]})
    for col, value in sample_values.items():
        sample[col] = value
    write_csv(sample, public / "sample_submission.csv")
    answers = pd.DataFrame({id_column: test[id_column]})
    if answer_columns is not None:
        for col, series in answer_columns.items():
            answers[col] = series.to_numpy()
    else:
        for col in targets:
            answers[col] = test[col].to_numpy()
    write_csv(answers, private / "answers.csv")


def one_hot_answers(labels: pd.Series, classes: Sequence[object]) -> dict[str, pd.Series]:
    """One 0/1 answer column per class (named ``str(class)``), for multi-column probability metrics."""
    return {str(c): (labels == c).astype(int).reset_index(drop=True) for c in classes}


def snake_case(name: str) -> str:
    """``'Retail Price'`` -> ``'retail_price'``: lower case, runs of non-alphanumerics become one ``_``."""
    import re

    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
