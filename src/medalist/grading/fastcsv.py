"""A fast path for the commonest submission layout: plain ASCII, no quoting, one record per line.

pandas' C parser spends most of the time of a large submission creating one Python string per id. For
files in this layout the id column is cut out of the raw bytes with numpy (fixed width), and only the
other columns go through pandas, with exactly the options of the general path. The fixed-width ids are
kept on the frame (``frame.attrs[ID_ARRAY]``) so id alignment can hash them without touching Python
strings. Anything outside the layout (quotes, CR, BOM, non-ASCII, blank lines, ragged rows, empty or
long ids) returns None and the caller parses the file the general way, with its precise error messages.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd

ID_ARRAY = "medalist_fixed_width_ids"
"""``DataFrame.attrs`` key: the id column as a fixed-width bytes array (row order), on the fast path."""
MAX_ID_WIDTH = 64


def read_simple_csv(
    data: bytes, names: list[str], id_column: str, read_columns: Callable[[io.BytesIO, list[str]], pd.DataFrame]
) -> pd.DataFrame | None:
    """Parse ``data`` (header included) when it is in the simple layout, else None.

    ``read_columns(buffer, usecols)`` parses the non-id columns with the general path's options.
    """
    if id_column not in names or len(names) < 2 or not data.isascii() or any(c in data for c in (b'"', b"\r", b"\0")):
        return None
    if not data.endswith(b"\n"):
        data += b"\n"
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)  # one per line, header first
    starts = np.concatenate(([0], ends[:-1] + 1))
    n = len(ends) - 1
    if n < 1 or (ends == starts).any():  # no rows, or a blank line: pandas decides
        return None
    k = len(names)
    commas = np.flatnonzero(raw == 44)
    per_line = np.diff(np.concatenate(([0], np.searchsorted(commas, ends))))
    if not (per_line == k - 1).all():
        return None
    grid = commas.reshape(n + 1, k - 1)[1:]  # the comma positions of every data line
    j = names.index(id_column)
    begin = starts[1:] if j == 0 else grid[:, j - 1] + 1
    end = grid[:, j] if j < k - 1 else ends[1:]
    lengths = end - begin
    width = int(lengths.max())
    if lengths.min() < 1 or width > MAX_ID_WIDTH:
        return None
    if lengths.min() == width:  # ids of one length (the usual case): one gather
        fixed = raw[begin[:, None] + np.arange(width)]
    else:
        fixed = np.zeros((n, width), dtype=np.uint8)
        for c in range(width):
            take = lengths > c
            fixed[take, c] = raw[begin[take] + c]
    ids = np.ascontiguousarray(fixed).view(f"S{width}").ravel()
    others = [c for c in names if c != id_column]
    frame = read_columns(io.BytesIO(data), others)
    if len(frame) != n or list(frame.columns) != others:
        return None
    frame.insert(j, id_column, pd.Series(ids.astype(f"U{width}").astype(object), dtype=str, index=frame.index))
    frame.attrs[ID_ARRAY] = ids
    return frame


def positions_of_fixed_ids(template: np.ndarray, submission: np.ndarray) -> np.ndarray | None:
    """Template row of every submission id (-1 = unknown) for two fixed-width bytes id arrays, or None
    when the template repeats an id (the caller then explains the problem the slow way).

    Ids (ASCII, no NUL) are zero-padded to whole 8-byte words: up to 8 bytes the word itself is the key,
    longer ids are hashed and every match is then compared byte for byte, so a collision can only fall
    back, never pair the wrong ids.
    """
    words = -(-max(template.dtype.itemsize, submission.dtype.itemsize) // 8)
    t = template.astype(f"S{8 * words}").view(np.uint64).reshape(len(template), words)
    s = submission.astype(f"S{8 * words}").view(np.uint64).reshape(len(submission), words)
    t_key, s_key = _mix(t), _mix(s)
    index = pd.Index(t_key)
    if not index.is_unique:
        return None
    pos = index.get_indexer(s_key)
    if words > 1:
        found = pos >= 0
        if not (t[pos[found]] == s[found]).all():
            return None
    return pos


def _mix(words: np.ndarray) -> np.ndarray:
    """One uint64 per row: the word itself for one word, else a multiply-xor hash of the words."""
    if words.shape[1] == 1:
        return words[:, 0].copy()
    h = np.full(len(words), 0x9E3779B97F4A7C15, dtype=np.uint64)
    for j in range(words.shape[1]):
        h ^= words[:, j]
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(31)
    return h
