"""Aggregate runs over seeds, tasks and run groups: medal rates, improvement, normalized score, pass@k.

Definitions (all per run, then averaged):

* rates (percent): any/gold/silver/bronze medal, above median, valid submission, and ``success`` =
  improvement over the task's baseline > 10% (MLAgentBench). A run without a report counts as a failure.
* improvement: relative change over the baseline in the metric's good direction; the baseline is the
  task's starter score when it has one, else the sample submission's score. An invalid submission
  counts as no improvement (0) - as if it had handed in the baseline.
* normalized score: 0 = the sample submission's score, 1 = the leaderboard's best; an invalid
  submission counts as 0.
* medal confidence: the bootstrap probability that a run's medal tier holds (built-in tasks only;
  runs without one are left out).

Across seeds: for each seed, the metric is averaged over the split's tasks the agent ran with that
seed; the per-seed values give the mean, the SEM (ddof=1) and a Student-t 95% CI. pass@k uses the
unbiased estimator per task (any medal as success), averaged over tasks with at least k seeds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from medalist.report.models import (
    RATE_METRICS,
    SUCCESS_THRESHOLD,
    AgentSplitAggregate,
    Comparison,
    Estimate,
    GroupInfo,
    RunMetrics,
    RunView,
    TaskAgentCell,
    TaskInfo,
)
from medalist.report.stats import estimate, improvement, normalized_score, pass_at_k

ALL_SPLIT = "all"


def run_metrics(run: RunView, task: TaskInfo | None) -> RunMetrics:
    """Derive a run's 0/1 outcomes, improvement and normalized score."""
    rep = run.report
    valid = bool(rep is not None and rep.valid_submission and rep.score is not None)
    rates: dict[str, float] = {}
    for name in RATE_METRICS:
        if name != "success":
            rates[name] = float(bool(rep is not None and getattr(rep, name)))
    imp: float | None = None
    norm: float | None = None
    if task is not None:
        if task.baseline_score is not None:
            if valid:
                assert rep is not None and rep.score is not None
                imp = improvement(rep.score, task.baseline_score, task.is_lower_better)
            elif task.baseline_score != 0:
                imp = 0.0
        if task.sample_score is not None and task.leaderboard_best is not None:
            if valid:
                assert rep is not None and rep.score is not None
                norm = normalized_score(rep.score, task.sample_score, task.leaderboard_best)
            elif task.leaderboard_best != task.sample_score:
                norm = 0.0
    if imp is not None:
        rates["success"] = float(imp > SUCCESS_THRESHOLD)
    return RunMetrics(
        key=run.key, agent=run.agent, task_id=run.task_id, seed=run.seed,
        rates=rates, improvement=imp, normalized_score=norm,
        medal_confidence=rep.medal_confidence if rep is not None and valid else None,
    )


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _per_seed(metrics: Sequence[RunMetrics], value: Callable[[RunMetrics], float | None], scale: float = 1.0) -> Estimate:
    """Average ``value(m)`` (skipping None) over each seed's runs, then estimate over seeds."""
    by_seed: dict[int, list[float]] = defaultdict(list)
    for m in metrics:
        v = value(m)
        if v is not None:
            by_seed[m.seed].append(v * scale)
    return estimate([sum(v) / len(v) for _, v in sorted(by_seed.items())])


def pass_at_k_table(metrics: Sequence[RunMetrics], outcome: str = "any_medal") -> dict[int, float]:
    """Unbiased pass@k for k = 1..max seeds per task, averaged over tasks with >= k runs.

    Empty unless some task has at least two runs (pass@k needs several seeds).
    """
    per_task: dict[str, list[float]] = defaultdict(list)
    for m in metrics:
        per_task[m.task_id].append(m.rates.get(outcome, 0.0))
    if not per_task or max(len(v) for v in per_task.values()) < 2:
        return {}
    out: dict[int, float] = {}
    for k in range(1, max(len(v) for v in per_task.values()) + 1):
        vals = [pass_at_k(len(v), int(sum(v)), k) for v in per_task.values() if len(v) >= k]
        out[k] = sum(vals) / len(vals)
    return out


def aggregate_agent_split(
    agent: str, split: str, split_tasks: Sequence[str], runs: Sequence[RunView], metrics: Sequence[RunMetrics]
) -> AgentSplitAggregate | None:
    """One agent on one split; None when the agent ran none of the split's tasks."""
    wanted = set(split_tasks)
    pairs = [(r, m) for r, m in zip(runs, metrics) if r.agent == agent and r.task_id in wanted]
    if not pairs:
        return None
    ms = [m for _, m in pairs]
    out: dict[str, Estimate] = {}
    for name in RATE_METRICS:
        est = _per_seed(ms, lambda m, n=name: m.rates.get(n), 100.0)
        if est.n:
            out[name] = est
    imp = _per_seed(ms, lambda m: m.improvement, 100.0)
    if imp.n:
        out["improvement"] = imp
    norm = _per_seed(ms, lambda m: m.normalized_score)
    if norm.n:
        out["normalized_score"] = norm
    conf = _per_seed(ms, lambda m: m.medal_confidence)
    if conf.n:
        out["medal_confidence"] = conf
    costs = [r.cost_usd for r, _ in pairs if r.cost_usd is not None]
    walls = [r.wall_seconds for r, _ in pairs if r.wall_seconds is not None]
    return AgentSplitAggregate(
        agent=agent,
        split=split,
        tasks=sorted({m.task_id for m in ms}),
        split_size=len(wanted),
        n_runs=len(ms),
        seeds=sorted({m.seed for m in ms}),
        metrics=out,
        pass_at_k=pass_at_k_table(ms),
        total_cost_usd=sum(costs) if costs else None,
        total_wall_seconds=sum(walls) if walls else None,
    )


_MEDAL_ORDER = ("gold", "silver", "bronze", "above-median", "valid", "invalid", "none")


def task_agent_cell(task_id: str, agent: str, runs: Sequence[RunView], metrics: Sequence[RunMetrics]) -> TaskAgentCell:
    """Summarise one agent's runs (all seeds) on one task for the medal matrix."""
    pairs = sorted(((r, m) for r, m in zip(runs, metrics) if r.agent == agent and r.task_id == task_id),
                   key=lambda p: p[0].seed)
    cell = TaskAgentCell(task_id=task_id, agent=agent, n_runs=len(pairs))
    best = len(_MEDAL_ORDER) - 1
    scores: list[float] = []
    for r, m in pairs:
        rep = r.report
        valid = bool(rep is not None and rep.valid_submission and rep.score is not None)
        cell.seeds.append(r.seed)
        cell.scores.append(rep.score if valid and rep is not None else None)
        if valid and rep is not None and rep.score is not None:
            scores.append(rep.score)
        cell.gold += int(m.rates["gold_medal"])
        cell.silver += int(m.rates["silver_medal"])
        cell.bronze += int(m.rates["bronze_medal"])
        cell.above_median += int(m.rates["above_median"])
        cell.valid += int(valid)
        level = ("gold" if m.rates["gold_medal"] else "silver" if m.rates["silver_medal"]
                 else "bronze" if m.rates["bronze_medal"] else "above-median" if m.rates["above_median"]
                 else "valid" if valid else "invalid")
        best = min(best, _MEDAL_ORDER.index(level))
    cell.best_medal = _MEDAL_ORDER[best]
    cell.mean_score = _mean(scores)
    cell.mean_normalized_score = _mean([m.normalized_score for _, m in pairs if m.normalized_score is not None])
    cell.mean_improvement = _mean([m.improvement for _, m in pairs if m.improvement is not None])
    return cell


def dedupe_runs(runs: Iterable[RunView]) -> tuple[list[RunView], list[str]]:
    """Keep one run per (agent, task, seed); a later run group replaces an earlier one (with a warning)."""
    kept: dict[tuple[str, str, int], RunView] = {}
    warnings = []
    for r in runs:
        key = (r.agent, r.task_id, r.seed)
        if key in kept:
            warnings.append(f"{r.agent} {r.task_id} seed {r.seed}: {r.group} replaces {kept[key].group}")
        kept[key] = r
    return list(kept.values()), warnings


def compare(
    runs: Sequence[RunView],
    tasks: Mapping[str, TaskInfo],
    splits: Mapping[str, Sequence[str]] | None = None,
    groups: Sequence[GroupInfo] = (),
) -> Comparison:
    """Aggregate runs into a Comparison: per agent x split estimates and the task x agent matrix.

    ``splits`` maps split name to task ids; ``all`` is always every task that has runs (a split of
    that name in ``splits`` is ignored). Splits none of the runs touch are left out.
    """
    agents: list[str] = []
    for r in runs:  # agents in the order their run groups were given
        if r.agent not in agents:
            agents.append(r.agent)
    runs, warnings = dedupe_runs(runs)
    runs = sorted(runs, key=lambda r: (agents.index(r.agent), r.task_id, r.seed))
    run_tasks = sorted({r.task_id for r in runs})
    split_map: dict[str, list[str]] = {ALL_SPLIT: run_tasks}
    for name, ids in (splits or {}).items():
        if name != ALL_SPLIT:  # 'all' here means every task that was run
            split_map[name] = list(ids)
    metrics = [run_metrics(r, tasks.get(r.task_id)) for r in runs]
    for t in run_tasks:
        if t not in tasks:
            warnings.append(f"{t}: task not found in the registry; improvement and normalized score unavailable")
    aggregates = []
    for split, ids in split_map.items():
        for agent in agents:
            agg = aggregate_agent_split(agent, split, ids, runs, metrics)
            if agg is not None:
                aggregates.append(agg)
    used_splits = [s for s in split_map if any(a.split == s for a in aggregates)]
    cells = [task_agent_cell(t, a, runs, metrics) for t in run_tasks for a in agents
             if any(r.task_id == t and r.agent == a for r in runs)]
    return Comparison(
        groups=list(groups),
        agents=agents,
        splits=used_splits,
        tasks={t: tasks[t] for t in run_tasks if t in tasks},
        aggregates=aggregates,
        cells=cells,
        runs=runs,
        run_metrics=metrics,
        warnings=warnings,
    )
