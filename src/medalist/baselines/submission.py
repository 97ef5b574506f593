"""Turn model predictions into a submission frame in exactly the task's format."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from medalist.baselines.data import Problem, problem_for
from medalist.errors import MedalistError
from medalist.tasks.spec import TaskSpec


def _positive_column(classes: Sequence[object]) -> int:
    """Index of the positive class (label 1 / True) among a binary classifier's classes."""
    for i, c in enumerate(classes):
        if str(c) in ("1", "1.0", "True", "true"):
            return i
    raise MedalistError(f"binary probability tasks need labels 0/1; got classes {list(classes)}")


def make_submission(
    spec: TaskSpec,
    test_ids: pd.Series | Sequence[object],
    predictions: np.ndarray | pd.Series | pd.DataFrame | Sequence[object],
    *,
    classes: Sequence[object] | None = None,
    problem: Problem | None = None,
) -> pd.DataFrame:
    """Build ``id, target...`` for the task from predictions.

    ``predictions`` is one of: 1-D labels (label metrics); 1-D P(label == 1) or a 2-D
    ``predict_proba`` array with ``classes`` (binary probability metrics); a 2-D probability array
    with ``classes`` or a DataFrame whose columns are class labels (multi-column probability
    metrics); 1-D or 2-D numbers (regression, columns in target order).
    """
    problem = problem or problem_for(spec)
    ids = pd.Series(np.asarray(test_ids), name=spec.id_column)
    out = pd.DataFrame({spec.id_column: ids})
    if isinstance(predictions, pd.DataFrame):
        if classes is None:
            classes = list(predictions.columns)
        predictions = predictions.to_numpy()
    arr = np.asarray(predictions)
    if arr.shape[0] != len(ids):
        raise MedalistError(f"got {arr.shape[0]} predictions for {len(ids)} test ids")
    cols = list(problem.submission_columns)
    if problem.kind == "classification":
        if arr.ndim != 1:
            raise MedalistError("label metrics need one predicted label per row")
        out[cols[0]] = arr
    elif problem.kind == "binary_probability":
        if arr.ndim == 2:
            if classes is None:
                raise MedalistError("pass classes= with a 2-D probability array")
            arr = arr[:, _positive_column(classes)]
        out[cols[0]] = np.clip(arr.astype(float), 0.0, 1.0)
    elif problem.kind == "multiclass_probability":
        if arr.ndim != 2 or classes is None:
            raise MedalistError("multi-column probability metrics need a 2-D probability array and classes=")
        by_name = {str(c): j for j, c in enumerate(classes)}
        unknown = [c for c in cols if c not in by_name]
        for c in cols:
            out[c] = np.clip(arr[:, by_name[c]].astype(float), 0.0, 1.0) if c in by_name else 0.0
        if len(unknown) == len(cols):
            raise MedalistError(f"none of the submission columns {cols} is among the classes {list(classes)}")
    else:
        values = arr.astype(float).reshape(len(ids), -1)
        if values.shape[1] != len(cols):
            raise MedalistError(f"expected {len(cols)} numeric prediction column(s), got {values.shape[1]}")
        for j, c in enumerate(cols):
            out[c] = values[:, j]
    return out
