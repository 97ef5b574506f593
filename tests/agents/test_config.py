"""Agents YAML: validation errors name the file and the field; ${VAR} secrets resolve at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from medalist.agents import AgentRegistry, CommandAgentConfig, load_agents_file
from medalist.errors import ConfigError, MedalistError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "agents.yaml"
    p.write_text(text)
    return p


def test_valid_file_and_argv(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    p = write(
        tmp_path,
        """
agents:
  - id: my-agent
    command: python /opt/agent/main.py
    kwargs: {model: small, steps: 3, verbose: true}
    env: {API_KEY: "${MY_KEY}", MODE: "fast-${MY_KEY}"}
    mounts: [{source: code, target: /opt/agent}]
""",
    )
    [cfg] = load_agents_file(p)
    assert cfg.argv() == ["python", "/opt/agent/main.py", "--model=small", "--steps=3", "--verbose=true"]
    assert cfg.mounts[0].source == str((tmp_path / "code").resolve())
    env, secrets = cfg.resolve_env({"MY_KEY": "s3cret"})
    assert env == {"API_KEY": "s3cret", "MODE": "fast-s3cret"} and secrets == ["s3cret"]
    # The serialised spec (what run specs and metadata hold) keeps the reference, not the value.
    spec = AgentRegistry(p).spec("my-agent")
    assert "${MY_KEY}" in str(spec.config) and "s3cret" not in str(spec.config)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agents:\n  - id: a\n", "field 'agents[a].command': Field required"),
        ("agents:\n  - id: a\n    command: [x]\n    colour: red\n", "field 'agents[a].colour': unknown field"),
        ("agents:\n  - id: Bad Id\n    command: [x]\n", "field 'agents[Bad Id].id'"),
        ("agents:\n  - id: a\n    command: [x]\n    env: {'1X': y}\n", "field 'agents[a].env'"),
        ("agents:\n  - id: a\n    command: [x]\n    mounts: [{source: /, target: rel}]\n", "must be an absolute path"),
        ("agents:\n  - id: a\n    command: [x]\n    mounts: [{source: nope, target: /x}]\n", "does not exist"),
        ("agents:\n  - id: a\n    command: [x]\n  - id: a\n    command: [y]\n", "defined twice"),
        ("agents: [\n", "not valid YAML"),
        ("42\n", "expected a mapping"),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_agents_file(p)
    msg = str(exc.value)
    assert str(p) in msg and expected in msg and "\n" not in msg


def test_builtin_id_clash_and_unknown_agent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="built-in agent"):
        AgentRegistry(write(tmp_path, "agents:\n  - id: automl\n    command: [x]\n"))
    with pytest.raises(MedalistError, match="did you mean: automl"):
        AgentRegistry().spec("automl2")
    with pytest.raises(ConfigError, match="agents file not found"):
        AgentRegistry(tmp_path / "missing.yaml")


def test_missing_secret_is_a_clear_error() -> None:
    cfg = CommandAgentConfig(id="a", command=["x"], env={"K": "${NOT_SET_ANYWHERE}"})
    with pytest.raises(ConfigError, match=r"\$\{NOT_SET_ANYWHERE\}, not set in the host environment"):
        cfg.resolve_env({})
