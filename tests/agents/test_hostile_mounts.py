"""Hostile agents files: mounts that would expose task data, answers, packaged raw data or another run, or
hand medalist's own folders to the agent writable, are refused in one line naming the mount; an allowed
writable host folder is used as it is (never chowned), and the run cannot change what it holds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from medalist.agents.config import load_agents_file
from medalist.errors import ConfigError


def agents_yaml(folder: Path, source: Path, *, writable: bool = False, target: str = "/opt/x") -> Path:
    path = folder / "agents.yaml"
    path.write_text(
        f"agents:\n  - id: sneaky\n    command: [python, /opt/x/a.py]\n"
        f"    mounts: [{{source: {source}, target: {target}, writable: {str(writable).lower()}}}]\n"
    )
    return path


def hostile_sources(data_cache: Path) -> dict[str, tuple[Path, bool, str]]:
    import medalist
    from medalist.tasks.hidden import floor_paths
    from medalist.tasks.registry import BUILTIN_DIR

    raw = next(p for p in floor_paths() if "palmerpenguins" in str(p))
    return {
        "builtin_task": (BUILTIN_DIR / "penguins-species", False, "inside medalist's built-in task folders"),
        "tasks_parent": (BUILTIN_DIR.parent, False, "contains medalist's built-in task folders"),
        "raw_dataset": (raw, False, "inside a dataset package's raw data"),
        "raw_dataset_package": (raw.parent, False, "contains a dataset package's raw data"),
        "data_cache": (data_cache, False, "prepared-data cache"),
        "cache_parent": (data_cache.parent, False, "contains medalist's prepared-data cache"),
        "source_writable": (Path(medalist.__file__).parent / "grading", True, "inside medalist's source"),
        "venv_writable": (Path(sys.prefix) / "bin", True, "inside medalist's venv"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "builtin_task",
        "tasks_parent",
        "raw_dataset",
        "raw_dataset_package",
        "data_cache",
        "cache_parent",
        "source_writable",
        "venv_writable",
    ],
)
def test_hostile_mount_is_refused_naming_it(case: str, tmp_path: Path, medalist_data_dir: Path) -> None:
    source, writable, why = hostile_sources(medalist_data_dir)[case]
    path = agents_yaml(tmp_path, source, writable=writable)
    with pytest.raises(ConfigError) as err:
        load_agents_file(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and "agents[sneaky].mounts" in msg
    assert f"refusing {'writable mount' if writable else 'mount'} {source}" in msg and why in msg, msg


def test_read_only_mount_of_the_venv_tools_is_fine(tmp_path: Path) -> None:
    agent = load_agents_file(agents_yaml(tmp_path, Path(sys.prefix) / "bin"))[0]
    assert agent.mounts[0].writable is False


@pytest.mark.sandbox
def test_another_run_group_cannot_be_mounted(runs_dir: Path, require_bwrap: str) -> None:
    from run_helpers import medalist_cli  # type: ignore[import-not-found]

    other = runs_dir / "2026-01-01T00-00-00Z_gold"
    other.mkdir()
    (other / "metadata.json").write_text("{}")
    for writable in (True, False):
        path = agents_yaml(runs_dir, other, writable=writable)
        done = medalist_cli(
            "run",
            "--agent",
            "sneaky",
            "--agents-file",
            str(path),
            "--tasks",
            "penguins-species",
            "--runs-dir",
            str(runs_dir),
        )
        assert done.returncode != 0
        assert f"refusing {'writable mount' if writable else 'mount'} {other}" in done.stderr, done.stderr
        assert "inside a run group" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in runs_dir.iterdir() if p.is_dir()) == [other.name]  # no run started


@pytest.mark.sandbox
def test_writable_host_folder_is_never_chowned(run_group, runs_dir: Path, box: Path) -> None:
    shared = box / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    keep = shared / "keep.txt"
    keep.write_text("host data\n")
    keep.chmod(0o644)
    code = runs_dir / "agent_code"
    code.mkdir()
    (code / "a.py").write_text(
        "import shutil, sys\n"
        "open('/opt/shared/new.txt', 'w').write('made inside')\n"
        "try:\n    open('/opt/shared/keep.txt', 'a').write('PWNED')\n    sys.exit(9)\n"
        "except OSError:\n    pass\n"
        "shutil.copyfile('/home/data/sample_submission.csv', '/home/submission/submission.csv')\n"
    )
    for p in (code, code / "a.py"):
        p.chmod(0o755)
    path = runs_dir / "agents.yaml"
    path.write_text(
        "agents:\n  - id: sharer\n    command: [python, /opt/x/a.py]\n"
        f"    mounts: [{{source: agent_code, target: /opt/x}}, {{source: {shared}, target: /opt/shared, writable: true}}]\n"
    )
    before = {p.name: (p.stat().st_uid, p.stat().st_gid, p.stat().st_mode) for p in (shared, keep)}
    group, summary = run_group("sharer", ["penguins-species"], agents_file=path, time_limit=60)
    record = group.records()[0]
    assert record is not None and record.status == "completed", record
    assert {p.name: (p.stat().st_uid, p.stat().st_gid, p.stat().st_mode) for p in (shared, keep)} == before
    assert keep.read_text() == "host data\n" and (shared / "new.txt").read_text() == "made inside"
    assert os.stat(shared / "new.txt").st_uid != 0  # made by the sandbox user, in a folder it was allowed to write
