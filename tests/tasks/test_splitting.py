"""Keyed preparation: the split and ids depend on a secret derived from the full labelled data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medalist.tasks.splitting import data_key, keyed_order, keyed_split, keyed_uniform


def frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n).round(6),
            "cat": rng.choice(["a", "b", "c"], size=n),
            "label": np.sort(rng.choice(["p", "q"], size=n, p=[0.8, 0.2])),  # sorted by class, like many datasets
        }
    )


def test_split_is_deterministic_stratified_and_ids_are_a_sorted_permutation() -> None:
    df = frame()
    train, test = keyed_split(df, task_id="t", test_size=0.3, stratify="label")
    again = keyed_split(df.copy(), task_id="t", test_size=0.3, stratify="label")
    pd.testing.assert_frame_equal(train, again[0])
    pd.testing.assert_frame_equal(test, again[1])
    assert list(train.columns) == ["id", *df.columns]
    ids = np.concatenate([train["id"], test["id"]])
    assert sorted(ids) == list(range(len(df)))
    assert train["id"].is_monotonic_increasing and test["id"].is_monotonic_increasing
    counts = df["label"].value_counts()
    assert test["label"].value_counts().to_dict() == {k: int(np.floor(v * 0.3 + 0.5)) for k, v in counts.items()}


def test_ids_and_row_order_carry_no_trace_of_the_source_order() -> None:
    """The source is sorted by class: neither ids nor file order may follow it."""
    df = frame(2000)
    train, _ = keyed_split(df, task_id="t", test_size=0.3, stratify="label")
    positive = (train["label"] == "q").to_numpy()
    first_half = positive[: len(positive) // 2].mean()
    second_half = positive[len(positive) // 2 :].mean()
    assert abs(first_half - second_half) < 0.06, (first_half, second_half)
    # the source position of each row (recovered by x, unique here) is unrelated to its id
    source_pos = pd.Series(np.arange(len(df)), index=df["x"])[train["x"]].to_numpy()
    assert abs(np.corrcoef(source_pos, train["id"])[0, 1]) < 0.06


def test_key_depends_on_hidden_labels_and_task_id() -> None:
    df = frame()
    flipped = df.copy()
    flipped.loc[len(df) - 1, "label"] = "p" if df.loc[len(df) - 1, "label"] == "q" else "q"
    base = keyed_split(df, task_id="t", test_size=0.3)[1]["x"].tolist()
    assert keyed_split(flipped, task_id="t", test_size=0.3)[1]["x"].tolist() != base  # one label changes it all
    assert keyed_split(df, task_id="u", test_size=0.3)[1]["x"].tolist() != base
    assert data_key("t", df) != data_key("t", flipped) and data_key("t", df) != data_key("u", df)


def test_key_ignores_dtype_details_that_differ_between_library_versions() -> None:
    """The same values as int/float/nullable, object/string, or with a 1-ulp parse difference give one key."""
    df = pd.DataFrame({"n": [1, 2, 3], "s": ["a", None, "c"], "f": [0.1, 0.2, 0.3]})
    variants = [
        df.astype({"n": "float64"}),
        df.astype({"n": "Int64"}),
        df.astype({"s": "string"}),
        df.assign(f=np.nextafter(df["f"].to_numpy(), 1.0)),
    ]
    for other in variants:
        assert data_key("t", other) == data_key("t", df)
    assert data_key("t", df.assign(f=[0.1, 0.2, 0.31])) != data_key("t", df)


def test_draws_are_fixed_bytes_not_a_library_stream() -> None:
    """SHAKE-256 output is a standard: these values must never change (they fix every prepared file)."""
    key = bytes(32)
    assert keyed_uniform(key, "split", 3).tolist() == [
        int.from_bytes(__import__("hashlib").shake_256(key + b"\x00split").digest(24)[i : i + 8], "little")
        for i in (0, 8, 16)
    ]
    assert sorted(keyed_order(key, "ids", 10)) == list(range(10))


def test_subsample_is_keyed_and_bad_arguments_are_refused() -> None:
    df = frame(1000)
    train, test = keyed_split(df, task_id="t", test_size=0.25, max_rows=400)
    assert len(train) + len(test) == 400 and len(test) == 100
    with pytest.raises(ValueError, match="test_size"):
        keyed_split(df, task_id="t", test_size=1.0)
    with pytest.raises(ValueError, match="already has a column 'id'"):
        keyed_split(df.assign(id=1), task_id="t", test_size=0.3)
