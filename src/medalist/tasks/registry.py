"""Task registry: built-in tasks, user task folders, and named splits (text files of task ids)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from medalist.errors import ConfigError, MedalistError, TaskNotFoundError
from medalist.tasks.spec import TaskSpec, UnavailableTask, load_task_spec

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
MLEBENCH_ENV = "MEDALIST_MLEBENCH_DIR"
MLAGENTBENCH_ENV = "MEDALIST_MLAGENTBENCH_DIR"


def _env_paths(name: str) -> list[Path]:
    return [Path(p) for p in os.environ.get(name, "").split(os.pathsep) if p]


def read_split_file(path: Path) -> list[str]:
    """Task ids of a split file: one a line, ``#`` starts a comment."""
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


@dataclass
class TaskRegistry:
    """Every task medalist knows about, by id, plus the splits defined beside them.

    Roots are searched in order; each root holds task folders (with ``task.yaml``) and optionally a
    ``splits/`` folder of ``NAME.txt`` files listing task ids one per line. Foreign roots are adapted:
    ``mlebench_dirs`` are MLE-bench checkouts, ``mlagentbench_dirs`` are MLAgentBench ``benchmarks/`` folders.

    A foreign task that cannot be loaded is kept in ``unavailable`` with its reason: it is listed, naming it
    raises that reason, and splits that hold it skip it (``skipped`` says which), so one broken competition
    never hides the others.
    """

    roots: list[Path] = field(default_factory=lambda: [BUILTIN_DIR])
    mlebench_dirs: list[Path] = field(default_factory=list)
    mlagentbench_dirs: list[Path] = field(default_factory=list)
    _tasks: dict[str, TaskSpec] | None = None
    _splits: dict[str, list[str]] | None = None
    _unavailable: dict[str, UnavailableTask] = field(default_factory=dict)
    skipped: dict[str, UnavailableTask] = field(default_factory=dict)
    """Unavailable tasks that the last :meth:`split` / :meth:`resolve` left out of a split."""

    @classmethod
    def default(cls, extra_roots: list[Path] | None = None) -> TaskRegistry:
        """Built-in tasks plus folders in ``MEDALIST_TASKS_PATH`` (os.pathsep separated) and ``extra_roots``,
        plus MLE-bench / MLAgentBench folders from ``MEDALIST_MLEBENCH_DIR`` / ``MEDALIST_MLAGENTBENCH_DIR``."""
        roots = [BUILTIN_DIR]
        roots += _env_paths("MEDALIST_TASKS_PATH")
        roots += list(extra_roots or [])
        return cls(roots=roots, mlebench_dirs=_env_paths(MLEBENCH_ENV), mlagentbench_dirs=_env_paths(MLAGENTBENCH_ENV))

    def _foreign(self) -> list[tuple[list[TaskSpec], dict[str, list[str]], list[UnavailableTask]]]:
        out = []
        if self.mlebench_dirs:
            from medalist.tasks import mlebench

            out += [mlebench.load_checkout(d) for d in self.mlebench_dirs]
        if self.mlagentbench_dirs:
            from medalist.tasks import mlagentbench

            out += [(*mlagentbench.load_benchmarks(d), []) for d in self.mlagentbench_dirs]
        return out

    def _load(self) -> None:
        if self._tasks is not None:
            return
        tasks: dict[str, TaskSpec] = {}
        splits: dict[str, list[str]] = {}
        split_files: dict[str, list[Path]] = {}
        for root in self.roots:
            root = Path(root)
            if not root.is_dir():
                raise ConfigError(f"{root}: task folder does not exist")
            if (root / "task.yaml").is_file():
                candidates = [root / "task.yaml"]
            else:
                candidates = sorted(root.glob("*/task.yaml"))
            for cfg in candidates:
                spec = load_task_spec(cfg)
                if spec.id in tasks:
                    raise ConfigError(f"{cfg}: task id {spec.id!r} is already defined in {tasks[spec.id].directory}")
                tasks[spec.id] = spec
            split_dir = root / "splits"
            if split_dir.is_dir():
                for sf in sorted(split_dir.glob("*.txt")):
                    splits.setdefault(sf.stem, []).extend(read_split_file(sf))
                    split_files.setdefault(sf.stem, []).append(sf)
        unavailable: dict[str, UnavailableTask] = {}
        for specs, foreign_splits, broken in self._foreign():
            for spec in specs:
                if spec.id in tasks:
                    raise ConfigError(
                        f"{spec.directory}: task id {spec.id!r} is already defined in {tasks[spec.id].directory}"
                    )
                tasks[spec.id] = spec
            for u in broken:
                if u.id not in tasks:
                    unavailable.setdefault(u.id, u)
            for name, ids in foreign_splits.items():
                splits.setdefault(name, []).extend(ids)
        for name, ids in splits.items():
            unknown = [i for i in ids if i not in tasks and i not in unavailable]
            if unknown:
                where = ", ".join(map(str, split_files.get(name, []))) or "split"
                raise ConfigError(f"{where}: split {name!r} names unknown task(s): {', '.join(unknown)}")
        self._tasks, self._splits, self._unavailable = tasks, splits, unavailable

    @property
    def tasks(self) -> dict[str, TaskSpec]:
        self._load()
        assert self._tasks is not None
        return self._tasks

    @property
    def splits(self) -> dict[str, list[str]]:
        self._load()
        assert self._splits is not None
        return self._splits

    @property
    def unavailable(self) -> dict[str, UnavailableTask]:
        """Tasks that are known but cannot be used, by id (each with its reason)."""
        self._load()
        return self._unavailable

    def get(self, task_id: str) -> TaskSpec:
        """One task by id; the error lists close matches, or says why a known task is unavailable."""
        try:
            return self.tasks[task_id]
        except KeyError:
            if task_id in self.unavailable:
                raise MedalistError(self.unavailable[task_id].message) from None
            import difflib

            near = difflib.get_close_matches(task_id, list(self.tasks), n=3)
            hint = f" (did you mean: {', '.join(near)}?)" if near else ""
            raise TaskNotFoundError(f"unknown task {task_id!r}{hint}; `medalist tasks list` shows all") from None

    def split(self, name: str) -> list[TaskSpec]:
        """Tasks in a named split (``all`` is implicit when no file defines it)."""
        if name == "all" and "all" not in self.splits:
            self.skipped.update(self.unavailable)
            return list(self.tasks.values())
        if name not in self.splits:
            known = ", ".join(sorted(set(self.splits) | {"all"}))
            raise TaskNotFoundError(f"unknown split {name!r} (known: {known})")
        return self._available(self.splits[name])

    def _available(self, ids: list[str]) -> list[TaskSpec]:
        """Tasks of a split; unavailable ones are left out and recorded in ``skipped``."""
        out = []
        for i in ids:
            if i in self.unavailable:
                self.skipped[i] = self.unavailable[i]
            else:
                out.append(self.get(i))
        return out

    def resolve(self, selectors: list[str]) -> list[TaskSpec]:
        """Turn task ids, split names and split files (paths to .txt) into a de-duplicated task list."""
        out: dict[str, TaskSpec] = {}
        for sel in selectors:
            path = Path(sel)
            if sel.endswith(".txt") and path.is_file():
                specs = self._available(read_split_file(path))
            elif sel in self.tasks:
                specs = [self.tasks[sel]]
            elif sel in self.splits or sel == "all":
                specs = self.split(sel)
            else:
                specs = [self.get(sel)]
            for s in specs:
                out.setdefault(s.id, s)
        return list(out.values())

    def splits_of(self, task_id: str) -> list[str]:
        """Names of the splits a task belongs to."""
        return sorted(n for n, ids in self.splits.items() if task_id in ids)
