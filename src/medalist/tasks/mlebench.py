"""MLE-bench interop: competitions from a checkout of openai/mle-bench as medalist tasks.

A checkout holds ``mlebench/competitions/<id>/`` folders with ``config.yaml`` (id, name, competition_type,
awards_medals, description, dataset.answers / dataset.sample_submission, grader.grade_fn, preparer),
``leaderboard.csv`` (a ``score`` column, best first), optionally ``checksums.yaml`` (md5 of the Kaggle zip
under ``zip``), and ``experiments/splits/<name>.txt`` listing competition ids.

Each competition becomes a :class:`TaskSpec` whose ``prepare`` and ``grader`` hooks are the wrappers
below: they make the checkout importable, run MLE-bench's own ``prepare(raw, public, private)`` and
``grade(submission_df, answers) -> float``, and translate MLE-bench's ``InvalidSubmissionError`` into
medalist's. Prepared data lives in medalist's cache with MLE-bench's layout (``<id>/raw``,
``<id>/prepared/{public,private}``); raw data comes from the user or from Kaggle (see tasks/kaggle.py), or
data prepared by MLE-bench is used in place (see tasks/cache.py).

A competition that cannot be used as it is (a leaderboard left as a Git LFS pointer by ``git clone``, a
malformed config) is returned as an :class:`UnavailableTask` with its reason and fix, beside the others.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medalist.configfile import format_validation_error, read_yaml
from medalist.errors import ConfigError, InvalidSubmissionError, MedalistError
from medalist.fsutil import is_lfs_pointer
from medalist.tasks.spec import TaskSpec, UnavailableTask

SPLIT_PREFIX = "mlebench-"
SCORE_DECIMALS = 5  # MLE-bench rounds every score to 5 decimals before ranking it
_IMPORT_LOCK = threading.RLock()
PREPARE_HOOK = "medalist.tasks.mlebench:prepare_competition"


class MLEBenchDataset(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. gold_submission

    answers: str
    sample_submission: str


class MLEBenchGrader(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    grade_fn: str


class MLEBenchConfig(BaseModel):
    """One competition's ``config.yaml`` as MLE-bench writes it (unknown fields are kept, not rejected)."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    competition_type: str = "simple"
    awards_medals: bool = True
    prizes: Any = None
    description: str
    dataset: MLEBenchDataset
    grader: MLEBenchGrader
    preparer: str = Field(pattern=r"^[\w.-]+:\w+$")


def checkout_root(path: Path) -> Path:
    """The repository root of an MLE-bench checkout given the root itself or its ``mlebench/`` package."""
    path = Path(path).expanduser().resolve()
    if (path / "mlebench" / "competitions").is_dir():
        return path
    if path.name == "mlebench" and (path / "competitions").is_dir():
        return path.parent
    raise ConfigError(f"{path}: not an MLE-bench checkout (expected mlebench/competitions/<id>/config.yaml)")


class Unavailable(ConfigError):
    """A competition that is listed but cannot be used: what is wrong, and the fix."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem + (f"; {fix}" if fix else ""))
        self.problem, self.fix = problem, fix


def leaderboard_is_lower_better(path: Path) -> bool:
    """MLE-bench's rule: lower is better when the leaderboard's first score is below its last."""
    if not path.is_file():
        raise Unavailable("leaderboard.csv is missing (MLE-bench grades against it)", f"restore {path}")
    if is_lfs_pointer(path):
        raise Unavailable(
            "leaderboard.csv is a Git LFS pointer (the checkout was cloned without git-lfs)",
            f"run `git lfs install && git lfs pull` in {checkout_of(path)}",
        )
    try:
        scores = pd.read_csv(path)["score"]
    except (OSError, KeyError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise Unavailable(
            f"{path}: cannot read the leaderboard's 'score' column ({type(exc).__name__}: {exc})"
        ) from None
    if len(scores) == 0:
        raise Unavailable(f"{path}: leaderboard has no rows")
    return bool(scores.iloc[0] < scores.iloc[-1])


def checkout_of(path: Path) -> Path:
    """The checkout root holding a file of ``mlebench/competitions/<id>/``."""
    for parent in Path(path).resolve().parents:
        if (parent / "mlebench" / "competitions").is_dir():
            return parent
    return Path(path).parent


def _under_prepared(value: str, competition_id: str, cfg: Path, field: str) -> tuple[str, str]:
    """Split ``<id>/prepared/<public|private>/<rel>`` into (part, rel)."""
    for part in ("public", "private"):
        prefix = f"{competition_id}/prepared/{part}/"
        if value.startswith(prefix) and len(value) > len(prefix):
            return part, value[len(prefix) :]
    raise ConfigError(f"{cfg}: field '{field}': expected a path under {competition_id}/prepared/, got {value!r}")


def competition_spec(config_path: Path, root: Path) -> TaskSpec:
    """Turn one ``config.yaml`` into a TaskSpec whose hooks call the checkout's own prepare and grade.

    Raises :class:`Unavailable` (a ConfigError) for a competition that cannot be used as it is.
    """
    raw = read_yaml(config_path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_path}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        cfg = MLEBenchConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(config_path, exc)) from None
    comp_dir = config_path.parent
    description = root / cfg.description
    if not description.is_file():
        raise ConfigError(f"{config_path}: field 'description': file {description} does not exist")
    if is_lfs_pointer(description):
        raise Unavailable(f"{description.name} is a Git LFS pointer", f"run `git lfs pull` in {root}")
    is_lower_better = leaderboard_is_lower_better(comp_dir / "leaderboard.csv")
    answers_part, answers = _under_prepared(cfg.dataset.answers, cfg.id, config_path, "dataset.answers")
    if answers_part != "private":
        raise ConfigError(f"{config_path}: field 'dataset.answers': expected a path under {cfg.id}/prepared/private/")
    sample_part, sample = _under_prepared(
        cfg.dataset.sample_submission, cfg.id, config_path, "dataset.sample_submission"
    )
    tags = ["mlebench", cfg.competition_type] + ([] if cfg.awards_medals else ["no-medals"])
    fields: dict[str, Any] = {
        "id": cfg.id,
        "name": cfg.name,
        "description": os.path.relpath(description, comp_dir),
        "task_type": "other",
        "metric": cfg.grader.name,
        "prepare": PREPARE_HOOK,
        "prepare_args": {"checkout": str(root), "preparer": cfg.preparer, "competition_id": cfg.id},
        "grader": "medalist.tasks.mlebench:grade_competition",
        "grader_args": {"checkout": str(root), "grade_fn": cfg.grader.grade_fn},
        "is_lower_better": is_lower_better,
        "leaderboard": "leaderboard.csv",
        "answers": answers,
        # A sample kept under private/ (its public copy is compressed) is the harness's, never the agent's.
        "sample_submission": sample if sample_part == "public" else None,
        "private_sample_submission": sample if sample_part == "private" else None,
        "kaggle_competition": cfg.id,
        "kaggle_checksums": "checksums.yaml" if (comp_dir / "checksums.yaml").is_file() else None,
        "tags": tags,
        "source": f"MLE-bench checkout {root}",
    }
    try:
        spec = TaskSpec.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(config_path, exc)) from None
    spec.root = comp_dir.resolve()
    return spec


def is_mlebench_task(spec: TaskSpec) -> bool:
    """True for a task loaded from an MLE-bench checkout."""
    return spec.prepare == PREPARE_HOOK


def _read_ids(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def _unavailable(config_path: Path, exc: MedalistError) -> UnavailableTask:
    if isinstance(exc, Unavailable):
        return UnavailableTask(id=config_path.parent.name, problem=exc.problem, fix=exc.fix)
    return UnavailableTask(id=config_path.parent.name, problem=str(exc))


def load_checkout(path: Path) -> tuple[list[TaskSpec], dict[str, list[str]], list[UnavailableTask]]:
    """Every competition of a checkout, its splits named ``mlebench-<file stem>``, and the competitions
    that cannot be used (each with a one-line reason; one broken competition never hides the others).

    Split files may name competitions missing from this checkout (a partial clone); those ids are skipped.
    """
    root = checkout_root(path)
    specs: list[TaskSpec] = []
    unavailable: list[UnavailableTask] = []
    for cfg in sorted((root / "mlebench" / "competitions").glob("*/config.yaml")):
        try:
            specs.append(competition_spec(cfg, root))
        except MedalistError as exc:
            unavailable.append(_unavailable(cfg, exc))
    known = {s.id for s in specs} | {u.id for u in unavailable}
    splits: dict[str, list[str]] = {}
    split_dir = root / "experiments" / "splits"
    if split_dir.is_dir():
        for sf in sorted(split_dir.glob("*.txt")):
            splits[SPLIT_PREFIX + sf.stem] = [i for i in _read_ids(sf) if i in known]
    return specs, splits, unavailable


def _forget_other_checkouts(root: Path) -> None:
    """Drop an ``mlebench`` package imported from elsewhere so this checkout's code is the one imported."""
    mod = sys.modules.get("mlebench")
    if mod is None:
        return
    here = (root / "mlebench").resolve()
    if any(Path(p).resolve() == here for p in getattr(mod, "__path__", [])):
        return
    for name in [n for n in sys.modules if n == "mlebench" or n.startswith("mlebench.")]:
        del sys.modules[name]


@contextmanager
def importable(checkout: Path) -> Iterator[None]:
    """Put the checkout's root first on ``sys.path`` while its code is imported and run."""
    root = str(Path(checkout).resolve())
    with _IMPORT_LOCK:
        _forget_other_checkouts(Path(root))
        importlib.invalidate_caches()
        sys.path.insert(0, root)
        try:
            yield
        finally:
            try:
                sys.path.remove(root)
            except ValueError:
                pass


def import_function(checkout: Path, target: str) -> Callable[..., Any]:
    """Import ``package.module:function`` from the checkout; one-line errors for missing dependencies."""
    module_name, _, fn_name = target.partition(":")
    with importable(checkout):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or str(exc)
            if missing.split(".")[0] == "mlebench":
                raise ConfigError(
                    f"{checkout}: cannot import {module_name} ({exc}); is the checkout complete?"
                ) from None
            raise MedalistError(
                f"MLE-bench code {module_name} needs the Python package {missing!r}, which is not installed; "
                f"install MLE-bench's dependencies with `pip install -e {checkout}`"
            ) from None
        except ImportError as exc:
            raise MedalistError(
                f"cannot import MLE-bench code {module_name} ({exc}); "
                f"install MLE-bench's dependencies with `pip install -e {checkout}`"
            ) from None
    fn = getattr(module, fn_name, None)
    if not callable(fn):
        raise ConfigError(f"{checkout}: {module_name} has no function {fn_name!r}")
    return fn


def prepare_competition(
    raw: Path, public: Path, private: Path, *, checkout: str, preparer: str, competition_id: str
) -> None:
    """medalist prepare hook: run MLE-bench's ``prepare(raw=, public=, private=)`` on the Kaggle files in raw/."""
    if not any(Path(raw).iterdir()):
        raise MedalistError(
            f"raw data missing: place the unzipped Kaggle download for {competition_id!r} in {raw} "
            "(or configure Kaggle credentials so medalist downloads it)"
        )
    fn = import_function(Path(checkout), preparer)
    with importable(Path(checkout)):
        fn(raw=Path(raw), public=Path(public), private=Path(private))


def _is_their_invalid_submission(exc: BaseException) -> bool:
    helpers = sys.modules.get("mlebench.grade_helpers")
    cls = getattr(helpers, "InvalidSubmissionError", None) if helpers is not None else None
    if isinstance(cls, type) and isinstance(exc, cls):
        return True
    return type(exc).__name__ == "InvalidSubmissionError"


def read_csv(path: Path) -> pd.DataFrame:
    """Read a CSV as MLE-bench does: floats parsed exactly (pandas < 3 needs asking for it)."""
    if int(pd.__version__.split(".")[0]) < 3:
        return pd.read_csv(path, float_precision="round_trip")
    return pd.read_csv(path)


def load_answers(path: Path) -> Any:
    """Answers as MLE-bench loads them: a CSV as a DataFrame, a JSONL as a list of dicts."""
    path = Path(path)
    if path.suffix == ".csv":
        return read_csv(path)
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True).to_dict(orient="records")
    raise MedalistError(f"{path}: unsupported answers format (MLE-bench uses .csv or .jsonl)")


def grade_competition(submission: Path, answers: Path, *, checkout: str, grade_fn: str) -> float:
    """medalist grader hook: score a submission CSV with MLE-bench's ``grade(submission_df, answers)``."""
    submission = Path(submission)
    if submission.suffix.lower() != ".csv":
        raise InvalidSubmissionError(f"submission {submission} must be a .csv file")
    try:
        sub = read_csv(submission)
    except pd.errors.EmptyDataError:
        sub = pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InvalidSubmissionError(f"submission {submission} is not a readable CSV file: {first}") from None
    truth = load_answers(Path(answers))
    fn = import_function(Path(checkout), grade_fn)
    try:
        with importable(Path(checkout)):
            score = fn(sub, truth)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        if _is_their_invalid_submission(exc):
            raise InvalidSubmissionError(first or "invalid submission") from None
        raise InvalidSubmissionError(f"MLE-bench grader {grade_fn} failed: {type(exc).__name__}: {first}") from None
    if score is None:
        raise InvalidSubmissionError(f"MLE-bench grader {grade_fn} returned no score")
    return round(float(score), SCORE_DECIMALS)
