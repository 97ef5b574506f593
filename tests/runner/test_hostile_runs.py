"""A hostile agent (a command agent in the real bwrap sandbox) attacks grading, the disk and the public
data, one attack per seed of one run group. Every attack must end with its run invalid or stopped with a
clear reason, the group fully graded, and nothing on the host changed (the data cache above all)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from medalist.fsutil import tree_checksums
from medalist.runner import read_record
from medalist.runner.layout import SHARED

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

HOSTILE = r"""
import csv, fcntl, os, sys
seed = int(os.environ["MEDALIST_SEED"])
sub = "/home/submission/submission.csv"
ids = [row["id"] for row in csv.DictReader(open("/home/data/sample_submission.csv"))]
if seed == 0:      # sparse: 32 MB apparent size, a few KB on disk
    with open(sub, "wb") as fh:
        fh.write(b"id,species\n" + b"PWNED" * 1000)
        fh.truncate(32 << 20)
elif seed == 1:    # absurd labels: every row its own made-up class
    with open(sub, "w") as fh:
        fh.write("id,species\n" + "".join(f"{i},PWNED-label-{n}\n" for n, i in enumerate(ids)))
elif seed == 2:    # inode flood
    os.makedirs("/home/code/flood", exist_ok=True)
    for n in range(200_000):
        open(f"/home/code/flood/{n}", "w").close()
elif seed == 3:    # change the public data through every path, and hold a lock on it
    tried = []
    for how in ("append", "chmod", "link", "rename"):
        try:
            if how == "append":
                open("/home/data/train.csv", "a").write("PWNED\n")
            elif how == "chmod":
                os.chmod("/home/data/train.csv", 0o666)
            elif how == "link":
                os.link("/home/data/train.csv", "/home/code/train_link.csv")
                open("/home/code/train_link.csv", "a").write("PWNED\n")
            else:
                os.rename("/home/data/train.csv", "/home/code/stolen.csv")
            tried.append(how + ":worked")
        except OSError as exc:
            tried.append(how + ":" + type(exc).__name__)
    fcntl.flock(open("/home/data/train.csv"), fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("tried", tried)
    if any(t.endswith(":worked") for t in tried):
        sys.exit(9)
    import shutil
    shutil.copyfile("/home/data/sample_submission.csv", sub)
elif seed == 4:    # a huge real file: 40 MB of rows
    with open(sub, "w") as fh:
        fh.write("id,species\n")
        line = "".join(f"{i},Adelie\n" for i in ids)
        while fh.tell() < 40 << 20:
            fh.write(line)
"""


@pytest.fixture
def hostile_agents(runs_dir: Path) -> Path:
    code = runs_dir / "agent_code"
    code.mkdir()
    (code / "agent.py").write_text(HOSTILE)
    for p in (code, code / "agent.py"):
        os.chmod(p, 0o755)
    path = runs_dir / "agents.yaml"
    path.write_text(
        "agents:\n  - id: hostile\n    command: [python, /opt/agent/agent.py]\n"
        "    mounts: [{source: agent_code, target: /opt/agent}]\n"
    )
    return path


def test_hostile_runs_end_invalid_or_stopped_and_the_group_is_graded(
    run_group,
    hostile_agents: Path,
    medalist_data_dir: Path,
) -> None:
    from medalist.tasks import TaskRegistry, ensure_prepared

    pt = ensure_prepared(TaskRegistry.default().get("penguins-species"))
    cache_before = tree_checksums(pt.root)
    group, summary = run_group(
        "hostile", ["penguins-species"], seeds=5, agents_file=hostile_agents, time_limit=120, limits={"max_files": 5000}
    )
    records = {e.seed: read_record(group.run_dir(e)) for e in group.meta.runs}
    reports = {r.seed: r for r in summary.competition_reports}
    assert len(reports) == 5 and (group.dir / "grading_summary.json").is_file()
    assert all(rec is not None and rec.grading is not None for rec in records.values())

    assert "over this task's limit" in reports[0].error and "PWNED" not in reports[0].error
    assert "not labels of this task" in reports[1].error and "PWNED" not in reports[1].error
    assert records[2].exit_reason == "file_limit" and "file limit" in records[2].error, records[2]
    flood = group.run_dir(group.meta.runs[2]) / "workspace" / "code" / "flood"
    assert sum(1 for _ in flood.iterdir()) < 50_000  # what the host keeps is bounded
    assert records[3].status == "completed", (group.run_dir(group.meta.runs[3]) / "agent_stdout.log").read_text()
    assert reports[3].valid_submission
    assert "over this task's limit" in reports[4].error
    assert summary.total_valid_submissions == 1
    text = "".join(p.read_text() for p in group.dir.rglob("*.json"))
    assert "PWNED" not in text and len(text) < 1 << 20

    assert tree_checksums(pt.root) == cache_before  # the cache never changed
    staged = group.dir / SHARED / "penguins-species" / "data" / "train.csv"
    st, cached = staged.stat(), (pt.public / "train.csv").stat()
    assert (
        st.st_nlink == 1
        and st.st_ino != cached.st_ino
        and not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    )
