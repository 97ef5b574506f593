"""The Python API runs, grades, compares and reports like the CLI, and names user mistakes (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

import medalist
from medalist.errors import MedalistError


def test_run_compare_report_from_python(runs_dir: Path, tmp_path: Path) -> None:
    notes: list[str] = []
    started: list[Path] = []
    hooks = medalist.RunHooks(note=notes.append, started=lambda group: started.append(group.dir))
    config = medalist.ExperimentConfig(
        agent="sample",
        tasks=["penguins-species", "wine-cultivar"],
        seeds=2,
        sandbox="process",
        runs_dir=runs_dir,
        workers=2,
    )
    result = medalist.run(config, hooks)
    assert started == [result.group.dir] and result.harness_errors == []
    assert result.summary is not None and result.summary.total_runs == 4
    assert result.summary.total_valid_submissions == 4 and result.summary.total_medals == 0
    assert {e.status for e in result.group.meta.runs} == {"completed"}
    one = result.group.meta.runs[0]
    report = medalist.grade(result.group.run_dir(one) / "workspace" / "submission" / "submission.csv", one.task_id)
    assert report.valid_submission and report.score == one.score

    comparison = medalist.compare([result.group.dir])
    assert comparison.agents == ["sample"] and len(comparison.runs) == 4
    page = medalist.write_report(comparison, tmp_path / "report.html", title="api report")
    assert page.is_file() and "api report" in page.read_text(encoding="utf-8")

    again = medalist.resume(result.group.dir)  # nothing left to do: the finished runs are kept
    assert again.group.meta.resumed == 1 and again.summary is not None and again.summary.total_runs == 4


def test_mistakes_raise_one_clear_error(runs_dir: Path) -> None:
    with pytest.raises(MedalistError, match="no-such-agent"):
        medalist.run(medalist.ExperimentConfig(agent="no-such-agent", tasks=["penguins-species"], runs_dir=runs_dir))
    with pytest.raises(MedalistError, match="no-such-task"):
        medalist.run(
            medalist.ExperimentConfig(agent="sample", tasks=["no-such-task"], runs_dir=runs_dir, sandbox="process")
        )
    with pytest.raises(MedalistError, match="apply to LLM agents"):
        medalist.run(
            medalist.ExperimentConfig(
                agent="sample", tasks=["penguins-species"], model="openai/gpt-4o", runs_dir=runs_dir
            )
        )
    assert list(runs_dir.iterdir()) == []  # a mistake costs no run group


def test_list_and_prepare_tasks() -> None:
    lite = medalist.list_tasks("lite")
    assert "titanic-passengers" in {t.id for t in lite}
    (pt,) = medalist.prepare(["penguins-species"])
    assert pt.is_prepared() and pt.answers_path.is_file()
