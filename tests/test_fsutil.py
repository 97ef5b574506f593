"""Temp folders named after their maker: the leftovers of a dead process are swept, a live one's never."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from medalist.fsutil import owned_tempdir, owner_tag, sweep_dead_owners


def _made_by_a_process_that_exited(tmp: Path, prefix: str) -> Path:
    """A folder made with owned_tempdir by another process that then exited without removing it."""
    code = f"import tempfile; tempfile.tempdir = {str(tmp)!r}; from medalist.fsutil import owned_tempdir; print(owned_tempdir({prefix!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return Path(out.strip())


def test_a_dead_makers_folder_is_swept_and_live_or_foreign_ones_stay(tmp_path: Path) -> None:
    prefix = "medalist-fsutil-test-"
    dead = _made_by_a_process_that_exited(tmp_path, prefix)
    (dead / "sub").mkdir()
    (dead / "sub" / "f").write_text("x")
    live = tmp_path / f"{prefix}{owner_tag()}-mine"  # this test process is alive
    untagged = tmp_path / f"{prefix}abc"
    other_namespace = tmp_path / f"{prefix}1-999999999-x"
    unrelated = tmp_path / f"other-{owner_tag(999999999)}-x"
    for folder in (live, untagged, other_namespace, unrelated):
        folder.mkdir()
    assert dead.is_dir() and dead.name.startswith(prefix)

    assert sweep_dead_owners(tmp_path, prefix) == [dead]
    assert not dead.exists()
    assert all(p.is_dir() for p in (live, untagged, other_namespace, unrelated))
    assert sweep_dead_owners(tmp_path, prefix) == []  # once per process, folder and prefix


def test_owned_tempdir_sweeps_before_its_first_folder(tmp_path: Path, monkeypatch) -> None:
    prefix = "medalist-fsutil-first-"
    dead = _made_by_a_process_that_exited(tmp_path, prefix)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    made = owned_tempdir(prefix)
    assert made.is_dir() and made.name.startswith(f"{prefix}{owner_tag()}-") and not dead.exists()
