"""The seattle-pets expert: the name's encodings and stacked text models never see a row's own label."""

from __future__ import annotations

import dataclasses

import numpy as np

from medalist.baselines.experts import expert_for
from medalist.baselines.recipes import load_task_data
from medalist.tasks import BUILTIN_DIR, TaskRegistry, ensure_prepared


def test_pets_name_features_are_out_of_fold_for_training_rows() -> None:
    spec = TaskRegistry(roots=[BUILTIN_DIR]).get("seattle-pets")
    task = load_task_data(ensure_prepared(spec).public, spec)
    expert = expert_for("seattle-pets")
    assert expert is not None and expert.features is not None and expert.text == ("animal_name",)
    train, test = task.public.X_train, task.public.X_test
    tr, te = expert.features(train, test, task)
    assert len(tr) == len(train) and len(te) == len(test) and list(tr.columns) == list(te.columns)
    assert "cat" not in tr.columns and "license_issue_date" not in tr.columns
    learned = ["animal_name_word_model", "animal_name_char_model", "te_name", "te_zip"]
    assert np.isfinite(tr[learned].to_numpy()).all() and np.isfinite(te[learned].to_numpy()).all()

    # Flip the labels of one fold's rows: what those rows see must not move (their labels are out of
    # fold for them), while the other rows' and the test rows' encodings do.
    fit_rows, held = task.folds[0]
    y = np.asarray(task.y).copy()
    y[held] = 1 - y[held]
    tr2, te2 = expert.features(train, test, dataclasses.replace(task, y=y))
    for col in learned:
        np.testing.assert_allclose(tr2[col].to_numpy()[held], tr[col].to_numpy()[held], err_msg=col)
        assert not np.allclose(tr2[col].to_numpy()[fit_rows], tr[col].to_numpy()[fit_rows]), col
        assert not np.allclose(te2[col].to_numpy(), te[col].to_numpy()), col
