"""Answer reachability: copies of a task's raw data are found by content in any format, and only they;
a tree's scan is kept until the tree changes; the floor and the findings are hidden in every tree."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import pickle
import time
import zipfile
from pathlib import Path

import pytest

from medalist.tasks import TaskRegistry, ensure_prepared
from medalist.tasks.fingerprint import task_fingerprint
from medalist.tasks.hidden import floor_paths, hidden_paths, mirrored
from medalist.tasks.reach import LARGE_CHARS, SAMPLE_LINES
from medalist.tasks.reach_files import scan_roots
from medalist.tasks.reach_state import ensure_scan, read_state

SITE = "lib/python3.11/site-packages"


@pytest.fixture(scope="module")
def penguins():
    from palmerpenguins import load_penguins

    return ensure_prepared(TaskRegistry.default().get("penguins-species")), load_penguins()


def test_raw_data_copies_are_found_in_every_format_and_unrelated_files_are_not(tmp_path: Path, penguins) -> None:
    pt, raw = penguins
    venv = tmp_path / "venv"
    (venv / "pkg" / "data").mkdir(parents=True)
    csv = raw.to_csv(index=False).encode()
    cols = list(raw.columns)
    reordered = raw[cols[3:] + cols[:3]].to_csv(index=False, sep=";").encode()  # columns rotated, other sep
    (venv / "pkg" / "data" / "penguins.csv.gz").write_bytes(gzip.compress(csv))
    (venv / "pkg" / "data" / "frame.pkl.compress").write_bytes(lzma.compress(pickle.dumps(raw)))
    (venv / "pkg" / "data" / "p.txt.bz2").write_bytes(bz2.compress(reordered))
    with zipfile.ZipFile(venv / "pkg" / "bundle.zip", "w") as z:
        z.writestr("inner/penguins.arff", b"@relation p\n@data\n" + csv)
        z.writestr("inner/Penguins.java", csv)  # source code in an archive is not decoded
    records = json.dumps(raw.to_dict(orient="records")).encode()  # a table serialised on one line
    (venv / "pkg" / "data" / "records.json").write_bytes(records)
    unrelated = raw.assign(
        bill_length_mm=raw["bill_length_mm"] * 1.37,
        body_mass_g=raw["body_mass_g"] + 11,
        bill_depth_mm=raw["bill_depth_mm"] * 0.71,
        flipper_length_mm=raw["flipper_length_mm"] + 3,
    )
    (venv / "pkg" / "data" / "other.csv").write_bytes(unrelated.to_csv(index=False).encode())
    (venv / "pkg" / "code.py").write_text("x = 1\n")
    fp = task_fingerprint(pt)
    cache = tmp_path / "cache.json"
    findings, stats = scan_roots([fp], [venv], public_roots=[pt.public], cache_path=cache, workers=2)
    found = {Path(f.path).name for f in findings}
    assert found == {"penguins.csv.gz", "frame.pkl.compress", "p.txt.bz2", "bundle.zip", "records.json"}, findings
    assert all(f.rows_with_features >= 0.95 * fp.rows for f in findings)
    assert stats.decoded == 6 + 3  # six candidates here, three public files; code.py is not a table
    again, stats2 = scan_roots([fp], [venv], public_roots=[pt.public], cache_path=cache)
    assert {f.path for f in again} == {f.path for f in findings} and stats2.decoded == 0 and stats2.cached == 9


def test_a_copy_inside_a_large_file_is_found_through_the_line_sample(tmp_path: Path, penguins) -> None:
    """A text above LARGE_CHARS: matched in full once its line sample shows the task's rows."""
    pt, raw = penguins
    filler = "\n".join(f"{i},{i * 7 % 1000},noise and more noise" for i in range(8 * SAMPLE_LINES))
    assert len(filler) > LARGE_CHARS
    rows = raw.to_csv(index=False)
    (tmp_path / "big.csv").write_text(filler + "\n" + rows + "\n" + filler)
    findings, _ = scan_roots([task_fingerprint(pt)], [tmp_path])
    assert [Path(f.path).name for f in findings] == ["big.csv"]


def _venv(root: Path, raw) -> Path:
    """A fake venv with a package holding the penguins (as a test fixture) and scikit-learn's data folder."""
    site = root / SITE
    (site / "pkg" / "tests" / "data").mkdir(parents=True)
    (site / "pkg" / "tests" / "data" / "penguins.arff.gz").write_bytes(gzip.compress(raw.to_csv(index=False).encode()))
    (site / "sklearn" / "datasets" / "data").mkdir(parents=True)
    (site / "sklearn" / "datasets" / "data" / "iris.csv").write_text("5.1,3.5,1.4,0.2,0\n")
    (site / "pkg" / "__init__.py").write_text("")
    return root


def test_a_tree_scan_is_kept_until_the_tree_changes(tmp_path: Path, penguins) -> None:
    pt, raw = penguins
    root = tmp_path / "reach"
    venv = _venv(tmp_path / "venv", raw)
    first = ensure_scan([pt], [venv], root=root)
    leak = venv / SITE / "pkg" / "tests" / "data" / "penguins.arff.gz"
    assert first.scanned == [str(venv.resolve())] and [Path(f.path) for f in first.findings] == [leak.resolve()]
    assert first.stats.decoded == 1  # the floor (sklearn/datasets/data) is hidden anyway: never read
    start = time.perf_counter()
    warm = ensure_scan([pt], [venv], root=root)
    assert warm.scanned == [] and warm.stats.decoded == 0 and time.perf_counter() - start < 1.0
    assert [f.path for f in warm.findings] == [f.path for f in first.findings]
    # a new file anywhere in the tree (its folder's mtime changes): only that file is read
    (venv / SITE / "pkg" / "extra.csv").write_text(raw.head(3).to_csv(index=False))
    again = ensure_scan([pt], [venv], root=root)
    assert again.scanned == [str(venv.resolve())] and again.stats.decoded == 1 and again.stats.cached == 1
    # an in-place edit of a candidate file (size/mtime) is seen too
    leak.write_bytes(b"nothing here\n")
    os.utime(leak, ns=(time.time_ns(), time.time_ns()))
    edited = ensure_scan([pt], [venv], root=root)
    assert edited.scanned and edited.findings == []
    assert read_state(root).trees[str(venv.resolve())].findings != {}  # the task was scanned, nothing found


def test_floor_and_findings_are_hidden_in_every_bound_tree(tmp_path: Path, penguins) -> None:
    pt, raw = penguins
    root = tmp_path / "reach"
    scanned = _venv(tmp_path / "solution", raw)
    other = _venv(tmp_path / "adapter", raw)
    ensure_scan([pt], [scanned], root=root)  # only one tree scanned
    hidden = set(hidden_paths([scanned, other], reach_root=root))
    for tree in (scanned, other):
        assert (tree / SITE / "sklearn" / "datasets" / "data").resolve() in hidden  # the floor, in each tree
        assert (tree / SITE / "pkg" / "tests" / "data" / "penguins.arff.gz").resolve() in hidden  # finding + mirror
    assert (other / SITE / "sklearn" / "datasets" / "data").resolve() not in floor_paths()  # only when bound
    assert mirrored([scanned / SITE / "pkg" / "code.py"], [other]) == []


def test_a_task_added_later_reads_only_files_whose_sketch_can_hold_it(tmp_path: Path, penguins) -> None:
    """Files scanned once keep a sketch of their vocabulary: a second task's scan reads a file again only
    if its sketch holds enough of that task's anchor tokens."""
    from sklearn.datasets import load_wine

    pt, raw = penguins
    wine = ensure_prepared(TaskRegistry.default().get("wine-cultivar"))
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "penguins.csv").write_text(raw.to_csv(index=False))
    (tmp_path / "tree" / "wine.csv").write_text(load_wine(as_frame=True).frame.to_csv(index=False))
    (tmp_path / "tree" / "notes.txt").write_text("nothing to see here\n" * 50)
    cache = tmp_path / "files.json"
    first, stats1 = scan_roots([task_fingerprint(pt)], [tmp_path / "tree"], cache_path=cache)
    assert [Path(f.path).name for f in first] == ["penguins.csv"] and stats1.decoded == 3
    second, stats2 = scan_roots([task_fingerprint(wine)], [tmp_path / "tree"], cache_path=cache)
    assert [Path(f.path).name for f in second] == ["wine.csv"]
    assert stats2.decoded == 1 and stats2.gated == 2  # penguins.csv and notes.txt are not read again
