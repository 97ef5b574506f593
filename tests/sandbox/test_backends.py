"""Backend selection, the process backend's warning and timeout, and cgroup layout detection.

These need neither root nor bubblewrap.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from pathlib import Path

import pytest

import medalist.sandbox.process as process_mod
from medalist.errors import MedalistError
from medalist.sandbox import Limits, Mount, ProcessSandbox, SandboxRequest, get_sandbox
from medalist.sandbox.cgroups import detect_cgroups
from medalist.sandbox.process import map_path, mount_env_name


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(MedalistError, match="unknown sandbox backend 'docker'"):
        get_sandbox("docker")


def test_process_backend_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    process_mod._warned = False
    with caplog.at_level(logging.WARNING, logger="medalist.sandbox"):
        sb = get_sandbox("process")
        ProcessSandbox()
    warnings = [r for r in caplog.records if "does NOT isolate" in r.getMessage()]
    assert len(warnings) == 1
    assert sb.isolates is False and sb.name == "process"


def test_process_backend_maps_paths_and_kills_group_on_timeout(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    marker = f"proc-timeout-{uuid.uuid4().hex}"
    code = (
        "import os, subprocess, sys, time\n"
        "print(os.getcwd(), os.environ['MEDALIST_MOUNT_HOME_WORK'], sys.argv[1], flush=True)\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', {marker!r}])\n"
        "time.sleep(300)\n"
    )
    log = tmp_path / "out.log"
    started = time.monotonic()
    result = ProcessSandbox().run(
        SandboxRequest(
            argv=[sys.executable, "-c", code, "/home/work/sub.csv"],
            mounts=[Mount(ws, "/home/work", writable=True)],
            cwd="/home/work",
            limits=Limits(time_limit_secs=1.5),
            stdout=log,
        )
    )
    assert result.exit_reason == "timeout" and time.monotonic() - started < 10
    cwd, env_path, arg = log.read_text().split()
    assert cwd == env_path == str(ws.resolve()) and arg == str(ws.resolve() / "sub.csv")
    time.sleep(0.2)
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _has(p, marker)]
    assert alive == []


def _has(proc: Path, marker: str) -> bool:
    try:
        return marker.encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_mount_path_helpers() -> None:
    mounts = [Mount(Path("/srv/pub"), "/home/data"), Mount(Path("/srv/pub/x"), "/home/data/x")]
    assert mount_env_name("/home/data") == "MEDALIST_MOUNT_HOME_DATA"
    assert map_path("/home/data/a.csv", mounts) == "/srv/pub/a.csv"
    assert map_path("/home/data/x/b", mounts) == "/srv/pub/x/b"
    assert map_path("/home/database", mounts) is None


HYBRID = """\
30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
33 25 0:29 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
34 25 0:30 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd
"""
V2 = "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"


def test_detect_cgroup_layouts(tmp_path: Path) -> None:
    f = tmp_path / "mountinfo"
    f.write_text(HYBRID)
    hybrid = detect_cgroups(f)
    assert hybrid.mode == "hybrid"
    assert hybrid.unified == Path("/sys/fs/cgroup/unified")
    assert hybrid.v1["cpu"] == hybrid.v1["cpuacct"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert "systemd" not in hybrid.v1
    f.write_text(V2)
    assert detect_cgroups(f).mode == "v2"
    f.write_text("")
    assert detect_cgroups(f).mode == "none"
