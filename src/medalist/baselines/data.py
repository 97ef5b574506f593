"""Read a prepared task's public files and work out what kind of prediction it asks for.

Conventions the built-in tasks follow (and user tasks should): ``train.csv`` holds the features plus
the label column(s); ``test.csv`` holds the same features without them, so the label columns are the
train columns missing from test. A multi-column probability metric (e.g. ``multiclass_log_loss``)
wants one submission column per class, named exactly as the class labels of the single train label
column. A binary probability metric (``roc_auc``, ``log_loss``, ``gini``) wants P(label == 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import pandas as pd

from medalist.errors import MedalistError
from medalist.metrics import get_metric
from medalist.tasks.spec import TaskSpec

ProblemKind = Literal["classification", "binary_probability", "multiclass_probability", "regression"]


class PublicData(NamedTuple):
    """Training features and labels, test features and ids, as read from a task's public folder."""

    X_train: pd.DataFrame
    y_train: pd.Series | pd.DataFrame
    X_test: pd.DataFrame
    test_ids: pd.Series


@dataclass(frozen=True)
class Problem:
    """What a task's submission must contain, derived from its spec and metric."""

    kind: ProblemKind
    label_columns: tuple[str, ...]
    submission_columns: tuple[str, ...]

    @property
    def is_classification(self) -> bool:
        return self.kind != "regression"

    @property
    def multi_output(self) -> bool:
        return self.kind == "regression" and len(self.label_columns) > 1


def problem_for(
    spec: TaskSpec, train_columns: list[str] | None = None, test_columns: list[str] | None = None
) -> Problem:
    """Classify the task; label columns come from spec targets, or from train-minus-test columns.

    For multi-column probability metrics the single label column is the train column test lacks;
    without ``train_columns``/``test_columns`` it is left empty (enough for building submissions).
    """
    metric = get_metric(spec.metric)
    targets = tuple(spec.target_columns)
    if metric.prediction == "probability" and metric.multi_column:
        if train_columns is None or test_columns is None:
            return Problem("multiclass_probability", (), targets)
        extra = [c for c in train_columns if c not in set(test_columns) and c != spec.id_column]
        if len(extra) != 1:
            raise MedalistError(
                f"task {spec.id!r}: expected exactly one label column in train.csv that test.csv lacks, got {extra}"
            )
        return Problem("multiclass_probability", (extra[0],), targets)
    if metric.prediction == "probability":
        return Problem("binary_probability", targets, targets)
    if metric.prediction == "label":
        return Problem("classification", targets, targets)
    if metric.prediction == "numeric":
        return Problem("regression", targets, targets)
    raise MedalistError(f"task {spec.id!r}: metric {spec.metric!r} ({metric.prediction} predictions) is not supported")


def read_public_csv(path: Path, id_column: str) -> pd.DataFrame:
    """Read a public CSV, keeping the id column's values as written."""
    if not path.is_file():
        raise MedalistError(f"{path}: file not found (is the task prepared?)")
    return pd.read_csv(path, low_memory=False)


def load_public(public_dir: Path, spec: TaskSpec) -> PublicData:
    """Load ``train.csv`` and ``test.csv`` from a prepared task's public folder.

    Returns features without the id column, the label column (a Series, or a DataFrame for several
    numeric targets), test features in the same column order, and the test ids.
    """
    public_dir = Path(public_dir)
    train = read_public_csv(public_dir / "train.csv", spec.id_column)
    test = read_public_csv(public_dir / "test.csv", spec.id_column)
    if spec.id_column not in test.columns:
        raise MedalistError(f"{public_dir / 'test.csv'}: no id column {spec.id_column!r}")
    problem = problem_for(spec, list(train.columns), list(test.columns))
    missing = [c for c in problem.label_columns if c not in train.columns]
    if missing:
        raise MedalistError(f"{public_dir / 'train.csv'}: label column(s) {missing} not found")
    features = [c for c in test.columns if c != spec.id_column and c in train.columns]
    labels = list(problem.label_columns)
    y: pd.Series | pd.DataFrame = train[labels[0]] if len(labels) == 1 else train[labels]
    return PublicData(
        X_train=train[features].reset_index(drop=True),
        y_train=y.reset_index(drop=True),
        X_test=test[features].reset_index(drop=True),
        test_ids=test[spec.id_column].reset_index(drop=True),
    )
