"""Parity with MLE-bench's own leaderboard aggregation: the same grading reports, aggregated by medalist
and by upstream's ``experiments/aggregate_grading_reports.py`` (run unchanged from a temp copy of the
upstream tree, in the separate upstream venv), give the same means, standard errors and 1.96*SEM
intervals for every metric the script reports, with and without padding.

Report sets: complete seeds, runs missing at random, duplicated runs (several seeds in one group, extra
repeats of some competitions, competitions outside the split), one-seed experiments, several splits.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlebench_fixtures import UPSTREAM, make_group, split_ids, write_experiments
from report_fixtures import registry

from medalist.report.build import build_comparison
from medalist.report.models import AgentSplitAggregate, Comparison

REPO = Path(__file__).resolve().parents[2]
UPSTREAM_VENV = Path(os.environ.get("MEDALIST_UPSTREAM_VENV", REPO / ".venv-upstream"))
UPSTREAM_PY = UPSTREAM_VENV / "bin" / "python"
SCRIPT = Path("experiments") / "aggregate_grading_reports.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not UPSTREAM_PY.exists() or not UPSTREAM.is_dir(),
        reason="needs the upstream venv (bash scripts/setup_test_tools.d/upstream_venv.sh) "
        "and ../shared/upstream/mle-bench",
    ),
]

METRICS = {  # the script's per-seed percentages -> medalist's rate names
    "submission_exists_percentage": "submission_exists",
    "valid_submissions_percentage": "valid_submission",
    "above_median_percentage": "above_median",
    "gold_medal_percentage": "gold_medal",
    "silver_medal_percentage": "silver_medal",
    "bronze_medal_percentage": "bronze_medal",
    "any_medal_percentage": "any_medal",
}
SPLITS = ("low", "dev", "high", "spaceship-titanic")

# Runs the unchanged script as __main__ once per argv in one interpreter (numpy/scipy import once);
# prints the JSON block the script prints after "Average metrics across seeds:", or the error it raised.
DRIVER = r"""
import contextlib, io, json, runpy, sys
script = sys.argv[1]
results = []
for argv in json.load(sys.stdin):
    sys.argv = [script, *argv]
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            runpy.run_path(script, run_name="__main__")
        results.append({"ok": json.loads(buf.getvalue().split("Average metrics across seeds:", 1)[1])})
    except (Exception, SystemExit) as exc:
        results.append({"error": f"{type(exc).__name__}: {exc}"})
print(json.dumps(results))
"""


def run_upstream(root: Path, cases: list[list[str]]) -> list[dict]:
    proc = subprocess.run(
        [str(UPSTREAM_PY), "-c", DRIVER, str(root / SCRIPT)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


class World:
    """A temp copy of the upstream tree with runs/ holding every experiment's run groups."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.experiments: dict[str, list[Path]] = {}
        self.comparisons: dict[tuple[str, str, bool, int | None], Comparison] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("upstream") / "mle-bench"
    shutil.copytree(UPSTREAM, root)
    runs = root / "runs"
    runs.mkdir()
    rng = random.Random(16)
    low, dev, high = split_ids("low"), split_ids("dev"), split_ids("high")
    w = World(root)
    stamp = "2024-09-{:02d}T{:02d}-00-00-UTC_run-group_{}"
    w.experiments["complete"] = [
        make_group(rng, runs, stamp.format(6, h, "aide"), low + dev + ["spaceship-titanic"]) for h in range(3)
    ]
    w.experiments["missing"] = [
        make_group(rng, runs, stamp.format(7, h, "aide"), low + high, drop=0.15) for h in range(3)
    ]
    w.experiments["duplicated"] = [
        make_group(
            rng,
            runs,
            stamp.format(8, 1, "opendevin"),
            low + dev,
            seeds=2,
            repeat={"spaceship-titanic": 3, low[0]: 2, "not-in-any-split": 2},
        ),
        make_group(rng, runs, stamp.format(8, 2, "opendevin"), low, drop=0.1),
    ]
    w.experiments["one-seed"] = [make_group(rng, runs, stamp.format(9, 0, "mlagentbench"), low + high, drop=0.05)]
    w.experiments["partial"] = [make_group(rng, runs, stamp.format(10, 0, "aide"), low[:12] + dev[:3], seeds=2)]
    write_experiments(runs, w.experiments)
    return w


def medalist_side(w: World, experiment: str, split: str, pad: bool, num_seeds: int | None = None) -> Comparison:
    key = (experiment, split, pad, num_seeds)
    if key not in w.comparisons:
        w.comparisons[key], _ = build_comparison(
            w.experiments[experiment],
            registry(),
            pad_missing=pad,
            num_seeds=num_seeds,
            extra_splits={split: split_ids(split)},
        )
    return w.comparisons[key]


def assert_same(up: dict, agg: AgentSplitAggregate) -> None:
    assert up["num_seeds_averaged"] == agg.n_seeds
    assert up["num_competitions_per_seed"] == agg.split_size == agg.tasks_per_seed
    metrics = up["metrics"]
    assert set(metrics) == {*METRICS, "total_competitions"}, "the script reports a metric medalist does not compare"
    assert metrics["total_competitions"]["mean"] == agg.tasks_per_seed
    for name, ours in METRICS.items():
        u, e = metrics[name], agg.metrics[ours]
        assert e.n == agg.n_seeds
        assert e.mean == pytest.approx(u["mean"], rel=1e-12, abs=1e-12), name
        if agg.n_seeds > 1:
            assert e.sem == pytest.approx(u["standard_error"], rel=1e-9, abs=1e-12), name
            assert e.mlebench_ci_low == pytest.approx(u["ci_lower"], rel=1e-9, abs=1e-9), name
            assert e.mlebench_ci_high == pytest.approx(u["ci_upper"], rel=1e-9, abs=1e-9), name
        else:  # one seed: the script prints SEM 0, medalist leaves it undefined
            assert u["standard_error"] == 0 and e.sem is None and e.mlebench_ci_low is None


CASES = [
    (exp, split, pad)
    for exp in ("complete", "missing", "duplicated", "one-seed", "partial")
    for split in SPLITS
    for pad in (False, True)
]


@pytest.fixture(scope="module")
def upstream_results(world: World) -> dict[tuple[str, str, bool], dict]:
    argvs = [
        ["--experiment-id", exp, "--split", split, *(["--pad-missing"] if pad else [])] for exp, split, pad in CASES
    ]
    return dict(zip(CASES, run_upstream(world.root, argvs)))


@pytest.mark.parametrize(("experiment", "split", "pad"), CASES)
def test_same_numbers_as_upstream(world: World, upstream_results: dict, experiment: str, split: str, pad: bool) -> None:
    up = upstream_results[(experiment, split, pad)]
    comparison = medalist_side(world, experiment, split, pad)
    agg = comparison.aggregate(f"mle-bench:{experiment}", split)
    if "ok" in up:
        assert agg is not None and agg.status in (("padded", "complete") if pad else ("complete",))
        assert_same(up["ok"], agg)
    elif agg is None:  # no run of any of the split's competitions
        assert "No reports available" in up["error"] or "Missing reports" in up["error"]
    else:  # a competition of the split was never run: the script refuses, medalist says partial
        assert not pad and "Missing reports for competitions" in up["error"], up["error"]
        assert agg.status == "partial" and agg.missing_tasks
        assert all(t in up["error"] for t in agg.missing_tasks)


def test_scenarios_exercise_the_protocol(world: World, upstream_results: dict) -> None:
    """The generated report sets really contain uneven, padded, partial and one-seed cases."""
    aggs = [medalist_side(world, e, s, p).aggregate(f"mle-bench:{e}", s) for e, s, p in CASES]
    assert any(a is not None and a.unused_runs > 0 and a.status == "complete" for a in aggs)
    assert any(a is not None and a.padded_runs > 0 and a.status == "padded" for a in aggs)
    assert any(a is not None and a.status == "partial" for a in aggs)
    assert any(a is not None and a.n_seeds == 1 and a.status == "complete" for a in aggs)
    assert any(a is not None and a.n_seeds >= 3 for a in aggs)
    assert sum("ok" in r for r in upstream_results.values()) >= len(CASES) // 2


def test_num_seeds_and_report_paths_match_upstream(world: World) -> None:
    """--num-seeds, and the script's --grading-reports form, on the uneven experiment."""
    reports = [str(next(g.glob("*_grading_report.json"))) for g in world.experiments["duplicated"]]
    up = run_upstream(
        world.root,
        [
            ["--experiment-id", "duplicated", "--split", "low", "--num-seeds", "2", "--pad-missing"],
            ["--grading-reports", *reports, "--split", "low", "--pad-missing"],
        ],
    )
    assert_same(
        up[0]["ok"],
        medalist_side(world, "duplicated", "low", True, num_seeds=2).aggregate("mle-bench:duplicated", "low"),
    )
    assert_same(up[1]["ok"], medalist_side(world, "duplicated", "low", True).aggregate("mle-bench:duplicated", "low"))


def test_driver_matches_a_plain_script_run(world: World) -> None:
    """The in-process driver prints what `python aggregate_grading_reports.py ...` prints."""
    argv = ["--experiment-id", "missing", "--split", "low", "--pad-missing"]
    proc = subprocess.run(
        [str(UPSTREAM_PY), str(world.root / SCRIPT), *argv], capture_output=True, text=True, timeout=120, cwd=world.root
    )
    assert proc.returncode == 0, proc.stderr
    plain = json.loads(proc.stdout.split("Average metrics across seeds:", 1)[1])
    assert run_upstream(world.root, [argv])[0]["ok"] == plain


def test_compare_cli_on_upstream_groups(world: World, tmp_path: Path) -> None:
    """`medalist compare` reads the run groups directly and its JSON carries the same numbers."""
    out = tmp_path / "cmp.json"
    split_file = world.root / "experiments" / "splits" / "low.txt"
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "medalist"),
            "compare",
            *map(str, world.experiments["missing"]),
            "--split",
            str(split_file),
            "--pad-missing",
            "--json",
            str(out),
            "--tasks-dir",
            str(registry().roots[0]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mle-bench:missing" in proc.stdout and "padded" in proc.stdout
    up = run_upstream(world.root, [["--experiment-id", "missing", "--split", "low", "--pad-missing"]])[0]["ok"]
    assert_same(up, Comparison.model_validate_json(out.read_text()).aggregate("mle-bench:missing", "low"))
