"""Prepare a task: run its ``prepare(raw, public, private)`` into the cache, checksummed and verified.

Preparing hashes every file (``manifest.json``); afterwards each run and grading only checks a cheap
fingerprint and the answers (tasks/verify.py). Prepared-only MLE-bench data is used in place, never
re-prepared (tasks/cache.py).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from medalist import __version__
from medalist.errors import ConfigError, MedalistError
from medalist.fsutil import atomic_write_json, tree_checksums
from medalist.tasks.cache import PreparedTask, PrepareManifest, task_cache
from medalist.tasks.spec import TaskSpec
from medalist.tasks.verify import full_check, quick_check, record_external, record_fingerprint

try:
    import fcntl
except ImportError:  # pragma: no cover (not POSIX: no lock)
    fcntl = None  # type: ignore[assignment]  # mypy types the name as the module; None means no lock here


def load_entry_point(spec: TaskSpec, entry: str | None = None, field: str = "prepare") -> Callable[..., object]:
    """Resolve ``file.py:function`` (relative to the task folder) or ``package.module:function``."""
    entry = entry or spec.prepare
    if ":" not in entry:
        raise ConfigError(
            f"{spec.directory / 'task.yaml'}: field '{field}': expected 'file.py:function', got {entry!r}"
        )
    target, func = entry.rsplit(":", 1)
    if target.endswith(".py"):
        path = spec.directory / target
        if not path.is_file():
            raise ConfigError(f"{spec.directory / 'task.yaml'}: field '{field}': {path} does not exist")
        mod_name = f"medalist_task_{spec.id.replace('-', '_').replace('.', '_')}_{path.stem}"
        mspec = importlib.util.spec_from_file_location(mod_name, path)
        assert mspec is not None and mspec.loader is not None
        module = importlib.util.module_from_spec(mspec)
        sys.modules[mod_name] = module
        try:
            mspec.loader.exec_module(module)
        except ImportError as exc:  # a dataset package imported at the top of the script
            sys.modules.pop(mod_name, None)
            raise MedalistError(
                f"task {spec.id!r}: {path.name} needs a package that is not installed ({exc}); "
                "install with `pip install 'medalist[suite]'`"
            ) from None
        except Exception as exc:
            sys.modules.pop(mod_name, None)
            first = (str(exc).strip().splitlines() or [""])[0]
            raise ConfigError(
                f"{spec.directory / 'task.yaml'}: field '{field}': cannot load {path}: {type(exc).__name__}: {first}"
            ) from None
    else:
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            if exc.name and (target == exc.name or target.startswith(exc.name + ".")):
                raise ConfigError(
                    f"{spec.directory / 'task.yaml'}: field '{field}': no module named {target!r}"
                ) from None
            raise MedalistError(f"task {spec.id!r}: {target} needs a package that is not installed ({exc})") from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise ConfigError(f"{spec.directory / 'task.yaml'}: field '{field}': {entry!r} has no function {func!r}")
    return fn


def _check_outputs(spec: TaskSpec, public: Path, private: Path) -> None:
    expected = [private / spec.answers] + ([public / spec.sample_submission] if spec.sample_submission else [])
    expected += [private / spec.private_sample_submission] if spec.private_sample_submission else []
    missing = [p for p in expected if not p.is_file()]
    if missing:
        raise MedalistError(f"task {spec.id!r}: prepare did not write {', '.join(map(str, missing))}")


def prepare_task(spec: TaskSpec, *, force: bool = False, cache_root: Path | None = None) -> PreparedTask:
    """Prepare one task into the cache; a no-op when already prepared (unless ``force``).

    Runs in a temp folder beside the destination and renames it into place, so an interrupted prepare
    never leaves a half-built task behind. The description is copied into ``public/description.md``.
    """
    pt = task_cache(spec, cache_root)
    if pt.external:
        return _use_external(pt, force)
    if pt.is_prepared() and not force:
        return pt
    pt.root.mkdir(parents=True, exist_ok=True)
    fn = load_entry_point(spec)
    _check_signature(spec, fn)
    with _prepare_lock(pt.root):
        if pt.is_prepared() and not force:  # another process prepared it while we waited
            return pt
        for stale in pt.root.glob(".prepare-*"):  # left by a killed prepare (no one else holds the lock)
            shutil.rmtree(stale, ignore_errors=True)
        return _prepare_locked(spec, pt, fn)


def _check_signature(spec: TaskSpec, fn: Callable[..., object]) -> None:
    """Refuse a prepare function that cannot take ``(raw, public, private, **prepare_args)``."""
    try:
        inspect.signature(fn).bind(Path(), Path(), Path(), **spec.prepare_args)
    except TypeError as exc:
        raise ConfigError(
            f"{spec.directory / 'task.yaml'}: field 'prepare': {spec.prepare} cannot be called as "
            f"prepare(raw, public, private{''.join(', ' + k + '=...' for k in spec.prepare_args)}): {exc}"
        ) from None
    except ValueError:  # no introspectable signature (e.g. a builtin); let the call decide
        pass


def _use_external(pt: PreparedTask, force: bool) -> PreparedTask:
    """Prepared-only data (an MLE-bench data dir): never re-prepared; recorded on first use."""
    if force:
        raise MedalistError(
            f"task {pt.spec.id!r} uses the prepared-only data in {pt.root} (MEDALIST_MLEBENCH_DATA_DIR), which "
            "medalist never re-prepares; re-run `mlebench prepare` there, or unset the variable to prepare from raw data"
        )
    if pt.is_prepared():
        return pt
    pt.state.mkdir(parents=True, exist_ok=True)
    with _prepare_lock(pt.state):
        if not pt.is_prepared():
            record_external(pt)
    return pt


@contextmanager
def _prepare_lock(root: Path) -> Iterator[None]:
    """Exclusive lock on a task's cache folder, so parallel runs never prepare the same task at once."""
    with open(root / ".lock", "a+b") as fh:
        if fcntl is not None:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _prepare_locked(spec: TaskSpec, pt: PreparedTask, fn: Callable[..., object]) -> PreparedTask:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".prepare-", dir=pt.root) as tmp:
        staging = Path(tmp) / "prepared"
        public, private = staging / "public", staging / "private"
        public.mkdir(parents=True)
        private.mkdir(parents=True)
        pt.raw.mkdir(parents=True, exist_ok=True)
        if spec.kaggle_competition and not any(pt.raw.iterdir()):
            from medalist.tasks.kaggle import download_competition

            checksums = spec.directory / spec.kaggle_checksums if spec.kaggle_checksums else None
            download_competition(spec.kaggle_competition, pt.raw, checksums=checksums)
        try:
            fn(pt.raw, public, private, **spec.prepare_args)
        except MedalistError:
            raise
        except ImportError as exc:
            raise MedalistError(
                f"task {spec.id!r}: a dataset package is missing ({exc}); install with `pip install 'medalist[suite]'`"
            ) from exc
        shutil.copyfile(spec.description_path, public / "description.md")
        _check_outputs(spec, public, private)
        manifest = PrepareManifest(
            task_id=spec.id,
            data_version=spec.data_version,
            medalist_version=__version__,
            prepared_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            seconds=round(time.perf_counter() - start, 3),
            public=tree_checksums(public),
            private=tree_checksums(private),
        )
        pt.manifest_path.unlink(missing_ok=True)
        pt.fingerprint_path.unlink(missing_ok=True)
        old = pt.root / "prepared"
        if old.exists():
            shutil.rmtree(old)
        staging.rename(old)
    atomic_write_json(pt.manifest_path, manifest)
    record_fingerprint(pt)
    return pt


def verify_task(pt: PreparedTask, *, update: bool = False) -> list[str]:
    """Full verification: hash every file (see :func:`medalist.tasks.verify.full_check`); [] = intact."""
    return full_check(pt, update=update)


def ensure_prepared(spec: TaskSpec, cache_root: Path | None = None) -> PreparedTask:
    """Prepare if needed (or use prepared-only data in place), and refuse to go on with files that changed.

    Checks the cheap fingerprint and the answers only (tasks/verify.py), so it costs milliseconds even for
    hundreds of GB of public data; ``medalist verify`` hashes everything.
    """
    pt = prepare_task(spec, cache_root=cache_root)
    problems = quick_check(pt)
    if problems:
        fix = (
            f"if you re-ran `mlebench prepare` there, run `medalist verify {spec.id} --update`"
            if pt.external
            else f"run `medalist prepare {spec.id} --force`"
        )
        raise MedalistError(f"task {spec.id!r}: prepared data failed verification ({'; '.join(problems[:3])}); {fix}")
    return pt
