"""The calibration table: one 12-cell row per task, and tasks whose leaderboard was not rebuilt count in no total."""

from __future__ import annotations

from medalist.baselines.calibration import (
    Calibration,
    Placement,
    calibration_markdown,
    keep_recorded_automl,
    target_problems,
)


def _row(task_id: str, automl: str | None) -> Calibration:
    none = Placement(score=0.5, rank=150, medal="none", above_median=False, medal_confidence=1.0)
    best = Placement(score=0.9, rank=1, medal="gold", above_median=True)
    auto = None if automl is None else Placement(score=0.8, rank=20, medal=automl, above_median=True)
    return Calibration(task_id=task_id, metric="roc_auc", leaderboard_rows=160, sample=none, best=best, automl=auto)


def test_table_rows_have_every_cell_and_stale_tasks_count_in_no_total() -> None:
    rows = [_row("a", "silver"), _row("b", "none"), _row("smoke", None)]
    table = calibration_markdown(rows, stale=[("old", "leaderboard provenance predates the prepared train.csv")])
    lines = [line for line in table.splitlines() if line.startswith("|")]
    assert {line.count("|") for line in lines} == {13}  # 12 cells everywhere, the header included
    assert "| old | - | - | not calibrated: leaderboard provenance predates" in table
    assert "a medal on 1 of 2 tasks (50%), gold on 0 (0%)" in table and "1 task(s) not calibrated" in table
    assert target_problems(rows) == []
    assert target_problems([*rows, _row("c", "bronze")]) == ["automl medals on 2/3 tasks (target: at most half)"]


def test_a_task_missing_from_the_automl_group_keeps_its_recorded_automl_row() -> None:
    recorded = _row("t", "bronze").model_copy(update={"automl_source": "2026-12-03T00-40-59Z_automl"})
    fresh = _row("t", None)  # the new group has no run of this task
    kept = keep_recorded_automl(fresh, recorded.model_dump(mode="json"))
    assert kept.automl == recorded.automl and kept.automl_source == "2026-12-03T00-40-59Z_automl"
    graded = _row("t", "none").model_copy(update={"automl_source": "new-group"})
    assert keep_recorded_automl(graded, recorded.model_dump(mode="json")) == graded  # a new run wins
    assert keep_recorded_automl(fresh, None) == fresh  # a rebuilt leaderboard records none
    table = calibration_markdown([kept, graded.model_copy(update={"task_id": "u"})])
    assert "automl run group(s): 2026-12-03T00-40-59Z_automl, new-group." in table
