"""The upstream MLE-bench checkout as users have it: 82 competitions, every leaderboard a Git LFS pointer
(a plain `git clone`), five sample submissions kept under private/, .jsonl answers, two competition types.

The pristine copy is listed as it is; tests that need leaderboards or breakage use a temp copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mlebench_synthetic import UPSTREAM, write_leaderboard

from medalist.errors import MedalistError
from medalist.tasks import TaskRegistry
from medalist.tasks.mlebench import load_checkout
from run_helpers import medalist_cli

pytestmark = pytest.mark.skipif(not UPSTREAM.is_dir(), reason=f"needs the upstream MLE-bench copy at {UPSTREAM}")

PRIVATE_SAMPLES = {
    "billion-word-imputation",
    "invasive-species-monitoring",
    "statoil-iceberg-classifier-challenge",
    "text-normalization-challenge-english-language",
    "text-normalization-challenge-russian-language",
}


def competition_ids() -> list[str]:
    return sorted(p.parent.name for p in (UPSTREAM / "mlebench" / "competitions").glob("*/config.yaml"))


@pytest.fixture
def with_leaderboards(tmp_path: Path) -> Path:
    """A temp copy of the checkout with a generated leaderboard for every competition."""
    copy = tmp_path / "mle-bench"
    shutil.copytree(UPSTREAM, copy)
    for cid in competition_ids():
        write_leaderboard(copy / "mlebench" / "competitions" / cid, 0.99, 0.5, teams=40)
    return copy


def test_pristine_checkout_lists_every_competition_with_the_lfs_hint() -> None:
    ids = competition_ids()
    assert len(ids) == 82
    listed = medalist_cli("--mlebench-dir", str(UPSTREAM), "tasks", "list", timeout=120, env={"COLUMNS": "250"})
    assert listed.returncode == 0, listed.stderr
    out = listed.stdout
    assert "(82 unavailable)" in out and all(cid in out for cid in ids if len(cid) < 40)
    assert out.count("Git LFS pointer") == 82
    assert f"82 unavailable task(s): run `git lfs install && git lfs pull` in {UPSTREAM}" in " ".join(out.split())
    assert "penguins-species" in out, "the built-in tasks are still listed"
    low = medalist_cli("--mlebench-dir", str(UPSTREAM), "tasks", "list", "--split", "mlebench-low", timeout=120)
    assert low.returncode == 0 and "22 tasks in split 'mlebench-low' (22 unavailable)" in low.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["tasks", "show", "spaceship-titanic"],
        ["prepare", "spaceship-titanic"],
        ["grade-sample", "missing.csv", "spaceship-titanic"],
        ["run", "--agent", "sample", "--tasks", "spaceship-titanic", "--sandbox", "process"],
    ],
)
def test_naming_an_unavailable_competition_gives_its_reason(command: list[str], tmp_path: Path) -> None:
    out = medalist_cli("--mlebench-dir", str(UPSTREAM), *command, timeout=120, env={"MEDALIST_DATA_DIR": str(tmp_path)})
    assert out.returncode == 2, out.stdout + out.stderr
    line = " ".join(out.stderr.split())
    assert "task 'spaceship-titanic' is unavailable: leaderboard.csv is a Git LFS pointer" in line
    assert "git lfs pull" in line and "Traceback" not in out.stderr


def test_a_split_of_unavailable_competitions_skips_them_and_says_why(tmp_path: Path) -> None:
    out = medalist_cli(
        "--mlebench-dir",
        str(UPSTREAM),
        "run",
        "--agent",
        "sample",
        "--tasks",
        "mlebench-low",
        "--sandbox",
        "process",
        timeout=120,
        env={"MEDALIST_DATA_DIR": str(tmp_path)},
    )
    assert out.returncode == 2 and "no available task to run" in out.stderr
    assert " ".join(out.stderr.split()).count("skipped: task") == 22


def test_every_competition_loads_once_leaderboards_are_there(with_leaderboards: Path) -> None:
    specs, splits, unavailable = load_checkout(with_leaderboards)
    assert unavailable == [] and len(specs) == 82
    by_id = {s.id: s for s in specs}
    for cid in PRIVATE_SAMPLES:  # the harness's copy; agents see what prepare.py put in public/
        spec = by_id[cid]
        assert spec.sample_submission is None and spec.private_sample_submission == "sample_submission.csv"
    assert by_id["tensorflow2-question-answering"].answers == "test.jsonl"
    assert by_id["denoising-dirty-documents"].sample_submission == "sampleSubmission.csv"
    kinds = {t for s in specs for t in s.tags if t in ("simple", "code")}
    assert kinds == {"simple", "code"}
    assert sum("no-medals" in s.tags for s in specs) == 34  # awards_medals: false (medals are still computed)
    assert len(splits["mlebench-low"]) == 22 and len(splits["mlebench-split75"]) == 75
    assert by_id["spaceship-titanic"].is_lower_better is False


def test_one_broken_competition_never_hides_the_others(with_leaderboards: Path, tmp_path: Path) -> None:
    comps = with_leaderboards / "mlebench" / "competitions"
    (comps / "leaf-classification" / "config.yaml").write_text("id: leaf-classification\nname: [unclosed\n")
    shutil.copyfile(
        UPSTREAM / "mlebench/competitions/spaceship-titanic/leaderboard.csv",
        comps / "spaceship-titanic" / "leaderboard.csv",
    )  # the LFS pointer again
    (comps / "random-acts-of-pizza" / "leaderboard.csv").write_text("teamId,points\n1,3\n")
    reg = TaskRegistry(roots=[], mlebench_dirs=[with_leaderboards])
    assert len(reg.tasks) == 79 and set(reg.unavailable) == {
        "leaf-classification",
        "spaceship-titanic",
        "random-acts-of-pizza",
    }
    with pytest.raises(MedalistError, match=r"'leaf-classification' is unavailable: .*config.yaml: not valid YAML"):
        reg.get("leaf-classification")
    with pytest.raises(
        MedalistError, match=r"'random-acts-of-pizza' is unavailable: .*cannot read the leaderboard's 'score' column"
    ):
        reg.get("random-acts-of-pizza")
    low = reg.resolve(["mlebench-low"])
    assert len(low) == 20 and set(reg.skipped) == {"leaf-classification", "random-acts-of-pizza"}
    listed = medalist_cli(
        "--mlebench-dir",
        str(with_leaderboards),
        "tasks",
        "list",
        timeout=120,
        env={"COLUMNS": "250", "MEDALIST_DATA_DIR": str(tmp_path)},
    )
    assert listed.returncode == 0 and "(3 unavailable)" in listed.stdout and "not valid YAML" in listed.stdout
