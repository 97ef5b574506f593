"""Attacks an agent could try from inside the bwrap sandbox; each must fail and the harness survive.

Every test runs real code in the real sandbox (bubblewrap as ``medalist-sandbox`` in a cgroup). They
need root and bubblewrap, as in CI; elsewhere the ``bwrap`` fixture skips them with the reason.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from medalist.errors import MedalistError
from medalist.sandbox import BwrapSandbox, Limits, Mount, SandboxRequest, SandboxResult
from medalist.sandbox.cgroups import PARENT_NAME, detect_cgroups

pytestmark = pytest.mark.sandbox

SECRET = "SECRET-ANSWER-7f3a9c"


def pids_with_marker(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (to prove a process tree is gone)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
        except OSError:
            continue
    return found


def assert_harness_alive() -> None:
    """The harness can still fork, exec and write a file after whatever the sandbox did."""
    assert subprocess.run(["true"], check=False).returncode == 0
    with tempfile.NamedTemporaryFile(dir="/tmp") as fh:
        fh.write(b"x" * 65536)
        fh.flush()


def assert_no_leftover_cgroups() -> None:
    layout = detect_cgroups()
    roots = [*layout.v1.values(), *([layout.unified] if layout.unified else [])]
    mine = f"run-{os.getpid()}-"
    left = [p for r in roots for p in (r / PARENT_NAME).glob(f"{mine}*")]
    assert left == [], f"run cgroups not removed: {left}"


def py(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def run_py(sb: BwrapSandbox, box: Path, code: str, **kw: object) -> tuple[SandboxResult, str, Path]:
    """Run python ``code`` with public data ro at /home/data and a workspace rw at /home/work."""
    public = box / "public"
    work = box / "work"
    public.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    work.chmod(0o777)  # writable by the sandbox user: the harness never chowns host folders
    (public / "train.csv").write_text("id,y\n1,0\n")
    public.chmod(0o755)
    log = box / "out.log"
    limits = kw.pop("limits", Limits(memory_gb=0.5, cpus=1.0, pids=64, time_limit_secs=60))
    request = SandboxRequest(
        argv=py(code),
        mounts=[Mount(public, "/home/data"), Mount(work, "/home/work", writable=True)],
        cwd="/home/work",
        limits=limits,  # type: ignore[arg-type]
        stdout=log,
        **kw,  # type: ignore[arg-type]
    )
    result = sb.run(request)
    return result, log.read_text() if log.exists() else "", work


@pytest.fixture
def private(box: Path) -> Path:
    """A private answers file that is world-readable on the host: only the sandbox can hide it."""
    d = box / "private"
    d.mkdir()
    d.chmod(0o755)
    answers = d / "answers.csv"
    answers.write_text(f"id,y\n1,{SECRET}\n")
    answers.chmod(0o644)
    return answers


def test_runs_as_sandbox_user_with_mounts_and_measurements(bwrap: BwrapSandbox, box: Path) -> None:
    result, out, work = run_py(
        bwrap,
        box,
        """
        import os, json
        open("/home/work/made.txt", "w").write("ok")
        print(json.dumps({"uid": os.getuid(), "cwd": os.getcwd(), "data": open("/home/data/train.csv").read(),
                          "root": sorted(os.listdir("/")), "env": sorted(os.environ)}))
        """,
        env={"COMPETITION_ID": "demo"},
    )
    assert result.ok, (result, out)
    info = json.loads(out.strip().splitlines()[-1])
    assert info["uid"] == bwrap.user.uid != 0
    assert info["cwd"] == "/home/work"
    assert info["data"].startswith("id,y")
    venv_top = Path(sys.prefix).parts[1]  # the venv is bound at its host path; nothing else of the host is
    assert "root" not in info["root"] and venv_top in info["root"]
    assert "COMPETITION_ID" in info["env"] and not any(k.startswith("MEDALIST_DATA") for k in info["env"])
    assert (work / "made.txt").read_text() == "ok"
    assert result.peak_memory_bytes and result.peak_memory_bytes > 1 << 20
    assert result.cpu_seconds is not None and result.cpu_seconds > 0
    assert_no_leftover_cgroups()


def test_private_answers_unreachable(bwrap: BwrapSandbox, box: Path, private: Path) -> None:
    """By path, via /proc/<harness pid>/root, /proc/1/root, a planted symlink, or by searching."""
    work = box / "work"
    work.mkdir()
    (work / "planted").symlink_to(private)  # a symlink placed in the workspace before the run
    result, out, _ = run_py(
        bwrap,
        box,
        f"""
        import os, json
        target = {str(private)!r}
        tries = {{
            "path": target,
            "harness_proc_root": "/proc/{os.getpid()}/root" + target,
            "proc1_root": "/proc/1/root" + target,
            "planted_symlink": "/home/work/planted",
            "proc1_cwd": "/proc/1/cwd/" + os.path.basename(target),
        }}
        os.symlink(target, "/home/work/made_inside")
        tries["symlink_made_inside"] = "/home/work/made_inside"
        got = {{}}
        for name, path in tries.items():
            try:
                got[name] = open(path).read()
            except OSError as exc:
                got[name] = type(exc).__name__
        found = []
        for top in ("/home", "/tmp", "/etc", "/dev", "/work"):
            for dirpath, dirs, files in os.walk(top):
                found += [os.path.join(dirpath, f) for f in files if f == "answers.csv"]
        got["search"] = found
        got["visible_pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        print(json.dumps(got))
        """,
    )
    assert result.ok, (result, out)
    assert SECRET not in out
    got = json.loads(out.strip().splitlines()[-1])
    for name in ("path", "harness_proc_root", "proc1_root", "planted_symlink", "proc1_cwd", "symlink_made_inside"):
        assert got[name] in ("FileNotFoundError", "PermissionError", "NotADirectoryError"), (name, got[name])
    assert got["search"] == []
    assert max(got["visible_pids"]) < 100, "host pids must be invisible (fresh pid namespace)"


def test_refuses_to_bind_denied_or_unreadable_paths(bwrap: BwrapSandbox, box: Path, private: Path) -> None:
    """A mount overlapping a denied path, or one the sandbox user cannot read, is an error naming it."""
    with pytest.raises(MedalistError, match="denied path"):
        bwrap.run(SandboxRequest(argv=["true"], mounts=[Mount(box, "/home/data")], deny=[private.parent]))
    hidden = box / "hidden"
    (hidden / "data").mkdir(parents=True)
    hidden.chmod(0o700)  # like /root, where pyenv lives
    with pytest.raises(MedalistError, match=str(hidden)):
        bwrap.run(SandboxRequest(argv=["true"], mounts=[Mount(hidden / "data", "/home/data")]))


def test_no_network_to_host_loopback(bwrap: BwrapSandbox, box: Path) -> None:
    """A TCP listener on the host's 127.0.0.1 and an abstract unix socket are both unreachable."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.setblocking(False)
    port = tcp.getsockname()[1]
    abstract = f"\0medalist-test-{uuid.uuid4().hex}"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(abstract)
    unix.listen(8)
    unix.setblocking(False)
    try:
        result, out, _ = run_py(
            bwrap,
            box,
            f"""
            import socket, json
            got = {{}}
            for name, fam, addr in (("tcp", socket.AF_INET, ("127.0.0.1", {port})),
                                    ("unix", socket.AF_UNIX, {abstract!r})):
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(3)
                try:
                    s.connect(addr)
                    got[name] = "connected"
                except OSError as exc:
                    got[name] = type(exc).__name__
            got["ifaces"] = [n for _, n in socket.if_nameindex()]
            print(json.dumps(got))
            """,
        )
        assert result.ok, (result, out)
        got = json.loads(out.strip().splitlines()[-1])
        assert got["tcp"] != "connected" and got["unix"] != "connected", got
        assert set(got["ifaces"]) <= {"lo"}, got
        for listener in (tcp, unix):
            with pytest.raises(BlockingIOError):
                listener.accept()  # nobody ever connected
    finally:
        tcp.close()
        unix.close()


def test_writes_outside_workspace_fail(bwrap: BwrapSandbox, box: Path) -> None:
    """Public data, /usr, the venv, /etc and the sandbox root are read-only; remount is refused."""
    venv_file = Path(sys.prefix) / "medalist-sandbox-probe"
    result, out, work = run_py(
        bwrap,
        box,
        f"""
        import os, json, subprocess
        got = {{}}
        for path in ("/home/data/train.csv", "/home/data/new.csv", "/usr/medalist-probe", {str(venv_file)!r},
                     "/etc/passwd", "/medalist-probe", "/home/medalist-probe"):
            try:
                with open(path, "a") as fh:
                    fh.write("pwned")
                got[path] = "written"
            except OSError as exc:
                got[path] = type(exc).__name__
        r = subprocess.run(["mount", "-o", "remount,rw,bind", "/home/data"], capture_output=True)
        got["remount"] = r.returncode
        r = subprocess.run(["unshare", "-Ur", "true"], capture_output=True)
        got["nested_userns"] = r.returncode
        open("/home/work/ok.txt", "w").write("fine")
        print(json.dumps(got))
        """,
    )
    assert result.ok, (result, out)
    got = json.loads(out.strip().splitlines()[-1])
    written = [k for k, v in got.items() if v == "written"]
    assert written == [], got
    assert got["remount"] != 0 and got["nested_userns"] != 0, got
    assert (box / "public" / "train.csv").read_text() == "id,y\n1,0\n"
    assert not (box / "public" / "new.csv").exists() and not venv_file.exists()
    assert (work / "ok.txt").read_text() == "fine"


def test_fork_bomb_stopped_by_pids_limit(bwrap: BwrapSandbox, box: Path) -> None:
    marker = f"forkbomb-{uuid.uuid4().hex}"
    log = box / "bomb.log"
    started = time.monotonic()
    result = bwrap.run(
        SandboxRequest(
            argv=["/bin/sh", "-c", f"b() {{ b | b & }}; b; sleep 30 # {marker}"],
            limits=Limits(memory_gb=0.25, cpus=0.5, pids=64, time_limit_secs=3),
            stdout=log,
        )
    )
    assert time.monotonic() - started < 20
    assert result.pids_limit_hits and result.pids_limit_hits > 0, result
    assert result.exit_reason in ("timeout", "exited"), result
    assert pids_with_marker(marker) == []
    assert_harness_alive()
    assert_no_leftover_cgroups()


def test_memory_bomb_is_oom_killed(bwrap: BwrapSandbox, box: Path) -> None:
    result, out, _ = run_py(
        bwrap,
        box,
        """
        hog = []
        for _ in range(64):          # up to 1 GiB, 16 MiB at a time, every page touched
            hog.append(b"\\x01" * (16 << 20))
        print("survived", len(hog))
        """,
        limits=Limits(memory_gb=0.25, cpus=1.0, pids=64, time_limit_secs=60),
    )
    assert result.exit_reason == "oom", (result, out)
    assert result.exit_code == 137
    assert "survived" not in out
    assert result.peak_memory_bytes is not None and result.peak_memory_bytes <= int(0.25 * (1 << 30)) + (1 << 20)
    assert_harness_alive()
    assert_no_leftover_cgroups()


def test_disk_fill_is_bounded(bwrap: BwrapSandbox, box: Path) -> None:
    """One huge file hits RLIMIT_FSIZE; many files trip the workspace growth limit; /tmp is a small
    tmpfs. None of it touches the harness."""
    # (a) a single huge file in the workspace: the per-file limit stops it at disk_gb.
    result, out, work = run_py(
        bwrap,
        box,
        """
        import os
        try:
            with open("/home/work/huge.bin", "wb") as fh:
                for _ in range(200):
                    fh.write(b"\\0" * (1 << 20))
            print("wrote all")
        except OSError as exc:
            print("stopped", type(exc).__name__)
        """,
        limits=Limits(memory_gb=0.25, pids=64, time_limit_secs=30, disk_gb=16 / 1024),
    )
    assert "wrote all" not in out, (result, out)
    assert (work / "huge.bin").stat().st_size <= 16 << 20
    # (b) many files: the growth limit (scanned every 0.5 s) stops the run well before the 1 GiB cap.
    result, out, work = run_py(
        bwrap,
        box,
        """
        import os
        os.makedirs("/home/work/fill", exist_ok=True)
        for i in range(1024):
            with open(f"/home/work/fill/{i}.bin", "wb") as fh:
                fh.write(os.urandom(1 << 20))
        print("wrote all")
        """,
        limits=Limits(memory_gb=0.25, pids=64, time_limit_secs=60, disk_gb=32 / 1024),
    )
    assert result.exit_reason == "disk_limit" and "disk limit" in result.detail, (result, out)
    assert "wrote all" not in out
    written = sum(p.stat().st_size for p in (work / "fill").iterdir())
    assert written < 1024 << 20, written
    # (c) /tmp inside is a tmpfs sized to the memory limit: it fills up (or OOMs), the host /tmp does not.
    result, out, _ = run_py(
        bwrap,
        box,
        """
        n = 0
        try:
            with open("/tmp/fill.bin", "wb") as fh:
                for n in range(1024):
                    fh.write(b"\\0" * (1 << 20))
                    fh.flush()
            print("wrote all")
        except OSError as exc:
            print("stopped", n, type(exc).__name__)
        """,
        limits=Limits(memory_gb=0.125, pids=64, time_limit_secs=30, disk_gb=None),
    )
    assert "wrote all" not in out, (result, out)
    assert result.exit_reason in ("exited", "oom"), result
    assert_harness_alive()
    assert_no_leftover_cgroups()


def test_inode_flood_is_stopped_by_the_file_limit(bwrap: BwrapSandbox, box: Path) -> None:
    """200k empty files use no disk blocks but exhaust inodes: the file limit stops the run early, and
    what the host keeps of the workspace stays near that limit."""
    result, out, work = run_py(
        bwrap,
        box,
        """
        import os
        os.makedirs("/home/work/flood", exist_ok=True)
        for n in range(200_000):
            open(f"/home/work/flood/{n}", "w").close()
        print("wrote all")
        """,
        limits=Limits(memory_gb=0.25, pids=64, time_limit_secs=120, max_files=2000),
    )
    assert result.exit_reason == "file_limit" and "file limit" in result.detail, (result, out)
    assert "wrote all" not in out
    kept = sum(1 for _ in (work / "flood").iterdir())
    assert 2000 < kept < 40_000, kept
    assert_harness_alive()
    assert_no_leftover_cgroups()


def test_double_forked_daemon_dies_with_the_run(bwrap: BwrapSandbox, box: Path) -> None:
    marker = f"daemon-{uuid.uuid4().hex}"
    result, out, work = run_py(
        bwrap,
        box,
        f"""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c",
                         "open('/home/work/daemon.up', 'w').close()\\nimport time\\ntime.sleep(300)", {marker!r}])
            os._exit(0)
        for _ in range(200):
            if os.path.exists("/home/work/daemon.up"):
                break
            time.sleep(0.05)
        print("daemon up", os.path.exists("/home/work/daemon.up"))
        """,
    )
    assert result.ok, (result, out)
    assert "daemon up True" in out
    assert pids_with_marker(marker) == []
    assert_no_leftover_cgroups()


def test_timeout_kills_the_whole_tree(bwrap: BwrapSandbox, box: Path) -> None:
    marker = f"timeout-{uuid.uuid4().hex}"
    started = time.monotonic()
    result, out, _ = run_py(
        bwrap,
        box,
        f"""
        import subprocess, sys, time
        for _ in range(3):
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", {marker!r}],
                             start_new_session=True)
        print("children started", flush=True)
        time.sleep(300)
        """,
        limits=Limits(memory_gb=0.5, pids=64, time_limit_secs=2),
    )
    assert result.exit_reason == "timeout", result
    assert 2 <= result.wall_seconds < 10
    assert time.monotonic() - started < 15
    assert "children started" in out
    assert pids_with_marker(marker) == []
    assert_harness_alive()
    assert_no_leftover_cgroups()


def test_answers_cannot_be_rebuilt_from_task_code_or_packaged_datasets(bwrap: BwrapSandbox, box: Path) -> None:
    """The built-in tasks' prepare scripts and the raw data inside dataset packages are hidden, while
    the packages themselves (and scikit-learn) still import."""
    from medalist.tasks.hidden import hidden_paths
    from medalist.tasks.registry import BUILTIN_DIR

    host_penguins = BUILTIN_DIR / "penguins-species" / "prepare.py"
    assert host_penguins.is_file() and BUILTIN_DIR.resolve() in hidden_paths()
    result, out, _ = run_py(
        bwrap,
        box,
        f"""
        import json, os
        probes = {{}}
        probes["task_dir_listing"] = os.listdir({str(BUILTIN_DIR)!r})
        probes["prepare_script"] = os.path.exists({str(host_penguins)!r})
        import sklearn.datasets, palmerpenguins, sklearn.ensemble  # imports still work
        for name, load in [("breast_cancer", lambda: sklearn.datasets.load_breast_cancer()),
                           ("penguins", lambda: palmerpenguins.load_penguins())]:
            try:
                load()
                probes[name] = "loaded"
            except Exception as exc:
                probes[name] = type(exc).__name__
        print(json.dumps(probes))
        """,
        limits=Limits(memory_gb=1.0, cpus=1.0, pids=64, time_limit_secs=120),
        hide=hidden_paths(),  # what the runner passes (the sandbox itself imports no task code)
    )
    assert result.ok, (result, out)
    probes = json.loads(out.strip().splitlines()[-1])
    assert probes["task_dir_listing"] == [] and probes["prepare_script"] is False
    assert probes["breast_cancer"] != "loaded" and probes["penguins"] != "loaded", probes
