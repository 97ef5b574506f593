"""Resume: finished runs are kept, interrupted ones are cleaned and redone, each run listed once;
and the real thing: kill -9 a `medalist run` mid-group, then `medalist run --resume DIR`."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from medalist.runner import GroupMetadata, LocalExecutor, RunGroup, RunRecord, execute_group, execute_run, read_record
from medalist.runner.execute import write_record
from medalist.tasks import TaskRegistry
from run_helpers import MEDALIST, kill_9_when, medalist_cli, only_group, write_shell_agent  # type: ignore[import-not-found]


def test_resume_keeps_finished_and_redoes_interrupted(run_group) -> None:
    group, _ = run_group("sample", ["penguins-species"], seeds=3, time_limit=30, grade=False)
    e0, e1, e2 = group.meta.runs
    # Simulate a crash: run 1 was "running" with half-written output, run 2 never started.
    r1 = read_record(group.run_dir(e1))
    assert r1 is not None
    r1.status, r1.ended_at = "running", None
    write_record(group.run_dir(e1), r1)
    (group.run_dir(e1) / "workspace/submission/partial.tmp").write_text("junk")
    for child in list(group.run_dir(e2).iterdir()):
        subprocess.run(["rm", "-rf", str(child)], check=True)
    before0 = read_record(group.run_dir(e0))
    marker = group.run_dir(e0) / "workspace/logs/keep-me"
    marker.write_text("x")

    again = RunGroup.load(group.dir)
    summary = execute_group(again, LocalExecutor(1), grade=True)
    assert summary is not None and summary.total_valid_submissions == 3
    after0, after1, after2 = (read_record(again.run_dir(e)) for e in again.meta.runs)
    assert after0 == before0.model_copy(update={"grading": after0.grading}) and marker.exists()  # untouched
    assert after1.status == "completed" and after1.attempts == 2
    assert not (again.run_dir(e1) / "workspace/submission/partial.tmp").exists()
    assert after2.status == "completed"
    meta = GroupMetadata.model_validate_json((group.dir / "metadata.json").read_text())
    assert [e.run_id for e in meta.runs] == [e0.run_id, e1.run_id, e2.run_id]
    assert all(e.status == "completed" for e in meta.runs)


def test_execute_run_is_idempotent(run_group) -> None:
    group, _ = run_group("sample", ["penguins-species"], time_limit=30, grade=False)
    entry = group.meta.runs[0]
    first = read_record(group.run_dir(entry))
    spec = group.run_spec(entry, TaskRegistry.default().get(entry.task_id))
    assert execute_run(spec) == first  # a finished run is returned, not redone


def _meta(group_dir: Path) -> GroupMetadata:
    return GroupMetadata.model_validate_json((group_dir / "metadata.json").read_text())


def test_kill_dash_nine_then_resume(runs_dir: Path) -> None:
    agents = write_shell_agent(
        runs_dir, "slow", "#!/bin/sh\nsleep 1.5\ncp /home/data/sample_submission.csv /home/submission/submission.csv\n"
    )
    groups = runs_dir / "groups"
    proc = subprocess.Popen(
        [
            MEDALIST,
            "run",
            "--agent",
            "slow",
            "--tasks",
            "penguins-species,breast-cancer-diagnosis",
            "--seeds",
            "3",
            "--agents-file",
            str(agents),
            "--runs-dir",
            str(groups),
            "--time-limit",
            "30",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def mid_run() -> bool:
        metas = list(groups.glob("*/metadata.json")) if groups.exists() else []
        statuses = [e.status for e in _meta(metas[0].parent).runs] if metas else []  # always parses: atomic writes
        return "completed" in statuses and "running" in statuses

    kill_9_when(proc, mid_run, "a mid-run state of the group")
    gdir = only_group(groups)
    time.sleep(0.5)
    meta = _meta(gdir)
    assert len(meta.runs) == 6 and any(e.status != "completed" for e in meta.runs)
    for e in meta.runs:  # every run.json that exists parses
        if (gdir / e.dir / "run.json").exists():
            RunRecord.model_validate_json((gdir / e.dir / "run.json").read_text())
    completed_before = {e.run_id: read_record(gdir / e.dir) for e in meta.runs if e.status == "completed"}

    res = medalist_cli("run", "--resume", str(gdir), "--workers", "2", timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr
    final = _meta(gdir)
    ids = [e.run_id for e in final.runs]
    assert len(ids) == 6 and len(set(ids)) == 6 and final.resumed == 1
    assert all(e.status == "completed" and e.valid_submission for e in final.runs)
    for run_id, rec in completed_before.items():  # not redone
        now = read_record(gdir / run_id)
        assert now is not None and rec is not None and now.started_at == rec.started_at and now.attempts == 1
    summary = json.loads((gdir / "grading_summary.json").read_text())
    assert summary["total_runs"] == 6 and summary["total_valid_submissions"] == 6
