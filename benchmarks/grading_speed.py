"""Benchmark: read + validate + score a 1,000,000-row binary (roc_auc) submission end to end.

Builds a synthetic task in a temp dir (task.yaml, description, prepare.py, answers and submission CSVs),
times ``medalist.grading.grade_submission`` on it (the task is prepared before timing, the answers are
read from disk inside the timed call, and the submission is scored in medalist's forked grading child
with its memory and time limits, as in real grading), and compares with references measured in the same
run on the same files:

- plain ``pandas.read_csv`` of both files + ``sklearn.metrics.roc_auc_score`` (no id alignment or validation);
- MLE-bench's own grader (``mlebench.grade.grade_csv`` with the roc_auc grader of its id/target competition
  ``tabular-playground-series-may-2022``), imported from the upstream checkout (``MEDALIST_UPSTREAM_DIR``,
  default ``../shared/upstream/mle-bench``) and run by the separate venv that
  ``scripts/setup_test_tools.d/upstream_venv.sh`` builds (``.venv-upstream``); the call is timed inside
  that process, so interpreter start-up and imports are excluded, as they are for medalist.

Times are wall clock (best of ``--repeats``) and CPU (the process plus its grading children). medalist
parses a task's answers once for consecutive submissions of that task (as when it grades a run group), so
its first call, which parses them, is reported on its own as well ("cold").

    .venv/bin/python benchmarks/grading_speed.py [--rows 1000000] [--repeats 3] [--budget 2.0] [--min-ratio 3]

Exits 1 when the best medalist time exceeds ``--budget`` seconds or medalist is less than
``--min-ratio`` times faster than MLE-bench's grader (CPU time, which a loaded machine distorts least).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd


def build_task(root: Path, rows: int, seed: int = 0) -> tuple[Path, Path]:
    """Write a task folder and a submission; return (task_dir, submission_path)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"row{i:07d}" for i in range(rows)], dtype=object)
    target = rng.integers(0, 2, rows)
    prob = np.clip(0.3 * target + rng.random(rows) * 0.7, 0, 1)

    task_dir = root / "task"
    data_dir = root / "source"
    task_dir.mkdir()
    data_dir.mkdir()
    answers = pd.DataFrame({"id": ids, "target": target})
    answers.to_csv(data_dir / "answers.csv", index=False)
    answers.assign(target=0.5).to_csv(data_dir / "sample_submission.csv", index=False)
    # The submission comes in a different row order, as an agent's might.
    order = rng.permutation(rows)
    pd.DataFrame({"id": ids[order], "target": prob[order]}).to_csv(
        root / "submission.csv", index=False, float_format="%.6f"
    )
    # ... and in the answers' own order (the common case: predictions written in test.csv order).
    pd.DataFrame({"id": ids, "target": prob}).to_csv(root / "submission_in_order.csv", index=False, float_format="%.6f")
    (task_dir / "description.md").write_text("Synthetic benchmark task.\n")
    (task_dir / "task.yaml").write_text(
        textwrap.dedent(
            """\
            id: bench-1m
            name: synthetic 1M-row binary task
            task_type: binary-classification
            metric: roc_auc
            target_columns: [target]
            leaderboard: null
            """
        )
    )
    (task_dir / "prepare.py").write_text(
        textwrap.dedent(
            f"""\
            import shutil
            from pathlib import Path

            SRC = Path({str(data_dir)!r})

            def prepare(raw, public, private):
                shutil.copyfile(SRC / "sample_submission.csv", public / "sample_submission.csv")
                shutil.copyfile(SRC / "answers.csv", private / "answers.csv")
            """
        )
    )
    return task_dir, root / "submission.csv"


def reference(answers: Path, submission: Path) -> float:
    """Plain pandas + sklearn, no validation and no id alignment (rows matched by a merge)."""
    from sklearn.metrics import roc_auc_score

    a = pd.read_csv(answers)
    s = pd.read_csv(submission)
    m = a.merge(s, on="id", suffixes=("", "_pred"))
    return float(roc_auc_score(m["target"], m["target_pred"]))


REPO = Path(__file__).resolve().parents[1]
UPSTREAM_TIMER = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from mlebench.grade import grade_csv
from mlebench.grade_helpers import Grader
from mlebench.registry import Competition

root, repeats = Path(sys.argv[2]), int(sys.argv[3])
answers, leaderboard = root / "source" / "answers.csv", root / "task" / "leaderboard.csv"
comp = Competition(
    id="tabular-playground-series-may-2022", name="1M-row benchmark", description="benchmark",
    grader=Grader("auc-roc", "mlebench.competitions.tabular-playground-series-may-2022.grade:grade"),
    answers=answers, gold_submission=answers, sample_submission=root / "source" / "sample_submission.csv",
    competition_type="simple", prepare_fn=lambda *a: None, raw_dir=root, private_dir=root / "source",
    public_dir=root / "source", checksums=root / "checksums.yaml", leaderboard=leaderboard)
wall, cpu, score = [], [], None
for _ in range(repeats):
    t, c = time.perf_counter(), time.process_time()
    report = grade_csv(root / "submission.csv", comp)
    wall.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
    score = report.score
print(json.dumps({"wall": wall, "cpu": cpu, "score": score}))
"""


def upstream_times(root: Path, repeats: int) -> dict | None:
    """Time MLE-bench's grade_csv on the benchmark files in the upstream venv (None: not set up here)."""
    python = Path(os.environ.get("MEDALIST_UPSTREAM_VENV", REPO / ".venv-upstream")) / "bin" / "python"
    checkout = Path(os.environ.get("MEDALIST_UPSTREAM_DIR", REPO.parent / "shared" / "upstream" / "mle-bench"))
    if not checkout.is_dir():  # a worktree's sibling is not the shared folder: try the workspace's
        checkout = Path("/work/shared/upstream/mle-bench")
    if not python.is_file() or not (checkout / "mlebench").is_dir():
        print(
            f"MLE-bench reference skipped: needs {python} (bash scripts/setup_test_tools.d/upstream_venv.sh) "
            f"and the upstream checkout {checkout}",
            file=sys.stderr,
        )
        return None
    done = subprocess.run(
        [str(python), "-c", UPSTREAM_TIMER, str(checkout), str(root), str(repeats)],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )  # its diskcache writes to cwd
    if done.returncode != 0:
        print(f"MLE-bench reference failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_now() -> float:
    """CPU seconds of this process and its reaped children (medalist grades in a forked child)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=2.0, help="fail when the best time exceeds this (seconds)")
    ap.add_argument(
        "--min-ratio", type=float, default=3.0, help="fail when less than this many times faster than MLE-bench"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="medalist-bench-") as tmp:
        root = Path(tmp)
        os.environ["MEDALIST_DATA_DIR"] = str(root / "cache")
        from medalist.grading import grade_submission
        from medalist.tasks import ensure_prepared, load_task_spec

        t0 = time.perf_counter()
        task_dir, submission = build_task(root, args.rows)
        (task_dir / "leaderboard.csv").write_text(
            "teamName,score\n" + "".join(f"t{i},{0.9 - i / 100:.2f}\n" for i in range(20))
        )
        (task_dir / "task.yaml").write_text(
            (task_dir / "task.yaml").read_text().replace("leaderboard: null", "leaderboard: leaderboard.csv")
        )
        spec = load_task_spec(task_dir)
        pt = ensure_prepared(spec)
        print(
            f"built {args.rows:,}-row task in {time.perf_counter() - t0:.1f}s "
            f"(answers {pt.answers_path.stat().st_size / 1e6:.1f} MB, "
            f"submission {submission.stat().st_size / 1e6:.1f} MB)"
        )

        ours, in_order, ref, cpu = [], [], [], []
        from medalist.grading.grade import _ANSWERS

        _ANSWERS.clear()
        score = ref_score = float("nan")
        for _ in range(args.repeats):
            for path, times in ((submission, ours), (submission.with_name("submission_in_order.csv"), in_order)):
                t, c = time.perf_counter(), cpu_now()
                rep = grade_submission(path, spec, pt)
                times.append(time.perf_counter() - t)
                if times is ours:
                    cpu.append(cpu_now() - c)
                if not rep.valid_submission:
                    print(f"error: benchmark submission was rejected: {rep.error}", file=sys.stderr)
                    return 2
                assert score != score or abs(rep.score - score) < 1e-12
                score = rep.score
            t = time.perf_counter()
            ref_score = reference(pt.answers_path, submission)
            ref.append(time.perf_counter() - t)
        upstream = upstream_times(root, args.repeats)

    best, best_ref = min(ours), min(ref)
    cold, cold_cpu = ours[0], cpu[0]
    assert score is not None and abs(score - ref_score) < 1e-9, (score, ref_score)
    print(
        f"medalist grade_submission, rows shuffled: {best:.3f} s best of {args.repeats} "
        f"({args.rows / best:,.0f} rows/s; all: {', '.join(f'{x:.3f}' for x in ours)}; "
        f"CPU {min(cpu):.3f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"medalist grade_submission, first call (answers parsed too): {cold:.3f} s, CPU {cold_cpu:.3f} s")
    print(
        f"medalist grade_submission, rows in answer order: {min(in_order):.3f} s "
        f"({args.rows / min(in_order):,.0f} rows/s)"
    )
    print(f"reference read_csv+merge+roc_auc_score: {best_ref:.3f} s ({args.rows / best_ref:,.0f} rows/s)")
    print(f"ratio medalist/reference: {best / best_ref:.2f}x   score {score:.6f} (reference {ref_score:.6f})")
    failed = False
    if upstream is not None:
        up_wall, up_cpu = min(upstream["wall"]), min(upstream["cpu"])
        assert abs(upstream["score"] - round(score, 5)) < 1e-9, (upstream["score"], score)
        print(
            f"MLE-bench grade_csv (same files, upstream venv): {up_wall:.3f} s wall, {up_cpu:.3f} s CPU "
            f"(all: {', '.join(f'{x:.3f}' for x in upstream['wall'])})"
        )
        print(
            f"speed-up over MLE-bench: {up_wall / best:.2f}x wall, {up_cpu / min(cpu):.2f}x CPU "
            f"(first call: {up_wall / cold:.2f}x wall, {up_cpu / cold_cpu:.2f}x CPU)"
        )
        if up_cpu / min(cpu) < args.min_ratio:
            print(f"too slow: {up_cpu / min(cpu):.2f}x < {args.min_ratio}x faster than MLE-bench", file=sys.stderr)
            failed = True
    if best > args.budget:
        print(f"over budget: {best:.3f} s > {args.budget} s", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
