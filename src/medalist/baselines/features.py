"""Typed feature handling: decide which columns are numeric, categorical, text or dates.

Every reference solution types columns with these rules, whatever the task: numbers and booleans are
numeric; strings that parse as dates are expanded into numeric calendar parts; long, mostly unique,
multi-word strings are free text; every other string column is categorical.

The ``automl`` agent types columns on its own (``medalist.inside.automl.type_columns``): it runs in the
sandbox, where host modules are not importable, and its rules differ in detail (numeric-looking strings
are numbers; dates are tested before text). Both are frozen: changing these rules changes the committed
leaderboards' rebuild, changing automl's changes its calibration.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

TEXT_MIN_MEAN_WORDS = 4.0
"""A string column averaging at least this many words per value (and mostly unique) is free text."""
TEXT_MIN_UNIQUE_RATIO = 0.5
DATE_MIN_PARSE_RATIO = 0.95
MISSING = "__missing__"
"""The category level that stands for a missing value."""
_DATE_PARTS = ("year", "month", "day", "day_of_week", "hour")


@dataclass(frozen=True)
class FeatureTypes:
    """Column names of a feature frame grouped by how models should consume them."""

    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    datetime: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [*self.numeric, *self.categorical, *self.text, *self.datetime]

    def subset(self, columns: list[str]) -> FeatureTypes:
        """The same typing restricted to ``columns`` (order of each group kept)."""
        keep = set(columns)
        return FeatureTypes(
            numeric=[c for c in self.numeric if c in keep],
            categorical=[c for c in self.categorical if c in keep],
            text=[c for c in self.text if c in keep],
            datetime=[c for c in self.datetime if c in keep],
        )


def _is_stringish(s: pd.Series) -> bool:
    return bool(
        pd.api.types.is_object_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
        or isinstance(s.dtype, pd.CategoricalDtype)
    )


def _parses_as_dates(s: pd.Series) -> bool:
    sample = s.dropna().astype(str).head(500)
    if sample.empty or not sample.str.contains(r"\d", regex=True).all():
        return False
    if not sample.str.contains(r"[-/:T ]", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= DATE_MIN_PARSE_RATIO)


def _looks_like_text(s: pd.Series) -> bool:
    values = s.dropna().astype(str)
    if values.empty:
        return False
    words = values.str.split().str.len().mean()
    unique_ratio = values.nunique() / len(values)
    return bool(words >= TEXT_MIN_MEAN_WORDS and unique_ratio >= TEXT_MIN_UNIQUE_RATIO)


def detect_feature_types(X: pd.DataFrame) -> FeatureTypes:
    """Classify every column of ``X`` as numeric, categorical, text or datetime."""
    numeric, categorical, text, dates = [], [], [], []
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            numeric.append(col)
        elif pd.api.types.is_datetime64_any_dtype(s.dtype):
            dates.append(col)
        elif _is_stringish(s):
            if _looks_like_text(s):
                text.append(col)
            elif _parses_as_dates(s):
                dates.append(col)
            else:
                categorical.append(col)
        else:
            categorical.append(col)
    return FeatureTypes(numeric=numeric, categorical=categorical, text=text, datetime=dates)


def _to_datetime(s: pd.Series) -> pd.Series:
    """Parse dates fast with one inferred format; fall back to per-value parsing for mixed formats."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(s, errors="raise")
        except (ValueError, TypeError):
            return pd.to_datetime(s, errors="coerce", format="mixed")


def model_columns(types: FeatureTypes) -> list[str]:
    """Columns of :func:`normalise_frame` output for ``types`` (dates replaced by their parts)."""
    return [*types.numeric, *types.categorical, *types.text, *datetime_part_columns(types.datetime)]


def expand_datetimes(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Replace each date column by numeric parts (year, month, day, weekday, hour, days since 1970)."""
    if not columns:
        return X
    out = X.drop(columns=columns)
    for col in columns:
        ts = _to_datetime(X[col])
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert(None)
        for part in _DATE_PARTS:
            out[f"{col}__{part}"] = getattr(ts.dt, part).astype("float64")
        days = (ts - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        out[f"{col}__days"] = days.astype("float64")
    return out


def datetime_part_columns(columns: list[str]) -> list[str]:
    """Names of the numeric columns :func:`expand_datetimes` creates for ``columns``."""
    return [f"{c}__{p}" for c in columns for p in (*_DATE_PARTS, "days")]


def normalise_frame(X: pd.DataFrame, types: FeatureTypes) -> pd.DataFrame:
    """A model-ready copy: dates expanded, numerics as float, categoricals and text as plain strings.

    Missing categories become the explicit level ``MISSING`` and missing text becomes "" so every
    sklearn encoder and vectorizer accepts the columns.
    """
    out = expand_datetimes(X[types.all], types.datetime)
    for col in types.numeric:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in types.categorical:
        s = out[col]
        out[col] = s.astype(object).where(s.notna(), MISSING).astype(str).astype(object)
    for col in types.text:
        out[col] = out[col].astype(object).where(out[col].notna(), "").astype(str).astype(object)
    return out
