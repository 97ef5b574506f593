"""Id alignment: the fast hashed path agrees exactly with pandas' lookup, and falls back safely."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medalist.errors import InvalidSubmissionError
from medalist.grading import validate
from medalist.grading.validate import _align_ids, _positions_by_code_hash


def ids(n: int, rng: np.random.Generator, alphabet: str = "abcdefé😀0123456789", length: int = 6) -> np.ndarray:
    chars = np.array(list(alphabet))
    out = {"".join(rng.choice(chars, size=rng.integers(1, length + 1))) for _ in range(n)}
    return np.array(sorted(out), dtype=object)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hashed_positions_match_pandas(seed):
    rng = np.random.default_rng(seed)
    tmpl = ids(3000, rng)
    sub = np.concatenate([rng.permutation(tmpl)[:2500], ids(300, rng, alphabet="xyz")])  # some unknown ids
    expected = pd.Index(tmpl).get_indexer(sub)
    got = _positions_by_code_hash(tmpl, sub)
    assert got is not None
    np.testing.assert_array_equal(got, expected)


def test_long_ids_use_the_exact_path():
    tmpl = np.array(["x" * 40 + str(i) for i in range(5)], dtype=object)
    assert _positions_by_code_hash(tmpl, tmpl[::-1]) is None
    frame = pd.DataFrame({"id": tmpl})
    np.testing.assert_array_equal(_align_ids(frame.iloc[::-1].reset_index(drop=True), frame, "id"), [4, 3, 2, 1, 0])


def test_non_text_ids_use_the_exact_path():
    assert _positions_by_code_hash(np.array([1, 2, 3], dtype=object), np.array([3, 2, 1], dtype=object)) is None


def test_prefix_ids_are_distinct():
    # fixed-width copies pad with NULs: 'ab' must not match 'ab0' or 'a'
    tmpl = np.array(["a", "ab", "ab0"], dtype=object)
    sub = np.array(["ab0", "a", "ab"], dtype=object)
    np.testing.assert_array_equal(_positions_by_code_hash(tmpl, sub), [2, 0, 1])


def test_every_hash_colliding_falls_back_to_exact(monkeypatch):
    monkeypatch.setattr(validate, "_code_hash", lambda arr, width: np.zeros(len(arr), dtype=np.uint64))
    tmpl = pd.DataFrame({"id": ["a", "b", "c", "d"]})
    sub = pd.DataFrame({"id": ["d", "c", "b", "a"]})
    assert _positions_by_code_hash(tmpl["id"].to_numpy(), sub["id"].to_numpy()) is None
    np.testing.assert_array_equal(_align_ids(sub, tmpl, "id"), [3, 2, 1, 0])


def test_unknown_id_colliding_with_a_known_one_is_still_unknown(monkeypatch):
    # hash = length: 'zz' collides with 'bb' but is not that id
    monkeypatch.setattr(validate, "_code_hash", lambda arr, width: np.char.str_len(arr).astype(np.uint64))
    tmpl = pd.DataFrame({"id": ["a", "bb", "ccc"]})
    sub = pd.DataFrame({"id": ["a", "zz", "ccc"]})
    assert _positions_by_code_hash(tmpl["id"].to_numpy(), sub["id"].to_numpy()) is None
    with pytest.raises(InvalidSubmissionError, match=r"1 missing id\(s\): 'bb'; 1 unexpected id\(s\), first at row 2"):
        _align_ids(sub, tmpl, "id")


def test_same_order_is_the_identity():
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(100)]})
    np.testing.assert_array_equal(_align_ids(frame, frame, "id"), np.arange(100))


def test_repeated_template_ids_are_a_task_error():
    from medalist.errors import MedalistError

    tmpl = pd.DataFrame({"id": ["a", "a", "b"]})
    with pytest.raises(MedalistError, match="reference file repeats ids"):
        _align_ids(pd.DataFrame({"id": ["b", "a", "c"]}), tmpl, "id")
