"""``medalist audit``: the whole built-in suite passes every check; the CLI writes JSON and fails loudly.

The suite test scans every tree a run can bind (/usr, the harness venv, the solution and adapter venvs
installed here) once for all tasks: the scan state is kept per machine, so only the first scan there
(here or by the runner before a sandboxed run) reads the trees (a few CPU minutes); later ones are a
stat-only check. Then every check runs per task: about 1-2 CPU seconds a task, 13 for mnist-5k.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from medalist.grading.audit import audit_task, leaderboard_is_stale
from medalist.runner.execute import known_trees
from medalist.tasks import BUILTIN_DIR, TaskRegistry, ensure_prepared
from medalist.tasks.reach_state import ensure_scan
from medalist.tasks.registry import read_split_file
from run_helpers import medalist_cli

REGISTRY = TaskRegistry(roots=[BUILTIN_DIR])
SUITE = read_split_file(BUILTIN_DIR / "splits" / "all.txt") + read_split_file(BUILTIN_DIR / "splits" / "smoke.txt")


@pytest.fixture(scope="module")
def trees() -> list[Path]:
    """Every tree runs bind, scanned once for every built-in task (cached per machine and tree state)."""
    found = known_trees()
    ensure_scan([ensure_prepared(REGISTRY.get(t)) for t in SUITE], found)
    return found


# Tasks whose regenerated leaderboard has a crowded top (too many entries within bootstrap noise of the
# gold line): a real finding of the audit, open in issue 14 (replace the task or make its field harder).
# Listed here so the suite test stays strict for every other check and task; a listed task that passes
# fails the test until it is removed from this list.
CROWDED_TOP: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.parametrize("task_id", SUITE)
def test_every_builtin_task_passes_the_audit(task_id: str, trees: list[Path]) -> None:
    pt = ensure_prepared(REGISTRY.get(task_id))
    report = audit_task(pt, trees=trees)
    assert {c.name for c in report.checks} == {
        "reach",
        "id_leak",
        "adversarial",
        "duplicates",
        "single_column",
        "headroom",
    }
    stale = leaderboard_is_stale(pt)
    failing = [c for c in report.checks if not c.ok]
    if stale and [c.name for c in failing] == ["headroom"]:
        pytest.skip(f"{task_id}: headroom not judged: {stale} (leaderboards are being regenerated)")
    if task_id in CROWDED_TOP:
        assert failing, f"{task_id} passes the audit now: remove it from CROWDED_TOP"
        if [c.name for c in failing] == ["headroom"]:
            pytest.xfail(f"{task_id}: crowded top, known ({CROWDED_TOP[task_id]})")
    assert not failing, [(c.name, c.detail) for c in failing]


def test_cli_reports_json_and_exit_code(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    ok = medalist_cli(
        "audit", "penguins-species", "--check", "duplicates", "--check", "adversarial", "--json", str(out)
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    reports = json.loads(out.read_text())["reports"]
    assert [r["task_id"] for r in reports] == ["penguins-species"]
    assert {c["name"] for c in reports[0]["checks"]} == {"duplicates", "adversarial"}
    spam = medalist_cli("audit", "spambase", "--check", "duplicates")
    assert spam.returncode == 0 and "accepted" in spam.stdout, spam.stdout  # documented in task.yaml
    bad = medalist_cli("audit", "penguins-species", "--check", "nonsense")
    assert bad.returncode == 2 and "unknown check" in bad.stderr + bad.stdout and "Traceback" not in bad.stderr


def test_duplicates_are_judged_by_what_copying_explains_and_a_medal_by_copying_is_never_excused(tmp_path: Path) -> None:
    """Spambase repeats e-mails (copying explains nearly all: fails, excused by its task.yaml); cps-wages'
    coarse features coincide by chance (copying explains little: passes). Against a leaderboard that
    copying alone would medal on, the documented reason no longer excuses the duplicates."""
    spam = ensure_prepared(REGISTRY.get("spambase"))
    dup = audit_task(spam, checks=("duplicates",)).check("duplicates")
    assert not dup.passed and dup.accepted and dup.values["share"] > 0.05 and dup.values["copy_gain"] > 0.9, dup
    assert dup.values["copy_medal"] is False, dup
    cps = audit_task(ensure_prepared(REGISTRY.get("cps-wages")), checks=("duplicates",)).check("duplicates")
    assert cps.passed and cps.values["share"] > 0.5 and cps.values["copy_gain"] < 0.5, cps
    copy = float(dup.values["copy_score"])  # type: ignore[arg-type]
    board = tmp_path / "leaderboard.csv"  # f1: copying alone would take first place
    pd.DataFrame({"score": [copy - 0.001 * (i + 1) for i in range(100)]}).to_csv(board, index=False)
    easy = replace(spam, spec=spam.spec.model_copy(update={"leaderboard": str(board)}))
    assert easy.spec.leaderboard_path == board
    medal = audit_task(easy, checks=("duplicates",)).check("duplicates")
    assert medal.values["copy_medal"] is True and not medal.ok and "a medal" in medal.detail, medal


def test_reach_flags_answers_in_an_extra_public_file_not_the_public_tables(tmp_path: Path) -> None:
    """train.csv and test.csv are judged by the data checks; any other public file holding the labelled
    test rows (here the raw penguins data, shipped beside them by mistake) fails the reach check."""
    import shutil

    from palmerpenguins import load_penguins

    from medalist.grading.audit import check_reach

    pt = ensure_prepared(REGISTRY.get("penguins-species"))
    clean = check_reach(pt, [])
    assert clean.passed and clean.values["public_files"] >= 1, clean  # the sample submission is searched
    copy = replace(pt, root=tmp_path / "task")
    shutil.copytree(pt.root, copy.root)
    (copy.public / "extra").mkdir()
    load_penguins().to_csv(copy.public / "extra" / "penguins.csv", index=False)
    leak = check_reach(copy, [])
    assert not leak.passed and "penguins.csv" in leak.detail and "train.csv" not in leak.detail, leak
