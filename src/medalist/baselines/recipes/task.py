"""What every recipe sees: a task's public data, label encoding and shared cross-validation folds.

Everything here comes from the public files an agent gets (``train.csv``, ``test.csv``); the folds
are fixed per task so out-of-fold predictions of different recipes line up and can be blended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold

from medalist.baselines.data import Problem, PublicData, load_public, problem_for
from medalist.baselines.features import FeatureTypes, detect_feature_types
from medalist.metrics import Metric, get_metric
from medalist.tasks.spec import TaskSpec

FOLD_SEED = 0


def fold_count(n_rows: int) -> int:
    """Folds of the shared cross-validation: 5, or fewer on large tasks to bound the build's cost."""
    return 5 if n_rows <= 20_000 else 4 if n_rows <= 50_000 else 3


@dataclass
class TaskData:
    """Public data of one task in the shape recipes use.

    ``y`` is the class index into ``classes`` (classification) or a float matrix ``(n, targets)``
    (regression); ``folds`` are the task's shared K-fold splits of the training rows.
    """

    spec: TaskSpec
    problem: Problem
    public: PublicData
    types: FeatureTypes
    y: np.ndarray
    classes: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]
    metric: Metric
    cache: dict[str, object] = field(default_factory=dict)

    @property
    def is_classification(self) -> bool:
        return self.problem.is_classification

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_train(self) -> int:
        return len(self.y)

    @property
    def y_float(self) -> np.ndarray:
        """Regression targets as ``(n, targets)`` floats."""
        return np.asarray(self.y, dtype=float).reshape(len(self.y), -1)

    def score(self, y_true: np.ndarray, values: np.ndarray) -> float:
        """The task metric on training-label arrays (for tuning on out-of-fold predictions)."""
        return float(self.metric(y_true, values, **self.spec.metric_args))

    def better(self, a: float, b: float) -> bool:
        return a > b if self.metric.higher_is_better else a < b


def make_folds(
    y: np.ndarray, classification: bool, n_folds: int = 5, seed: int = FOLD_SEED
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold for classes (when every class has ``n_folds`` rows), plain K-fold otherwise."""
    zeros = np.zeros(len(y))
    if classification and np.bincount(y).min() >= n_folds:
        return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(zeros, y))
    return list(KFold(n_folds, shuffle=True, random_state=seed).split(zeros))


def load_task_data(public_dir: Path, spec: TaskSpec, n_folds: int | None = None) -> TaskData:
    """Read a prepared task's public files and encode its labels."""
    data = load_public(public_dir, spec)
    label_cols = [data.y_train.name] if isinstance(data.y_train, pd.Series) else list(data.y_train.columns)
    cols = list(data.X_train.columns)
    problem = problem_for(spec, [spec.id_column, *cols, *map(str, label_cols)], [spec.id_column, *cols])
    if problem.is_classification:
        assert isinstance(data.y_train, pd.Series)
        classes, y = np.unique(data.y_train.to_numpy(), return_inverse=True)
    else:
        classes = np.array([])
        y = np.asarray(data.y_train, dtype=float).reshape(len(data.y_train), -1)
    return TaskData(
        spec=spec,
        problem=problem,
        public=data,
        types=detect_feature_types(data.X_train),
        y=y,
        classes=classes,
        folds=make_folds(y, problem.is_classification, n_folds or fold_count(len(y))),
        metric=get_metric(spec.metric),
    )
