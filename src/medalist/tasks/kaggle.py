"""Download a Kaggle competition's files into a task's raw/ folder (never prompts, clear one-line errors).

Uses the ``kaggle`` package (``pip install 'medalist[kaggle]'``) with the credentials Kaggle's own client
reads: ``KAGGLE_USERNAME`` + ``KAGGLE_KEY``, or ``kaggle.json`` in ``KAGGLE_CONFIG_DIR``, ``~/.kaggle`` or
``~/.config/kaggle``. The network boundary is the API object's ``competition_download_files`` method.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Protocol

import yaml

from medalist.errors import MedalistError

CREDENTIALS_HINT = (
    "create an API token at https://www.kaggle.com/settings (API > Create New Token) and save it as "
    "~/.kaggle/kaggle.json (chmod 600), or set KAGGLE_USERNAME and KAGGLE_KEY"
)


class KaggleClient(Protocol):
    """The part of ``kaggle.api.kaggle_api_extended.KaggleApi`` medalist uses."""

    def competition_download_files(
        self, competition: str, path: str | None = ..., force: bool = ..., quiet: bool = ...
    ) -> Any: ...


def credential_locations() -> list[Path]:
    """Where a ``kaggle.json`` is looked for, in order."""
    out = []
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        out.append(Path(os.environ["KAGGLE_CONFIG_DIR"]).expanduser() / "kaggle.json")
    out += [Path("~/.kaggle/kaggle.json").expanduser(), Path("~/.config/kaggle/kaggle.json").expanduser()]
    return out


def has_credentials() -> bool:
    """True when the environment or a ``kaggle.json`` provides Kaggle credentials."""
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    return any(p.is_file() for p in credential_locations())


def make_client() -> KaggleClient:
    """An authenticated Kaggle API client; MedalistError if the package or the credentials are missing."""
    if not has_credentials():
        raise MedalistError(f"no Kaggle credentials found: {CREDENTIALS_HINT}")
    try:
        # Importing the package authenticates (and raises without credentials), so it happens only here.
        from kaggle.api.kaggle_api_extended import KaggleApi
    except ImportError as exc:
        raise MedalistError(
            f"the kaggle package is not installed ({exc}); run `pip install 'medalist[kaggle]'`"
        ) from None
    except (OSError, SystemExit) as exc:
        raise MedalistError(f"Kaggle credentials were rejected ({exc}); {CREDENTIALS_HINT}") from None
    api = KaggleApi()
    try:
        api.authenticate()
    except (OSError, SystemExit) as exc:
        raise MedalistError(f"Kaggle credentials were rejected ({exc}); {CREDENTIALS_HINT}") from None
    return api


def _http_status(exc: BaseException) -> int | None:
    """HTTP status of a Kaggle client error (old clients: ``.status``; new ones: ``.response.status_code``)."""
    for value in (getattr(exc, "status", None), getattr(getattr(exc, "response", None), "status_code", None)):
        if isinstance(value, int):
            return value
    return None


def md5_file(path: Path) -> str:
    """Hex MD5 of a file (the digest MLE-bench's ``checksums.yaml`` records for the Kaggle zip)."""
    h = hashlib.md5()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def expected_zip_md5(checksums: Path | None) -> str | None:
    """The ``zip`` entry of a checksums YAML, or None when there is no such file."""
    if checksums is None or not checksums.is_file():
        return None
    try:
        data = yaml.safe_load(checksums.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MedalistError(f"{checksums}: not valid YAML: {exc}") from None
    value = data.get("zip") if isinstance(data, dict) else None
    return str(value) if value else None


def _safe_extract(archive: Path, dest: Path) -> None:
    dest = dest.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                target = (dest / member).resolve()
                if target != dest and dest not in target.parents:
                    raise MedalistError(f"{archive.name}: refusing to extract {member!r} outside {dest}")
            zf.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise MedalistError(f"{archive}: downloaded file is not a valid zip ({exc})") from None


def download_competition(
    competition: str, raw_dir: Path, *, checksums: Path | None = None, client: KaggleClient | None = None
) -> list[Path]:
    """Download ``competition``'s files, verify the zip against ``checksums`` (if any), unzip into ``raw_dir``.

    The download lands in a temp folder beside ``raw_dir`` so a failed or mismatched download leaves
    ``raw_dir`` untouched. Returns the files now in ``raw_dir``.
    """
    raw_dir = Path(raw_dir)
    where = f"place the unzipped Kaggle download for {competition!r} in {raw_dir}"
    if client is None:
        try:
            client = make_client()
        except MedalistError as exc:
            raise MedalistError(f"raw data missing: {where}, or fix Kaggle access: {exc}") from None
    raw_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".kaggle-", dir=raw_dir.parent) as tmp:
        try:
            client.competition_download_files(competition, path=tmp, force=False, quiet=True)
        except MedalistError:
            raise
        except Exception as exc:
            status = _http_status(exc)
            if status == 403:
                raise MedalistError(
                    f"Kaggle refused the download of {competition!r} (403): accept the competition rules at "
                    f"https://www.kaggle.com/c/{competition}/rules with your Kaggle account, then retry"
                ) from None
            if status == 401:
                raise MedalistError(f"Kaggle rejected the credentials (401); {CREDENTIALS_HINT}") from None
            if status == 404:
                raise MedalistError(f"Kaggle has no competition {competition!r} (404)") from None
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise MedalistError(f"Kaggle download of {competition!r} failed: {first}") from None
        files = sorted(p for p in Path(tmp).iterdir() if p.is_file())
        if not files:
            raise MedalistError(f"Kaggle download of {competition!r} produced no files")
        zips = [p for p in files if p.suffix == ".zip"]
        expected = expected_zip_md5(checksums)
        if expected is not None:
            if len(zips) != 1:
                raise MedalistError(f"cannot check {checksums}: expected one zip from Kaggle, got {len(zips)}")
            actual = md5_file(zips[0])
            if actual != expected:
                raise MedalistError(
                    f"checksum mismatch for {zips[0].name}: md5 {actual}, expected {expected} (from {checksums}); "
                    "the Kaggle data changed or the download is corrupt"
                )
        for f in files:
            if f.suffix == ".zip":
                _safe_extract(f, raw_dir)
            else:
                shutil.move(str(f), raw_dir / f.name)
    return sorted(raw_dir.rglob("*"))
