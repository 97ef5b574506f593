"""The research agent's loop, actions, parser, trace and snapshots, driven by scripted model answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medalist.inside.llm_client import ScriptedChatModel
from medalist.inside.research.actions import ACTION_NAMES, chunk_lines
from medalist.inside.research.loop import ResearchLoop, ResearchPaths, ResearchSettings
from medalist.inside.research.options import ResearchOptions
from medalist.inside.research.parser import ParseError, parse_response
from medalist.inside.research.trace import Trace
from medalist.report.traces import parse_steps


def act(action: str, **inputs: object) -> str:
    return (
        f"Reflection: fine\nResearch Plan and Status: 1. baseline\nFact Check: none\n"
        f"Thought: next\nAction: {action}\nAction Input: {json.dumps(inputs)}"
    )


@pytest.fixture
def paths(tmp_path: Path) -> ResearchPaths:
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("id,x,y\n1,0.1,0\n2,0.9,1\n")
    (data / "test.csv").write_text("id,x\n3,0.2\n4,0.8\n")
    return ResearchPaths(work=tmp_path / "work", data=data, logs=tmp_path / "logs", submission=tmp_path / "sub")


def loop(
    model: ScriptedChatModel,
    paths: ResearchPaths,
    *,
    max_steps: int = 30,
    trace: Trace | None = None,
    validate=None,
    **options: object,
) -> ResearchLoop:
    settings = ResearchSettings(max_steps=max_steps, options=ResearchOptions(**{"exec_timeout": 60, **options}))  # type: ignore[arg-type]
    return ResearchLoop(model, "Predict y.", paths, settings, task_id="toy", trace=trace, validate=validate)


def prompt_of(call: dict) -> str:
    return call["messages"][1]["content"]


def test_research_scripted_llm_uses_every_action_and_records_trace_and_snapshots(paths: ResearchPaths) -> None:
    sub = paths.submission / "submission.csv"
    script = f"import csv\nrows=list(csv.DictReader(open('data/test.csv')))\nopen('{sub}','w').write('id,y\\n'+''.join(r['id']+',1\\n' for r in rows))\nprint('done', len(rows))\n"
    edited = script.replace("print('done', len(rows))", "print('edited', len(rows))")
    model = ScriptedChatModel(
        [
            act("List Files", dir_path="."),
            act("Understand File", file_name="data/train.csv", things_to_look_for="columns"),
            "the columns are id, x, y",  # the Understand File assistant
            act("Write File", file_name="train.py", content=script),
            act("Execute Script", script_name="train.py"),
            act("Inspect Script Lines", script_name="train.py", start_line_number=2, end_line_number=3),
            act("Edit Script (AI)", script_name="train.py", edit_instruction="print edited", save_name="train.py"),
            f"```python\n{edited}```",  # the edit assistant
            act("Execute Script", script_name="train.py"),
            act("Undo Edit Script", script_name="train.py"),
            act("Copy File", source="train.py", destination="backup/train_v1.py"),
            act("Read File", file_name="backup/train_v1.py"),
            act("Reflection", things_to_reflect_on="what next?"),
            "a baseline exists; tune it next",  # the reflection assistant
            act("Final Answer", final_answer="baseline submitted"),
        ]
    )
    trace = loop(model, paths, max_steps=20).run()
    actions = [s.action for s in trace.steps]
    assert actions == [
        "List Files",
        "Understand File",
        "Write File",
        "Execute Script",
        "Inspect Script Lines",
        "Edit Script (AI)",
        "Execute Script",
        "Undo Edit Script",
        "Copy File",
        "Read File",
        "Reflection",
        "Final Answer",
    ]
    assert set(actions) == set(ACTION_NAMES)
    obs = {i: s.observation for i, s in enumerate(trace.steps)}
    assert "data/" in obs[0] and "id, x, y" in obs[1]
    assert "exit code 0" in obs[3] and "done 2" in obs[3]
    assert obs[4].startswith("train.py has 4 lines; lines 2-3") and "3: open(" in obs[4]
    assert "+print('edited', len(rows))" in obs[5] and "edited 2" in obs[6]
    assert "done" in (paths.work / "train.py").read_text() and "edited" not in (paths.work / "train.py").read_text()
    assert trace.stop_reason == "final_answer" and trace.final_answer == "baseline submitted"
    assert sub.read_text() == "id,y\n3,1\n4,1\n"
    # trace.json on disk, with timestamps and parsed sections
    saved = Trace.model_validate_json((paths.logs / "trace.json").read_text())
    assert len(saved.steps) == 12 and all(s.started_at <= s.ended_at for s in saved.steps)
    assert saved.steps[2].thought == "next" and saved.steps[2].plan == "1. baseline"
    # snapshots: the written script at step 3, the submission when the script ran at step 4
    assert (paths.logs / "snapshots/step_3/train.py").read_text() == script
    assert (paths.logs / "snapshots/step_4/submission/submission.csv").is_file()
    assert saved.steps[8].snapshot == "snapshots/step_9" and "backup/train_v1.py" in saved.steps[8].changed_files
    assert saved.steps[0].snapshot is None


def test_research_scripted_llm_parse_errors_and_refused_paths_become_observations(paths: ResearchPaths) -> None:
    model = ScriptedChatModel(
        [
            "I think I should look at the data.",
            act("Fly Away"),
            act("Read File", file_name="../../etc/passwd"),
            act("Write File", file_name="data/evil.csv", content="x"),
            "Action: Read File\nAction Input: not json",
            act("Read File", file_name="data/train.csv"),
        ]
    )
    trace = loop(model, paths, max_steps=6, max_retries=0).run()
    errors = [s.error or "" for s in trace.steps]
    assert "no 'Action:' line" in errors[0] and "Your answer could not be parsed" in trace.steps[0].observation
    assert "unknown action 'Fly Away'" in errors[1]
    assert "outside the workspace" in errors[2]
    assert "read-only" in errors[3] and not (paths.data / "evil.csv").exists()
    assert "JSON object" in errors[4]
    assert errors[5] == "" and "0.9" in trace.steps[5].observation
    assert trace.stop_reason == "max_steps"
    # the last observations are shown to the model in the next prompt
    assert "outside the workspace" in model.calls[3]["messages"][1]["content"]
    # a step with no parsed action has no input; the report shows the model's reply instead of "{}"
    assert trace.steps[0].action_input is None
    shown = parse_steps(json.loads((paths.logs / "trace.json").read_text()))
    assert shown[0].input == "I think I should look at the data." and "etc/passwd" in shown[2].input


def test_research_scripted_llm_step_budget_and_workspace_submission(paths: ResearchPaths) -> None:
    model = ScriptedChatModel(
        [act("Write File", file_name="submission.csv", content="id,y\n3,0\n4,1\n")] * 5, max_steps=1
    )
    trace = loop(model, paths, max_steps=5).run()
    assert len(trace.steps) == 1 and trace.stop_reason == "max_steps"
    assert (paths.submission / "submission.csv").read_text() == "id,y\n3,0\n4,1\n"  # collected from the workspace


def test_research_scripted_llm_script_timeout(paths: ResearchPaths) -> None:
    model = ScriptedChatModel(
        [
            act("Write File", file_name="slow.py", content="import time\ntime.sleep(30)\n"),
            act("Execute Script", script_name="slow.py"),
        ]
    )
    trace = loop(model, paths, max_steps=2, exec_timeout=1).run()
    assert "timed out" in trace.steps[1].observation


def test_parser_is_lenient_about_markup() -> None:
    text = '**Thought:** list\n**Action:** `list files`\n**Action Input:**\n```json\n{"dir_path": "."}\n```'
    parsed = parse_response(text, ACTION_NAMES)
    assert parsed.action == "List Files" and parsed.action_input == {"dir_path": "."}
    with pytest.raises(ParseError, match="Action Input"):
        parse_response("Action: List Files", ACTION_NAMES)


def test_research_scripted_llm_malformed_reply_is_asked_again_within_the_step(paths: ResearchPaths) -> None:
    model = ScriptedChatModel(
        ["Let me think first.", "Action: List Files\nAction Input: {oops", act("List Files", dir_path="data")]
    )
    trace = loop(model, paths, max_steps=1).run()
    (step,) = trace.steps
    assert step.action == "List Files" and step.error is None and "train.csv" in step.observation
    assert step.retries == 2 and len(step.parse_errors) == 2 and model.steps == 1
    assert "could not be parsed" in model.calls[1]["messages"][-1]["content"]


def test_research_scripted_llm_metric_at_the_end_of_a_long_output_reaches_the_next_prompt(paths: ResearchPaths) -> None:
    script = (
        "for i in range(20000):\n    print('epoch', i, 'loss', 1.0 / (i + 1))\nprint('VALIDATION accuracy=0.8765')\n"
    )
    model = ScriptedChatModel(
        [
            act("Write File", file_name="train.py", content=script),
            act("Execute Script", script_name="train.py"),
            act("List Files", dir_path="."),
        ]
    )
    trace = loop(model, paths, max_steps=3).run()
    assert len((paths.work / ".runs" / "train.out").read_text()) > 300_000  # the full output is kept
    assert trace.steps[1].observation.endswith("VALIDATION accuracy=0.8765\n")
    next_prompt = prompt_of(model.calls[2])
    assert "VALIDATION accuracy=0.8765" in next_prompt and "characters cut" in next_prompt
    assert len(next_prompt) < 30_000


def test_research_scripted_llm_final_answer_needs_a_valid_submission(paths: ResearchPaths) -> None:
    sub = paths.submission / "submission.csv"
    model = ScriptedChatModel(
        [
            act("Final Answer", final_answer="done"),
            act("Write File", file_name="submission.csv", content="id,y\n3,bad\n"),
            act("Final Answer", final_answer="done now"),
            act("Final Answer", final_answer="really done"),
        ]
    )

    def validate(path: Path) -> tuple[bool, str]:
        ok = path.read_text() == "id,y\n3,0\n4,1\n"
        return ok, "valid submission format" if ok else "invalid submission: y must be 0 or 1"

    trace = loop(model, paths, max_steps=6, validate=validate).run()
    assert [s.error for s in trace.steps[:3]] == [
        f"final answer refused: there is no submission at {sub}",
        None,
        f"final answer refused: {sub} is invalid: invalid submission: y must be 0 or 1",
    ]
    # refused twice at most: the third Final Answer ends the run, saying what is wrong
    assert trace.stop_reason == "final_answer" and "accepted without a valid submission" in trace.final_answer


def test_research_scripted_llm_understand_file_reads_every_piece_and_merges(paths: ResearchPaths) -> None:
    big = "".join(f"row {i}: " + "x" * 90 + "\n" for i in range(350))  # ~35k characters -> 4 pieces of 10k
    (paths.work).mkdir(parents=True, exist_ok=True)
    (paths.work / "notes.txt").write_text(big)
    pieces = chunk_lines(big, 10_000)
    assert len(pieces) == 4 and pieces[0][0] == 1 and pieces[-1][1] == 350
    assert "".join(p[2] for p in pieces) == big
    model = ScriptedChatModel(
        [
            act("Understand File", file_name="notes.txt", things_to_look_for="the last row"),
            "piece 1: rows 0-98",
            "piece 2",
            "piece 3",
            "piece 4: the last row is row 349",
            "The file has rows 0 to 349; the last is row 349.",
        ]
    )
    trace = loop(model, paths, max_steps=1).run()
    assert trace.steps[0].observation == "The file has rows 0 to 349; the last is row 349."
    merge_prompt = model.calls[-1]["messages"][0]["content"]
    assert "Piece 4 (lines" in merge_prompt and "the last row is row 349" in merge_prompt
    assert "row 349: " in model.calls[4]["messages"][0]["content"]  # the tail of the file was read


def test_research_prompt_keeps_the_discipline_facts_and_status(paths: ResearchPaths) -> None:
    model = ScriptedChatModel([act("List Files", dir_path=".")])
    loop(model, paths, max_steps=5).run()
    text = prompt_of(model.calls[0])
    assert "Fact Check:" in text and "Research Plan and Status:" in text and "baseline" in text
    assert "[status] step 1 of 5" in text and str(paths.submission / "submission.csv") in text


def test_research_scripted_llm_resumes_from_its_trace(paths: ResearchPaths) -> None:
    first = ScriptedChatModel(
        [act("Write File", file_name="a.py", content="print(1)\n"), act("List Files", dir_path=".")]
    )
    loop(first, paths, max_steps=2).run()
    saved = Trace.model_validate_json((paths.logs / "trace.json").read_text())
    second = ScriptedChatModel([act("Execute Script", script_name="a.py")])
    trace = loop(second, paths, max_steps=3, trace=saved).run()
    assert [s.step for s in trace.steps] == [1, 2, 3] and trace.attempts == 2 and second.steps == 3
    assert "exit code 0" in trace.steps[2].observation
    assert "Write File" in prompt_of(second.calls[0])  # the first attempt's steps are in the history
