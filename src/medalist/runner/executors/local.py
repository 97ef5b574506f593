"""The ``local`` executor: a pool of K worker processes on this machine."""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from medalist.clock import utc_now
from medalist.runner.execute import execute_run, new_record
from medalist.runner.executors.base import OnDone, OnTick
from medalist.runner.models import RunRecord, RunSpec

TICK_SECS = 0.5
PR_SET_PDEATHSIG = 1


def _worker_init() -> None:
    """Die with the launching process (kill -9 included), so no orphan keeps writing a run dir."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def crashed_record(spec: RunSpec, exc: BaseException) -> RunRecord:
    rec = new_record(spec)
    rec.status, rec.exit_reason, rec.ended_at = "error", "error", utc_now()
    rec.error = f"worker crashed: {type(exc).__name__}: {exc}"
    return rec


class LocalExecutor:
    """Runs each spec in a fresh-interpreter (spawn) worker process; K runs at a time."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init
            )
        return self._pool

    def map_runs(self, specs: Sequence[RunSpec], on_done: OnDone, on_tick: OnTick | None = None) -> None:
        pool = self._get_pool()
        futures: dict[Future[RunRecord], RunSpec] = {pool.submit(execute_run, s): s for s in specs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=TICK_SECS, return_when=FIRST_COMPLETED)
            for fut in done:
                spec = futures[fut]
                try:
                    record = fut.result()
                except Exception as exc:  # BrokenProcessPool, unpicklable result, ...
                    record = crashed_record(spec, exc)
                on_done(record)
            if on_tick is not None:
                on_tick()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
