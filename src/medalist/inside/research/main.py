"""Entry point of the research agent inside the sandbox: ``python -m medalist.inside.research.main``.

Works in ``/home/code`` (the data linked in as ``data/``), writes ``/home/logs/trace.json`` and
``/home/logs/snapshots/step_N``; the scripts it runs (with ``MEDALIST_SOLUTION_PYTHON``) write
``/home/submission/submission.csv``. A trace already in ``/home/logs`` (an interrupted attempt) is
continued. Exits 1 when the model could not be reached.
"""

from __future__ import annotations

import sys

from medalist.inside.entry import STARTED, start_agent
from medalist.inside.facts import data_preview, environment
from medalist.inside.research.loop import ResearchContext, ResearchLoop, ResearchPaths, ResearchSettings
from medalist.inside.research.options import ResearchOptions
from medalist.inside.research.trace import Trace
from medalist.inside.toolkit import contract_path, validate_submission


def main(argv: list[str] | None = None) -> int:
    started = start_agent("research", argv, default_steps=30)
    if started is None:
        return 2
    args, run = started
    assert run.client is not None
    options = ResearchOptions.model_validate_json(args.options_json)
    settings = ResearchSettings(**run.limits(args), options=options)
    paths = ResearchPaths(
        work=contract_path("code"),
        data=contract_path("data"),
        logs=contract_path("logs"),
        submission=contract_path("submission"),
    )
    targets = run.info.get("target_columns") or []
    context = ResearchContext(
        preview=data_preview(paths.data, targets, options.preview_chars) if options.data_preview else "",
        environment=environment(run.python),
    )
    loop = ResearchLoop(
        run.client,
        run.instructions,
        paths,
        settings,
        task_id=run.task_id,
        context=context,
        python=run.python,
        validate=validate_submission,
        trace=run.load_previous(paths.logs / "trace.json", Trace),
        started=STARTED,
    )
    if run.note:
        loop.trace.settings["solution_env_note"] = run.note
    trace = loop.run()
    return run.finish(trace.stop_reason, f"{len(trace.steps)} steps", (t.error for t in trace.steps))


if __name__ == "__main__":
    sys.exit(main())
