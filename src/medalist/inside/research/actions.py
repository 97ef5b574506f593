"""The research agent's environment: a workspace folder and the actions the model may take in it.

Paths are relative to the workspace (the data folder is linked in as ``data/``, read-only). Actions
that need a model (Edit Script (AI), Understand File, Reflection) go through the same
:class:`ChatModel` as the agent, so their use is metered by the gateway.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medalist.inside.llm_client import ChatModel
from medalist.inside.toolkit import excerpt, extract_code, run_script

MAX_READ_CHARS = 6000
MAX_INSPECT_LINES = 100


def chunk_lines(text: str, size: int) -> list[tuple[int, int, str]]:
    """``text`` in pieces of about ``size`` characters along line breaks: (first line, last line, text)."""
    pieces: list[tuple[int, int, str]] = []
    lines = text.splitlines(keepends=True)
    start, buf = 1, ""
    for i, line in enumerate(lines, 1):
        if buf and len(buf) + len(line) > size:
            pieces.append((start, i - 1, buf))
            start, buf = i, ""
        buf += line if len(line) <= size else line[:size] + "...(line cut)\n"
    if buf or not pieces:
        pieces.append((start, max(start, len(lines)), buf))
    return pieces


class ActionError(Exception):
    """The action could not be done; the message becomes the observation."""


@dataclass
class ActionSpec:
    name: str
    description: str
    arguments: dict[str, str]


ACTIONS: list[ActionSpec] = [
    ActionSpec("List Files", "List files and folders in a folder.", {"dir_path": 'folder, e.g. "." or "data"'}),
    ActionSpec("Read File", "Read a text file (long files are cut).", {"file_name": "path"}),
    ActionSpec("Write File", "Write a text file (overwrites).", {"file_name": "path", "content": "the full text"}),
    ActionSpec("Copy File", "Copy a file.", {"source": "path", "destination": "path"}),
    ActionSpec(
        "Inspect Script Lines",
        f"Show lines of a script (at most {MAX_INSPECT_LINES}).",
        {"script_name": "path", "start_line_number": "int", "end_line_number": "int"},
    ),
    ActionSpec("Execute Script", "Run a Python script and see its output.", {"script_name": "path"}),
    ActionSpec(
        "Edit Script (AI)",
        "Have an AI assistant edit a script (or write a new one) by instruction.",
        {"script_name": "path", "edit_instruction": "what to change", "save_name": "path to save to"},
    ),
    ActionSpec("Undo Edit Script", "Undo the last edit of a script.", {"script_name": "path"}),
    ActionSpec(
        "Understand File",
        "Have an AI assistant read a whole file (in pieces) and answer what to look for.",
        {"file_name": "path", "things_to_look_for": "what to find"},
    ),
    ActionSpec(
        "Reflection", "Have an AI assistant reflect on the research so far.", {"things_to_reflect_on": "question"}
    ),
    ActionSpec(
        "Final Answer",
        "Finish (once only): a valid submission is written; summarise the result.",
        {"final_answer": "summary"},
    ),
]
ACTION_NAMES = [a.name for a in ACTIONS]


@dataclass
class Workspace:
    """The agent's files: ``root`` is writable; ``data`` is read-only and shown as ``root/data``."""

    root: Path
    data: Path
    model: ChatModel
    exec_timeout: Callable[[], float]
    history: Callable[[], str] = lambda: ""
    backups: dict[str, list[str]] = field(default_factory=dict)
    python: str | None = None  # interpreter of Execute Script (the solution environment's)
    output_chars: int = 5000
    chunk_chars: int = 10000
    max_chunks: int = 8
    temperature: float | None = None  # of the helper calls (edit, understand, reflect)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        link = self.root / "data"
        if not link.exists() and not link.is_symlink():
            os.symlink(self.data, link)

    # -- paths -------------------------------------------------------------------------------------
    def resolve(self, name: Any, *, write: bool = False) -> Path:
        if not isinstance(name, str) or not name.strip():
            raise ActionError("a file or folder name (string) is required")
        p = Path(name.strip())
        path = (p if p.is_absolute() else self.root / p).resolve()
        root, data = self.root.resolve(), self.data.resolve()
        in_data = path == data or data in path.parents
        if not (path == root or root in path.parents or in_data):
            raise ActionError(f"{name}: outside the workspace (use paths relative to it)")
        if write and in_data:
            raise ActionError(f"{name}: the data folder is read-only; write inside the workspace")
        return path

    def show(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.resolve()))
        except ValueError:
            return "data/" + str(path.relative_to(self.data.resolve()))

    # -- dispatch ----------------------------------------------------------------------------------
    def run(self, action: str, args: dict[str, Any]) -> str:
        handler = getattr(self, "_" + action.lower().replace(" (ai)", "").replace(" ", "_"))
        try:
            return handler(**args)
        except TypeError as exc:
            spec = next(a for a in ACTIONS if a.name == action)
            raise ActionError(f"bad arguments for {action} ({exc}); expected {list(spec.arguments)}") from None
        except OSError as exc:
            raise ActionError(f"{action} failed: {exc.strerror or exc}") from None

    # -- actions -----------------------------------------------------------------------------------
    def _list_files(self, dir_path: str = ".") -> str:
        d = self.resolve(dir_path)
        if not d.is_dir():
            raise ActionError(f"{dir_path}: not a folder")
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in d.iterdir())
        return "\n".join(names[:200]) or "(empty)"

    def _read_file(self, file_name: str) -> str:
        path = self.resolve(file_name)
        if not path.is_file():
            raise ActionError(f"{file_name}: no such file")
        return excerpt(path.read_text(encoding="utf-8", errors="replace"), MAX_READ_CHARS)

    def _write_file(self, file_name: str, content: str) -> str:
        path = self.resolve(file_name, write=True)
        self._backup(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(content), encoding="utf-8")
        return f"wrote {self.show(path)} ({len(str(content))} characters)"

    def _copy_file(self, source: str, destination: str) -> str:
        src, dst = self.resolve(source), self.resolve(destination, write=True)
        if not src.is_file():
            raise ActionError(f"{source}: no such file")
        self._backup(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return f"copied {self.show(src)} to {self.show(dst)}"

    def _inspect_script_lines(self, script_name: str, start_line_number: Any = 1, end_line_number: Any = 100) -> str:
        path = self.resolve(script_name)
        if not path.is_file():
            raise ActionError(f"{script_name}: no such file")
        try:
            start, end = max(1, int(start_line_number)), int(end_line_number)
        except (TypeError, ValueError):
            raise ActionError("line numbers must be integers") from None
        end = min(end, start + MAX_INSPECT_LINES - 1)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        shown = [f"{i}: {lines[i - 1]}" for i in range(start, min(end, len(lines)) + 1)]
        return f"{self.show(path)} has {len(lines)} lines; lines {start}-{min(end, len(lines))}:\n" + "\n".join(shown)

    def _execute_script(self, script_name: str) -> str:
        path = self.resolve(script_name)
        if not path.is_file():
            raise ActionError(f"{script_name}: no such file")
        logs = self.root / ".runs"
        logs.mkdir(exist_ok=True)
        result = run_script(
            path, self.root, self.exec_timeout(), log_path=logs / f"{path.stem}.out", python=self.python
        )
        status = "it timed out" if result.timed_out else f"exit code {result.exit_code}"
        return f"The script ran ({status}). Output:\n{excerpt(result.output, self.output_chars)}"

    def _edit_script(self, script_name: str, edit_instruction: str, save_name: str | None = None) -> str:
        src = self.resolve(script_name, write=not Path(str(script_name)).exists())
        dst = self.resolve(save_name or script_name, write=True)
        old = src.read_text(encoding="utf-8", errors="replace") if src.is_file() else ""
        prompt = (
            f"Edit this Python script as instructed and return the WHOLE new script in one ```python block.\n\n"
            f"# Instruction\n{edit_instruction}\n\n# Script {self.show(src)}\n```python\n{old}\n```"
            if old
            else f"Write a Python script as instructed; return it in one ```python block.\n\n# Instruction\n{edit_instruction}"
        )
        reply = self.model.chat([{"role": "user", "content": prompt}], role="code", temperature=self.temperature)
        new = extract_code(reply.content)
        if new is None:
            raise ActionError("the edit assistant returned no code; try a clearer instruction")
        self._backup(dst)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(new, encoding="utf-8")
        diff = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), self.show(src), self.show(dst)))
        return f"Saved the edited script to {self.show(dst)}. Diff:\n{excerpt(diff, 3000) or '(no change)'}"

    def _undo_edit_script(self, script_name: str) -> str:
        path = self.resolve(script_name, write=True)
        stack = self.backups.get(str(path))
        if not stack:
            raise ActionError(f"{script_name}: no edit to undo")
        previous = stack.pop()
        if previous == "\0missing":
            path.unlink(missing_ok=True)
            return f"undid the creation of {self.show(path)}"
        path.write_text(previous, encoding="utf-8")
        return f"restored the previous version of {self.show(path)}:\n{excerpt(previous, 2000)}"

    def _ask(self, prompt: str) -> str:
        return self.model.chat(
            [{"role": "user", "content": prompt}], role="feedback", temperature=self.temperature
        ).content

    def _understand_file(self, file_name: str, things_to_look_for: str) -> str:
        """MLAgentBench-style: ask about each piece of the file, then merge the answers."""
        path = self.resolve(file_name)
        if not path.is_file():
            raise ActionError(f"{file_name}: no such file")
        pieces = chunk_lines(path.read_text(encoding="utf-8", errors="replace"), self.chunk_chars)
        read = pieces[: self.max_chunks]
        answers = []
        for i, (start, end, text) in enumerate(read, 1):
            where = f"lines {start}-{end}" + (f", piece {i} of {len(read)}" if len(read) > 1 else "")
            answers.append(
                self._ask(
                    f"Read this part of {file_name} ({where}) and answer concisely: {things_to_look_for}\n"
                    "Cite line numbers; say what this part does not contain. Report only what is in it.\n\n"
                    f"```\n{text}\n```"
                )
            )
        cut = (
            f"\n(Only the first {len(read)} of {len(pieces)} pieces were read; the file goes on after line "
            f"{read[-1][1]}.)"
            if len(pieces) > len(read)
            else ""
        )
        if len(answers) == 1:
            return answers[0] + cut
        joined = "\n\n".join(
            f"Piece {i} (lines {a}-{b}):\n{ans}" for i, ((a, b, _), ans) in enumerate(zip(read, answers), 1)
        )
        return (
            self._ask(
                f"These are answers about consecutive pieces of {file_name} to: {things_to_look_for}\n\n{joined}\n\n"
                "Merge them into one coherent answer for the whole file (keep line numbers; no guesses)."
            )
            + cut
        )

    def _reflection(self, things_to_reflect_on: str) -> str:
        prompt = (
            f"Here is the research log so far:\n{self.history()}\n\n"
            f"Reflect on: {things_to_reflect_on}\nAnswer in a few sentences."
        )
        return self._ask(prompt)

    def _backup(self, path: Path) -> None:
        stack = self.backups.setdefault(str(path), [])
        stack.append(path.read_text(encoding="utf-8", errors="replace") if path.is_file() else "\0missing")
