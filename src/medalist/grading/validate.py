"""Submission validation: every reason a submission cannot be scored, stated precisely.

The same checks serve the grader (template = private answers) and the in-sandbox
``validate_submission`` command (template = public sample submission), so an agent's format check
agrees with grading without ever seeing an answer.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from medalist.errors import InvalidSubmissionError, MedalistError
from medalist.grading.fastcsv import ID_ARRAY, positions_of_fixed_ids, read_simple_csv
from medalist.grading.isolate import check_size
from medalist.metrics import Metric
from medalist.tasks.spec import TaskSpec


def _open_regular_file(path: Path, what: str, max_bytes: int | None = None) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file, not a symbolic link, and (with
    ``max_bytes``) no larger than that, counting both its apparent size and its allocated blocks.

    The grader may run with more privileges than the agent that wrote the submission, so a symlink
    (which could point at private answers) is refused; ``O_NOFOLLOW`` closes the race between the
    check and the open, and ``O_NONBLOCK`` keeps a FIFO from hanging the grader.
    """
    if path.is_symlink():
        raise InvalidSubmissionError(f"{what} {path} is a symbolic link; submit a regular file")
    if not path.exists():
        raise InvalidSubmissionError(f"{what} file {path} does not exist")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InvalidSubmissionError(f"{what} file {path} does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InvalidSubmissionError(f"{what} {path} is a symbolic link; submit a regular file") from None
        raise InvalidSubmissionError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InvalidSubmissionError(f"{what} {path} is not a regular file")
    if st.st_size == 0:
        os.close(fd)
        raise InvalidSubmissionError(f"{what} {path} is empty")
    try:
        check_size(st, max_bytes, what)
    except InvalidSubmissionError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


# pandas' documented default missing-value markers; ids only treat an empty field as missing, so an id
# such as 'NA' (Namibia) or 'None' stays text.
_NA_VALUES = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
]


def _check_header(line: bytes, path: Path, what: str) -> list[str] | None:
    """Column names of the header line; refuse repeated names (pandas would rename the copy 'name.1').

    Names are quoted in the error only when they are ones the task expects: an error never repeats
    what a submission wrote.
    """
    try:
        names = next(csv.reader([line.decode("utf-8-sig")]), [])
    except (UnicodeDecodeError, csv.Error):
        return None  # read_csv reports unreadable files with its own message
    dup = sorted(n for n, count in Counter(names).items() if count > 1)
    if dup:
        raise InvalidSubmissionError(f"{what} has {len(dup)} duplicate column name(s) in its header")
    return names


def read_csv_file(path: Path, id_column: str, what: str = "submission", max_bytes: int | None = None) -> pd.DataFrame:
    """Read a CSV with the id column as text; raise InvalidSubmissionError for unreadable files (and,
    with ``max_bytes``, for files over that size, before reading them).

    Files in the common simple layout take a numpy fast path (:mod:`medalist.grading.fastcsv`) that yields
    the same frame; every other file, and every error message, comes from pandas' parser.
    """
    path = Path(path)
    with _open_regular_file(path, what, max_bytes) as fh:
        data = fh.read()
    newline = data.find(b"\n", 0, 1 << 20)
    names = _check_header(data[: newline if newline >= 0 else 1 << 20], path, what)
    na: dict[str, object] = {"keep_default_na": True}
    if names:
        na = {"keep_default_na": False, "na_values": {n: [""] if n == id_column else _NA_VALUES for n in names}}

    def parse(buffer: io.BytesIO, usecols: list[str] | None = None) -> pd.DataFrame:
        with warnings.catch_warnings():
            # index_col=False: rows longer than the header must not silently become an index (which
            # shifts every column); pandas warns instead, and the warning is the error. low_memory (the
            # default) parses in chunks, about twice as fast on large files; a column whose chunks infer
            # different types comes back as object, which the value checks below convert anyway.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(buffer, dtype={id_column: str}, index_col=False, usecols=usecols, **na)

    if names:
        try:
            fast = read_simple_csv(data, names, id_column, parse)
        except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError, ValueError):
            fast = None  # the general path below says what is wrong
        if fast is not None:
            return fast
    try:
        return parse(io.BytesIO(data))
    except pd.errors.EmptyDataError:
        raise InvalidSubmissionError(f"{what} {path} has no header row") from None
    except pd.errors.ParserWarning:
        raise InvalidSubmissionError(
            f"{what} {path} is not a readable CSV file: some rows have more fields than the header"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError, csv.Error, ValueError, OSError) as exc:
        raise InvalidSubmissionError(f"{what} {path} is not a readable CSV file: {_parser_reason(exc)}") from None


def _parser_reason(exc: BaseException) -> str:
    """What the CSV parser said, without any of the file's content (its messages can quote a row)."""
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, pd.errors.ParserError) or "EOF" in first:
        # the C tokenizer's messages name positions and counts (e.g. 'Expected 2 fields in line 3, saw 5')
        return first.split(":", 1)[-1].strip()[:160] if first.startswith("Error tokenizing data") else first[:160]
    return type(exc).__name__


def _row(mask: np.ndarray | pd.Series) -> str:
    """'first at row N' for the first true entry (rows counted from 1 after the header)."""
    return f"first at row {int(np.argmax(np.asarray(mask))) + 1}"


def _preview(values: Iterable[object], limit: int = 5) -> str:
    """Up to ``limit`` values, quoted: only for values the task provides (answers, expected labels)
    or numbers parsed from a submission, never a submission's text."""
    vals = [v.item() if isinstance(v, np.generic) else v for v in values]
    shown = ", ".join(repr(v) for v in vals[:limit])
    more = f" and {len(vals) - limit} more" if len(vals) > limit else ""
    return shown + more


@dataclass(frozen=True)
class AlignedSubmission:
    """Submission rows reordered to the template's id order, with the target columns checked."""

    ids: np.ndarray
    y_pred: np.ndarray
    y_true: np.ndarray | None


def _check_columns(sub: pd.DataFrame, spec: TaskSpec) -> None:
    required = [spec.id_column, *spec.target_columns]
    missing = [c for c in required if c not in sub.columns]
    if missing:
        raise InvalidSubmissionError(
            f"missing column(s): {', '.join(missing)} (expected exactly: {', '.join(required)})"
        )
    extra = [i + 1 for i, c in enumerate(sub.columns) if c not in required]
    if extra:
        where = ", ".join(map(str, extra[:5])) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        raise InvalidSubmissionError(
            f"{len(extra)} unexpected column(s), at position {where} (expected exactly: {', '.join(required)})"
        )


_MAX_HASHED_ID_LENGTH = 16


def _positions_by_code_hash(tmpl_ids: np.ndarray, sub_ids: np.ndarray) -> np.ndarray | None:
    """Template row of every submission id (-1 = unknown), or None to use the exact pandas lookup.

    Hashing a million Python strings dominates grading time, so short text ids are copied into
    fixed-width arrays, hashed with vectorised FNV-1a over their code points and matched through an
    integer hash table (about twice as fast). Every match is then compared character for character:
    a hash collision can only send us back to the exact path, never pair the wrong ids.
    """
    try:
        width = max(max(map(len, tmpl_ids), default=0), max(map(len, sub_ids), default=0))
    except TypeError:  # not all text
        return None
    if not 0 < width <= _MAX_HASHED_ID_LENGTH:
        return None
    t, s = tmpl_ids.astype(f"U{width}"), sub_ids.astype(f"U{width}")
    t_hash, s_hash = _code_hash(t, width), _code_hash(s, width)
    index = pd.Index(t_hash)
    if not index.is_unique:  # repeated template ids, or a collision: let the exact path decide
        return None
    pos = index.get_indexer(s_hash)
    found = pos >= 0
    if not np.array_equal(t[pos[found]], s[found]):
        return None
    return pos


def _code_hash(ids: np.ndarray, width: int) -> np.ndarray:
    """64-bit FNV-1a over the code points of a fixed-width unicode array (one hash per row)."""
    codes = ids.view(np.uint32).reshape(len(ids), width)
    h = np.full(len(ids), 14695981039346656037, dtype=np.uint64)
    for j in range(width):
        h ^= codes[:, j]
        h *= np.uint64(1099511628211)
    return h


def _align_ids(sub: pd.DataFrame, template: pd.DataFrame, id_col: str) -> np.ndarray:
    """Indexer that reorders ``sub`` into ``template``'s id order; raises on any id mismatch.

    One hash lookup of the submission's ids in the template's (skipped when both list the same ids in
    the same order); the slower duplicate and set-difference scans only run to explain a mismatch.
    """
    n = len(template)
    tmpl_ids = template[id_col].to_numpy()
    sub_ids = sub[id_col].to_numpy()
    t_fixed, s_fixed = template.attrs.get(ID_ARRAY), sub.attrs.get(ID_ARRAY)
    fixed = t_fixed is not None and s_fixed is not None  # both read by the fast path: compare in numpy
    if len(sub_ids) == n and bool(np.array_equal(s_fixed, t_fixed) if fixed else np.array_equal(sub_ids, tmpl_ids)):
        return np.arange(n)
    na = sub[id_col].isna()
    if na.any():
        raise InvalidSubmissionError(f"column {id_col!r} has {int(na.sum())} empty id(s), {_row(na)}")
    # template row of every submission row, -1 = not a test id
    pos = positions_of_fixed_ids(t_fixed, s_fixed) if fixed else _positions_by_code_hash(tmpl_ids, sub_ids)
    if pos is None:
        index = pd.Index(tmpl_ids)
        if not index.is_unique:
            raise MedalistError(f"the task's reference file repeats ids in column {id_col!r}; the task is broken")
        pos = index.get_indexer(sub_ids)
    unknown = pos < 0
    counts = np.bincount(pos[~unknown], minlength=n)
    if len(sub_ids) == n and not unknown.any() and (counts == 1).all():
        indexer = np.empty(n, dtype=np.intp)
        indexer[pos] = np.arange(n)
        return indexer
    dup = sub[id_col].duplicated()
    if dup.any():
        raise InvalidSubmissionError(f"{int(dup.sum())} duplicate id(s) in column {id_col!r}, {_row(dup)}")
    missing = tmpl_ids[counts == 0]
    parts = []
    if len(missing):
        parts.append(f"{len(missing)} missing id(s): {_preview(missing)}")
    if unknown.any():
        parts.append(f"{int(unknown.sum())} unexpected id(s), {_row(unknown)}")
    raise InvalidSubmissionError("; ".join(parts) + f" (expected the {n} ids of the test set)")


def _check_values(col: pd.Series, name: str, metric: Metric) -> np.ndarray:
    """Check one target column against what the metric needs; return its values as an array."""
    if metric.prediction in ("numeric", "probability"):
        values = pd.to_numeric(col, errors="coerce")
        bad = values.isna() & col.notna()
        if bad.any():
            raise InvalidSubmissionError(
                f"column {name!r} must be numeric; {int(bad.sum())} non-numeric value(s), {_row(bad)}"
            )
        arr = values.to_numpy(dtype=float)
        if np.isnan(arr).any():
            raise InvalidSubmissionError(
                f"column {name!r} has {int(np.isnan(arr).sum())} missing (NaN) value(s), {_row(np.isnan(arr))}"
            )
        if not np.isfinite(arr).all():
            raise InvalidSubmissionError(f"column {name!r} has {int((~np.isfinite(arr)).sum())} infinite value(s)")
        if metric.prediction == "probability":
            out = (arr < 0) | (arr > 1)
            if out.any():
                raise InvalidSubmissionError(
                    f"column {name!r} holds probabilities and must lie in [0, 1]; {int(out.sum())} value(s) outside, "
                    f"e.g. {_preview(np.unique(arr[out]))}"
                )
        return arr
    if col.isna().any():
        raise InvalidSubmissionError(
            f"column {name!r} has {int(col.isna().sum())} missing value(s), {_row(col.isna())}"
        )
    return col.to_numpy()


def _labels_like(pred: np.ndarray, truth: pd.Series, name: str) -> np.ndarray:
    """Make predicted labels comparable with the true labels (numbers as numbers, text as text), and
    refuse labels that never occur in the answers: they cannot be right, and a flood of made-up labels
    would only blow up the metric's memory (confusion matrices grow with the label count)."""
    known = truth.dropna().unique()
    if pd.api.types.is_numeric_dtype(truth.dtype):
        num = pd.to_numeric(pd.Series(pred), errors="coerce")
        if num.isna().any():
            raise InvalidSubmissionError(
                f"column {name!r} must hold numeric class labels; {int(num.isna().sum())} non-numeric value(s), "
                f"{_row(num.isna())}"
            )
        labels = num.to_numpy()
    else:
        labels = pd.Series(pred).astype(str).to_numpy()
        known = pd.Series(known).astype(str).unique()
        if pred.dtype.kind in "iufb" and not pd.Series(labels).isin(known).any():
            # The answers hold text labels (e.g. 'M'/'B'); numbers matching none of them would silently score 0.
            raise InvalidSubmissionError(
                f"column {name!r} must hold class labels like {_preview(known, 3)}; "
                f"got numbers: {_preview(pd.unique(pred), 3)}"
            )
    outside = ~pd.Series(labels).isin(known).to_numpy()
    if outside.any():
        raise InvalidSubmissionError(
            f"column {name!r} has {int(outside.sum())} value(s) that are not labels of this task, {_row(outside)} "
            f"(the answers use {len(known)} label(s): {_preview(known, 5)})"
        )
    return labels


def _target_arrays(frame: pd.DataFrame, spec: TaskSpec, metric: Metric, truth: pd.DataFrame | None) -> np.ndarray:
    cols = []
    for c in spec.target_columns:
        arr = _check_values(frame[c], c, metric)
        if metric.prediction == "label" and truth is not None:
            arr = _labels_like(arr, truth[c], c)
        elif metric.prediction == "ranked":
            arr = pd.Series(arr).astype(str).to_numpy()
        cols.append(arr)
    if len(cols) == 1 and not metric.multi_column:
        return cols[0]
    return np.column_stack(cols)


def validate_frame(
    sub: pd.DataFrame, template: pd.DataFrame, spec: TaskSpec, metric: Metric, *, template_is_answers: bool
) -> AlignedSubmission:
    """Validate ``sub`` against ``template`` (answers or sample submission) and align it by id."""
    if len(sub) == 0:
        raise InvalidSubmissionError("submission has a header but no rows")
    _check_columns(sub, spec)
    indexer = _align_ids(sub, template, spec.id_column)
    truth = None
    if template_is_answers:  # (reset_index would also deep-copy the frame's attrs)
        truth = template if template.index.equals(pd.RangeIndex(len(template))) else template.reset_index(drop=True)
    # Check values in file order (the checks are order-free), then reorder only the target arrays.
    y_pred = _target_arrays(sub, spec, metric, truth)[indexer]
    y_true = None
    if truth is not None:
        y_true = np.column_stack([truth[c].to_numpy() for c in spec.target_columns])
        if len(spec.target_columns) == 1 and not metric.multi_column:
            y_true = y_true[:, 0]
    return AlignedSubmission(ids=template[spec.id_column].to_numpy(), y_pred=y_pred, y_true=y_true)


def check_submission_format(submission: Path, sample_submission: Path, spec: TaskSpec) -> None:
    """Format-only check against the public sample submission; raises InvalidSubmissionError."""
    from medalist.metrics import get_metric

    metric = get_metric(spec.metric)
    sub = read_csv_file(submission, spec.id_column)
    template = read_csv_file(sample_submission, spec.id_column, what="sample submission")
    validate_frame(sub, template, spec, metric, template_is_answers=False)
