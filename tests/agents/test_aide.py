"""The aide agent's search logic, driven by scripted model answers (no model server), with real
script execution in a temp folder."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from medalist.inside.aide.journal import Journal, Node
from medalist.inside.aide.options import AideOptions
from medalist.inside.aide.search import AidePaths, AideSearch, AideSettings, TaskContext, printed_metric
from medalist.inside.llm_client import ScriptedChatModel

SCRIPT = """import csv
rows = list(csv.DictReader(open("{data}/test.csv")))
with open("{out}", "w") as f:
    f.write("id,target\\n")
    for r in rows:
        f.write(f"{{r['id']}},{value}\\n")
print("VALIDATION_METRIC={metric}")
"""
BUGGY = "First try.\n```python\nraise RuntimeError('boom')\n```"


def review(is_bug: bool, metric: float | None, summary: str = "ok") -> str:
    return json.dumps({"is_bug": is_bug, "metric": metric, "lower_is_better": False, "summary": summary})


def answer(paths: AidePaths, metric: float, *, out: str | None = None, plan: str = "Plan: predict a constant.") -> str:
    """A plan and a script that writes the submission where the agent contract says (or ``out``)."""
    code = SCRIPT.format(data=paths.data, out=out or paths.published, value=int(metric * 10), metric=metric)
    return f"{plan}\n```python\n{code}```"


@pytest.fixture
def paths(tmp_path: Path) -> AidePaths:
    data = tmp_path / "data"
    data.mkdir()
    (data / "test.csv").write_text("id,x\n1,0.5\n2,0.7\n")
    return AidePaths(data=data, logs=tmp_path / "logs", code=tmp_path / "code", submission=tmp_path / "submission")


def search(
    model: ScriptedChatModel,
    paths: AidePaths,
    journal: Journal | None = None,
    *,
    max_steps: int = 20,
    time_limit: float | None = None,
    time_margin: float = 30.0,
    **options: object,
) -> AideSearch:
    task = TaskContext(
        description="Predict target.",
        preview="test.csv: id, x",
        environment="- CPUs: 1",
        metric_name="accuracy",
        lower_is_better=False,
        targets=["target"],
        task_id="toy",
    )
    opts = AideOptions(**{"exec_timeout": 60, **options})  # type: ignore[arg-type]
    settings = AideSettings(max_steps=max_steps, time_limit=time_limit, time_margin=time_margin, options=opts)
    return AideSearch(model, task, paths, settings, journal=journal)


def prompt_of(call: dict) -> str:
    return call["messages"][-1]["content"] if call["messages"][-1]["role"] == "user" else ""


def test_aide_scripted_llm_draft_debug_improve_keeps_best(paths: AidePaths) -> None:
    model = ScriptedChatModel(
        [
            BUGGY,
            review(True, None, "it raised"),  # step 1: draft, buggy
            answer(paths, 0.8),
            review(False, 0.8),  # step 2: draft, works
            answer(paths, 0.9),
            review(False, 0.9),  # step 3: improve node 1 (debug_prob 0)
            answer(paths, 0.7),
            review(False, 0.7),  # step 4: improve node 2 again
        ]
    )
    journal = search(model, paths, max_steps=4, num_drafts=2, debug_prob=0.0).run()
    assert [(n.stage, n.parent_id) for n in journal.nodes] == [
        ("draft", None),
        ("draft", None),
        ("improve", 1),
        ("improve", 2),
    ]
    assert [n.is_bug for n in journal.nodes] == [True, False, False, False]
    assert journal.nodes[0].exit_code == 1 and "boom" in journal.nodes[0].output
    assert journal.best_node_id == 2 and journal.stop_reason == "max_steps"
    assert (paths.code / "solution.py").read_text() == journal.nodes[2].code
    assert paths.published.read_text() == "id,target\n1,9\n2,9\n"  # the best node's, not the last one's
    saved = Journal.model_validate_json((paths.logs / "journal.json").read_text())
    assert len(saved.nodes) == 4 and all(n.started_at and n.ended_at for n in saved.nodes)
    assert model.steps == 4 and [c["role"] for c in model.calls[:2]] == ["code", "feedback"]


def test_aide_scripted_llm_instruction_following_scripts_are_graded_with_the_best_submission(paths: AidePaths) -> None:
    """Both scripts write /home/submission/submission.csv as the instructions say; the 0.9 one is kept."""
    model = ScriptedChatModel([answer(paths, 0.9), review(False, 0.9), answer(paths, 0.5), review(False, 0.5)])
    journal = search(model, paths, max_steps=2, num_drafts=2).run()
    first, second = journal.nodes
    assert not first.is_bug and not second.is_bug and journal.best_node_id == 0
    assert first.submission_source == str(paths.published) and first.has_submission
    assert paths.published.read_text() == "id,target\n1,9\n2,9\n"
    assert (paths.work / "node_001" / "submission.csv").read_text() == "id,target\n1,5\n2,5\n"
    # the prompt names the contract's path, the one the instructions name
    assert f"predictions to {paths.published}" in prompt_of(model.calls[0])


def test_aide_scripted_llm_debug_prompt_gets_what_the_harness_found(paths: AidePaths) -> None:
    no_sub = "Forgot the file.\n```python\nprint('VALIDATION_METRIC=0.7')\n```"
    model = ScriptedChatModel([no_sub, review(False, 0.7, "looks great"), answer(paths, 0.6), review(False, 0.6)])
    journal = search(model, paths, max_steps=2, num_drafts=1, debug_prob=1.0).run()
    assert journal.nodes[0].is_bug and journal.nodes[1].stage == "debug"
    debug_prompt = prompt_of(model.calls[2])
    assert "# What the harness found" in debug_prompt
    assert f"no submission was written to {paths.published}" in debug_prompt
    assert "print('VALIDATION_METRIC=0.7')" in debug_prompt and "looks great" in debug_prompt


def test_aide_scripted_llm_facts_override_the_review(paths: AidePaths) -> None:
    # The review claims success for a crashing script, and returns prose (three times) for a good one.
    model = ScriptedChatModel([BUGGY, review(False, 0.99), answer(paths, 0.75), "looks fine", "fine", "really"])
    journal = search(model, paths, max_steps=2, num_drafts=2, max_retries=2).run()
    crash, ok = journal.nodes
    assert crash.is_bug and crash.metric == 0.99 and crash.review_parsed
    assert "the script exited with code 1 (see the end of the output)" in crash.findings
    assert not ok.is_bug and ok.metric == 0.75 and not ok.review_parsed  # metric read from the output


def test_aide_scripted_llm_reply_without_code_is_asked_again(paths: AidePaths) -> None:
    model = ScriptedChatModel(["I would train a model.", answer(paths, 0.6), review(False, 0.6)])
    journal = search(model, paths, max_steps=1, num_drafts=1).run()
    (node,) = journal.nodes
    assert node.retries == 1 and not node.is_bug and node.metric == 0.6
    assert len(model.calls) == 3 and "no ```python code block" in prompt_of(model.calls[1])
    assert model.steps == 1  # the re-ask is part of the step, not a step of its own


def test_aide_scripted_llm_bounded_retries_then_a_buggy_node(paths: AidePaths) -> None:
    model = ScriptedChatModel(["no code", "still none", answer(paths, 0.6), review(False, 0.6)])
    journal = search(model, paths, max_steps=2, num_drafts=2, max_retries=1).run()
    assert journal.nodes[0].error == "no Python code block in the answer (after 1 re-asks)" and journal.nodes[0].is_bug
    assert not journal.nodes[1].is_bug and len(model.calls) == 4  # no review for a node with no code


def test_aide_scripted_llm_review_without_json_is_asked_again(paths: AidePaths) -> None:
    model = ScriptedChatModel([answer(paths, 0.6), "It worked, metric 0.6.", review(False, 0.6, "constant model")])
    journal = search(model, paths, max_steps=1, num_drafts=1).run()
    assert journal.nodes[0].review_parsed and journal.nodes[0].summary == "constant model"
    second_review = model.calls[2]
    assert "response_format" not in second_review["params"] and second_review["messages"][-1]["role"] == "user"


def _buggy_drafts(n: int) -> Journal:
    nodes = [Node(id=i, step=i + 1, stage="draft", code="raise SystemExit(1)", is_bug=True) for i in range(n)]
    return Journal(task_id="toy", nodes=nodes)


def test_aide_policy_statistics_with_only_buggy_drafts_drafts_anew_about_half_the_time(paths: AidePaths) -> None:
    s = search(ScriptedChatModel([]), paths, _buggy_drafts(5), num_drafts=5, debug_prob=0.5)
    picks = Counter(s.select()[0] for _ in range(2000))
    assert set(picks) == {"draft", "debug"}
    assert 0.45 < picks["draft"] / 2000 < 0.55, picks  # aideml's policy: debug with debug_prob, else draft
    never = search(ScriptedChatModel([]), paths, _buggy_drafts(5), num_drafts=5, debug_prob=0.0)
    assert {never.select()[0] for _ in range(200)} == {"draft"}


def test_aide_policy_improves_the_best_node_and_respects_debug_depth(paths: AidePaths) -> None:
    journal = _buggy_drafts(2)
    journal.nodes.append(Node(id=2, step=3, stage="draft", code="x", is_bug=False, metric=0.5))
    journal.nodes[0].debug_depth = 3  # too deep to debug again
    s = search(ScriptedChatModel([]), paths, journal, num_drafts=3, debug_prob=0.5, max_debug_depth=3)
    picks = Counter((stage, parent.id if parent else None) for stage, parent in (s.select() for _ in range(2000)))
    assert set(picks) == {("improve", 2), ("debug", 1)} and 0.45 < picks[("improve", 2)] / 2000 < 0.55


def test_aide_prompts_carry_memory_of_every_good_node_status_and_real_limits(paths: AidePaths) -> None:
    journal = Journal(task_id="toy", metric_name="accuracy")
    for i in range(8):
        journal.nodes.append(
            Node(
                id=i,
                step=i + 1,
                stage="draft",
                code="pass",
                is_bug=False,
                metric=0.5 + i / 100,
                plan=f"design number {i}",
                summary=f"finding {i}",
            )
        )
    now = [0.0]
    s = search(
        ScriptedChatModel([]),
        paths,
        journal,
        max_steps=20,
        time_limit=300.0,
        time_margin=15.0,
        num_drafts=12,
        exec_timeout=600,
    )
    s.clock, s.start = (lambda: now[0]), 0.0
    now[0] = 60.0
    text = s.messages("draft", None, 9)[-1]["content"]
    assert all(f"design number {i}" in text and f"finding {i}" in text for i in range(8))
    assert "validation accuracy 0.57" in text and "higher is better" in text
    status = next(line for line in text.splitlines() if line.startswith("[status]"))
    assert "4.0 of 5 minutes left" in status and "step 9 of 20" in status
    assert "at most 202 s" in status  # (300 - 60 - 15) * 0.9: the run's real limit, not the 600 s option
    assert "5-fold cross-validation" in text and "VALIDATION_METRIC" in text


def test_aide_scripted_llm_metric_at_the_end_of_a_long_output_reaches_the_next_prompt(paths: AidePaths) -> None:
    chatty = answer(paths, 0.8).replace(
        'print("VALIDATION_METRIC=0.8")', 'print("epoch line\\n" * 20000)\nprint("VALIDATION_METRIC=0.8")'
    )
    model = ScriptedChatModel([chatty, review(False, None), answer(paths, 0.85), review(False, 0.85)])
    journal = search(model, paths, max_steps=2, num_drafts=1, debug_prob=0.0).run()
    assert journal.nodes[0].metric == 0.8 and journal.nodes[1].stage == "improve"
    improve_prompt = prompt_of(model.calls[2])
    assert "characters cut" in improve_prompt and "VALIDATION_METRIC=0.8" in improve_prompt


def test_aide_scripted_llm_step_budget_stops_cleanly(paths: AidePaths) -> None:
    model = ScriptedChatModel([answer(paths, 0.6), review(False, 0.6)] * 5, max_steps=2)
    journal = search(model, paths, max_steps=10, num_drafts=1).run()
    assert len(journal.nodes) == 2 and journal.stop_reason == "max_steps"
    assert json.loads((paths.logs / "journal.json").read_text())["stop_reason"] == "max_steps"


def test_aide_scripted_llm_time_limit_stops_before_the_deadline(paths: AidePaths) -> None:
    now = [0.0]
    model = ScriptedChatModel([answer(paths, 0.6), review(False, 0.6)] * 5)
    s = search(model, paths, max_steps=10, num_drafts=1, time_limit=100.0, time_margin=10.0)
    s.clock, s.start = (lambda: now[0]), 0.0
    original = s.step

    def slow_step(n: int) -> Node:
        now[0] += 40
        return original(n)

    s.step = slow_step  # type: ignore[method-assign]
    journal = s.run()
    assert journal.stop_reason == "time_limit" and len(journal.nodes) == 2


def test_aide_scripted_llm_script_timeout_is_a_bug(paths: AidePaths) -> None:
    sleepy = "```python\nimport time\ntime.sleep(30)\n```"
    model = ScriptedChatModel([sleepy, review(True, None)])
    journal = search(model, paths, max_steps=1, exec_timeout=1).run()
    node = journal.nodes[0]
    assert node.timed_out and node.is_bug and node.exec_seconds is not None and node.exec_seconds < 10
    assert any("killed at its time limit" in f for f in node.findings)


def test_aide_scripted_llm_model_direction_used_when_task_is_silent(paths: AidePaths) -> None:
    low = json.dumps({"is_bug": False, "metric": 0.3, "lower_is_better": True, "summary": "rmse"})
    model = ScriptedChatModel([answer(paths, 0.3), low, answer(paths, 0.2), low.replace("0.3", "0.2")])
    s = search(model, paths, max_steps=2, num_drafts=2)
    s.task.lower_is_better = None
    journal = s.run()
    assert journal.lower_is_better and journal.best_node_id == 1


def test_aide_scripted_llm_fallback_publishes_a_valid_submission_without_a_metric(paths: AidePaths) -> None:
    silent = answer(paths, 0.4).replace('print("VALIDATION_METRIC=0.4")', "print('done')")
    model = ScriptedChatModel([silent, review(False, None)])
    s = search(model, paths, max_steps=1, num_drafts=1)
    s.validate = lambda p: (True, "valid submission format")
    journal = s.run()
    assert journal.best_node_id is None and journal.settings["fallback_node_id"] == 0
    assert paths.published.read_text() == "id,target\n1,4\n2,4\n"


def test_aide_scripted_llm_resumes_an_interrupted_search_from_its_journal(paths: AidePaths) -> None:
    first = ScriptedChatModel([answer(paths, 0.7), review(False, 0.7), BUGGY, review(True, None)])
    search(first, paths, max_steps=2, num_drafts=3).run()
    paths.published.write_text("half-written by a killed script")

    def saved() -> Journal:
        return Journal.model_validate_json((paths.logs / "journal.json").read_text())

    idle = search(ScriptedChatModel([]), paths, saved(), max_steps=2).run()  # nothing left to do but republish
    assert len(idle.nodes) == 2 and paths.published.read_text() == "id,target\n1,7\n2,7\n"
    second = ScriptedChatModel([answer(paths, 0.8), review(False, 0.8), answer(paths, 0.9), review(False, 0.9)])
    journal = search(second, paths, saved(), max_steps=4, num_drafts=3, debug_prob=0.0).run()
    assert [n.id for n in journal.nodes] == [0, 1, 2, 3] and journal.attempts == 3
    assert [n.step for n in journal.nodes] == [1, 2, 3, 4] and second.steps == 4
    assert journal.best_node_id == 3 and paths.published.read_text() == "id,target\n1,9\n2,9\n"
    assert "design: Plan: predict a constant." in prompt_of(second.calls[0])  # memory from the first attempt


def test_printed_metric_takes_the_last_line() -> None:
    assert printed_metric("VALIDATION_METRIC=0.5\nfold 2\nVALIDATION_METRIC: 0.75\n") == 0.75
    assert printed_metric("no metric") is None
    assert printed_metric("VALIDATION_METRIC=nan") is None


@pytest.mark.parametrize("agent", ["aide", "research"])
def test_agent_exits_1_when_its_model_is_unreachable(
    agent: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run whose model endpoint is gone must end `failed` (exit 1), never `completed`."""
    import importlib
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name, sub in (
        ("HOME_DATA", "data"),
        ("HOME_SUBMISSION", "submission"),
        ("HOME_CODE", "code"),
        ("HOME_LOGS", "logs"),
        ("OPT_MEDALIST", "harness"),
    ):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(f"MEDALIST_MOUNT_{name}", str(tmp_path / sub))
    (tmp_path / "data" / "train.csv").write_text("id,x,y\n1,2,0\n")
    monkeypatch.setenv("MEDALIST_MOUNT_HOME_INSTRUCTIONS_TXT", str(tmp_path / "instructions.txt"))
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    for var in ("TIME_LIMIT_SECS", "MEDALIST_TASK_INFO"):
        monkeypatch.delenv(var, raising=False)
    main = importlib.import_module(f"medalist.inside.{agent}.main").main
    assert main(["--steps", "2"]) == 1
    err = capsys.readouterr().err
    assert f"{agent}: the model could not be reached (model_error)" in err
    log = json.loads((tmp_path / "logs" / ("journal.json" if agent == "aide" else "trace.json")).read_text())
    assert log["stop_reason"] == "model_error"
