"""The ``local`` executor: a pool of K worker processes on this machine."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import FrameType
from typing import NoReturn

from medalist.clock import utc_now
from medalist.fsutil import remove_process_tempdirs
from medalist.runner.execute import execute_run, new_record
from medalist.runner.executors.base import OnDone, OnTick
from medalist.runner.models import RunRecord, RunSpec

TICK_SECS = 0.5
PR_SET_PDEATHSIG = 1
STOP_GRACE_SECS = 30.0
"""How long stopped workers get to kill and remove their sandboxes before they are killed outright."""
STOPPED_EXIT = 128 + signal.SIGTERM

_in_run = False  # in a worker: whether it is executing a run now


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A handler that does nothing. Unlike SIG_IGN it is not inherited: the agent (exec'd) starts with
    default signal handling."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """The harness stops this worker. In a run, unwind it: the sandbox's ``finally`` blocks kill the
    agent's processes and remove its cgroups and temp folders on the way out; between runs, just exit."""
    signal.signal(signal.SIGTERM, _ignore)  # one unwind: a second signal must not cut the clean-up short
    if _in_run:
        raise KeyboardInterrupt
    _exit_stopped()


def _exit_stopped() -> NoReturn:
    remove_process_tempdirs()  # os._exit skips atexit
    os._exit(STOPPED_EXIT)


def _worker_init() -> None:
    """Die with the launching process (kill -9 included), so no orphan keeps writing a run dir; leave
    Ctrl-C to the harness (a terminal sends it to the whole process group) and unwind on its SIGTERM."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    signal.signal(signal.SIGINT, _ignore)
    signal.signal(signal.SIGTERM, _on_sigterm)


def _execute(spec: RunSpec) -> RunRecord:
    """:func:`execute_run` in a worker; a run stopped by the harness ends the worker once it has unwound
    (its run.json stays "running", so ``--resume`` redoes it)."""
    global _in_run
    _in_run = True
    try:
        return execute_run(spec)
    except KeyboardInterrupt:
        _exit_stopped()
    finally:
        _in_run = False


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
        futures: dict[Future[RunRecord], RunSpec] = {pool.submit(_execute, s): s for s in specs}
        pending = set(futures)
        try:
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
        except BaseException:  # Ctrl-C, SIGTERM (the CLI raises KeyboardInterrupt for it), a failing callback
            self._stop_workers()
            raise

    def _stop_workers(self) -> None:
        """SIGTERM every worker (each kills and removes its run's sandbox), wait for them, kill stragglers."""
        if self._pool is None:
            return
        procs = list((self._pool._processes or {}).values())  # the pool offers no public way to stop workers
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        for proc in procs:
            proc.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECS
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
