"""MLE-bench run groups as `mlebench grade` leaves them (``runs/<stamp>_run-group_<agent>/<stamp>
_grading_report.json`` + ``runs/run_group_experiments.csv``), with realistic random outcomes."""

from __future__ import annotations

import json
import random
from pathlib import Path

UPSTREAM = Path("/work/shared/upstream/mle-bench")
SPLITS_DIR = UPSTREAM / "experiments" / "splits"


def split_ids(name: str) -> list[str]:
    """An MLE-bench split, read as its aggregation script reads it."""
    return [line.strip() for line in (SPLITS_DIR / f"{name}.txt").read_text().splitlines() if line.strip()]


def competition_report(rng: random.Random, comp: str, skill: float, group: str, run: int) -> dict:
    """One entry of ``competition_reports`` with consistent outcomes: no submission -> invalid -> no
    medal; a medal implies above median; at most one medal tier."""
    exists = rng.random() < 0.92
    valid = exists and rng.random() < 0.88
    u = rng.random() if valid else 1.0
    gold, silver, bronze = u < 0.4 * skill, 0.4 * skill <= u < 0.6 * skill, 0.6 * skill <= u < skill
    above = valid and (u < skill or rng.random() < 0.4)
    lower = rng.random() < 0.3
    score = round(rng.uniform(0.1, 0.9), 5) if valid else None
    return {
        "competition_id": comp,
        "score": score,
        "gold_threshold": 0.95,
        "silver_threshold": 0.9,
        "bronze_threshold": 0.85,
        "median_threshold": 0.6,
        "any_medal": gold or silver or bronze,
        "gold_medal": gold,
        "silver_medal": silver,
        "bronze_medal": bronze,
        "above_median": above,
        "submission_exists": exists,
        "valid_submission": valid,
        "is_lower_better": lower,
        "created_at": "2024-09-19T20:07:15.123456",
        "submission_path": f"runs/{group}/{comp}_{run:04d}/submission/submission.csv",
    }


def write_run_group(runs_dir: Path, name: str, entries: list[dict]) -> Path:
    """``runs_dir/name/<stamp>_grading_report.json`` with the totals `mlebench grade` writes."""
    group = runs_dir / name
    group.mkdir(parents=True, exist_ok=True)
    report = {
        "total_runs": len(entries),
        "total_runs_with_submissions": sum(e.get("submission_exists", False) for e in entries),
        "total_valid_submissions": sum(e.get("valid_submission", False) for e in entries),
        "total_medals": sum(e.get("any_medal", False) for e in entries),
        "total_gold_medals": sum(e.get("gold_medal", False) for e in entries),
        "total_silver_medals": sum(e.get("silver_medal", False) for e in entries),
        "total_bronze_medals": sum(e.get("bronze_medal", False) for e in entries),
        "total_above_median": sum(e.get("above_median", False) for e in entries),
        "competition_reports": entries,
    }
    (group / "2024-09-19T20-07-15-GMT_grading_report.json").write_text(json.dumps(report, indent=2))
    (group / "metadata.json").write_text(
        json.dumps({"run_group": name, "created_at": "2024-09-06T18-25-55-UTC", "runs": {}})
    )
    return group


def make_group(
    rng: random.Random,
    runs_dir: Path,
    name: str,
    comps: list[str],
    seeds: int = 1,
    drop: float = 0.0,
    repeat: dict[str, int] | None = None,
) -> Path:
    """A run group of ``seeds`` runs per competition (seed-major order, as run_agent.py queues them);
    each run is missing with probability ``drop``; ``repeat`` adds extra runs of some competitions."""
    entries = []
    skill = {c: rng.choice([0.0, 0.1, 0.3, 0.6]) for c in comps}
    for seed in range(seeds):
        for c in comps:
            if rng.random() >= drop:
                entries.append(competition_report(rng, c, skill[c], name, len(entries)))
    for c, n in (repeat or {}).items():
        entries += [competition_report(rng, c, 0.5, name, len(entries)) for _ in range(n)]
    rng.shuffle(entries)  # mlebench grade keeps the submissions file's order; aggregation sorts by id
    return write_run_group(runs_dir, name, entries)


def write_experiments(runs_dir: Path, experiments: dict[str, list[Path]]) -> Path:
    """``runs/run_group_experiments.csv`` as MLE-bench ships it."""
    lines = ["experiment_id,run_group"] + [f"{exp},{g.name}" for exp, groups in experiments.items() for g in groups]
    path = runs_dir / "run_group_experiments.csv"
    path.write_text("\n".join(lines) + "\n")
    return path
