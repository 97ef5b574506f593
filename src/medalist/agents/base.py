"""The Agent protocol: what an agent needs from the harness and how it asks to be launched."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from medalist.agents.spec import RunLimits
from medalist.sandbox.base import Mount
from medalist.tasks.prepare import PreparedTask


@dataclass(frozen=True)
class AgentContext:
    """One run as an agent sees it from the host side (paths are host paths)."""

    prepared: PreparedTask
    seed: int
    limits: RunLimits
    run_dir: Path
    workspace: Path
    python: str
    """Interpreter to use inside the sandbox (the harness venv's python, mounted read-only)."""

    @property
    def task_id(self) -> str:
        return self.prepared.spec.id


@dataclass
class AgentLaunch:
    """The command to run inside the sandbox, plus what the agent adds to the standard contract."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    """Secret values passed in ``env``; the harness scrubs them from every log it keeps."""


class Agent(Protocol):
    """An agent: an id, a one-line description, and a launch plan for a run.

    ``launch`` is a context manager so an agent can run host-side helpers for the duration of the
    run (a model gateway, a probe listener) and stop them afterwards.
    """

    id: str
    description: str

    def launch(self, ctx: AgentContext) -> AbstractContextManager[AgentLaunch]: ...
