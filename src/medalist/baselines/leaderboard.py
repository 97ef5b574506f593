"""Build a task's leaderboard from its reference population and record how it was made.

The population has four tiers: ``naive`` (constant guesses, shallow trees, models on a few columns or
a fraction of the rows), ``single`` (reasonable single models with drawn hyper-parameters, trained
once on every row), ``strong`` (the task's recipe zoo: tuned boosting, forests, linear, kernel, text
and pixel models, cross-fitted, each with its default and its tuned decision rule) and ``expert``
(blends and stacks of the zoo). Every member sees only the public files and is tuned only on
out-of-fold predictions of the training rows. Each member's test predictions are then scored
against the private answers exactly as the grader scores an agent (after a round trip through CSV
text), and bootstrap thresholds for medal confidence are derived from all of them.
"""

from __future__ import annotations

import hashlib
import io
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medalist import __version__
from medalist.baselines.features import normalise_frame
from medalist.baselines.population import crowd_population
from medalist.baselines.recache import RecipeCache
from medalist.baselines.recipes import (
    Preds,
    Recipe,
    TaskData,
    as_proba,
    build_view,
    combine,
    decide,
    fit_function,
    load_task_data,
)
from medalist.baselines.recipes.blend import oof_score
from medalist.baselines.reference import fit_predict
from medalist.baselines.submission import make_submission
from medalist.baselines.zoo import Blend, plan_blends, task_zoo, tunable
from medalist.errors import InvalidSubmissionError, MedalistError
from medalist.grading.confidence import (
    BootstrapThresholds,
    medal_confidence,
    resampled_thresholds,
)
from medalist.grading.validate import validate_frame
from medalist.tasks.prepare import PreparedTask
from medalist.tasks.splitting import CSV_FLOAT_FORMAT

DEFAULT_POPULATION = 160
MIN_POPULATION = 10
NAIVE_SHARE = 0.10
EXPERT_SHARE = 0.45
MIN_SINGLE_SHARE = 0.10
"""At least this share of the population are the crowd's single models, however large the zoo."""
CROWD_CANDIDATES = 3
"""Crowd configurations drawn per crowd slot; one that duplicates an entry already kept is skipped."""
DUPLICATE_SLACK = 6
"""Blends planned per expert slot; blends whose predictions (nearly) duplicate an earlier entry are skipped."""
MIN_DIFFERENCE = 0.005
MIN_LABEL_ROWS = 3
MIN_OOF_SPACING = 0.0015
"""Expert blends whose out-of-fold score lies within this share of the constant-to-best span of a blend
entry already kept are near-copies of it (the audit counts entries within that share of the gold line)."""
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 14
IMBALANCED_SHARE = 0.1
"""A label-metric task whose rarest class is below this share gets more class-reweighting members."""
LEADERBOARD_COLUMNS = ["rank", "name", "score", "tier", "family"]
_LIBRARIES = ("numpy", "pandas", "scikit-learn", "lightgbm", "scipy")


@dataclass
class MemberResult:
    """One reference solution's outcome (score None when it failed)."""

    name: str
    tier: str
    family: str
    score: float | None
    seconds: float
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    values: np.ndarray | None = field(default=None, repr=False)


@dataclass
class LeaderboardBuild:
    """A generated leaderboard plus what is needed to write its provenance and bootstrap file."""

    task_id: str
    frame: pd.DataFrame
    results: list[MemberResult]
    recipes: list[dict[str, Any]]
    seed: int
    population: int
    requested: int
    composition: dict[str, int]
    seconds: float
    data_checksums: dict[str, dict[str, str]] = field(default_factory=dict)
    bootstrap: BootstrapThresholds | None = None
    best_medal_confidence: float | None = None

    @property
    def csv_text(self) -> str:
        return leaderboard_csv(self.frame)

    def provenance(self, command: str) -> dict[str, Any]:
        """JSON-ready record: command, versions, composition, seed, date, recipes and every member."""
        versions: dict[str, str | None] = {}
        for lib in _LIBRARIES:
            try:
                versions[lib] = metadata.version(lib)
            except metadata.PackageNotFoundError:
                versions[lib] = None
        return {
            "task_id": self.task_id,
            "command": command,
            "medalist_version": __version__,
            "python": platform.python_version(),
            "library_versions": versions,
            "population_size": self.population,
            "population_requested": self.requested,
            "composition": self.composition,
            "leaderboard_rows": len(self.frame),
            "seed": self.seed,
            "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 2),
            "best_medal_confidence": self.best_medal_confidence,
            "data_checksums": self.data_checksums,
            "recipes": self.recipes,
            "members": [
                {
                    "name": r.name,
                    "tier": r.tier,
                    "family": r.family,
                    **r.detail,
                    "score": r.score,
                    "seconds": round(r.seconds, 3),
                    "error": r.error,
                }
                for r in self.results
            ],
        }


def leaderboard_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT)


def _round_trip(pt: PreparedTask, submission: pd.DataFrame) -> pd.DataFrame:
    buf = io.StringIO()
    submission.to_csv(buf, index=False, float_format=CSV_FLOAT_FORMAT)
    buf.seek(0)
    return pd.read_csv(buf, dtype={pt.spec.id_column: str}, low_memory=False)


def score_aligned(
    pt: PreparedTask, submission: pd.DataFrame, answers: pd.DataFrame
) -> tuple[float, np.ndarray, np.ndarray]:
    """Score ``submission`` as the grader would (CSV round trip); also the aligned truth and predictions."""
    from medalist.metrics import get_metric

    spec = pt.spec
    metric = get_metric(spec.metric)
    aligned = validate_frame(_round_trip(pt, submission), answers, spec, metric, template_is_answers=True)
    assert aligned.y_true is not None
    try:
        value = metric(aligned.y_true, aligned.y_pred, **spec.metric_args)
    except ValueError as exc:
        raise InvalidSubmissionError(f"cannot score with {spec.metric}: {exc}") from None
    if not np.isfinite(value):
        raise InvalidSubmissionError(f"{spec.metric} is not finite for this submission ({value})")
    return value, aligned.y_true, aligned.y_pred


def score_submission_like_grader(pt: PreparedTask, submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    """Round-trip ``submission`` through CSV text and score it with the task's metric."""
    return score_aligned(pt, submission, answers)[0]


def leaderboard_frame(results: list[MemberResult], is_lower_better: bool) -> pd.DataFrame:
    """Scored members best first (ties by name); rank is 1-based and ties share the better rank."""
    rows = [
        {"name": r.name, "score": r.score, "tier": r.tier, "family": r.family} for r in results if r.score is not None
    ]
    df = pd.DataFrame(rows, columns=LEADERBOARD_COLUMNS[1:])
    key = df["score"] if is_lower_better else -df["score"]
    df = df.assign(_key=key).sort_values(["_key", "name"], kind="mergesort").drop(columns="_key")
    df.insert(0, "rank", df["score"].rank(method="min", ascending=is_lower_better).astype(int).to_numpy())
    return df.reset_index(drop=True)


def composition(population: int, strong: int) -> dict[str, int]:
    """Members per tier: experts and naive entries by share, then the zoo's single-recipe entries (at most
    what leaves ``MIN_SINGLE_SHARE`` for the crowd's single models), then single models for the rest."""
    expert = max(1, int(round(EXPERT_SHARE * population)))
    naive = max(3, int(round(NAIVE_SHARE * population)))
    room = population - expert - naive - max(2, int(round(MIN_SINGLE_SHARE * population)))
    if room < 1:
        raise MedalistError(f"a population of {population} leaves no room for recipe entries; use more members")
    strong = min(strong, room)
    return {"naive": naive, "single": population - strong - expert - naive, "strong": strong, "expert": expert}


class Board:
    """The entries kept so far, as comparable test predictions, and the out-of-fold scores of the blends
    kept. A new entry must be a distinct solution (see :func:`distinct`); an expert blend must also be
    ``spacing`` away from every kept blend's out-of-fold score (blends of one zoo would otherwise pile up
    at one score). Looks at predictions and training folds, never at answers."""

    def __init__(self, classes: np.ndarray, spacing: float) -> None:
        self.classes = classes
        self.spacing = spacing
        self.kept: list[np.ndarray] = []
        self.blend_oofs: list[float] = []

    def comparable(self, task: TaskData, sub: pd.DataFrame) -> np.ndarray:
        values = sub[list(task.problem.submission_columns)].to_numpy()
        return _comparable(values[:, 0] if values.shape[1] == 1 else values, self.classes)

    def admits(self, values: np.ndarray, blend_oof: float | None = None) -> bool:
        if blend_oof is not None and any(abs(o - blend_oof) < self.spacing for o in self.blend_oofs):
            return False
        return all(distinct(values, other) for other in self.kept)

    def keep(self, values: np.ndarray, blend_oof: float | None = None) -> None:
        self.kept.append(values)
        if blend_oof is not None:
            self.blend_oofs.append(blend_oof)


def _fit_zoo(
    task: TaskData, recipes: list[Recipe], cache: RecipeCache | None, log: Callable[[str], None]
) -> tuple[dict[str, Preds], list[dict[str, Any]]]:
    fitted: dict[str, Preds] = {}
    records = []
    for r in recipes:
        t0 = time.perf_counter()
        preds = cache.get(r) if cache else None
        hit = preds is not None
        error = None
        if preds is None:
            try:
                preds = fit_function(r.family)(r, build_view(r.view, task), task)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            if preds is not None and cache:
                cache.put(r, preds)
        if preds is not None and task.is_classification:
            preds = as_proba(preds, task)
        rec = {**r.to_dict(), "seconds": round(preds.seconds if preds else time.perf_counter() - t0, 3), "error": error}
        if hit:
            rec["from_cache"] = True  # predictions (and their fit seconds) of an earlier build of the same recipe
        if preds is not None:
            fitted[r.name] = preds
            rec["oof_score"] = oof_score(task, decide(task, preds, "default").apply(task, preds.oof))
        records.append(rec)
        log(f"  recipe {r.name}: {rec.get('oof_score')} ({rec['seconds']}s){' ' + error if error else ''}")
    return fitted, records


def _blend_member(
    task: TaskData, pt: PreparedTask, blend: Blend, fitted: dict[str, Preds]
) -> tuple[pd.DataFrame, float, dict[str, Any]]:
    parts = [fitted[n] for n in blend.recipes]
    weights: list[float] = [1.0]
    if blend.combine is None:
        preds = parts[0]
    else:
        preds, weights = combine(parts, task, blend.combine)
    t0 = time.perf_counter()
    decision = decide(task, preds, blend.rule)
    values = decision.apply(task, preds.test)
    classes = list(task.classes) if task.problem.kind in ("binary_probability", "multiclass_probability") else None
    sub = make_submission(pt.spec, task.public.test_ids, values, classes=classes, problem=task.problem)
    detail = {
        "recipes": list(blend.recipes),
        "combine": blend.combine,
        "weights": [round(w, 4) for w in weights],
        "rule": blend.rule,
        "decision": {"rule": decision.rule, "params": [round(p, 6) for p in decision.params]},
        "oof_score": oof_score(task, decision.apply(task, preds.oof)),
    }
    return sub, preds.seconds + time.perf_counter() - t0, detail


def build_leaderboard(
    pt: PreparedTask,
    *,
    population: int = DEFAULT_POPULATION,
    seed: int = 0,
    cache_dir: Path | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    log: Callable[[str], None] | None = None,
) -> LeaderboardBuild:
    """Train, predict and score the reference population of a prepared task (see the module doc)."""
    from medalist.grading import read_answers

    say = log or (lambda _msg: None)
    start = time.perf_counter()
    spec = pt.spec
    if population < MIN_POPULATION:
        raise MedalistError(f"a reference population needs at least {MIN_POPULATION} members, got {population}")
    task = load_task_data(pt.public, spec)
    answers = read_answers(pt)
    cache = RecipeCache(cache_dir, pt) if cache_dir else None
    recipes = task_zoo(task)
    rules = 2 if tunable(task) else 1
    comp = composition(population, len(recipes) * rules)
    fitted, recipe_records = _fit_zoo(task, recipes, cache, say)
    oof = {r["name"]: r["oof_score"] for r in recipe_records if "oof_score" in r}
    if not oof:
        raise MedalistError(f"task {spec.id!r}: every recipe failed; first error: {recipe_records[0]['error']}")
    blends = plan_blends(task, oof, DUPLICATE_SLACK * comp["expert"], seed)
    spacing = MIN_OOF_SPACING * abs(
        max(oof.values(), key=lambda v: v if task.metric.higher_is_better else -v) - constant_oof_score(task)
    )
    if task.metric.prediction == "label":
        spacing = max(spacing, 1.0 / task.n_train)
    board = Board(task.classes, spacing)
    results: list[MemberResult] = []
    y_true = _zoo_entries(task, pt, answers, blends, recipes, fitted, comp, board, results)
    comp["strong"] = sum(r.tier == "strong" for r in results)
    comp["expert"] = sum(r.tier == "expert" for r in results)
    say(
        f"  {len(results)} recipe entries and blends kept ({comp['strong']} strong, {comp['expert']} expert) "
        f"at {time.perf_counter() - start:.0f}s"
    )
    comp["single"] = population - comp["strong"] - comp["expert"] - comp["naive"]
    y_crowd = _crowd_entries(task, pt, answers, comp, seed, board, results, cache)
    y_true = y_true if y_true is not None else y_crowd
    say(f"  crowd of {comp['naive'] + comp['single']} fitted at {time.perf_counter() - start:.0f}s")
    frame = leaderboard_frame(results, task.metric.is_lower_better)
    if frame.empty:
        raise MedalistError(f"task {spec.id!r}: every reference solution failed; first error: {results[0].error}")
    m = pt.manifest()
    build = LeaderboardBuild(
        task_id=spec.id,
        frame=frame,
        results=results,
        recipes=recipe_records,
        seed=seed,
        population=len(results),
        requested=population,
        composition=comp,
        seconds=time.perf_counter() - start,
        data_checksums={"public": m.public, "private": m.private},
    )
    if y_true is not None:
        build.bootstrap = bootstrap_thresholds(pt, build, y_true, resamples)
    if build.bootstrap is not None and y_true is not None:
        best = next(r for r in results if r.name == frame["name"].iloc[0])
        assert best.values is not None
        build.best_medal_confidence = medal_confidence(spec, y_true, best.values, 3, build.bootstrap)
    build.seconds = time.perf_counter() - start
    return build


def _failed(
    name: str, tier: str, family: str, seconds: float, exc: Exception, detail: dict[str, Any] | None = None
) -> MemberResult:
    return MemberResult(name, tier, family, None, seconds, detail or {}, error=f"{type(exc).__name__}: {exc}"[:300])


def _zoo_entries(
    task: TaskData,
    pt: PreparedTask,
    answers: pd.DataFrame,
    blends: list[Blend],
    recipes: list[Recipe],
    fitted: dict[str, Preds],
    comp: dict[str, int],
    board: Board,
    results: list[MemberResult],
) -> np.ndarray | None:
    """Score the planned single-recipe entries (best out-of-fold first) and expert blends up to their quotas,
    skipping any that is not a distinct solution; returns the aligned test truth (None if none scored)."""
    y_true = None
    count = {"strong": 0, "expert": 0}
    for blend in blends:
        if count[blend.tier] >= comp[blend.tier]:
            continue
        t0 = time.perf_counter()
        family = fitted_family(blend, recipes)
        try:
            sub, secs, detail = _blend_member(task, pt, blend, fitted)
        except (ValueError, MedalistError) as exc:
            results.append(_failed(blend.name, blend.tier, family, time.perf_counter() - t0, exc))
            continue
        comparable = board.comparable(task, sub)
        oof = detail["oof_score"] if blend.tier == "expert" else None  # blends pile up near the top
        if not board.admits(comparable, oof):
            continue  # (nearly) the same solution as an entry already on the board
        board.keep(comparable, oof)
        count[blend.tier] += 1
        try:
            score, y_true, aligned = score_aligned(pt, sub, answers)
        except InvalidSubmissionError as exc:
            results.append(_failed(blend.name, blend.tier, family, secs, exc, detail))
            continue
        results.append(MemberResult(blend.name, blend.tier, family, score, secs, detail, values=aligned))
    return y_true


def _crowd_entries(
    task: TaskData,
    pt: PreparedTask,
    answers: pd.DataFrame,
    comp: dict[str, int],
    seed: int,
    board: Board,
    results: list[MemberResult],
    cache: RecipeCache | None = None,
) -> np.ndarray | None:
    """Fit the crowd's naive and single models until each tier's quota holds distinct solutions."""
    data, problem, spec = task.public, task.problem, pt.spec
    y_num = data.y_train.to_numpy() if not problem.is_classification else None
    candidates = crowd_population(
        problem,
        task.types,
        naive=CROWD_CANDIDATES * comp["naive"],
        single=CROWD_CANDIDATES * comp["single"],
        seed=seed,
        log_target=bool(y_num is not None and np.nanmin(np.asarray(y_num, dtype=float)) >= 0),
        imbalanced=bool(
            problem.kind == "classification" and np.bincount(task.y).min() / task.n_train < IMBALANCED_SHARE
        ),
        pixels="image" in spec.tags,
        rows=task.n_train,
    )
    normalised = normalise_frame(data.X_train, task.types), normalise_frame(data.X_test, task.types)
    y_true = None
    count = {"naive": 0, "single": 0}
    for tier, cfg in candidates:
        if count[tier] >= comp[tier]:
            continue
        t0 = time.perf_counter()
        hit = cache.get_member(cfg.to_dict(), spec.id_column) if cache else None
        if hit is not None:
            sub, secs = hit
        else:
            try:
                sub = fit_predict(cfg, data, spec, problem=problem, types=task.types, normalised=normalised)
            except (ValueError, MedalistError) as exc:
                results.append(_failed(cfg.name, tier, cfg.family, time.perf_counter() - t0, exc, cfg.to_dict()))
                count[tier] += 1
                continue
            secs = time.perf_counter() - t0
            sub = _round_trip(pt, sub)  # as the cache (and the grader) read it back: cached builds stay identical
            if cache:
                cache.put_member(cfg.to_dict(), sub, secs, CSV_FLOAT_FORMAT)
        comparable = board.comparable(task, sub)
        if not board.admits(comparable):
            continue  # e.g. a seed that a deterministic model ignores: the same solution twice
        board.keep(comparable)
        count[tier] += 1
        try:
            score, y_true, values = score_aligned(pt, sub, answers)
        except InvalidSubmissionError as exc:
            results.append(_failed(cfg.name, tier, cfg.family, secs, exc, cfg.to_dict()))
            continue
        detail = {**cfg.to_dict(), **({"from_cache": True} if hit is not None else {})}
        results.append(MemberResult(cfg.name, tier, cfg.family, score, secs, detail, values=values))
    comp.update(count)  # fewer than asked when the draws ran out of distinct solutions
    return y_true


def constant_oof_score(task: TaskData) -> float:
    """Out-of-fold score of a constant guess (class shares, or the mean), the no-skill end of the span."""
    n = task.n_train
    if task.is_classification:
        prior = np.bincount(task.y, minlength=task.n_classes) / n
        p = np.tile(prior, (n, 1))
        return oof_score(task, decide(task, Preds(p, p, "proba", 0.0), "default").apply(task, p))
    mean = np.tile(task.y_float.mean(axis=0), (n, 1))
    return oof_score(task, mean)


def _comparable(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Predictions as numbers (text labels as their index among the task's classes)."""
    v = np.asarray(values)
    if v.dtype.kind in "iufb":
        return v.astype(float)
    codes = {str(c): i for i, c in enumerate(classes)}
    return np.array([codes.get(str(x), -1) for x in v], dtype=float)


def distinct(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two members' test predictions differ enough to count as two solutions.

    Labels: at least ``MIN_LABEL_ROWS`` rows and ``MIN_DIFFERENCE`` of the rows differ. Numbers:
    the mean absolute difference is at least ``MIN_DIFFERENCE`` of the predictions' mean absolute
    deviation.
    """
    fa, fb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.array_equal(np.round(fa), fa) and np.array_equal(np.round(fb), fb) and len(np.unique(fa)) <= 50:
        differ = int(np.sum(fa != fb))
        return differ >= max(MIN_LABEL_ROWS, MIN_DIFFERENCE * len(a))
    spread = float(np.mean(np.abs(fa - fa.mean()))) or 1.0
    return float(np.mean(np.abs(fa - fb))) >= MIN_DIFFERENCE * spread


def fitted_family(blend: Blend, recipes: list[Recipe]) -> str:
    if blend.combine is not None:
        return blend.combine
    return next(r.family for r in recipes if r.name == blend.recipes[0])


def bootstrap_thresholds(
    pt: PreparedTask, build: LeaderboardBuild, y_true: np.ndarray, resamples: int
) -> BootstrapThresholds | None:
    """Per-resample gold/silver/bronze thresholds from every scored member's aligned test predictions."""
    from medalist.metrics import get_metric

    spec = pt.spec
    scored = [r for r in build.results if r.score is not None and r.values is not None]
    if resamples <= 0 or not scored:
        return None
    th = resampled_thresholds(
        spec.metric,
        y_true,
        [r.values for r in scored if r.values is not None],
        len(build.frame),
        resamples,
        BOOTSTRAP_SEED,
        **spec.metric_args,
    )
    metric = get_metric(spec.metric)
    return BootstrapThresholds(
        task_id=spec.id,
        metric=spec.metric,
        is_lower_better=metric.is_lower_better,
        seed=BOOTSTRAP_SEED,
        resamples=resamples,
        test_rows=len(y_true),
        answers_sha256=pt.manifest().private[spec.answers],
        leaderboard_sha256=hashlib.sha256(build.csv_text.encode("utf-8")).hexdigest(),
        gold=[float(x) for x in th[0]],
        silver=[float(x) for x in th[1]],
        bronze=[float(x) for x in th[2]],
    )
