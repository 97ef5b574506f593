"""How many tuned single LightGBM models beat the automl agent on a built-in task?

A diagnostic for the medal-share target of the built-in suite (docs/suite.md, "Why automl medals so
often"). It draws LightGBM configurations from the ranges the crowd's single models use
(:mod:`medalist.baselines.population`), tunes each one as a practitioner would (early stopping on a
15% holdout of the public train.csv, then a refit on every training row at 1.15x the best round count)
and grades it on the task's answers. The report counts the draws that beat the automl score recorded in
the task's leaderboard provenance. The answers are read only to report; nothing is selected on them.

Usage: .venv/bin/python scripts/tuned_singles.py TASK [--draws 20]
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import typer
from sklearn.model_selection import train_test_split

from medalist.baselines.data import load_public
from medalist.errors import MedalistError
from medalist.grading.grade import read_answers, score_frame
from medalist.metrics import get_metric
from medalist.tasks import BUILTIN_DIR, TaskRegistry, TaskSpec, ensure_prepared

HOLDOUT = 0.15
REFIT_FACTOR = 1.15


def draw_params(rng: np.random.Generator, seed: int) -> dict[str, Any]:
    """One LightGBM configuration from the crowd's single-model ranges, with room for early stopping."""

    def pick(*options: Any) -> Any:
        return options[int(rng.integers(len(options)))]

    return {
        "learning_rate": pick(0.02, 0.05, 0.1),
        "num_leaves": pick(15, 31, 63),
        "colsample_bytree": pick(0.6, 0.8, 1.0),
        "subsample": pick(0.7, 0.8, 1.0),
        "subsample_freq": 1,
        "min_child_samples": pick(10, 20, 50),
        "reg_lambda": pick(0.0, 1.0),
        "n_estimators": 5000,
        "verbose": -1,
        "random_state": seed,
    }


def _frames(spec: TaskSpec, public: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Training and test features (text and categories as LightGBM categoricals), labels and test ids."""
    pub = load_public(public, spec)
    both = pd.concat([pub.X_train, pub.X_test])
    for col in both.columns:
        if not pd.api.types.is_numeric_dtype(both[col]):
            both[col] = both[col].astype(str).astype("category")
    n = len(pub.X_train)
    y = pub.y_train if isinstance(pub.y_train, pd.Series) else pub.y_train.iloc[:, 0]
    return both.iloc[:n], both.iloc[n:], y, pub.test_ids.astype(str)


def tuned_scores(task_id: str, draws: int) -> tuple[TaskSpec, list[float]]:
    """Test scores of ``draws`` tuned LightGBM singles on ``task_id`` (single-target tasks only)."""
    spec = TaskRegistry.default().get(task_id)
    if len(spec.target_columns) != 1:
        raise typer.BadParameter(f"{task_id} has {len(spec.target_columns)} targets; only single-target tasks")
    pt = ensure_prepared(spec)
    metric = get_metric(spec.metric)
    x_train, x_test, y, ids = _frames(spec, pt.public)
    answers = read_answers(pt)
    column = spec.target_columns[0]
    regression = spec.task_type == "regression"
    log_target = spec.metric == "rmsle"
    classes = None if regression else sorted(pd.unique(y))
    target = (
        (np.log1p(y) if log_target else y)
        if regression
        else pd.Series(pd.Categorical(y, categories=classes).codes, index=y.index)
    )
    one_column = len(pd.read_csv(pt.public / "sample_submission.csv", nrows=1).columns) == 2
    rng = np.random.default_rng(7)
    scores = []
    model_class = lgb.LGBMRegressor if regression else lgb.LGBMClassifier
    for seed in range(draws):
        params = draw_params(rng, seed)
        fit, hold = train_test_split(
            np.arange(len(x_train)), test_size=HOLDOUT, random_state=seed, stratify=None if regression else target
        )
        model = model_class(**params).fit(
            x_train.iloc[fit],
            target.iloc[fit],
            eval_set=[(x_train.iloc[hold], target.iloc[hold])],
            callbacks=[lgb.early_stopping(100, verbose=False)],
        )
        params["n_estimators"] = int(max(model.best_iteration_, 10) * REFIT_FACTOR)
        model = model_class(**params).fit(x_train, target)
        if regression:
            pred = model.predict(x_test)
            sub = pd.DataFrame({column: np.expm1(pred) if log_target else pred})
        elif metric.prediction == "label":
            sub = pd.DataFrame({column: np.asarray(classes)[model.predict_proba(x_test).argmax(1)]})
        elif one_column:
            sub = pd.DataFrame({column: model.predict_proba(x_test)[:, 1]})
        else:
            sub = pd.DataFrame(model.predict_proba(x_test), columns=[str(c) for c in classes or []])
        sub.insert(0, spec.id_column, ids.values)
        scores.append(score_frame(spec, sub, answers))
    return spec, scores


def main(
    task: Annotated[str, typer.Argument(help="A built-in task with an automl row in its provenance.")],
    draws: Annotated[int, typer.Option(help="LightGBM configurations to draw.")] = 20,
) -> None:
    """Print the tuned singles' scores and how many beat the recorded automl score."""
    warnings.filterwarnings("ignore", module="lightgbm")  # its eval_set deprecation notices
    path = BUILTIN_DIR / task / "leaderboard_provenance.json"
    if not path.is_file():
        raise typer.BadParameter(f"{task!r} is not a built-in task with a leaderboard")
    provenance = json.loads(path.read_text())
    automl = ((provenance.get("calibration") or {}).get("automl") or {}).get("score")
    if automl is None:
        raise typer.BadParameter(f"{task}'s provenance records no automl score; calibrate it first")
    try:
        spec, scores = tuned_scores(task, draws)
    except MedalistError as exc:
        raise typer.BadParameter(str(exc)) from None
    higher = get_metric(spec.metric).higher_is_better
    beat = sum((s > automl) if higher else (s < automl) for s in scores)
    best = max(scores) if higher else min(scores)
    typer.echo(
        f"{task}: automl {automl:.5g}; {draws} tuned LightGBM singles: median {np.median(scores):.5g}, "
        f"best {best:.5g}, {beat} beat automl"
    )


if __name__ == "__main__":
    typer.run(main)
