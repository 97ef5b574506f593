"""Aggregate runs per agent and split with MLE-bench's protocol: medal rates, normalized score,
improvement, pass@k.

Per run (a run without a report, e.g. crashed, and a padded missing run count as failures):

* rates (percent): any/gold/silver/bronze medal, above median, submission exists, valid submission, and
  ``success`` = improvement over the task's baseline > 10% (MLAgentBench).
* normalized score: 0 = the sample submission's score, 1 = the leaderboard's best; an invalid submission
  counts as 0. The headline continuous measure.
* medal confidence: the bootstrap probability that a run's medal tier holds (built-in tasks with a stored
  bootstrap only; averaged over the runs that have one).
* improvement: relative change over the baseline (the task's starter score, else the sample
  submission's) in the metric's good direction; an invalid submission counts as 0. It is averaged
  capped to +-100% per run, and also given as the median over the seed's tasks. Tasks whose baseline
  has no skill (score ~0, see stats.degenerate_baseline) are left out of improvement and success.

Per agent and split: seeds are built as MLE-bench builds them (protocol.build_seeds), each metric is
averaged over a seed's tasks, then mean, SEM (ddof=1), Student-t 95% CI and MLE-bench's 1.96*SEM
interval over seeds. A split the agent ran only partly is aggregated over the tasks it ran and marked
partial (not the split's score) unless ``pad_missing`` counts its missing runs as failures.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from medalist.report.models import (
    RATE_METRICS,
    VALUE_METRICS,
    AgentSplitAggregate,
    Comparison,
    Estimate,
    GroupInfo,
    RunMetrics,
    RunView,
    TaskAgentCell,
    TaskInfo,
)
from medalist.report.protocol import PROTOCOL, build_seeds
from medalist.report.stats import capped, estimate, normalized_score, pass_at_k
from medalist.tasks.baseline import SUCCESS_IMPROVEMENT, improvement

TASKS_RUN = "tasks-run"
"""The pseudo-split of every task some agent in the comparison ran (not a benchmark split)."""

MEDAL_TIERS = ("gold_medal", "silver_medal", "bronze_medal")


def run_metrics(run: RunView, task: TaskInfo | None) -> RunMetrics:
    """Derive a run's 0/1 outcomes, improvement and normalized score."""
    rep = run.report
    valid = bool(rep is not None and rep.valid_submission and rep.score is not None)
    rates: dict[str, float] = {}
    for name in RATE_METRICS:
        if name == "any_medal":  # from the tiers, as MLE-bench's aggregation counts it
            rates[name] = float(rep is not None and any(getattr(rep, t) for t in MEDAL_TIERS))
        elif name != "success":
            rates[name] = float(bool(rep is not None and getattr(rep, name)))
    imp: float | None = None
    norm: float | None = None
    if task is not None:
        if task.baseline_score is not None and not task.baseline_degenerate:
            if valid:
                assert rep is not None and rep.score is not None
                imp = improvement(rep.score, task.baseline_score, task.is_lower_better)
            else:
                imp = 0.0
        if task.sample_score is not None and task.leaderboard_best is not None:
            if valid:
                assert rep is not None and rep.score is not None
                norm = normalized_score(rep.score, task.sample_score, task.leaderboard_best)
            elif task.leaderboard_best != task.sample_score:
                norm = 0.0
    if imp is not None:
        rates["success"] = float(imp > SUCCESS_IMPROVEMENT)
    return RunMetrics(
        key=run.key,
        agent=run.agent,
        task_id=run.task_id,
        seed=run.seed,
        rates=rates,
        improvement=imp,
        normalized_score=norm,
        medal_confidence=rep.medal_confidence if rep is not None and valid else None,
    )


def _mean(xs: Sequence[float]) -> float | None:
    return math.fsum(xs) / len(xs) if xs else None


def seed_values(seed: Sequence[RunMetrics]) -> dict[str, float]:
    """One seed's metrics: each averaged over the seed's tasks where it is defined."""
    out: dict[str, float] = {}
    for name in RATE_METRICS:
        rate = _mean([m.rates[name] for m in seed if name in m.rates])
        if rate is not None:
            out[name] = rate * 100
    norm = _mean([m.normalized_score for m in seed if m.normalized_score is not None])
    if norm is not None:
        out["normalized_score"] = norm
    conf = _mean([m.medal_confidence for m in seed if m.medal_confidence is not None])
    if conf is not None:
        out["medal_confidence"] = conf
    imps = [m.improvement for m in seed if m.improvement is not None]
    if imps:
        out["improvement"] = math.fsum(capped(v) for v in imps) / len(imps) * 100
        out["improvement_median"] = statistics.median(imps) * 100
    return out


def estimates_over_seeds(seeds: Sequence[Sequence[RunMetrics]]) -> dict[str, Estimate]:
    """Mean +- SEM (t and 1.96*SEM intervals) over seeds of every metric a seed defines."""
    per_seed = [seed_values(s) for s in seeds]
    names = [n for n in (*RATE_METRICS, *VALUE_METRICS) if any(n in v for v in per_seed)]
    return {n: estimate([v[n] for v in per_seed if n in v]) for n in names}


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


Pair = tuple[RunView, RunMetrics]


def missing_run(agent: str, task_id: str, index: int, task: TaskInfo | None) -> RunMetrics:
    """What a padded missing run counts as: a run that handed in nothing."""
    return run_metrics(RunView(group="(missing)", agent=agent, task_id=task_id, seed=index, status="missing"), task)


def aggregate_agent_split(
    agent: str,
    split: str,
    split_tasks: Sequence[str],
    runs_by_task: Mapping[str, Sequence[Pair]],
    tasks: Mapping[str, TaskInfo],
    pad_missing: bool = False,
    num_seeds: int | None = None,
) -> AgentSplitAggregate | None:
    """One agent on one split; ``runs_by_task`` holds the agent's runs per task in seed order.

    None when the agent ran none of the split's tasks.
    """
    split_tasks = list(dict.fromkeys(split_tasks))
    ran = [t for t in split_tasks if runs_by_task.get(t)]
    if not ran:
        return None
    missing = [t for t in split_tasks if t not in ran]
    partial = bool(missing) and not pad_missing
    plan = build_seeds(runs_by_task, ran if partial else split_tasks, pad_missing, num_seeds)
    seeds = [
        [
            pair[1] if pair is not None else missing_run(agent, t, i, tasks.get(t))
            for t, pair in zip(plan.task_ids, seed)
        ]
        for i, seed in enumerate(plan.seeds)
    ]
    in_split = [p for t in ran for p in runs_by_task[t]]
    costs = [r.cost_usd for r, _ in in_split if r.cost_usd is not None]
    walls = [r.wall_seconds for r, _ in in_split if r.wall_seconds is not None]
    return AgentSplitAggregate(
        agent=agent,
        split=split,
        status="partial" if partial else "padded" if plan.padded else "complete",
        split_size=len(split_tasks),
        tasks=ran,
        missing_tasks=missing,
        tasks_per_seed=len(plan.task_ids),
        n_seeds=len(plan.seeds),
        n_runs=plan.used,
        padded_runs=plan.padded,
        unused_runs=plan.unused,
        seed_runs=[[None if p is None else p[0].key for p in seed] for seed in plan.seeds],
        metrics=estimates_over_seeds(seeds),
        pass_at_k=pass_at_k_table([m for s in seeds for m in s]),
        total_cost_usd=sum(costs) if costs else None,
        cost_unknown=any(r.cost_unknown for r, _ in in_split),
        total_wall_seconds=sum(walls) if walls else None,
    )


_MEDAL_ORDER = ("gold", "silver", "bronze", "above-median", "valid", "invalid", "none")


def task_agent_cell(task_id: str, agent: str, runs: Sequence[RunView], metrics: Sequence[RunMetrics]) -> TaskAgentCell:
    """Summarise one agent's runs (all seeds) on one task for the medal matrix."""
    pairs = sorted(
        ((r, m) for r, m in zip(runs, metrics) if r.agent == agent and r.task_id == task_id), key=lambda p: p[0].seed
    )
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
        level = (
            "gold"
            if m.rates["gold_medal"]
            else "silver"
            if m.rates["silver_medal"]
            else "bronze"
            if m.rates["bronze_medal"]
            else "above-median"
            if m.rates["above_median"]
            else "valid"
            if valid
            else "invalid"
        )
        best = min(best, _MEDAL_ORDER.index(level))
    cell.best_medal = _MEDAL_ORDER[best]
    cell.mean_score = _mean(scores)
    cell.mean_normalized_score = _mean([m.normalized_score for _, m in pairs if m.normalized_score is not None])
    cell.mean_improvement = _mean([m.improvement for _, m in pairs if m.improvement is not None])
    cell.mean_medal_confidence = _mean([m.medal_confidence for _, m in pairs if m.medal_confidence is not None])
    return cell


def dedupe_runs(runs: Iterable[RunView]) -> tuple[list[RunView], list[str]]:
    """Keep one medalist run per (agent, task, seed); a later run group replaces an earlier one (with a
    warning). Runs read from MLE-bench reports are all kept: there every report is a run of its own."""
    kept: dict[tuple[str, str, int], RunView] = {}
    others: list[RunView] = []
    warnings = []
    for r in runs:
        if r.source != "medalist":
            others.append(r)
            continue
        key = (r.agent, r.task_id, r.seed)
        if key in kept:
            warnings.append(f"{r.agent} {r.task_id} seed {r.seed}: {r.group} replaces {kept[key].group}")
        kept[key] = r
    return list(kept.values()) + others, warnings


def _notes(
    aggregates: Sequence[AgentSplitAggregate], tasks: Mapping[str, TaskInfo], run_tasks: Sequence[str]
) -> list[str]:
    notes = []
    degenerate = [t for t in run_tasks if t in tasks and tasks[t].baseline_degenerate]
    if degenerate:
        listed = ", ".join(f"{t} ({tasks[t].baseline_score:.4g})" for t in degenerate[:6])
        notes.append(
            f"improvement and success leave out {len(degenerate)} task(s) whose baseline has no skill "
            f"(score ~0 next to the leaderboard's best): {listed}{', ...' if len(degenerate) > 6 else ''}"
        )
    unused = [a for a in aggregates if a.unused_runs and a.split == TASKS_RUN]
    for a in unused:
        notes.append(
            f"{a.agent}: {a.unused_runs} run(s) beyond the last complete seed are left out, as MLE-bench "
            "does (--pad-missing keeps them and counts the missing runs as failures)"
        )
    return notes


def compare(
    runs: Sequence[RunView],
    tasks: Mapping[str, TaskInfo],
    splits: Mapping[str, Sequence[str]] | None = None,
    groups: Sequence[GroupInfo] = (),
    pad_missing: bool = False,
    num_seeds: int | None = None,
) -> Comparison:
    """Aggregate runs into a Comparison: per agent x split estimates and the task x agent matrix.

    ``splits`` maps split name to task ids; ``tasks-run`` (every task some run covers) is always added.
    Splits none of the runs touch are left out. A task's runs form seeds in run-group order (the
    group's path, which for ``runs/<timestamp>_...`` folders is the order they were made), then seed.
    """
    if num_seeds is not None and num_seeds < 1:
        raise ValueError("num_seeds must be at least 1")
    agents: list[str] = []
    for r in runs:  # agents in the order their run groups were given
        if r.agent not in agents:
            agents.append(r.agent)
    runs, warnings = dedupe_runs(runs)
    group_order = {g.name: g.path for g in groups}
    runs = sorted(runs, key=lambda r: (agents.index(r.agent), r.task_id, group_order.get(r.group, r.group), r.seed))
    run_tasks = sorted({r.task_id for r in runs})
    split_map: dict[str, list[str]] = {TASKS_RUN: run_tasks}
    for name, ids in (splits or {}).items():
        if name != TASKS_RUN:
            split_map[name] = list(ids)
    metrics = [run_metrics(r, tasks.get(r.task_id)) for r in runs]
    unknown = [t for t in run_tasks if t not in tasks]
    if unknown:
        warnings.append(
            f"{len(unknown)} task(s) not in the task registry ({', '.join(unknown[:4])}"
            f"{', ...' if len(unknown) > 4 else ''}): medal rates only, no normalized score or "
            "improvement (MLE-bench competitions need --mlebench-dir)"
        )
    by_agent_task: dict[str, dict[str, list[tuple[RunView, RunMetrics]]]] = defaultdict(lambda: defaultdict(list))
    for r, m in zip(runs, metrics):
        by_agent_task[r.agent][r.task_id].append((r, m))
    aggregates = []
    for split, ids in split_map.items():
        for agent in agents:
            agg = aggregate_agent_split(agent, split, ids, by_agent_task[agent], tasks, pad_missing, num_seeds)
            if agg is None:
                continue
            aggregates.append(agg)
            if num_seeds is not None and agg.n_seeds < num_seeds:
                warnings.append(
                    f"{agent} on split {split}: {num_seeds} seeds asked for, {agg.n_seeds} "
                    f"{'built' if pad_missing else 'complete'}"
                )
    used_splits = [s for s in split_map if any(a.split == s for a in aggregates)]
    cells = [task_agent_cell(t, a, runs, metrics) for t in run_tasks for a in agents if by_agent_task[a].get(t)]
    return Comparison(
        protocol=PROTOCOL,
        pad_missing=pad_missing,
        num_seeds=num_seeds,
        groups=list(groups),
        agents=agents,
        splits=used_splits,
        tasks={t: tasks[t] for t in run_tasks if t in tasks},
        aggregates=aggregates,
        cells=cells,
        runs=runs,
        run_metrics=metrics,
        warnings=warnings,
        notes=_notes(aggregates, tasks, run_tasks),
    )
