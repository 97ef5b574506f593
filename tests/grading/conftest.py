"""Tiny task folders written under tmp_path, prepared into a private cache (never the built-in tasks)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from medalist.tasks import PreparedTask, TaskSpec, load_task_spec, prepare_task

MakeTask = Callable[..., tuple[TaskSpec, PreparedTask]]


def write_task(
    folder: Path,
    *,
    task_id: str,
    metric: str,
    answers: str,
    sample: str | None = None,
    targets: tuple[str, ...] = ("target",),
    task_type: str = "binary-classification",
    leaderboard: list[float] | None = None,
    extra_yaml: str = "",
) -> Path:
    """Write task.yaml, description.md, prepare.py (copying the given CSV texts) and a leaderboard."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "description.md").write_text(f"# {task_id}\n")
    lb = "leaderboard: leaderboard.csv" if leaderboard is not None else "leaderboard: null"
    (folder / "task.yaml").write_text(
        textwrap.dedent(
            f"""\
            id: {task_id}
            name: test task {task_id}
            task_type: {task_type}
            metric: {metric}
            target_columns: [{", ".join(targets)}]
            {lb}
            """
        )
        + extra_yaml
    )
    if sample is None:
        lines = answers.strip().splitlines()
        header = lines[0]
        sample = "\n".join([header] + [row.split(",")[0] + ",0" * len(targets) for row in lines[1:]]) + "\n"
    (folder / "prepare.py").write_text(
        textwrap.dedent(
            f"""\
            ANSWERS = {answers!r}
            SAMPLE = {sample!r}

            def prepare(raw, public, private):
                (private / "answers.csv").write_text(ANSWERS)
                (public / "sample_submission.csv").write_text(SAMPLE)
                (public / "test.csv").write_text(SAMPLE.splitlines()[0].split(",")[0] + "\\n")
            """
        )
    )
    if leaderboard is not None:
        (folder / "leaderboard.csv").write_text(
            "team,score\n" + "".join(f"t{i},{s}\n" for i, s in enumerate(leaderboard))
        )
    return folder


@pytest.fixture
def make_task(tmp_path: Path) -> MakeTask:
    """Build and prepare a task in this test's tmp_path; returns (spec, prepared task)."""

    def make(**kw: object) -> tuple[TaskSpec, PreparedTask]:
        folder = write_task(tmp_path / "tasks" / str(kw["task_id"]), **kw)  # type: ignore[arg-type]
        spec = load_task_spec(folder)
        return spec, prepare_task(spec, cache_root=tmp_path / "cache")

    return make


@pytest.fixture
def task_writer() -> Callable[..., Path]:
    """The :func:`write_task` helper, for tests that load tasks through a registry."""
    return write_task
