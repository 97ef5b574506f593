"""The submissions JSONL that ``medalist grade --submission`` reads, exactly as ``mlebench grade`` reads it.

MLE-bench (mlebench/grade.py, utils.read_jsonl with ``skip_commented_out_lines=True``): each line is
stripped; empty lines and lines starting with ``#`` or ``//`` are skipped; every other line is one JSON
object with ``competition_id`` and ``submission_path``. ``submission_path`` is used as written, so a
relative path is relative to the current working directory. medalist also accepts ``task_id`` for
``competition_id`` and the optional ``run_id`` / ``seed``, and names the file and line of a bad entry.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from pydantic import BaseModel, PrivateAttr, ValidationError

from medalist.errors import ConfigError, MedalistError

COMMENT_PREFIXES = ("#", "//")


class SubmissionLine(BaseModel):
    """One line of a submissions JSONL (MLE-bench uses ``competition_id``; ``task_id`` also works)."""

    submission_path: str
    competition_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    seed: int | None = None
    _line: int | None = PrivateAttr(default=None)  # 1-based line in the JSONL, for error messages

    @property
    def task(self) -> str:
        tid = self.task_id or self.competition_id
        if not tid:
            raise ValueError("needs 'competition_id' or 'task_id'")
        return tid


def read_submission_jsonl(path: Path) -> list[SubmissionLine]:
    """Parse a submissions JSONL as MLE-bench does (see module doc); errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise MedalistError(f"{path}: submissions file not found")
    lines = []
    for no, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = text.strip()
        if not text or text.startswith(COMMENT_PREFIXES):
            continue
        try:
            entry = SubmissionLine.model_validate(json.loads(text))
            entry.task
        except ValidationError as exc:
            e = exc.errors()[0]
            where = ".".join(str(x) for x in e["loc"])
            msg = f"field '{where}': {e['msg']}" if where else e["msg"]
            raise ConfigError(f"{path}:{no}: bad submission line: {msg}") from None
        except (json.JSONDecodeError, ValueError) as exc:
            raise ConfigError(f"{path}:{no}: bad submission line: {str(exc).splitlines()[0]}") from None
        entry._line = no
        lines.append(entry)
    return lines


def report_timestamp() -> str:
    """The summary file's name prefix, as MLE-bench writes it (``YYYY-MM-DDTHH-MM-SS-GMT``, UTC)."""
    return time.strftime("%Y-%m-%dT%H-%M-%S-%Z", time.gmtime())
