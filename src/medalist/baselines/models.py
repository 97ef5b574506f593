"""Model configurations and the scikit-learn pipelines they build.

A :class:`ModelConfig` is plain data (family, hyper-parameters, feature choice, training fraction,
seed) so populations can be listed in provenance files and rebuilt exactly. :func:`build_model`
turns one into an unfitted pipeline for a task's column types and problem kind.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.naive_bayes import ComplementNB, GaussianNB, MultinomialNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from medalist.baselines.data import Problem
from medalist.baselines.features import FeatureTypes, datetime_part_columns
from medalist.errors import MedalistError

Family = Literal[
    "constant",
    "linear",
    "knn",
    "tree",
    "random_forest",
    "extra_trees",
    "hist_gb",
    "lightgbm",
    "naive_bayes",
    "svm",
    "mlp",
]
FAMILIES: tuple[str, ...] = get_args(Family)
KNN_MAX_TRAIN_ROWS = 3000
"""kNN memorises its training set; more rows than this make prediction slow for little gain."""
BOOSTING_TREE_BUDGET = 3000
"""Multi-class boosting grows one tree per class per round; beyond this many trees in total, rounds
are cut and the learning rate raised in proportion, keeping cost bounded with 10 or 26 classes."""


@dataclass(frozen=True)
class ModelConfig:
    """One reference solution: model family and hyper-parameters, feature choice, data fraction, seed.

    ``features`` is ``all``, ``numeric`` (numeric and date columns only) or ``subset:F`` (a random
    fraction F of the columns, drawn with ``seed``).
    """

    family: str
    params: dict[str, Any] = field(default_factory=dict)
    features: str = "all"
    train_fraction: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise MedalistError(f"unknown model family {self.family!r} (known: {', '.join(FAMILIES)})")
        if not 0 < self.train_fraction <= 1:
            raise MedalistError(f"train_fraction must be in (0, 1], got {self.train_fraction}")
        if not (self.features in ("all", "numeric") or self.features.startswith("subset:")):
            raise MedalistError(f"features must be 'all', 'numeric' or 'subset:F', got {self.features!r}")

    @property
    def name(self) -> str:
        """A readable unique-ish label, e.g. ``lightgbm(lr=0.05,n_estimators=300)|all|f=1|s=3``."""
        ps = ",".join(f"{k}={short_value(v)}" for k, v in sorted(self.params.items()))
        return f"{self.family}({ps})|{self.features}|f={self.train_fraction:g}|s={self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


def short_value(v: Any) -> str:
    """A parameter value as it appears in a member's name (floats in %g, sequences joined by '-')."""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "-".join(map(str, v))
    return str(v)


# ---------------------------------------------------------------- preprocessing


def _text_vectorizer(params: dict[str, Any], *, for_trees: bool) -> TfidfVectorizer | CountVectorizer:
    ngram = tuple(params.get("ngram", (1, 1)))
    max_features = int(params.get("max_features", 300 if for_trees else 20000))
    if params.get("vectorizer", "tfidf") == "count":
        return CountVectorizer(max_features=max_features, ngram_range=ngram, min_df=2, lowercase=True)
    return TfidfVectorizer(
        max_features=max_features,
        ngram_range=ngram,
        min_df=2,
        sublinear_tf=True,
        lowercase=True,
        dtype=np.float32,
    )


def build_preprocessor(types: FeatureTypes, family: str, params: dict[str, Any]) -> ColumnTransformer:
    """Column handling per family: scaled one-hot for linear/kNN/NB, ordinal codes for trees.

    Dates must already be expanded (see :func:`medalist.baselines.features.normalise_frame`).
    """
    numeric = [*types.numeric, *datetime_part_columns(types.datetime)]
    trees = family in ("tree", "random_forest", "extra_trees", "hist_gb", "lightgbm")
    parts: list[tuple[str, Any, Any]] = []
    if family == "naive_bayes" and types.text:
        for i, col in enumerate(types.text):
            parts.append((f"text{i}", _text_vectorizer(params, for_trees=False), col))
        return ColumnTransformer(parts, remainder="drop")
    if numeric:
        if trees and family in ("hist_gb", "lightgbm"):
            parts.append(("num", "passthrough", numeric))
        elif trees:
            parts.append(("num", SimpleImputer(strategy="median", keep_empty_features=True), numeric))
        else:
            parts.append(
                (
                    "num",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    numeric,
                )
            )
    if types.categorical:
        if trees:
            enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64)
        else:
            enc = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=5,
                max_categories=int(params.get("max_categories", 30)),
                sparse_output=family != "naive_bayes",
            )
        parts.append(("cat", enc, types.categorical))
    for i, col in enumerate(types.text):
        parts.append((f"text{i}", _text_vectorizer(params, for_trees=trees), col))
    if not parts:
        raise MedalistError("no usable feature columns")
    dense = trees or family in ("naive_bayes",)
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0 if dense else 0.3)


# ---------------------------------------------------------------- estimators


def _lgbm_params(p: dict[str, Any], seed: int) -> dict[str, Any]:
    return dict(
        n_estimators=int(p.get("n_estimators", 200)),
        learning_rate=float(p.get("learning_rate", 0.1)),
        num_leaves=int(p.get("num_leaves", 31)),
        min_child_samples=int(p.get("min_child_samples", 20)),
        subsample=float(p.get("subsample", 1.0)),
        subsample_freq=1 if p.get("subsample", 1.0) < 1 else 0,
        colsample_bytree=float(p.get("colsample_bytree", 1.0)),
        reg_lambda=float(p.get("reg_lambda", 0.0)),
        random_state=seed,
        n_jobs=1,
        verbose=-1,
        deterministic=True,
        force_row_wise=True,
    )


def _classifier(family: str, p: dict[str, Any], seed: int) -> Any:
    cw = p.get("class_weight")
    if family == "constant":
        return DummyClassifier(strategy=p.get("strategy", "prior"))
    if family == "linear":
        return LogisticRegression(C=float(p.get("C", 1.0)), max_iter=int(p.get("max_iter", 300)), class_weight=cw)
    if family == "knn":
        return KNeighborsClassifier(n_neighbors=int(p.get("n_neighbors", 15)), weights=p.get("weights", "uniform"))
    if family == "tree":
        return DecisionTreeClassifier(
            max_depth=p.get("max_depth"),
            min_samples_leaf=int(p.get("min_samples_leaf", 1)),
            class_weight=cw,
            random_state=seed,
        )
    if family in ("random_forest", "extra_trees"):
        cls = RandomForestClassifier if family == "random_forest" else ExtraTreesClassifier
        return cls(
            n_estimators=int(p.get("n_estimators", 100)),
            max_depth=p.get("max_depth"),
            max_features=p.get("max_features", "sqrt"),
            min_samples_leaf=int(p.get("min_samples_leaf", 1)),
            class_weight=cw,
            n_jobs=1,
            random_state=seed,
        )
    if family == "hist_gb":
        return HistGradientBoostingClassifier(
            max_iter=int(p.get("max_iter", 100)),
            learning_rate=float(p.get("learning_rate", 0.1)),
            max_leaf_nodes=int(p.get("max_leaf_nodes", 31)),
            l2_regularization=float(p.get("l2", 0.0)),
            class_weight=cw,
            early_stopping=False,
            random_state=seed,
        )
    if family == "lightgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier(**_lgbm_params(p, seed), class_weight=cw)
    if family == "naive_bayes":
        if p.get("variant") == "gaussian":
            return GaussianNB()
        return (ComplementNB if p.get("variant") == "complement" else MultinomialNB)(alpha=float(p.get("alpha", 1.0)))
    if family == "svm":
        return SVC(
            C=float(p.get("C", 1.0)),
            gamma=p.get("gamma", "scale"),
            probability=True,
            class_weight=cw,
            random_state=seed,
        )
    if family == "mlp":
        return MLPClassifier(**_mlp_params(p, seed))
    raise MedalistError(f"family {family!r} has no classifier")


def _mlp_params(p: dict[str, Any], seed: int) -> dict[str, Any]:
    return dict(
        hidden_layer_sizes=tuple(p.get("hidden", (100,))),
        alpha=float(p.get("alpha", 1e-4)),
        learning_rate_init=float(p.get("lr", 1e-3)),
        max_iter=int(p.get("max_iter", 200)),
        early_stopping=True,
        n_iter_no_change=10,
        random_state=seed,
    )


def _regressor(family: str, p: dict[str, Any], seed: int, multi_output: bool) -> Any:
    if family == "constant":
        return DummyRegressor(strategy=p.get("strategy", "mean"))
    if family == "linear":
        return Ridge(alpha=float(p.get("alpha", 1.0)))
    if family == "knn":
        return KNeighborsRegressor(n_neighbors=int(p.get("n_neighbors", 15)), weights=p.get("weights", "uniform"))
    if family == "tree":
        return DecisionTreeRegressor(
            max_depth=p.get("max_depth"), min_samples_leaf=int(p.get("min_samples_leaf", 1)), random_state=seed
        )
    if family in ("random_forest", "extra_trees"):
        cls = RandomForestRegressor if family == "random_forest" else ExtraTreesRegressor
        mf = p.get("max_features", 0.5)
        return cls(
            n_estimators=int(p.get("n_estimators", 100)),
            max_depth=p.get("max_depth"),
            max_features=mf,
            min_samples_leaf=int(p.get("min_samples_leaf", 1)),
            n_jobs=1,
            random_state=seed,
        )
    if family == "hist_gb":
        est: Any = HistGradientBoostingRegressor(
            max_iter=int(p.get("max_iter", 100)),
            learning_rate=float(p.get("learning_rate", 0.1)),
            max_leaf_nodes=int(p.get("max_leaf_nodes", 31)),
            l2_regularization=float(p.get("l2", 0.0)),
            early_stopping=False,
            random_state=seed,
        )
        return MultiOutputRegressor(est) if multi_output else est
    if family == "lightgbm":
        from lightgbm import LGBMRegressor

        est = LGBMRegressor(**_lgbm_params(p, seed))
        return MultiOutputRegressor(est) if multi_output else est
    if family == "svm":
        est = SVR(C=float(p.get("C", 1.0)), gamma=p.get("gamma", "scale"), epsilon=float(p.get("epsilon", 0.1)))
        return MultiOutputRegressor(est) if multi_output else est
    if family == "mlp":
        return MLPRegressor(**_mlp_params(p, seed))
    raise MedalistError(f"family {family!r} has no regressor")


def scale_boosting(params: dict[str, Any], family: str, n_classes: int) -> dict[str, Any]:
    """Params with boosting rounds capped by :data:`BOOSTING_TREE_BUDGET` for ``n_classes`` > 2."""
    key = {"lightgbm": "n_estimators", "hist_gb": "max_iter"}.get(family)
    if key is None or n_classes <= 2:
        return params
    rounds = int(params.get(key, 200 if family == "lightgbm" else 100))
    factor = BOOSTING_TREE_BUDGET / (rounds * n_classes)
    if factor >= 1:
        return params
    lr = float(params.get("learning_rate", 0.1))
    return {**params, key: max(10, int(rounds * factor)), "learning_rate": round(min(0.3, max(lr, lr / factor)), 4)}


def build_model(config: ModelConfig, types: FeatureTypes, problem: Problem, n_classes: int = 2) -> Pipeline:
    """An unfitted pipeline (preprocessing + estimator) for ``config`` on columns ``types``.

    Regressors with ``params['log_target']`` learn log1p(y) and predict expm1 of it, which suits
    non-negative skewed targets and log-error metrics. ``n_classes`` bounds multi-class boosting
    cost (see :func:`scale_boosting`).
    """
    p = scale_boosting(dict(config.params), config.family, n_classes)
    if config.family == "naive_bayes" and not types.text:
        p["variant"] = "gaussian"  # count-based NB needs non-negative word counts; scaled numbers are not
    if problem.is_classification:
        est = _classifier(config.family, p, config.seed)
    else:
        est = _regressor(config.family, p, config.seed, problem.multi_output)
        if config.family in ("svm", "mlp"):  # both assume targets of unit scale
            est = TransformedTargetRegressor(regressor=est, transformer=StandardScaler())
        if p.get("log_target"):
            est = TransformedTargetRegressor(regressor=est, func=_log1p, inverse_func=np.expm1, check_inverse=False)
    return Pipeline([("features", build_preprocessor(types, config.family, p)), ("model", est)])


def _log1p(y: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(y, 0, None))
