"""``medalist audit``: one report per task on whether its answers can be had without skill, and its headroom.

Checks and their pass thresholds (explicit, so a failure says which line was crossed):

- ``reach`` (a): every file a run can read holding the task's hidden test rows (by content, see
  :mod:`medalist.tasks.reach`; in every tree the sandbox binds: /usr, the harness venv, the solution
  and adapter venvs) is hidden by the sandbox (the floor plus the recorded findings, which the scan
  updates), and no public file other than train.csv and test.csv (which the data checks judge) holds
  the answers. Fails on any public leak or unmasked file.
- ``id_leak`` (b): id-only, id-neighbour, row-position and row-neighbour models (binned target means,
  5-fold CV on train with the task's metric) gain at most ``ID_GAIN_MAX`` + 1/sqrt(train rows) of the
  way from the no-skill baseline to a perfect score.
- ``adversarial`` (c): a classifier telling train from test rows reaches CV ROC-AUC <= ``ADV_AUC_MAX``.
- ``duplicates`` (d): at most ``DUP_MAX`` of test rows have feature values identical to a train row,
  unless copying those rows' targets explains less than ``DUP_COPY_GAIN_MAX`` of the no-skill error
  on them (coarse features that coincide, not the same records twice); and in any case the
  submission that copies those targets (the training prior elsewhere) earns no medal.
- ``single_column`` (e): no public column alone gains more than ``COLUMN_GAIN_MAX`` of the way to perfect.
- ``headroom`` (f): from the committed leaderboard: the sample submission is below the median and
  earns no medal; gold is strictly better than the median; at most ``CROWD_MAX`` entries lie within
  noise of the gold line (noise: 0.25% of the sample-to-best span, at least one test row's share
  for label metrics); the gold line is not the metric's perfect score.

A check named in the task's ``audit_accept`` (with the reason) is reported but does not fail the task,
except a medal by copying duplicates, which no reason excuses.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from medalist.errors import MedalistError
from medalist.grading.medals import load_leaderboard
from medalist.metrics import get_metric
from medalist.tasks import audit_checks as ac
from medalist.tasks.fingerprint import task_fingerprint
from medalist.tasks.hidden import hidden_paths, is_hidden
from medalist.tasks.prepare import PreparedTask
from medalist.tasks.reach_files import scan_roots
from medalist.tasks.reach_state import ensure_scan

ID_GAIN_MAX = 0.05
ADV_AUC_MAX = 0.6
DUP_MAX = 0.01
DUP_COPY_GAIN_MAX = 0.5
COLUMN_GAIN_MAX = 0.9
CROWD_MAX = 10
PUBLIC_TABLES = ("train.csv", "test.csv")  # judged by the data checks, not by the reach scan
CHECKS = ("reach", "id_leak", "adversarial", "duplicates", "single_column", "headroom")


class CheckResult(BaseModel):
    """One check's outcome with the numbers behind it."""

    name: str
    passed: bool
    accepted: str | None = Field(
        default=None, description="The task.yaml reason when a failure is a documented property."
    )
    skipped: str | None = None
    detail: str
    values: dict[str, object] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.passed or self.accepted is not None or self.skipped is not None


class AuditReport(BaseModel):
    """Every check of one task."""

    task_id: str
    checks: list[CheckResult]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)


def check_reach(pt: PreparedTask, trees: list[Path]) -> CheckResult:
    start = time.perf_counter()
    outcome = ensure_scan([pt], trees)  # a stat-only check when the trees were scanned for this task
    # train.csv and test.csv hold test rows' features (and duplicates' labels) by design: the data
    # checks judge them exactly (duplicates, single_column, id_leak); the fuzzy row match would count
    # coarse features and coinciding label tokens there. Every other public file is searched.
    others = sorted(
        p for p in pt.public.rglob("*") if p.is_file() and p.relative_to(pt.public).as_posix() not in PUBLIC_TABLES
    )
    public, _ = scan_roots([task_fingerprint(pt)], [], public_roots=others)
    hidden = hidden_paths(trees)
    unmasked = [f.path for f in outcome.findings if not is_hidden(Path(f.path), hidden)]
    stats = outcome.stats
    values = {
        "trees": [str(t) for t in trees],
        "public_files": len(others),
        "rescanned": outcome.scanned,
        "files_seen": stats.files_seen,
        "candidates": stats.candidates,
        "decoded": stats.decoded,
        "cached": stats.cached,
        "seconds": round(time.perf_counter() - start, 1),
        "found": [f.model_dump() for f in [*public, *outcome.findings]],
    }
    passed = not public and not unmasked
    detail = (
        f"{len(outcome.findings)} readable file(s) hold test rows, all hidden by the sandbox"
        if passed
        else f"public leak: {[f.path for f in public]}; unmasked: {unmasked}"
    )
    return CheckResult(name="reach", passed=passed, detail=detail, values=values)


def check_id_leak(view: ac.TargetView, train: pd.DataFrame, id_column: str) -> CheckResult:
    probes = ac.leakage_probes(view, train, id_column)
    limit = ID_GAIN_MAX + 1 / math.sqrt(len(train))
    worst = max(probes, key=lambda p: p.gain)
    return CheckResult(
        name="id_leak",
        passed=worst.gain <= limit,
        detail=f"best order model {worst.name}: gain {worst.gain:.3f} (limit {limit:.3f})",
        values={
            "baseline": ac.baseline_score(view),
            "limit": limit,
            **{p.name: {"score": p.score, "gain": p.gain} for p in probes},
        },
    )


def check_adversarial(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> CheckResult:
    auc = ac.adversarial_auc(train, test, features)
    return CheckResult(
        name="adversarial",
        passed=auc <= ADV_AUC_MAX,
        detail=f"train-vs-test AUC {auc:.3f} (limit {ADV_AUC_MAX})",
        values={"auc": auc},
    )


def check_duplicates(
    pt: PreparedTask, view: ac.TargetView, train: pd.DataFrame, test: pd.DataFrame, features: list[str]
) -> CheckResult:
    """Fails when more than ``DUP_MAX`` of the test rows duplicate a train row and copying their targets
    explains much (``DUP_COPY_GAIN_MAX``): the same records twice. Coarse features that coincide by
    chance (copying explains little) pass. Copying alone (the prior elsewhere) must not reach a medal
    on the task's leaderboard; ``copy_medal`` marks that, and no task.yaml reason excuses it."""
    sig = ac.duplicate_signal(pt, view, train, test, features)
    lb = pt.spec.leaderboard_path
    th = load_leaderboard(lb, pt.spec.is_lower_better) if lb is not None and lb.is_file() else None
    copy_medal = th is not None and sig.copy_score is not None and th.at_least(sig.copy_score, th.bronze)
    passed = (sig.share <= DUP_MAX or sig.copy_gain < DUP_COPY_GAIN_MAX) and not copy_medal
    copy = (
        ""
        if sig.copy_score is None
        else (
            f"; copying alone scores {sig.copy_score:.4g}"
            + (f" (bronze {th.bronze:.4g}{': a medal' if copy_medal else ''})" if th is not None else "")
        )
    )
    return CheckResult(
        name="duplicates",
        passed=passed,
        detail=f"{sig.share:.1%} of test rows duplicate a train row (limit {DUP_MAX:.0%}); copying their "
        f"targets removes {sig.copy_gain:.0%} of the no-skill error (limit {DUP_COPY_GAIN_MAX:.0%})" + copy,
        values={
            "share": sig.share,
            "copy_gain": sig.copy_gain,
            "copy_score": sig.copy_score,
            "bronze": None if th is None else th.bronze,
            "median": None if th is None else th.median,
            "copy_medal": copy_medal,
        },
    )


def check_single_column(view: ac.TargetView, train: pd.DataFrame, features: list[str]) -> CheckResult:
    signals = ac.single_column_signals(view, train, features)
    top = signals[0] if signals else ac.ColumnSignal("-", float("nan"), 0.0)
    return CheckResult(
        name="single_column",
        passed=top.gain <= COLUMN_GAIN_MAX,
        detail=f"best single column {top.name!r}: gain {top.gain:.3f} (limit {COLUMN_GAIN_MAX})",
        values={"top": [{"column": s.name, "score": s.score, "gain": s.gain} for s in signals[:5]]},
    )


def _sample_score(pt: PreparedTask) -> float | None:
    """The sample submission's score (the grader's metric on id-aligned columns)."""
    spec = pt.spec
    if pt.sample_submission_path is None or not pt.sample_submission_path.is_file():
        return None
    sub = pd.read_csv(pt.sample_submission_path).set_index(spec.id_column)
    ans = pd.read_csv(pt.answers_path).set_index(spec.id_column)
    cols = [c for c in ans.columns]
    sub = sub.loc[ans.index, cols]
    metric = get_metric(spec.metric)
    y_true, y_pred = ans[cols].to_numpy(), sub.to_numpy()
    if len(cols) == 1:
        y_true, y_pred = y_true[:, 0], y_pred[:, 0]
    return float(metric(y_true, y_pred, **spec.metric_args))


def check_headroom(pt: PreparedTask, stale: str | None = None) -> CheckResult:
    spec = pt.spec
    lb_path = spec.leaderboard_path
    if lb_path is None or not lb_path.is_file():
        return CheckResult(name="headroom", passed=False, detail="no leaderboard")
    lower = spec.is_lower_better
    th = load_leaderboard(lb_path, lower)
    scores = th.scores
    best = float(scores[0])
    sample = _sample_score(pt)
    metric = get_metric(spec.metric)
    n_test = len(pd.read_csv(pt.answers_path, usecols=[spec.id_column]))
    span = abs(best - sample) if sample is not None else abs(best - float(scores[-1]))
    noise = 0.0025 * span
    if metric.prediction == "label":
        noise = max(noise, 1.0 / n_test)
    crowd = int(np.sum(np.abs(scores - th.gold) <= noise))
    better = (lambda a, b: a < b) if lower else (lambda a, b: a > b)
    sample_ok = sample is None or (
        not better(sample, th.median) and not (sample == th.median) and better(th.bronze, sample)
    )
    perfect = spec.metric in ("accuracy", "roc_auc", "f1", "f1_macro", "balanced_accuracy", "r2") and th.gold >= 1.0
    problems = []
    if not sample_ok:
        problems.append("sample submission at or above the median or medalling")
    if not better(th.gold, th.median):
        problems.append("gold not better than the median")
    if crowd > CROWD_MAX:
        problems.append(f"{crowd} entries within noise ({noise:.4g}) of the gold line")
    if perfect:
        problems.append("gold needs a perfect score")
    values: dict[str, object] = {
        "entries": th.n_teams,
        "sample": sample,
        "median": th.median,
        "bronze": th.bronze,
        "silver": th.silver,
        "gold": th.gold,
        "best": best,
        "noise": noise,
        "crowded_at_gold": crowd,
    }
    detail = "; ".join(problems) or (
        f"sample {sample:.4g} < median {th.median:.4g} < gold {th.gold:.4g} <= best "
        f"{best:.4g}; {crowd} entries within noise of gold"
    )
    return CheckResult(name="headroom", passed=not problems, skipped=stale, detail=detail, values=values)


def leaderboard_is_stale(pt: PreparedTask) -> str | None:
    """Why the task's leaderboard cannot judge the prepared data (its provenance names other files)."""
    import json

    prov = pt.spec.directory / "leaderboard_provenance.json"
    if not prov.is_file():
        return "no leaderboard provenance"
    recorded = json.loads(prov.read_text()).get("data_checksums", {})
    m = pt.manifest()
    for name in ("train.csv", "test.csv"):
        if recorded.get("public", {}).get(name) != m.public.get(name):
            return f"leaderboard provenance predates the prepared {name}"
    if recorded.get("private", {}).get(pt.spec.answers) != m.private.get(pt.spec.answers):
        return "leaderboard provenance predates the prepared answers"
    return None


def _trees(trees: list[Path] | None) -> list[Path]:
    if trees is None:
        raise MedalistError(
            "the reach check needs the file trees the sandbox binds (trees=known_trees() from medalist.runner.execute)"
        )
    return trees


def audit_task(pt: PreparedTask, *, checks: tuple[str, ...] = CHECKS, trees: list[Path] | None = None) -> AuditReport:
    """Run the named checks on one prepared task (``trees``: the file trees a sandboxed run binds, which the
    reach check searches; the runner knows them: ``medalist.runner.execute.known_trees()``)."""
    start = time.perf_counter()
    spec = pt.spec
    results: list[CheckResult] = []
    needs_data = {"id_leak", "adversarial", "duplicates", "single_column"} & set(checks)
    if "reach" in checks:
        results.append(check_reach(pt, _trees(trees)))
    if needs_data and (pt.public / "train.csv").is_file():
        train, test, features = ac.load_frames(pt)
        small = ac.capped(train)
        view = ac.target_view(pt, small)
        if "id_leak" in checks:
            results.append(check_id_leak(view, small, spec.id_column))
        if "adversarial" in checks:
            results.append(check_adversarial(train, test, features))
        if "duplicates" in checks:
            results.append(check_duplicates(pt, ac.target_view(pt, train), train, test, features))
        if "single_column" in checks:
            results.append(check_single_column(view, small, features))
    if "headroom" in checks:
        results.append(check_headroom(pt))
    for r in results:
        if not r.passed and r.name in spec.audit_accept and not r.values.get("copy_medal"):
            r.accepted = spec.audit_accept[r.name]
    return AuditReport(task_id=spec.id, checks=results, seconds=round(time.perf_counter() - start, 1))


def audit_tasks(
    pts: list[PreparedTask], *, checks: tuple[str, ...] = CHECKS, trees: list[Path] | None = None
) -> Iterator[AuditReport]:
    """Audit several tasks; the reach check scans the trees once for all of them first."""
    trees = _trees(trees) if "reach" in checks else []
    if "reach" in checks:
        ensure_scan(pts, trees)
    for pt in pts:
        yield audit_task(pt, checks=checks, trees=trees)


__all__ = ["AuditReport", "CHECKS", "CheckResult", "audit_task", "audit_tasks", "leaderboard_is_stale"]
