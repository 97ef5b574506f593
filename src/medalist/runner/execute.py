"""Execute one run: the worker function every executor calls (plain data in, plain data out).

Idempotent, keyed by the run dir: a run whose ``run.json`` already holds a final status is returned
as is; anything else (no record, pending, running after a crash, harness error) is cleaned and redone.
One attempt at a time writes a run dir: each holds the run's attempt lock (:func:`hold_run`), so a run
retried on another worker (or resumed by another executor) waits for, or takes over from, the previous
attempt instead of writing beside it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from medalist.agents.base import AgentContext
from medalist.agents.registry import build_agent
from medalist.clock import utc_now
from medalist.errors import MedalistError
from medalist.fsutil import atomic_write_json
from medalist.inside import contract
from medalist.llm.usage import run_usage
from medalist.paths import use_task_sources
from medalist.runner.gpus import run_gpus
from medalist.runner.layout import contract_env, contract_mounts, make_workspace, stage_task
from medalist.runner.models import RUN_JSON, AgentReport, AgentSpec, RunRecord, RunSpec, RunStatus, Usage
from medalist.runner.redact import redact_files
from medalist.sandbox.base import Limits, Mount, SandboxRequest, SandboxResult
from medalist.sandbox.masks import empty_dir, system_trees
from medalist.tasks.hidden import hidden_paths
from medalist.tasks.prepare import PreparedTask, ensure_prepared
from medalist.tasks.reach_state import ensure_scan
from medalist.tasks.registry import TaskRegistry

STATUS_BY_REASON: dict[str, RunStatus] = {
    "timeout": "timeout",
    "oom": "oom",
    "killed": "failed",
    "disk_limit": "failed",
    "file_limit": "failed",
    "error": "error",
}
ATTEMPT_LOCK = ".attempt.lock"
"""In each run dir: flock-ed by the attempt writing it (released by the kernel if that process dies),
holding that attempt's token, host and pid. Kept by :func:`clean_run_dir`."""
LOCK_GRACE_SECS = 120.0


def read_record(run_dir: Path) -> RunRecord | None:
    path = Path(run_dir) / RUN_JSON
    if not path.is_file():
        return None
    return RunRecord.model_validate_json(path.read_text())


def write_record(run_dir: Path, record: RunRecord) -> None:
    atomic_write_json(Path(run_dir) / RUN_JSON, record)


def resume_keep(agent: AgentSpec) -> tuple[str, ...]:
    """What an interrupted attempt leaves for the next one: the files a resumable agent (aide, research)
    continues from (its workspace with its journal, its model usage so budgets cover the whole run)."""
    try:
        built = build_agent(agent)
    except MedalistError:
        return ()
    return tuple(getattr(built, "resume_keep", ())) if getattr(built, "resumable", False) else ()


def _clean(run_dir: Path, keep: tuple[str, ...] = ()) -> None:
    for child in run_dir.iterdir():
        if child.name == ATTEMPT_LOCK or child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def clean_run_dir(run_dir: Path, keep: tuple[str, ...] = ()) -> None:
    """Remove everything a previous (interrupted) attempt left in a run dir but ``keep`` (see
    :func:`resume_keep`). A run dir whose attempt lock is held (a live attempt, e.g. on a Dask worker)
    is left alone: that attempt finishes it."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        return
    lock = run_dir / ATTEMPT_LOCK
    if not lock.exists():
        _clean(run_dir, keep)
        return
    with open(lock, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        _clean(run_dir, keep)


def attempt_holder(run_dir: Path) -> dict[str, Any] | None:
    """What the run's attempt lock file says about the last attempt (token, host, pid, started_at)."""
    try:
        return json.loads((Path(run_dir) / ATTEMPT_LOCK).read_text() or "null")
    except (OSError, ValueError):
        return None


@contextmanager
def hold_run(run_dir: Path, wait_secs: float) -> Iterator[str]:
    """Exclusive right to write ``run_dir`` for one attempt; yields the attempt's token.

    Waits up to ``wait_secs`` for a previous attempt that still holds it (a worker the scheduler gave
    up on but that is still running), then raises MedalistError.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    fh = open(run_dir / ATTEMPT_LOCK, "a+")
    try:
        deadline = time.monotonic() + wait_secs
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise MedalistError(
                        f"{run_dir}: another attempt still holds this run after {wait_secs:g}s "
                        f"({attempt_holder(run_dir)})"
                    ) from None
                time.sleep(0.5)
        token = uuid.uuid4().hex
        fh.seek(0)
        fh.truncate()
        fh.write(
            json.dumps({"token": token, "host": socket.gethostname(), "pid": os.getpid(), "started_at": utc_now()})
        )
        fh.flush()
        yield token
    finally:
        fh.close()


def _owns(run_dir: Path, token: str) -> bool:
    holder = attempt_holder(run_dir)
    return holder is not None and holder.get("token") == token


AGENT_REPORT_MAX_BYTES = 64 * 1024


def read_agent_report(logs: Path) -> AgentReport | None:
    """The agent's own account of its outcome, if it left a well-formed one (the file is agent-written:
    size-capped, and anything malformed is ignored)."""
    path = logs / Path(contract.AGENT_REPORT_PATH).name
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > AGENT_REPORT_MAX_BYTES:
            return None
        return AgentReport.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def new_record(spec: RunSpec, attempts: int = 0) -> RunRecord:
    return RunRecord(
        run_id=spec.run_id,
        group_id=spec.group_id,
        task_id=spec.task_id,
        seed=spec.seed,
        agent_id=spec.agent.id,
        limits=spec.limits,
        attempts=attempts,
    )


def status_for(result: SandboxResult) -> RunStatus:
    if result.exit_reason == "exited":
        return "completed" if result.exit_code == 0 else "failed"
    return STATUS_BY_REASON.get(result.exit_reason, "error")


def _sandbox(name: str):
    try:
        from medalist.sandbox import get_sandbox
    except ImportError as exc:
        raise MedalistError(f"sandbox backends are not available: {exc}") from None
    return get_sandbox(name)


def _run_agent(spec: RunSpec, run_dir: Path, record: RunRecord) -> tuple[SandboxResult, list[str]]:
    if spec.data_dir:
        os.environ["MEDALIST_DATA_DIR"] = spec.data_dir
    use_task_sources(spec.task_sources)  # a worker started elsewhere resolves the tasks the group was made with
    registry = TaskRegistry.default(extra_roots=[Path(p) for p in spec.tasks_dirs])
    pt = ensure_prepared(registry.get(spec.task_id))
    python = sys.executable
    workspace = make_workspace(run_dir)
    shared = stage_task(Path(spec.group_dir), pt, spec.limits, python)
    sandbox = _sandbox(spec.sandbox)
    record.sandbox, record.isolated = sandbox.name, bool(sandbox.isolates)
    agent = build_agent(spec.agent)
    ctx = AgentContext(
        prepared=pt, seed=spec.seed, limits=spec.limits, run_dir=run_dir, workspace=workspace, python=python
    )
    with run_gpus(spec, record) as gpus, agent.launch(ctx) as launch:  # waits for free GPUs, if it needs any
        env = contract_env(pt, spec.limits, spec.seed, python)
        env.update(launch.env)
        if not sandbox.isolates:  # no remapping: put the harness tools' host folder on PATH instead
            env["PATH"] = env["PATH"].replace(contract.HARNESS_BIN, str(shared / "harness" / "bin"))
        request = SandboxRequest(
            argv=launch.argv,
            mounts=[*contract_mounts(shared, workspace), *launch.mounts],  # the backend adds the harness venv
            env=env,
            cwd="/home/code",
            limits=Limits(
                memory_gb=spec.limits.memory_gb,
                cpus=spec.limits.cpus,
                time_limit_secs=spec.limits.time_limit_secs,
                disk_gb=spec.limits.disk_gb,
                max_files=spec.limits.max_files,
            ),
            stdout=run_dir / record.paths.stdout,
            stderr=run_dir / record.paths.stderr,
            network=False,
            deny=[pt.private],
            gpus=gpus,
        )
        if sandbox.isolates:  # task definitions, dataset packages' data, files found holding test rows
            request.hide = scan_and_hide([pt], run_trees(launch.mounts, Path(spec.group_dir)))
        return sandbox.run(request), launch.secrets


def known_trees() -> list[Path]:
    """The read-only trees runs bind on this machine: the sandbox's system trees (/usr, the harness
    venv, ...), the solution venv and the adapters' venvs that are installed."""
    from medalist.agents.adapters import installed_venvs
    from medalist.agents.solution_env import default_venv, venv_python

    solution = default_venv()
    return [*system_trees(), *([solution] if venv_python(solution).is_file() else []), *installed_venvs()]


def run_trees(mounts: list[Mount], group_dir: Path) -> list[Path]:
    """The trees one run binds read-only: the system trees plus the agent's read-only mounts (minus the
    empty covers of hidden paths and what the harness writes under the group for this run)."""
    covers = {empty_dir().resolve(), Path("/dev/null")}
    group = Path(group_dir).resolve()
    own = [Path(m.source).resolve() for m in mounts if not m.writable]
    return [*system_trees(), *(p for p in own if p not in covers and not p.is_relative_to(group))]


def scan_and_hide(
    pts: list[PreparedTask], trees: list[Path], notify: Callable[[str], None] | None = None
) -> list[Path]:
    """Make sure ``trees`` have a current reachability scan for the tasks (a stat-only check when they
    do), then return everything the sandbox must hide in them."""
    ensure_scan(pts, trees, notify=notify)
    return hidden_paths(trees)


def prescan(pts: list[PreparedTask], notify: Callable[[str], None] | None = None) -> None:
    """Before a group's runs: scan every tree a run may bind for the group's tasks (once per machine and
    tree state), so runs do not each wait for it."""
    ensure_scan(pts, known_trees(), notify=notify)


def execute_run(spec: RunSpec) -> RunRecord:
    """Run one agent on one task/seed in the sandbox and record the outcome in ``run.json``."""
    run_dir = Path(spec.run_dir)
    with hold_run(run_dir, spec.limits.time_limit_secs + LOCK_GRACE_SECS) as token:
        return _execute_held(spec, run_dir, token)


def _execute_held(spec: RunSpec, run_dir: Path, token: str) -> RunRecord:
    previous = read_record(run_dir) if (run_dir / RUN_JSON).is_file() else None
    if previous is not None and previous.finished:
        return previous
    _clean(run_dir, resume_keep(spec.agent) if previous is not None else ())
    record = new_record(spec, attempts=(previous.attempts if previous else 0) + 1)
    record.status, record.started_at = "running", utc_now()
    write_record(run_dir, record)
    start = time.monotonic()
    secrets: list[str] = []
    try:
        result, secrets = _run_agent(spec, run_dir, record)
        record.status = status_for(result)
        record.exit_reason, record.exit_code = result.exit_reason, result.exit_code
        record.peak_memory_bytes, record.cpu_seconds = result.peak_memory_bytes, result.cpu_seconds
        if record.status == "error":
            record.error = result.detail or "the sandbox could not run the agent"
        elif record.status != "completed" and result.detail:
            record.error = result.detail
    except Exception as exc:  # a harness problem becomes an "error" run, never a crashed worker
        record.status, record.exit_reason = "error", "error"
        record.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, MedalistError) else str(exc)
        (run_dir / "harness.log").write_text(traceback.format_exc())
    finally:
        if secrets:
            redact_files(run_dir, secrets)
    record.agent_report = read_agent_report(run_dir / record.paths.logs)
    usage = run_usage(run_dir)  # LLM agents: tokens, cost, steps, stop reason (llm_usage.json)
    if usage is not None:
        record.usage = Usage.model_validate(usage)
        if record.status == "failed" and not record.error and usage.get("stop_message"):
            record.error = f"agent stopped ({usage.get('stop_reason')}): {usage['stop_message']}"[:500]
    record.ended_at = utc_now()
    record.seconds = round(time.monotonic() - start, 3)
    if not _owns(run_dir, token):  # lost the lock (e.g. an NFS lease): the newer attempt owns the dir
        return read_record(run_dir) or record
    write_record(run_dir, record)
    return record


def run_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """Plain-data entry point for executors that ship JSON-like payloads (e.g. Dask)."""
    return execute_run(RunSpec.model_validate(payload)).model_dump(mode="json")
