"""Which file trees were scanned for which tasks' test rows, in what state; and making sure a scan is current.

The runner calls :func:`ensure_scan` before every sandboxed run with the trees the run will bind
read-only (/usr, the harness venv, the solution or adapter venv, an agent's own mounts): when every tree
is unchanged since its last scan and that scan covered the task, it returns at once (a warm check:
one ``stat`` per folder and per candidate file of each tree, no reading); otherwise it scans what is
missing (:mod:`medalist.tasks.reach`) and records the trees' new state and findings.

The state lives beside the per-file scan cache in a folder of its own (``MEDALIST_REACH_CACHE``, else
``<user cache>/medalist/reach``), not in the prepared-data cache: a scan depends only on the trees and
on the tasks' test rows (fingerprint digests), so every data cache on the machine shares it. A tree
counts as changed when a folder's modification time changes (a file was added, removed or renamed
anywhere in it: package installs do that) or a candidate file's size or modification time does.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import platformdirs
from pydantic import BaseModel

from medalist.fsutil import atomic_write_json
from medalist.tasks.cache import PreparedTask
from medalist.tasks.fingerprint import fingerprint_digest, task_fingerprint
from medalist.tasks.hidden import FLOOR_PACKAGE_DATA, floor_in
from medalist.tasks.reach import ReachFinding
from medalist.tasks.reach_files import CACHE_VERSION, ScanCache, ScanStats, findings_of, scan_paths, walk_tree
from medalist.tasks.registry import BUILTIN_DIR

REACH_ENV = "MEDALIST_REACH_CACHE"
STATE_FILE = "trees.json"
FILES_CACHE = "files.json"
LOCK_FILE = "scan.lock"
STATE_VERSION = f"{CACHE_VERSION}:" + hashlib.sha256(repr(sorted(FLOOR_PACKAGE_DATA.items())).encode()).hexdigest()[:8]


def reach_dir() -> Path:
    """Where scan state and the per-file scan cache live (``MEDALIST_REACH_CACHE`` overrides)."""
    env = os.environ.get(REACH_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_cache_dir("medalist")) / "reach"


class TreeScan(BaseModel):
    """One tree as last scanned: its listing and stamp, the tasks scanned for, and what was found."""

    stamp: str
    dirs: list[str]
    files: list[str]
    exclude: list[str]
    tasks: dict[str, str] = {}  # fingerprint digest -> task id
    test_rows: dict[str, int] = {}  # fingerprint digest -> test rows
    findings: dict[str, list[tuple[str, int, int]]] = {}  # digest -> [(path, rows with features, with answers)]
    scanned_at: str = ""


class ReachState(BaseModel):
    version: str = STATE_VERSION
    trees: dict[str, TreeScan] = {}


def _state_path(root: Path | None) -> Path:
    return (root or reach_dir()) / STATE_FILE


def read_state(root: Path | None = None) -> ReachState:
    """The recorded scan state (empty when none, or when it was written by another scanner version)."""
    path = _state_path(root)
    try:
        state = ReachState.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return ReachState()
    return state if state.version == STATE_VERSION else ReachState()


def recorded_findings(root: Path | None = None) -> list[Path]:
    """Every file any scan found holding a task's hidden test rows (outside public data)."""
    state = read_state(root)
    return [Path(p) for scan in state.trees.values() for rows in scan.findings.values() for p, _, _ in rows]


def tree_stamp(root: Path, dirs: list[str], files: list[str]) -> str:
    """A digest of the modification times of a tree's folders and the sizes and times of its candidate
    files (one ``stat`` each; a vanished entry changes it too)."""
    h = hashlib.blake2b(digest_size=16)
    base = str(root)
    for group, with_size in ((dirs, False), (files, True)):
        for rel in group:
            try:
                st = os.stat(os.path.join(base, rel) if rel else base)
            except OSError:
                h.update(b"-\0")
                continue
            h.update(f"{st.st_mtime_ns}:{st.st_size if with_size else ''}\0".encode())
    return h.hexdigest()


def _exclude(tree: Path) -> list[str]:
    """What a scan of ``tree`` skips: what the sandbox hides in it anyway (the floor, task definitions)."""
    out = [str(p) for p in floor_in(tree)]
    builtin = BUILTIN_DIR.resolve()
    if builtin.is_relative_to(tree):
        out.append(str(builtin))
    return sorted(out)


def _is_current(scan: TreeScan | None, tree: Path, digests: set[str]) -> bool:
    return (
        scan is not None
        and digests <= scan.tasks.keys()
        and scan.exclude == _exclude(tree)
        and tree_stamp(tree, scan.dirs, scan.files) == scan.stamp
    )


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One scan at a time per machine (runs of several workers wait for the first one's scan)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class ScanOutcome:
    """What :func:`ensure_scan` did: which trees it (re)scanned, the numbers, and the findings."""

    scanned: list[str] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)
    findings: list[ReachFinding] = field(default_factory=list)
    seconds: float = 0.0


def normalise_trees(trees: list[Path]) -> list[Path]:
    """Existing trees, resolved, each once; a tree inside another listed tree is covered by it."""
    out: list[Path] = []
    for t in trees:
        p = Path(t)
        if p.exists():
            p = p.resolve()
            if p not in out:
                out.append(p)
    return [p for p in out if not any(o != p and p.is_relative_to(o) for o in out)]


def ensure_scan(
    pts: list[PreparedTask],
    trees: list[Path],
    *,
    root: Path | None = None,
    workers: int | None = None,
    notify: Callable[[str], None] | None = None,
) -> ScanOutcome:
    """Make sure every tree has a current scan covering every task of ``pts``; scan what is missing
    (``notify`` is told first, with a one-line message).

    Tasks without a public ``test.csv`` (no row fingerprint) are skipped. Returns the findings of the
    given tasks in the given trees.
    """
    start = time.perf_counter()
    root = root or reach_dir()
    need = {d: pt for pt in pts if (d := fingerprint_digest(pt)) is not None}
    trees = normalise_trees(trees)
    outcome = ScanOutcome()
    state = read_state(root)
    stale = [t for t in trees if not _is_current(state.trees.get(str(t)), t, set(need))]
    if stale:
        with _locked(root):
            state = read_state(root)  # another process may have scanned meanwhile
            stale = [t for t in trees if not _is_current(state.trees.get(str(t)), t, set(need))]
            if stale:
                if notify is not None:
                    notify(
                        f"scanning {len(stale)} file tree(s) the sandbox binds for copies of {len(need)} task(s)' "
                        f"test rows ({', '.join(map(str, stale[:3]))}{', ...' if len(stale) > 3 else ''}); "
                        "once per machine and tree state"
                    )
                _scan(state, stale, need, root, workers, outcome)
    by_digest = {d: pt.spec.id for d, pt in need.items()}
    for t in trees:
        scan = state.trees[str(t)]
        for digest, rows in scan.findings.items():
            if digest in by_digest:
                outcome.findings += [
                    ReachFinding(
                        task_id=by_digest[digest],
                        path=p,
                        test_rows=scan.test_rows[digest],
                        rows_with_features=nf,
                        rows_with_answers=na,
                    )
                    for p, nf, na in rows
                ]
    outcome.seconds = time.perf_counter() - start
    return outcome


def _scan(
    state: ReachState,
    stale: list[Path],
    need: dict[str, PreparedTask],
    root: Path,
    workers: int | None,
    outcome: ScanOutcome,
) -> None:
    """Scan the stale trees for the needed tasks (plus, for an unchanged tree, only the tasks it lacks)."""
    fps = {d: task_fingerprint(pt) for d, pt in need.items()}
    cache = ScanCache(root / FILES_CACHE)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    plans: dict[tuple[str, ...], list[tuple[Path, TreeScan, bool]]] = {}  # tasks to scan -> trees
    for tree in stale:
        old = state.trees.get(str(tree))
        exclude = _exclude(tree)
        if old is not None and old.exclude == exclude and tree_stamp(tree, old.dirs, old.files) == old.stamp:
            plans.setdefault(tuple(d for d in need if d not in old.tasks), []).append((tree, old, True))
            continue
        listing = walk_tree(tree, [Path(p) for p in exclude])
        outcome.stats.files_seen += listing.seen
        scan = TreeScan(stamp="", dirs=listing.dirs, files=listing.files, exclude=exclude)
        plans.setdefault(tuple(need), []).append((tree, scan, False))
    for digests, group in plans.items():  # usually one group: one pool of workers for every tree
        todo = [fps[d] for d in digests]
        paths = [os.path.join(str(t), f) if f else str(t) for t, scan, _ in group for f in scan.files]
        found = findings_of(todo, scan_paths(todo, paths, cache, outcome.stats, workers))
        for tree, scan, kept in group:
            new = scan.model_copy(deep=True) if kept else scan
            new.stamp, new.scanned_at = tree_stamp(tree, scan.dirs, scan.files), now
            for fp in todo:
                new.tasks[fp.digest], new.test_rows[fp.digest] = fp.task_id, fp.rows
                new.findings[fp.digest] = [
                    (f.path, f.rows_with_features, f.rows_with_answers)
                    for f in found
                    if f.task_id == fp.task_id and Path(f.path).is_relative_to(tree)
                ]
            state.trees[str(tree)] = new
            outcome.scanned.append(str(tree))
    state.trees = {k: v for k, v in state.trees.items() if Path(k).exists()}
    cache.save()
    atomic_write_json(_state_path(root), state)
