"""Calibration of a built-in leaderboard: where the sample submission, ``automl`` and the best entry land.

The targets a leaderboard is tuned for (issue 14): the sample submission earns no medal and is below
the median; the best reference solution is gold; over the suite, ``automl`` at its default budget
earns a medal on at most half the tasks and gold on at most 15% of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from medalist.grading import CompetitionReport, grade_submission, report_for_score, task_thresholds
from medalist.tasks.prepare import PreparedTask
from medalist.tasks.spec import TaskSpec

MAX_AUTOML_MEDAL_SHARE = 0.5
MAX_AUTOML_GOLD_SHARE = 0.15


class Placement(BaseModel):
    """One submission's place on a leaderboard."""

    score: float | None
    rank: int | None
    medal: str = Field(description="gold, silver, bronze or none")
    above_median: bool
    medal_confidence: float | None = None

    @classmethod
    def of(cls, rep: CompetitionReport) -> Placement:
        medal = "gold" if rep.gold_medal else "silver" if rep.silver_medal else "bronze" if rep.bronze_medal else "none"
        return cls(
            score=rep.score,
            rank=rep.leaderboard_rank,
            medal=medal,
            above_median=rep.above_median,
            medal_confidence=rep.medal_confidence,
        )


class Calibration(BaseModel):
    """Sample submission, ``automl`` and best reference entry on one task's leaderboard."""

    task_id: str
    metric: str
    leaderboard_rows: int
    sample: Placement
    best: Placement
    automl: Placement | None = None
    automl_source: str | None = Field(default=None, description="The automl run group the automl row was graded from.")


def calibrate(
    spec: TaskSpec,
    pt: PreparedTask,
    automl_submission: Path | None = None,
    source: str | None = None,
    best_confidence: float | None = None,
) -> Calibration:
    """Grade the sample submission and (when given) an automl submission; place the leaderboard's best entry."""
    thresholds = task_thresholds(spec)
    if thresholds is None or pt.sample_submission_path is None:
        raise ValueError(f"task {spec.id!r} needs a leaderboard and a sample submission to be calibrated")
    best_rep = report_for_score(spec, float(thresholds.scores[0]), thresholds)
    best = Placement.of(best_rep).model_copy(update={"medal_confidence": best_confidence})
    automl = None
    if automl_submission is not None:
        automl = Placement.of(grade_submission(automl_submission, spec, pt))
    return Calibration(
        task_id=spec.id,
        metric=spec.metric,
        leaderboard_rows=thresholds.n_teams,
        sample=Placement.of(grade_submission(pt.sample_submission_path, spec, pt)),
        best=best,
        automl=automl,
        automl_source=source if automl_submission is not None else None,
    )


def keep_recorded_automl(cal: Calibration, recorded: Any) -> Calibration:
    """``cal`` with the automl placement (and its run group) of the calibration a task's provenance records,
    when ``cal`` has none: calibrating some tasks from a new run group keeps the others' automl rows. A
    rebuilt leaderboard's provenance records no calibration, so a kept placement is always on the current
    leaderboard."""
    if cal.automl is not None or not isinstance(recorded, dict):
        return cal
    old = Calibration.model_validate(recorded)
    if old.automl is None:
        return cal
    return cal.model_copy(update={"automl": old.automl, "automl_source": old.automl_source})


def target_problems(rows: Sequence[Calibration]) -> list[str]:
    """Every calibration target the rows miss (empty when all hold)."""
    out = []
    for c in rows:
        if c.sample.medal != "none" or c.sample.above_median:
            out.append(
                f"{c.task_id}: the sample submission earns {c.sample.medal} / above median {c.sample.above_median}"
            )
        if c.best.medal != "gold":
            out.append(f"{c.task_id}: the best reference entry is not gold")
    graded = [c.automl for c in rows if c.automl is not None]
    if graded:
        medals = sum(a.medal != "none" for a in graded)
        golds = sum(a.medal == "gold" for a in graded)
        if medals > MAX_AUTOML_MEDAL_SHARE * len(graded):
            out.append(f"automl medals on {medals}/{len(graded)} tasks (target: at most half)")
        if golds > MAX_AUTOML_GOLD_SHARE * len(graded):
            out.append(f"automl is gold on {golds}/{len(graded)} tasks (target: at most 15%)")
    return out


def _cell(p: Placement | None) -> str:
    if p is None or p.score is None:
        return "- | - | -"
    conf = f" ({p.medal_confidence:.2f})" if p.medal_confidence is not None else ""
    return f"{p.score:.4g} | {p.rank} | {p.medal}{conf}"


def calibration_markdown(rows: Sequence[Calibration], stale: Sequence[tuple[str, str]] = ()) -> str:
    """The calibration table (one row per task) with a totals line for automl.

    ``stale`` lists (task id, reason) of tasks whose leaderboard predates the prepared data or the
    reference population: they get a row saying so and count in no total (a placement on another test
    set's leaderboard means nothing).
    """
    lines = [
        "| task | metric | N | sample: score | rank | medal | automl: score | rank | medal (confidence) "
        "| best entry: score | rank | medal (confidence) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in rows:
        lines.append(
            f"| {c.task_id} | {c.metric} | {c.leaderboard_rows} | {_cell(c.sample)} | {_cell(c.automl)} "
            f"| {_cell(c.best)} |"
        )
    for task_id, reason in stale:
        lines.append(f"| {task_id} | - | - | not calibrated: {reason} |" + " - |" * 8)
    graded = [c.automl for c in rows if c.automl is not None]
    if graded:
        medals = sum(a.medal != "none" for a in graded)
        golds = sum(a.medal == "gold" for a in graded)
        lines.append("")
        lines.append(
            f"automl: a medal on {medals} of {len(graded)} tasks ({medals / len(graded):.0%}), "
            f"gold on {golds} ({golds / len(graded):.0%}); "
            f"sample submission medals: {sum(c.sample.medal != 'none' for c in rows)}, "
            f"above median: {sum(c.sample.above_median for c in rows)}; "
            f"best entry gold: {sum(c.best.medal == 'gold' for c in rows)} of {len(rows)}"
            f"{f'; {len(stale)} task(s) not calibrated (leaderboard not rebuilt)' if stale else ''}."
        )
        sources = sorted({c.automl_source for c in rows if c.automl is not None and c.automl_source})
        if sources:
            lines.append("")
            lines.append(f"automl run group(s): {', '.join(sources)}.")
    return "\n".join(lines) + "\n"
