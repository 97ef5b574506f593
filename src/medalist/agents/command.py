"""The ``command`` agent: any executable configured in an agents YAML."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medalist.agents.base import AgentContext, AgentLaunch
from medalist.agents.config import CommandAgentConfig, check_mounts, protected_paths
from medalist.sandbox.base import Mount


class CommandAgent:
    """Runs ``command --key=value ...`` in the sandbox with its configured env and mounts.

    ``${VAR}`` env references are resolved from the host environment only when the run starts; the
    values go to the sandbox env and to the list of secrets the harness scrubs from logs.
    """

    def __init__(self, config: CommandAgentConfig) -> None:
        self.config = config
        self.id = config.id
        self.description = config.description or f"command: {' '.join(config.command)}"

    @contextmanager
    def launch(self, ctx: AgentContext) -> Iterator[AgentLaunch]:
        # Checked again with the run's own paths (its runs folder and task folder), whatever the file said.
        runs_dir = Path(ctx.run_dir).resolve().parent.parent
        check_mounts(self.config, protected_paths(runs_dir, [ctx.prepared.spec.directory]))
        env, secrets = self.config.resolve_env()
        mounts = [Mount(source=Path(m.source), target=m.target, writable=m.writable) for m in self.config.mounts]
        yield AgentLaunch(argv=self.config.argv(), env=env, mounts=mounts, secrets=secrets)
