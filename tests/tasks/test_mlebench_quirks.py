"""Upstream quirks supported, not rejected: a sample submission kept under private/ (its public copy
compressed, as five MLE-bench competitions do) and answers in ``.jsonl``."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pandas as pd
from test_mlebench import checkout, raw_frame  # noqa: F401  (checkout is a fixture)

from medalist.agents.base import AgentContext
from medalist.agents.builtin import SampleAgent
from medalist.grading import grade_submission
from medalist.runner.models import RunLimits
from medalist.tasks import TaskRegistry, prepare_task, task_cache
from medalist.tasks.columns import ColumnRoles, column_roles

PREPARE = """
import zipfile
from pathlib import Path

import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    df = pd.read_csv(raw / "train.csv")
    train, test = df.iloc[:60], df.iloc[60:]
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns=["label"]).to_csv(public / "test.csv", index=False)
    test[["id", "label"]].to_json(private / "test.jsonl", orient="records", lines=True)
    test[["id"]].assign(label="a").to_csv(private / "sample_submission.csv", index=False)
    with zipfile.ZipFile(public / "sample_submission.csv.zip", "w") as z:  # what the agent gets
        z.write(private / "sample_submission.csv", arcname="sample_submission.csv")
"""

GRADE = """
import pandas as pd


def grade(submission, answers):
    truth = pd.DataFrame(answers)  # a list of records, as MLE-bench loads .jsonl answers
    merged = truth.merge(submission, on="id", suffixes=("_true", "_pred"))
    return float((merged["label_true"] == merged["label_pred"]).mean())
"""


def add_competition(root: Path, cid: str = "toy-private-sample") -> None:
    comp = root / "mlebench" / "competitions" / cid
    comp.mkdir(parents=True)
    (comp / "config.yaml").write_text(
        textwrap.dedent(f"""\
        id: {cid}
        name: Toy with a private sample
        competition_type: code
        awards_medals: false
        description: mlebench/competitions/{cid}/description.md
        dataset:
          answers: {cid}/prepared/private/test.jsonl
          sample_submission: {cid}/prepared/private/sample_submission.csv
        grader:
          name: accuracy
          grade_fn: mlebench.competitions.{cid}.grade:grade
        preparer: mlebench.competitions.{cid}.prepare:prepare
        """)
    )
    (comp / "description.md").write_text("# Toy\n")
    (comp / "prepare.py").write_text(PREPARE)
    (comp / "grade.py").write_text(GRADE)
    pd.DataFrame({"teamId": range(10), "score": [1 - 0.05 * i for i in range(10)]}).to_csv(
        comp / "leaderboard.csv", index=False
    )


def test_private_sample_and_jsonl_answers(checkout: Path, tmp_path: Path) -> None:  # noqa: F811
    add_competition(checkout)
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    spec = reg.get("toy-private-sample")
    assert spec.sample_submission is None and spec.private_sample_submission == "sample_submission.csv"
    assert spec.answers == "test.jsonl" and {"code", "no-medals"} <= set(spec.tags)
    raw = task_cache(spec).raw
    raw.mkdir(parents=True)
    raw_frame("toy-accuracy").to_csv(raw / "train.csv", index=False)
    pt = prepare_task(spec)
    assert pt.sample_submission_path == pt.private / "sample_submission.csv"
    assert zipfile.is_zipfile(pt.public / "sample_submission.csv.zip")
    assert column_roles(pt) == ColumnRoles("id", ["label"], "inferred")

    floor = grade_submission(pt.sample_submission_path, spec, pt)  # the no-skill floor the harness grades
    assert floor.valid_submission and 0.2 < floor.score < 0.8 and floor.gold_threshold is not None
    perfect = tmp_path / "perfect.csv"
    pd.read_json(pt.answers_path, lines=True).to_csv(perfect, index=False)
    assert grade_submission(perfect, spec, pt).score == 1.0

    workspace = tmp_path / "ws"
    (workspace / "submission").mkdir(parents=True)
    ctx = AgentContext(
        prepared=pt,
        seed=0,
        limits=RunLimits(time_limit_secs=10),
        run_dir=tmp_path,
        workspace=workspace,
        python="python",
    )
    with SampleAgent().launch(ctx) as launch:  # the harness places the private copy; the agent runs nothing
        assert launch.argv == ["/bin/true"]
    assert (workspace / "submission" / "submission.csv").read_bytes() == pt.sample_submission_path.read_bytes()
