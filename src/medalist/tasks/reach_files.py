"""Answer reachability over many files: walk trees, scan files in a pool of processes, cache per file.

Results are cached per file (path, size, mtime) and fingerprint digest, with each file's *sketch*
(hashes of its vocabulary, :mod:`medalist.tasks.reach`). A re-scan of an unchanged tree decodes
nothing; a task fingerprinted later (a new task, a re-prepared one) reads again only the files whose
sketch holds enough of its anchor tokens, so adding a task costs seconds, not a full pass.
"""

from __future__ import annotations

import json
import lzma
import multiprocessing
import os
import tarfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medalist.fsutil import atomic_write_json
from medalist.tasks.fingerprint import FingerprintIndex, TaskFingerprint
from medalist.tasks.reach import MAX_FILE_BYTES, ReachFinding, is_candidate, is_finding, scan_bytes

CACHE_VERSION = 3
WORKERS_ENV = "MEDALIST_SCAN_WORKERS"

_INDEX: FingerprintIndex | None = None  # set before the worker pool forks (inherited, never pickled)

Result = tuple[str, list[tuple[int, int, int]] | None, np.ndarray, bool]


def _scan_one(item: tuple[str, tuple[int, ...]]) -> Result:
    """Worker: scan one file for the given tasks -> (path, [(task index, rows with features, with
    answers)] or None when it cannot be read or decoded, sketch, sketch covers only a sample)."""
    path, tasks = item
    assert _INDEX is not None
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        found = scan_bytes(os.path.basename(path), data, _INDEX, tasks)
    except (
        OSError,
        EOFError,
        ValueError,
        zipfile.BadZipFile,
        tarfile.TarError,
        lzma.LZMAError,
        MemoryError,
        RuntimeError,
    ):
        found = None
    if found is None:
        return path, None, np.zeros(0, dtype=np.uint32), False
    counts = [(k, len(c.features), len(c.answers)) for k, c in sorted(found.counts.items())]
    return path, counts, found.sketch, found.sampled


def scan_workers() -> int:
    """Processes a scan uses: ``MEDALIST_SCAN_WORKERS``, else the CPUs this process may run on (at most 4)."""
    raw = os.environ.get(WORKERS_ENV, "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def scan_files(
    items: list[tuple[str, tuple[int, ...]]], index: FingerprintIndex, workers: int | None = None
) -> Iterator[Result]:
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
    gated: int = 0  # skipped for new tasks on their sketch alone
    cached: int = 0
    skipped_large: int = 0
    unreadable: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


class ScanCache:
    """Per-file results and sketches, keyed by path, size and mtime: ``files.json`` plus the sketches of
    every file concatenated in ``sketches.npy`` (``<name>.npy`` beside the JSON file).

    ``files[path] = [size, mtime_ns, set index, [[digest, rows with features, with answers], ...],
    sketch start, sketch length, sampled]``; ``sets[set index]`` lists the digests the file was scanned for.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.sets: list[list[str]] = []
        self.files: dict[str, list] = {}
        self.sketches: dict[str, np.ndarray] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                raw = json.loads(path.read_text())
                if raw.get("version") == CACHE_VERSION:
                    blob = np.load(self._blob_path(), mmap_mode="r")
                    self.sets, self.files = raw["sets"], raw["files"]
                    self.sketches = {p: blob[e[4] : e[4] + e[5]] for p, e in self.files.items()}
            except (OSError, ValueError, KeyError):
                self.sets, self.files, self.sketches = [], {}, {}
        self._set_ids = {tuple(s): i for i, s in enumerate(self.sets)}

    def _blob_path(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(".npy")

    def lookup(self, path: str, st: os.stat_result) -> tuple[set[str], list[list], np.ndarray | None, bool]:
        """(digests this file was scanned for, its results, its sketch, sampled) when size and mtime match."""
        entry = self.files.get(path)
        if entry is None or entry[0] != st.st_size or entry[1] != st.st_mtime_ns:
            return set(), [], None, False
        return set(self.sets[entry[2]]), entry[3], self.sketches.get(path), bool(entry[6])

    def store(
        self, path: str, st: os.stat_result, digests: set[str], results: list[list], sketch: np.ndarray, sampled: bool
    ) -> None:
        key = tuple(sorted(digests))
        if key not in self._set_ids:
            self._set_ids[key] = len(self.sets)
            self.sets.append(list(key))
        self.files[path] = [st.st_size, st.st_mtime_ns, self._set_ids[key], results, 0, len(sketch), int(sampled)]
        self.sketches[path] = sketch
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        start = 0
        for p, entry in self.files.items():
            entry[4], entry[5] = start, len(self.sketches[p])
            start += entry[5]
        blob = np.concatenate([self.sketches[p] for p in self.files] or [np.zeros(0, dtype=np.uint32)])
        tmp = self._blob_path().with_name(self._blob_path().name + ".tmp.npy")
        np.save(tmp, blob.astype(np.uint32, copy=False))
        os.replace(tmp, self._blob_path())
        atomic_write_json(self.path, {"version": CACHE_VERSION, "sets": self.sets, "files": self.files})
        self.sketches = {p: blob[e[4] : e[4] + e[5]] for p, e in self.files.items()}
        self.dirty = False


def gate(
    index: FingerprintIndex, sketches: dict[str, tuple[np.ndarray, bool]], tasks: dict[str, tuple[int, ...]]
) -> dict[str, tuple[int, ...]]:
    """Which of its ``tasks`` each file (by its sketch) could hold enough anchored rows of: the
    pre-filter's first condition over the sketch. One membership test for all files at once."""
    if not sketches:
        return {}
    paths = list(sketches)
    lengths = np.array([len(sketches[p][0]) for p in paths])
    blob = np.concatenate([sketches[p][0] for p in paths]) if lengths.sum() else np.zeros(0, dtype=np.uint32)
    anchors = index.anchor_hashes
    order = np.argsort(anchors, kind="stable")
    sorted_anchors = anchors[order]
    pos = np.searchsorted(sorted_anchors, blob).clip(0, max(0, len(sorted_anchors) - 1))
    hit = sorted_anchors[pos] == blob if len(sorted_anchors) else np.zeros(len(blob), dtype=bool)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    out: dict[str, tuple[int, ...]] = {}
    for i, p in enumerate(paths):
        lo, hi = bounds[i], bounds[i + 1]
        if not hit[lo:hi].any():
            out[p] = ()
            continue
        present = np.zeros(len(anchors), dtype=bool)
        values = blob[lo:hi][hit[lo:hi]]
        # every anchor token with that hash (several tokens may share one)
        left, right = np.searchsorted(sorted_anchors, values, "left"), np.searchsorted(sorted_anchors, values, "right")
        present[order[left]] = True
        for j in np.flatnonzero(right - left > 1):
            present[order[left[j] : right[j]]] = True
        passing = set(index.gate(present, at_least=1 if sketches[p][1] else None))
        out[p] = tuple(k for k in tasks[p] if k in passing)
    return out


def scan_paths(
    fps: list[TaskFingerprint], paths: list[str], cache: ScanCache, stats: ScanStats, workers: int | None = None
) -> dict[str, list[list]]:
    """Results for every path and fingerprint: cached ones as they are, the rest scanned (and cached).
    A file already scanned for other tasks is read again only when its sketch passes :func:`gate`.

    Returns ``{path: [[digest, rows with features, rows with answers], ...]}`` (only non-empty results).
    """
    start, cpu = time.perf_counter(), time.process_time()
    index_of = {fp.digest: k for k, fp in enumerate(fps)}
    out: dict[str, list[list]] = {}
    todo: dict[str, tuple[os.stat_result, set[str], list[list], np.ndarray | None, bool]] = {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue
        stats.candidates += 1
        if st.st_size > MAX_FILE_BYTES:
            stats.skipped_large += 1
            continue
        done, results, sketch, sampled = cache.lookup(path, st)
        missing = set(index_of) - done
        if missing:
            todo[path] = (st, done, [r for r in results if r[0] not in missing], sketch, sampled)
        else:
            stats.cached += 1
        kept = [r for r in results if r[0] in index_of and r[0] not in missing]
        if kept:
            out[path] = kept
    if todo:
        index = FingerprintIndex(fps)
        wanted = {p: tuple(sorted(index_of[d] for d in set(index_of) - todo[p][1])) for p in todo}
        known = {p: (t[3], t[4]) for p, t in todo.items() if t[3] is not None}
        passed = gate(index, known, {p: wanted[p] for p in known})
        for p, tasks in passed.items():
            if not tasks:  # its sketch rules the new tasks out: recorded as scanned, nothing found
                st, done, kept, sketch, sampled = todo.pop(p)
                assert sketch is not None
                cache.store(p, st, done | {fps[k].digest for k in wanted[p]}, kept, sketch, sampled)
                stats.gated += 1
        items = [(p, wanted[p]) for p in todo]
        for path, found, sketch, sampled in scan_files(items, index, workers):
            st, done, kept, _, _ = todo[path]
            if found is None:
                stats.unreadable += 1
                found = []
            stats.decoded += 1
            new = [[fps[k].digest, n_feat, n_ans] for k, n_feat, n_ans in found]
            cache.store(path, st, done | {fps[k].digest for k in wanted[path]}, kept + new, sketch, sampled)
            if new:
                out.setdefault(path, []).extend(new)
    stats.seconds += time.perf_counter() - start
    stats.cpu_seconds += time.process_time() - cpu + _children_cpu()
    return {p: r for p, r in out.items() if r}


_CHILD_CPU = [sum(os.times()[2:4])]


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
                found.append(
                    ReachFinding(
                        task_id=fp.task_id,
                        path=path,
                        test_rows=fp.rows,
                        rows_with_features=n_feat,
                        rows_with_answers=n_ans,
                    )
                )
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


__all__ = [
    "ScanCache",
    "ScanStats",
    "TreeListing",
    "findings_of",
    "gate",
    "scan_files",
    "scan_paths",
    "scan_roots",
    "scan_workers",
    "walk_tree",
]
