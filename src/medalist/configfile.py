"""Reading YAML config files with errors that name the file, the line and the field.

Task specs, agents files and experiment configs all go through here, so every malformed config is
reported the same way: one line, ``<file>: field '<dotted.path>': <problem>``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from medalist.errors import ConfigError
from medalist.fsutil import is_lfs_pointer, lfs_pointer_message

LocNamer = Callable[[tuple[Any, ...]], str | None]


def read_yaml(path: Path, *, missing_hint: str = "") -> Any:
    """Load a YAML file; ConfigError names the file (and the line of a syntax error)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: {missing_hint or 'file not found'}")
    if is_lfs_pointer(path):
        raise ConfigError(lfs_pointer_message(path))
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None


def format_validation_error(path: Path | str, err: ValidationError, name_loc: LocNamer | None = None) -> str:
    """One line listing every field pydantic rejected, by dotted path.

    ``name_loc`` may rename a location (e.g. a list index to the item's id). A whole-model check
    that raises ``"field: message"`` is attributed to that field.
    """
    parts = []
    for e in err.errors():
        loc = (name_loc(e["loc"]) if name_loc else None) or ".".join(str(x) for x in e["loc"])
        msg = "unknown field" if e["type"] == "extra_forbidden" else e["msg"]
        msg = msg.removeprefix("Value error, ").replace("\n", " ")
        if not loc:
            head, sep, rest = msg.partition(": ")
            loc, msg = (head, rest) if sep and head.isidentifier() else ("<root>", msg)
        parts.append(f"field '{loc}': {msg}")
    return f"{path}: " + "; ".join(parts)


def parse_key_values(pairs: list[str], what: str = "--agent-option") -> dict[str, Any]:
    """``["k=v", ...]`` -> ``{k: v}``, each value read as a YAML scalar (``5`` -> 5, ``true`` -> True,
    ``[a, b]`` -> a list); a later key wins. ConfigError (one line) for a pair without ``=``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ConfigError(f"{what} {pair!r}: expected key=value (e.g. num_drafts=5)")
        try:
            out[key] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key] = raw
    return out


def format_key_value(key: str, value: Any) -> str:
    """The inverse of :func:`parse_key_values` for one pair (``num_drafts=5``, ``tags=[a, b]``)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return f"{key}={text.removesuffix('...').strip()}"


def renamed_key(data: Any, old: str, new: str, where: str) -> Any:
    """``data`` (a mapping being validated) with an old spelling ``old`` moved to ``new``, warning that it
    is deprecated; ``new`` wins when both are given. Anything else passes unchanged."""
    if not isinstance(data, dict) or old not in data:
        return data
    data = dict(data)
    value = data.pop(old)
    data.setdefault(new, value)
    warnings.warn(f"{where}: '{old}' is now '{new}' (the old name still works)", FutureWarning, stacklevel=3)
    return data
