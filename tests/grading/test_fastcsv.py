"""The numpy fast path for simple CSVs yields exactly pandas' frame, aligns ids exactly, and steps aside
for every file outside its layout."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from medalist.grading.fastcsv import ID_ARRAY, positions_of_fixed_ids, read_simple_csv
from medalist.grading.validate import read_csv_file


def general(data: bytes, usecols: list[str] | None = None) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(io.BytesIO(data), dtype={"id": str}, index_col=False, usecols=usecols)


def fast(data: bytes) -> pd.DataFrame | None:
    names = data.split(b"\n", 1)[0].decode().split(",")
    return read_simple_csv(data, names, "id", lambda buf, cols: general(buf.getvalue(), cols))


@pytest.mark.parametrize("seed", range(4))
def test_same_frame_as_pandas(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    ids = [f"{'x' * int(rng.integers(0, 12))}{i}" for i in rng.permutation(n)]
    cols = {"a": rng.random(n), "b": rng.integers(-5, 5, n), "c": rng.choice(["p", "q", "NA", ""], n)}
    order = list(rng.permutation(["id", "a", "b", "c"]))
    frame = pd.DataFrame({"id": ids, **cols})[order]
    data = frame.to_csv(index=False, lineterminator="\n").encode()
    got = fast(data)
    assert got is not None
    pd.testing.assert_frame_equal(got, general(data))
    np.testing.assert_array_equal(got.attrs[ID_ARRAY].astype(str), np.array(ids))


@pytest.mark.parametrize(
    "data",
    [
        b'id,y\n"a",1\n',
        b"id,y\r\na,1\r\n",
        "id,y\né,1\n".encode(),
        b"\xef\xbb\xbfid,y\na,1\n",
        b"id,y\na,1\n\nb,2\n",
        b"id,y\na,1,2\n",
        b"id,y\n,1\n",
        b"id,y\n" + b"a" * 100 + b",1\n",
        b"id,y\n",
        b"y,z\n1,2\n",
        b"id,y\na\x00,1\n",
    ],
    ids=["quote", "crlf", "utf8", "bom", "blank", "ragged", "empty_id", "long_id", "no_rows", "no_id", "nul"],
)
def test_other_layouts_step_aside(data: bytes) -> None:
    assert fast(data) is None


def test_read_csv_file_is_the_same_either_way(tmp_path) -> None:
    simple = tmp_path / "simple.csv"
    simple.write_text("id,target\n007,0.5\nNA,1e-3\nx y,NaN\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('"id","target"\n"007",0.5\n"NA",1e-3\n"x y",NaN\n')
    a, b = read_csv_file(simple, "id"), read_csv_file(quoted, "id")
    assert ID_ARRAY in a.attrs and ID_ARRAY not in b.attrs
    pd.testing.assert_frame_equal(a, b)
    assert a["id"].tolist() == ["007", "NA", "x y"] and np.isnan(a["target"].iloc[2])


@pytest.mark.parametrize("width", [3, 8, 9, 20])
def test_fixed_id_positions_match_pandas(width: int) -> None:
    rng = np.random.default_rng(width)
    tmpl = np.unique(
        np.array([bytes(rng.integers(97, 100, width).astype(np.uint8)) for _ in range(3000)], dtype=f"S{width}")
    )
    sub = np.concatenate([rng.permutation(tmpl)[:2000], np.array([b"zz"] * 5, dtype="S2")])
    pos = positions_of_fixed_ids(tmpl, sub)
    expected = pd.Index(tmpl.astype(str)).get_indexer(sub.astype(str))
    np.testing.assert_array_equal(pos, expected)
    assert positions_of_fixed_ids(np.array([b"a", b"a"]), np.array([b"a"])) is None  # repeated template id


def test_prefixes_stay_distinct() -> None:
    tmpl = np.array([b"ab", b"ab0", b"a", b"abcdefgh", b"abcdefgh1"])
    np.testing.assert_array_equal(positions_of_fixed_ids(tmpl, tmpl[::-1]), [4, 3, 2, 1, 0])
