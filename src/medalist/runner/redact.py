"""Scrub secret values from files a run leaves behind (logs the harness keeps)."""

from __future__ import annotations

from pathlib import Path

REDACTED = b"[REDACTED]"
MAX_BYTES = 64 << 20


def redact_files(root: Path, secrets: list[str]) -> list[Path]:
    """Replace every occurrence of each secret in files under ``root`` (up to 64 MB each); returns the
    files changed. Submissions are scrubbed too: a secret has no business in any run artefact."""
    needles = sorted({s.encode() for s in secrets if s}, key=len, reverse=True)
    changed: list[Path] = []
    if not needles:
        return changed
    for path in Path(root).rglob("*"):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_BYTES:
            continue
        data = path.read_bytes()
        new = data
        for n in needles:
            new = new.replace(n, REDACTED)
        if new != data:
            path.write_bytes(new)
            changed.append(path)
    return changed
