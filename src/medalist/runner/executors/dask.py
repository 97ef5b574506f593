"""The ``dask`` executor: run a group's runs on a Dask cluster (``medalist run --executor dask``).

Without a scheduler address it starts a private ``LocalCluster`` (worker processes bound to 127.0.0.1,
one run at a time per worker). With ``--scheduler tcp://HOST:PORT`` it connects to an existing cluster:
a plain ``dask scheduler`` + ``dask worker`` on several machines, SLURM (dask-jobqueue), Kubernetes
(dask-kubernetes), ... (see docs/cluster.md).

Contract with the workers:

- Each task is one run: :func:`medalist.runner.execute.run_worker` on a JSON-level RunSpec, so a worker
  needs the same medalist install (same venv path, sandbox set up with ``bash scripts/setup.sh``).
- Results and logs are written by the worker straight into the run group dir, which must be on storage
  every worker sees at the same path. :meth:`DaskExecutor.map_runs` checks this on every worker before
  submitting anything, and each task re-checks it on its own worker (a worker that joined later).
- Per-run resource requests: ``CPU`` (the run's ``cpus``, default 1), ``MEMORY`` (``memory_gb`` x 1e9
  bytes) and ``GPU`` (the run's ``gpus``) are requested through Dask worker resources, for each resource
  name some worker declares (``dask worker ... --resources "CPU=8,MEMORY=32e9,GPU=1"``). GPU requests need
  workers that declare ``GPU``, and each such worker must have that many NVIDIA GPUs (checked before
  submitting); which GPUs a run gets is decided on its worker by the host-wide allocator
  (``medalist.sandbox.gpu_alloc``), from the GPUs in the worker's ``CUDA_VISIBLE_DEVICES`` (all when unset).
  A private LocalCluster declares the host's GPUs on each of its workers.
- A worker lost mid-run: the scheduler reschedules its runs on other workers; when the scheduler gives
  up on a run (``KilledWorker`` after ``distributed.scheduler.allowed-failures``) the executor resubmits
  it up to ``max_resubmits`` times. ``retries=`` covers exceptions raised by the task itself (e.g. a
  storage hiccup). Each run is reported to ``on_done`` exactly once, and execution is idempotent per run
  dir: the attempt lock in the run dir (see :func:`medalist.runner.execute.hold_run`) lets only one
  attempt write it, and a retried attempt cleans the partial run dir before running.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

try:
    import distributed
    from distributed import Client, Future, LocalCluster
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker
except ImportError as _exc:  # pragma: no cover - exercised through the CLI test with distributed hidden
    raise ImportError(
        f"dask[distributed] is not installed ({_exc}); install it with: pip install 'medalist[dask]'"
    ) from None

from medalist.clock import utc_now
from medalist.errors import MedalistError
from medalist.runner.execute import new_record, run_worker
from medalist.runner.executors.base import OnDone, OnTick
from medalist.runner.models import METADATA_JSON, RunRecord, RunSpec

log = logging.getLogger("medalist.runner.dask")

TICK_SECS = 0.5
GB = 1e9  # MEMORY resource unit: bytes, decimal (memory_gb: 8 requests MEMORY=8e9)
RESOURCE_NAMES = ("CPU", "MEMORY", "GPU")


class GroupDirNotVisible(MedalistError):
    """A worker cannot see the run group dir (it is not on storage shared with the launching machine)."""


# ---- worker side -----------------------------------------------------------------------------


def _where() -> str:
    """This worker, for messages: its address when running inside a Dask worker, else host:pid."""
    try:
        return f"Dask worker {distributed.get_worker().address} (host {socket.gethostname()})"
    except ValueError:
        return f"host {socket.gethostname()} pid {os.getpid()}"


def dask_run(payload: dict[str, Any]) -> dict[str, Any]:
    """The task each run becomes: refuse to run where the group dir is not visible, else execute it."""
    group_dir = Path(payload["group_dir"])
    if not (group_dir / METADATA_JSON).is_file():
        raise GroupDirNotVisible(
            f"{_where()} cannot see the run group dir {group_dir} (no {METADATA_JSON}); "
            "put --runs-dir on storage shared by every worker, mounted at the same path"
        )
    return run_worker(payload)


def probe_worker(group_dir: str, probe_name: str, token: str, sandbox: str) -> str | None:
    """Run on every worker before submitting: None when it sees (and can write) the group dir and its
    sandbox backend works, else the reason in one line."""
    gdir = Path(group_dir)
    try:
        seen = (gdir / probe_name).read_text()
    except OSError:
        return (
            f"cannot see the run group dir {gdir}; put --runs-dir on storage shared by every worker, "
            "mounted at the same path"
        )
    if seen != token:
        return f"sees a different {gdir} (not the launching machine's; shared storage must use the same path)"
    mine = gdir / f"{probe_name}.{socket.gethostname()}.{os.getpid()}"
    try:
        mine.write_text("ok")
        mine.unlink()
    except OSError as exc:
        return f"cannot write to the run group dir {gdir}: {exc}"
    try:
        from medalist.runner.execute import _sandbox

        _sandbox(sandbox)
    except MedalistError as exc:
        return f"sandbox {sandbox!r} unusable: {exc} (run `bash scripts/setup.sh` on each worker)"
    return None


def worker_gpus() -> int | str:
    """Run on GPU workers before submitting: how many NVIDIA GPUs this worker may hand out, or why none."""
    from medalist.sandbox.gpu import host_gpus

    try:
        return len(host_gpus())
    except MedalistError as exc:
        return str(exc)


# ---- client side -----------------------------------------------------------------------------


def run_resources(spec: RunSpec, declared: set[str]) -> dict[str, float]:
    """The Dask resources one run requests, for the resource names the cluster's workers declare."""
    req: dict[str, float] = {}
    if "CPU" in declared:
        req["CPU"] = float(spec.limits.cpus or 1)
    if "MEMORY" in declared and spec.limits.memory_gb:
        req["MEMORY"] = spec.limits.memory_gb * GB
    if spec.limits.gpus:
        req["GPU"] = float(spec.limits.gpus)
    return req


def _fmt_resources(res: dict[str, float]) -> str:
    return ",".join(f"{k}={v:g}" for k, v in sorted(res.items())) or "none"


def lost_record(spec: RunSpec, why: str) -> RunRecord:
    """An ``error`` record for a run the cluster could not finish (retried by ``--resume``)."""
    rec = new_record(spec)
    rec.status, rec.exit_reason, rec.ended_at = "error", "error", utc_now()
    rec.error = why
    return rec


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def connect(
    scheduler: str | None, workers: int, connect_timeout: float, resources: dict[str, float] | None = None
) -> tuple[Client, LocalCluster | None]:
    """A client to ``scheduler``, or to a new LocalCluster of ``workers`` processes on 127.0.0.1 (each
    declaring ``resources``)."""
    if scheduler is None:
        # The scheduler's HTTP server (health routes; the dashboard itself is off) moves to a free port
        # on 127.0.0.1 when 8787 is taken: not worth a warning on every `medalist run`.
        warnings.filterwarnings("ignore", message=r"Port \d+ is already in use", category=UserWarning)
        # Worker processes log a heartbeat traceback at ERROR when the scheduler closes first at shutdown
        # (a race under load); a run's own failures come back through its future, so only CRITICAL shows.
        try:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                memory_limit=0,
                silence_logs=logging.CRITICAL,
                resources=resources or None,
            )
        except Exception as exc:
            raise MedalistError(f"cannot start a local Dask cluster: {_first_line(exc)}") from None
        return Client(cluster, set_as_default=False), cluster
    addr = scheduler if "://" in scheduler else f"tcp://{scheduler}"
    try:
        client = Client(addr, timeout=connect_timeout, set_as_default=False)
    except Exception as exc:  # OSError / TimeoutError / ValueError for a malformed address
        raise MedalistError(
            f"cannot reach the Dask scheduler at {addr} within {connect_timeout:g}s ({_first_line(exc)})"
        ) from None
    return client, None


class DaskExecutor:
    """Runs each spec as a Dask task on a cluster; see the module docstring for the worker contract."""

    name = "dask"

    def __init__(
        self,
        workers: int = 1,
        *,
        scheduler: str | None = None,
        connect_timeout: float = 5.0,
        worker_wait_secs: float = 60.0,
        retries: int = 1,
        max_resubmits: int = 2,
    ) -> None:
        self.workers = max(1, int(workers))
        self.scheduler = scheduler
        self.local_resources: dict[str, float] = {}  # what a private LocalCluster's workers declare
        self.retries = retries
        self.max_resubmits = max_resubmits
        self.worker_wait_secs = worker_wait_secs
        self.connect_timeout = connect_timeout
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._tag = uuid.uuid4().hex[:8]
        if scheduler is not None:  # connect now: an unreachable scheduler fails before any run is planned
            self._client, _ = connect(scheduler, self.workers, connect_timeout)
            self.workers = max(1, len(self._worker_info()))

    @property
    def client(self) -> Client:
        """The Dask client (starting the private LocalCluster on first use when no scheduler was given)."""
        if self._client is None:
            self._client, self._cluster = connect(None, self.workers, self.connect_timeout, self.local_resources)
        return self._client

    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    def _worker_info(self) -> dict[str, dict[str, Any]]:
        return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def check_workers(self, group_dir: Path, sandbox: str, gpus: int = 0) -> dict[str, dict[str, Any]]:
        """Wait for at least one worker, then check every worker sees and can write ``group_dir`` and can
        use the sandbox backend, and (when runs need ``gpus``) that every worker declaring ``GPU=k`` has k
        NVIDIA GPUs; raise one clear MedalistError otherwise. Returns the workers' info."""
        try:
            self.client.wait_for_workers(1, timeout=self.worker_wait_secs)
        except Exception:
            raise MedalistError(
                f"no Dask worker joined the scheduler at {self.address} within {self.worker_wait_secs:g}s"
            ) from None
        probe = f".dask-probe-{uuid.uuid4().hex}"
        token = uuid.uuid4().hex
        probe_path = Path(group_dir) / probe
        probe_path.write_text(token)
        try:
            answers = self.client.run(probe_worker, str(group_dir), probe, token, sandbox, on_error="return")
        finally:
            probe_path.unlink(missing_ok=True)
        problems = []
        for addr, answer in sorted(answers.items()):
            if isinstance(answer, BaseException):
                hint = (
                    " (install medalist, in the same venv path, on every worker)"
                    if isinstance(answer, (ImportError, AttributeError))
                    else ""
                )
                problems.append(f"Dask worker {addr}: {_first_line(answer)}{hint}")
            elif answer is not None:
                problems.append(f"Dask worker {addr} {answer}")
        info = self._worker_info()
        if gpus and not problems:
            declared = {a: float((w.get("resources") or {}).get("GPU", 0)) for a, w in info.items()}
            gpu_workers = [a for a, k in declared.items() if k > 0]
            counts = self.client.run(worker_gpus, workers=gpu_workers, on_error="return") if gpu_workers else {}
            for addr, have in sorted(counts.items()):
                if isinstance(have, BaseException) or isinstance(have, str):
                    problems.append(f"Dask worker {addr} declares GPU={declared[addr]:g} but: {have}")
                elif have < declared[addr]:
                    problems.append(
                        f"Dask worker {addr} declares GPU={declared[addr]:g} but has {have} usable "
                        "NVIDIA GPU(s) (its CUDA_VISIBLE_DEVICES, or the host's)"
                    )
        if problems:
            more = f" (and {len(problems) - 1} more worker(s))" if len(problems) > 1 else ""
            raise MedalistError(problems[0] + more)
        return info

    def plan_resources(self, specs: Sequence[RunSpec], info: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
        """Each run's resource request; raise when some run fits on no worker of the cluster."""
        offered = [{k: float(v) for k, v in (w.get("resources") or {}).items()} for w in info.values()]
        declared = {name for res in offered for name in res}
        gpus = max((s.limits.gpus for s in specs), default=0)
        if gpus and "GPU" not in declared:
            raise MedalistError(
                f'--gpus {gpus} needs Dask workers started with --resources "GPU=N"; '
                f"no worker of {self.address} declares GPU"
            )
        plan: dict[str, dict[str, float]] = {}
        for spec in specs:
            req = run_resources(spec, declared)
            if req and not any(all(res.get(k, 0.0) >= v for k, v in req.items()) for res in offered):
                best = max(offered, key=lambda r: sum(r.values())) if offered else {}
                raise MedalistError(
                    f"run {spec.run_id} requests {_fmt_resources(req)} but no Dask worker offers that much "
                    f"(largest worker: {_fmt_resources(best)}); lower --cpus/--memory or start bigger workers"
                )
            plan[spec.run_id] = req
        return plan

    def _submit(self, spec: RunSpec, resources: dict[str, float], attempt: int) -> Future:
        return self.client.submit(
            dask_run,
            spec.model_dump(mode="json"),
            key=f"medalist-run-{self._tag}-{spec.run_id}-{attempt}",
            resources=resources or None,
            retries=self.retries,
            pure=False,
        )

    def map_runs(self, specs: Sequence[RunSpec], on_done: OnDone, on_tick: OnTick | None = None) -> None:
        if not specs:
            return
        gpus = max(s.limits.gpus for s in specs)
        if gpus and self._client is None:  # a private LocalCluster: its workers share this host's GPUs
            from medalist.sandbox.gpu import require_gpus

            self.local_resources["GPU"] = float(len(require_gpus(gpus)))
        info = self.check_workers(Path(specs[0].group_dir), specs[0].sandbox, gpus)
        plan = self.plan_resources(specs, info)
        by_id = {s.run_id: s for s in specs}
        submits = {s.run_id: 0 for s in specs}
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        futures: dict[Future, str] = {}

        def submit(spec: RunSpec) -> None:
            fut = self._submit(spec, plan[spec.run_id], submits[spec.run_id])
            futures[fut] = spec.run_id
            fut.add_done_callback(finished.put)  # called from the client's thread

        for s in specs:
            submit(s)
        reported: set[str] = set()

        def report(record: RunRecord) -> None:
            if record.run_id not in reported:  # exactly once per run, whatever the cluster did
                reported.add(record.run_id)
                on_done(record)

        while futures:
            done: list[Future] = []
            try:
                done.append(finished.get(timeout=TICK_SECS))
                while True:
                    done.append(finished.get_nowait())
            except queue.Empty:
                pass
            for fut in done:
                if fut not in futures:
                    continue
                run_id = futures.pop(fut)
                spec = by_id[run_id]
                if fut.status == "finished":
                    try:
                        record = RunRecord.model_validate(fut.result())
                    except Exception as err:
                        record = lost_record(spec, f"unreadable result from the Dask worker: {_first_line(err)}")
                    report(record)
                    continue
                try:
                    exc: BaseException | None = fut.exception()
                except (FutureCancelledError, Exception) as cancel:  # cancelled: scheduler or client gone
                    exc = cancel
                if isinstance(exc, KilledWorker) and submits[run_id] < self.max_resubmits:
                    submits[run_id] += 1
                    log.warning("run %s lost its worker repeatedly; resubmitting (%d)", run_id, submits[run_id])
                    submit(spec)
                    continue
                why = (
                    "its Dask workers died while running it"
                    if isinstance(exc, KilledWorker)
                    else "cancelled (lost the Dask scheduler?)"
                    if fut.status == "cancelled"
                    else _first_line(exc)
                    if exc is not None
                    else f"Dask future {fut.status}"
                )
                report(lost_record(spec, f"dask: {why}"))
                fut.release()
            if on_tick is not None:
                on_tick()

    def close(self) -> None:
        """Close the client (and the LocalCluster this executor started). Runs still executing on an
        external cluster finish there; a later ``--resume`` waits for them through the run lock."""
        if self._client is not None:
            try:
                self._client.close(timeout=10)
            except Exception as exc:  # closing a client whose scheduler is gone
                log.debug("closing the Dask client: %s", exc)
            self._client = None
        if self._cluster is not None:
            try:
                self._cluster.close(timeout=20)
            except Exception as exc:
                log.debug("closing the LocalCluster: %s", exc)
            self._cluster = None


__all__ = ["DaskExecutor", "GroupDirNotVisible", "connect", "dask_run", "probe_worker", "run_resources"]
