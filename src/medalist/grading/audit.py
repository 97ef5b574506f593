"""``medalist audit``: one report per task on whether its answers can be had without skill, and its headroom.

Checks and their pass thresholds (explicit, so a failure says which line was crossed):

- ``reach`` (a): every readable file holding the task's hidden test rows (by content, see
  :mod:`medalist.tasks.reach`) is hidden by the sandbox (floor + recorded mask list, which this
  check updates), and no public file holds the answers. Fails on any public leak or unmasked file.
- ``id_leak`` (b): id-only, id-neighbour, row-position and row-neighbour models (binned target means,
  5-fold CV on train with the task's metric) gain at most ``ID_GAIN_MAX`` + 1/sqrt(train rows) of the
  way from the no-skill baseline to a perfect score.
- ``adversarial`` (c): a classifier telling train from test rows reaches CV ROC-AUC <= ``ADV_AUC_MAX``.
- ``duplicates`` (d): at most ``DUP_MAX`` of test rows have feature values identical to a train row.
- ``single_column`` (e): no public column alone gains more than ``COLUMN_GAIN_MAX`` of the way to perfect.
- ``headroom`` (f): from the committed leaderboard: the sample submission is below the median and
  earns no medal; gold is strictly better than the median; at most ``CROWD_MAX`` entries lie within
  noise of the gold line (noise: 0.25% of the sample-to-best span, at least one test row's share
  for label metrics); the gold line is not the metric's perfect score.

A check named in the task's ``audit_accept`` (with the reason) is reported but does not fail the task.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from medalist.grading.medals import load_leaderboard
from medalist.metrics import get_metric
from medalist.tasks import audit_checks as ac
from medalist.tasks.fingerprint import task_fingerprint
from medalist.tasks.hidden import floor_paths, is_hidden, read_mask_list, record_masks, scan_cache_path
from medalist.tasks.prepare import PreparedTask
from medalist.tasks.reach import scan_roots

ID_GAIN_MAX = 0.05
ADV_AUC_MAX = 0.6
DUP_MAX = 0.01
COLUMN_GAIN_MAX = 0.9
CROWD_MAX = 10
CHECKS = ("reach", "id_leak", "adversarial", "duplicates", "single_column", "headroom")


class CheckResult(BaseModel):
    """One check's outcome with the numbers behind it."""

    name: str
    passed: bool
    accepted: str | None = Field(None, description="The task.yaml reason when a failure is a documented property.")
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


def sandbox_roots() -> list[Path]:
    """Host folders an agent's sandbox reads besides the public data: /usr and the harness venv/source."""
    from medalist.sandbox.bwrap import harness_binds  # the sandbox's own notion of what it binds

    return list(dict.fromkeys(p.resolve() for p in (Path("/usr"), *harness_binds())))


def check_reach(pt: PreparedTask, roots: list[Path]) -> CheckResult:
    start = time.perf_counter()
    fp = task_fingerprint(pt)
    findings, stats = scan_roots([fp], roots, public_roots=[pt.public], exclude=[pt.root.parent],
                                 cache_path=scan_cache_path(pt.root.parent))
    public = [f for f in findings if Path(f.path).resolve().is_relative_to(pt.public.resolve())]
    private = [f for f in findings if f not in public]
    record_masks({pt.spec.id: sorted({f.path for f in private})}, pt.root.parent)
    hidden = [*floor_paths(), *read_mask_list(pt.root.parent).paths()]
    unmasked = [f.path for f in private if not is_hidden(Path(f.path), hidden)]
    values = {
        "files_seen": stats.files_seen, "candidates": stats.candidates, "decoded": stats.decoded,
        "cached": stats.cached, "seconds": round(time.perf_counter() - start, 1),
        "found": [f.model_dump() for f in findings],
    }
    passed = not public and not unmasked
    detail = (f"{len(private)} readable file(s) hold test rows, all hidden by the sandbox"
              if passed else f"public leak: {[f.path for f in public]}; unmasked: {unmasked}")
    return CheckResult(name="reach", passed=passed, detail=detail, values=values)


def check_id_leak(view: ac.TargetView, train: pd.DataFrame, id_column: str) -> CheckResult:
    probes = ac.leakage_probes(view, train, id_column)
    limit = ID_GAIN_MAX + 1 / math.sqrt(len(train))
    worst = max(probes, key=lambda p: p.gain)
    return CheckResult(
        name="id_leak", passed=worst.gain <= limit,
        detail=f"best order model {worst.name}: gain {worst.gain:.3f} (limit {limit:.3f})",
        values={"baseline": ac.baseline_score(view), "limit": limit,
                **{p.name: {"score": p.score, "gain": p.gain} for p in probes}},
    )


def check_adversarial(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> CheckResult:
    auc = ac.adversarial_auc(train, test, features)
    return CheckResult(name="adversarial", passed=auc <= ADV_AUC_MAX,
                       detail=f"train-vs-test AUC {auc:.3f} (limit {ADV_AUC_MAX})", values={"auc": auc})


def check_duplicates(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> CheckResult:
    share = ac.duplicate_share(train, test, features)
    return CheckResult(name="duplicates", passed=share <= DUP_MAX,
                       detail=f"{share:.1%} of test rows duplicate a train row (limit {DUP_MAX:.0%})",
                       values={"share": share})


def check_single_column(view: ac.TargetView, train: pd.DataFrame, features: list[str]) -> CheckResult:
    signals = ac.single_column_signals(view, train, features)
    top = signals[0] if signals else ac.ColumnSignal("-", float("nan"), 0.0)
    return CheckResult(
        name="single_column", passed=top.gain <= COLUMN_GAIN_MAX,
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
    sample_ok = sample is None or (not better(sample, th.median) and not (sample == th.median) and
                                   better(th.bronze, sample))
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
    values = {"entries": th.n_teams, "sample": sample, "median": th.median, "bronze": th.bronze,
              "silver": th.silver, "gold": th.gold, "best": best, "noise": noise, "crowded_at_gold": crowd}
    detail = "; ".join(problems) or (f"sample {sample:.4g} < median {th.median:.4g} < gold {th.gold:.4g} <= best "
                                     f"{best:.4g}; {crowd} entries within noise of gold")
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


def audit_task(pt: PreparedTask, *, checks: tuple[str, ...] = CHECKS, roots: list[Path] | None = None) -> AuditReport:
    """Run the named checks on one prepared task."""
    start = time.perf_counter()
    spec = pt.spec
    results: list[CheckResult] = []
    needs_data = {"id_leak", "adversarial", "duplicates", "single_column"} & set(checks)
    if "reach" in checks:
        results.append(check_reach(pt, roots if roots is not None else sandbox_roots()))
    if needs_data and (pt.public / "train.csv").is_file():
        train, test, features = ac.load_frames(pt)
        view = ac.target_view(pt, train)
        if "id_leak" in checks:
            results.append(check_id_leak(view, train, spec.id_column))
        if "adversarial" in checks:
            results.append(check_adversarial(train, test, features))
        if "duplicates" in checks:
            results.append(check_duplicates(train, test, features))
        if "single_column" in checks:
            results.append(check_single_column(view, train, features))
    if "headroom" in checks:
        results.append(check_headroom(pt))
    for r in results:
        if not r.passed and r.name in spec.audit_accept:
            r.accepted = spec.audit_accept[r.name]
    return AuditReport(task_id=spec.id, checks=results, seconds=round(time.perf_counter() - start, 1))


__all__ = ["AuditReport", "CHECKS", "CheckResult", "audit_task", "leaderboard_is_stale", "sandbox_roots"]
