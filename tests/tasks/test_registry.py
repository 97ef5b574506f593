"""Task registry: roots, splits, lookups, and one-line errors for broken folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from medalist.errors import ConfigError, TaskNotFoundError
from medalist.tasks import BUILTIN_DIR, TaskRegistry


def add_task(root: Path, task_id: str, metric: str = "rmse") -> Path:
    folder = root / task_id
    folder.mkdir(parents=True)
    (folder / "description.md").write_text(f"# {task_id}\n")
    (folder / "prepare.py").write_text("def prepare(raw, public, private):\n    pass\n")
    (folder / "task.yaml").write_text(
        f"id: {task_id}\nname: {task_id}\ntask_type: regression\nmetric: {metric}\ntarget_columns: [y]\n"
    )
    return folder


def add_split(root: Path, name: str, text: str) -> Path:
    (root / "splits").mkdir(exist_ok=True)
    path = root / "splits" / f"{name}.txt"
    path.write_text(text)
    return path


@pytest.fixture
def root(tmp_path) -> Path:
    r = tmp_path / "suite"
    for t in ("alpha", "beta", "gamma"):
        add_task(r, t)
    add_split(r, "quick", "# the quick split\nalpha\n\ngamma  # trailing comment\n")
    add_split(r, "one", "beta\n")
    return r


def test_tasks_and_splits(root):
    reg = TaskRegistry(roots=[root])
    assert sorted(reg.tasks) == ["alpha", "beta", "gamma"]
    assert reg.splits == {"one": ["beta"], "quick": ["alpha", "gamma"]}
    assert [s.id for s in reg.split("quick")] == ["alpha", "gamma"]
    assert sorted(s.id for s in reg.split("all")) == ["alpha", "beta", "gamma"]
    assert reg.splits_of("gamma") == ["quick"] and reg.splits_of("beta") == ["one"]
    assert reg.get("beta").directory == (root / "beta").resolve()


def test_resolve_ids_splits_and_split_files_without_duplicates(root, tmp_path):
    reg = TaskRegistry(roots=[root])
    mine = tmp_path / "mine.txt"
    mine.write_text("beta\nalpha\n")
    assert [s.id for s in reg.resolve(["gamma", "quick", str(mine), "alpha"])] == ["gamma", "alpha", "beta"]
    assert [s.id for s in reg.resolve(["all"])] == ["alpha", "beta", "gamma"]


def test_a_root_can_be_a_single_task_folder(root):
    reg = TaskRegistry(roots=[root / "beta"])
    assert list(reg.tasks) == ["beta"]


def test_unknown_task_suggests_close_ids(root):
    with pytest.raises(
        TaskNotFoundError, match=r"unknown task 'alpah' \(did you mean: alpha\?\); `medalist tasks list` shows all"
    ):
        TaskRegistry(roots=[root]).get("alpah")
    with pytest.raises(TaskNotFoundError, match=r"unknown task 'zzz'; "):
        TaskRegistry(roots=[root]).resolve(["zzz"])


def test_unknown_split_lists_known_ones(root):
    with pytest.raises(TaskNotFoundError, match=r"unknown split 'slow' \(known: all, one, quick\)"):
        TaskRegistry(roots=[root]).split("slow")


def test_missing_root(tmp_path):
    with pytest.raises(ConfigError, match=r"nowhere: task folder does not exist"):
        TaskRegistry(roots=[tmp_path / "nowhere"]).tasks


def test_duplicate_ids_across_roots_name_both_places(root, tmp_path):
    other = tmp_path / "other"
    add_task(other, "alpha")
    with pytest.raises(
        ConfigError, match=r"other/alpha/task\.yaml: task id 'alpha' is already defined in .*suite/alpha"
    ):
        TaskRegistry(roots=[root, other]).tasks


def test_split_with_unknown_task_names_the_split_file(root):
    path = add_split(root, "broken", "alpha\nomega\n")
    with pytest.raises(ConfigError, match=r"broken\.txt: split 'broken' names unknown task\(s\): omega"):
        TaskRegistry(roots=[root]).tasks
    assert path.is_file()


def test_broken_task_yaml_names_its_file(root):
    (root / "beta" / "task.yaml").write_text("id: beta\nname: [unclosed\n")
    with pytest.raises(ConfigError, match=r"beta/task\.yaml: not valid YAML"):
        TaskRegistry(roots=[root]).tasks


def test_default_includes_builtins_env_path_and_extra_roots(root, tmp_path, monkeypatch):
    extra = tmp_path / "extra"
    add_task(extra, "delta")
    monkeypatch.setenv("MEDALIST_TASKS_PATH", str(root))
    monkeypatch.delenv("MEDALIST_MLEBENCH_DIR", raising=False)
    monkeypatch.delenv("MEDALIST_MLAGENTBENCH_DIR", raising=False)
    reg = TaskRegistry.default(extra_roots=[extra])
    assert reg.roots[0] == BUILTIN_DIR
    assert {"alpha", "beta", "gamma", "delta", "penguins-species", "breast-cancer-diagnosis"} <= set(reg.tasks)
    assert reg.get("penguins-species").metric == "accuracy"
    assert reg.get("breast-cancer-diagnosis").metric == "roc_auc"


def test_registry_loads_lazily_once(root):
    reg = TaskRegistry(roots=[root])
    first = reg.tasks
    add_task(root, "late")
    assert reg.tasks is first and "late" not in reg.tasks
    assert "late" in TaskRegistry(roots=[root]).tasks
