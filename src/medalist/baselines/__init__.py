"""Reference solutions and leaderboards: typed features, single models, recipe zoos, blends, populations.

Used to build the built-in tasks' leaderboards and reusable by agents::

    data = load_public(public_dir, spec)            # X_train, y_train, X_test, test_ids
    sub = fit_predict(ModelConfig("lightgbm"), data, spec)
    # or, with your own model:  make_submission(spec, data.test_ids, predictions, classes=...)
"""

from medalist.baselines.data import Problem, ProblemKind, PublicData, load_public, problem_for
from medalist.baselines.features import (
    FeatureTypes,
    detect_feature_types,
    expand_datetimes,
    model_columns,
    normalise_frame,
)
from medalist.baselines.leaderboard import (
    DEFAULT_POPULATION,
    LeaderboardBuild,
    MemberResult,
    build_leaderboard,
    leaderboard_csv,
    leaderboard_frame,
    score_aligned,
    score_submission_like_grader,
)
from medalist.baselines.models import FAMILIES, ModelConfig, build_model, build_preprocessor, scale_boosting
from medalist.baselines.population import crowd_population
from medalist.baselines.reference import fit_predict, sample_rows, select_features
from medalist.baselines.submission import make_submission
from medalist.baselines.zoo import Blend, plan_blends, task_zoo

__all__ = [
    "DEFAULT_POPULATION",
    "FAMILIES",
    "Blend",
    "FeatureTypes",
    "LeaderboardBuild",
    "MemberResult",
    "ModelConfig",
    "Problem",
    "ProblemKind",
    "PublicData",
    "build_leaderboard",
    "build_model",
    "build_preprocessor",
    "crowd_population",
    "detect_feature_types",
    "expand_datetimes",
    "fit_predict",
    "leaderboard_csv",
    "leaderboard_frame",
    "load_public",
    "make_submission",
    "model_columns",
    "normalise_frame",
    "plan_blends",
    "problem_for",
    "sample_rows",
    "scale_boosting",
    "score_aligned",
    "score_submission_like_grader",
    "select_features",
    "task_zoo",
]
