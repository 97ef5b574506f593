"""Is a prepared task intact? A cheap check for every run and grading, a full one on request.

- ``quick_check`` (every run, every grading): one ``stat`` per file compared with a cached fingerprint
  (size, mtime), the SHA-256 of files whose stat changed, and the SHA-256 of the answers file, always.
  Cost: milliseconds per thousand files, whatever their size, plus the answers file.
- ``full_check`` (``medalist verify``): the SHA-256 of every file against the manifest written when the
  task was prepared, and, for MLE-bench competitions, the md5 of their top-level files against the
  competition's ``checksums.yaml``.

External (prepared-only) data has no manifest of medalist's until first use: :func:`record_external`
then records its fingerprint and the SHA-256 of the answers (and of a private sample submission), in
medalist's own state folder; ``medalist verify`` completes the record with every file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timezone

from pydantic import BaseModel

from medalist import __version__
from medalist.configfile import read_yaml
from medalist.errors import MedalistError
from medalist.fsutil import atomic_write_json, file_digests, sha256_file, tree_stats
from medalist.tasks.cache import PreparedTask, PrepareManifest
from medalist.tasks.mlebench import is_mlebench_task

# MLE-bench's checksums.yaml covers the files directly under public/ and private/ with these extensions.
MLEBENCH_CHECKSUM_EXTS = (".csv", ".json", ".jsonl", ".parquet", ".bson")


class Fingerprint(BaseModel):
    """Size and mtime (ns) of every prepared file, tied to one manifest: the cheap per-run check."""

    manifest_sha256: str
    files: dict[str, tuple[int, int]]


def current_files(pt: PreparedTask) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under public/ and private/, keyed ``public/<path>`` / ``private/<path>``."""
    out = {f"public/{k}": v for k, v in tree_stats(pt.public).items()}
    out.update({f"private/{k}": v for k, v in tree_stats(pt.private).items()})
    return out


def _manifest_sha(pt: PreparedTask) -> str:
    return hashlib.sha256(pt.manifest_path.read_bytes()).hexdigest()


def _load_fingerprint(pt: PreparedTask) -> Fingerprint | None:
    """The cached fingerprint, if it belongs to the current manifest (plain JSON: it is read on every run)."""
    try:
        data = json.loads(pt.fingerprint_path.read_text())
        fp = Fingerprint.model_construct(
            manifest_sha256=str(data["manifest_sha256"]),
            files={str(k): (int(v[0]), int(v[1])) for k, v in data["files"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return fp if fp.manifest_sha256 == _manifest_sha(pt) else None


def record_fingerprint(pt: PreparedTask, files: dict[str, tuple[int, int]] | None = None) -> None:
    """Remember the current size and mtime of every file (after they were hashed and found intact)."""
    files = current_files(pt) if files is None else files
    atomic_write_json(pt.fingerprint_path, Fingerprint(manifest_sha256=_manifest_sha(pt), files=files))


def _path(pt: PreparedTask, key: str):
    part, _, rel = key.partition("/")
    return (pt.public if part == "public" else pt.private) / rel


def quick_check(pt: PreparedTask) -> list[str]:
    """Cheap verification (see module doc); returns human-readable problems (empty = intact)."""
    if not pt.is_prepared():
        return [f"task {pt.spec.id!r} is not prepared"]
    manifest = pt.manifest()
    hashes = manifest.hashes()
    now = current_files(pt)
    fp = _load_fingerprint(pt)
    expected = set(hashes) if manifest.complete else (set(fp.files) if fp else set(now))
    found: dict[str, str] = {k: "is missing" for k in expected - set(now)}
    found |= {k: "is not in the manifest" for k in set(now) - expected}
    known = dict(fp.files) if fp else {}
    answers = f"private/{pt.spec.answers}"
    unchanged = fp is not None and fp.files == now  # the common case: one dict comparison, then the answers
    for key in [answers] if unchanged else sorted(set(now) & expected):
        if known.get(key) == now[key] and key != answers:
            continue
        if key in hashes:
            if sha256_file(_path(pt, key)) == hashes[key]:
                known[key] = now[key]
            else:
                found[key] = "checksum mismatch"
        elif fp is None:  # external data, fingerprint lost: nothing to compare with, so take it as it is
            known[key] = now[key]
        else:  # external data not yet fully hashed: only its size and mtime were recorded
            found[key] = "changed since medalist first used it (size or modification time)"
    if answers not in now:
        found[answers] = "is missing"
    problems = _ordered(found)
    if not problems and known != (fp.files if fp else None):
        record_fingerprint(pt, {k: now[k] for k in sorted(known)})
    return problems


def _ordered(found: dict[str, str]) -> list[str]:
    """Problems as lines, public files first, each part by path."""
    return [f"{k} {msg}" for k, msg in sorted(found.items(), key=lambda kv: (kv[0].startswith("private/"), kv[0]))]


def full_check(pt: PreparedTask, *, update: bool = False) -> list[str]:
    """Hash every file and compare with the manifest (and MLE-bench's checksums.yaml where it has one).

    External data: files not hashed before are hashed and recorded (the manifest becomes complete);
    ``update`` re-records the manifest from the files as they are now (after you re-ran ``mlebench prepare``).
    """
    if not pt.is_prepared():
        return [f"task {pt.spec.id!r} is not prepared"]
    manifest = pt.manifest()
    now = current_files(pt)
    reference = mlebench_reference(pt)
    digests = {}
    for key in now:
        algos = ("sha256", "md5") if key in reference else ("sha256",)
        digests[key] = file_digests(_path(pt, key), algos)
    recorded = {} if (update and pt.external) else manifest.hashes()
    expected = set(recorded) if (manifest.complete and recorded) else set(now)
    found: dict[str, str] = {k: "is missing" for k in expected - set(now)}
    found |= {k: "is not in the manifest" for k in set(now) - expected}
    found |= {k: "checksum mismatch" for k in set(now) & set(recorded) if digests[k]["sha256"] != recorded[k]}
    found |= {
        k: f"differs from MLE-bench's checksums.yaml (md5 {digests[k]['md5']}, expected {md5})"
        for k, md5 in reference.items()
        if k in digests and digests[k]["md5"] != md5
    }
    found |= {k: "is missing (listed in MLE-bench's checksums.yaml)" for k in set(reference) - set(now)}
    problems = _ordered(found)
    if problems:
        return problems
    if pt.external and (update or not manifest.complete):
        _write_external_manifest(pt, {k: d["sha256"] for k, d in digests.items()}, complete=True)
    record_fingerprint(pt, now)
    return []


def mlebench_reference(pt: PreparedTask) -> dict[str, str]:
    """md5 of top-level public/private files from an MLE-bench competition's checksums.yaml (else {})."""
    spec = pt.spec
    if spec.kaggle_checksums is None or not is_mlebench_task(spec):
        return {}
    path = spec.directory / spec.kaggle_checksums
    data = read_yaml(path) if path.is_file() else None
    if not isinstance(data, dict):
        return {}
    out = {}
    for part in ("public", "private"):
        for name, md5 in (data.get(part) or {}).items():
            if isinstance(md5, str) and name.endswith(MLEBENCH_CHECKSUM_EXTS):
                out[f"{part}/{name}"] = md5
    return out


def _write_external_manifest(pt: PreparedTask, hashes: dict[str, str], *, complete: bool, seconds: float = 0.0) -> None:
    manifest = PrepareManifest(
        task_id=pt.spec.id,
        data_version=pt.spec.data_version,
        medalist_version=__version__,
        prepared_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=round(seconds, 3),
        public={k.removeprefix("public/"): v for k, v in hashes.items() if k.startswith("public/")},
        private={k.removeprefix("private/"): v for k, v in hashes.items() if k.startswith("private/")},
        external=str(pt.root),
        complete=complete,
    )
    atomic_write_json(pt.manifest_path, manifest)


def record_external(pt: PreparedTask) -> None:
    """First use of prepared-only data: record its fingerprint and the SHA-256 of the answers (and of a
    private sample submission) in medalist's state folder. Nothing in the data folder is written."""
    start = time.perf_counter()
    if not pt.answers_path.is_file():
        raise MedalistError(
            f"task {pt.spec.id!r}: {pt.answers_path} does not exist; the MLE-bench data dir {pt.root.parent} "
            f"must hold {pt.spec.id}/prepared/private/{pt.spec.answers} (run `mlebench prepare -c {pt.spec.id}`)"
        )
    sample = pt.sample_submission_path
    if sample is not None and not sample.is_file():
        raise MedalistError(f"task {pt.spec.id!r}: the prepared data has no sample submission {sample}")
    keys = [f"private/{pt.spec.answers}"]
    if pt.spec.private_sample_submission:
        keys.append(f"private/{pt.spec.private_sample_submission}")
    hashes = {k: sha256_file(_path(pt, k)) for k in keys}
    _write_external_manifest(pt, hashes, complete=False, seconds=time.perf_counter() - start)
    record_fingerprint(pt)
