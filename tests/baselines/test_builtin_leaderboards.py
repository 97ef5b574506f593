"""The committed built-in leaderboards are true to the prepared data and meet their calibration targets.

A change in a task's preparation without regenerating its leaderboard (``medalist leaderboard build``)
fails here: the provenance records the SHA-256 of every prepared file, and the bootstrap thresholds
record the answers and the leaderboard they belong to. Tasks listed in ``NOT_REGENERATED`` still carry
a leaderboard from an earlier build: for them the tests check that a stale one is detected (``medalist
audit`` reports it) and that grading still works, without medal confidence.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from medalist.baselines.calibration import Calibration, Placement, target_problems
from medalist.fsutil import sha256_file
from medalist.grading import grade_submission
from medalist.grading.audit import leaderboard_is_stale
from medalist.grading.confidence import load_bootstrap
from medalist.tasks import BUILTIN_DIR, TaskRegistry, ensure_prepared
from medalist.tasks.registry import read_split_file

REGISTRY = TaskRegistry(roots=[BUILTIN_DIR])
BUILTIN_IDS = sorted(REGISTRY.tasks)
MIN_ENTRIES = 150  # a benchmark task's field (Kaggle's 100-249 band); smoke tasks are saturated and keep
# fewer distinct solutions (penguins-species: most models predict the same labels)
BENCHMARK_IDS = read_split_file(BUILTIN_DIR / "splits" / "all.txt")
# Leaderboards not yet rebuilt from the reference population (issue 14): stale (built on an earlier
# preparation) or provisional (the first 60-entry generator); empty once every task is regenerated.
NOT_REGENERATED: frozenset[str] = frozenset()
CURRENT_IDS = [t for t in BUILTIN_IDS if t not in NOT_REGENERATED]


def _provenance(task_id: str) -> dict:
    return json.loads((REGISTRY.get(task_id).directory / "leaderboard_provenance.json").read_text())


@pytest.mark.parametrize("task_id", sorted(NOT_REGENERATED))
def test_stale_leaderboards_are_detected_and_grading_still_works(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    provisional = "composition" not in _provenance(task_id)  # 60 entries from the first generator, no tiers
    assert leaderboard_is_stale(pt) is not None or provisional, f"{task_id} is current: drop it from NOT_REGENERATED"
    assert pt.sample_submission_path is not None
    rep = grade_submission(pt.sample_submission_path, spec, pt)
    assert rep.valid_submission and rep.score is not None
    assert rep.medal_confidence is None  # no bootstrap belongs to the old leaderboard and these answers


@pytest.mark.parametrize("task_id", CURRENT_IDS)
def test_provenance_matches_the_prepared_files(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    manifest = ensure_prepared(spec).manifest()
    prov = _provenance(task_id)
    assert prov["data_checksums"] == {"public": manifest.public, "private": manifest.private}, (
        f"{task_id}: prepared files changed since the leaderboard was built; run `medalist leaderboard build {task_id}`"
    )
    lb = pd.read_csv(spec.leaderboard_path)
    least = MIN_ENTRIES if task_id in BENCHMARK_IDS else 50
    assert len(lb) == prov["leaderboard_rows"] >= least
    assert prov["population_size"] == len(prov["members"]) >= least
    assert set(prov["composition"]) == {"naive", "single", "strong", "expert"}
    assert sum(prov["composition"].values()) == prov["population_size"]
    assert all(m["seconds"] >= 0 for m in prov["members"]) and prov["recipes"]
    scored = sorted((m["score"] for m in prov["members"] if m["score"] is not None), reverse=not spec.is_lower_better)
    assert lb["score"].tolist() == pytest.approx(scored)


@pytest.mark.parametrize("task_id", CURRENT_IDS)
def test_bootstrap_thresholds_belong_to_the_answers_and_leaderboard(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    boot = load_bootstrap(spec)
    assert boot is not None, f"{task_id}: no leaderboard_bootstrap.json"
    assert boot.matches(
        pt.manifest().private[spec.answers], sha256_file(spec.leaderboard_path), len(pd.read_csv(pt.answers_path))
    )
    assert len(boot.gold) == len(boot.silver) == len(boot.bronze) == boot.resamples


def _calibrations() -> dict[str, Calibration]:
    return {t: Calibration.model_validate(_provenance(t)["calibration"]) for t in CURRENT_IDS}


def test_per_task_calibration_targets_hold_in_the_committed_files() -> None:
    rows = _calibrations()
    benchmark = [rows[t] for t in BENCHMARK_IDS if t in rows]
    assert all(r.automl is not None for r in benchmark), "every task of 'all' is calibrated against an automl run"
    per_task = [r.model_copy(update={"automl": None}) for r in rows.values()]
    assert target_problems(per_task) == []  # sample below the median and no medal, best entry gold


def test_automl_medal_and_gold_shares_meet_the_targets() -> None:
    rows = _calibrations()
    benchmark = [rows[t] for t in BENCHMARK_IDS if t in rows]
    assert target_problems(benchmark) == []


@pytest.mark.parametrize("task_id", CURRENT_IDS)
def test_recorded_sample_placement_is_what_grading_gives(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    assert pt.sample_submission_path is not None
    now = Placement.of(grade_submission(pt.sample_submission_path, spec, pt))
    recorded = Placement.model_validate(_provenance(task_id)["calibration"]["sample"])
    assert now == recorded
