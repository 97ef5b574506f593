"""The default backend: bubblewrap as an unprivileged user, inside a per-run cgroup.

What the sandbox sees (allow-list; nothing else from the host exists inside):

- ``/usr`` read-only, and ``/lib``, ``/lib64``, ``/bin``, ``/sbin`` mirrored as the host has them
  (symlinks into ``/usr`` on merged-usr systems, read-only binds otherwise);
- a few ``/etc`` files Python and common tools need (ld.so cache, nsswitch, hosts, ssl certs,
  alternatives) read-only, and a synthetic ``/etc/passwd`` + ``/etc/group`` naming only root and the
  sandbox user;
- the harness venv (``sys.prefix``) read-only at the same path so shebangs and ``.pth`` files work,
  plus the medalist source directory when medalist is an editable install;
- minus the paths the caller hides (``SandboxRequest.hide``, ``masks.py``): the runner hides the
  built-in task definitions and every file found to hold a task's raw data;
- the request's mounts (public data read-only, workspace read-write);
- fresh ``/proc`` (new pid namespace: host pids, including the harness, are invisible), a minimal
  ``/dev`` (plus exactly the run's GPU device nodes, see ``gpu.py``), a size-limited ``/tmp`` and ``/dev/shm`` (1777, needed by joblib), and a read-only root.

Namespaces: all of them (``--unshare-all``), so there is no network at all unless
``request.network``; ``--disable-userns`` stops nested user namespaces; ``--new-session`` stops
TIOCSTI terminal injection; ``--die-with-parent`` ties the sandbox to the harness.

Why drop to an unprivileged user: bwrap run as root gives root inside, which can remount read-only
binds writable. The child switches uid/gid (no supplementary groups) before exec; then a tiny ``sh``
gate waits until the harness has put it into the run's cgroup and set RLIMIT_FSIZE, and only then
execs bwrap, so every descendant starts inside the cgroup.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from medalist.errors import MedalistError
from medalist.fsutil import owner_tag, process_tempdir
from medalist.sandbox._supervise import DiskGuard, GiB, close_outputs, open_outputs, supervise
from medalist.sandbox.base import Mount, SandboxRequest, SandboxResult
from medalist.sandbox.cgroups import RUN_PREFIX, CgroupLayout, CgroupLimits, RunCgroup, detect_cgroups
from medalist.sandbox.gpu_binds import sandbox_setup
from medalist.sandbox.masks import mask_args

DEFAULT_USER = "medalist-sandbox"
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "localtime",
    "alternatives",
    "ssl",
    "ca-certificates",
    "mime.types",
)
TOP_LINKS = ("lib", "lib32", "lib64", "libx32", "bin", "sbin")
# Wait for the harness on stdin (cgroup attach), lower RLIMIT_FSIZE (512-byte blocks in dash and POSIX-mode
# bash; lowering needs no capability, unlike prlimit on another uid), then become bwrap.
GATE_SCRIPT = (
    "read -r _ || exit 125; exec </dev/null; "
    '[ -z "$MEDALIST_FSIZE_BLOCKS" ] || ulimit -f "$MEDALIST_FSIZE_BLOCKS" || exit 125; exec "$@"'
)
TMP_DEFAULT_BYTES = 2 * GiB


@dataclass(frozen=True)
class SandboxUser:
    """The unprivileged account sandboxed commands run as."""

    name: str
    uid: int
    gid: int


def find_sandbox_user(name: str | None = None) -> SandboxUser | None:
    """Look up the sandbox account (``MEDALIST_SANDBOX_USER`` or ``medalist-sandbox``); None if absent."""
    name = name or os.environ.get("MEDALIST_SANDBOX_USER", DEFAULT_USER)
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    return SandboxUser(name=name, uid=pw.pw_uid, gid=pw.pw_gid)


def _may(st: os.stat_result, user: SandboxUser, bit: int) -> bool:
    """Classic mode-bit check for ``user`` (bit: 4=r, 2=w, 1=x). ACLs are not consulted."""
    if user.uid == 0:
        return True
    if st.st_uid == user.uid:
        return bool(st.st_mode & (bit << 6))
    if st.st_gid == user.gid:
        return bool(st.st_mode & (bit << 3))
    return bool(st.st_mode & bit)


def check_access(path: Path, user: SandboxUser, *, write: bool = False, what: str = "path") -> None:
    """Raise MedalistError unless ``user`` can reach and read (and write) ``path`` on the host.

    Every ancestor needs search permission: e.g. anything under ``/root`` (mode 0700, where pyenv
    lives) is unreachable for the sandbox user however open the file itself is.
    """
    path = Path(os.path.abspath(path))
    if not path.exists():
        raise MedalistError(f"sandbox {what} does not exist: {path}")
    real = path.resolve()
    for parent in reversed(real.parents):
        if not _may(parent.stat(), user, 1):
            raise MedalistError(
                f"sandbox user {user.name} cannot reach {what} {path}: {parent} is not searchable by it "
                f"(mode {parent.stat().st_mode & 0o777:o}); move it to a world-readable location"
            )
    st = real.stat()
    need = [4] + ([1] if real.is_dir() else []) + ([2] if write else [])
    for bit in need:
        if not _may(st, user, bit):
            kind = {4: "read", 2: "write", 1: "list"}[bit]
            raise MedalistError(f"sandbox user {user.name} cannot {kind} {what} {path} (mode {st.st_mode & 0o777:o})")


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


@lru_cache(maxsize=1)
def harness_binds() -> tuple[Path, ...]:
    """Host dirs the harness python needs inside: the venv, and medalist's source if editable."""
    binds = [Path(sys.prefix)]
    import medalist

    src_root = Path(medalist.__file__).resolve().parent.parent
    if not any(_overlaps(src_root, b) for b in binds):
        binds.append(src_root)
    # A venv built from a python outside /usr (e.g. /opt/python) needs its base installation too.
    base = Path(sys.base_prefix).resolve()
    if not str(base).startswith("/usr") and base not in binds:
        binds.append(base)
    return tuple(binds)


def _root_args() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LINKS:
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    return args


@lru_cache(maxsize=None)
def build_etc_dir(user: SandboxUser) -> Path:
    """A private copy of the few ``/etc`` entries the sandbox needs, bound as ``/etc`` in one mount.

    One bind instead of a dozen keeps launch overhead down, and lets ``passwd``/``group`` name only
    root and the sandbox user. ``ssl/private`` (host keys) is never copied. Built once per harness
    process and user; removed at exit.
    """
    etc = process_tempdir("medalist-sandbox-etc-")
    for name in ETC_FILES:
        host = Path("/etc") / name
        dest = etc / name
        try:
            if host.is_symlink():
                dest.symlink_to(os.readlink(host))
            elif host.is_dir():
                shutil.copytree(host, dest, symlinks=True, ignore=shutil.ignore_patterns("private"))
            elif host.is_file():
                shutil.copy2(host, dest)
        except OSError:
            continue  # unreadable or vanished: the sandbox simply lacks it
    (etc / "passwd").write_text(
        f"root:x:0:0:root:/root:/usr/sbin/nologin\n{user.name}:x:{user.uid}:{user.gid}::/home:/usr/sbin/nologin\n"
    )
    (etc / "group").write_text(f"root:x:0:\n{user.name}:x:{user.gid}:\n")
    for dirpath, dirnames, filenames in os.walk(etc):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    etc.chmod(0o755)
    return etc


@dataclass
class BwrapSandbox:
    """Bubblewrap + cgroups. Needs root (to switch to the sandbox user and create cgroups)."""

    user: SandboxUser
    bwrap: str = "bwrap"
    layout: CgroupLayout | None = None
    name: str = "bwrap"
    isolates: bool = True

    @classmethod
    def create(cls, user: str | None = None) -> BwrapSandbox:
        """Build the backend, or raise MedalistError saying what is missing on this machine."""
        exe = shutil.which("bwrap")
        if exe is None:
            raise MedalistError("bubblewrap is not installed: run `bash scripts/setup.sh` (apt-get install bubblewrap)")
        if os.geteuid() != 0:
            raise MedalistError("the bwrap sandbox needs root to switch to the sandbox user and create cgroups")
        account = find_sandbox_user(user)
        if account is None:
            raise MedalistError(
                f"sandbox user {user or DEFAULT_USER!r} does not exist: run `bash scripts/setup.sh` as root"
            )
        layout = detect_cgroups()
        if layout.mode == "none" or not layout.writable():
            raise MedalistError(f"cgroups ({layout.mode}) are not writable here; the bwrap sandbox needs them")
        return cls(user=account, bwrap=exe, layout=layout)

    # ---- argv ------------------------------------------------------------------------------
    def build_argv(self, request: SandboxRequest) -> list[str]:
        """The full bwrap command line for ``request`` (no I/O besides permission checks)."""
        self._check_request(request)
        mem = request.limits.memory_gb
        tmp_size = int(mem * GiB) if mem is not None else TMP_DEFAULT_BYTES
        args = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--hostname",
            "sandbox",
        ]
        if request.network:
            args.append("--share-net")
        etc = build_etc_dir(self.user)
        if not etc.is_dir():  # removed under us (e.g. a /tmp cleaner): build a fresh one
            build_etc_dir.cache_clear()
            etc = build_etc_dir(self.user)
        args += _root_args()
        args += ["--ro-bind", str(etc), "/etc"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--size", str(tmp_size), "--tmpfs", "/tmp"]
        args += ["--size", str(tmp_size), "--perms", "1777", "--tmpfs", "/dev/shm"]
        for path in harness_binds():
            args += ["--ro-bind", str(path), str(path)]
        # Parents before children, so a mount at /home/data/x lands on top of /home/data.
        for m in sorted(request.mounts, key=lambda m: len(Path(m.target).parts)):
            args += ["--bind" if m.writable else "--ro-bind", str(Path(m.source).resolve()), m.target]
        gpu = sandbox_setup(request.gpus)  # exactly the run's GPU device nodes, driver libraries, nvidia-smi
        args += gpu.args
        binds = [(p, str(p)) for p in (Path("/usr"), *harness_binds())]
        binds += [(Path(m.source), m.target) for m in request.mounts if not m.writable]
        args += mask_args(binds, request.hide)  # what the caller hides (e.g. packaged raw data)
        cwd = request.cwd
        if not any(Path(m.target) in (Path(cwd), *Path(cwd).parents) for m in request.mounts):
            args += ["--dir", cwd]  # an empty (read-only after remount) directory to start in
        args += ["--remount-ro", "/", "--chdir", cwd]
        for key, value in gpu.apply_env(self._env(request)).items():
            args += ["--setenv", key, value]
        args += ["--", *request.argv]
        return args

    def _env(self, request: SandboxRequest) -> dict[str, str]:
        env = {
            "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "USER": self.user.name,
        }
        env.update(request.env)
        return env

    def _check_request(self, request: SandboxRequest) -> None:
        if not request.argv:
            raise MedalistError("sandbox request has an empty command")
        from medalist.paths import data_dir

        deny = [Path(os.path.abspath(p)) for p in request.deny]
        cache = Path(os.path.abspath(data_dir()))
        for path in harness_binds():
            check_access(path, self.user, what="harness directory")
        for path in [*harness_binds(), *(Path(m.source) for m in request.mounts)]:
            resolved = Path(os.path.abspath(path)).resolve()
            if _overlaps(resolved, cache.resolve()):
                raise MedalistError(
                    f"refusing to bind {path} into the sandbox: it overlaps the task cache {cache} (private answers)"
                )
            for d in deny:
                if _overlaps(resolved, d.resolve()):
                    raise MedalistError(f"refusing to bind {path} into the sandbox: it overlaps the denied path {d}")
        for m in request.mounts:
            if not m.target.startswith("/") or ".." in Path(m.target).parts:
                raise MedalistError(f"sandbox mount target must be an absolute path without '..': {m.target!r}")
            # Nothing on the host is chowned: a writable mount must already be writable by the sandbox user.
            check_access(Path(m.source), self.user, write=m.writable, what=f"mount {m.target}")

    # ---- run -------------------------------------------------------------------------------
    def run(self, request: SandboxRequest) -> SandboxResult:
        """Run ``request`` in bwrap under a fresh cgroup; always kill the whole tree before returning."""
        assert self.layout is not None
        lim = request.limits
        cg = RunCgroup(
            self.layout,
            f"{RUN_PREFIX}{owner_tag()}-{uuid.uuid4().hex[:12]}",
            CgroupLimits(
                memory_bytes=int(lim.memory_gb * GiB) if lim.memory_gb is not None else None,
                cpus=lim.cpus,
                pids=lim.pids,
            ),
        )
        gate_r, gate_w = os.pipe()
        try:
            argv = self.build_argv(request)
            guard = DiskGuard.start(request)
            cg.create()
            out, err = open_outputs(request)
            gate_env = {"PATH": "/usr/bin:/bin"}
            if lim.disk_gb is not None:
                gate_env["MEDALIST_FSIZE_BLOCKS"] = str(max(1, int(lim.disk_gb * GiB) // 512))
            started = time.monotonic()
            try:
                proc = subprocess.Popen(
                    ["/bin/sh", "-c", GATE_SCRIPT, "medalist-gate", *argv],
                    stdin=gate_r,  # the gate reads "go" from here, then switches to /dev/null
                    stdout=out,
                    stderr=err,
                    user=self.user.uid,
                    group=self.user.gid,
                    extra_groups=[],
                    start_new_session=True,
                    cwd="/",
                    env=gate_env,
                )
            finally:
                close_outputs(out, err)
                os.close(gate_r)
                gate_r = -1
            try:
                cg.attach(proc.pid)
                os.write(gate_w, b"go\n")
            except BaseException:
                cg.kill()
                proc.wait()
                raise
            finally:
                os.close(gate_w)
                gate_w = -1
            outcome = supervise(proc, started, lim.time_limit_secs, guard, cg.kill)
            cg.kill()  # daemons and stragglers, even after a clean exit
            oom = cg.oom_kills()
            result = SandboxResult(
                exit_code=outcome.returncode,
                exit_reason=outcome.reason,
                wall_seconds=outcome.wall_seconds,
                peak_memory_bytes=cg.peak_memory(),
                cpu_seconds=cg.cpu_seconds(),
                detail=outcome.detail,
                pids_limit_hits=cg.pids_limit_hits(),
            )
            if outcome.returncode == 125 and not outcome.detail:
                result.detail = "sandbox gate closed before start"
            if oom and outcome.reason == "exited" and outcome.returncode != 0:
                result.exit_reason, result.exit_code = "oom", 137
                result.detail = f"out of memory (limit {lim.memory_gb:g} GB); {oom} process(es) OOM-killed"
            elif oom:
                result.detail = (result.detail + "; " if result.detail else "") + f"{oom} process(es) OOM-killed"
            if result.pids_limit_hits:
                result.detail = (result.detail + "; " if result.detail else "") + (
                    f"pids limit {lim.pids} refused {result.pids_limit_hits} fork(s)"
                )
            return result
        finally:
            for fd in (gate_r, gate_w):
                if fd >= 0:
                    os.close(fd)
            try:
                cg.kill()
            finally:
                cg.remove()


def bwrap_usable(user: str | None = None) -> str | None:
    """None if the bwrap backend can run here, else a one-line reason (used by ``get_sandbox("auto")``)."""
    try:
        BwrapSandbox.create(user)
    except MedalistError as exc:
        return str(exc)
    return None


__all__ = ["BwrapSandbox", "SandboxUser", "bwrap_usable", "check_access", "find_sandbox_user", "Mount"]
