"""Hide paths inside the sandbox although their parent folder is bound (``SandboxRequest.hide``).

The harness venv and read-only mounts are bound whole so agents can run Python; some files inside
them must stay invisible (e.g. a dataset package's raw data, from which an agent could rebuild the
private answers). The caller says which paths (the runner asks the task layer); the sandbox imports
no task code. Each hidden path is covered with an empty read-only folder (or ``/dev/null`` for a
file), so importing the packages still works but their data is gone.

:func:`system_trees` says which host trees every bwrap run sees read-only, so the caller can search
them (the runner has them scanned for answer copies before it builds the hide list).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from medalist.fsutil import process_tempdir


@lru_cache(maxsize=1)
def empty_dir() -> Path:
    """A world-readable empty folder to bind over hidden folders (removed at exit)."""
    path = process_tempdir("medalist-sandbox-empty-")
    path.chmod(0o755)
    return path


def system_trees() -> list[Path]:
    """Host trees every bwrap run reads: ``/usr``; ``/lib``, ``/bin``, ... where they are folders rather
    than links into ``/usr``; the ``/etc`` entries copied in; the harness venv (and medalist's source
    when editable, and a base python outside ``/usr``). Agents' own read-only mounts come on top."""
    from medalist.sandbox.bwrap import ETC_FILES, TOP_LINKS, harness_binds  # bwrap imports this module

    root = Path("/")
    trees = [root / "usr"]
    trees += [root / n for n in TOP_LINKS if (root / n).is_dir() and not (root / n).is_symlink()]
    trees += [root / "etc" / n for n in ETC_FILES if (root / "etc" / n).exists() and n != "ssl"]
    trees += list(harness_binds())
    return list(dict.fromkeys(trees))


def mask_args(binds: Iterable[tuple[Path, str]], hidden: Iterable[Path]) -> list[str]:
    """bwrap arguments hiding every existing ``hidden`` path that lies inside a bound folder.

    ``binds`` are (host source, sandbox target) pairs; a hidden host path is covered at its place
    under the target. Paths outside every bind are invisible anyway and are skipped.
    """
    args: list[str] = []
    pairs = [(Path(src).resolve(), target) for src, target in binds]
    for raw in dict.fromkeys(hidden):
        path = Path(raw)
        if not path.exists():
            continue
        path = path.resolve()
        for src, target in pairs:
            if path == src or src in path.parents:
                source = empty_dir() if path.is_dir() else Path("/dev/null")
                args += ["--ro-bind", str(source), str(Path(target) / path.relative_to(src))]
    return args
