"""Paths and environment variables of the agent contract, shared by the harness and in-sandbox code.

See docs/agent-contract.md. Everything here describes the *inside* of the sandbox.
"""

from __future__ import annotations

HOME = "/home"
DATA_DIR = "/home/data"
SUBMISSION_DIR = "/home/submission"
SUBMISSION_PATH = "/home/submission/submission.csv"
CODE_DIR = "/home/code"
LOGS_DIR = "/home/logs"
INSTRUCTIONS_PATH = "/home/instructions.txt"
AGENT_REPORT_PATH = "/home/logs/agent_report.json"
"""Optional: ``{"outcome": ..., "reason": ...}`` written by the agent; copied into run.json's ``agent_report``."""
HARNESS_DIR = "/opt/medalist"
"""Read-only harness files: ``task.json`` (task info) and ``bin/validate_submission``."""
TASK_INFO_PATH = "/opt/medalist/task.json"
HARNESS_BIN = "/opt/medalist/bin"

ENV_COMPETITION_ID = "COMPETITION_ID"
ENV_TIME_LIMIT = "TIME_LIMIT_SECS"
ENV_STEP_LIMIT = "STEP_LIMIT"
ENV_SEED = "MEDALIST_SEED"
ENV_TASK_INFO = "MEDALIST_TASK_INFO"
ENV_CPUS = "MEDALIST_CPUS"
ENV_MEMORY_GB = "MEDALIST_MEMORY_GB"

_MOUNTED = (DATA_DIR, SUBMISSION_DIR, CODE_DIR, LOGS_DIR, INSTRUCTIONS_PATH, HARNESS_DIR)


def resolve(path: str) -> str:
    """Where a contract path really is. Inside bwrap that is the path itself; the non-isolating
    ``process`` backend cannot remap paths and announces each mount's host path in
    ``MEDALIST_MOUNT_<TARGET>`` instead, which this follows."""
    import os
    import re

    for target in sorted(_MOUNTED, key=len, reverse=True):
        if path == target or path.startswith(target + "/"):
            env = "MEDALIST_MOUNT_" + re.sub(r"[^A-Za-z0-9]+", "_", target.strip("/")).upper()
            host = os.environ.get(env)
            return host + path[len(target) :] if host else path
    return path
