"""Preparation: checksummed, deterministic, skipped when done, verified, forced, never half-built."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from pathlib import Path

import pytest

from medalist.errors import ConfigError, MedalistError
from medalist.tasks import ensure_prepared, load_task_spec, prepare_task, task_cache, verify_task

# A seeded generator: deterministic output; every call is counted in CALLS (outside the cache).
PREPARE = """\
import time
from pathlib import Path

import numpy as np

CALLS = Path({calls!r})


def prepare(raw, public, private, rows=50, sleep=0.0, fail=False):
    with open(CALLS, "a") as fh:
        fh.write("x")
    time.sleep(sleep)
    rng = np.random.default_rng(7)
    x = rng.normal(size=rows)
    y = (x + rng.normal(scale=0.5, size=rows) > 0).astype(int)
    (public / "train.csv").write_text("id,x,y\\n" + "".join(f"{{i}},{{x[i]:.6f}},{{y[i]}}\\n" for i in range(rows)))
    (public / "sample_submission.csv").write_text("id,y\\n" + "".join(f"{{i}},0.5\\n" for i in range(rows)))
    if fail:
        raise RuntimeError("simulated crash halfway")
    (private / "answers.csv").write_text("id,y\\n" + "".join(f"{{i}},{{y[i]}}\\n" for i in range(rows)))
"""


def make_task(
    folder: Path, *, prepare_src: str | None = None, extra_yaml: str = "", task_id: str = "prep-task"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    calls = folder / "calls.txt"
    (folder / "prepare.py").write_text(prepare_src if prepare_src is not None else PREPARE.format(calls=str(calls)))
    (folder / "description.md").write_text("# Prep task\nPredict y.\n")
    (folder / "task.yaml").write_text(
        textwrap.dedent(
            f"""\
            id: {task_id}
            name: prep task
            task_type: binary-classification
            metric: roc_auc
            target_columns: [y]
            """
        )
        + extra_yaml
    )
    return folder


def calls(folder: Path) -> int:
    path = folder / "calls.txt"
    return len(path.read_text()) if path.exists() else 0


@pytest.fixture
def task(tmp_path):
    folder = make_task(tmp_path / "task")
    return folder, load_task_spec(folder), tmp_path / "cache"


def test_prepare_writes_public_private_and_manifest(task):
    folder, spec, cache = task
    pt = prepare_task(spec, cache_root=cache)
    assert pt.root == cache / "prep-task"
    assert pt.is_prepared()
    m = pt.manifest()
    assert sorted(m.public) == ["description.md", "sample_submission.csv", "train.csv"]
    assert sorted(m.private) == ["answers.csv"]
    assert all(len(h) == 64 for h in {**m.public, **m.private}.values())
    assert m.task_id == "prep-task" and m.data_version == "1"
    assert (pt.public / "description.md").read_text() == (folder / "description.md").read_text()
    assert pt.answers_path.read_text().startswith("id,y\n")
    assert verify_task(pt) == []
    assert not list(pt.root.glob(".prepare-*")), "no staging folder is left behind"
    assert json.loads(pt.manifest_path.read_text())["public"] == m.public


def test_default_cache_is_medalist_data_dir(task, medalist_data_dir):
    _, spec, _ = task
    assert task_cache(spec).root == medalist_data_dir.resolve() / "prep-task"


def test_prepare_is_deterministic(task):
    folder, spec, cache = task
    first = prepare_task(spec, cache_root=cache).manifest()
    second = prepare_task(spec, force=True, cache_root=cache).manifest()
    assert calls(folder) == 2
    assert first.public == second.public and first.private == second.private


def test_prepared_task_is_skipped_fast(task):
    folder, spec, cache = task
    prepare_task(spec, cache_root=cache)
    start = time.perf_counter()
    for _ in range(20):
        prepare_task(spec, cache_root=cache)
    assert calls(folder) == 1, "prepare ran again for a prepared task"
    assert time.perf_counter() - start < 0.5


def test_verify_detects_tampered_missing_and_extra_files(task):
    _, spec, cache = task
    pt = prepare_task(spec, cache_root=cache)
    pt.answers_path.write_text("id,y\n0,1\n")
    (pt.public / "train.csv").unlink()
    (pt.public / "leak.csv").write_text("x")
    assert verify_task(pt) == [
        "public/leak.csv is not in the manifest",
        "public/train.csv is missing",
        "private/answers.csv checksum mismatch",
    ]
    with pytest.raises(
        MedalistError, match=r"prepared data failed verification .*run `medalist prepare prep-task --force`"
    ):
        ensure_prepared(spec, cache_root=cache)


def test_verify_unprepared_task(task):
    _, spec, cache = task
    assert verify_task(task_cache(spec, cache)) == ["task 'prep-task' is not prepared"]


def test_force_repairs_a_tampered_task(task):
    folder, spec, cache = task
    pt = prepare_task(spec, cache_root=cache)
    good = pt.manifest()
    pt.answers_path.write_text("tampered")
    pt = prepare_task(spec, force=True, cache_root=cache)
    assert verify_task(pt) == [] and pt.manifest().private == good.private
    assert ensure_prepared(spec, cache_root=cache).root == pt.root
    assert calls(folder) == 2


def test_interrupted_prepare_leaves_nothing(tmp_path):
    folder = make_task(tmp_path / "task", extra_yaml="prepare_args: {fail: true}\n")
    spec = load_task_spec(folder)
    with pytest.raises(RuntimeError, match="simulated crash"):
        prepare_task(spec, cache_root=tmp_path / "cache")
    pt = task_cache(spec, tmp_path / "cache")
    assert not pt.is_prepared()
    assert not (pt.root / "prepared").exists()
    assert not list(pt.root.glob(".prepare-*"))


def test_failed_force_keeps_the_previous_preparation(tmp_path):
    folder = make_task(tmp_path / "task")
    spec = load_task_spec(folder)
    pt = prepare_task(spec, cache_root=tmp_path / "cache")
    broken = load_task_spec(make_task(folder, extra_yaml="prepare_args: {fail: true}\n"))
    with pytest.raises(RuntimeError):
        prepare_task(broken, force=True, cache_root=tmp_path / "cache")
    assert pt.is_prepared() and verify_task(pt) == []


def test_killed_prepare_staging_is_cleaned_up(task):
    _, spec, cache = task
    pt = task_cache(spec, cache)
    stale = pt.root / ".prepare-killed" / "prepared" / "public"
    stale.mkdir(parents=True)
    (stale / "train.csv").write_text("half")
    prepare_task(spec, cache_root=cache)
    assert not (pt.root / ".prepare-killed").exists()
    assert verify_task(pt) == []


def test_concurrent_prepares_run_once(task):
    folder, spec, cache = task
    slow = load_task_spec(make_task(folder, extra_yaml="prepare_args: {sleep: 0.3}\n"))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            prepare_task(slow, cache_root=cache)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert calls(folder) == 1
    assert verify_task(task_cache(slow, cache)) == []


def test_prepare_args_are_passed(tmp_path):
    spec = load_task_spec(make_task(tmp_path / "t", extra_yaml="prepare_args: {rows: 7}\n"))
    pt = prepare_task(spec, cache_root=tmp_path / "cache")
    assert len(pt.answers_path.read_text().splitlines()) == 8


def test_prepare_must_write_answers_and_sample(tmp_path):
    src = "def prepare(raw, public, private):\n    (public / 'train.csv').write_text('a\\n1\\n')\n"
    spec = load_task_spec(make_task(tmp_path / "t", prepare_src=src))
    with pytest.raises(
        MedalistError, match=r"task 'prep-task': prepare did not write .*answers\.csv.*sample_submission\.csv"
    ):
        prepare_task(spec, cache_root=tmp_path / "cache")
    assert not task_cache(spec, tmp_path / "cache").is_prepared()


# --- bad entry points: one-line errors naming task.yaml and the field --------------------------------------


def _config_error(tmp_path: Path, src: str, extra_yaml: str = "") -> str:
    spec = load_task_spec(make_task(tmp_path / "t", prepare_src=src, extra_yaml=extra_yaml))
    with pytest.raises(ConfigError) as info:
        prepare_task(spec, cache_root=tmp_path / "cache")
    msg = str(info.value)
    assert msg.startswith(str(tmp_path / "t" / "task.yaml") + ": field 'prepare': ") or msg.startswith(
        str((tmp_path / "t").resolve() / "task.yaml") + ": field 'prepare': "
    ), msg
    assert "\n" not in msg
    return msg


def test_missing_function(tmp_path):
    assert "'prepare.py:prepare' has no function 'prepare'" in _config_error(
        tmp_path, "def build(raw, public, private):\n    pass\n"
    )


def test_syntax_error_in_script(tmp_path):
    msg = _config_error(tmp_path, "def prepare(raw, public, private)\n    pass\n")
    assert "cannot load" in msg and "SyntaxError" in msg


def test_script_crashing_on_import(tmp_path):
    assert "ZeroDivisionError" in _config_error(tmp_path, "x = 1 / 0\n")


def test_wrong_signature(tmp_path):
    msg = _config_error(tmp_path, "def prepare(public, private):\n    pass\n")
    assert "cannot be called as prepare(raw, public, private)" in msg


def test_unknown_prepare_args(tmp_path):
    msg = _config_error(tmp_path, "def prepare(raw, public, private):\n    pass\n", "prepare_args: {rows: 3}\n")
    assert "prepare(raw, public, private, rows=...)" in msg


def test_unknown_module(tmp_path):
    assert "no module named 'no_such_module_xyz'" in _config_error(
        tmp_path, "", "prepare: no_such_module_xyz:prepare\n"
    )


def test_missing_dataset_package_is_a_one_line_hint(tmp_path):
    spec = load_task_spec(
        make_task(
            tmp_path / "t", prepare_src="import no_such_dataset_pkg\n\ndef prepare(raw, public, private):\n    pass\n"
        )
    )
    with pytest.raises(
        MedalistError,
        match=r"task 'prep-task': prepare\.py needs a package that is not installed .*no_such_dataset_pkg.*medalist\[suite\]",
    ):
        prepare_task(spec, cache_root=tmp_path / "cache")
