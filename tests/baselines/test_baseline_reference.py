"""fit_predict trains on public data and produces submissions the grader accepts and scores sensibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medalist.baselines import (
    MemberResult,
    ModelConfig,
    fit_predict,
    leaderboard_frame,
    load_public,
    sample_rows,
    score_submission_like_grader,
    select_features,
)
from medalist.baselines.features import FeatureTypes
from medalist.grading import read_answers
from medalist.tasks import TaskRegistry, ensure_prepared


@pytest.fixture(scope="module")
def reg() -> TaskRegistry:
    return TaskRegistry.default()


def test_load_public_splits_features_labels_and_ids(reg: TaskRegistry) -> None:
    pt = ensure_prepared(reg.get("wine-cultivar"))
    data = load_public(pt.public, pt.spec)
    assert data.y_train.name == "cultivar"
    assert "cultivar" not in data.X_train.columns and "id" not in data.X_train.columns
    assert list(data.X_train.columns) == list(data.X_test.columns)
    assert len(data.test_ids) == len(data.X_test) == 53
    bike = ensure_prepared(reg.get("bike-sharing-demand"))
    bd = load_public(bike.public, bike.spec)
    assert isinstance(bd.y_train, pd.DataFrame) and list(bd.y_train.columns) == ["casual", "registered"]


@pytest.mark.parametrize(
    "task", ["penguins-species", "wine-cultivar", "breast-cancer-diagnosis", "diabetes-progression"]
)
def test_strong_model_beats_constant(reg: TaskRegistry, task: str) -> None:
    pt = ensure_prepared(reg.get(task))
    data = load_public(pt.public, pt.spec)
    answers = read_answers(pt)
    higher = not pt.spec.metric.startswith(("rmse", "multiclass_log_loss"))
    const = "mean" if task == "diabetes-progression" else "prior"
    s_const = score_submission_like_grader(
        pt, fit_predict(ModelConfig("constant", {"strategy": const}), data, pt.spec), answers
    )
    model = ModelConfig("linear", {"C": 1.0} if task != "diabetes-progression" else {"alpha": 1.0})
    sub = fit_predict(model, data, pt.spec)
    assert list(sub.columns) == [pt.spec.id_column, *pt.spec.target_columns]
    s_model = score_submission_like_grader(pt, sub, answers)
    assert (s_model > s_const) if higher else (s_model < s_const)


def test_text_task_with_tfidf_and_naive_bayes(reg: TaskRegistry) -> None:
    pt = ensure_prepared(reg.get("newsgroups-autos-electronics"))
    data = load_public(pt.public, pt.spec)
    sub = fit_predict(ModelConfig("naive_bayes", {"variant": "multinomial", "alpha": 0.1}), data, pt.spec)
    assert score_submission_like_grader(pt, sub, read_answers(pt)) > 0.85


def test_fit_predict_is_deterministic(reg: TaskRegistry) -> None:
    pt = ensure_prepared(reg.get("breast-cancer-diagnosis"))
    data = load_public(pt.public, pt.spec)
    cfg = ModelConfig(
        "lightgbm", {"n_estimators": 30, "subsample": 0.7}, features="subset:0.5", train_fraction=0.5, seed=9
    )
    a, b = fit_predict(cfg, data, pt.spec), fit_predict(cfg, data, pt.spec)
    pd.testing.assert_frame_equal(a, b)


def test_sample_rows_is_stratified_and_reproducible() -> None:
    y = pd.Series([0] * 90 + [1] * 10)
    rows = sample_rows(y, 50, seed=1, stratify=True)
    assert len(rows) == 50 and (y.iloc[rows] == 1).sum() == 5
    assert np.array_equal(rows, sample_rows(y, 50, seed=1, stratify=True))
    assert len(sample_rows(y, 500, seed=1, stratify=True)) == 100


def test_select_features_subset_and_numeric() -> None:
    types = FeatureTypes(numeric=["a", "b", "c", "d"], categorical=["e", "f"])
    sub = select_features(types, ModelConfig("tree", features="subset:0.5", seed=3))
    assert len(sub.all) == 3 and set(sub.all) <= set(types.all)
    assert select_features(types, ModelConfig("tree", features="numeric")).categorical == []


def test_leaderboard_frame_orders_and_ranks_ties() -> None:
    res = [MemberResult(f"m{i}", "single", "tree", s, 0.0) for i, s in enumerate([0.5, 0.9, 0.9, None, 0.7])]
    up = leaderboard_frame(res, is_lower_better=False)
    assert up["score"].tolist() == [0.9, 0.9, 0.7, 0.5]
    assert up["rank"].tolist() == [1, 1, 3, 4]
    down = leaderboard_frame(res, is_lower_better=True)
    assert down["score"].tolist() == [0.5, 0.7, 0.9, 0.9] and down["rank"].tolist() == [1, 2, 3, 3]
