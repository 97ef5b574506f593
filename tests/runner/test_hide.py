"""The runner hides answer copies in every tree a run binds: the trees it scans, and an agent whose own
read-only mount holds a copy of a task's raw data cannot read it in the real sandbox."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from medalist.runner.execute import known_trees, run_trees
from medalist.runner.models import RunRecord
from medalist.sandbox.base import Mount
from medalist.sandbox.masks import empty_dir, system_trees

AGENT_SH = """#!/bin/sh
# copies the sample submission, then reports how many bytes it can read of its own vendor folder's files
# (a hidden file is covered: empty, or not openable at all)
cp /home/data/sample_submission.csv /home/submission/submission.csv
cat /opt/vendor/data/penguins.csv | wc -c > /home/logs/copy_bytes.txt
cat /opt/vendor/data/readme.txt | wc -c > /home/logs/readme_bytes.txt
"""


def test_run_trees_are_the_system_trees_plus_the_agents_read_only_mounts(tmp_path: Path) -> None:
    venv, group = tmp_path / "venv", tmp_path / "group"
    for d in (venv, group / "run" / "cfg", tmp_path / "work"):
        d.mkdir(parents=True)
    mounts = [
        Mount(venv, str(venv)),
        Mount(empty_dir(), str(venv / "data")),
        Mount(Path("/dev/null"), "/x"),
        Mount(tmp_path / "work", "/home/work", writable=True),
        Mount(group / "run" / "cfg", "/opt/cfg"),
    ]
    trees = run_trees(mounts, group)
    assert trees[: len(system_trees())] == system_trees() and trees[len(system_trees()) :] == [venv.resolve()]
    assert Path(sys.prefix) in known_trees() and set(system_trees()) <= set(known_trees())


@pytest.mark.sandbox
def test_a_copy_of_the_answers_in_an_agents_own_mount_is_hidden(run_group, runs_dir: Path) -> None:
    from palmerpenguins import load_penguins

    vendor = runs_dir.parent / f"{runs_dir.name}-vendor"  # outside the runs folder, readable by the sandbox user
    (vendor / "data").mkdir(parents=True)
    (vendor / "data" / "penguins.csv").write_text(load_penguins().to_csv(index=False))
    (vendor / "data" / "readme.txt").write_text("just notes\n")
    for p in (vendor, vendor / "data"):
        p.chmod(0o755)
    for p in (vendor / "data").iterdir():
        p.chmod(0o644)
    code = runs_dir / "vendoring_agent"
    code.mkdir()
    (code / "agent.sh").write_text(AGENT_SH)
    os.chmod(code, 0o755)
    os.chmod(code / "agent.sh", 0o755)
    agents = runs_dir / "agents.yaml"
    agents.write_text(
        "agents:\n  - id: vendoring\n    command: [/bin/sh, /opt/agent/agent.sh]\n"
        f"    mounts: [{{source: {code}, target: /opt/agent}}, {{source: {vendor}, target: /opt/vendor}}]\n"
    )
    try:
        group, _ = run_group("vendoring", ["penguins-species"], agents_file=agents, time_limit=60)
        run_dir = group.run_dir(group.meta.runs[0])
        record = RunRecord.model_validate_json((run_dir / "run.json").read_text())
        assert record.status == "completed", (run_dir / "agent_stderr.log").read_text()
        logs = run_dir / "workspace" / "logs"
        assert int((logs / "readme_bytes.txt").read_text()) > 0  # the mount itself is there
        assert int((logs / "copy_bytes.txt").read_text()) == 0  # the copy of the raw data is covered
    finally:
        import shutil

        shutil.rmtree(vendor, ignore_errors=True)
