"""Experiment configs: validation errors name file and field, flags override the file, `medalist init`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Optional

import pytest
import typer
from typer.testing import CliRunner

from medalist.errors import ConfigError, MedalistError
from medalist.runner.config import TEMPLATE, config_callback, load_experiment, write_template

MEDALIST = str(Path(sys.executable).parent / "medalist")


def write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_template_is_valid_and_maps_to_run_options(tmp_path: Path) -> None:
    p = write_template(tmp_path)
    assert p.name == "experiment.yaml" and p.read_text().startswith("# medalist experiment config")
    cfg = load_experiment(p)
    assert cfg.agent == "automl" and cfg.tasks == ["lite"] and cfg.seeds == 1
    assert cfg.run_options() == {
        "agent": "automl",
        "tasks": ["lite"],
        "seeds": 1,
        "executor": "local",
        "workers": 1,
        "sandbox": "auto",
        "runs_dir": str(tmp_path / "runs"),
        "no_grade": False,
    }


def test_full_config_maps_every_field(tmp_path: Path) -> None:
    (tmp_path / "agents.yaml").write_text("agents: []\n")
    p = write(
        tmp_path,
        """
agent: aide
agents_file: agents.yaml
model: gpt-4o-mini
provider: openai
feedback_model: openai/gpt-4o
api_base: http://127.0.0.1:8000/v1
api_key_env: LOCAL_KEY
budget: {max_cost_usd: 0.5, max_tokens: 1000, max_output_tokens: 100}
scheduler: tcp://127.0.0.1:8786
tasks: "lite, penguins-species"
tasks_dir: extra
seeds: 3
limits: {time_limit_secs: 120, memory_gb: 1.5, cpus: 2, gpus: 1, step_limit: 7}
executor: dask
workers: 2
sandbox: process
runs_dir: /tmp/somewhere
grade: false
""",
    )
    opts = load_experiment(p).run_options()
    assert opts == {
        "agent": "aide",
        "agents_file": str(tmp_path / "agents.yaml"),
        "model": "openai/gpt-4o-mini",
        "feedback_model": "openai/gpt-4o",
        "api_base": "http://127.0.0.1:8000/v1",
        "api_key_env": "LOCAL_KEY",
        "max_cost": 0.5,
        "max_tokens": 1000,
        "max_output_tokens": 100,
        "scheduler": "tcp://127.0.0.1:8786",
        "gpus": 1,
        "tasks": ["lite", "penguins-species"],
        "tasks_dir": [str(tmp_path / "extra")],
        "seeds": 3,
        "time_limit": 120.0,
        "memory": 1.5,
        "cpus": 2.0,
        "step_limit": 7,
        "executor": "dask",
        "workers": 2,
        "sandbox": "process",
        "runs_dir": "/tmp/somewhere",
        "no_grade": True,
    }


def test_old_max_iterations_is_read_as_step_limit_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("agent: dummy\ntasks: [penguins-species]\nmax_iterations: 9\n")
    with pytest.warns(FutureWarning, match="'max_iterations' is now 'limits.step_limit'"):
        config = load_experiment(path)
    assert config.limits.step_limit == 9 and config.run_options()["step_limit"] == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("agent: dummy\nlimts: {cpus: 1}\n", "field 'limts': unknown field"),
        ("seeds: 0\n", "field 'seeds': Input should be greater than or equal to 1"),
        ("limits: {memory_gb: -1}\n", "field 'limits.memory_gb': Input should be greater than 0"),
        ("budget: {max_cost: 1}\n", "field 'budget.max_cost': unknown field"),
        ("sandbox: docker\n", "field 'sandbox': Input should be 'auto', 'bwrap' or 'process'"),
        ("workers: many\n", "field 'workers': Input should be a valid integer"),
        ("agent: [a\n", "not valid YAML (line 2)"),
        ("- agent\n", "expected a mapping of fields, got list"),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_experiment(p)
    assert str(info.value).startswith(f"{p}: ") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="experiment config not found"):
        load_experiment(tmp_path / "nope.yaml")


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    p = write(tmp_path, "agent: mine\n")
    with pytest.raises(MedalistError, match="already exists"):
        write_template(p)
    assert p.read_text() == "agent: mine\n"
    write_template(p, force=True)
    assert p.read_text() == TEMPLATE.replace("{name}", "exp.yaml")


def _toy_app() -> typer.Typer:
    """A command shaped like `medalist run`, echoing what it received."""
    app = typer.Typer()

    @app.command()
    def run(
        agent: Annotated[Optional[str], typer.Option("--agent")] = None,
        seeds: Annotated[int, typer.Option()] = 1,
        tasks: Annotated[Optional[list[str]], typer.Option("--tasks")] = None,
        time_limit: Annotated[Optional[float], typer.Option("--time-limit")] = None,
        no_grade: Annotated[bool, typer.Option("--no-grade")] = False,
        config: Annotated[Optional[Path], typer.Option("--config", is_eager=True, callback=config_callback)] = None,
    ) -> None:
        print(
            json.dumps({"agent": agent, "seeds": seeds, "tasks": tasks, "time_limit": time_limit, "no_grade": no_grade})
        )

    return app


def test_flags_override_config_values(tmp_path: Path) -> None:
    p = write(tmp_path, "agent: automl\nseeds: 3\ntasks: [lite]\nlimits: {time_limit_secs: 60}\ngrade: false\n")
    runner = CliRunner()
    got = json.loads(runner.invoke(_toy_app(), ["--config", str(p)]).stdout)
    assert got == {"agent": "automl", "seeds": 3, "tasks": ["lite"], "time_limit": 60.0, "no_grade": True}
    got = json.loads(runner.invoke(_toy_app(), ["--seeds", "5", "--config", str(p), "--tasks", "quick"]).stdout)
    assert got == {"agent": "automl", "seeds": 5, "tasks": ["quick"], "time_limit": 60.0, "no_grade": True}
    got = json.loads(runner.invoke(_toy_app(), ["--agent", "dummy"]).stdout)  # no config: plain defaults
    assert got["agent"] == "dummy" and got["seeds"] == 1


def test_option_the_command_lacks_is_refused(tmp_path: Path) -> None:
    p = write(tmp_path, "agent: aide\nmodel: openai/gpt-4o-mini\n")
    result = CliRunner().invoke(_toy_app(), ["--config", str(p)])
    assert isinstance(result.exception, ConfigError)
    assert "field 'model': not supported" in str(result.exception)


def test_cli_init_and_bad_config_are_one_line(tmp_path: Path) -> None:
    target = tmp_path / "exp.yaml"
    ok = subprocess.run([MEDALIST, "init", str(target)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and target.is_file()
    again = subprocess.run([MEDALIST, "init", str(target)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "already exists (use --force" in again.stderr
    target.write_text("agent: dummy\nseeds: -2\n")
    bad = subprocess.run([MEDALIST, "run", "--config", str(target)], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert f"{target}: field 'seeds'" in bad.stderr.replace("\n", "")


def test_cli_flag_overrides_config_agent(tmp_path: Path) -> None:
    p = write(tmp_path, "agent: no-such-agent-a\ntasks: [penguins-species]\nsandbox: process\n")
    from_file = subprocess.run([MEDALIST, "run", "--config", str(p)], capture_output=True, text=True, timeout=60)
    assert from_file.returncode == 2 and "no-such-agent-a" in from_file.stderr
    flag = subprocess.run(
        [MEDALIST, "run", "--config", str(p), "--agent", "no-such-agent-b"], capture_output=True, text=True, timeout=60
    )
    assert flag.returncode == 2 and "no-such-agent-b" in flag.stderr and "no-such-agent-a" not in flag.stderr


def test_real_run_command_accepts_every_config_option(tmp_path: Path) -> None:
    """Guards against drift: every option a config can set is a parameter of `medalist run`."""
    import medalist.cli  # noqa: F401  (registers every command on the app)
    from medalist.cli import app
    from medalist.runner.config import ExperimentConfig

    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    names = {p.name for p in command.params}
    full = ExperimentConfig.model_validate(
        {
            "agent": "a",
            "agents_file": "x",
            "model": "m/m",
            "feedback_model": "m/f",
            "api_base": "u",
            "api_key_env": "K",
            "budget": {"max_cost_usd": 1, "max_tokens": 1, "max_output_tokens": 1},
            "tasks": ["t"],
            "tasks_dir": ["d"],
            "seeds": 1,
            "limits": {"time_limit_secs": 1, "memory_gb": 1, "cpus": 1, "gpus": 1, "step_limit": 1},
            "executor": "local",
            "scheduler": "s",
            "workers": 1,
            "sandbox": "auto",
            "runs_dir": "r",
            "grade": True,
        }
    )
    assert set(full.run_options()) <= names


def test_every_experiment_field_is_read_by_a_run_option() -> None:
    """A field added to the YAML without a `medalist run` option would be silently ignored."""
    from medalist.runner.config import FIELD_OF_OPTION, ExperimentConfig, ExperimentLimits, ModelBudget

    read = set(FIELD_OF_OPTION.values())
    sections = {"limits": ExperimentLimits, "budget": ModelBudget}
    fields = {
        f"{name}.{sub}" if name in sections else name
        for name in ExperimentConfig.model_fields
        for sub in (sections[name].model_fields if name in sections else [""])
    }
    assert fields - read == {"provider"}  # folded into model by full_model()
