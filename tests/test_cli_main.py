"""The ``medalist`` CLI: listings, prepare, grade-sample, grade, and one-line errors (exit 2, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from medalist import cli

MEDALIST = Path(sys.executable).parent / "medalist"
ANSWERS = "id,target\na,1\nb,0\nc,1\nd,0\ne,1\n"
PERFECT = "id,target\na,0.9\nb,0.1\nc,0.8\nd,0.2\ne,0.7\n"


def run(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """Run ``medalist ARGS`` in-process through ``cli.main`` (the console entry point)."""
    monkeypatch.setattr(sys, "argv", ["medalist", *args])
    monkeypatch.setattr(cli.console, "width", 200)  # wide tables: ids are not wrapped
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> str:
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def write_task(
    root: Path,
    task_id: str,
    *,
    metric: str = "roc_auc",
    prepare_src: str | None = None,
    leaderboard: str | None = "team,score\nx,1.0\ny,0.9\nz,0.8\nw,0.7\nv,0.6\n",
) -> Path:
    folder = root / task_id
    folder.mkdir(parents=True)
    (folder / "description.md").write_text(f"# {task_id}\n\nPredict the target.\n")
    (folder / "task.yaml").write_text(
        textwrap.dedent(f"""\
        id: {task_id}
        name: CLI test task {task_id}
        task_type: binary-classification
        metric: {metric}
        target_columns: [target]
        rows: 5
        """)
    )
    (folder / "prepare.py").write_text(
        prepare_src
        or textwrap.dedent(f"""\
        def prepare(raw, public, private):
            (private / "answers.csv").write_text({ANSWERS!r})
            (public / "sample_submission.csv").write_text({ANSWERS.replace(",1", ",0.5").replace(",0", ",0.5")!r})
        """)
    )
    if leaderboard:
        (folder / "leaderboard.csv").write_text(leaderboard)
    return folder


@pytest.fixture
def tasks_root(tmp_path) -> Path:
    root = tmp_path / "tasks"
    write_task(root, "cli-auc")
    return root


def test_metrics_lists_names_and_direction(capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "metrics")
    assert code == 0
    for name in ("roc_auc", "rmsle", "map_at_k", "quadratic_weighted_kappa", "mcrmse"):
        assert name in out
    rmse_line = next(line for line in out.splitlines() if " rmse " in line)
    assert "lower" in rmse_line


def test_tasks_list_and_show(capsys, monkeypatch, tasks_root):
    code, out, _ = run(capsys, monkeypatch, "tasks", "list", "--tasks-dir", str(tasks_root))
    assert code == 0 and "cli-auc" in out and "penguins-species" in out
    code, out, _ = run(capsys, monkeypatch, "tasks", "show", "cli-auc", "--tasks-dir", str(tasks_root))
    assert code == 0
    assert "roc_auc (higher is better)" in out
    # N=5: gold and silver are place 1 (10% and 20% of 5 round down to 0, kept at 1), bronze place 2
    assert "5 entries; gold 1, silver 1, bronze 0.9, median 0.8" in out
    assert "Predict the target." in out


def test_tasks_list_json_is_machine_readable(capsys, monkeypatch, tasks_root):
    code, out, _ = run(capsys, monkeypatch, "tasks", "list", "--json", "--tasks-dir", str(tasks_root))
    assert code == 0
    listing = {t["id"]: t for t in json.loads(out)}
    assert listing["cli-auc"] == {
        "id": "cli-auc",
        "available": True,
        "kind": "binary-classification",
        "metric": "roc_auc",
        "is_lower_better": False,
        "rows": 5,
        "splits": [],
        "problem": None,
        "fix": None,
    }
    assert "lite" in listing["titanic-passengers"]["splits"]
    code, out, _ = run(capsys, monkeypatch, "tasks", "list", "--json", "--split", "lite")
    assert code == 0 and len(json.loads(out)) == len(cli.registry().split("lite"))


def test_unknown_task_is_one_line(capsys, monkeypatch, tasks_root):
    code, _, err = run(capsys, monkeypatch, "tasks", "show", "cli-aux", "--tasks-dir", str(tasks_root))
    assert_one_line_error(code, err, "unknown task 'cli-aux'", "did you mean: cli-auc")


@pytest.mark.parametrize(
    ("yaml_edit", "fragments"),
    [
        (("metric: roc_auc", "metric: auc"), ["task.yaml: field 'metric': unknown metric 'auc'"]),
        (("rows: 5", "rows: five"), ["task.yaml: field 'rows': Input should be a valid integer"]),
        (("rows: 5", "rows: 5\ncolour: red"), ["task.yaml: field 'colour': unknown field"]),
        (("rows: 5", "rows: [5"), ["task.yaml: not valid YAML (line"]),
        (
            ("target_columns: [target]", "target_columns: [t, t]"),
            ["field 'target_columns': target columns must be unique"],
        ),
        (("id: cli-bad", "id: 'cli bad'"), ["field 'id': String should match pattern"]),
        (("rows: 5", "rows: 5\nprepare: prepare.py"), ["field 'prepare': expected 'file.py:function'"]),
        (("rows: 5", "rows: 5\ndescription: missing.md"), ["field 'description': file", "missing.md does not exist"]),
    ],
    ids=["metric", "type", "unknown-field", "yaml", "dup-targets", "id", "entry-point", "description"],
)
def test_malformed_config_is_one_line_naming_file_and_field(capsys, monkeypatch, tmp_path, yaml_edit, fragments):
    folder = write_task(tmp_path / "tasks", "cli-bad")
    cfg = folder / "task.yaml"
    cfg.write_text(cfg.read_text().replace(*yaml_edit))
    code, _, err = run(capsys, monkeypatch, "tasks", "list", "--tasks-dir", str(tmp_path / "tasks"))
    line = assert_one_line_error(code, err, *fragments)
    assert str(cfg.resolve().parent) in line or str(cfg) in line


def test_not_a_mapping_config(capsys, monkeypatch, tmp_path):
    folder = write_task(tmp_path / "tasks", "cli-list")
    (folder / "task.yaml").write_text("- just\n- a list\n")
    code, _, err = run(capsys, monkeypatch, "tasks", "list", "--tasks-dir", str(tmp_path / "tasks"))
    assert_one_line_error(code, err, "task.yaml: expected a mapping of fields, got list")


def test_markup_like_text_in_errors_is_printed_verbatim(capsys, monkeypatch, tmp_path):
    src = "import no_such_dataset_pkg_cli\n\ndef prepare(raw, public, private):\n    pass\n"
    write_task(tmp_path / "tasks", "cli-pkg", prepare_src=src)
    code, _, err = run(capsys, monkeypatch, "prepare", "cli-pkg", "--tasks-dir", str(tmp_path / "tasks"))
    assert_one_line_error(code, err, "needs a package that is not installed", "pip install 'medalist[suite]'")


def test_prepare_skip_and_force(capsys, monkeypatch, tasks_root, medalist_data_dir):
    code, out, _ = run(capsys, monkeypatch, "prepare", "cli-auc", "--tasks-dir", str(tasks_root))
    assert code == 0 and "ok" in out and "cli-auc" in out and "1 task(s) ready" in out
    manifest = medalist_data_dir / "cli-auc" / "manifest.json"
    first = json.loads(manifest.read_text())
    code, out, _ = run(capsys, monkeypatch, "prepare", "cli-auc", "--force", "--tasks-dir", str(tasks_root))
    second = json.loads(manifest.read_text())
    assert code == 0
    assert (first["public"], first["private"]) == (second["public"], second["private"])


def test_prepare_without_tasks_is_an_error(capsys, monkeypatch):
    code, _, err = run(capsys, monkeypatch, "prepare")
    assert_one_line_error(code, err, "name tasks to prepare, or use --split NAME or --all")


def test_prepare_refuses_a_tampered_task(capsys, monkeypatch, tmp_path, medalist_data_dir):
    write_task(tmp_path / "tasks", "cli-tamper")
    assert run(capsys, monkeypatch, "prepare", "cli-tamper", "--tasks-dir", str(tmp_path / "tasks"))[0] == 0
    (medalist_data_dir / "cli-tamper" / "prepared" / "private" / "answers.csv").write_text("id,target\n")
    code, _, err = run(capsys, monkeypatch, "prepare", "cli-tamper", "--tasks-dir", str(tmp_path / "tasks"))
    assert_one_line_error(code, err, "cli-tamper: verification failed: private/answers.csv checksum mismatch")
    assert run(capsys, monkeypatch, "prepare", "cli-tamper", "--force", "--tasks-dir", str(tmp_path / "tasks"))[0] == 0


def test_grade_sample_valid_and_json(capsys, monkeypatch, tasks_root, tmp_path):
    sub = tmp_path / "submission.csv"
    sub.write_text(PERFECT)
    code, out, _ = run(
        capsys, monkeypatch, "grade-sample", str(sub), "cli-auc", "--json", "--tasks-dir", str(tasks_root)
    )
    assert code == 0
    rep = json.loads(out)
    assert rep["competition_id"] == "cli-auc" and rep["score"] == 1.0
    assert rep["gold_medal"] and rep["valid_submission"] and rep["above_median"]
    code, out, _ = run(capsys, monkeypatch, "grade-sample", str(sub), "cli-auc", "--tasks-dir", str(tasks_root))
    assert code == 0 and "gold_medal" in out and "True" in out


def test_grade_sample_invalid_exits_1_with_reason(capsys, monkeypatch, tasks_root, tmp_path):
    sub = tmp_path / "submission.csv"
    sub.write_text(PERFECT.replace("b,0.1", "b,1.5"))
    code, _, err = run(capsys, monkeypatch, "grade-sample", str(sub), "cli-auc", "--tasks-dir", str(tasks_root))
    assert code == 1
    assert "invalid submission: column 'target' holds probabilities and must lie in [0, 1]" in err
    assert "Traceback" not in err


def test_grade_jsonl(capsys, monkeypatch, tasks_root, tmp_path):
    (tmp_path / "s1.csv").write_text(PERFECT)
    (tmp_path / "s2.csv").write_text("id,target\na,0.5\n")
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text(
        json.dumps({"competition_id": "cli-auc", "submission_path": "s1.csv"})
        + "\n"
        + json.dumps({"task_id": "cli-auc", "submission_path": "s2.csv"})
        + "\n"
    )
    out_dir = tmp_path / "out"
    monkeypatch.chdir(tmp_path)  # relative submission paths are relative to the working directory, as in mlebench
    code, out, _ = run(
        capsys,
        monkeypatch,
        "grade",
        "--submission",
        str(jsonl),
        "--output-dir",
        str(out_dir),
        "--tasks-dir",
        str(tasks_root),
    )
    assert code == 0
    assert "2 runs, 1 valid, 1 medals (1 gold, 0 silver, 0 bronze), 1 above median" in " ".join(out.split())
    (summary,) = out_dir.glob("*_grading_report.json")
    data = json.loads(summary.read_text())
    assert data["total_runs"] == 2 and data["total_gold_medals"] == 1 and data["total_valid_submissions"] == 1
    assert len(list((out_dir / "reports").glob("*.json"))) == 2


def test_grade_bad_jsonl_line_is_one_line(capsys, monkeypatch, tasks_root, tmp_path):
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text(json.dumps({"competition_id": "cli-auc", "submission_path": "a.csv"}) + "\n{oops\n")
    code, _, err = run(
        capsys,
        monkeypatch,
        "grade",
        "--submission",
        str(jsonl),
        "--output-dir",
        str(tmp_path / "o"),
        "--tasks-dir",
        str(tasks_root),
    )
    assert_one_line_error(code, err, f"{jsonl}:2: bad submission line")


def test_builtin_task_end_to_end(capsys, monkeypatch, tmp_path):
    """penguins-species: prepare, then grade a perfect and a sample submission through the CLI."""
    from medalist.tasks import TaskRegistry, ensure_prepared

    pt = ensure_prepared(TaskRegistry.default().get("penguins-species"))
    answers = pd.read_csv(pt.answers_path)
    perfect = tmp_path / "perfect.csv"
    answers.sample(frac=1, random_state=0).to_csv(perfect, index=False)
    code, out, _ = run(capsys, monkeypatch, "grade-sample", str(perfect), "penguins-species", "--json")
    assert code == 0 and json.loads(out)["score"] == 1.0
    code, out, _ = run(
        capsys, monkeypatch, "grade-sample", str(pt.sample_submission_path), "penguins-species", "--json"
    )
    rep = json.loads(out)
    assert code == 0 and rep["valid_submission"]
    assert rep["score"] == pytest.approx((answers["species"] == "Adelie").mean())


def test_real_process_prints_one_line_and_exits_2(tmp_path):
    """The installed console script: exit code 2, one `error:` line, no traceback."""
    folder = write_task(tmp_path / "tasks", "cli-proc")
    (folder / "task.yaml").write_text((folder / "task.yaml").read_text().replace("roc_auc", "no_such_metric"))
    env = {**os.environ, "COLUMNS": "60"}  # a narrow terminal must not wrap the line either
    proc = subprocess.run(
        [str(MEDALIST), "tasks", "list", "--tasks-dir", str(tmp_path / "tasks")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert "field 'metric': unknown metric 'no_such_metric'" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


FORKED_POOL_UNDER_THE_CLI = """
import multiprocessing
from medalist.cli.app import handle_sigterm_as_ctrl_c
handle_sigterm_as_ctrl_c()
with multiprocessing.get_context("fork").Pool(2) as pool:  # leaving the block SIGTERMs the workers
    assert pool.map(abs, [-1, -2]) == [1, 2]
"""


def test_forked_helpers_stopped_with_sigterm_die_quietly() -> None:
    """The CLI's SIGTERM handler must stay in the CLI's process: a forked pool worker that inherits it
    would print a KeyboardInterrupt traceback when its pool stops it (the sandbox's file scan does that)."""
    proc = subprocess.run([sys.executable, "-c", FORKED_POOL_UNDER_THE_CLI], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
