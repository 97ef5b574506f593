"""Recipes, blends and decision rules: tuned only on out-of-fold predictions, and they help where they should."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from medalist.baselines.data import PublicData, problem_for
from medalist.baselines.experts.encoding import factor_model, target_mean
from medalist.baselines.features import detect_feature_types
from medalist.baselines.recipes import (
    Preds,
    Recipe,
    TaskData,
    as_proba,
    build_view,
    combine,
    decide,
    fit_function,
    make_folds,
)
from medalist.baselines.recipes.blend import hill_climb, oof_score
from medalist.baselines.recipes.factor import als_fit_predict
from medalist.baselines.recipes.image import deskew, gradient_histograms
from medalist.baselines.zoo import plan_blends
from medalist.errors import MedalistError
from medalist.metrics import get_metric
from medalist.tasks.spec import TaskSpec


def _task(
    metric: str,
    X: pd.DataFrame,
    y: np.ndarray,
    task_type: str = "binary-classification",
    Xt: pd.DataFrame | None = None,
) -> TaskData:
    spec = TaskSpec(id="synthetic", name="synthetic", task_type=task_type, metric=metric, target_columns=["y"])
    Xt = X.head(50) if Xt is None else Xt
    cols = list(X.columns)
    problem = problem_for(spec, ["id", *cols, "y"], ["id", *cols])
    classes, codes = (
        np.unique(y, return_inverse=True) if problem.is_classification else (np.array([]), y.reshape(-1, 1))
    )
    return TaskData(
        spec=spec,
        problem=problem,
        public=PublicData(X, pd.Series(y, name="y"), Xt, pd.Series(range(len(Xt)))),
        types=detect_feature_types(X),
        y=codes,
        classes=classes,
        folds=make_folds(codes, problem.is_classification),
        metric=get_metric(metric),
    )


def _imbalanced(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], n)})
    logit = 1.5 * X["a"] - X["b"] + (X["c"] == "x") * 0.8 - 2.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_cross_fit_predicts_every_training_row_out_of_fold() -> None:
    X, y = _imbalanced()
    task = _task("roc_auc", X, y)
    r = Recipe("logreg", {"C": 1.0})
    preds = fit_function(r.family)(r, build_view(r.view, task), task)
    assert preds.oof.shape == (len(y), 2) and preds.test.shape == (50, 2)
    assert np.allclose(preds.oof.sum(axis=1), 1) and (preds.oof[:, 1] > 0).all()
    assert oof_score(task, preds.oof) > 0.75


def test_tuned_threshold_beats_argmax_for_f1_on_a_rare_class() -> None:
    X, y = _imbalanced()
    task = _task("f1", X, y)
    r = Recipe("lgbm", {"lr": 0.1, "leaves": 7})
    preds = fit_function(r.family)(r, build_view(r.view, task), task)
    default, tuned = decide(task, preds, "default"), decide(task, preds, "tuned")
    assert tuned.rule == "threshold" and tuned.params[0] < 0.5
    assert oof_score(task, tuned.apply(task, preds.oof)) > oof_score(task, default.apply(task, preds.oof)) + 0.02
    labels = tuned.apply(task, preds.test)
    assert set(np.unique(labels)) <= {0, 1}


def test_ordinal_cut_points_raise_quadratic_kappa() -> None:
    rng = np.random.default_rng(1)
    n = 1500
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    latent = X["a"] + 0.5 * X["b"] + rng.normal(scale=0.8, size=n)
    y = np.digitize(latent, [0.8, 1.8])  # ordinal, the top class rare
    task = _task("quadratic_weighted_kappa", X, y, "multiclass-classification")
    r = Recipe("logreg", {"C": 1.0})
    preds = fit_function(r.family)(r, build_view(r.view, task), task)
    tuned = decide(task, preds, "tuned")
    assert tuned.rule == "ordinal" and len(tuned.params) == 2
    assert oof_score(task, tuned.apply(task, preds.oof)) > oof_score(
        task, decide(task, preds, "default").apply(task, preds.oof)
    )


def test_ensemble_selection_is_no_worse_than_its_best_member_and_weights_sum_to_one() -> None:
    X, y = _imbalanced()
    task = _task("roc_auc", X, y)
    fitted = []
    for r in (Recipe("logreg", {"C": 1.0}), Recipe("knn", {"k": 15}), Recipe("lgbm", {"lr": 0.1, "leaves": 7})):
        fitted.append(fit_function(r.family)(r, build_view(r.view, task), task))
    w = hill_climb(fitted, task)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    blend, weights = combine(fitted, task, "hill")
    assert oof_score(task, blend.oof) >= max(oof_score(task, p.oof) for p in fitted) - 1e-12
    stacked, _ = combine(fitted, task, "stack")
    assert stacked.oof.shape == fitted[0].oof.shape and oof_score(task, stacked.oof) > 0.75
    assert blend.seconds >= sum(p.seconds for p in fitted)


def test_softmax_calibration_keeps_every_argmax() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=300)})
    y = rng.integers(0, 3, 300)
    task = _task("accuracy", X, y, "multiclass-classification")
    scores = rng.normal(size=(300, 3)) * 5
    p = as_proba(Preds(scores, scores[:50], "score", 0.0), task)
    assert p.kind == "proba" and np.allclose(p.oof.sum(axis=1), 1)
    assert (p.oof.argmax(axis=1) == scores.argmax(axis=1)).all()


def test_target_mean_never_uses_a_rows_own_label() -> None:
    X, y = _imbalanced(500)
    task = _task("roc_auc", X, y)
    unique_keys = pd.Series([f"k{i}" for i in range(len(y))])
    tr, te = target_mean(unique_keys, pd.Series(["k0", "new"]), task, smoothing=1.0)
    # every training key occurs once: out of fold, its encoding is the other folds' mean, not its label
    for fit_rows, enc_rows in task.folds:
        assert np.allclose(tr[enc_rows], y[fit_rows].mean())
    assert te[0] == pytest.approx((y[0] + y.mean()) / 2) and te[1] == pytest.approx(y.mean())


def test_blend_plan_is_deterministic_and_uses_only_out_of_fold_scores() -> None:
    X, y = _imbalanced(300)
    task = _task("f1", X, y)
    oof = {f"r{i}": 0.5 + i / 100 for i in range(6)}
    a, b = plan_blends(task, oof, 20, seed=0), plan_blends(task, oof, 20, seed=0)
    assert [x.name for x in a] == [x.name for x in b]
    strong = [x for x in a if x.tier == "strong"]
    assert len(strong) == 12 and {x.rule for x in strong} == {"default", "tuned"}
    experts = [x for x in a if x.tier == "expert"]
    assert len(experts) == 20 and len({x.name for x in experts}) == 20
    assert experts[0].recipes[0] == "r5"  # ranked by out-of-fold score, best first


def test_deskew_straightens_a_slanted_stroke_and_histograms_are_normalised() -> None:
    img = np.zeros((1, 28, 28))
    for r in range(4, 24):
        img[0, r, 8 + r // 2] = 1.0  # a stroke leaning right
    straight = deskew(img)
    cols = np.argwhere(straight[0] > 0.3)[:, 1]
    assert np.ptp(cols) <= 3 < np.ptp(np.argwhere(img[0] > 0.3)[:, 1])
    h = gradient_histograms(np.random.default_rng(0).random((3, 28, 28)), cell=4)
    assert h.shape == (3, 49 * 9)
    assert np.allclose(np.linalg.norm(h.reshape(3, 49, 9), axis=2), 1, atol=1e-3)


def test_near_copies_are_not_distinct_solutions() -> None:
    from medalist.baselines.leaderboard import distinct

    labels = np.repeat([0.0, 1.0, 2.0], 400)
    other = labels.copy()
    other[:2] = 1.0  # two rows differ: the same solution
    assert not distinct(labels, other)
    other[:20] = 2.0
    assert distinct(labels, other)
    values = np.linspace(1, 100, 1000)
    assert not distinct(values, values * 1.0001)
    assert distinct(values, values * 1.05)


def test_constant_guess_is_the_no_skill_end_of_the_oof_span() -> None:
    from medalist.baselines.leaderboard import constant_oof_score

    X, y = _imbalanced()
    assert constant_oof_score(_task("roc_auc", X, y)) == pytest.approx(0.5)
    assert constant_oof_score(_task("f1", X, y)) == 0.0  # the majority class is 0: no positive predicted
    reg = _task("rmse", X, np.linspace(0, 1, len(y)), "regression")
    assert constant_oof_score(reg) == pytest.approx(np.std(np.linspace(0, 1, len(y))), rel=1e-6)


def test_board_admits_distinct_solutions_and_spaces_blends_out_of_fold() -> None:
    from medalist.baselines.leaderboard import Board

    board = Board(np.array([0, 1, 2]), spacing=0.01)
    labels = np.repeat([0.0, 1.0, 2.0], 400)
    board.keep(labels, 0.90)  # a blend
    assert not board.admits(labels.copy())  # a crowd model that ignores its seed: the same solution
    other = labels.copy()
    other[:30] = 2.0
    assert board.admits(other)  # a distinct crowd or single-recipe entry (no out-of-fold spacing)
    assert not board.admits(other, 0.905)  # a blend within the spacing of a kept blend's out-of-fold score
    assert board.admits(other, 0.92)
    board.keep(other)  # a single recipe at any out-of-fold score leaves room for blends near it


def test_composition_leaves_the_crowd_a_share_of_any_population() -> None:
    from medalist.baselines.leaderboard import MIN_SINGLE_SHARE, composition
    from medalist.errors import MedalistError

    big_zoo = composition(160, strong=120)
    assert sum(big_zoo.values()) == 160 and big_zoo["single"] >= MIN_SINGLE_SHARE * 160
    small_zoo = composition(160, strong=10)
    assert small_zoo["strong"] == 10 and sum(small_zoo.values()) == 160
    with pytest.raises(MedalistError, match="no room"):
        composition(5, strong=10)


def _ratings(n_users: int = 120, n_items: int = 80, n: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Ratings from user and item biases plus a rank-2 taste interaction, with noise."""
    rng = np.random.default_rng(seed)
    u, i = rng.integers(n_users, size=n), rng.integers(n_items, size=n)
    pu, qi = rng.normal(size=(n_users, 2)), rng.normal(size=(n_items, 2))
    bu, bi = rng.normal(0, 0.5, n_users), rng.normal(0, 0.5, n_items)
    y = 3.0 + bu[u] + bi[i] + np.sum(pu[u] * qi[i], axis=1) + rng.normal(0, 0.3, n)
    return pd.DataFrame({"user": [f"u{k}" for k in u], "item": [f"i{k}" for k in i]}), y


def test_matrix_factorisation_learns_tastes_that_biases_alone_miss() -> None:
    X, y = _ratings()
    task = _task("rmse", X, y, task_type="regression")
    scores = {}
    for k in (0, 4):
        r = Recipe("mf", {"users": "user", "items": "item", "factors": k, "reg": 0.02, "iters": 10}, seed=1)
        preds = fit_function("mf")(r, build_view("base", task), task)
        assert preds.oof.shape == (len(y), 1) and np.isfinite(preds.test).all()
        scores[k] = oof_score(task, preds.oof)
    assert scores[4] < 0.6 < scores[0]  # the noise floor is 0.3; biases alone leave the interaction (~1.4)


def test_matrix_factorisation_predicts_an_unseen_user_from_the_item_alone() -> None:
    users, items = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    ratings = np.array([5.0, 1.0, 5.0, 1.0])
    pred = als_fit_predict(
        users, items, ratings, (np.array([-1, 7]), np.array([0, 1])), factors=2, reg=0.1, iters=5, seed=0
    )
    assert pred[0] > 3.0 > pred[1]  # mean + item bias: item 0 is liked, item 1 is not


def test_matrix_factorisation_rejects_a_classification_task() -> None:
    X, y = _imbalanced(300)
    task = _task("roc_auc", X.assign(user=X["c"], item=X["c"]), y)
    r = Recipe("mf", {"users": "user", "items": "item"})
    with pytest.raises(MedalistError, match="one numeric rating target"):
        fit_function("mf")(r, build_view("base", task), task)


def test_factor_model_feature_is_out_of_fold() -> None:
    X, y = _ratings(n=3000)
    task = _task("rmse", X, y, task_type="regression")
    ids = (X["user"], X["item"])
    before, _ = factor_model(ids, ids, task, factors=2)
    fit_rows, enc_rows = task.folds[0]
    y2 = y.copy()
    y2[enc_rows] += 5.0  # only the first fold's own ratings change
    changed = _task("rmse", X, y2, task_type="regression")
    after, _ = factor_model(ids, ids, changed, factors=2)
    assert np.allclose(before[enc_rows], after[enc_rows])
    assert not np.allclose(before[fit_rows], after[fit_rows])


def test_perceptron_and_polynomial_kernel_recipes_beat_the_constant() -> None:
    X, y = _imbalanced(600)
    task = _task("roc_auc", X, y)
    for r in (
        Recipe("mlp", {"hidden": (32,), "alpha": 0.01, "max_iter": 100}, seed=3),
        Recipe("svm", {"C": 1.0, "kernel": "poly", "degree": 2}, seed=4),
    ):
        preds = fit_function(r.family)(r, build_view(r.view, task), task)
        assert roc_auc_score(y, preds.oof[:, -1]) > 0.7, r.name  # P(1), or the SVM's decision score


def test_multiclass_boosting_raises_a_small_rate_unless_told_to_keep_it() -> None:
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = np.digitize(X["a"] + 0.5 * X["b"] + rng.normal(scale=0.5, size=400), [-1.0, 0.0, 1.0])
    task = _task("multiclass_log_loss", X, y, task_type="multiclass-classification")

    def oof(params: dict[str, object]) -> np.ndarray:
        r = Recipe("lgbm", {"leaves": 7, "rounds": 60, **params}, seed=1)
        return fit_function(r.family)(r, build_view(r.view, task), task).oof

    floored, at_floor = oof({"lr": 0.01}), oof({"lr": 0.08})
    kept = oof({"lr": 0.01, "keep_lr": True})
    np.testing.assert_allclose(floored, at_floor)  # 0.01 was raised to the multi-class floor
    assert np.abs(kept - floored).max() > 0.01  # keep_lr trains at 0.01: other (flatter) probabilities
    assert kept.max() < floored.max()
