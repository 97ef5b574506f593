"""The strong end of a reference population: a task's recipe zoo and the blends built from it.

The zoo holds what a strong competitor trains for a task of this shape: tuned gradient boosting
(several parameter sets and seeds, on the expert's features when the task has an expert), bagged
trees, regularised linear models, kernel and neighbour models, TF-IDF models for text and pixel
models for images, plus the recipes the task's expert adds. Every recipe is cross-fitted on the
task's shared folds; blends and decision rules are then tuned on out-of-fold predictions only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medalist.baselines.experts import expert_for
from medalist.baselines.recipes import Recipe, TaskData
from medalist.baselines.recipes.blend import Combine, Rule

LARGE_ROWS = 40_000
"""Above this many training rows, slow recipes (kNN, kernel SVMs, big forests) are left out."""
KERNEL_MAX_ROWS = 15_000
BREADTH_ROWS = 12_000
"""Up to this many training rows a task gets the full breadth of extra recipes; up to LARGE_ROWS, two."""


def _log_target(task: TaskData) -> bool:
    return (
        (not task.is_classification)
        and bool(task.y_float.min() >= 0)
        and task.metric.name in ("rmsle", "smape", "mae", "mcrmse", "rmse", "r2")
    )


def default_zoo(task: TaskData) -> list[Recipe]:
    """Generic strong recipes for a task's shape (before the expert's additions)."""
    expert = expert_for(task.spec.id)
    v = "expert" if expert is not None and expert.features is not None else "base"
    n = task.n_train
    pixels = "image" in task.spec.tags
    text = bool(task.types.text)
    out: list[Recipe] = []
    if pixels:
        return _image_zoo(task)
    tabular = bool(task.types.numeric or task.types.categorical or task.types.datetime) or v == "expert"
    big = n > LARGE_ROWS
    if tabular:
        out += _tabular_zoo(task, v, big)
    if text:
        out += _text_zoo(task)
    return out


def _tabular_zoo(task: TaskData, v: str, big: bool) -> list[Recipe]:
    reg = not task.is_classification
    gb = [
        {"lr": 0.03, "leaves": 31, "min_child": 20, "colsample": 0.7, "subsample": 0.8, "l2": 1.0},
        {"lr": 0.03, "leaves": 15, "min_child": 40, "colsample": 0.5, "subsample": 0.7, "l2": 5.0},
        {"lr": 0.02, "leaves": 63, "min_child": 10, "colsample": 0.6, "subsample": 0.8, "l2": 2.0, "max_bin": 511},
        {"lr": 0.03, "leaves": 31, "min_child": 20, "colsample": 0.5, "subsample": 0.8, "extra_trees": True},
    ]
    if big:  # faster rates and fewer parameter sets keep large tasks within the build budget
        gb = [{**gb[0], "lr": 0.06}, {**gb[2], "lr": 0.05, "leaves": 127}]
    logs = [{}, {"target": "log"}] if _log_target(task) else [{}]
    variants: list[dict[str, Any]] = logs
    if task.metric.name == "mae":
        variants = [{"objective": "l1"}, {"target": "log"}] if _log_target(task) else [{"objective": "l1"}, {}]
    elif task.metric.name == "rmsle":
        variants = [{"target": "log"}]
    out = [Recipe("lgbm", {**params, **var}, view=v, seed=i) for i, params in enumerate(gb) for var in variants]
    out.append(Recipe("hgb", {"lr": 0.05, "leaves": 31, "l2": 1.0, **logs[-1]}, view=v, seed=7))
    forest: dict[str, Any] = {"trees": 200 if big else 400, "min_leaf": 2 if big else 1, **logs[-1]}
    if big:
        forest["max_samples"] = 0.5
    out.append(Recipe("et", dict(forest), view=v, seed=8))
    out.append(Recipe("rf", dict(forest), view=v, seed=9))
    if reg:
        out.append(Recipe("ridge", {"alpha": 3.0, "numeric": "spline", **logs[-1]}, view=v))
    else:
        out.append(Recipe("logreg", {"C": 0.3, "numeric": "spline"}, view=v))
    if not big:
        out.append(Recipe("knn", {"k": 25, "weights": "distance", "numeric": "quantile"}, view=v))
    if task.n_train <= KERNEL_MAX_ROWS and not task.types.text:
        out.append(Recipe("svm", {"C": 2.0, "numeric": "quantile", **logs[-1]}, view=v))
    if not big:
        out += _breadth(task, v, variants, logs[-1])
    return out


def _breadth(task: TaskData, v: str, variants: list[dict[str, Any]], lg: dict[str, Any]) -> list[Recipe]:
    """More distinct strong recipes on tasks small enough to afford them: other parameter sets, the plain
    features next to the expert's, other linear/kernel/neighbour settings (a field, not one model)."""
    medium = task.n_train > BREADTH_ROWS
    plain = bool(task.types.numeric or task.types.categorical or task.types.datetime)
    out = (
        [Recipe("lgbm", {"lr": 0.05, "leaves": 31, **variants[0]}, view="base", seed=10)]
        if v == "expert" and plain
        else []
    )
    out.append(
        Recipe(
            "lgbm",
            {"lr": 0.02, "leaves": 7, "min_child": 30, "colsample": 0.4, "subsample": 0.7, **variants[-1]},
            view=v,
            seed=11,
        )
    )
    if medium:
        return out
    reg = not task.is_classification
    out += [
        Recipe(
            "lgbm",
            {"lr": 0.04, "leaves": 127, "min_child": 5, "colsample": 0.9, "subsample": 0.6, "l2": 10.0, **variants[0]},
            view=v,
            seed=12,
        ),
        Recipe("et", {"trees": 400, "min_leaf": 3, "max_features": 0.6, **lg}, view=v, seed=13),
        Recipe("rf", {"trees": 400, "min_leaf": 2, "max_features": 0.3, **lg}, view=v, seed=14),
        Recipe("knn", {"k": 10, "weights": "distance", "numeric": "scale"}, view=v, seed=15),
        Recipe("knn", {"k": 50, "weights": "uniform", "numeric": "quantile"}, view=v, seed=16),
        Recipe("svm", {"C": 0.5, "numeric": "scale", **lg}, view=v, seed=17),
        Recipe("svm", {"C": 8.0, "numeric": "quantile", **lg}, view=v, seed=18),
    ]
    if reg:
        out += [
            Recipe("ridge", {"alpha": 30.0, "numeric": "quantile", **lg}, view=v, seed=19),
            Recipe("enet", {"alpha": 1e-3, "l1_ratio": 0.9, "numeric": "spline", **lg}, view=v, seed=20),
        ]
    else:
        out += [
            Recipe("logreg", {"C": 0.03, "numeric": "quantile"}, view=v, seed=19),
            Recipe("logreg", {"C": 3.0, "numeric": "spline", "knots": 10}, view=v, seed=20),
        ]
    return out


def _text_zoo(task: TaskData) -> list[Recipe]:
    out = []
    if task.is_classification:
        out.append(Recipe("logreg", {"C": 8.0, "text": "word"}, view="base", seed=11))
        out.append(Recipe("logreg", {"C": 8.0, "text": "char"}, view="base", seed=12))
        out.append(Recipe("linsvm", {"C": 0.3, "text": "both"}, view="base", seed=13))
        out.append(Recipe("logreg", {"C": 2.0, "text": "word", "word_ngram": (1, 1)}, view="base", seed=15))
        out.append(Recipe("logreg", {"C": 40.0, "text": "char", "char_ngram": (1, 3)}, view="base", seed=16))
        out.append(Recipe("linsvm", {"C": 0.05, "text": "word"}, view="base", seed=17))
        if task.n_classes == 2:
            out.append(Recipe("nbsvm", {"C": 4.0, "text": "both", "text_only": True}, view="base", seed=14))
            out.append(
                Recipe(
                    "nbsvm", {"C": 1.0, "text": "word", "word_ngram": (1, 1), "text_only": True}, view="base", seed=18
                )
            )
    else:
        out.append(Recipe("ridge", {"alpha": 3.0, "text": "both"}, view="base", seed=11))
    return out


def _image_zoo(task: TaskData) -> list[Recipe]:
    small = task.public.X_train.shape[1] <= 100
    c = 10.0 if small else 5.0
    raw = {"numeric": "raw"}  # pixels are already on one scale
    return [
        Recipe("svm", {"C": c, **raw}, view="pixels", seed=1),
        Recipe("svm", {"C": c, **raw}, view="deskew", seed=2),
        Recipe("svm", {"C": c, **raw}, view="deskew_hog", seed=3),
        Recipe("svm", {"C": c, "augment": "shift", **raw}, view="deskew", seed=8),
        Recipe("svm", {"C": 1.0, **raw}, view="pixels", seed=9),
        Recipe("svm", {"C": 30.0, **raw}, view="deskew_hog", seed=10),
        Recipe("knn", {"k": 4, "weights": "distance", **raw}, view="deskew", seed=4),
        Recipe("knn", {"k": 4, "weights": "distance", "augment": "shift", **raw}, view="deskew", seed=11),
        Recipe("knn", {"k": 1, **raw}, view="pixels", seed=12),
        Recipe("logreg", {"C": 0.5, **raw}, view="deskew_hog", seed=5),
        Recipe("logreg", {"C": 0.05, **raw}, view="pixels", seed=13),
        Recipe(
            "lgbm",
            {"lr": 0.1, "leaves": 15, "colsample": 0.15, "min_child": 10, "max_bin": 63, "rounds": 400},
            view="deskew_hog",
            seed=6,
        ),
        Recipe("et", {"trees": 400}, view="deskew", seed=7),
    ]


def task_zoo(task: TaskData) -> list[Recipe]:
    """The default zoo plus the expert's extra recipes (distinct names, stable order)."""
    expert = expert_for(task.spec.id)
    recipes = default_zoo(task) + list(expert.recipes if expert else ())
    first: dict[str, Recipe] = {}
    for r in recipes:
        first.setdefault(r.name, r)
    return list(first.values())


@dataclass(frozen=True)
class Blend:
    """A zoo-based entry: one recipe or a blend of several, combined and decided as named."""

    recipes: tuple[str, ...]
    combine: Combine | None
    rule: Rule
    tier: str = "strong"
    note: str = ""

    @property
    def name(self) -> str:
        head = self.recipes[0] if self.combine is None else f"{self.combine}[{' + '.join(self.recipes)}]"
        return f"{head}|{self.rule}"


def tunable(task: TaskData) -> bool:
    """Whether a tuned decision rule differs from the default for this task's metric."""
    kind = task.problem.kind
    return kind == "classification" or kind == "multiclass_probability" or task.metric.name in ("smape", "mae")


@dataclass
class BlendPlan:
    """Zoo-based entries chosen from out-of-fold scores (never from test answers)."""

    entries: list[Blend] = field(default_factory=list)

    def add(self, blend: Blend) -> None:
        if blend.name not in {b.name for b in self.entries}:
            self.entries.append(blend)


COMBINE_RANDOM: tuple[Combine, ...] = ("hill", "mean", "stack")  # how a random subset is combined


def plan_blends(task: TaskData, oof_scores: dict[str, float], count: int, seed: int) -> list[Blend]:
    """Single-recipe entries (default and tuned rule) and ``count`` expert blends of the zoo.

    Blends: ensemble selection and stacking over the whole zoo, means of the best few recipes by
    out-of-fold score, and seeded random subsets of the zoo combined by selection, mean or stacking.
    """
    rules: list[Rule] = ["default", "tuned"] if tunable(task) else ["default"]
    ranked = sorted(oof_scores, key=lambda k: -oof_scores[k] if task.metric.higher_is_better else oof_scores[k])
    plan = BlendPlan()
    for name in ranked:
        for rule in rules:
            plan.add(Blend((name,), None, rule))
    experts = BlendPlan()
    best: Rule = rules[-1]
    everything = tuple(ranked)
    if len(ranked) >= 2:
        for how in ("hill", "stack"):
            for rule in rules:
                experts.add(Blend(everything, how, rule, tier="expert"))
        for k in (2, 3, 5, 8):
            if k <= len(ranked):
                experts.add(Blend(tuple(ranked[:k]), "mean", best, tier="expert"))
                experts.add(Blend(tuple(ranked[:k]), "hill", best, tier="expert"))
    rng = np.random.default_rng(seed)
    attempts = 0
    while len(experts.entries) < count and len(ranked) >= 3 and attempts < count * 50:
        attempts += 1
        size = int(rng.integers(2, min(7, len(ranked)) + 1))
        pick = tuple(sorted(rng.choice(len(ranked), size=size, replace=False).tolist()))
        combine: Combine = COMBINE_RANDOM[int(rng.integers(3))]
        experts.add(Blend(tuple(ranked[i] for i in pick), combine, best, tier="expert"))
    return plan.entries + experts.entries[:count]
