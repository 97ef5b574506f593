"""MLE-bench's seed protocol (the one behind its leaderboard): per split, seeds that each hold exactly
one run of every task of the split.

A task's runs are taken in run-group order; seed i is the i-th run of every task. By default only
complete seeds are kept (as many as the task with the fewest runs has) and later runs are left out;
with ``pad_missing`` there are as many seeds as the task with the most runs has, and a missing run is
counted as a failure (no submission, no medal). Seeds are exchangeable replicates, so pairing runs by
order rather than by seed label changes no expectation; it is what MLE-bench does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

PROTOCOL = "mlebench"

T = TypeVar("T")


@dataclass(frozen=True)
class SeedPlan(Generic[T]):
    """Seeds as built for one agent on one set of tasks."""

    task_ids: list[str]
    seeds: list[list[T | None]]
    """seed x task (in ``task_ids`` order); None = a missing run, padded as a failure."""
    unused: int
    """Runs left out because they come after the last seed built."""

    @property
    def padded(self) -> int:
        return sum(run is None for seed in self.seeds for run in seed)

    @property
    def used(self) -> int:
        return sum(run is not None for seed in self.seeds for run in seed)


def build_seeds(
    runs_by_task: Mapping[str, Sequence[T]],
    task_ids: Sequence[str],
    pad_missing: bool = False,
    num_seeds: int | None = None,
) -> SeedPlan[T]:
    """Seeds over ``task_ids`` from each task's runs (in order): complete seeds only, or padded ones.

    Without padding, a task with no run means no seed can be built (an empty plan): the caller decides
    what a partial split is. ``num_seeds`` keeps at most that many seeds (the first ones).
    """
    if not task_ids:
        raise ValueError("no tasks to build seeds over")
    counts = [len(runs_by_task.get(t, ())) for t in task_ids]
    n = max(counts) if pad_missing else min(counts)
    if num_seeds is not None:
        n = min(n, num_seeds)
    seeds: list[list[T | None]] = []
    for i in range(n):
        seed: list[T | None] = []
        for t in task_ids:
            runs = runs_by_task.get(t, ())
            seed.append(runs[i] if i < len(runs) else None)
        seeds.append(seed)
    unused = sum(max(0, c - n) for c in counts)
    return SeedPlan(task_ids=list(task_ids), seeds=seeds, unused=unused)
