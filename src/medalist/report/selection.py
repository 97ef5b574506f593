"""Which splits a comparison shows: split names, or split files (.txt, one task id a line) given by path."""

from __future__ import annotations

from pathlib import Path

from medalist.errors import MedalistError
from medalist.tasks.registry import read_split_file


def split_files(values: list[str]) -> dict[str, list[str]]:
    """Splits named by file: {file stem: task ids}."""
    out: dict[str, list[str]] = {}
    for v in values:
        path = Path(v)
        if v.endswith(".txt"):
            if not path.is_file():
                raise MedalistError(f"{path}: split file not found")
            ids = read_split_file(path)
            if not ids:
                raise MedalistError(f"{path}: split file lists no task ids")
            out[path.stem] = ids
    return out


def split_names(values: list[str]) -> list[str]:
    """The split name of each value: a split file's stem, or the name itself."""
    return [Path(v).stem if v.endswith(".txt") else v for v in values]
