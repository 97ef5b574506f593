"""Small filesystem helpers: atomic writes and checksums (nothing is ever half-written), and temp folders
named after the process that made them, so the leftovers of a killed process are swept later."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
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


def _pid_namespace() -> str:
    """This process's pid namespace (an inode number): pids are only comparable within one."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "0"


def owner_tag(pid: int | None = None) -> str:
    """``<pid namespace>-<pid>``: names what a process leaves behind so a later sweep can tell whether its
    maker is still alive (see :func:`sweep_dead_owners`)."""
    return f"{_pid_namespace()}-{os.getpid() if pid is None else pid}"


def owned_tempdir(prefix: str) -> Path:
    """A new temp folder named ``<prefix><owner tag>-XXXX``; before the first one a process makes, the
    folders of ``prefix`` whose maker died without removing them (killed harnesses) are swept."""
    tmp = Path(tempfile.gettempdir())
    sweep_dead_owners(tmp, prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{owner_tag()}-", dir=tmp))


_PROCESS_TEMPDIRS: list[Path] = []


def process_tempdir(prefix: str) -> Path:
    """An :func:`owned_tempdir` kept for the life of this process and removed when it exits (normally,
    or through :func:`remove_process_tempdirs` before an ``os._exit``)."""
    path = owned_tempdir(prefix)
    _PROCESS_TEMPDIRS.append(path)
    return path


def remove_process_tempdirs() -> None:
    """Remove the folders :func:`process_tempdir` made in this process."""
    while _PROCESS_TEMPDIRS:
        shutil.rmtree(_PROCESS_TEMPDIRS.pop(), ignore_errors=True)


atexit.register(remove_process_tempdirs)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def dead_owner(name: str, prefix: str) -> bool:
    """True when ``name`` is ``<prefix><this pid namespace>-<pid>-...`` and that pid is gone."""
    if not name.startswith(prefix):
        return False
    namespace, _, rest = name[len(prefix) :].partition("-")
    pid = rest.partition("-")[0]
    if namespace != _pid_namespace() or not pid.isdigit():
        return False  # another namespace's (or an untagged) leftover: its maker cannot be checked from here
    return not _process_alive(int(pid))


def _remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def sweep_dead_owners(folder: Path, prefix: str, remove: Callable[[str], None] = _remove_tree) -> list[Path]:
    """Remove (with ``remove``) ``folder``'s entries of ``prefix`` that this user made and whose maker is
    dead; returns them. Runs once per process, folder and prefix.

    A harness killed by SIGKILL (or losing its node) cannot remove its temp folders or cgroups; without a
    sweep each one costs inodes for good.
    """
    key = (str(folder), prefix)
    if key in _SWEPT:
        return []
    _SWEPT.add(key)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        try:
            if not dead_owner(entry.name, prefix) or entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue
        except OSError:
            continue
        remove(entry.path)
        removed.append(Path(entry.path))
    return removed


_SWEPT: set[tuple[str, str]] = set()
