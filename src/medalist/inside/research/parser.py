"""Parse the research agent's structured answers: Reflection / Thought / Action / Action Input."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from medalist.inside.toolkit import extract_json

FIELDS = ("Reflection", "Research Plan and Status", "Fact Check", "Thought", "Action", "Action Input")
_HEADER = re.compile(r"^\s*\**\s*(" + "|".join(re.escape(f) for f in FIELDS) + r")\s*\**\s*:\s*", re.M | re.I)


class ParseError(ValueError):
    """The answer did not follow the response format; the message tells the model what to fix."""


@dataclass
class ParsedAction:
    action: str
    action_input: dict[str, Any]
    sections: dict[str, str] = field(default_factory=dict)


def split_sections(text: str) -> dict[str, str]:
    """Map each ``Field:`` header to its text (case-insensitive headers, first occurrence wins)."""
    out: dict[str, str] = {}
    matches = list(_HEADER.finditer(text or ""))
    canonical = {f.lower(): f for f in FIELDS}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        name = canonical[m.group(1).lower()]
        out.setdefault(name, text[m.end() : end].strip())
    return out


def parse_action_input(raw: str) -> dict[str, Any]:
    """The JSON object of ``Action Input`` (fenced or bare; lenient about trailing prose)."""
    raw = raw.strip()
    try:
        data = json.loads(raw)
    except ValueError:
        data = extract_json(raw)
    if not isinstance(data, dict):
        raise ParseError('Action Input must be one JSON object, e.g. {"script_name": "train.py"}')
    return data


def parse_response(text: str, known_actions: list[str]) -> ParsedAction:
    """Find the action and its input; raise :class:`ParseError` with a fix-it message otherwise."""
    sections = split_sections(text)
    action = sections.get("Action", "").strip().splitlines()[0].strip(" `*\"'") if sections.get("Action") else ""
    if not action:
        raise ParseError("no 'Action:' line found; answer in the response format")
    lookup = {a.lower(): a for a in known_actions}
    name = lookup.get(action.lower())
    if name is None:
        raise ParseError(f"unknown action {action!r}; valid actions: {', '.join(known_actions)}")
    if "Action Input" not in sections:
        raise ParseError("no 'Action Input:' found; give a JSON object with the action's arguments")
    return ParsedAction(action=name, action_input=parse_action_input(sections["Action Input"]), sections=sections)
