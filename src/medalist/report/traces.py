"""Read what a run left behind for people to inspect: the AIDE solution tree (``journal.json``), the
research agent's steps (``trace.json``), the agent's code files and the tails of its stdout/stderr.

Agent-produced files are untrusted: parsing is tolerant (unknown shapes become a note, never an
exception), text is truncated, and the HTML template escapes everything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, Field

MAX_TEXT = 12_000
MAX_CODE_FILES = 4
TAIL = 4_000


def clip(text: Any, limit: int = MAX_TEXT) -> str:
    """Text of a value, cut to ``limit`` characters with a note of what was left out."""
    if text is None:
        return ""
    if isinstance(text, list):
        text = "".join(str(t) for t in text)
    text = text if isinstance(text, str) else json.dumps(text, indent=1, default=str)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({len(text) - limit:,} more characters not shown)"


def tail(path: Path, limit: int = TAIL) -> str:
    """The last ``limit`` characters of a text file ('' when missing)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return (f"... ({size - limit:,} earlier bytes not shown)\n" if size > limit else "") + data


class TraceNode(BaseModel):
    """One node of an AIDE-style solution tree."""

    id: str
    parent: str | None = None
    step: int | None = None
    plan: str = ""
    code: str = ""
    output: str = ""
    analysis: str = ""
    metric: float | None = None
    is_buggy: bool | None = None
    exec_time: float | None = None
    stage: str = ""
    error: str = ""
    children: list[TraceNode] = Field(default_factory=list)
    best: bool = False


class TraceStep(BaseModel):
    """One step of a research-agent trace."""

    index: int
    action: str = ""
    thought: str = ""
    input: str = ""
    output: str = ""


class CodeFile(BaseModel):
    name: str
    text: str


class RunTrace(BaseModel):
    """Everything inspectable about one run; every part is optional."""

    journal_path: str | None = None
    roots: list[TraceNode] = Field(default_factory=list)
    n_nodes: int = 0
    trace_path: str | None = None
    steps: list[TraceStep] = Field(default_factory=list)
    code_files: list[CodeFile] = Field(default_factory=list)
    stdout_tail: str = ""
    stderr_tail: str = ""
    notes: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.roots or self.steps or self.code_files or self.stdout_tail or self.stderr_tail)


def _first(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, dict):
        v = _first(v, "value", "score", "metric")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _from_aide_journal(raw: Any) -> tuple[list[TraceNode], int, bool | None] | None:
    """medalist's own AIDE agent journal (``medalist.inside.aide.journal.Journal``), when it validates."""
    try:
        from medalist.inside.aide.journal import Journal
    except ImportError:
        return None
    if not isinstance(raw, dict) or "nodes" not in raw:
        return None
    try:
        journal = Journal.model_validate(raw)
    except ValueError:
        return None
    best = journal.best_node_id
    if best is None and (b := journal.best()) is not None:
        best = b.id
    nodes = [
        {
            "id": n.id,
            "step": n.step,
            "parent_id": n.parent_id,
            "plan": n.plan,
            "code": n.code,
            "output": n.output,
            "analysis": n.summary,
            "metric": n.metric,
            "is_buggy": n.is_bug,
            "exec_time": n.exec_seconds,
            "stage": n.stage,
            "error": n.error or "",
        }
        for n in journal.nodes
    ]
    roots, count, _ = _tree(
        nodes, {}, best_id=None if best is None else str(best), maximize=not journal.lower_is_better
    )
    return roots, count, not journal.lower_is_better


def parse_journal(raw: Any) -> tuple[list[TraceNode], int, bool | None]:
    """AIDE journal -> tree roots, node count, and whether the metric is maximised (when stated).

    medalist's AIDE agent format is read with its own model; other AIDE-like shapes (upstream aideml's
    ``nodes`` + ``node2parent``) are read tolerantly.
    """
    own = _from_aide_journal(raw)
    if own is not None:
        return own
    nodes_raw = raw.get("nodes") if isinstance(raw, dict) else raw
    if not isinstance(nodes_raw, list):
        raise ValueError("expected a list of nodes (or {'nodes': [...]})")
    node2parent = raw.get("node2parent", {}) if isinstance(raw, dict) else {}
    maximize: bool | None = None
    for n in nodes_raw:
        metric = n.get("metric") if isinstance(n, dict) else None
        if isinstance(metric, dict) and isinstance(metric.get("maximize"), bool):
            maximize = metric["maximize"]
    return _tree([n for n in nodes_raw if isinstance(n, dict)], node2parent, None, maximize)


def _tree(
    nodes_raw: list[dict[str, Any]], node2parent: dict[str, Any], best_id: str | None, maximize: bool | None
) -> tuple[list[TraceNode], int, bool | None]:
    nodes: dict[str, TraceNode] = {}
    for i, n in enumerate(nodes_raw):
        nid = str(_first(n, "id", "node_id", "step") if _first(n, "id", "node_id", "step") is not None else i)
        parent = _first(n, "parent_id", "parent")
        if isinstance(parent, dict):
            parent = _first(parent, "id", "node_id")
        parent = parent if parent is not None else node2parent.get(nid)
        metric = n.get("metric")
        step = _first(n, "step", "index")
        nodes[nid] = TraceNode(
            id=nid,
            parent=None if parent is None else str(parent),
            step=step if isinstance(step, int) else None,
            plan=clip(_first(n, "plan", "thought")),
            code=clip(_first(n, "code")),
            output=clip(_first(n, "term_out", "_term_out", "output", "stdout")),
            analysis=clip(_first(n, "analysis")),
            metric=_number(metric),
            is_buggy=_first(n, "is_buggy", "is_bug", "buggy"),
            exec_time=_number(_first(n, "exec_time", "exec_seconds")),
            stage=clip(_first(n, "stage"), 40),
            error=clip(_first(n, "error")),
        )
    kids: dict[str, list[TraceNode]] = {}
    for node in nodes.values():
        if node.parent is not None and node.parent in nodes and node.parent != node.id:
            kids.setdefault(node.parent, []).append(node)
    roots: list[TraceNode] = []
    seen: set[str] = set()

    def attach(node: TraceNode) -> None:  # depth-first, each node once (cycles in bad files are cut)
        seen.add(node.id)
        stack = [node]
        while stack:
            cur = stack.pop()
            for child in kids.get(cur.id, []):
                if child.id not in seen:
                    seen.add(child.id)
                    cur.children.append(child)
                    stack.append(child)

    for node in nodes.values():
        if node.parent is None or node.parent not in nodes or node.parent == node.id:
            roots.append(node)
            attach(node)
    for node in nodes.values():
        if node.id not in seen:
            roots.append(node)
            attach(node)
    good = [n for n in nodes.values() if n.metric is not None and not n.is_buggy]
    if best_id is not None and best_id in nodes:
        nodes[best_id].best = True
    elif good:
        pick = max if maximize is not False else min
        pick(good, key=lambda n: cast(float, n.metric)).best = True  # good: every metric is set
    return roots, len(nodes), maximize


def parse_steps(raw: Any) -> list[TraceStep]:
    """Research-agent trace -> steps (accepts a list or {'steps': [...]})."""
    steps_raw = raw.get("steps") if isinstance(raw, dict) else raw
    if not isinstance(steps_raw, list):
        raise ValueError("expected a list of steps (or {'steps': [...]})")
    out = []
    for i, s in enumerate(steps_raw):
        if not isinstance(s, dict):
            out.append(TraceStep(index=i, output=clip(s)))
            continue
        idx = _first(s, "step", "index")
        action = _first(s, "action", "tool", "name", "type")
        if isinstance(action, dict):
            action = _first(action, "name", "tool") or json.dumps(action)[:80]
        out.append(
            TraceStep(
                index=idx if isinstance(idx, int) else i,
                action=clip(action, 200),
                thought=clip(_first(s, "thought", "reasoning", "plan", "reflection")),
                # a step with no parsed action shows the model's reply (what went wrong), not an empty input
                input=clip(
                    _first(s, "input", "action_input", "args", "arguments", "code", "command") or s.get("response")
                ),
                output=clip(_first(s, "output", "observation", "result", "stdout")),
            )
        )
    return out


def _find(run_dir: Path, logs: str, name: str) -> Path | None:
    for folder in (run_dir / logs, run_dir / "logs", run_dir):
        p = folder / name
        if p.is_file() and not p.is_symlink():
            return p
    return None


def _load_json(path: Path, notes: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as exc:
        notes.append(f"{path.name}: not readable JSON ({str(exc).splitlines()[0][:120]})")
        return None


def _code_files(folder: Path) -> list[CodeFile]:
    if not folder.is_dir():
        return []
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and p.suffix in {".py", ".sh", ".R", ".txt", ".md", ".ipynb", ".yaml", ".json"}
    )
    out = []
    for p in files[:MAX_CODE_FILES]:
        try:
            out.append(CodeFile(name=p.relative_to(folder).as_posix(), text=clip(p.read_text(errors="replace"))))
        except OSError:
            continue
    return out


def read_trace(
    run_dir: Path,
    logs: str = "workspace/logs",
    code: str = "workspace/code",
    stdout: str = "agent_stdout.log",
    stderr: str = "agent_stderr.log",
) -> RunTrace:
    """Collect a run's trace; a run with no trace at all gives an empty RunTrace."""
    run_dir = Path(run_dir)
    trace = RunTrace()
    journal = _find(run_dir, logs, "journal.json")
    if journal is not None:
        raw = _load_json(journal, trace.notes)
        if raw is not None:
            try:
                trace.roots, trace.n_nodes, _ = parse_journal(raw)
                trace.journal_path = str(journal)
            except ValueError as exc:
                trace.notes.append(f"journal.json: unexpected shape ({exc})")
    steps = _find(run_dir, logs, "trace.json")
    if steps is not None:
        raw = _load_json(steps, trace.notes)
        if raw is not None:
            try:
                trace.steps = parse_steps(raw)
                trace.trace_path = str(steps)
            except ValueError as exc:
                trace.notes.append(f"trace.json: unexpected shape ({exc})")
    trace.code_files = _code_files(run_dir / code)
    trace.stdout_tail = tail(run_dir / stdout)
    trace.stderr_tail = tail(run_dir / stderr)
    return trace
