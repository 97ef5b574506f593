"""A run that called a model with no known price shows its cost as "unknown", never as $0."""

from __future__ import annotations

from pathlib import Path

from medalist.llm.usage import UsageMeter
from medalist.report.load import run_view
from medalist.report.table import fmt_cost
from medalist.runner.models import RunRecord, Usage


def test_unpriced_model_calls_make_the_cost_unknown() -> None:
    meter = UsageMeter()
    meter.record_call("openai/local-model", 100, 20, None)
    usage = Usage.model_validate(meter.summary().as_run_usage())
    rec = RunRecord(run_id="t_s0", group_id="g", task_id="t", seed=0, agent_id="aide", usage=usage)
    view = run_view(Path("/nowhere/g"), "aide", Path("/nowhere/g/t_s0"), rec)
    assert view.cost_usd is None and view.cost_unknown
    assert fmt_cost(view.cost_usd, view.cost_unknown) == "unknown"
    assert fmt_cost(0.5, True) == "$0.5000 + unknown" and fmt_cost(None) == "-" and fmt_cost(0.0) == "$0.0000"
