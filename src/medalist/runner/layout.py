"""On-disk layout of a run group, and the harness files staged for the sandbox.

```
runs/<UTC timestamp>_<agent>/
  metadata.json                 group state (atomic writes)
  grading_summary.json          written after grading
  _shared/<task>/               staged once per task, read-only inside the sandbox
    data/                       public files (copies, reflinked where the filesystem can) -> /home/data
    instructions.txt                                                          -> /home/instructions.txt
    harness/task.json, harness/bin/validate_submission                        -> /opt/medalist
  <task>_s<seed>/
    run.json                    run state (atomic writes)
    agent_stdout.log, agent_stderr.log, harness.log
    workspace/{submission,code,logs}                                          -> /home/{submission,code,logs}
```
Everything the sandbox user reads is world-readable; the three workspace folders are world-writable.

Public data is copied (never hard-linked) out of the prepared-data cache, so no change through any path
can reach the cache or another group, and is bound read-only. The runs of one group share the staged
files, so they can see each other's advisory file locks on them: a known, harmless channel (it carries
no data, and runs of one group are the same agent).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

from medalist.errors import MedalistError
from medalist.inside import contract
from medalist.metrics import get_metric
from medalist.runner.instructions import render_instructions
from medalist.runner.models import RunLimits
from medalist.sandbox.base import Mount
from medalist.tasks.columns import ColumnRoles, column_roles, with_roles
from medalist.tasks.prepare import PreparedTask

SHARED = "_shared"
WORKSPACE_DIRS = ("submission", "code", "logs")


def run_dir_name(task_id: str, seed: int) -> str:
    return f"{task_id}_s{seed}"


def check_reachable(path: Path) -> None:
    """Refuse a runs dir the unprivileged sandbox user could not reach (every parent needs o+x)."""
    path = Path(path).resolve()
    for p in [path, *path.parents]:
        if p.exists() and not (p.stat().st_mode & stat.S_IXOTH):
            raise MedalistError(
                f"runs dir {path} is not reachable by the sandbox user ({p} is not world-searchable); "
                "pick a --runs-dir outside private folders (e.g. under /tmp or /srv)"
            )


def make_workspace(run_dir: Path) -> Path:
    """Create ``workspace/{submission,code,logs}``, writable by the sandbox user."""
    ws = run_dir / "workspace"
    for name in WORKSPACE_DIRS:
        d = ws / name
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o777)
    os.chmod(ws, 0o755)
    os.chmod(run_dir, 0o755)
    return ws


FICLONE = 0x40049409  # linux/fs.h: share the source's blocks copy-on-write (btrfs, xfs, ...)


def copy_public_file(src: Path, dst: Path) -> None:
    """An independent copy of ``src`` (a reflink when the filesystem can, else bytes), read-only for all.

    Never a hard link: the staged file must share no inode with the prepared-data cache."""
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), FICLONE, fin.fileno())
        except OSError:
            shutil.copyfileobj(fin, fout, 1 << 20)
    shutil.copystat(src, dst)
    os.chmod(dst, 0o444)


def task_info(pt: PreparedTask, limits: RunLimits, roles: ColumnRoles | None = None) -> dict[str, object]:
    """The task facts an agent may read (``/opt/medalist/task.json``): nothing private. ``roles`` are the
    id and target columns, inferred from the prepared files when the task does not state them (MLE-bench)."""
    roles = roles or ColumnRoles(pt.spec.id_column, list(pt.spec.target_columns))
    pt = with_roles(pt, roles)
    spec = pt.spec
    metric = None if spec.grader else get_metric(spec.metric)
    return {
        "id": spec.id,
        "name": spec.name,
        "task_type": spec.task_type,
        "metric": spec.metric,
        "metric_args": spec.metric_args,
        "prediction": metric.prediction if metric else None,
        "multi_column": metric.multi_column if metric else False,
        "is_lower_better": spec.is_lower_better,
        "id_column": roles.id_column,
        "target_columns": roles.target_columns,
        "column_roles": roles.source,
        "sample_submission": spec.sample_submission,
        "time_limit_secs": limits.time_limit_secs,
        "spec": spec.model_dump(mode="json", exclude={"leaderboard", "answers", "prepare", "source"}),
    }


def _validate_script(python: str) -> str:
    return f'#!/bin/sh\nexec "{python}" -m medalist.inside.validate "$@"\n'


def stage_task(group_dir: Path, pt: PreparedTask, limits: RunLimits, python: str) -> Path:
    """Stage a task's public data and harness files once per group (safe under concurrent workers)."""
    final = group_dir / SHARED / pt.spec.id
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(final.parent, 0o755)
    tmp = Path(tempfile.mkdtemp(prefix=f".{pt.spec.id}.", dir=final.parent))
    try:
        data = tmp / "data"
        for src in sorted(pt.public.rglob("*")):
            dst = data / src.relative_to(pt.public)
            if src.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                copy_public_file(src, dst)
        roles = column_roles(pt)
        (tmp / "instructions.txt").write_text(render_instructions(with_roles(pt, roles).spec, limits), encoding="utf-8")
        bin_dir = tmp / "harness" / "bin"
        bin_dir.mkdir(parents=True)
        (tmp / "harness" / "task.json").write_text(json.dumps(task_info(pt, limits, roles), indent=2))
        (bin_dir / "validate_submission").write_text(_validate_script(python))
        for p in [tmp, *tmp.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() or p.parent == bin_dir else 0o444)
        try:
            tmp.rename(final)
        except OSError:  # another worker staged it first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def contract_mounts(shared: Path, workspace: Path) -> list[Mount]:
    """The agent contract's folders (see docs/agent-contract.md)."""
    return [
        Mount(source=shared / "data", target=contract.DATA_DIR),
        Mount(source=shared / "instructions.txt", target=contract.INSTRUCTIONS_PATH),
        Mount(source=shared / "harness", target=contract.HARNESS_DIR),
        Mount(source=workspace / "submission", target=contract.SUBMISSION_DIR, writable=True),
        Mount(source=workspace / "code", target=contract.CODE_DIR, writable=True),
        Mount(source=workspace / "logs", target=contract.LOGS_DIR, writable=True),
    ]


def contract_env(pt: PreparedTask, limits: RunLimits, seed: int, python: str) -> dict[str, str]:
    """Environment variables of the agent contract."""
    env = {
        contract.ENV_COMPETITION_ID: pt.spec.id,
        contract.ENV_TIME_LIMIT: str(int(limits.time_limit_secs)),
        contract.ENV_STEP_LIMIT: str(limits.step_limit),
        contract.ENV_SEED: str(seed),
        contract.ENV_TASK_INFO: contract.TASK_INFO_PATH,
        "PATH": f"{contract.HARNESS_BIN}:{Path(python).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "PYTHONUNBUFFERED": "1",
        "LANG": "C.UTF-8",
    }
    if limits.cpus:
        threads = str(max(1, round(limits.cpus)))
        env.update(
            {
                contract.ENV_CPUS: threads,
                "OMP_NUM_THREADS": threads,
                "OPENBLAS_NUM_THREADS": threads,
                "MKL_NUM_THREADS": threads,
            }
        )
    if limits.memory_gb:
        env[contract.ENV_MEMORY_GB] = f"{limits.memory_gb:g}"
    return env
