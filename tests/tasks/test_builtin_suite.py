"""The built-in suite: coverage of kinds and metrics, splits, leaderboards, and medal sanity per task."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from medalist.grading import grade_submission
from medalist.metrics import get_metric
from medalist.tasks import BUILTIN_DIR, TaskRegistry, ensure_prepared
from medalist.tasks.registry import read_split_file

REGISTRY = TaskRegistry(roots=[BUILTIN_DIR])
BUILTIN_IDS = sorted(REGISTRY.tasks)


def test_suite_covers_the_required_kinds_and_metrics() -> None:
    specs = [REGISTRY.get(i) for i in read_split_file(BUILTIN_DIR / "splits" / "all.txt")]
    assert len(specs) >= 25
    metrics = {s.metric for s in specs}
    assert len(metrics) >= 8
    assert any(get_metric(s.metric).multi_column for s in specs)
    assert sum("text" in s.tags for s in specs) >= 2
    assert sum("image" in s.tags for s in specs) >= 1
    assert sum((s.rows or 0) > 50_000 for s in specs) >= 3
    types = {s.task_type for s in specs}
    assert {"binary-classification", "multiclass-classification", "regression"} <= types
    assert sum("imbalanced" in s.tags for s in specs) >= 3


@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_task_folder_is_complete(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    assert spec.rows and spec.source
    for name in ("task.yaml", "description.md", "prepare.py", "leaderboard.csv", "leaderboard_provenance.json"):
        assert (spec.directory / name).is_file(), name
    text = spec.description_path.read_text(encoding="utf-8")
    for heading in ("## Overview", "## Data", "## Evaluation", "## Submission format", "## Leaderboard and medals"):
        assert heading in text, heading
    assert "better than about" in text
    lb = pd.read_csv(spec.leaderboard_path)
    assert {"rank", "name", "score"} <= set(lb.columns)
    assert len(lb) >= 50 and lb["name"].is_unique and lb["score"].notna().all()
    prov = json.loads((spec.directory / "leaderboard_provenance.json").read_text())
    assert prov["task_id"] == task_id and prov["population_size"] >= 50
    assert len(prov["members"]) == prov["population_size"]
    assert {"medalist_version", "library_versions", "seed", "generated_at", "command"} <= set(prov)


def test_split_files_reference_only_existing_tasks() -> None:
    split_dir = BUILTIN_DIR / "splits"
    files = sorted(split_dir.glob("*.txt"))
    names = {f.stem for f in files}
    assert {
        "all",
        "smoke",
        "lite",
        "quick",
        "tabular",
        "text",
        "image",
        "regression",
        "classification",
        "large",
    } <= names
    for f in files:
        ids = read_split_file(f)
        assert ids, f"{f.name} is empty"
        unknown = [i for i in ids if i not in REGISTRY.tasks]
        assert not unknown, f"{f.name} names unknown tasks {unknown}"
        assert len(ids) == len(set(ids)), f"{f.name} lists a task twice"
    every, smoke = read_split_file(split_dir / "all.txt"), read_split_file(split_dir / "smoke.txt")
    assert sorted(every + smoke) == BUILTIN_IDS and not set(every) & set(smoke)
    assert len(every) >= 25, "the benchmark keeps 25+ real tasks besides the smoke tasks"
    quick = read_split_file(split_dir / "quick.txt")
    assert "penguins-species" in quick and len(quick) <= 2 and set(quick) <= set(smoke)
    for f in files:  # smoke tasks stay out of every benchmark split
        if f.stem not in ("smoke", "quick"):
            assert not set(read_split_file(f)) & set(smoke), f"{f.name} lists a smoke task"
    large = [REGISTRY.get(i) for i in read_split_file(split_dir / "large.txt")]
    assert all((s.rows or 0) > 50_000 for s in large)


@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_sample_gets_no_medal_and_answers_get_gold(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    sample = grade_submission(pt.sample_submission_path, spec, pt)
    assert sample.valid_submission, sample.error
    assert not sample.any_medal, f"sample scored {sample.score} vs bronze {sample.bronze_threshold}"
    assert not sample.above_median
    perfect = grade_submission(pt.answers_path, spec, pt)
    assert perfect.valid_submission, perfect.error
    assert perfect.gold_medal, f"answers scored {perfect.score} vs gold {perfect.gold_threshold}"


@pytest.mark.slow
def test_cold_prepare_of_whole_suite_is_fast_and_byte_identical(tmp_path: Path) -> None:
    import time

    from medalist.tasks import prepare_task

    manifests = []
    for run in ("a", "b"):
        root = tmp_path / run
        start = time.perf_counter()
        for spec in REGISTRY.tasks.values():
            prepare_task(spec, cache_root=root)
        elapsed = time.perf_counter() - start
        assert elapsed < 180, f"cold prepare of the suite took {elapsed:.0f}s"
        manifests.append(
            {
                tid: (m["public"], m["private"])
                for tid in BUILTIN_IDS
                for m in [json.loads((root / tid / "manifest.json").read_text())]
            }
        )
    assert manifests[0].keys() == set(BUILTIN_IDS)
    for tid in BUILTIN_IDS:
        assert manifests[0][tid] == manifests[1][tid], f"{tid}: prepared files differ between runs"
        assert {"train.csv", "test.csv", "sample_submission.csv", "description.md"} <= set(manifests[0][tid][0])
