"""Entry point of the aide agent inside the sandbox: ``python -m medalist.inside.aide.main``.

Reads the agent contract (``/home/instructions.txt``, ``/home/data``, ``/opt/medalist/task.json``,
``STEP_LIMIT``, ``TIME_LIMIT_SECS``, ``MEDALIST_SEED``) and its options (``--options-json``), talks to
models through the gateway at ``OPENAI_BASE_URL``, runs solution scripts with
``MEDALIST_SOLUTION_PYTHON``, and writes ``/home/logs/journal.json``, ``/home/code/solution.py`` and
``/home/submission/submission.csv``. A journal already in ``/home/logs`` (an interrupted attempt) is
continued. Exits 1 when the model could not be reached (the run is then ``failed``, not ``completed``).
"""

from __future__ import annotations

import sys

from medalist.inside.aide.journal import Journal
from medalist.inside.aide.options import AideOptions
from medalist.inside.aide.search import AidePaths, AideSearch, AideSettings, TaskContext
from medalist.inside.entry import STARTED, AgentRun, start_agent
from medalist.inside.facts import data_preview, environment
from medalist.inside.toolkit import contract_path, validate_submission


def task_context(run: AgentRun, options: AideOptions) -> TaskContext:
    info = run.info
    return TaskContext(
        description=run.instructions,
        preview=data_preview(contract_path("data"), info.get("target_columns") or [], options.preview_chars)
        if options.data_preview
        else "",
        environment=environment(run.python),
        metric_name=str(info.get("metric") or "the metric"),
        lower_is_better=info.get("is_lower_better") if isinstance(info.get("is_lower_better"), bool) else None,
        id_column=str(info.get("id_column") or "id"),
        targets=[str(t) for t in info.get("target_columns") or ["target"]],
        task_id=run.task_id,
        sample_submission=f"{contract_path('data')}/{info.get('sample_submission') or 'sample_submission.csv'}",
    )


def main(argv: list[str] | None = None) -> int:
    started = start_agent("aide", argv, default_steps=20)
    if started is None:
        return 2
    args, run = started
    assert run.client is not None
    options = AideOptions.model_validate_json(args.options_json)
    settings = AideSettings(**run.limits(args), seed=args.seed, options=options)
    paths = AidePaths(
        data=contract_path("data"),
        logs=contract_path("logs"),
        code=contract_path("code"),
        submission=contract_path("submission"),
    )
    search = AideSearch(
        run.client,
        task_context(run, options),
        paths,
        settings,
        validate=validate_submission,
        python=run.python,
        journal=run.load_previous(paths.logs / "journal.json", Journal),
        started=STARTED,
    )
    if run.note:
        search.journal.settings["solution_env_note"] = run.note
    journal = search.run()
    best = journal.best()
    return run.finish(
        journal.stop_reason,
        f"{len(journal.nodes)} nodes, best: " + ("none" if best is None else f"node {best.id} metric {best.metric}"),
        (n.error for n in journal.nodes),
    )


if __name__ == "__main__":
    sys.exit(main())
