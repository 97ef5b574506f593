"""The crowd of the reference population is reproducible, spans naive to reasonable, and has distinct members."""

from __future__ import annotations

import pytest

from medalist.baselines import FeatureTypes, ModelConfig, Problem, crowd_population
from medalist.errors import MedalistError

CLS = Problem("classification", ("y",), ("y",))
REG = Problem("regression", ("y",), ("y",))
TAB = FeatureTypes(numeric=["a", "b"], categorical=["c"])
TXT = FeatureTypes(numeric=["n"], text=["t"])


def _names(pop: list[tuple[str, ModelConfig]]) -> list[str]:
    return [m.name for _, m in pop]


def test_same_seed_same_crowd_and_other_seed_differs() -> None:
    a = _names(crowd_population(CLS, TAB, naive=12, single=48, seed=0))
    b = _names(crowd_population(CLS, TAB, naive=12, single=48, seed=0))
    c = _names(crowd_population(CLS, TAB, naive=12, single=48, seed=1))
    assert a == b
    assert a != c
    assert len(set(a)) == 60


def test_crowd_tiers_span_naive_to_reasonable_single_models() -> None:
    pop = crowd_population(CLS, TAB, naive=12, single=48, seed=0)
    naive = [m for t, m in pop if t == "naive"]
    single = [m for t, m in pop if t == "single"]
    assert len(naive) == 12 and len(single) == 48
    assert naive[0].family == "constant" and {m.params.get("max_depth") for m in naive[1:3]} == {1, 2}
    # reasonable single models use every training row (no fraction members outside the naive tier)
    assert all(m.train_fraction == 1.0 for m in single)
    assert sum(m.features == "all" for m in single) >= 0.6 * len(single)
    assert {m.train_fraction for m in naive} > {1.0}
    families = {m.family for m in single}
    assert {"linear", "knn", "random_forest", "extra_trees", "hist_gb", "lightgbm"} <= families


def test_text_crowd_has_vectorizer_members() -> None:
    pop = [m for _, m in crowd_population(CLS, TXT, naive=5, single=45, seed=0)]
    nb = [m for m in pop if m.family == "naive_bayes"]
    assert nb and all(m.params.get("variant") in ("multinomial", "complement") for m in nb)
    assert any(m.family == "linear" and m.params.get("ngram") == (1, 2) for m in pop)


def test_log_target_only_for_regression_when_asked() -> None:
    assert not any("log_target" in m.params for _, m in crowd_population(REG, TAB, naive=5, single=35, seed=0))
    logged = [
        m
        for _, m in crowd_population(REG, TAB, naive=5, single=35, seed=0, log_target=True)
        if m.params.get("log_target")
    ]
    assert len(logged) >= 5


def test_too_small_population_is_rejected() -> None:
    with pytest.raises(MedalistError, match="at least 10"):
        crowd_population(CLS, TAB, naive=1, single=2)


def test_model_config_validates_and_names() -> None:
    cfg = ModelConfig(
        "lightgbm", {"n_estimators": 10, "learning_rate": 0.5}, features="subset:0.5", train_fraction=0.25, seed=4
    )
    assert cfg.name == "lightgbm(learning_rate=0.5,n_estimators=10)|subset:0.5|f=0.25|s=4"
    assert cfg.to_dict()["params"] == {"n_estimators": 10, "learning_rate": 0.5}
    with pytest.raises(MedalistError, match="unknown model family"):
        ModelConfig("gaussian_process")
    with pytest.raises(MedalistError, match="train_fraction"):
        ModelConfig("linear", train_fraction=0)
    with pytest.raises(MedalistError, match="features must be"):
        ModelConfig("linear", features="some")


def test_imbalanced_label_tasks_get_more_class_weighting() -> None:
    plain = crowd_population(CLS, TAB, naive=10, single=50, seed=0)
    rare = crowd_population(CLS, TAB, naive=10, single=50, seed=0, imbalanced=True)

    def count(pop: list) -> int:
        return sum(m.params.get("class_weight") == "balanced" for _, m in pop)

    assert count(rare) > count(plain) + 5


def test_multiclass_boosting_rounds_are_capped() -> None:
    from medalist.baselines import scale_boosting
    from medalist.baselines.models import BOOSTING_TREE_BUDGET

    p = {"n_estimators": 500, "learning_rate": 0.04}
    assert scale_boosting(p, "lightgbm", 2) == p
    assert scale_boosting(p, "linear", 26) == p
    s = scale_boosting(p, "lightgbm", 26)
    assert s["n_estimators"] * 26 <= BOOSTING_TREE_BUDGET and s["learning_rate"] > 0.04
    assert scale_boosting({"max_iter": 50}, "hist_gb", 10) == {"max_iter": 50}


def test_single_members_are_what_practitioners_try_for_the_data() -> None:
    tab = crowd_population(CLS, TAB, naive=10, single=90, seed=0, rows=3000)
    single = [m for t, m in tab if t == "single"]
    assert {"svm", "mlp"} <= {m.family for m in single}
    # no underfit boosting in the single tier: enough rounds at the drawn rate
    for m in single:
        if m.family == "lightgbm":
            assert m.params["n_estimators"] * m.params["learning_rate"] >= 6
    big = [m for t, m in crowd_population(CLS, TAB, naive=10, single=90, seed=0, rows=80_000) if t == "single"]
    assert "svm" not in {m.family for m in big}  # kernel SVMs scale quadratically with rows
    pixels = [
        m.family
        for t, m in crowd_population(CLS, TAB, naive=10, single=90, seed=0, pixels=True, rows=2000)
        if t == "single"
    ]
    assert pixels.count("svm") + pixels.count("knn") + pixels.count("mlp") > len(pixels) / 2
