"""MLAgentBench interop: tasks from an MLAgentBench ``benchmarks/`` folder as medalist tasks.

Each task folder holds ``env/`` (the starter files the agent sees, usually with a ``train.py``) and
``scripts/``: ``prepare.py`` (run with ``scripts/`` as working directory; it fills ``../env`` and writes
answer files beside itself), ``eval.py`` with ``get_score(submission_folder)`` (reads ``submission.csv``
from that folder), ``research_problem.txt`` (the task statement) and ``read_only_files.txt``.

Preparing copies the folder, runs ``scripts/prepare.py`` in the copy, publishes ``env/`` as the public data
(read-only to the agent, which covers ``read_only_files.txt``) and keeps ``scripts/`` (with its answers)
private. It then measures the starter baseline: ``python train.py`` in a scratch copy of ``env/`` under a
timeout, scored with ``get_score``; the result is cached as ``private/baseline.json`` and reports carry
``baseline_score``, ``improvement`` and ``success`` (more than 10% better than the starter).

MLAgentBench does not record a score direction; ``KNOWN_LOWER_IS_BETTER`` covers known error metrics and
an optional ``medalist.yaml`` in the task folder overrides it (see docs/interop.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from medalist.configfile import format_validation_error, read_yaml, renamed_key
from medalist.errors import ConfigError, InvalidSubmissionError, MedalistError
from medalist.fsutil import atomic_write_json
from medalist.tasks.baseline import BaselineScore, baseline_path
from medalist.tasks.spec import TaskSpec

KNOWN_LOWER_IS_BETTER = frozenset({"house-price"})
"""MLAgentBench tasks whose ``get_score`` is an error (house-price: mean absolute error)."""
OVERRIDES_FILE = "medalist.yaml"

_GET_SCORE = """\
import importlib.util, json, sys
sys.path.insert(0, ".")
spec = importlib.util.spec_from_file_location("mlagentbench_task_eval", "eval.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
score = module.get_score(sys.argv[1])
with open(sys.argv[2], "w") as fh:
    json.dump(float(score), fh)
"""


class TaskOverrides(BaseModel):
    """Optional ``medalist.yaml`` beside ``env/`` and ``scripts/``: what MLAgentBench leaves unstated."""

    model_config = ConfigDict(extra="forbid")

    is_lower_better: bool | None = None
    baseline_timeout_secs: int = Field(default=600, gt=0)
    prepare_timeout_secs: int = Field(default=3600, gt=0)
    eval_timeout_secs: int = Field(default=600, gt=0)
    time_limit_secs: int | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _old_spellings(cls, data: Any) -> Any:
        return renamed_key(data, "lower_is_better", "is_lower_better", "medalist.yaml")


class EvalError(Exception):
    """``eval.py`` (or the starter) failed; the message is its last line of stderr."""


def _last_line(text: str | bytes | None, fallback: str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else fallback


def benchmarks_dir(path: Path) -> Path:
    """The ``benchmarks/`` folder given it, its MLAgentBench package, or the repository root."""
    path = Path(path).expanduser().resolve()
    for cand in (path, path / "benchmarks", path / "MLAgentBench" / "benchmarks"):
        if cand.is_dir() and any(
            (d / "scripts").is_dir() and (d / "env").is_dir() for d in cand.iterdir() if d.is_dir()
        ):
            return cand
    raise ConfigError(f"{path}: not an MLAgentBench benchmarks folder (expected <task>/env/ and <task>/scripts/)")


def read_overrides(task_dir: Path) -> TaskOverrides:
    path = task_dir / OVERRIDES_FILE
    if not path.is_file():
        return TaskOverrides()
    try:
        return TaskOverrides.model_validate(read_yaml(path) or {})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from None


def task_spec(task_dir: Path) -> TaskSpec:
    """One MLAgentBench task folder as a TaskSpec graded by its own ``eval.py``."""
    task_dir = task_dir.resolve()
    scripts = task_dir / "scripts"
    for needed in (scripts / "research_problem.txt", scripts / "eval.py"):
        if not needed.is_file():
            raise ConfigError(f"{task_dir}: {needed.relative_to(task_dir)} is missing")
    ov = read_overrides(task_dir)
    lower = ov.is_lower_better if ov.is_lower_better is not None else task_dir.name in KNOWN_LOWER_IS_BETTER
    fields: dict[str, Any] = {
        "id": task_dir.name,
        "name": f"MLAgentBench: {task_dir.name}",
        "description": "scripts/research_problem.txt",
        "task_type": "other",
        "metric": "mlagentbench-get_score",
        "prepare": "medalist.tasks.mlagentbench:prepare_task_folder",
        "prepare_args": {
            "task_dir": str(task_dir),
            "baseline_timeout": ov.baseline_timeout_secs,
            "prepare_timeout": ov.prepare_timeout_secs,
        },
        "grader": "medalist.tasks.mlagentbench:grade_task",
        "grader_args": {"eval_timeout": ov.eval_timeout_secs},
        "is_lower_better": lower,
        "leaderboard": None,
        "answers": "scripts/eval.py",
        "sample_submission": "sample_submission.csv"
        if (task_dir / "env" / "sample_submission.csv").is_file()
        else None,
        "tags": ["mlagentbench"],
        "source": f"MLAgentBench task {task_dir}",
    }
    if ov.time_limit_secs:
        fields["limits"] = {"time_limit_secs": ov.time_limit_secs}
    try:
        spec = TaskSpec.model_validate(fields)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(task_dir, exc)) from None
    spec.root = task_dir
    return spec


def load_benchmarks(path: Path) -> tuple[list[TaskSpec], dict[str, list[str]]]:
    """Every task with ``env/``, ``scripts/eval.py`` and ``scripts/research_problem.txt``; one split ``mlagentbench``.

    Folders without an ``eval.py`` (MLAgentBench's unscored tasks) are skipped.
    """
    bench = benchmarks_dir(path)
    specs = [
        task_spec(d)
        for d in sorted(bench.iterdir())
        if d.is_dir() and (d / "env").is_dir() and (d / "scripts" / "eval.py").is_file()
    ]
    return specs, {"mlagentbench": [s.id for s in specs]}


def run_get_score(scripts: Path, folder: Path, timeout: float) -> float:
    """``get_score(folder)`` from ``scripts/eval.py`` in a subprocess (working directory ``scripts/``)."""
    with tempfile.TemporaryDirectory(prefix="medalist-score-") as tmp:
        out = Path(tmp) / "score.json"
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _GET_SCORE, str(Path(folder).resolve()), str(out)],
                cwd=scripts,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise EvalError(f"eval.py get_score timed out after {timeout:g}s") from None
        if proc.returncode != 0 or not out.is_file():
            raise EvalError(f"eval.py get_score failed: {_last_line(proc.stderr, f'exit code {proc.returncode}')}")
        return float(json.loads(out.read_text()))


def grade_task(submission: Path, answers: Path, *, eval_timeout: float = 600) -> float:
    """medalist grader hook: copy the submission to ``submission.csv`` in a scratch folder, score it with eval.py."""
    scripts = Path(answers).parent
    with tempfile.TemporaryDirectory(prefix="medalist-submission-") as tmp:
        shutil.copyfile(submission, Path(tmp) / "submission.csv")
        try:
            return run_get_score(scripts, Path(tmp), eval_timeout)
        except EvalError as exc:
            raise InvalidSubmissionError(str(exc)) from None


def measure_baseline(public: Path, scripts: Path, timeout: float, eval_timeout: float = 600) -> BaselineScore:
    """Run the starter ``train.py`` in a scratch copy of ``public`` and score the folder it leaves behind."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = BaselineScore(source="starter: python train.py", measured_at=now)
    if not (public / "train.py").is_file():
        record.error = "no train.py starter in env/"
        return record
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="medalist-baseline-") as tmp:
        work = Path(tmp) / "env"
        shutil.copytree(public, work)
        try:
            proc = subprocess.run(
                [sys.executable, "train.py"],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            record.error = f"train.py timed out after {timeout:g}s"
            return record
        finally:
            record.seconds = round(time.perf_counter() - start, 3)
        if proc.returncode != 0:
            record.error = f"train.py exited with code {proc.returncode}: {_last_line(proc.stderr, 'no output')}"
            return record
        if not (work / "submission.csv").is_file():
            record.error = "train.py wrote no submission.csv"
            return record
        try:
            record.score = run_get_score(scripts, work, eval_timeout)
        except EvalError as exc:
            record.error = str(exc)
    return record


def prepare_task_folder(
    raw: Path,
    public: Path,
    private: Path,
    *,
    task_dir: str,
    baseline_timeout: float = 600,
    prepare_timeout: float = 3600,
) -> None:
    """medalist prepare hook: run scripts/prepare.py in a copy, publish env/, keep scripts/ private, measure baseline.

    MLAgentBench prepare scripts may pause on ``input()`` for consent; they get an empty line on stdin
    (Kaggle itself still refuses downloads whose rules were not accepted).
    """
    src = Path(task_dir)
    with tempfile.TemporaryDirectory(prefix=".mlagentbench-", dir=Path(private).parent) as tmp:
        work = Path(tmp)
        shutil.copytree(src / "env", work / "env", symlinks=True)
        shutil.copytree(src / "scripts", work / "scripts", symlinks=True)
        if (work / "scripts" / "prepare.py").is_file():
            try:
                proc = subprocess.run(
                    [sys.executable, "prepare.py"],
                    cwd=work / "scripts",
                    input="\n" * 16,
                    capture_output=True,
                    text=True,
                    timeout=prepare_timeout,
                )
            except subprocess.TimeoutExpired:
                raise MedalistError(f"{src}/scripts/prepare.py timed out after {prepare_timeout:g}s") from None
            if proc.returncode != 0:
                raise MedalistError(
                    f"{src}/scripts/prepare.py failed (exit code {proc.returncode}): "
                    f"{_last_line(proc.stderr, 'no error output')}"
                )
        shutil.copytree(work / "env", public, dirs_exist_ok=True)
        shutil.copytree(work / "scripts", Path(private) / "scripts")
    record = measure_baseline(Path(public), Path(private) / "scripts", baseline_timeout)
    atomic_write_json(baseline_path(private), record)
