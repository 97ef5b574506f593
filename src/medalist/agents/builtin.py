"""Built-in agents: ``dummy`` (sandbox sanity checks), ``sample`` (copies the sample submission),
``automl`` (a gradient-boosting baseline). Each runs inside the sandbox with the harness python."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from medalist.agents.base import AgentContext, AgentLaunch
from medalist.errors import MedalistError
from medalist.inside import contract
from medalist.paths import data_dir


def sample_in_sandbox(ctx: AgentContext) -> str:
    """The sample submission's path inside the sandbox; "" when the task keeps it only with the answers
    (MLE-bench competitions whose public copy is compressed). Then the harness places that private copy in
    the workspace as the submission itself: it is the no-skill floor, and the agent never reads private/."""
    spec = ctx.prepared.spec
    if spec.sample_submission is not None:
        return f"{contract.DATA_DIR}/{spec.sample_submission}"
    private = ctx.prepared.sample_submission_path
    if private is None:
        raise MedalistError(f"task {spec.id!r} has no sample submission")
    dst = ctx.workspace / "submission" / "submission.csv"
    shutil.copyfile(private, dst)
    os.chmod(dst, 0o666)
    return ""


class SampleAgent:
    id = "sample"
    description = "Copies the sample submission (a valid, uninformed baseline)."

    @contextmanager
    def launch(self, ctx: AgentContext) -> Iterator[AgentLaunch]:
        sample = sample_in_sandbox(ctx)
        yield AgentLaunch(argv=["/bin/cp", sample, contract.SUBMISSION_PATH] if sample else ["/bin/true"])


class DummyAgent:
    id = "dummy"
    description = "Sanity checks of the sandbox (identity, no private data, no network, mounts); copies the sample."

    @contextmanager
    def launch(self, ctx: AgentContext) -> Iterator[AgentLaunch]:
        # A host-side listener on loopback: reachable only if the sandbox shares the host network.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        private = [
            str(ctx.prepared.answers_path),
            str(ctx.prepared.private),
            str(ctx.prepared.root),
            str(data_dir()),
        ]
        try:
            yield AgentLaunch(
                argv=[ctx.python, "-m", "medalist.inside.dummy"],
                env={
                    "MEDALIST_PROBE_HOST": "127.0.0.1",
                    "MEDALIST_PROBE_PORT": str(port),
                    "MEDALIST_PRIVATE_PATHS": ":".join(private),
                    "MEDALIST_SAMPLE_SUBMISSION": sample_in_sandbox(ctx),
                },
            )
        finally:
            listener.close()


class AutomlAgent:
    id = "automl"
    description = "Typed features + gradient boosting with K-fold CV, budgeted to TIME_LIMIT_SECS (no LLM)."

    @contextmanager
    def launch(self, ctx: AgentContext) -> Iterator[AgentLaunch]:
        yield AgentLaunch(argv=[ctx.python, "-m", "medalist.inside.automl"])
