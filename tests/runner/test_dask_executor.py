"""The dask executor against a real cluster on 127.0.0.1: a ``dask scheduler`` and two ``dask worker``
subprocesses, real runs of a command agent in the sandbox, a worker SIGKILLed while it holds a run,
resume across executors (local -> dask, dask -> local), and the one-line errors.

Every scheduler/worker is started in its own session and killed (whole process tree) in a finalizer;
each cluster fixture then checks that no process it started is still alive.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from run_helpers import MEDALIST, medalist_cli, only_group, write_shell_agent  # type: ignore[import-not-found]

distributed = pytest.importorskip("distributed")

from medalist.agents import AgentRegistry  # noqa: E402
from medalist.errors import MedalistError  # noqa: E402
from medalist.paths import data_dir  # noqa: E402
from medalist.runner import GroupMetadata, RunGroup, execute_group, read_record  # noqa: E402
from medalist.runner.execute import ATTEMPT_LOCK, attempt_holder  # noqa: E402
from medalist.runner.executors.dask import DaskExecutor, probe_worker, run_resources  # noqa: E402
from medalist.runner.models import ExecutorInfo, LimitOverrides  # noqa: E402
from medalist.sandbox import get_sandbox  # noqa: E402
from medalist.tasks import TaskRegistry  # noqa: E402

DASK = str(Path(sys.executable).parent / "dask")
TASK = "penguins-species"

# Appends one line per attempt to /home/logs/attempts.txt, so a retried run whose partial dir was not
# cleaned would show two lines.
AGENT_SH = """#!/bin/sh
echo "attempt $$ start" >> /home/logs/attempts.txt
sleep {sleep}
cp /home/data/sample_submission.csv /home/submission/submission.csv
echo done
"""


# ---- cluster helpers -------------------------------------------------------------------------


@dataclass
class Cluster:
    address: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path | None = None

    def worker_pids(self) -> set[int]:
        """Pids of the worker processes (children of the nannies)."""
        pids: set[int] = set()
        for p in self.procs[1:]:
            try:
                pids.update(c.pid for c in psutil.Process(p.pid).children(recursive=True))
            except psutil.NoSuchProcess:
                pass
        return pids


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with open(log, "ab") as fh:
        return subprocess.Popen(
            args, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **(env or {})}
        )


def _tree(procs: list[subprocess.Popen[bytes]]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            root = psutil.Process(p.pid)
            out += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    return out


def _kill_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGKILL every process of every tree (and their sessions), reap, and check none survives."""
    tree = _tree(procs)
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for proc in tree:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    _, alive = psutil.wait_procs(tree, timeout=15)
    alive = [a for a in alive if a.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"processes left behind: {alive}"


def start_cluster(workdir: Path, n_workers: int, worker_prefix: list[str] | None = None) -> Cluster:
    workdir.mkdir(parents=True, exist_ok=True)
    sched_file = workdir / "scheduler.json"
    log = workdir / "cluster.log"
    cluster = Cluster(address="", logs=log)
    cluster.procs.append(
        _spawn(
            [
                DASK,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(sched_file),
            ],
            log,
        )
    )
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            if time.monotonic() > deadline or cluster.procs[0].poll() is not None:
                raise RuntimeError(f"dask scheduler did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        time.sleep(0.2)
        cluster.address = json.loads(sched_file.read_text())["address"]
        assert cluster.address.startswith("tcp://127.0.0.1:")
        for i in range(n_workers):
            cluster.procs.append(
                _spawn(
                    [
                        *(worker_prefix or []),
                        DASK,
                        "worker",
                        cluster.address,
                        "--host",
                        "127.0.0.1",
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--name",
                        f"w{i}",
                        "--death-timeout",
                        "60",
                    ],
                    log,
                )
            )
        with distributed.Client(cluster.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(n_workers, timeout=90)
    except BaseException:
        _kill_all(cluster.procs)
        raise
    return cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, medalist_data_dir: Path) -> Iterator[Cluster]:
    """A scheduler and two single-threaded workers on 127.0.0.1, shared by this module's tests."""
    c = start_cluster(tmp_path_factory.mktemp("dask"), 2)
    try:
        yield c
    finally:
        _kill_all(c.procs)


@pytest.fixture
def sleep_agent(runs_dir: Path):
    """Write an agents file with a command agent ``sleepy`` that sleeps ``secs`` then submits."""

    def make(secs: float) -> Path:
        return write_shell_agent(runs_dir, "sleepy", AGENT_SH.format(sleep=secs))

    return make


def _new_group(
    runs_dir: Path, agents_file: Path, seeds: int, executor: str = "dask", gpus: int | None = None
) -> RunGroup:
    specs = TaskRegistry.default().resolve([TASK])
    return RunGroup.create(
        runs_dir / "groups",
        agent=AgentRegistry(agents_file).spec("sleepy"),
        tasks=specs,
        seeds=list(range(seeds)),
        overrides=LimitOverrides(time_limit_secs=60, gpus=gpus),
        executor=ExecutorInfo(name=executor, workers=2),
        sandbox=get_sandbox("auto").name,
        grade=True,
        data_dir=str(data_dir()),
    )


def _meta(gdir: Path) -> GroupMetadata:
    return GroupMetadata.model_validate_json((gdir / "metadata.json").read_text())


def _assert_group_complete(gdir: Path, n: int) -> GroupMetadata:
    """metadata.json lists each run exactly once, every run completed with a valid submission, and each
    run dir is consistent: one attempt's output only, graded, lock released."""
    meta = _meta(gdir)
    ids = [e.run_id for e in meta.runs]
    assert len(ids) == n and len(set(ids)) == n
    assert all(e.status == "completed" and e.valid_submission for e in meta.runs), meta.runs
    for e in meta.runs:
        rdir = gdir / e.dir
        rec = read_record(rdir)
        assert rec is not None and rec.status == "completed" and rec.grading is not None
        assert (rdir / "workspace/submission/submission.csv").is_file()
        assert (rdir / "workspace/logs/attempts.txt").read_text().count("start") == 1, "partial dir not cleaned"
        holder = attempt_holder(rdir)
        assert holder is not None and holder["token"]
    summary = json.loads((gdir / "grading_summary.json").read_text())
    assert summary["total_runs"] == n and summary["total_valid_submissions"] == n
    return meta


# ---- tests -----------------------------------------------------------------------------------


def test_run_resources_and_probe(tmp_path: Path) -> None:
    """Resource requests follow the run's limits for the names the workers declare; the storage probe
    explains a missing group dir in one line."""
    specs = TaskRegistry.default().resolve([TASK])
    group = RunGroup.create(
        tmp_path,
        agent=AgentRegistry().spec("sample"),
        tasks=specs,
        seeds=[0],
        overrides=LimitOverrides(cpus=2, memory_gb=3),
        executor=ExecutorInfo(name="dask", workers=1),
        sandbox="process",
        data_dir=str(data_dir()),
    )
    spec = group.run_spec(group.meta.runs[0], specs[0])
    assert run_resources(spec, set()) == {}
    assert run_resources(spec, {"CPU", "MEMORY"}) == {"CPU": 2.0, "MEMORY": 3e9}
    gpu_spec = spec.model_copy(update={"limits": spec.limits.model_copy(update={"gpus": 1})})
    assert run_resources(gpu_spec, {"CPU"}) == {"CPU": 2.0, "GPU": 1.0}
    msg = probe_worker(str(tmp_path / "nowhere"), ".probe", "t", "process")
    assert msg is not None and "cannot see the run group dir" in msg and "shared" in msg


@pytest.mark.slow
def test_group_survives_a_killed_worker(cluster: Cluster, runs_dir: Path, sleep_agent) -> None:
    """4 runs over two workers; the worker process holding a run is SIGKILLed mid-run. The group still
    completes, each run exactly once in metadata.json, the killed run redone from a clean dir."""
    group = _new_group(runs_dir, sleep_agent(4), seeds=4)
    killed: dict[str, object] = {}
    stop = threading.Event()

    def killer() -> None:  # SIGKILL the worker process that holds the first run seen running
        while not stop.is_set():
            worker_pids = cluster.worker_pids()
            for e in group.meta.runs:
                rdir = group.run_dir(e)
                rec = read_record(rdir) if (rdir / "run.json").exists() else None
                holder = attempt_holder(rdir)
                if rec is not None and rec.status == "running" and holder and holder["pid"] in worker_pids:
                    time.sleep(1.0)  # let the agent start writing into the run dir
                    os.kill(holder["pid"], signal.SIGKILL)
                    killed.update(run_id=e.run_id, pid=holder["pid"])
                    return
            time.sleep(0.1)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    executor = DaskExecutor(scheduler=cluster.address)
    assert executor.workers == 2
    try:
        summary = execute_group(group, executor, grade=True)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert killed, "no run was ever seen running on a worker"
    assert (
        not psutil.pid_exists(int(killed["pid"])) or psutil.Process(int(killed["pid"])).status() == psutil.STATUS_ZOMBIE
    )
    assert summary is not None and summary.total_runs == 4
    meta = _assert_group_complete(group.dir, 4)
    records = {e.run_id: read_record(group.run_dir(e)) for e in meta.runs}
    assert records[str(killed["run_id"])].attempts == 2  # type: ignore[union-attr]
    assert all(r.attempts == 1 for k, r in records.items() if k != killed["run_id"])  # type: ignore[union-attr]
    holders = {attempt_holder(group.run_dir(e))["pid"] for e in meta.runs}  # type: ignore[index]
    assert len(holders) >= 2 and killed["pid"] not in holders  # spread over workers; the retry ran elsewhere


def _wait_mid_group(gdir_parent: Path, proc: subprocess.Popen[str], timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"medalist run exited early: {proc.returncode}")
        if gdir_parent.exists() and any(gdir_parent.iterdir()):
            gdir = only_group(gdir_parent)
            if (gdir / "metadata.json").exists():
                statuses = [e.status for e in _meta(gdir).runs]
                if "completed" in statuses and "running" in statuses:
                    return gdir
        time.sleep(0.1)
    raise AssertionError("the group never reached a mid-run state")


def _start_and_kill(runs_dir: Path, agents_file: Path, *executor_args: str) -> tuple[Path, dict[str, str | None]]:
    """Start `medalist run` on 4 runs, SIGKILL it once a run completed and another is running."""
    groups = runs_dir / "groups"
    proc = subprocess.Popen(
        [
            MEDALIST,
            "run",
            "--agent",
            "sleepy",
            "--tasks",
            TASK,
            "--seeds",
            "4",
            "--agents-file",
            str(agents_file),
            "--runs-dir",
            str(groups),
            "--time-limit",
            "60",
            *executor_args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        gdir = _wait_mid_group(groups, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    completed = {
        e.run_id: read_record(gdir / e.dir).started_at
        for e in _meta(gdir).runs  # type: ignore[union-attr]
        if e.status == "completed"
    }
    return gdir, completed


@pytest.mark.slow
def test_resume_local_then_dask(cluster: Cluster, runs_dir: Path, sleep_agent) -> None:
    """Start with the local executor, kill -9 mid-group, resume on the Dask cluster."""
    gdir, completed = _start_and_kill(runs_dir, sleep_agent(2), "--workers", "1")
    assert 0 < len(completed) < 4
    res = medalist_cli("run", "--resume", str(gdir), "--executor", "dask", "--scheduler", cluster.address, timeout=240)
    assert res.returncode == 0, res.stdout + res.stderr
    meta = _assert_group_complete(gdir, 4)
    assert meta.resumed == 1 and meta.executor.name == "dask"
    for run_id, started in completed.items():  # finished runs are kept, not redone
        rec = read_record(gdir / run_id)
        assert rec is not None and rec.started_at == started and rec.attempts == 1


@pytest.mark.slow
def test_resume_dask_then_local(cluster: Cluster, runs_dir: Path, sleep_agent) -> None:
    """Start on the Dask cluster, kill -9 the client mid-group (the run a worker is executing keeps
    going there), resume with the local executor: the resumed attempt waits for that worker's attempt
    through the run lock instead of writing beside it, and every run ends up exactly once."""
    gdir, completed = _start_and_kill(runs_dir, sleep_agent(6), "--executor", "dask", "--scheduler", cluster.address)
    assert 0 < len(completed) < 4
    worker_pids = cluster.worker_pids()
    on_workers = {}  # runs a Dask worker was still executing when the client died
    for e in _meta(gdir).runs:
        holder = attempt_holder(gdir / e.dir)
        rec = read_record(gdir / e.dir) if (gdir / e.dir / "run.json").exists() else None
        if rec is not None and rec.status == "running" and holder and holder["pid"] in worker_pids:
            on_workers[e.run_id] = rec.started_at
    assert on_workers, "no run was left executing on a worker"
    res = medalist_cli("run", "--resume", str(gdir), "--workers", "2", timeout=240)
    assert res.returncode == 0, res.stdout + res.stderr
    meta = _assert_group_complete(gdir, 4)
    assert meta.resumed == 1 and meta.executor.name == "local"
    for run_id, started in completed.items():
        rec = read_record(gdir / run_id)
        assert rec is not None and rec.started_at == started and rec.attempts == 1
    for run_id, started in on_workers.items():  # finished by the worker's attempt, not redone
        rec = read_record(gdir / run_id)
        assert rec is not None and rec.attempts == 1 and rec.started_at == started


def test_unreachable_scheduler_fails_fast_in_one_line(runs_dir: Path) -> None:
    start = time.monotonic()
    res = medalist_cli(
        "run",
        "--agent",
        "sample",
        "--tasks",
        TASK,
        "--runs-dir",
        str(runs_dir / "r"),
        "--executor",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
        timeout=60,
    )
    assert res.returncode != 0
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert time.monotonic() - start < 30
    assert not (runs_dir / "r").exists()  # no group created


def test_scheduler_needs_dask_executor(runs_dir: Path) -> None:
    res = medalist_cli(
        "run",
        "--agent",
        "sample",
        "--tasks",
        TASK,
        "--runs-dir",
        str(runs_dir / "r"),
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert res.returncode != 0 and "--executor dask" in res.stderr and "Traceback" not in res.stderr


def test_dask_not_installed_one_line(runs_dir: Path, tmp_path: Path) -> None:
    """With `distributed` unimportable, --executor dask says how to install it, in one line."""
    shim = tmp_path / "shim"
    (shim / "distributed").mkdir(parents=True)
    (shim / "distributed" / "__init__.py").write_text("raise ImportError(\"No module named 'distributed'\")\n")
    res = medalist_cli(
        "run",
        "--agent",
        "sample",
        "--tasks",
        TASK,
        "--runs-dir",
        str(runs_dir / "r"),
        "--executor",
        "dask",
        env={"PYTHONPATH": str(shim)},
    )
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "pip install 'medalist[dask]'" in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


@pytest.mark.slow
def test_worker_without_shared_storage_is_refused(tmp_path: Path, runs_dir: Path, sleep_agent) -> None:
    """A worker that does not see the runs dir (here: a private tmpfs mounted over it in the worker's
    own mount namespace) is named in one clear error before any run is submitted."""
    if os.geteuid() != 0 or not Path("/usr/bin/unshare").exists():
        pytest.skip("needs root and unshare to hide the runs dir from a worker")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m not permitted here: {probe.stderr.decode().strip()}")
    hide = ["unshare", "-m", "sh", "-c", f'mount -t tmpfs none "{runs_dir}" && exec "$@"', "hide"]
    c = start_cluster(tmp_path / "dask", 1, worker_prefix=hide)
    try:
        group = _new_group(runs_dir, sleep_agent(1), seeds=1)
        executor = DaskExecutor(scheduler=c.address)
        with pytest.raises(MedalistError, match=r"Dask worker tcp://127\.0\.0\.1:\d+ cannot see the run group dir"):
            execute_group(group, executor, grade=False)
        assert _meta(group.dir).runs[0].status == "pending"  # nothing ran; resumable
        assert not list(group.dir.glob(".dask-probe-*"))
    finally:
        _kill_all(c.procs)


def test_attempt_lock_kept_by_clean(runs_dir: Path) -> None:
    """clean_run_dir leaves a run dir alone while another attempt holds its lock, and keeps the lock
    file itself when it cleans."""
    from medalist.runner.execute import clean_run_dir, hold_run

    rdir = runs_dir / "run"
    with hold_run(rdir, wait_secs=1) as token:
        (rdir / "partial.txt").write_text("x")
        clean_run_dir(rdir)  # held (by this attempt's own fd): left alone
        assert (rdir / "partial.txt").exists()
        with pytest.raises(MedalistError, match="another attempt still holds this run"):
            with hold_run(rdir, wait_secs=0.5):
                pass
    assert attempt_holder(rdir)["token"] == token  # type: ignore[index]
    clean_run_dir(rdir)
    assert [p.name for p in rdir.iterdir()] == [ATTEMPT_LOCK]


@pytest.mark.slow
def test_gpu_request_needs_gpu_workers(cluster: Cluster, runs_dir: Path, sleep_agent) -> None:
    """--gpus on a cluster whose workers declare no GPU resource is refused before any run starts."""
    group = _new_group(runs_dir, sleep_agent(1), seeds=1, gpus=1)
    executor = DaskExecutor(scheduler=cluster.address)
    with pytest.raises(MedalistError, match=r'--gpus 1 needs Dask workers started with --resources "GPU=N"'):
        execute_group(group, executor, grade=False)
    assert _meta(group.dir).runs[0].status == "pending"


@pytest.mark.slow
def test_cli_local_cluster_without_scheduler(runs_dir: Path) -> None:
    """`--executor dask` without --scheduler starts (and stops) a private LocalCluster on 127.0.0.1."""
    res = medalist_cli(
        "run",
        "--agent",
        "sample",
        "--tasks",
        TASK,
        "--seeds",
        "2",
        "--workers",
        "2",
        "--executor",
        "dask",
        "--runs-dir",
        str(runs_dir / "r"),
        timeout=240,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Port" not in res.stderr and "Traceback" not in res.stderr
    meta = _meta(only_group(runs_dir / "r"))
    assert meta.executor.name == "dask" and [e.status for e in meta.runs] == ["completed", "completed"]
    assert all(e.valid_submission for e in meta.runs)


EXTRA_TASK_YAML = """\
id: env-only-task
name: A task only MEDALIST_TASKS_PATH of the launching process knows
task_type: binary-classification
metric: accuracy
target_columns: [target]
rows: 40
"""
EXTRA_PREPARE = """\
def prepare(raw, public, private):
    ids = range(40)
    (private / "answers.csv").write_text("id,target\\n" + "".join(f"{i},{i % 2}\\n" for i in ids))
    (public / "sample_submission.csv").write_text("id,target\\n" + "".join(f"{i},0\\n" for i in ids))
"""


def test_a_worker_started_in_a_clean_environment_resolves_the_groups_tasks(
    tmp_path: Path, runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run spec carries the launching process's task sources (here MEDALIST_TASKS_PATH), so a worker
    whose environment lacks them (another machine with the same install) runs the same task."""
    import medalist
    from medalist.runner.config import ExperimentLimits

    task = tmp_path / "extra" / "env-only-task"
    task.mkdir(parents=True)
    (task / "task.yaml").write_text(EXTRA_TASK_YAML)
    (task / "prepare.py").write_text(EXTRA_PREPARE)
    (task / "description.md").write_text("# env-only task\n\nPredict target.\n")
    (task / "leaderboard.csv").write_text("team,score\na,1.0\nb,0.9\nc,0.6\nd,0.5\n")
    monkeypatch.delenv("MEDALIST_TASKS_PATH", raising=False)
    cluster = start_cluster(tmp_path / "dask", 1)  # its worker never sees MEDALIST_TASKS_PATH
    try:
        monkeypatch.setenv("MEDALIST_TASKS_PATH", str(task.parent))
        config = medalist.ExperimentConfig(
            agent="sample",
            tasks=["env-only-task"],
            executor="dask",
            scheduler=cluster.address,
            runs_dir=runs_dir,
            limits=ExperimentLimits(time_limit_secs=60),
        )
        result = medalist.run(config)
    finally:
        _kill_all(cluster.procs)
    assert result.group.meta.task_sources == {"MEDALIST_TASKS_PATH": str(task.parent)}
    (entry,) = result.group.meta.runs
    assert entry.status == "completed", read_record(result.group.run_dir(entry))
    assert result.summary is not None and result.summary.total_valid_submissions == 1
