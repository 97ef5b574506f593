"""Conformance with MLE-bench itself, on every tabular competition of its low split and spaceship-titanic.

For each competition: synthetic raw data in the layout its prepare.py expects (tests/tasks/
mlebench_synthetic.py) is prepared by medalist (running the competition's own prepare.py from a temp copy
of the unchanged upstream checkout, with generated leaderboards), the ``automl`` agent runs in the bwrap
sandbox to a valid non-sample submission, and the same submissions (plus the sample, a perfect, an
invalid and a missing one) are graded by ``medalist grade`` and by MLE-bench's own ``grade_jsonl``
(imported from the copy, in the separate upstream venv): same scores, thresholds and medals.

A second check uses an MLE-bench data dir as ``mlebench prepare`` leaves it (prepared/ only, made by
upstream's code): grade-sample, grade and run work on it in place, and not one of its files changes.

Cost: about 170 CPU-seconds, most of it the six automl runs (each capped by TIME_LIMIT); the module prints
its timings. Inputs: the upstream copy (``MEDALIST_UPSTREAM_MLEBENCH``, default /work/shared/upstream/
mle-bench) and the upstream venv (``MEDALIST_UPSTREAM_VENV``, default .venv-upstream).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from mlebench_synthetic import GENERATORS, LEADERBOARD_RANGES, UPSTREAM, write_leaderboard, write_raw

from run_helpers import MEDALIST, MLEBENCH_REPORT_FIELDS, bwrap_skip_reason

REPO = Path(__file__).resolve().parents[2]
UPSTREAM_PY = Path(os.environ.get("MEDALIST_UPSTREAM_VENV", REPO / ".venv-upstream")) / "bin" / "python"
# Seconds per automl run (it trains for at most 60% of it; small data stops earlier). A machine shared by
# many jobs can raise it with MEDALIST_CONFORMANCE_TIME_LIMIT.
TIME_LIMIT = int(os.environ.get("MEDALIST_CONFORMANCE_TIME_LIMIT", "120"))
COMPETITIONS = list(GENERATORS)
# The low split's other competitions, and why automl's tabular path does not apply (it submits the sample).
NOT_TABULAR = {
    "aerial-cactus-identification": "images",
    "aptos2019-blindness-detection": "images",
    "denoising-dirty-documents": "images",
    "detecting-insults-in-social-commentary": "text",
    "dog-breed-identification": "images",
    "dogs-vs-cats-redux-kernels-edition": "images",
    "histopathologic-cancer-detection": "images",
    "jigsaw-toxic-comment-classification-challenge": "text",
    "mlsp-2013-birds": "audio",
    "plant-pathology-2020-fgvc7": "images",
    "random-acts-of-pizza": "JSON text",
    "ranzcr-clip-catheter-line-classification": "images",
    "siim-isic-melanoma-classification": "images (DICOM)",
    "spooky-author-identification": "text",
    "text-normalization-challenge-english-language": "text (7z)",
    "text-normalization-challenge-russian-language": "text (7z)",
    "the-icml-2013-whale-challenge-right-whale-redux": "audio",
}
# Fields of MLE-bench's report that must agree (created_at is a timestamp; submission_path is compared apart).
PARITY_FIELDS = tuple(f for f in MLEBENCH_REPORT_FIELDS if f not in ("created_at", "submission_path"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(3600),  # the module fixture (prepare + six sandboxed automl runs) counts toward the first test
    pytest.mark.skipif(not UPSTREAM.is_dir(), reason=f"needs the upstream MLE-bench copy at {UPSTREAM}"),
    pytest.mark.skipif(
        not UPSTREAM_PY.exists(), reason="needs the upstream venv (bash scripts/setup_test_tools.d/upstream_venv.sh)"
    ),
]

# MLE-bench's own grading, unchanged: its grade_jsonl with a registry on our data dir. Run from a scratch
# working directory (mlebench/data.py opens a diskcache folder there on import), with relative submission
# paths resolved against the directory given as the first argument, as `mlebench grade` run there would.
UPSTREAM_GRADE = r"""
import json, os, sys
from pathlib import Path
checkout, cwd, data_dir, jsonl, out = sys.argv[1:6]
sys.path.insert(0, checkout)
from mlebench.grade import grade_jsonl
from mlebench.registry import registry
os.chdir(cwd)
grade_jsonl(Path(jsonl), Path(out), registry.set_data_dir(Path(data_dir)))
"""

# MLE-bench's own preparation (what `mlebench prepare` runs once the Kaggle zip is extracted into raw/).
UPSTREAM_PREPARE = r"""
import sys
from pathlib import Path
checkout, data_dir, competition_id = sys.argv[1:4]
sys.path.insert(0, checkout)
from mlebench.registry import registry
c = registry.set_data_dir(Path(data_dir)).get_competition(competition_id)
c.public_dir.mkdir(parents=True, exist_ok=True)
c.private_dir.mkdir(parents=True, exist_ok=True)
c.prepare_fn(raw=c.raw_dir, public=c.public_dir, private=c.private_dir)
"""


@dataclass
class World:
    root: Path  # reachable by the sandbox user; the working directory of every command
    checkout: Path
    data: Path
    group: Path
    seconds: dict[str, float]

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "COLUMNS": "200",
            "MEDALIST_DATA_DIR": str(self.data),
            "MEDALIST_MLEBENCH_DIR": str(self.checkout),
            **extra,
        }

    def medalist(self, *args: str, timeout: float = 900, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MEDALIST, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root, env=self.env(**env)
        )

    def upstream(self, script: str, *args: str) -> subprocess.CompletedProcess[str]:
        scratch = Path(tempfile.mkdtemp(dir=self.root, prefix="upstream-cwd-"))
        proc = subprocess.run(
            [str(UPSTREAM_PY), "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=scratch,
            env={**os.environ, "PYTHONNOUSERSITE": "1"},
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    reason = bwrap_skip_reason()
    if reason is not None:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="medalist-conformance-", dir="/tmp"))
    root.chmod(0o755)
    try:
        checkout = root / "mle-bench"
        shutil.copytree(UPSTREAM, checkout)
        for cid, (best, worst) in LEADERBOARD_RANGES.items():
            write_leaderboard(checkout / "mlebench" / "competitions" / cid, best, worst)
        data = root / "data"
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        for cid in COMPETITIONS:
            write_raw(cid, data / cid / "raw")
        seconds["synthetic raw data"] = time.perf_counter() - t0
        w = World(root=root, checkout=checkout, data=data, group=root, seconds=seconds)
        t0 = time.perf_counter()
        prepared = w.medalist("prepare", *COMPETITIONS)
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        seconds["medalist prepare"] = time.perf_counter() - t0
        runs = root / "runs"
        runs.mkdir(mode=0o755)
        t0 = time.perf_counter()
        ran = w.medalist(
            "run",
            "--agent",
            "automl",
            "--tasks",
            ",".join(COMPETITIONS),
            "--runs-dir",
            str(runs),
            "--sandbox",
            "bwrap",
            "--time-limit",
            str(TIME_LIMIT),
            timeout=1800,
        )
        seconds["automl runs (bwrap)"] = time.perf_counter() - t0
        (w.group,) = [p for p in runs.iterdir() if p.is_dir()]
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        yield w
        print("conformance timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_suite_covers_every_tabular_competition_of_the_low_split() -> None:
    low = (UPSTREAM / "experiments" / "splits" / "low.txt").read_text().split()
    tabular = [c for c in COMPETITIONS if c != "spaceship-titanic"]
    assert set(tabular) <= set(low)
    assert set(low) - set(tabular) == set(NOT_TABULAR), "a low-split competition is neither tested nor excluded"


def _submission(w: World, cid: str) -> Path:
    return w.group / f"{cid}_s0" / "workspace" / "submission" / "submission.csv"


def _prepared(w: World, cid: str) -> Path:
    return w.data / cid / "prepared"


@pytest.mark.parametrize("cid", COMPETITIONS)
def test_automl_writes_a_valid_submission_that_is_not_the_sample(world: World, cid: str) -> None:
    run = json.loads((world.group / f"{cid}_s0" / "run.json").read_text())
    assert run["status"] == "completed", (run["status"], run.get("error"), run.get("agent_report"))
    assert run["agent_report"]["outcome"] == "model", run["agent_report"]
    assert run["grading"]["valid_submission"], run["grading"]["error"]
    config = (world.checkout / "mlebench" / "competitions" / cid / "config.yaml").read_text()
    sample_name = config.split("sample_submission: ", 1)[1].split()[0].rsplit("/", 1)[1]
    sample = pd.read_csv(_prepared(world, cid) / "public" / sample_name)
    sub = pd.read_csv(_submission(world, cid))
    assert list(sub.columns) == list(sample.columns) and len(sub) == len(sample)
    id_col = sample.columns[0]
    merged = sample.merge(sub, on=id_col, suffixes=("_sample", ""))
    assert len(merged) == len(sample), "the submission's ids are the sample's"
    targets = [c for c in sample.columns if c != id_col]
    assert any((merged[t].astype(str) != merged[f"{t}_sample"].astype(str)).any() for t in targets), "sample submitted"
    info = json.loads((world.group / "_shared" / cid / "harness" / "task.json").read_text())
    assert info["column_roles"] == "inferred" and info["id_column"] == id_col and info["target_columns"] == targets


def _projected_answers(w: World, cid: str, sample: pd.DataFrame) -> pd.DataFrame:
    answers = pd.read_csv(_prepared(w, cid) / "private" / "test.csv")
    return answers[list(sample.columns)]


def test_medalist_grades_exactly_as_mlebench_grades(world: World) -> None:
    """Same JSONL (relative paths, comment lines), graded by `medalist grade` and by MLE-bench's grade_jsonl."""
    subs = world.root / "subs"
    subs.mkdir()
    lines = ["# automl, sample, perfect, invalid and missing submissions per competition", ""]
    for cid in COMPETITIONS:
        public = _prepared(world, cid) / "public"
        sample_path = next(p for p in public.glob("*.csv") if "sample" in p.name.lower())
        sample = pd.read_csv(sample_path)
        perfect = subs / f"{cid}-perfect.csv"
        _projected_answers(world, cid, sample).to_csv(perfect, index=False)
        invalid = subs / f"{cid}-invalid.csv"
        sample.rename(columns={sample.columns[-1]: "prediction"}).to_csv(invalid, index=False)
        for path in (_submission(world, cid), sample_path, perfect, invalid, subs / f"{cid}-missing.csv"):
            rel = os.path.relpath(path, world.root)  # relative to the working directory, as upstream reads them
            lines.append(json.dumps({"competition_id": cid, "submission_path": rel}))
        lines.append("// " + json.dumps({"competition_id": cid, "submission_path": "commented/out.csv"}))
    jsonl = world.root / "submissions.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")

    t0 = time.perf_counter()
    ours = world.medalist("grade", "--submission", "submissions.jsonl", "--output-dir", "graded-medalist")
    world.seconds["medalist grade"] = time.perf_counter() - t0
    assert ours.returncode == 0, ours.stdout + ours.stderr
    t0 = time.perf_counter()
    world.upstream(
        UPSTREAM_GRADE,
        str(world.checkout),
        str(world.root),
        str(world.data),
        str(jsonl),
        str(world.root / "graded-upstream"),
    )
    world.seconds["mlebench grade_jsonl"] = time.perf_counter() - t0
    (mine,) = (world.root / "graded-medalist").glob("*_grading_report.json")
    (theirs,) = (world.root / "graded-upstream").glob("*_grading_report.json")
    mine_data, theirs_data = json.loads(mine.read_text()), json.loads(theirs.read_text())
    assert mine.name.endswith("_grading_report.json") and len(mine.name) == len(theirs.name)
    keys = [k for k in theirs_data if k != "competition_reports"]
    assert {k: mine_data[k] for k in keys} == {k: theirs_data[k] for k in keys}
    assert len(mine_data["competition_reports"]) == len(theirs_data["competition_reports"]) == 5 * len(COMPETITIONS)
    for a, b in zip(mine_data["competition_reports"], theirs_data["competition_reports"], strict=True):
        assert {k: a[k] for k in PARITY_FIELDS} == {k: b[k] for k in PARITY_FIELDS}, (a, b)
        assert a["submission_path"] == b["submission_path"]
    outcomes = {(r["valid_submission"], r["any_medal"]) for r in theirs_data["competition_reports"]}
    assert {(True, True), (True, False), (False, False)} <= outcomes, "the cases exercise medals and invalidity"


def _snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    } | {str(p.relative_to(folder)) + "/": ("dir", 0, p.stat().st_mode) for p in folder.rglob("*") if p.is_dir()}


def test_prepared_only_mlebench_data_dir_is_used_in_place(world: World) -> None:
    cid = "spaceship-titanic"
    theirs = world.root / "mlebench-data"
    write_raw(cid, theirs / cid / "raw", seed=1)
    world.upstream(UPSTREAM_PREPARE, str(world.checkout), str(theirs), cid)
    shutil.rmtree(theirs / cid / "raw")  # as users keep it: the Kaggle download deleted after preparing
    for p in [theirs, *theirs.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    before = _snapshot(theirs)
    cache = world.root / "fresh-cache"
    env = {"MEDALIST_DATA_DIR": str(cache)}
    sample = theirs / cid / "prepared" / "public" / "sample_submission.csv"

    graded = world.medalist("--mlebench-data-dir", str(theirs), "grade-sample", str(sample), cid, "--json", **env)
    assert graded.returncode == 0, graded.stderr
    report = json.loads(graded.stdout)
    assert report["valid_submission"] and 0.3 < report["score"] < 0.7  # all False: the no-skill floor

    jsonl = world.root / "prepared-only.jsonl"
    jsonl.write_text(json.dumps({"competition_id": cid, "submission_path": str(sample)}) + "\n")
    batch = world.medalist(
        "grade",
        "--submission",
        str(jsonl),
        "--output-dir",
        "graded-prepared-only",
        MEDALIST_MLEBENCH_DATA_DIR=str(theirs),
        **env,
    )
    assert batch.returncode == 0, batch.stderr

    runs = world.root / "runs-prepared-only"
    runs.mkdir(mode=0o755)
    ran = world.medalist(
        "--mlebench-data-dir",
        str(theirs),
        "run",
        "--agent",
        "sample",
        "--tasks",
        cid,
        "--runs-dir",
        str(runs),
        "--sandbox",
        "bwrap",
        "--time-limit",
        "60",
        **env,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (group,) = list(runs.iterdir())
    run = json.loads((group / f"{cid}_s0" / "run.json").read_text())
    assert run["status"] == "completed" and run["grading"]["score"] == report["score"]

    assert _snapshot(theirs) == before, "medalist changed the MLE-bench data dir"
    assert not (cache / cid).exists(), "nothing was prepared into medalist's own cache"
    (state,) = (cache / ".external").iterdir()
    manifest = json.loads((state / "manifest.json").read_text())
    assert manifest["external"] == str(theirs / cid) and manifest["complete"] is False
    assert set(manifest["private"]) == {"test.csv"}

    refused = world.medalist("--mlebench-data-dir", str(theirs), "prepare", cid, "--force", **env)
    assert refused.returncode == 2 and "never re-prepares" in refused.stderr

    # `medalist verify` hashes every file and checks MLE-bench's own checksums.yaml: synthetic data is not
    # Kaggle's, so it differs; with checksums of these files it passes and completes medalist's record.
    verified = world.medalist("--mlebench-data-dir", str(theirs), "verify", cid, **env)
    assert verified.returncode == 1 and "differs from MLE-bench's checksums.yaml" in verified.stderr
    prepared = theirs / cid / "prepared"
    md5 = {
        part: {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in (prepared / part).glob("*.csv")}
        for part in ("public", "private")
    }
    checksums = world.checkout / "mlebench" / "competitions" / cid / "checksums.yaml"
    checksums.write_text(yaml.safe_dump({**yaml.safe_load(checksums.read_text()), **md5}))
    verified = world.medalist("--mlebench-data-dir", str(theirs), "verify", cid, **env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads((state / "manifest.json").read_text())["complete"] is True
    assert _snapshot(theirs) == before
