"""The command agent: configured in YAML, kwargs as --key=value, a host secret that reaches the agent
but never any file under the run dir (or the group's metadata)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from medalist.runner import read_record

AGENT = r"""
import hashlib, os, shutil, sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
secret = os.environ["API_KEY"]
print("my key is", secret)                       # an agent that leaks its key to stdout...
print("again:", secret, file=sys.stderr)
open("/home/logs/leak.txt", "w").write(secret)   # ...and to its logs
ok = hashlib.sha256(secret.encode()).hexdigest() == args["expect_sha"] and os.environ["MODE"] == "fast"
shutil.copyfile("/home/data/sample_submission.csv", "/home/submission/submission.csv")
sys.exit(0 if ok and args["steps"] == "3" else 3)
"""


@pytest.fixture
def agents_file(runs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    secret = "sk-test-" + os.urandom(8).hex()
    monkeypatch.setenv("MEDALIST_TEST_SECRET", secret)
    code = runs_dir / "agent_code"
    code.mkdir()
    (code / "agent.py").write_text(AGENT)
    for p in (code, code / "agent.py"):
        os.chmod(p, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    sha = hashlib.sha256(secret.encode()).hexdigest()
    path = runs_dir / "agents.yaml"
    path.write_text(f"""
agents:
  - id: leaky
    command: [python, /opt/agent/agent.py]
    kwargs: {{steps: 3, expect_sha: {sha}}}
    env: {{API_KEY: "${{MEDALIST_TEST_SECRET}}", MODE: fast}}
    mounts: [{{source: agent_code, target: /opt/agent}}]
""")
    return path, secret


def test_command_agent_secret_never_written(run_group, agents_file: tuple[Path, str], runs_dir: Path) -> None:
    path, secret = agents_file
    group, summary = run_group("leaky", ["penguins-species"], agents_file=path, time_limit=30)
    run_dir = group.run_dir(group.meta.runs[0])
    record = read_record(run_dir)
    assert record is not None
    # exit 0 proves the agent received the real secret (hash match) and the kwargs.
    assert record.status == "completed", (run_dir / "agent_stderr.log").read_text()
    assert "[REDACTED]" in (run_dir / "agent_stdout.log").read_text()
    assert (run_dir / "workspace/logs/leak.txt").read_text() == "[REDACTED]"
    needle = secret.encode()
    files = [p for p in group.dir.rglob("*") if p.is_file()]
    assert len(files) > 8
    leaked = [str(p) for p in files if needle in p.read_bytes()]
    assert leaked == []
    assert "${MEDALIST_TEST_SECRET}" in (group.dir / "metadata.json").read_text()
    assert summary is not None and summary.competition_reports[0].valid_submission


def test_unset_secret_fails_before_any_run(
    agents_file: tuple[Path, str], runs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from run_helpers import medalist_cli  # type: ignore[import-not-found]

    path, _ = agents_file
    env = {k: v for k, v in os.environ.items() if k != "MEDALIST_TEST_SECRET"}
    monkeypatch.delenv("MEDALIST_TEST_SECRET")
    proc = medalist_cli(
        "run",
        "--agent",
        "leaky",
        "--tasks",
        "quick",
        "--agents-file",
        str(path),
        "--runs-dir",
        str(runs_dir / "r"),
        env=env,
    )
    assert proc.returncode == 2
    assert "${MEDALIST_TEST_SECRET}" in proc.stderr and "not set" in proc.stderr and "Traceback" not in proc.stderr
    assert not (runs_dir / "r").exists()
