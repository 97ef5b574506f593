"""The ``dummy`` agent's program, run inside the sandbox: check the sandbox, then copy the sample.

Every check is recorded in ``/home/logs/dummy_checks.json``; the exit code is 1 if any check fails.
Standard library only (plus the harness's ``validate_submission`` command).
"""

from __future__ import annotations

import glob
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypedDict

from medalist.inside import contract

CHECKS_FILE = "dummy_checks.json"
COMMON_PRIVATE = ["/home/private", "/home/data/../private", "/private", "/root", "/root/.cache/medalist"]
SKIP_WALK = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"}


def _try_write(folder: str) -> tuple[bool, str]:
    probe = Path(contract.resolve(folder)) / ".dummy_write_probe"
    try:
        probe.write_text("ok")
        probe.unlink()
        return True, f"wrote and removed {probe}"
    except OSError as exc:
        return False, f"{type(exc).__name__}: {exc.strerror or exc}"


def _readable(path: str) -> str | None:
    """A description of what could be read at ``path``, or None when nothing could."""
    p = Path(path)
    try:
        if p.is_dir():
            return f"listed {len(os.listdir(p))} entries"
        with open(p, "rb") as fh:
            return f"read {len(fh.read(64))} bytes"
    except OSError:
        return None


def _unreadable(path: str) -> tuple[bool, str]:
    r = _readable(path)
    return r is None, r or "not readable"


def _connect(host: str, port: int, timeout: float = 2.0) -> str | None:
    """None when the connection fails (as it must), else a description of the success."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return f"connected to {host}:{port}"
    except OSError:
        return None


def _unreachable(host: str, port: int) -> tuple[bool, str]:
    r = _connect(host, port)
    return r is None, r or "unreachable"


def _walk_for(name: str, limit: int = 50_000) -> list[str]:
    """Look for files called ``name`` anywhere reachable (bounded), outside system folders."""
    found, seen = [], 0
    for root, dirs, files in os.walk("/", onerror=lambda e: None):
        if root in SKIP_WALK or root.startswith(sys.prefix) or root.startswith(sys.base_prefix + "/lib"):
            dirs[:] = []
            continue
        seen += len(files) + len(dirs)
        if name in files:
            found.append(os.path.join(root, name))
        if seen > limit:
            break
    return found


class GpuView(TypedDict):
    devices: dict[str, str]  # /dev/nvidia* path -> "major:minor" (or why it could not be stat-ed)
    CUDA_VISIBLE_DEVICES: str | None
    NVIDIA_VISIBLE_DEVICES: str | None
    nvidia_smi: str | None
    nvidia_smi_uuids: list[str] | None


def gpu_view(env: dict[str, str]) -> GpuView:
    """What GPUs this sandbox shows: /dev/nvidia* nodes (with device numbers), the CUDA variables, and
    what ``nvidia-smi -L`` (when on PATH) lists."""
    nodes = {}
    for path in sorted(glob.glob("/dev/nvidia*")):
        try:
            rdev = os.stat(path).st_rdev
            nodes[path] = f"{os.major(rdev)}:{os.minor(rdev)}"
        except OSError as exc:
            nodes[path] = f"unstat-able: {exc.strerror}"
    smi = shutil.which("nvidia-smi")
    listed: list[str] | None = None
    if smi is not None:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=60).stdout
            listed = re.findall(r"\(UUID: (GPU-[^)]+)\)", out)
        except (OSError, subprocess.TimeoutExpired) as exc:
            listed = [f"nvidia-smi failed: {exc}"]
    return {
        "devices": nodes,
        "CUDA_VISIBLE_DEVICES": env.get("CUDA_VISIBLE_DEVICES"),
        "NVIDIA_VISIBLE_DEVICES": env.get("NVIDIA_VISIBLE_DEVICES"),
        "nvidia_smi": smi,
        "nvidia_smi_uuids": listed,
    }


def gpus_only_own(view: GpuView) -> tuple[bool, str]:
    """The sandbox shows one /dev/nvidia<N> per GPU it was given (by CUDA_VISIBLE_DEVICES) and no other,
    and nvidia-smi, when present, lists exactly those GPUs."""
    given = [u for u in str(view["CUDA_VISIBLE_DEVICES"] or "").split(",") if u]
    gpu_nodes = [p for p in view["devices"] if re.fullmatch(r"/dev/nvidia\d+", p)]
    ok = len(gpu_nodes) == len(given)
    if given and view["nvidia_smi_uuids"] is not None:
        ok = ok and sorted(view["nvidia_smi_uuids"]) == sorted(given)
    if not given:
        ok = ok and not view["devices"]
    return (
        ok,
        f"given {given or 'no GPU'}; sees {view['devices'] or 'no /dev/nvidia*'}; nvidia-smi -L: {view['nvidia_smi_uuids']}",
    )


def run_checks(env: dict[str, str]) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []

    def check(name: str, fn: Callable[[], tuple[bool, str]]) -> None:
        try:
            ok, detail = fn()
        except Exception as exc:  # a crashing check is a failed check, never a crashed agent
            ok, detail = False, f"check raised {type(exc).__name__}: {exc}"
        results.append({"check": name, "ok": bool(ok), "detail": detail})
        print(f"[{'PASS' if ok else 'FAIL'}] {name}: {detail}", flush=True)

    check("not_root", lambda: (os.getuid() != 0 and os.geteuid() != 0, f"uid={os.getuid()} gid={os.getgid()}"))
    check(
        "contract_env",
        lambda: (
            all(env.get(k) for k in (contract.ENV_COMPETITION_ID, contract.ENV_TIME_LIMIT, contract.ENV_STEP_LIMIT)),
            ", ".join(
                f"{k}={env.get(k)!r}"
                for k in (contract.ENV_COMPETITION_ID, contract.ENV_TIME_LIMIT, contract.ENV_STEP_LIMIT)
            ),
        ),
    )
    check(
        "instructions_readable",
        lambda: (_readable(contract.resolve(contract.INSTRUCTIONS_PATH)) is not None, contract.INSTRUCTIONS_PATH),
    )
    check(
        "data_readable",
        lambda: (
            Path(contract.resolve(env.get("MEDALIST_SAMPLE_SUBMISSION", ""))).is_file(),
            f"{contract.DATA_DIR}: {sorted(os.listdir(contract.resolve(contract.DATA_DIR)))}",
        ),
    )
    check("data_read_only", lambda: (lambda r: (not r[0], r[1]))(_try_write(contract.DATA_DIR)))
    for folder in (contract.SUBMISSION_DIR, contract.CODE_DIR, contract.LOGS_DIR):
        check(f"writable:{folder}", partial(_try_write, folder))

    private = [p for p in env.get("MEDALIST_PRIVATE_PATHS", "").split(":") if p] + COMMON_PRIVATE
    for path in private:
        check(f"private_unreadable:{path}", partial(_unreadable, path))
    check(
        "no_answers_file_reachable",
        lambda: (lambda f: (not f, f"found {f}" if f else "no answers.csv found"))(_walk_for("answers.csv")),
    )

    host, port = env.get("MEDALIST_PROBE_HOST", ""), env.get("MEDALIST_PROBE_PORT", "")
    if host and port:
        check(
            f"no_host_loopback:{host}:{port}",
            lambda: (lambda r: (r is None, r or "connection refused/failed"))(_connect(host, int(port))),
        )
    for ip, p in (("1.1.1.1", 53), ("8.8.8.8", 443)):
        check(f"no_internet:{ip}:{p}", partial(_unreachable, ip, p))

    def dns() -> tuple[bool, str]:
        try:
            return False, f"resolved example.com to {socket.gethostbyname('example.com')}"
        except OSError as exc:
            return True, f"no DNS ({exc})"

    check("no_dns", dns)
    check("gpus_only_own", lambda: gpus_only_own(gpu_view(env)))

    def copy_sample() -> tuple[bool, str]:
        if not env.get("MEDALIST_SAMPLE_SUBMISSION"):  # kept with the answers: the harness placed it
            return True, "no public sample submission; the harness placed the task's sample as the submission"
        shutil.copyfile(contract.resolve(env["MEDALIST_SAMPLE_SUBMISSION"]), contract.resolve(contract.SUBMISSION_PATH))
        return True, f"copied to {contract.SUBMISSION_PATH}"

    check("copy_sample_submission", copy_sample)

    def validate() -> tuple[bool, str]:
        tool = shutil.which("validate_submission")
        if tool is None:
            return False, "validate_submission is not on PATH"
        proc = subprocess.run(
            [tool, contract.resolve(contract.SUBMISSION_PATH)], capture_output=True, text=True, timeout=120
        )
        out = (proc.stdout + proc.stderr).strip()
        return proc.returncode == 0 and "score" not in out.lower(), out

    check("validate_submission", validate)
    return results


def main() -> int:
    env = dict(os.environ)
    print(f"dummy agent: uid={os.getuid()} gid={os.getgid()} euid={os.geteuid()} groups={os.getgroups()}")
    print(f"interpreter: {sys.executable} (Python {platform.python_version()}), cwd={os.getcwd()}")
    print(f"task: {env.get(contract.ENV_COMPETITION_ID)}, time limit {env.get(contract.ENV_TIME_LIMIT)}s", flush=True)
    results = run_checks(env)
    failed = [str(r["check"]) for r in results if not r["ok"]]
    report = {
        "identity": {"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(), "groups": os.getgroups()},
        "interpreter": sys.executable,
        "python": platform.python_version(),
        "gpus": gpu_view(env),
        "checks": results,
        "passed": not failed,
        "failed": failed,
    }
    Path(contract.resolve(contract.LOGS_DIR), CHECKS_FILE).write_text(json.dumps(report, indent=2))
    print(
        f"{len(results) - len(failed)}/{len(results)} checks passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
