"""Reference recipes: models cross-fitted on a task's shared folds, blends, stacks and tuned decisions."""

from medalist.baselines.recipes import factor, forest, gbm, linear, text  # noqa: F401  (registers the families)
from medalist.baselines.recipes.base import Preds, Recipe, View, cross_fit, family, fit_function
from medalist.baselines.recipes.blend import Decision, as_proba, combine, decide, oof_score
from medalist.baselines.recipes.task import TaskData, load_task_data, make_folds
from medalist.baselines.recipes.views import build_view

__all__ = [
    "Decision",
    "Preds",
    "Recipe",
    "TaskData",
    "View",
    "as_proba",
    "build_view",
    "combine",
    "cross_fit",
    "decide",
    "family",
    "fit_function",
    "load_task_data",
    "make_folds",
    "oof_score",
]
