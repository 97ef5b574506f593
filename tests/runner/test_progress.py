"""The live run table shows each run's time and score as soon as the run ends (issue 11)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from medalist.agents import AgentRegistry
from medalist.paths import data_dir
from medalist.runner import LimitOverrides, LocalExecutor, RunGroup, execute_group
from medalist.runner.models import ExecutorInfo
from medalist.runner.progress import GroupView
from medalist.tasks import TaskRegistry


def _render(view: GroupView) -> dict[str, list[str]]:
    console = Console(width=200, record=True, color_system=None)
    console.print(view)
    rows = {}
    for line in console.export_text().splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 4 and cells[0] and cells[0] != "run":
            rows[cells[0]] = cells[1:]
    return rows


def test_rows_show_time_and_score_while_the_live_view_is_still_open(runs_dir: Path) -> None:
    specs = TaskRegistry.default().resolve(["penguins-species", "wine-cultivar"])
    group = RunGroup.create(
        runs_dir,
        agent=AgentRegistry().spec("sample"),
        tasks=specs,
        seeds=[0],
        overrides=LimitOverrides(time_limit_secs=60),
        executor=ExecutorInfo(name="local", workers=1),
        sandbox="process",
        grade=True,
        data_dir=str(data_dir()),
    )
    view = GroupView(group)
    seen: dict[str, list[str]] = {}

    @contextmanager
    def live():  # what rich's Live shows last: the view rendered when the runs have ended
        yield
        seen.update(_render(view))

    summary = execute_group(group, LocalExecutor(1), live=live)
    assert summary is not None
    assert set(seen) == {e.run_id for e in group.meta.runs}
    for run_id, (status, took, score) in seen.items():
        entry = group.meta.entry(run_id)
        assert status == "completed"
        assert re.fullmatch(r"\d+s", took), (run_id, took)
        assert entry.score is not None and score == f"{entry.score:.5g}", (run_id, score)


def test_a_running_row_counts_from_the_run_start(runs_dir: Path) -> None:
    specs = TaskRegistry.default().resolve(["penguins-species"])
    group = RunGroup.create(
        runs_dir,
        agent=AgentRegistry().spec("sample"),
        tasks=specs,
        seeds=[0],
        overrides=LimitOverrides(),
        executor=ExecutorInfo(name="local", workers=1),
        sandbox="process",
        grade=True,
        data_dir=str(data_dir()),
    )
    entry = group.meta.runs[0]
    entry.status, entry.started_at = "running", "2000-01-01T00:00:00+00:00"
    ((_, took, score),) = _render(GroupView(group)).values()
    assert int(took[:-1]) > 20 * 365 * 86400 and score == ""
    entry.status, entry.seconds, entry.valid_submission = "completed", 12.4, False
    assert list(_render(GroupView(group)).values()) == [["completed", "12s", "invalid"]]
