"""Per-task expert hooks: the feature engineering and extra recipes a Kaggle expert would bring.

An :class:`Expert` is registered per built-in task id. ``features(train, test, task)`` returns new
feature frames (the ``expert`` view) built from the public files only; an encoding that uses
training labels (target encoding, stacked text-model predictions) must be out-of-fold for the
training rows (see :mod:`medalist.baselines.experts.encoding`). ``recipes`` adds recipes to the
task's reference zoo; ``text`` names columns the expert view treats as free text. Tasks without
an expert get the generic zoo only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from medalist.baselines.recipes.base import Recipe
from medalist.baselines.recipes.task import TaskData

FeatureFn = Callable[[pd.DataFrame, pd.DataFrame, TaskData], tuple[pd.DataFrame, pd.DataFrame]]


@dataclass(frozen=True)
class Expert:
    """What an expert adds for one task: feature engineering, extra recipes, and a note on why."""

    task_id: str
    note: str
    features: FeatureFn | None = None
    recipes: tuple[Recipe, ...] = field(default_factory=tuple)
    text: tuple[str, ...] = field(default_factory=tuple)


RecipeSpec = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]
"""A recipe written as data: family, parameters and optionally a view."""


def numbered(first_seed: int, view: str, *specs: RecipeSpec) -> tuple[Recipe, ...]:
    """Recipes with consecutive seeds from ``first_seed``, on ``view`` unless a spec names its own: the
    grid of settings an expert tries, written as one table instead of one constructor call each."""
    out = []
    for i, (family, params, *own) in enumerate(specs):
        out.append(Recipe(family, params, view=own[0] if own else view, seed=first_seed + i))
    return tuple(out)


_EXPERTS: dict[str, Expert] = {}


def register_expert(expert: Expert) -> Expert:
    if expert.task_id in _EXPERTS:
        raise ValueError(f"expert for {expert.task_id!r} registered twice")
    _EXPERTS[expert.task_id] = expert
    return expert


def expert_for(task_id: str) -> Expert | None:
    """The registered expert of a task, or None."""
    from medalist.baselines.experts import images, tabular, text  # noqa: F401  (registration)

    return _EXPERTS.get(task_id)


def experts() -> dict[str, Expert]:
    from medalist.baselines.experts import images, tabular, text  # noqa: F401

    return dict(_EXPERTS)
