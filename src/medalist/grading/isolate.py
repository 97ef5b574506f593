"""Grade in a child process with memory and time limits, so no submission can knock the grader over.

A submission is untrusted input to pandas, numpy, scikit-learn and foreign graders: a file crafted to
exhaust memory (millions of distinct labels, a huge cell) or time must make *that* submission invalid,
never kill or stall the command grading a whole run group. :func:`run_isolated` forks the already-imported
grading process (no interpreter start-up, no pickling of the answers: the child shares them copy-on-write),
caps the child's address space, waits with a deadline and kills it on overrun. Only a small result comes
back through a pipe. Where ``fork`` does not exist the function runs in-process (unbounded).
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from medalist.errors import InvalidSubmissionError, MedalistError

if TYPE_CHECKING:
    from medalist.tasks.prepare import PreparedTask
    from medalist.tasks.spec import TaskSpec

GiB = 1 << 30
MiB = 1 << 20
SIZE_FACTOR = 10
"""Default submission cap: this many times the larger of the answers and the sample submission."""
MIN_SUBMISSION_BYTES = 1 * MiB
MAX_ERROR_CHARS = 300
"""Reasons are cut to this length (they land in run.json, summaries and reports)."""
_RESULT_LIMIT = 64 * 1024
T = TypeVar("T")


@dataclass(frozen=True)
class GradingBounds:
    """The resolved limits for grading one submission of a task."""

    max_submission_bytes: int
    memory_bytes: int
    timeout_secs: float


def _tree_size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        if path.is_file():
            return path.stat().st_size
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except OSError:
        pass
    return 0


def grading_bounds(spec: TaskSpec, pt: PreparedTask) -> GradingBounds:
    """Limits of ``spec.grading_limits``, the submission cap defaulting to a multiple of the answers' size."""
    lim = spec.grading_limits
    if lim.max_submission_mb is not None:
        cap = int(lim.max_submission_mb * MiB)
    else:
        ref = max(_tree_size(pt.answers_path), _tree_size(pt.sample_submission_path))
        cap = max(MIN_SUBMISSION_BYTES, SIZE_FACTOR * ref)
    return GradingBounds(
        max_submission_bytes=cap, memory_bytes=int(lim.memory_gb * GiB), timeout_secs=lim.time_limit_secs
    )


def _mb(n: int) -> str:
    return f"{n / MiB:.1f} MB"


def check_size(st: os.stat_result, max_bytes: int | None, what: str = "submission") -> None:
    """Refuse a file whose apparent size or allocated blocks exceed ``max_bytes`` (a sparse file has a
    small footprint but a huge apparent size: both count)."""
    if max_bytes is None:
        return
    size = max(st.st_size, st.st_blocks * 512)
    if size > max_bytes:
        raise InvalidSubmissionError(
            f"{what} is {_mb(size)}, over this task's limit of {_mb(max_bytes)} "
            "(grading_limits.max_submission_mb in task.yaml)"
        )


def check_submission_size(path: Path, max_bytes: int | None) -> None:
    """:func:`check_size` on ``path`` itself (never following a symbolic link); absent files pass."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    check_size(st, max_bytes)


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def _child(fn: Callable[[], Any], memory_bytes: int | None, w: int) -> None:
    """Run ``fn`` in the forked child and write ``(kind, value)`` to ``w``; never returns."""
    code = 0
    try:
        if memory_bytes is not None:
            _limit_memory(memory_bytes)
        try:
            result: tuple[str, Any] = ("ok", fn())
        except InvalidSubmissionError as exc:
            result = ("invalid", clip(str(exc)))
        except MedalistError as exc:
            result = ("task", clip(str(exc)))
        except MemoryError:
            result = ("memory", None)
        except RecursionError:
            result = ("crash", "RecursionError")
        except BaseException as exc:
            result = ("crash", type(exc).__name__)
        data = pickle.dumps(result)
        if len(data) > _RESULT_LIMIT:
            data = pickle.dumps(("crash", "result too large"))
        view = memoryview(data)
        while view:
            view = view[os.write(w, view) :]
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _limit_memory(extra: int) -> None:
    """Cap the address space at what the child already maps plus ``extra`` bytes (imports are done:
    the parent had them, so the cap never trips on loading numpy)."""
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        mapped = 0
    limit = mapped + extra
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_isolated(fn: Callable[[], T], *, memory_bytes: int | None, timeout_secs: float | None) -> T:
    """``fn()`` in a forked child with an address-space cap and a deadline.

    Returns its result (a score, or a score and its medal confidence); raises InvalidSubmissionError when the submission is invalid, runs the child out
    of memory or time, or crashes it; MedalistError when the task itself is broken.
    """
    if not hasattr(os, "fork"):
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage cannot see it)
        os.close(r)
        _child(fn, memory_bytes, w)
    os.close(w)
    chunks: list[bytes] = []
    deadline = None if timeout_secs is None else time.monotonic() + timeout_secs
    timed_out = False
    try:
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            block = os.read(r, 65536)
            if not block:
                break
            chunks.append(block)
            if sum(map(len, chunks)) > _RESULT_LIMIT:
                break
    finally:
        os.close(r)
        if timed_out:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise InvalidSubmissionError(f"grading took longer than {timeout_secs:g} s and was stopped")
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:
        raise InvalidSubmissionError(_death(status, memory_bytes)) from None
    if kind == "ok":
        return value
    if kind == "invalid":
        raise InvalidSubmissionError(value)
    if kind == "task":
        raise MedalistError(value)
    if kind == "memory":
        raise InvalidSubmissionError(_memory_reason(memory_bytes))
    raise InvalidSubmissionError(f"grading failed on this submission ({value})")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _memory_reason(memory_bytes: int | None) -> str:
    limit = f" (limit {memory_bytes / GiB:g} GB)" if memory_bytes else ""
    return f"grading ran out of memory{limit}: the submission is too large or too unusual to grade"


def _death(status: int, memory_bytes: int | None) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        limit = f", memory limit {memory_bytes / GiB:g} GB" if memory_bytes else ""
        return f"grading process was killed by signal {sig}{limit}: the submission is too large or too unusual to grade"
    return f"grading process died (exit code {os.WEXITSTATUS(status)})"
