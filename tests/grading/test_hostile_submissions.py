"""Submissions built to knock the grader over: each must end as one invalid report with a short reason
that quotes none of the file, while the grading process (and the other submissions) carry on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from medalist.errors import MedalistError
from medalist.grading import grade_jsonl, grade_submission

MARKER = "PWNED-c0ffee"
ANSWERS = "id,target\n" + "".join(f"r{i},{i % 2}\n" for i in range(200))


@pytest.fixture
def binary(make_task):
    return make_task(task_id="hostile-bin", metric="roc_auc", answers=ANSWERS, leaderboard=[0.5, 0.7, 0.9])


@pytest.fixture
def labels(make_task):
    answers = "id,species\n" + "".join(f"{i},{('Adelie', 'Gentoo', 'Chinstrap')[i % 3]}\n" for i in range(300))
    return make_task(
        task_id="hostile-lab",
        metric="f1_macro",
        task_type="multiclass-classification",
        answers=answers,
        targets=("species",),
    )


def assert_invalid(rep, pattern: str) -> str:
    import re

    assert rep.valid_submission is False and rep.score is None, rep
    assert rep.error and re.search(pattern, rep.error), rep.error
    assert len(rep.error) <= 300 and "\n" not in rep.error
    assert MARKER not in rep.model_dump_json()
    return rep.error


def test_sparse_32mb_submission_is_refused_before_reading(tmp_path: Path, binary) -> None:
    spec, pt = binary
    sub = tmp_path / "submission.csv"
    with open(sub, "wb") as fh:
        fh.write(f"id,target\n{MARKER},0.5\n".encode())
        fh.truncate(32 << 20)  # 32 MB apparent size, one block on disk
    assert sub.stat().st_blocks * 512 < 1 << 20
    started = time.monotonic()
    rep = grade_submission(sub, spec, pt)
    assert time.monotonic() - started < 5
    assert_invalid(rep, r"submission is 32\.0 MB, over this task's limit of 1\.0 MB")
    assert rep.submission_exists


def test_size_cap_is_configurable_and_counts_real_bytes(tmp_path: Path, make_task) -> None:
    spec, pt = make_task(
        task_id="capped", metric="roc_auc", answers=ANSWERS, extra_yaml="grading_limits: {max_submission_mb: 0.001}\n"
    )
    sub = tmp_path / "submission.csv"
    sub.write_text("id,target\n" + "".join(f"r{i},0.{i:09d}\n" for i in range(200)))  # ~4.4 KB > 1 KB
    assert_invalid(grade_submission(sub, spec, pt), r"over this task's limit of 0\.0 MB")
    small = tmp_path / "small.csv"
    small.write_text("id,target\n" + "".join(f"r{i},0.5\n" for i in range(200)))
    assert_invalid(grade_submission(small, spec, pt), r"over this task's limit")  # 1.6 KB: still too big
    spec2, pt2 = make_task(task_id="uncapped", metric="roc_auc", answers=ANSWERS)
    assert grade_submission(sub, spec2, pt2).valid_submission


def test_absurd_label_set_is_invalid_not_a_memory_error(tmp_path: Path, labels) -> None:
    spec, pt = labels
    sub = tmp_path / "submission.csv"
    sub.write_text("id,species\n" + "".join(f"{i},{MARKER}{i}\n" for i in range(300)))
    assert_invalid(
        grade_submission(sub, spec, pt),
        r"300 value\(s\) that are not labels of this task, first at row 1 \(the answers use 3 label",
    )
    good = tmp_path / "good.csv"
    good.write_text("id,species\n" + "".join(f"{i},Adelie\n" for i in range(300)))
    assert grade_submission(good, spec, pt).valid_submission


def test_submission_text_is_never_quoted(tmp_path: Path, binary, labels) -> None:
    spec, pt = binary
    cases = {
        "header": f"id,target,{MARKER}\n" + "".join(f"r{i},0.5,1\n" for i in range(200)),
        "dup_header": f"id,{MARKER},{MARKER}\nr0,1,1\n",
        "ids": "id,target\n" + "".join(f"{MARKER}{i},0.5\n" for i in range(200)),
        "values": "id,target\n" + "".join(f"r{i},{MARKER}\n" for i in range(200)),
        "ragged": f"id,target\nr0,0.5\nr1,0.5,{MARKER}\n",
        "quote": f'id,target\nr0,"{MARKER}\n',
        "bytes": b"id,target\nr0,\xff\xfe" + MARKER.encode() + b"\n",
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        assert_invalid(grade_submission(path, spec, pt), ".")


def _grader_task(make_task, name: str, body: str, limits: str):
    spec, pt = make_task(
        task_id=name,
        metric="custom",
        answers=ANSWERS,
        extra_yaml=f"grader: grader.py:grade\nis_lower_better: false\ngrading_limits: {limits}\n",
    )
    (spec.directory / "grader.py").write_text(f"def grade(submission, answers):\n{body}\n")
    return spec, pt


def test_memory_bomb_in_grading_is_contained(tmp_path: Path, make_task) -> None:
    spec, pt = _grader_task(
        make_task, "membomb", "    hog = [bytearray(64 << 20) for _ in range(64)]\n    return 1.0", "{memory_gb: 0.5}"
    )
    rep = grade_submission(pt.sample_submission_path, spec, pt)
    assert_invalid(rep, r"grading ran out of memory \(limit 0\.5 GB\)")
    hog = bytearray(256 << 20)  # the grading process itself is unharmed and unlimited
    assert len(hog) == 256 << 20


def test_slow_grading_is_stopped(tmp_path: Path, make_task) -> None:
    spec, pt = _grader_task(
        make_task, "sleepy", "    import time\n    time.sleep(60)\n    return 1.0", "{time_limit_secs: 1}"
    )
    started = time.monotonic()
    rep = grade_submission(pt.sample_submission_path, spec, pt)
    assert time.monotonic() - started < 10
    assert_invalid(rep, r"grading took longer than 1 s and was stopped")


def test_grading_process_that_dies_is_an_invalid_submission(tmp_path: Path, make_task) -> None:
    spec, pt = _grader_task(
        make_task, "suicide", "    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)", "{}"
    )
    assert_invalid(grade_submission(pt.sample_submission_path, spec, pt), r"grading process was killed by signal 9")
    spec, pt = _grader_task(make_task, "exits", "    raise SystemExit(3)", "{}")
    assert_invalid(
        grade_submission(pt.sample_submission_path, spec, pt), r"grading failed on this submission \(SystemExit\)"
    )


def test_a_broken_task_still_leaves_every_line_graded(
    tmp_path: Path, make_task, binary, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medalist.tasks import TaskRegistry

    spec, pt = _grader_task(
        make_task,
        "broken",
        "    from medalist.errors import MedalistError\n    raise MedalistError('the task is broken')",
        "{}",
    )
    with pytest.raises(MedalistError, match="the task is broken"):  # alone: a one-line error
        grade_submission(pt.sample_submission_path, spec, pt)
    good = tmp_path / "good.csv"
    good.write_text("id,target\n" + "".join(f"r{i},{i % 2}\n" for i in range(200)))
    sparse = tmp_path / "sparse.csv"
    with open(sparse, "wb") as fh:
        fh.truncate(64 << 20)
    lines = [("broken", pt.sample_submission_path), ("hostile-bin", sparse), ("hostile-bin", good)]
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text("".join(json.dumps({"task_id": t, "submission_path": str(p)}) + "\n" for t, p in lines))
    registry = TaskRegistry(roots=[tmp_path / "tasks"])
    monkeypatch.setenv("MEDALIST_DATA_DIR", str(tmp_path / "cache"))
    summary = grade_jsonl(jsonl, tmp_path / "out", registry)
    reports = summary.competition_reports
    assert [r.valid_submission for r in reports] == [False, False, True]
    assert reports[0].error == "not graded: the task is broken"
    assert "over this task's limit" in reports[1].error and reports[2].score == 1.0
    assert len(list((tmp_path / "out").glob("*_grading_report.json"))) == 1
