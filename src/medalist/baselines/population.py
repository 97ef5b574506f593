"""The crowd of a reference population: naive and reasonable single models, drawn reproducibly.

The strong and expert entries come from recipes (:mod:`medalist.baselines.zoo`); this module draws
the rest with a seeded random generator over model families, hyper-parameters, feature subsets and
(for naive entries only) training fractions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from medalist.baselines.data import Problem
from medalist.baselines.features import FeatureTypes
from medalist.baselines.models import ModelConfig
from medalist.errors import MedalistError

MIN_POPULATION = 10
BIG_ROWS = 40_000
"""Above this many training rows, single members get fewer trees and faster boosting rates."""
SVM_MAX_ROWS = 6_000
MLP_MAX_ROWS = 50_000
_NAIVE_FRACTIONS = (1.0, 0.5, 0.25, 0.1)
_NAIVE_FEATURES = ("subset:0.25", "subset:0.5", "numeric", "all")


def _draw_params(
    family: str,
    rng: np.random.Generator,
    problem: Problem,
    text: bool,
    balanced_share: float,
    tier: str = "naive",
    rows: int = 0,
) -> dict[str, Any]:
    """Hyper-parameters for one crowd member. Naive members draw from wide ranges (tiny forests, a few
    boosting rounds at a low rate); single members from the ranges a practitioner would try, smaller on
    large tasks to bound the build's cost."""

    def pick(*options: Any) -> Any:
        return options[int(rng.integers(len(options)))]

    reg = not problem.is_classification
    big = rows > BIG_ROWS
    p: dict[str, Any] = {}
    if tier == "naive":
        p = _naive_params(family, pick, reg)
    elif family == "linear":
        p = (
            {"alpha": pick(0.1, 0.3, 1.0, 3.0, 10.0, 30.0)}
            if reg
            else {"C": pick(0.1, 0.3, 1.0, 3.0, 10.0), "max_iter": 1000}
        )
    elif family == "knn":
        p = {"n_neighbors": pick(5, 10, 15, 25, 50), "weights": pick("uniform", "distance")}
    elif family == "tree":
        p = {"max_depth": pick(6, 8, 10, 12), "min_samples_leaf": pick(5, 10, 20)}
    elif family in ("random_forest", "extra_trees"):
        p = {
            "n_estimators": pick(100, 200) if big else pick(200, 300, 500),
            "max_depth": pick(None, 16, 24),
            "min_samples_leaf": pick(1, 2, 5),
        }
    elif family == "hist_gb":
        p = {"max_iter": pick(200, 400), "learning_rate": pick(0.05, 0.1), "max_leaf_nodes": pick(15, 31, 63)}
    elif family == "lightgbm":
        p = {
            "n_estimators": pick(200, 400) if big else pick(300, 600, 1000),
            "learning_rate": pick(0.05, 0.1) if big else pick(0.02, 0.05),
            "num_leaves": pick(15, 31, 63),
            "colsample_bytree": pick(0.6, 0.8, 1.0),
            "subsample": pick(0.7, 0.8, 1.0),
            "min_child_samples": pick(10, 20, 50),
            "reg_lambda": pick(0.0, 1.0),
        }
    elif family == "svm":
        p = {"C": pick(1.0, 3.0, 10.0)}
    elif family == "mlp":
        p = {"hidden": pick((64,), (128,), (128, 64)), "alpha": pick(1e-4, 1e-3, 1e-2)}
    elif family == "naive_bayes":
        p = {"variant": "gaussian"}
    if family == "naive_bayes" and text:
        p = {
            "variant": pick("multinomial", "complement"),
            "alpha": pick(0.01, 0.1, 0.5, 1.0),
            "vectorizer": pick("count", "tfidf"),
            "max_features": pick(2000, 10000, 50000),
            "ngram": pick((1, 1), (1, 2)),
        }
    if text and family == "linear":
        p.update({"max_features": pick(2000, 10000, 50000), "ngram": pick((1, 1), (1, 2))})
    if problem.is_classification and family in (
        "linear",
        "tree",
        "random_forest",
        "extra_trees",
        "hist_gb",
        "lightgbm",
        "svm",
    ):
        if rng.random() < balanced_share:
            p["class_weight"] = "balanced"
    return p


def _naive_params(family: str, pick: Any, reg: bool) -> dict[str, Any]:
    if family == "linear":
        return (
            {"alpha": pick(0.01, 0.1, 1.0, 10.0, 100.0)} if reg else {"C": pick(0.01, 0.1, 1.0, 10.0), "max_iter": 300}
        )
    if family == "knn":
        return {"n_neighbors": pick(1, 3, 5, 15, 31, 63), "weights": pick("uniform", "distance")}
    if family == "tree":
        return {"max_depth": pick(1, 2, 3, 5, 8, 12, None), "min_samples_leaf": pick(1, 5, 20)}
    if family in ("random_forest", "extra_trees"):
        return {
            "n_estimators": pick(10, 30, 60, 100),
            "max_depth": pick(4, 8, 16, None),
            "min_samples_leaf": pick(1, 3, 10),
        }
    if family == "hist_gb":
        return {
            "max_iter": pick(20, 50, 100, 200),
            "learning_rate": pick(0.03, 0.1, 0.3),
            "max_leaf_nodes": pick(7, 15, 31, 63),
        }
    if family == "lightgbm":
        return {
            "n_estimators": pick(25, 50, 100, 200, 400),
            "learning_rate": pick(0.02, 0.05, 0.1, 0.3),
            "num_leaves": pick(4, 15, 31, 63),
            "colsample_bytree": pick(0.5, 0.8, 1.0),
            "subsample": pick(0.7, 1.0),
            "min_child_samples": pick(5, 20, 50),
        }
    if family == "naive_bayes":
        return {"variant": "gaussian"}
    return {}


def _families(tier: str, text: bool, pixels: bool, classification: bool, rows: int) -> tuple[list[str], np.ndarray]:
    """Model families a crowd member of ``tier`` is drawn from, with their weights.

    Naive members: the classic quick models. Single members: what practitioners reach for on data of
    this kind: boosting, forests, linear, neighbours, kernel SVMs and small neural nets on tables (SVMs
    on up to ``SVM_MAX_ROWS`` rows), kernels, neighbours and nets on pixels, linear and naive Bayes on
    text.
    """
    base = {
        "linear": 0.16,
        "knn": 0.12,
        "tree": 0.10,
        "random_forest": 0.15,
        "extra_trees": 0.12,
        "hist_gb": 0.15,
        "lightgbm": 0.20,
    }
    if text or classification:
        base["naive_bayes"] = 0.22 if text else 0.04
    if text:
        base["linear"] += 0.15
    if tier == "single" and not text:
        base["tree"] = 0.03
        base["naive_bayes"] = 0.0
        base["mlp"] = 0.10 if rows <= MLP_MAX_ROWS else 0.0
        base["svm"] = 0.10 if rows <= SVM_MAX_ROWS else 0.0
        if pixels:
            base.update({"svm": 0.30, "knn": 0.20, "mlp": 0.20, "linear": 0.12, "lightgbm": 0.06, "hist_gb": 0.04})
    names = [f for f, w in base.items() if w > 0]
    w = np.asarray([base[f] for f in names], dtype=float)
    return names, w / w.sum()


def crowd_population(
    problem: Problem,
    types: FeatureTypes,
    *,
    naive: int,
    single: int,
    seed: int = 0,
    log_target: bool = False,
    imbalanced: bool = False,
    pixels: bool = False,
    rows: int = 0,
) -> list[tuple[str, ModelConfig]]:
    """The crowd below the strong entries: ``naive`` low-effort and ``single`` reasonable single models.

    Naive members are a constant guess, shallow trees and random draws (wide ranges, a feature subset
    or a fraction of the rows); single members are random draws over the model families suited to the
    data (``pixels``: an image task; ``rows``: training rows) with the hyper-parameters a practitioner
    would try, trained once on every training row (most on every feature), the way a crowd of
    competitors of mixed skill would submit. ``log_target`` (regression on a non-negative target) lets
    about half the draws learn log1p(y); ``imbalanced`` (a rare class under a label metric) makes draws
    reweight classes more often (60% instead of 25%). Returns ``(tier, config)`` pairs with distinct
    names.
    """
    if naive + single < MIN_POPULATION:
        raise MedalistError(f"a reference population needs at least {MIN_POPULATION} members, got {naive + single}")
    text = bool(types.text)
    reg = not problem.is_classification
    fixed = [
        ModelConfig("constant", {"strategy": "mean" if reg else "prior"}),
        ModelConfig("tree", {"max_depth": 1}, seed=1),
        ModelConfig("tree", {"max_depth": 2}, seed=2),
    ]
    out: list[tuple[str, ModelConfig]] = [("naive", m) for m in fixed[:naive]]
    names = {m.name for _, m in out}
    rng = np.random.default_rng(seed)
    draws = {tier: _families(tier, text, pixels, problem.is_classification, rows) for tier in ("naive", "single")}
    attempts = 0
    while len(out) < naive + single:
        attempts += 1
        if attempts > (naive + single) * 50:
            raise MedalistError("could not draw enough distinct reference configurations")
        tier = "naive" if len(out) < naive else "single"
        families, w = draws[tier]
        family = str(families[int(rng.choice(len(families), p=w))])
        params = _draw_params(family, rng, problem, text, 0.6 if imbalanced else 0.25, tier, rows)
        if log_target and family != "knn" and rng.random() < 0.5:
            params["log_target"] = True
        if tier == "naive":
            features = str(_NAIVE_FEATURES[int(rng.integers(len(_NAIVE_FEATURES)))])
            fraction = float(_NAIVE_FRACTIONS[int(rng.integers(len(_NAIVE_FRACTIONS)))])
        else:
            features = "all" if rng.random() < 0.8 else "subset:0.5"
            fraction = 1.0
        cfg = ModelConfig(
            family=family, params=params, features=features, train_fraction=fraction, seed=int(rng.integers(1_000_000))
        )
        if cfg.name not in names:
            names.add(cfg.name)
            out.append((tier, cfg))
    return out
