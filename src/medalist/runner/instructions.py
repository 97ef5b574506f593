"""The ``/home/instructions.txt`` an agent reads: task description, rules, and the agent contract."""

from __future__ import annotations

from medalist.inside import contract
from medalist.runner.models import RunLimits
from medalist.tasks.spec import TaskSpec

RULES = """\
Rules
- Work only with the files in {data}; do not try to obtain the test labels any other way.
- There is no network access. Do not try to reach the internet or the host.
- Write your predictions to {submission} in {sample_format}.
- Keep your code in {code} and any logs in {logs}; they are saved with the run.
- Check your submission's format with `validate_submission [{submission}]`. It checks format only
  and never reports a score.
- You have {time:.0f} seconds of wall-clock time ({mem}, {cpus}); the run is stopped at the limit,
  and whatever is in {submission} at that moment is graded.
"""

CONTRACT = """\
Environment
- {data}: the competition's public files (read-only).
- {submission}: your output (the folder is writable; only submission.csv is graded).
- {code}, {logs}: writable folders kept after the run.
- {task_info}: task facts as JSON (id, task_type, metric, id_column, target_columns, sample_submission).
- Environment variables: {cid}={task_id}, {tl}={time:.0f}, {sl}={steps}, {seed_var}=<run seed>.
"""


def render_instructions(spec: TaskSpec, limits: RunLimits) -> str:
    """Task description + rules + contract, as one text file."""
    fmt = dict(
        data=contract.DATA_DIR,
        submission=contract.SUBMISSION_PATH,
        code=contract.CODE_DIR,
        logs=contract.LOGS_DIR,
        sample_format=f"the format of {contract.DATA_DIR}/{spec.sample_submission}"
        if spec.sample_submission
        else "the format the task description gives",
        time=limits.time_limit_secs,
        mem=f"{limits.memory_gb:g} GB memory" if limits.memory_gb else "no memory limit",
        cpus=(f"{limits.cpus:g} CPUs" if limits.cpus else "no CPU limit")
        + (f", {limits.gpus} NVIDIA GPU(s) of your own, in CUDA_VISIBLE_DEVICES" if limits.gpus else ""),
        task_info=contract.TASK_INFO_PATH,
        cid=contract.ENV_COMPETITION_ID,
        task_id=spec.id,
        tl=contract.ENV_TIME_LIMIT,
        sl=contract.ENV_STEP_LIMIT,
        steps=limits.step_limit,
        seed_var=contract.ENV_SEED,
    )
    header = (
        f"You are solving the machine-learning competition '{spec.name}' (id: {spec.id}).\n"
        f"Metric: {spec.metric} ({'lower' if spec.is_lower_better else 'higher'} is better). "
        + (
            f"Predict column(s) {', '.join(spec.target_columns)} for every row of the test set, keyed by "
            f"'{spec.id_column}'.\n\n"
            if spec.target_columns
            else "The submission format is in the task description.\n\n"
        )
    )
    description = spec.description_path.read_text(encoding="utf-8").strip()
    return header + RULES.format(**fmt) + "\n" + CONTRACT.format(**fmt) + "\nTask description\n\n" + description + "\n"
