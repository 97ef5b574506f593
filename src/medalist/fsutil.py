"""Small filesystem helpers: atomic writes and checksums (nothing is ever half-written)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file + rename, so readers never see a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    """Atomically write JSON (pydantic models are dumped in JSON mode)."""
    if isinstance(obj, BaseModel):
        text = obj.model_dump_json(indent=2)
    else:
        text = json.dumps(obj, indent=2, sort_keys=False, default=str)
    atomic_write_text(path, text + "\n")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    return file_digests(path, ("sha256",), chunk)["sha256"]


def file_digests(path: Path, algorithms: tuple[str, ...] = ("sha256",), chunk: int = 1 << 20) -> dict[str, str]:
    """Hex digests of a file's bytes for several hashlib algorithms, in one read."""
    hashes = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            for h in hashes.values():
                h.update(block)
    return {name: h.hexdigest() for name, h in hashes.items()}


def tree_stats(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime in ns) of every file under ``root``, keyed by POSIX relative path (unordered): one stat
    per file, no reads, so it stays cheap on folders of hundreds of GB."""
    out: dict[str, tuple[int, int]] = {}
    stack = [(Path(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            name = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):  # as rglob: symlinked folders are not entered
                stack.append((Path(entry.path), name + "/"))
            elif entry.is_file():
                st = entry.stat()
                out[name] = (st.st_size, st.st_mtime_ns)
    return out


def tree_checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, keyed by POSIX relative path, sorted."""
    root = Path(root)
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[p.relative_to(root).as_posix()] = sha256_file(p)
    return out


LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def is_lfs_pointer(path: Path) -> bool:
    """True when ``path`` is a Git LFS pointer file (what ``git clone`` leaves without git-lfs), not the file."""
    try:
        with open(path, "rb") as fh:
            return fh.read(len(LFS_POINTER_PREFIX)) == LFS_POINTER_PREFIX
    except OSError:
        return False


def lfs_pointer_message(path: Path) -> str:
    """One line naming an LFS pointer file and the fix: ``<path>: a Git LFS pointer, ...``."""
    return (
        f"{path}: a Git LFS pointer, not the file itself (the repository was cloned without git-lfs); "
        "run `git lfs install && git lfs pull` in the repository that holds it"
    )
