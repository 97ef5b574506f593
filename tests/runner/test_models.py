"""run.json / metadata.json models: round trips, statuses, atomic writes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from medalist.fsutil import atomic_write_json
from medalist.grading import CompetitionReport
from medalist.runner.models import (
    FINAL_STATUSES,
    AgentSpec,
    ExecutorInfo,
    GroupMetadata,
    LimitOverrides,
    RunEntry,
    RunLimits,
    RunRecord,
    Usage,
)


def test_run_record_round_trip_with_grading_and_usage() -> None:
    rec = RunRecord(run_id="t_s0", group_id="g", task_id="t", seed=0, agent_id="a", limits=RunLimits(time_limit_secs=5))
    rec.grading = CompetitionReport(competition_id="t", score=0.5)
    rec.usage = Usage(steps=3, input_tokens=10, cost_usd=0.01, model="m")  # extra fields allowed for LLM usage
    back = RunRecord.model_validate_json(rec.model_dump_json())
    assert back == rec
    assert back.usage is not None and back.usage.model_extra == {"model": "m"}
    assert not back.finished and "error" not in FINAL_STATUSES and "completed" in FINAL_STATUSES


def test_metadata_entry_lookup() -> None:
    meta = GroupMetadata(
        group_id="g",
        agent_id="a",
        agent=AgentSpec(id="a"),
        tasks=["t"],
        seeds=[0, 1],
        limits=LimitOverrides(),
        executor=ExecutorInfo(name="local", workers=1),
        sandbox="bwrap",
        medalist_version="0",
        runs=[RunEntry(run_id=f"t_s{s}", task_id="t", seed=s, dir=f"t_s{s}") for s in (0, 1)],
    )
    assert meta.entry("t_s1").seed == 1
    assert GroupMetadata.model_validate_json(meta.model_dump_json()) == meta


def test_atomic_writes_never_expose_partial_json(tmp_path: Path) -> None:
    """A reader polling while a writer rewrites run.json always parses a complete document."""
    path = tmp_path / "run.json"
    big = RunRecord(run_id="x" * 5000, group_id="g", task_id="t", seed=0, agent_id="a")
    atomic_write_json(path, big)
    stop = threading.Event()
    errors: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                RunRecord.model_validate(json.loads(path.read_text()))
            except Exception as exc:
                errors.append(repr(exc))

    t = threading.Thread(target=reader)
    t.start()
    for i in range(300):
        big.seed = i
        atomic_write_json(path, big)
    stop.set()
    t.join()
    assert errors == []
