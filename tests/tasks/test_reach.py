"""Answer reachability: copies of a task's raw data are found by content in any format, and only they."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
import zipfile
from pathlib import Path

from medalist.tasks import TaskRegistry, ensure_prepared
from medalist.tasks.fingerprint import task_fingerprint
from medalist.tasks.hidden import hidden_paths, read_mask_list, record_masks
from medalist.tasks.reach import scan_roots


def test_raw_data_copies_are_found_in_every_format_and_unrelated_files_are_not(tmp_path: Path) -> None:
    from palmerpenguins import load_penguins

    pt = ensure_prepared(TaskRegistry.default().get("penguins-species"))
    raw = load_penguins()
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
    unrelated = raw.assign(bill_length_mm=raw["bill_length_mm"] * 1.37, body_mass_g=raw["body_mass_g"] + 11,
                           bill_depth_mm=raw["bill_depth_mm"] * 0.71, flipper_length_mm=raw["flipper_length_mm"] + 3)
    (venv / "pkg" / "data" / "other.csv").write_bytes(unrelated.to_csv(index=False).encode())
    (venv / "pkg" / "code.py").write_text("x = 1\n")
    fp = task_fingerprint(pt)
    cache = tmp_path / "cache.json"
    findings, stats = scan_roots([fp], [venv], public_roots=[pt.public], cache_path=cache)
    found = {Path(f.path).name for f in findings}
    assert found == {"penguins.csv.gz", "frame.pkl.compress", "p.txt.bz2", "bundle.zip"}, findings
    assert all(f.rows_with_features >= 0.95 * fp.rows for f in findings)
    assert stats.decoded == 5 + 3  # five candidates here, three public files; code.py is not a table
    again, stats2 = scan_roots([fp], [venv], public_roots=[pt.public], cache_path=cache)
    assert {f.path for f in again} == {f.path for f in findings} and stats2.decoded == 0 and stats2.cached == 8
    record_masks({"penguins-species": [f.path for f in findings]}, tmp_path)
    assert set(read_mask_list(tmp_path).tasks["penguins-species"]) == {f.path for f in findings}
    assert {Path(f.path) for f in findings} <= set(hidden_paths(tmp_path))
