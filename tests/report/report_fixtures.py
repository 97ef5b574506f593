"""Hand-written fixtures: two tasks, two agents, a few seeds, with every number worked out by hand."""

from __future__ import annotations

from medalist.grading.report import CompetitionReport
from medalist.report.models import RunView, TaskInfo


def rep(
    task: str, score: float | None, medal: str = "", above_median: bool = False, lower: bool = False
) -> CompetitionReport:
    """A report with the given score and medal ('' = none; score None = invalid submission)."""
    valid = score is not None
    return CompetitionReport(
        competition_id=task,
        score=score,
        is_lower_better=lower,
        gold_medal=medal == "gold",
        silver_medal=medal == "silver",
        bronze_medal=medal == "bronze",
        any_medal=bool(medal),
        above_median=above_median,
        submission_exists=True,
        valid_submission=valid,
        error=None if valid else "missing column",
    )


# alpha: higher is better; baseline = sample submission score 0.5; leaderboard best 0.9.
# beta: lower is better; sample 10.0, starter baseline 8.0; leaderboard best 2.0.
TASKS = {
    "alpha": TaskInfo(
        task_id="alpha",
        metric="accuracy",
        is_lower_better=False,
        baseline_score=0.5,
        baseline_source="sample_submission",
        sample_score=0.5,
        leaderboard_best=0.9,
        leaderboard_scores=[0.9, 0.8, 0.7, 0.6, 0.55],
        splits=["lite"],
    ),
    "beta": TaskInfo(
        task_id="beta",
        metric="rmse",
        is_lower_better=True,
        baseline_score=8.0,
        baseline_source="starter",
        sample_score=10.0,
        leaderboard_best=2.0,
        leaderboard_scores=[2.0, 4.0, 6.5, 9.0],
        splits=[],
    ),
}
SPLITS = {"lite": ["alpha"]}


def run(agent: str, task: str, seed: int, report: CompetitionReport | None, **kw) -> RunView:
    return RunView(group=f"g_{agent}", agent=agent, task_id=task, seed=seed, status="ok", report=report, **kw)


RUNS = [
    # agent A, seeds 0 and 1 on both tasks
    run("A", "alpha", 0, rep("alpha", 0.8, "gold", True), cost_usd=0.5, wall_seconds=10.0),  # imp 0.6, norm 0.75
    run("A", "alpha", 1, rep("alpha", 0.54)),  # imp 0.08, norm 0.1
    run(
        "A", "beta", 0, rep("beta", 6.0, "bronze", True, lower=True), cost_usd=0.25, wall_seconds=30.0
    ),  # imp 0.25, norm 0.5
    run("A", "beta", 1, rep("beta", None, lower=True)),  # invalid: imp 0, norm 0
    # agent B, seeds 0..2 on alpha only
    run("B", "alpha", 0, rep("alpha", 0.7, "silver", True)),  # imp 0.4, norm 0.5
    run("B", "alpha", 1, rep("alpha", 0.5)),  # imp 0, norm 0
    run("B", "alpha", 2, None),  # no report (crashed): imp 0, norm 0
]


# ---- on-disk run groups (written with the runner's own models) over the tiny tasks in tests/report/tasks ----

import json  # noqa: E402
from pathlib import Path  # noqa: E402

TASKS_DIR = Path(__file__).resolve().parent / "tasks"
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def registry():
    from medalist.tasks.registry import TaskRegistry

    return TaskRegistry(roots=[TASKS_DIR])


def write_group(runs_dir: Path, name: str, agent_id: str, runs: list[dict], model: str | None = None) -> Path:
    """Write ``runs_dir/name`` as `medalist run` does: metadata.json + <task>_s<seed>/run.json.

    Each run dict: task, seed, score (None = invalid), optional status, seconds, cost, tokens, journal,
    trace, stdout, code (file text).
    """
    from medalist.grading import report_for_score, task_thresholds
    from medalist.llm.config import LLMConfig
    from medalist.runner.models import (
        AgentSpec,
        ExecutorInfo,
        GroupMetadata,
        LimitOverrides,
        RunEntry,
        RunRecord,
        Usage,
    )

    reg = registry()
    group = runs_dir / name
    group.mkdir(parents=True)
    agent = AgentSpec(id=agent_id, llm=LLMConfig(model=model) if model else None)
    entries = []
    for r in runs:
        spec = reg.get(r["task"])
        run_id = f"{r['task']}_s{r['seed']}"
        rd = group / run_id
        (rd / "workspace" / "logs").mkdir(parents=True)
        (rd / "workspace" / "code").mkdir(parents=True)
        report = report_for_score(spec, r["score"], task_thresholds(spec))
        report.valid_submission = report.submission_exists = r["score"] is not None
        if r["score"] is None:
            report.error = f"missing column y {XSS}"
        usage = (
            Usage(
                cost_usd=r.get("cost"),
                input_tokens=r.get("tokens"),
                output_tokens=r.get("tokens"),
                steps=r.get("steps"),
            )
            if r.get("cost") is not None
            else None
        )
        rec = RunRecord(
            run_id=run_id,
            group_id=name,
            task_id=r["task"],
            seed=r["seed"],
            agent_id=agent_id,
            status=r.get("status", "completed"),
            seconds=r.get("seconds", 12.5),
            peak_memory_bytes=200 * 2**20,
            grading=report,
            usage=usage,
            error=r.get("error"),
        )
        (rd / "run.json").write_text(rec.model_dump_json(indent=2))
        if "journal" in r:
            (rd / "workspace" / "logs" / "journal.json").write_text(json.dumps(r["journal"]))
        if "trace" in r:
            (rd / "workspace" / "logs" / "trace.json").write_text(json.dumps(r["trace"]))
        if "stdout" in r:
            (rd / "agent_stdout.log").write_text(r["stdout"])
        if "code" in r:
            (rd / "workspace" / "code" / "main.py").write_text(r["code"])
        entries.append(
            RunEntry(
                run_id=run_id,
                task_id=r["task"],
                seed=r["seed"],
                dir=run_id,
                status=rec.status,
                score=r["score"],
                valid_submission=r["score"] is not None,
            )
        )
    meta = GroupMetadata(
        group_id=name,
        agent_id=agent_id,
        agent=agent,
        tasks=sorted({r["task"] for r in runs}),
        seeds=sorted({r["seed"] for r in runs}),
        limits=LimitOverrides(),
        executor=ExecutorInfo(name="local", workers=1),
        sandbox="process",
        medalist_version="test",
        runs=entries,
    )
    (group / "metadata.json").write_text(meta.model_dump_json(indent=2))
    return group


JOURNAL = {
    "nodes": [
        {
            "id": "n0",
            "step": 0,
            "parent": None,
            "plan": "Baseline logistic regression",
            "code": "import pandas as pd\nprint('hi')",
            "term_out": ["fold 1 0.71\n", "fold 2 0.69\n"],
            "metric": {"value": 0.70, "maximize": True},
            "is_buggy": False,
            "exec_time": 3.2,
        },
        {
            "id": "n1",
            "step": 1,
            "parent": "n0",
            "plan": "Gradient boosting " + XSS,
            "code": "x = 1 < 2 and 3 > 2  # " + XSS,
            "term_out": "ok",
            "metric": {"value": 0.90, "maximize": True},
            "is_buggy": False,
            "analysis": "better",
        },
        {
            "id": "n2",
            "step": 2,
            "parent": "n0",
            "plan": "Broken idea",
            "code": "raise ValueError()",
            "term_out": "Traceback ... ValueError",
            "metric": {"value": None},
            "is_buggy": True,
        },
    ]
}
TRACE = {
    "steps": [
        {
            "step": 0,
            "action": "list_files",
            "thought": "Look at the data first",
            "input": ".",
            "output": "train.csv\ntest.csv",
        },
        {"step": 1, "action": "edit_script", "thought": "Write train.py " + XSS, "input": "print(1)", "output": XSS},
        {"step": 2, "action": "final_answer", "output": "submitted"},
    ]
}


def write_two_groups(runs_dir: Path) -> tuple[Path, Path]:
    """An 'aide (openai/gpt-x)' group (2 seeds, a journal, one invalid run) and an 'automl' group (1 seed, traces)."""
    aide = write_group(
        runs_dir,
        "2026-01-01T00-00-00Z_aide",
        "aide",
        [
            {
                "task": "alpha",
                "seed": 0,
                "score": 0.9,
                "journal": JOURNAL,
                "cost": 0.12,
                "tokens": 5000,
                "steps": 3,
                "seconds": 40.0,
            },
            {"task": "alpha", "seed": 1, "score": 0.7, "cost": 0.08, "tokens": 3000, "steps": 2, "seconds": 30.0},
            {"task": "beta", "seed": 0, "score": 0.25, "cost": 0.10, "tokens": 4000, "steps": 3, "seconds": 20.0},
            {
                "task": "beta",
                "seed": 1,
                "score": None,
                "status": "failed",
                "error": "agent exited 1 " + XSS,
                "cost": 0.02,
                "tokens": 800,
                "steps": 1,
                "seconds": 5.0,
            },
        ],
        model="openai/gpt-x",
    )
    automl = write_group(
        runs_dir,
        "2026-01-01T01-00-00Z_automl",
        "automl",
        [
            {
                "task": "alpha",
                "seed": 0,
                "score": 0.8,
                "trace": TRACE,
                "stdout": "fitting\n" + XSS,
                "code": "print('automl')",
            },
            {"task": "beta", "seed": 0, "score": 1.0},
        ],
    )
    return aide, automl
