"""Inside the sandbox: run the published ``plexe`` on the task's training data, then predict ``test.csv``.

plexe (its own venv, see ``scripts/setup_local_llm.sh``) reads every agent role's model and the gateway
address from ``CONFIG_FILE``; it builds a model package under ``/home/logs/plexe``. Its local Spark
session would fetch S3 jars from Maven: ``SPARK_JARS`` points it at a jar pyspark ships instead (no
network). ``test.csv`` is not given to plexe (it has no target; plexe would score on it): plexe splits
the training data itself. ``plexe_predict`` (run with plexe's python) then loads the package's
predictor and writes ``/home/submission/submission.csv`` with the task's id and target columns.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from medalist.inside.toolkit import contract_path

NO_SUBMISSION = 3


# plexe's CLI lives under ``if __name__ == "__main__"`` of plexe.main (its console script calls main() without
# the intent), and plexe.main sets KERAS_BACKEND=tensorflow before importing keras: tensorflow is not
# installed (only plexe's keras models would train with it), so keras is imported first on jax.
LAUNCH = (
    "import os; os.environ['KERAS_BACKEND'] = 'jax'; import keras, runpy; "
    "runpy.run_module('plexe.main', run_name='__main__', alter_sys=True)"
)


def plexe_command(python: str, data: Path, intent: str, work: Path, iterations: int, seed: int) -> list[str]:
    return [
        python,
        "-c",
        LAUNCH,
        "--train-dataset-uri",
        str(data / "train.csv"),
        "--intent",
        intent,
        "--max-iterations",
        str(iterations),
        "--work-dir",
        str(work),
        "--seed",
        str(seed),
    ]


def spark_jar(venv: Path) -> str | None:
    """A jar pyspark ships, for SPARK_JARS: plexe then skips resolving its S3 jars from Maven."""
    for jar in sorted(venv.glob("lib/python3*/site-packages/pyspark/jars/spark-core_*.jar")):
        return str(jar)
    return None


def plexe_env(venv: Path, env: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    out = dict(env)
    jar = spark_jar(venv)
    if jar:
        out.setdefault("SPARK_JARS", jar)
    out.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    out.setdefault("PYSPARK_PYTHON", str(venv / "bin" / "python"))
    out["KERAS_BACKEND"] = "jax"
    out.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of litellm's price list (offline)
    return out


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    p = argparse.ArgumentParser(description="run plexe inside the sandbox")
    p.add_argument("--plexe", required=True)
    p.add_argument("--iterations", type=int, default=int(env.get("STEP_LIMIT") or 10))
    args = p.parse_args(argv)
    venv = Path(args.plexe).parent.parent
    instructions = contract_path("instructions")
    intent = instructions.read_text(encoding="utf-8") if instructions.is_file() else "Predict the target column."
    data, work = contract_path("data"), contract_path("logs") / "plexe"
    cmd = plexe_command(
        str(venv / "bin" / "python"), data, intent, work, args.iterations, int(env.get("MEDALIST_SEED") or 0)
    )
    limit = float(env.get("TIME_LIMIT_SECS") or 3600)
    start = time.monotonic()
    try:  # keep a minute for predicting test.csv
        done = subprocess.run(cmd, timeout=max(10.0, limit - 60), stdin=subprocess.DEVNULL, env=plexe_env(venv, env))
    except subprocess.TimeoutExpired:
        print("medalist: plexe stopped at the time limit", file=sys.stderr)
        return 1
    if done.returncode != 0:
        print(f"medalist: plexe exited with {done.returncode}", file=sys.stderr)
        return done.returncode
    task_info = Path(env.get("MEDALIST_TASK_INFO") or contract_path("harness") / "task.json")
    predict = [
        str(venv / "bin" / "python"),
        str(Path(__file__).with_name("plexe_predict.py")),
        f"--work={work}",
        f"--test={data / 'test.csv'}",
        f"--out={contract_path('submission') / 'submission.csv'}",
        f"--task-info={task_info}",
        f"--sample={data / 'sample_submission.csv'}",
    ]
    try:
        done = subprocess.run(
            predict, timeout=max(10.0, limit - (time.monotonic() - start) - 5), stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        print("medalist: predicting test.csv with plexe's model stopped at the time limit", file=sys.stderr)
        return NO_SUBMISSION
    return 0 if done.returncode == 0 else NO_SUBMISSION


if __name__ == "__main__":
    sys.exit(main())
