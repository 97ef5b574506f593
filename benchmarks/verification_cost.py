"""Benchmark: the per-run verification of a prepared task with a 10 GB public folder, against full hashing.

Every run and every grading calls ``ensure_prepared``, which checks a cached fingerprint (one ``stat`` per
file) and hashes only the answers; ``medalist verify`` hashes everything. This builds a prepared task in a
temp dir shaped like a large MLE-bench competition: a public folder of 10 GB in 10,010 files (ten 500 MB
CSVs and 10,000 "images" of 500 kB; GB = 10^9 bytes), **sparse files** made with ``truncate`` (the fingerprint reads sizes
and mtimes only, so sparse files cost it exactly what real ones would), and a real 20 MB answers file.
Its manifest holds the true SHA-256 of each file (identical sparse files share one digest, computed once).

The reference, measured in the same run: full SHA-256 hashing (``medalist verify``'s work) of a real,
non-sparse folder of the same shape at 1/40 of the size (256 MB), **extrapolated** linearly to 10 GB.

    .venv/bin/python benchmarks/verification_cost.py [--repeats 5] [--budget 1.0]

Exits 1 when the per-run check takes longer than ``--budget`` seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

GB, MB = 10**9, 10**6
BIG_FILES, BIG_SIZE = 10, 500 * MB
SMALL_FILES, SMALL_SIZE = 10_000, 500 * 1000
ANSWERS_SIZE = 20 * MB
SCALE = 40  # the hashed reference folder is 1/40 of the public folder


def zeros_sha256(size: int) -> str:
    """SHA-256 of ``size`` zero bytes (the content of a sparse file of that size)."""
    h, block = hashlib.sha256(), bytes(1 << 20)
    for _ in range(size // len(block)):
        h.update(block)
    h.update(bytes(size % len(block)))
    return h.hexdigest()


def task_folder(root: Path) -> Path:
    folder = root / "task"
    folder.mkdir()
    (folder / "description.md").write_text("Large synthetic task.\n")
    (folder / "prepare.py").write_text(
        "def prepare(raw, public, private):\n    raise RuntimeError('prepared by the benchmark')\n"
    )
    (folder / "task.yaml").write_text(
        textwrap.dedent("""\
        id: bench-10gb
        name: 10 GB public folder
        task_type: regression
        metric: rmse
        target_columns: [y]
        leaderboard: null
        sample_submission: null
        """)
    )
    return folder


def build_prepared(cache: Path, spec) -> object:
    """The state ``medalist prepare`` leaves: prepared/{public,private}, manifest.json, fingerprint.json."""
    from medalist.fsutil import atomic_write_json, sha256_file
    from medalist.tasks import PrepareManifest, task_cache
    from medalist.tasks.verify import record_fingerprint

    pt = task_cache(spec, cache)
    (pt.public / "images").mkdir(parents=True)
    pt.private.mkdir(parents=True)
    public: dict[str, str] = {}
    for i in range(BIG_FILES):
        name = f"train_{i:02d}.csv"
        with open(pt.public / name, "wb") as fh:
            fh.truncate(BIG_SIZE)
        public[name] = ""
    for i in range(SMALL_FILES):
        with open(pt.public / "images" / f"{i:05d}.jpg", "wb") as fh:
            fh.truncate(SMALL_SIZE)
        public[f"images/{i:05d}.jpg"] = ""
    big, small = zeros_sha256(BIG_SIZE), zeros_sha256(SMALL_SIZE)
    public = {k: (big if k.endswith(".csv") else small) for k in public}
    (pt.answers_path).write_bytes(os.urandom(ANSWERS_SIZE))
    manifest = PrepareManifest(
        task_id=spec.id,
        data_version="1",
        medalist_version="bench",
        prepared_at="now",
        seconds=0,
        public=public,
        private={spec.answers: sha256_file(pt.answers_path)},
    )
    atomic_write_json(pt.manifest_path, manifest)
    record_fingerprint(pt)
    return pt


def build_reference(root: Path) -> Path:
    """A real (non-sparse) folder of the same shape at 1/SCALE of the size."""
    folder = root / "reference"
    (folder / "images").mkdir(parents=True)
    for i in range(BIG_FILES):
        (folder / f"train_{i:02d}.csv").write_bytes(os.urandom(BIG_SIZE // SCALE))
    for i in range(SMALL_FILES // SCALE):
        (folder / "images" / f"{i:05d}.jpg").write_bytes(os.urandom(SMALL_SIZE))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds allowed for the per-run check")
    args = parser.parse_args()
    from medalist.fsutil import tree_checksums
    from medalist.tasks import ensure_prepared, load_task_spec

    with tempfile.TemporaryDirectory(prefix="medalist-verify-bench-") as tmp:
        root = Path(tmp)
        spec = load_task_spec(task_folder(root))
        t0 = time.perf_counter()
        pt = build_prepared(root / "cache", spec)
        public_bytes = sum(p.stat().st_size for p in pt.public.rglob("*") if p.is_file())
        print(
            f"built a prepared task: {public_bytes / GB:.1f} GB public in {BIG_FILES + SMALL_FILES:,} sparse files "
            f"+ {ANSWERS_SIZE // MB} MB answers ({time.perf_counter() - t0:.1f}s)"
        )
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            ensure_prepared(spec, cache_root=root / "cache")
            runs.append(time.perf_counter() - t0)
        per_run = min(runs)

        ref = build_reference(root)
        ref_bytes = sum(p.stat().st_size for p in ref.rglob("*") if p.is_file())
        t0 = time.perf_counter()
        tree_checksums(ref)
        hashed = time.perf_counter() - t0
        full_10gb = hashed * (public_bytes + ANSWERS_SIZE) / ref_bytes

    print(
        f"per-run check (ensure_prepared: fingerprint of {BIG_FILES + SMALL_FILES:,} files + answers hashed): "
        f"best {per_run:.3f}s, median {sorted(runs)[len(runs) // 2]:.3f}s of {args.repeats} "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"full SHA-256 hashing: measured {hashed:.2f}s for {ref_bytes / MB:.0f} MB of real data "
        f"({ref_bytes / hashed / MB:.0f} MB/s); EXTRAPOLATED to {public_bytes / GB:.1f} GB: {full_10gb:.1f}s"
    )
    print(f"ratio: the per-run check is {full_10gb / per_run:,.0f}x cheaper than hashing the 10 GB folder")
    if per_run > args.budget:
        print(f"FAIL: per-run check {per_run:.3f}s exceeds the {args.budget:.1f}s budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
