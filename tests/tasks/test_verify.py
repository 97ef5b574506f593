"""Verification that scales: a cheap fingerprint per run and grading, full hashing on request."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_prepare import make_task

import medalist.tasks.verify as verify
from medalist.errors import MedalistError
from medalist.tasks import ensure_prepared, load_task_spec, prepare_task, quick_check, verify_task


@pytest.fixture
def prepared(tmp_path: Path):
    spec = load_task_spec(make_task(tmp_path / "task"))
    return spec, prepare_task(spec, cache_root=tmp_path / "cache"), tmp_path / "cache"


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files the cheap check hashes."""
    seen: list[str] = []
    real = verify.sha256_file

    def counting(path: Path) -> str:
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(verify, "sha256_file", counting)
    return seen


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    st = path.stat()
    assert len(text.encode()) == st.st_size
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_prepare_records_a_fingerprint_and_runs_hash_only_the_answers(prepared, hashed) -> None:
    spec, pt, cache = prepared
    fp = json.loads(pt.fingerprint_path.read_text())
    assert set(fp["files"]) == {
        "public/train.csv",
        "public/sample_submission.csv",
        "public/description.md",
        "private/answers.csv",
    }
    assert quick_check(pt) == []
    assert hashed == ["answers.csv"]  # public files: one stat each, never read
    assert ensure_prepared(spec, cache_root=cache).root == pt.root


def test_quick_check_catches_changed_missing_and_extra_files(prepared, hashed) -> None:
    _, pt, _ = prepared
    train = pt.public / "train.csv"
    train.write_text(train.read_text().replace("0.", "1.", 1))  # new content, new mtime
    (pt.public / "sample_submission.csv").unlink()
    (pt.public / "extra.csv").write_text("x\n")
    assert quick_check(pt) == [
        "public/extra.csv is not in the manifest",
        "public/sample_submission.csv is missing",
        "public/train.csv checksum mismatch",
    ]
    assert sorted(hashed) == ["answers.csv", "train.csv"]


def test_answers_are_always_hashed_even_with_their_stat_restored(prepared) -> None:
    spec, pt, cache = prepared
    text = pt.answers_path.read_text()
    _rewrite_keeping_stat(pt.answers_path, text.replace(",1\n", ",0\n", 1))
    assert quick_check(pt) == ["private/answers.csv checksum mismatch"]
    with pytest.raises(MedalistError, match="failed verification.*run `medalist prepare prep-task --force`"):
        ensure_prepared(spec, cache_root=cache)


def test_a_touched_file_is_hashed_once_then_trusted_again(prepared, hashed) -> None:
    _, pt, _ = prepared
    os.utime(pt.public / "train.csv", ns=(1, 1_000_000_000))  # same bytes, new mtime (e.g. a copy)
    assert quick_check(pt) == [] and sorted(hashed) == ["answers.csv", "train.csv"]
    hashed.clear()
    assert quick_check(pt) == [] and hashed == ["answers.csv"]


def test_full_verification_catches_what_the_fingerprint_cannot(prepared) -> None:
    _, pt, _ = prepared
    train = pt.public / "train.csv"
    _rewrite_keeping_stat(train, train.read_text().replace("0.", "1.", 1))  # same size and mtime
    assert quick_check(pt) == [], "documented limit: same size and mtime pass the cheap check"
    assert verify_task(pt) == ["public/train.csv checksum mismatch"]


def test_a_manifest_without_fingerprint_is_hashed_fully_once(prepared, hashed) -> None:
    _, pt, _ = prepared
    pt.fingerprint_path.unlink()  # prepared by an older medalist
    assert quick_check(pt) == [] and len(hashed) == 4 and pt.fingerprint_path.is_file()
    hashed.clear()
    assert quick_check(pt) == [] and hashed == ["answers.csv"]


def test_verify_command(prepared, tmp_path: Path) -> None:
    from run_helpers import medalist_cli

    spec, pt, cache = prepared
    env = {"MEDALIST_DATA_DIR": str(cache), "MEDALIST_TASKS_PATH": str(spec.directory)}
    ok = medalist_cli("verify", spec.id, env=env)
    assert ok.returncode == 0 and "every file matches its checksum" in ok.stdout, ok.stderr
    _rewrite_keeping_stat(pt.public / "train.csv", (pt.public / "train.csv").read_text().replace("0.", "1.", 1))
    bad = medalist_cli("verify", spec.id, env=env)
    assert bad.returncode == 1 and "public/train.csv checksum mismatch" in bad.stderr
    update = medalist_cli("verify", spec.id, "--update", env=env)
    assert update.returncode == 2 and "--update is for prepared-only MLE-bench data" in update.stderr
