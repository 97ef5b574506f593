"""The research agent's trace (``trace.json``): every step's answer, action, observation and timing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from medalist.fsutil import atomic_write_json


class TraceStep(BaseModel):
    step: int
    started_at: str
    ended_at: str = ""
    response: str = Field(default="", description="The model's whole answer.")
    reflection: str = ""
    plan: str = ""
    thought: str = ""
    action: str | None = None
    action_input: dict[str, Any] | None = Field(default=None, description="None when no action could be parsed.")
    observation: str = ""
    error: str | None = Field(default=None, description="Parse or action error (the observation explains it).")
    retries: int = Field(default=0, description="Re-asks after replies that did not follow the response format.")
    parse_errors: list[str] = Field(default_factory=list, description="Why each re-asked reply was refused.")
    changed_files: list[str] = Field(default_factory=list)
    snapshot: str | None = Field(default=None, description="Folder (under logs) with copies of the changed files.")


class Trace(BaseModel):
    task_id: str = ""
    started_at: str = ""
    ended_at: str | None = None
    elapsed_secs: float = Field(default=0.0, description="Agent time used so far, over every attempt of the run.")
    attempts: int = Field(default=1, description="Attempts that worked on this trace (2+: resumed with --resume).")
    settings: dict[str, Any] = Field(default_factory=dict)
    stop_reason: str | None = None
    final_answer: str | None = None
    actions: list[str] = Field(default_factory=list)
    steps: list[TraceStep] = Field(default_factory=list)

    def save(self, path: Path) -> None:
        atomic_write_json(path, self)
