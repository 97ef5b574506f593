"""Loading real run-group folders (written with the runner's models) and comparing them end to end."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from report_fixtures import TASKS_DIR, registry, write_two_groups

from medalist.errors import MedalistError
from medalist.report.aggregate import TASKS_RUN
from medalist.report.build import build_comparison
from medalist.report.load import load_group

MEDALIST = str(Path(sys.executable).parent / "medalist")


@pytest.fixture(scope="module")
def groups(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_two_groups(tmp_path_factory.mktemp("runs"))


def test_load_group_reads_every_run(groups) -> None:
    g = load_group(groups[0])
    assert g.label == "aide (openai/gpt-x)" and len(g.runs) == 4 and not g.warnings


def test_a_group_written_before_typed_model_settings_is_labelled_by_its_model(groups, tmp_path: Path) -> None:
    """Old metadata.json files kept the model among the agent options: {"config": {"model": ...}}."""
    import json
    import shutil

    old = tmp_path / "old-group"
    shutil.copytree(groups[0], old)
    meta = json.loads((old / "metadata.json").read_text())
    meta["agent"] = {"id": "aide", "kind": "builtin", "config": {"model": "openai/old-style", "num_drafts": 2}}
    (old / "metadata.json").write_text(json.dumps(meta))
    assert load_group(old).label == "aide (openai/old-style)"


def test_not_a_run_group_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(MedalistError, match="not a run group"):
        load_group(tmp_path)
    with pytest.raises(MedalistError, match="no such run group"):
        load_group(tmp_path / "nope")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metadata.json").write_text("{}")
    with pytest.raises(MedalistError, match=r"metadata.json: not a valid run group metadata: field 'group_id'"):
        load_group(bad)


def test_build_comparison_end_to_end(groups) -> None:
    c, _ = build_comparison(list(groups), registry())
    assert c.agents == ["aide (openai/gpt-x)", "automl"]
    alpha, beta = c.tasks["alpha"], c.tasks["beta"]
    assert alpha.sample_score == pytest.approx(0.6) and alpha.baseline_source == "sample_submission"
    assert beta.sample_score == pytest.approx(math.sqrt(2)) and beta.is_lower_better
    assert alpha.leaderboard_best == 0.95 and beta.leaderboard_best == 0.1
    aide = c.aggregate("aide (openai/gpt-x)", TASKS_RUN)
    # seed 0: alpha 0.9 (silver), beta 0.25 (bronze); seed 1: alpha 0.7 (none), beta invalid
    assert aide.metrics["any_medal"].values == [100.0, 0.0]
    assert aide.metrics["silver_medal"].values == [50.0, 0.0]
    assert aide.metrics["valid_submission"].values == [100.0, 50.0]
    # improvement: alpha s0 (0.9-0.6)/0.6 = 0.5, beta s0 (sqrt2-0.25)/sqrt2; alpha s1 1/6, beta s1 0
    s0 = (0.5 + (math.sqrt(2) - 0.25) / math.sqrt(2)) / 2 * 100
    s1 = (1 / 6 + 0) / 2 * 100
    assert aide.metrics["improvement"].values == pytest.approx([s0, s1])
    assert aide.metrics["success"].values == [100.0, 50.0]
    assert aide.total_cost_usd == pytest.approx(0.32)
    automl = c.aggregate("automl", TASKS_RUN)
    assert automl.metrics["any_medal"].values == [50.0] and automl.pass_at_k == {}
    assert c.aggregate("automl", "lite-test").tasks == ["alpha"]


def test_compare_cli_writes_json(groups, tmp_path: Path) -> None:
    out = tmp_path / "cmp.json"
    proc = subprocess.run(
        [MEDALIST, "compare", *map(str, groups), "--json", str(out), "--tasks-dir", str(TASKS_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "any medal %" in proc.stdout and "aide (openai/gpt-x)" in proc.stdout
    from medalist.report.models import Comparison

    c = Comparison.model_validate_json(out.read_text())
    assert c.aggregate("automl", TASKS_RUN).n_runs == 2


def test_compare_cli_bad_path_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([MEDALIST, "compare", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:") and "not a run group" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_task_anchors_prefer_the_runs_data_dir(tmp_path: Path) -> None:
    from medalist.report.taskinfo import prepared, task_info
    from medalist.tasks.prepare import prepare_task

    spec = registry().get("beta")
    prepare_task(spec, cache_root=tmp_path / "cache")
    assert prepared(spec, [tmp_path / "missing", tmp_path / "cache"]).root == tmp_path / "cache" / "beta"
    info = task_info(spec, ["x"], data_dirs=[tmp_path / "cache"])
    assert info.sample_score == pytest.approx(math.sqrt(2)) and info.splits == ["x"]
    assert info.gold_threshold == 0.1 and info.silver_threshold == 0.2 and info.bronze_threshold == 0.5
    assert info.median_threshold == pytest.approx(0.9)


def test_stale_grading_warns_and_can_be_replaced(tmp_path: Path) -> None:
    from report_fixtures import write_group

    from medalist.runner.models import RunRecord

    g = write_group(tmp_path, "2026-01-02T00-00-00Z_old", "old", [{"task": "alpha", "seed": 0, "score": 0.95}])
    rf = g / "alpha_s0" / "run.json"
    rec = RunRecord.model_validate_json(rf.read_text())
    rec.grading = rec.grading.model_copy(
        update={  # as graded before alpha had a leaderboard
            "gold_medal": False,
            "any_medal": False,
            "above_median": False,
            "leaderboard_size": None,
            "gold_threshold": None,
            "leaderboard_rank": None,
        }
    )
    rf.write_text(rec.model_dump_json())
    c, _ = build_comparison([g], registry())
    assert any("graded against another leaderboard" in w and "alpha" in w for w in c.warnings)
    assert c.aggregate("old", TASKS_RUN).metrics["gold_medal"].mean == 0
    fresh, _ = build_comparison([g], registry(), current_leaderboards=True)
    assert not any("another leaderboard" in w for w in fresh.warnings)
    rep = fresh.runs[0].report
    assert rep.gold_medal and rep.any_medal and rep.leaderboard_rank == 1 and rep.leaderboard_size == 10
    assert fresh.aggregate("old", TASKS_RUN).metrics["gold_medal"].mean == 100.0


def test_unfinished_runs_are_left_out(tmp_path: Path) -> None:
    from report_fixtures import write_group

    g = write_group(
        tmp_path,
        "2026-01-03T00-00-00Z_live",
        "live",
        [
            {"task": "alpha", "seed": 0, "score": 0.95},
            {"task": "beta", "seed": 0, "score": None, "status": "running"},
            {"task": "beta", "seed": 1, "score": None, "status": "error"},
        ],
    )
    c, _ = build_comparison([g], registry())
    assert [r.key.split("/")[1] for r in c.runs] == ["alpha_s0", "beta_s1"]
    assert any("1 run(s) still pending or running" in w for w in c.warnings)
