"""The committed built-in leaderboards are true to the prepared data and meet their calibration targets.

A change in a task's preparation without regenerating its leaderboard (``medalist leaderboard build``)
fails here: the provenance records the SHA-256 of every prepared file, and the bootstrap thresholds
record the answers and the leaderboard they belong to.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from medalist.baselines.calibration import Calibration, Placement, target_problems
from medalist.fsutil import sha256_file
from medalist.grading import grade_submission
from medalist.grading.confidence import load_bootstrap
from medalist.tasks import BUILTIN_DIR, TaskRegistry, ensure_prepared
from medalist.tasks.registry import _read_split

REGISTRY = TaskRegistry(roots=[BUILTIN_DIR])
BUILTIN_IDS = sorted(REGISTRY.tasks)
MIN_ENTRIES = 150


def _provenance(task_id: str) -> dict:
    return json.loads((REGISTRY.get(task_id).directory / "leaderboard_provenance.json").read_text())


@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_provenance_matches_the_prepared_files(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    manifest = ensure_prepared(spec).manifest()
    prov = _provenance(task_id)
    assert prov["data_checksums"] == {"public": manifest.public, "private": manifest.private}, (
        f"{task_id}: prepared files changed since the leaderboard was built; run `medalist leaderboard build {task_id}`"
    )
    lb = pd.read_csv(spec.leaderboard_path)
    assert len(lb) == prov["leaderboard_rows"] >= MIN_ENTRIES
    assert prov["population_size"] == len(prov["members"]) >= MIN_ENTRIES
    assert set(prov["composition"]) == {"naive", "single", "strong", "expert"}
    assert sum(prov["composition"].values()) == prov["population_size"]
    assert all(m["seconds"] >= 0 for m in prov["members"]) and prov["recipes"]
    scored = sorted((m["score"] for m in prov["members"] if m["score"] is not None), reverse=not spec.is_lower_better)
    assert lb["score"].tolist() == pytest.approx(scored)


@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_bootstrap_thresholds_belong_to_the_answers_and_leaderboard(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    boot = load_bootstrap(spec)
    assert boot is not None, f"{task_id}: no leaderboard_bootstrap.json"
    assert boot.matches(pt.manifest().private[spec.answers], sha256_file(spec.leaderboard_path),
                        len(pd.read_csv(pt.answers_path)))
    assert len(boot.gold) == len(boot.silver) == len(boot.bronze) == boot.resamples


def test_calibration_claims_hold_in_the_committed_files() -> None:
    rows = {t: Calibration.model_validate(_provenance(t)["calibration"]) for t in BUILTIN_IDS}
    benchmark = [rows[t] for t in _read_split(BUILTIN_DIR / "splits" / "all.txt")]
    assert all(r.automl is not None for r in benchmark), "every task of 'all' is calibrated against an automl run"
    assert target_problems(benchmark) == []
    smoke = [r.model_copy(update={"automl": None}) for t, r in rows.items() if t not in {b.task_id for b in benchmark}]
    assert target_problems(smoke) == []  # sample below the median and no medal, best entry gold


@pytest.mark.parametrize("task_id", BUILTIN_IDS)
def test_recorded_sample_placement_is_what_grading_gives(task_id: str) -> None:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    assert pt.sample_submission_path is not None
    now = Placement.of(grade_submission(pt.sample_submission_path, spec, pt))
    recorded = Placement.model_validate(_provenance(task_id)["calibration"]["sample"])
    assert now == recorded
