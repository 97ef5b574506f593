"""Column roles inferred where a task does not state them (MLE-bench): id column and targets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_mlebench import checkout, place_raw  # noqa: F401  (checkout is a fixture)

from medalist.runner.layout import task_info
from medalist.runner.models import RunLimits
from medalist.tasks import TaskRegistry, prepare_task
from medalist.tasks.columns import ColumnRoles, column_roles, infer_column_roles


def _csv(path: Path, **cols: list) -> Path:
    pd.DataFrame(cols).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("sample", "answers", "expected"),
    [
        (
            {"PassengerId": ["0001_01", "0002_01"], "Transported": [False, False]},
            None,
            ColumnRoles("PassengerId", ["Transported"], "inferred"),
        ),
        (
            {"id": [1, 2, 3], "a": [0.5] * 3, "b": [0.5] * 3},
            {"id": [3, 2, 1], "a": [1, 0, 0], "b": [0, 1, 1]},
            ColumnRoles("id", ["a", "b"], "inferred"),
        ),
        # the first column repeats values: not the id
        (
            {"label": ["x", "x", "y"], "key": ["k1", "k2", "k3"], "p": [0, 0, 0]},
            None,
            ColumnRoles("key", ["label", "p"], "inferred"),
        ),
        # unique, but not the answers' ids: the next column is
        (
            {"row": [1, 2, 3], "id": ["a", "b", "c"], "y": [0, 0, 0]},
            {"row": [7, 8, 9], "id": ["c", "b", "a"], "y": [1, 1, 1]},
            ColumnRoles("id", ["row", "y"], "inferred"),
        ),
        ({"y": [0, 0]}, None, ColumnRoles(None, ["y"], "inferred")),
    ],
)
def test_infer_column_roles(tmp_path: Path, sample: dict, answers: dict | None, expected: ColumnRoles) -> None:
    answers_path = _csv(tmp_path / "answers.csv", **answers) if answers else None
    assert infer_column_roles(_csv(tmp_path / "sample.csv", **sample), answers_path) == expected


def test_mlebench_task_json_carries_inferred_roles(checkout: Path) -> None:  # noqa: F811
    reg = TaskRegistry(roots=[], mlebench_dirs=[checkout])
    place_raw("toy-accuracy", reg)
    pt = prepare_task(reg.get("toy-accuracy"))
    assert pt.spec.target_columns == []  # MLE-bench says nothing about columns
    roles = column_roles(pt)
    assert roles == ColumnRoles("id", ["label"], "inferred")
    info = task_info(pt, RunLimits(time_limit_secs=60), roles)
    assert (info["id_column"], info["target_columns"], info["column_roles"]) == ("id", ["label"], "inferred")
    assert info["spec"]["id_column"] == "id" and info["spec"]["target_columns"] == ["label"]


def test_builtin_tasks_keep_their_stated_roles(tmp_path: Path) -> None:
    from medalist.tasks.cache import PreparedTask

    for spec in TaskRegistry().tasks.values():
        roles = column_roles(PreparedTask(spec=spec, root=tmp_path))
        assert roles == ColumnRoles(spec.id_column, list(spec.target_columns), "task")
