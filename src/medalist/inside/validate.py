"""``validate_submission`` inside the sandbox: a format-only check that never reveals a score.

Usage: ``validate_submission [PATH]`` (default ``/home/submission/submission.csv``). Exit 0 when the
file has the right columns, ids and value types for the task, 1 otherwise (the reason is printed).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from medalist.errors import InvalidSubmissionError
from medalist.grading.validate import check_submission_format, read_csv_file
from medalist.inside import contract
from medalist.tasks.spec import TaskSpec


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    submission = Path(contract.resolve(args[0] if args else contract.SUBMISSION_PATH))
    info = json.loads(
        Path(contract.resolve(os.environ.get(contract.ENV_TASK_INFO, contract.TASK_INFO_PATH))).read_text()
    )
    spec = TaskSpec.model_validate(info["spec"])
    sample = Path(contract.resolve(contract.DATA_DIR)) / spec.sample_submission if spec.sample_submission else None
    try:
        if spec.grader is None and sample is not None:
            check_submission_format(submission, sample, spec)
        elif sample is not None and sample.suffix == ".csv" and info.get("id_column"):
            check_like_sample(submission, sample, str(info["id_column"]))
        elif not submission.is_file():
            raise InvalidSubmissionError(f"{submission} does not exist")
    except InvalidSubmissionError as exc:
        print(f"invalid submission: {exc}")
        return 1
    columns = [info.get("id_column"), *(info.get("target_columns") or [])]
    print(f"valid submission format: {submission} (columns: {', '.join(str(c) for c in columns if c)})")
    return 0


def check_like_sample(submission: Path, sample: Path, id_column: str) -> None:
    """Format check for a task with its own grader (MLE-bench): the sample submission's columns and ids.

    The task's grader decides validity; this only catches what every such grader refuses.
    """
    sub = read_csv_file(submission, id_column)
    template = read_csv_file(sample, id_column, what="sample submission")
    missing = [c for c in template.columns if c not in sub.columns]
    extra = [c for c in sub.columns if c not in template.columns]
    if missing or extra:
        raise InvalidSubmissionError(
            "columns differ from the sample submission's"
            + (f"; missing: {', '.join(map(str, missing))}" if missing else "")
            + (f"; unexpected: {', '.join(map(str, extra))}" if extra else "")
        )
    ids, expected = sub[id_column], template[id_column]
    if ids.duplicated().any():
        raise InvalidSubmissionError(f"{int(ids.duplicated().sum())} duplicate id(s) in column {id_column!r}")
    unknown, absent = set(ids) - set(expected), set(expected) - set(ids)
    if unknown or absent:
        raise InvalidSubmissionError(
            f"ids differ from the sample submission's: {len(absent)} missing, {len(unknown)} unexpected "
            f"(expected the {len(expected)} ids of the test set in column {id_column!r})"
        )


if __name__ == "__main__":
    sys.exit(main())
