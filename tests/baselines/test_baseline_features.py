"""Column typing: numeric, categorical, free text and dates are told apart, and dates are expanded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medalist.baselines import FeatureTypes, detect_feature_types, expand_datetimes, normalise_frame
from medalist.baselines.features import MISSING


def _frame() -> pd.DataFrame:
    n = 40
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "flag": [True, False] * (n // 2),
            "colour": ["red", "green", None, "blue"] * (n // 4),
            "review": [f"this is review number {i} and it is long" for i in range(n)],
            "when": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        }
    )


def test_detect_feature_types_groups_each_column() -> None:
    types = detect_feature_types(_frame())
    assert types.numeric == ["num", "flag"]
    assert types.categorical == ["colour"]
    assert types.text == ["review"]
    assert types.datetime == ["when"]
    assert sorted(types.all) == sorted(_frame().columns)


def test_short_repeated_strings_are_categorical_not_text() -> None:
    df = pd.DataFrame({"city": ["New York City", "Los Angeles", "San Francisco Bay Area"] * 20})
    assert detect_feature_types(df).categorical == ["city"]


def test_expand_datetimes_adds_calendar_parts() -> None:
    df = pd.DataFrame({"when": ["2021-03-04 05:06", "2022-12-31 23:00"], "x": [1, 2]})
    out = expand_datetimes(df, ["when"])
    assert "when" not in out.columns
    assert out["when__year"].tolist() == [2021.0, 2022.0]
    assert out["when__month"].tolist() == [3.0, 12.0]
    assert out["when__hour"].tolist() == [5.0, 23.0]
    assert out["when__days"].iloc[1] - out["when__days"].iloc[0] > 600


def test_normalise_frame_fills_missing_categories_and_text() -> None:
    df = _frame()
    df.loc[0, "review"] = None
    types = detect_feature_types(df)
    out = normalise_frame(df, types)
    assert out["colour"].iloc[2] == MISSING
    assert out["review"].iloc[0] == ""
    assert out["num"].dtype == np.float64
    assert "when__day_of_week" in out.columns


def test_subset_keeps_groups() -> None:
    t = FeatureTypes(numeric=["a", "b"], categorical=["c"], text=["d"])
    s = t.subset(["b", "d"])
    assert (s.numeric, s.categorical, s.text) == (["b"], [], ["d"])
