"""Benchmark: what medal confidence adds to grading one submission.

Builds the synthetic binary (roc_auc) task of ``grading_speed.py`` with ``--rows`` test rows, a
150-entry leaderboard of noisy reference predictions and their per-resample bootstrap thresholds,
then times ``grade_submission`` (CPU seconds, robust to a busy machine) with the bootstrap file (medal confidence computed) and without it
(the reference, measured in the same run), and prints the ratio.

    .venv/bin/python benchmarks/medal_confidence_speed.py [--rows 30000] [--repeats 3] [--metric roc_auc]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from grading_speed import build_task

TEAMS = 150


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--resamples", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="medalist-bench-") as tmp:
        root = Path(tmp)
        os.environ["MEDALIST_DATA_DIR"] = str(root / "cache")
        from medalist.fsutil import atomic_write_json, sha256_file
        from medalist.grading import grade_submission
        from medalist.grading.confidence import BOOTSTRAP_FILE, BootstrapThresholds, resampled_thresholds
        from medalist.tasks import ensure_prepared, load_task_spec

        task_dir, submission = build_task(root, args.rows)
        answers = pd.read_csv(root / "source" / "answers.csv")
        y = answers["target"].to_numpy()
        rng = np.random.default_rng(1)
        from sklearn.metrics import roc_auc_score

        members = [np.clip(0.3 * y + rng.random(len(y)) * (0.5 + i / TEAMS), 0, 1) for i in range(TEAMS)]
        scores = [roc_auc_score(y, p) for p in members]
        (task_dir / "leaderboard.csv").write_text("team,score\n" + "".join(f"t{i},{v}\n" for i, v in enumerate(scores)))
        (task_dir / "task.yaml").write_text(
            (task_dir / "task.yaml").read_text().replace("leaderboard: null", "leaderboard: leaderboard.csv")
        )
        spec = load_task_spec(task_dir)
        pt = ensure_prepared(spec)
        t0 = time.process_time()
        th = resampled_thresholds("roc_auc", y, members, TEAMS, args.resamples, seed=1)
        build_secs = time.process_time() - t0
        boot = BootstrapThresholds(
            task_id=spec.id,
            metric="roc_auc",
            is_lower_better=False,
            seed=1,
            resamples=args.resamples,
            test_rows=len(y),
            answers_sha256=sha256_file(pt.answers_path),
            leaderboard_sha256=sha256_file(task_dir / "leaderboard.csv"),
            gold=th[0].tolist(),
            silver=th[1].tolist(),
            bronze=th[2].tolist(),
        )
        boot_path = task_dir / BOOTSTRAP_FILE
        with_conf, without = [], []
        conf = None
        for _ in range(args.repeats):
            atomic_write_json(boot_path, boot)
            t = time.process_time()
            conf = grade_submission(submission, spec, pt).medal_confidence
            with_conf.append(time.process_time() - t)
            boot_path.unlink()
            t = time.process_time()
            assert grade_submission(submission, spec, pt).medal_confidence is None
            without.append(time.process_time() - t)
    assert conf is not None
    best, ref = min(with_conf), min(without)
    print(
        f"{args.rows:,} rows, {args.resamples} resamples, {TEAMS} reference members "
        f"(thresholds built in {build_secs:.2f} CPU s, load average {os.getloadavg()[0]:.1f})"
    )
    print(f"grade_submission with medal confidence: {best:.3f} CPU s (confidence {conf})")
    print(f"grade_submission without (reference):   {ref:.3f} CPU s")
    print(f"ratio with/without: {best / ref:.2f}x  (+{(best - ref) * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
