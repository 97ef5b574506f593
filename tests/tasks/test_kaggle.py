"""Kaggle downloads, tested up to the network boundary: the API client is a fake object."""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import re
import sys
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from medalist.errors import MedalistError
from medalist.tasks import kaggle
from medalist.tasks.kaggle import download_competition, has_credentials, make_client
from medalist.tasks.prepare import prepare_task, task_cache
from medalist.tasks.spec import load_task_spec

TRAIN_CSV = b"id,x,label\n" + b"".join(f"{i},{i * 0.5},{'a' if i % 2 else 'b'}\n".encode() for i in range(40))


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


class HTTPError(Exception):
    """Shaped like the errors of newer kaggle clients (requests.HTTPError with a response)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.response = type("Response", (), {"status_code": status})()


class ApiException(Exception):
    """Shaped like the errors of older kaggle clients (kaggle.rest.ApiException with .status)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"({status})\nReason: {reason}")
        self.status = status


class FakeKaggle:
    """Stands in for KaggleApi: records calls and writes ``<competition>.zip`` where asked, or raises."""

    def __init__(self, payload: bytes | None = None, error: Exception | None = None) -> None:
        self.payload = payload if payload is not None else zip_bytes({"train.csv": TRAIN_CSV})
        self.error = error
        self.calls: list[tuple[str, str | None]] = []

    def competition_download_files(
        self, competition: str, path: str | None = None, force: bool = False, quiet: bool = True
    ) -> None:
        self.calls.append((competition, path))
        if self.error is not None:
            raise self.error
        Path(path or ".", f"{competition}.zip").write_bytes(self.payload)


@pytest.fixture(autouse=True)
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME and no KAGGLE_* variables; stdin prompts fail the test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MEDALIST_DATA_DIR", str(tmp_path / "cache"))

    def no_prompt(*_: object) -> str:
        raise AssertionError("medalist must never prompt")

    monkeypatch.setattr(builtins, "input", no_prompt)
    return home


def test_credentials_from_env_or_kaggle_json(
    no_credentials: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert not has_credentials()
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    assert not has_credentials()  # a username alone is not enough
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    assert has_credentials()
    monkeypatch.delenv("KAGGLE_KEY")
    (no_credentials / ".kaggle").mkdir()
    (no_credentials / ".kaggle" / "kaggle.json").write_text(json.dumps({"username": "u", "key": "k"}))
    assert has_credentials()
    (no_credentials / ".kaggle" / "kaggle.json").unlink()
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "cfg"))
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "kaggle.json").write_text("{}")
    assert has_credentials()


def test_missing_credentials_say_where_to_put_them() -> None:
    with pytest.raises(MedalistError) as err:
        make_client()
    msg = str(err.value)
    assert "\n" not in msg and "~/.kaggle/kaggle.json" in msg and "KAGGLE_USERNAME and KAGGLE_KEY" in msg


def test_missing_kaggle_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAGGLE_USERNAME", "u")
    monkeypatch.setenv("KAGGLE_KEY", "k")
    monkeypatch.setitem(sys.modules, "kaggle", None)  # import kaggle -> ImportError
    monkeypatch.setitem(sys.modules, "kaggle.api", None)
    monkeypatch.setitem(sys.modules, "kaggle.api.kaggle_api_extended", None)
    with pytest.raises(MedalistError, match=r"pip install 'medalist\[kaggle\]'"):
        make_client()


def test_download_unzips_into_raw_and_leaves_nothing_else(tmp_path: Path) -> None:
    raw = tmp_path / "task" / "raw"
    payload = zip_bytes({"train.csv": TRAIN_CSV, "images/0001.txt": b"pixels"})
    client = FakeKaggle(payload)
    files = download_competition("toy-comp", raw, client=client)
    assert client.calls[0][0] == "toy-comp"
    assert (raw / "train.csv").read_bytes() == TRAIN_CSV and (raw / "images" / "0001.txt").read_bytes() == b"pixels"
    assert raw / "train.csv" in files and not list(raw.glob("*.zip"))
    assert sorted(p.name for p in raw.parent.iterdir()) == ["raw"]  # the temp download folder is gone


def test_checksum_match_and_mismatch(tmp_path: Path) -> None:
    payload = zip_bytes({"train.csv": TRAIN_CSV})
    good = tmp_path / "checksums.yaml"
    good.write_text(f"zip: {hashlib.md5(payload).hexdigest()}\npublic: {{}}\nprivate: {{}}\n")
    download_competition("toy-comp", tmp_path / "a" / "raw", checksums=good, client=FakeKaggle(payload))
    assert (tmp_path / "a" / "raw" / "train.csv").is_file()

    bad = tmp_path / "bad.yaml"
    bad.write_text("zip: 0123456789abcdef0123456789abcdef\n")
    raw = tmp_path / "b" / "raw"
    with pytest.raises(
        MedalistError, match=r"checksum mismatch for toy-comp.zip: md5 [0-9a-f]{32}, expected 0123"
    ) as err:
        download_competition("toy-comp", raw, checksums=bad, client=FakeKaggle(payload))
    assert str(bad) in str(err.value) and "\n" not in str(err.value)
    assert not any(raw.iterdir())  # nothing extracted from a mismatched download
    # no checksums file: nothing to compare against, the download is accepted
    download_competition(
        "toy-comp", tmp_path / "c" / "raw", checksums=tmp_path / "absent.yaml", client=FakeKaggle(payload)
    )


@pytest.mark.parametrize("error", [HTTPError(403, "403 Client Error: Forbidden"), ApiException(403, "Forbidden")])
def test_unaccepted_rules_point_to_the_rules_page(tmp_path: Path, error: Exception) -> None:
    with pytest.raises(MedalistError) as err:
        download_competition("spaceship-titanic", tmp_path / "raw", client=FakeKaggle(error=error))
    msg = str(err.value)
    assert "https://www.kaggle.com/c/spaceship-titanic/rules" in msg and "403" in msg and "\n" not in msg


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (HTTPError(401, "Unauthorized"), "rejected the credentials (401)"),
        (ApiException(404, "Not Found"), "no competition 'nope' (404)"),
        (ConnectionError("Max retries exceeded\nwith url"), "download of 'nope' failed: Max retries exceeded"),
    ],
)
def test_other_api_errors_are_one_line(tmp_path: Path, error: Exception, expected: str) -> None:
    with pytest.raises(MedalistError, match=re.escape(expected)) as err:
        download_competition("nope", tmp_path / "raw", client=FakeKaggle(error=error))
    assert "\n" not in str(err.value)


def test_zip_entries_outside_raw_are_refused(tmp_path: Path) -> None:
    payload = zip_bytes({"../escape.txt": b"x"})
    with pytest.raises(MedalistError, match="refusing to extract '../escape.txt'"):
        download_competition("toy-comp", tmp_path / "t" / "raw", client=FakeKaggle(payload))
    assert not (tmp_path / "t" / "escape.txt").exists()


def write_task(root: Path, checksum: str | None) -> Path:
    task = root / "kaggle-toy"
    task.mkdir(parents=True)
    (task / "description.md").write_text("Predict label.\n")
    (task / "task.yaml").write_text(
        textwrap.dedent(f"""\
        id: kaggle-toy
        name: Kaggle toy
        task_type: binary-classification
        metric: accuracy
        target_columns: [label]
        kaggle_competition: toy-comp
        {"kaggle_checksums: checksums.yaml" if checksum else ""}
        """)
    )
    if checksum:
        (task / "checksums.yaml").write_text(f"zip: {checksum}\n")
    (task / "prepare.py").write_text(
        textwrap.dedent("""\
        import pandas as pd

        def prepare(raw, public, private):
            df = pd.read_csv(raw / "train.csv")
            train, test = df.iloc[:30], df.iloc[30:]
            train.to_csv(public / "train.csv", index=False)
            test.drop(columns=["label"]).to_csv(public / "test.csv", index=False)
            test[["id"]].assign(label="a").to_csv(public / "sample_submission.csv", index=False)
            test[["id", "label"]].to_csv(private / "answers.csv", index=False)
        """)
    )
    return task


def test_prepare_downloads_an_empty_raw_dir_through_the_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = zip_bytes({"train.csv": TRAIN_CSV})
    client = FakeKaggle(payload)
    monkeypatch.setattr(kaggle, "make_client", lambda: client)
    spec = load_task_spec(write_task(tmp_path / "tasks", hashlib.md5(payload).hexdigest()))
    pt = prepare_task(spec)
    assert client.calls and client.calls[0][0] == "toy-comp"
    assert (pt.raw / "train.csv").read_bytes() == TRAIN_CSV
    assert len(pd.read_csv(pt.answers_path)) == 10
    # raw data already there: no second download
    prepare_task(spec, force=True)
    assert len(client.calls) == 1


def test_prepare_without_credentials_or_raw_data_explains_both_fixes(tmp_path: Path) -> None:
    spec = load_task_spec(write_task(tmp_path / "tasks", None))
    with pytest.raises(MedalistError) as err:
        prepare_task(spec)
    msg = str(err.value)
    assert f"place the unzipped Kaggle download for 'toy-comp' in {task_cache(spec).raw}" in msg
    assert "~/.kaggle/kaggle.json" in msg and "\n" not in msg


def test_prepare_with_a_changed_kaggle_zip_fails_on_the_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kaggle, "make_client", lambda: FakeKaggle(zip_bytes({"train.csv": TRAIN_CSV + b"99,1,a\n"})))
    spec = load_task_spec(write_task(tmp_path / "tasks", hashlib.md5(b"the original zip").hexdigest()))
    with pytest.raises(MedalistError, match="checksum mismatch for toy-comp.zip"):
        prepare_task(spec)
    assert not task_cache(spec).is_prepared()
