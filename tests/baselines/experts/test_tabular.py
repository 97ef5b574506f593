"""Tabular experts: aligned frames, ids as categories, target means out of fold, and panel histories that
never hold a row's own target (lecture-evaluations, nls-wages, college-earnings)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from medalist.baselines.experts import expert_for
from medalist.baselines.recipes import load_task_data
from medalist.tasks import BUILTIN_DIR, TaskRegistry, ensure_prepared


def test_lecture_features_keep_rows_and_never_see_a_rows_own_rating() -> None:
    spec = TaskRegistry(roots=[BUILTIN_DIR]).get("lecture-evaluations")
    task = load_task_data(ensure_prepared(spec).public, spec)
    expert = expert_for("lecture-evaluations")
    assert expert is not None and expert.features is not None
    train, test = task.public.X_train, task.public.X_test
    tr, te = expert.features(train, test, task)

    assert len(tr) == len(train) and len(te) == len(test) and list(tr.columns) == list(te.columns)
    assert "rating" not in tr.columns
    for col in ("student", "lecturer", "department"):
        assert tr[col].str.startswith("c").all()  # categorical, so linear models learn one bias per id
    means = [c for c in tr.columns if c.startswith("te_")]
    assert len(means) == 6 and np.isfinite(tr[means].to_numpy()).all() and np.isfinite(te[means].to_numpy()).all()

    # Change the ratings of one fold's rows: those rows' own encodings must not move (their ratings are
    # out of fold for them), while the other folds' encodings and the test rows' do.
    fit_rows, held = task.folds[0]
    y = np.asarray(task.y, dtype=float).copy()
    y[held] = 6.0 - y[held]
    flipped = dataclasses.replace(task, y=y)
    tr2, te2 = expert.features(train, test, flipped)
    for col in means:
        np.testing.assert_allclose(tr2[col].to_numpy()[held], tr[col].to_numpy()[held], err_msg=col)
        assert not np.allclose(tr2[col].to_numpy()[fit_rows], tr[col].to_numpy()[fit_rows]), col
        assert not np.allclose(te2[col].to_numpy(), te[col].to_numpy()), col


@pytest.mark.parametrize(
    ("task_id", "entity", "prefix", "name"),
    [("nls-wages", "person", "p", "wage"), ("college-earnings", "college", "c", "earn")],
)
def test_panel_history_never_holds_the_rows_own_target(task_id: str, entity: str, prefix: str, name: str) -> None:
    spec = TaskRegistry(roots=[BUILTIN_DIR]).get(task_id)
    task = load_task_data(ensure_prepared(spec).public, spec)
    expert = expert_for(task_id)
    assert expert is not None and expert.features is not None
    train, test = task.public.X_train, task.public.X_test
    tr, te = expert.features(train, test, task)
    history = [f"prev_{name}", "prev_gap", f"next_{name}", "next_gap", f"between_{name}"]
    assert len(tr) == len(train) and len(te) == len(test) and list(tr.columns) == list(te.columns)
    assert tr[entity].str.startswith(prefix).all() and not set(spec.target_columns) & set(tr.columns)
    assert (tr["prev_gap"].dropna() > 0).all() and (te["next_gap"].dropna() > 0).all()
    assert te[f"between_{name}"].notna().mean() > 0.9  # most test entities have other periods in train

    # Change the target of one training row per entity: those rows' history must not move (it holds only
    # the entity's other periods), while the history of its other rows does.
    first = ~train[entity].duplicated().to_numpy()
    y = np.asarray(task.y, dtype=float).copy()
    y[first] = 2.0 * y[first] + 1.0
    tr2, te2 = expert.features(train, test, dataclasses.replace(task, y=y))
    np.testing.assert_array_equal(tr2.loc[first, history].to_numpy(), tr.loc[first, history].to_numpy())
    moved = ~np.isclose(tr2.loc[~first, f"between_{name}"], tr.loc[~first, f"between_{name}"], equal_nan=True)
    assert moved.mean() > 0.3
    assert not np.allclose(te2[f"between_{name}"], te[f"between_{name}"], equal_nan=True)
