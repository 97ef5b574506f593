"""Column roles (id column, target columns) of a prepared task, inferred where the task does not state them.

MLE-bench competitions say nothing about columns: their graders know them. Agents need them, so they are
read from the prepared files: the id column is the first sample-submission column whose values are
unique, non-empty and (when the answers are a CSV holding that column) exactly the answers' ids; the
targets are the sample's other columns. Only the sample's header and id column, and the answers' id
column, are read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from medalist.tasks.cache import PreparedTask
from medalist.tasks.spec import TaskSpec


@dataclass(frozen=True)
class ColumnRoles:
    """Which submission column keys the rows and which hold predictions; ``source`` says where from."""

    id_column: str | None
    target_columns: list[str] = field(default_factory=list)
    source: str = "task"  # "task" (stated by the task) or "inferred" (read from the prepared files)


def csv_header(path: Path) -> list[str]:
    """The header row of a CSV file ([] when it has none)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def _ids(path: Path, column: str) -> pd.Series:
    return pd.read_csv(path, usecols=[column], dtype=str, keep_default_na=False, na_values=[""])[column]


def infer_column_roles(sample: Path, answers: Path | None = None) -> ColumnRoles:
    """Id and target columns of a submission in the format of ``sample`` (see module doc)."""
    columns = csv_header(sample)
    answer_columns = csv_header(answers) if answers is not None and answers.suffix == ".csv" else []
    for col in columns[: max(1, len(columns) - 1)]:  # a target column must remain
        ids = _ids(sample, col)
        if ids.isna().any() or not ids.is_unique:
            continue
        if answers is not None and col in answer_columns:
            truth = _ids(answers, col)
            if len(truth) != len(ids) or set(truth) != set(ids):
                continue
        return ColumnRoles(col, [c for c in columns if c != col], "inferred")
    return ColumnRoles(None, list(columns), "inferred")


def column_roles(pt: PreparedTask) -> ColumnRoles:
    """The task's own roles when it states target columns, else roles inferred from its prepared files."""
    spec = pt.spec
    if spec.target_columns:
        return ColumnRoles(spec.id_column, list(spec.target_columns), "task")
    sample = pt.sample_submission_path
    if sample is None or sample.suffix.lower() != ".csv" or not sample.is_file():
        return ColumnRoles(None, [], "none")
    try:
        return infer_column_roles(sample, pt.answers_path if pt.answers_path.is_file() else None)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return ColumnRoles(None, [], "none")


def with_roles(pt: PreparedTask, roles: ColumnRoles) -> PreparedTask:
    """``pt`` whose spec carries inferred column roles, for what agents are told (task.json, instructions)."""
    if roles.source != "inferred" or roles.id_column is None:
        return pt
    spec: TaskSpec = pt.spec.model_copy(update={"id_column": roles.id_column, "target_columns": roles.target_columns})
    return replace(pt, spec=spec)
