"""The agents YAML: external agents run as a command, validated with errors naming file and field.

```yaml
agents:
  - id: my-agent
    command: [python, /opt/agent/main.py]     # or a string, split like a shell would
    kwargs: {model: gpt-4o-mini, steps: 20}   # passed as --model=gpt-4o-mini --steps=20
    env: {API_KEY: "${MY_API_KEY}"}           # ${VAR} is read from the host env at run time
    mounts: [{source: ./my_agent, target: /opt/agent}]
```

Agents files get shared like any config, so their ``mounts`` are checked (:func:`check_mount`): read-only
unless ``writable: true``; none may overlap medalist's prepared-data cache, task folders, runs folder or
the raw data inside dataset packages (each would expose answers or another run); a writable one must
also stay out of medalist's source and venv. Nothing on the host is ever chowned for a mount.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from medalist.configfile import format_validation_error, read_yaml
from medalist.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = r"^[a-z0-9][a-z0-9._-]*$"


class MountConfig(BaseModel):
    """A host folder or file shown inside the sandbox (read-only unless ``writable``)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    target: str
    writable: bool = False

    @field_validator("target")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must be an absolute path inside the sandbox")
        return v


class CommandAgentConfig(BaseModel):
    """One external agent: an executable started inside the sandbox."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID)
    description: str = ""
    command: list[str] = Field(min_length=1)
    kwargs: dict[str, str | int | float | bool] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    mounts: list[MountConfig] = Field(default_factory=list)

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        return shlex.split(v) if isinstance(v, str) else v

    @field_validator("env")
    @classmethod
    def _env_names(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(f"{name!r} is not a valid environment variable name")
        return v

    def referenced_vars(self) -> list[str]:
        """Host environment variables named by ``${VAR}`` in ``env``."""
        return sorted({m for value in self.env.values() for m in _VAR.findall(value)})

    def resolve_env(self, environ: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
        """Substitute ``${VAR}`` from the host env; returns (env, secret values). Missing vars raise."""
        environ = dict(os.environ if environ is None else environ)
        missing = [v for v in self.referenced_vars() if v not in environ]
        if missing:
            raise ConfigError(
                f"agent {self.id!r}: field 'env' references {', '.join('${' + m + '}' for m in missing)}, "
                "not set in the host environment"
            )
        secrets = [environ[v] for v in self.referenced_vars() if environ[v]]
        resolved = {k: _VAR.sub(lambda m: environ[m.group(1)], v) for k, v in self.env.items()}
        return resolved, secrets

    def argv(self) -> list[str]:
        """The command followed by ``--key=value`` for each kwarg (booleans as true/false)."""
        args = []
        for key, value in self.kwargs.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            args.append(f"--{key}={text}")
        return [*self.command, *args]


@dataclass(frozen=True)
class ProtectedPaths:
    """Host paths an agent's mounts must keep clear of, each with what it is (for the error)."""

    any_mount: tuple[tuple[Path, str], ...]
    """Overlapping these in any way (containing or inside) exposes answers or another run."""
    writable: tuple[tuple[Path, str], ...]
    """A writable mount must not overlap these either."""
    containing: tuple[tuple[Path, str], ...] = ()
    """No mount may contain these (a folder inside them that holds no run, e.g. agent code, is fine)."""


def protected_paths(runs_dir: Path | None = None, task_dirs: Iterable[Path] = ()) -> ProtectedPaths:
    """What medalist must keep from agents: its data cache, task folders, runs folder (when known) and
    the dataset packages' raw data; plus its source and venv for writable mounts."""
    import medalist
    from medalist.paths import data_dir
    from medalist.tasks.hidden import hidden_paths
    from medalist.tasks.registry import BUILTIN_DIR

    any_mount = [
        (data_dir(), "medalist's prepared-data cache (task data and private answers)"),
        (BUILTIN_DIR, "medalist's built-in task folders"),
    ]
    any_mount += [(Path(d), "a task folder") for d in task_dirs]
    any_mount += [
        (Path(d), "a task folder (MEDALIST_TASKS_PATH)")
        for d in os.environ.get("MEDALIST_TASKS_PATH", "").split(os.pathsep)
        if d
    ]
    containing = []
    if runs_dir is not None:
        containing.append((Path(runs_dir), "the runs folder (other runs and their results)"))
        any_mount += [(g.parent, "a run group") for g in Path(runs_dir).glob("*/metadata.json")]
    any_mount += [(p, "a dataset package's raw data or a file holding a task's test rows") for p in hidden_paths()]
    writable = [(Path(medalist.__file__).parent.parent, "medalist's source"), (Path(sys.prefix), "medalist's venv")]

    def resolve(items: list[tuple[Path, str]]) -> tuple[tuple[Path, str], ...]:
        return tuple((Path(os.path.abspath(p)).resolve(), what) for p, what in items)

    return ProtectedPaths(any_mount=resolve(any_mount), writable=resolve(writable), containing=resolve(containing))


def check_mount(source: Path, writable: bool, protected: ProtectedPaths) -> str | None:
    """Why mounting ``source`` must be refused (None: it may be mounted)."""
    src = Path(os.path.abspath(source)).resolve()
    rules = [*protected.any_mount, *(protected.writable if writable else ())]
    for path, what in rules:
        if src == path or path in src.parents:
            return f"{source} is inside {what} ({path})"
        if src in path.parents:
            return f"{source} contains {what} ({path})"
    for path, what in protected.containing:
        if src == path or src in path.parents:
            return f"{source} contains {what} ({path})"
    return None


def check_mounts(agent: CommandAgentConfig, protected: ProtectedPaths, where: str = "") -> None:
    """Raise ConfigError naming the first mount of ``agent`` that must be refused."""
    for m in agent.mounts:
        problem = check_mount(Path(m.source), m.writable, protected)
        if problem:
            kind = "writable mount" if m.writable else "mount"
            raise ConfigError(
                f"{where}field 'agents[{agent.id}].mounts': refusing {kind} {m.source} -> {m.target}: {problem}"
            )


class AgentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agents: list[CommandAgentConfig] = Field(default_factory=list)


def _agent_namer(raw: Any) -> Callable[[tuple[Any, ...]], str | None]:
    """Name an agent in error locations by its id rather than its list index."""

    def name(loc: tuple[Any, ...]) -> str | None:
        if len(loc) >= 2 and loc[0] == "agents" and isinstance(loc[1], int):
            try:
                aid = raw["agents"][loc[1]].get("id")
            except (KeyError, IndexError, TypeError, AttributeError):
                return None
            if aid:
                rest = ".".join(str(x) for x in loc[2:])
                return f"agents[{aid}]" + (f".{rest}" if rest else "")
        return None

    return name


def load_agents_file(path: Path) -> list[CommandAgentConfig]:
    """Parse an agents YAML; raise ConfigError naming the file and the field. Relative mount sources
    are resolved against the file's folder."""
    path = Path(path)
    raw = read_yaml(path, missing_hint="agents file not found")
    if raw is None:
        raw = {}
    if isinstance(raw, list):
        raw = {"agents": raw}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with an 'agents' list, got {type(raw).__name__}")
    try:
        parsed = AgentsFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, _agent_namer(raw))) from None
    seen: set[str] = set()
    for agent in parsed.agents:
        if agent.id in seen:
            raise ConfigError(f"{path}: field 'agents[{agent.id}].id': agent id defined twice")
        seen.add(agent.id)
        for m in agent.mounts:
            src = Path(m.source).expanduser()
            if not src.is_absolute():
                src = (path.parent / src).resolve()
            if not src.exists():
                raise ConfigError(f"{path}: field 'agents[{agent.id}].mounts': source {src} does not exist")
            m.source = str(src)
        check_mounts(agent, protected_paths(), where=f"{path}: ")
    return parsed.agents
