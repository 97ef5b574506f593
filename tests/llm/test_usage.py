"""Usage meter: tokens, cost, steps, budgets and the usage file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medalist.llm import Budget, BudgetExceeded, UsageMeter
from medalist.llm.usage import load_usage


def test_calls_are_summed_per_model_and_written(tmp_path: Path) -> None:
    meter = UsageMeter(Budget(), path=tmp_path / "u.json")
    meter.record_call("openai/a", 10, 5, 0.01)
    meter.record_call("openai/b", 3, 2, None, note="no price known for openai/b")
    s = load_usage(tmp_path / "u.json")
    assert s is not None
    assert (s.calls, s.input_tokens, s.output_tokens, s.steps) == (2, 13, 7, 2)
    assert s.cost_usd == pytest.approx(0.01)
    assert s.per_model["openai/b"].cost_usd == 0 and "no price known" in s.notes[0]
    # the total is unknown when a call had no price: run.json says so instead of a made-up $0
    assert s.unpriced_calls == 1 and s.per_model["openai/b"].unpriced_calls == 1
    run = s.as_run_usage()
    assert run["cost_usd"] is None and run["cost_usd_priced"] == pytest.approx(0.01)


def test_a_resumed_attempt_carries_the_usage_over(tmp_path: Path) -> None:
    first = UsageMeter(Budget(max_tokens=100), path=tmp_path / "u.json")
    first.record_step(1)
    first.record_call("openai/a", 40, 10, 0.01)
    first.stop("agent_killed", "the harness died")
    again = UsageMeter(Budget(max_tokens=100), path=tmp_path / "u.json", previous=load_usage(tmp_path / "u.json"))
    s = again.summary()
    assert (s.calls, s.total_tokens, s.steps, s.resumed, s.stop_reason) == (1, 50, 1, 1, None)
    again.record_call("openai/a", 40, 10, 0.01)
    with pytest.raises(BudgetExceeded):  # the budget covers both attempts
        again.check()


@pytest.mark.parametrize(
    ("budget", "reason"),
    [
        (Budget(max_cost_usd=0.02), "max_cost"),
        (Budget(max_tokens=30), "max_tokens"),
        (Budget(max_steps=2), "max_steps"),
    ],
)
def test_budget_stops_and_records_reason(tmp_path: Path, budget: Budget, reason: str) -> None:
    meter = UsageMeter(budget, path=tmp_path / "u.json")
    meter.check()
    meter.record_call("m", 10, 5, 0.01)
    meter.check()
    meter.record_call("m", 10, 5, 0.01)
    with pytest.raises(BudgetExceeded) as err:
        meter.check()
    assert err.value.reason == reason
    assert json.loads((tmp_path / "u.json").read_text())["stop_reason"] == reason


def test_wall_time_budget() -> None:
    now = [0.0]
    meter = UsageMeter(Budget(max_wall_secs=10), clock=lambda: now[0])
    meter.check()
    now[0] = 11
    with pytest.raises(BudgetExceeded, match="wall-time"):
        meter.check()


def test_reported_steps_never_change_what_the_budget_counts() -> None:
    """A step is a model call, counted by the meter; the agent's own step numbers are only recorded."""
    meter = UsageMeter(Budget(max_steps=2))
    assert meter.record_step(5) == 0
    meter.record_call("m", 1, 1, 0.0)
    assert meter.record_step(1) == 1  # a lower number neither resets nor lowers anything
    meter.record_call("m", 1, 1, 0.0)
    with pytest.raises(BudgetExceeded) as err:
        meter.check()
    assert err.value.reason == "max_steps"
    with pytest.raises(BudgetExceeded):
        meter.record_step(0)
    s = meter.summary()
    assert (s.steps, s.calls, s.agent_steps) == (2, 2, 5)


def test_reservations_keep_concurrent_calls_within_the_budget() -> None:
    import threading
    import time

    from medalist.llm.usage import GatewayBusy

    meter = UsageMeter(Budget(max_tokens=100))
    first = meter.reserve(10)  # nothing in flight: admitted, its output capped at all that is left
    assert first.max_output == 90
    got = []
    waiter = threading.Thread(target=lambda: got.append(meter.reserve(10, 20)))
    waiter.start()
    time.sleep(0.3)
    assert got == []  # the first call holds the whole budget: the second waits
    with pytest.raises(GatewayBusy):
        meter.reserve(10, 20, wait_secs=0.2)
    meter.record_call("m", 10, 30, 0.0)
    meter.release(first)
    waiter.join(5)
    assert got[0].max_output == 20 and got[0].tokens == 30  # room was 100 - 40 - 10 = 50
    meter.record_call("m", 10, 60, 0.0)  # an upstream that ignored max_tokens: 110 used
    meter.release(got[0])
    with pytest.raises(BudgetExceeded):
        meter.reserve(10, 20)
