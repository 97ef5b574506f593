"""automl on any tabular competition: layouts and column roles it is not told (MLE-bench), without a sandbox.

The built-in tasks' path is pinned: their task.json layout is taken as it is, so the modelling code gets
exactly the inputs it got before (same files, same columns, same prediction kind).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medalist.inside.automl import max_table_bytes, solve
from medalist.inside.automl_layout import NotTabular, resolve_layout
from medalist.runner.layout import task_info
from medalist.runner.models import RunLimits
from medalist.tasks import TaskRegistry
from medalist.tasks.cache import PreparedTask


def test_builtin_tasks_keep_the_layout_their_task_json_states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    specs = list(TaskRegistry().tasks.values())
    assert len(specs) >= 20
    for spec in specs:
        info = task_info(PreparedTask(spec=spec, root=tmp_path), RunLimits(time_limit_secs=60))
        assert info["column_roles"] == "task" and info["prediction"] is not None, spec.id
        for name in ("train.csv", "test.csv", spec.sample_submission):
            (data / name).write_text("id\n")
        layout = resolve_layout(info, data)
        assert layout.source == "task" and layout.log_target is False, spec.id
        assert (layout.train, layout.test, layout.sample) == (
            data / "train.csv",
            data / "test.csv",
            data / spec.sample_submission,
        )
        assert layout.info(info) == info, spec.id  # the modelling code sees the task.json it saw before
        monkeypatch.setenv("MEDALIST_MEMORY_GB", str(spec.limits.memory_gb))
        assert (spec.rows or 0) * 2000 < max_table_bytes(), f"{spec.id}: its training table would be truncated"


def _mlebench_info(metric: str, id_col: str, targets: list[str], sample: str = "sample_submission.csv") -> dict:
    """task.json as the harness writes it for an MLE-bench competition (roles inferred, no prediction kind)."""
    return {
        "id": "comp",
        "task_type": "other",
        "metric": metric,
        "metric_args": {},
        "prediction": None,
        "id_column": id_col,
        "target_columns": targets,
        "column_roles": "inferred",
        "sample_submission": sample,
    }


def _write(folder: Path, **frames: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "kind": rng.choice(["a", "b", "c"], size=n)})


def _solve(info: dict, data: Path) -> tuple[pd.DataFrame, dict]:
    return solve(info, data, 0, time.time() + 60, 1)


def test_training_table_with_another_name_string_ids_and_utc_dates(tmp_path: Path) -> None:
    """new-york-city-taxi-fare-prediction's shape: labels.csv, string keys, 'YYYY-mm-dd HH:MM:SS UTC'."""
    n = 400
    df = _frame(n)
    when = pd.date_range("2012-01-01", periods=n, freq="37min")
    df.insert(0, "key", [f"{t}.{i:07d}" for i, t in enumerate(when.strftime("%Y-%m-%d %H:%M:%S"))])
    df["pickup_datetime"] = when.strftime("%Y-%m-%d %H:%M:%S UTC")
    df["fare_amount"] = 5 + 3 * df.x1.abs() + (when.hour >= 20)
    train, test = df.iloc[:300], df.iloc[300:]
    data = _write(
        tmp_path,
        labels=train,
        test=test.drop(columns="fare_amount"),
        sample_submission=test[["key"]].assign(fare_amount=11.35),
    )
    sub, summary = _solve(_mlebench_info("root-mean-squared-error", "key", ["fare_amount"]), data)
    assert summary["layout"] == "inferred" and summary["problem"]["output"] == "numeric"
    assert list(sub.key) == list(test.key) and sub.fare_amount.nunique() > 10
    assert np.corrcoef(sub.fare_amount, test.fare_amount)[0, 1] > 0.8


def test_boolean_labels_with_string_ids(tmp_path: Path) -> None:
    """spaceship-titanic's shape: PassengerId '0001_01', Transported True/False, sample all False."""
    n = 400
    df = _frame(n)
    df.insert(0, "PassengerId", [f"{i:04d}_01" for i in range(n)])
    df["Transported"] = df.x1 + (df.kind == "a") > 0.3
    train, test = df.iloc[:300], df.iloc[300:]
    data = _write(
        tmp_path,
        train=train,
        test=test.drop(columns="Transported"),
        sample_submission=test[["PassengerId"]].assign(Transported=False),
    )
    sub, summary = _solve(_mlebench_info("accuracy", "PassengerId", ["Transported"]), data)
    assert summary["problem"]["output"] == "label"
    assert list(sub.PassengerId) == list(test.PassengerId) and set(sub.Transported) <= {True, False}
    assert (sub.Transported.to_numpy() == test.Transported.to_numpy()).mean() > 0.75


def test_class_probability_columns_of_a_train_only_label(tmp_path: Path) -> None:
    """leaf-classification's shape: train has 'species', the submission one probability column per class."""
    n = 450
    df = _frame(n)
    df.insert(0, "id", np.arange(1, n + 1))
    species = np.array(["Acer_Mono", "Quercus_Rubra", "Tilia_Tomentosa"])
    df["species"] = species[np.digitize(df.x1, [-0.4, 0.4])]
    train, test = df.iloc[:350], df.iloc[350:]
    sample = test[["id"]].assign(**{s: 1 / 3 for s in species})
    data = _write(tmp_path, train=train, test=test.drop(columns="species"), sample_submission=sample)
    sub, summary = _solve(_mlebench_info("multi-class-log-loss", "id", list(species)), data)
    assert summary["problem"]["output"] == "class_proba" and summary["problem"]["label_columns"] == ["species"]
    assert list(sub.columns) == ["id", *species] and np.allclose(sub[species].sum(axis=1), 1, atol=1e-6)
    assert (sub[species].idxmax(axis=1).to_numpy() == test.species.to_numpy()).mean() > 0.8


def test_probability_from_the_grader_name_and_two_log_targets(tmp_path: Path) -> None:
    n = 400
    df = _frame(n)
    df.insert(0, "id", np.arange(n))
    df["target"] = (df.x1 > 0).astype(int)
    train, test = df.iloc[:300], df.iloc[300:]
    data = _write(
        tmp_path / "auc",
        train=train,
        test=test.drop(columns="target"),
        sample_submission=test[["id"]].assign(target=0.5),
    )
    sub, summary = _solve(_mlebench_info("auc-roc", "id", ["target"]), data)
    assert summary["problem"]["output"] == "binary_proba" and sub.target.between(0, 1).all()

    df = _frame(n, seed=1)
    df.insert(0, "id", np.arange(1, n + 1))
    df["formation_energy_ev_natom"] = np.exp(df.x1) / 10
    df["bandgap_energy_ev"] = 2 + df.x2.abs()
    targets = ["formation_energy_ev_natom", "bandgap_energy_ev"]
    train, test = df.iloc[:300], df.iloc[300:]
    data = _write(
        tmp_path / "rmsle",
        train=train,
        test=test.drop(columns=targets),
        sample_submission=test[["id"]].assign(formation_energy_ev_natom=0.1779, bandgap_energy_ev=1.8892),
    )
    sub, summary = _solve(_mlebench_info("mean-column-wise-rmsle", "id", targets), data)
    assert summary["problem"]["output"] == "numeric" and summary["problem"]["log_target"] is True
    assert list(sub.columns) == ["id", *targets] and (sub[targets] >= 0).all().all()


def test_integer_labels_without_a_metric_hint_and_a_class_too_rare_for_every_fold(tmp_path: Path) -> None:
    """tabular-playground-series-dec-2021's shape: Cover_Type 1..7 with one class seen once."""
    n = 500
    df = _frame(n)
    df.insert(0, "Id", np.arange(n) * 3 + 7)
    df["Cover_Type"] = np.digitize(df.x1, [-0.5, 0.5]) + 1
    df.loc[5, "Cover_Type"] = 5
    train, test = df.iloc[:400], df.iloc[400:]
    data = _write(
        tmp_path, train=train, test=test.drop(columns="Cover_Type"), sample_submission=test[["Id"]].assign(Cover_Type=2)
    )
    sub, summary = _solve(_mlebench_info("custom-score", "Id", ["Cover_Type"]), data)
    assert summary["problem"]["output"] == "label" and set(sub.Cover_Type) <= {1, 2, 3, 5}
    assert (sub.Cover_Type.to_numpy() == test.Cover_Type.to_numpy()).mean() > 0.8


def test_ids_with_leading_zeros_keep_them(tmp_path: Path) -> None:
    n = 300
    df = _frame(n)
    df.insert(0, "id", [f"{i:05d}" for i in range(n)])
    df["y"] = df.x1 * 2
    train, test = df.iloc[:200], df.iloc[200:]
    data = _write(tmp_path, train=train, test=test.drop(columns="y"), sample_submission=test[["id"]].assign(y=0.0))
    sub, _ = _solve(_mlebench_info("root-mean-squared-error", "id", ["y"]), data)
    assert list(sub.id) == list(test.id) and sub.id.iloc[0] == "00200"


def _images_task(folder: Path) -> Path:
    (folder / "train").mkdir(parents=True)
    for i in range(12):
        (folder / "train" / f"{i}.jpg").write_bytes(b"\xff\xd8\xff")
    pd.DataFrame({"id": [f"{i}.jpg" for i in range(8)], "has_cactus": 1}).to_csv(folder / "train.csv", index=False)
    pd.DataFrame({"id": [f"{i}.jpg" for i in range(8, 12)], "has_cactus": 0.5}).to_csv(
        folder / "sample_submission.csv", index=False
    )
    return folder


def test_non_tabular_data_is_named_as_such(tmp_path: Path) -> None:
    data = _images_task(tmp_path / "images")
    with pytest.raises(
        NotTabular, match=r"no test table with the id column 'id' \(public files: 12 \.jpg, 2 \.csv, 1 folder"
    ):
        resolve_layout(_mlebench_info("auc-roc", "id", ["has_cactus"]), data)
    pd.DataFrame({"id": [f"{i}.jpg" for i in range(8, 12)]}).to_csv(data / "test.csv", index=False)
    with pytest.raises(NotTabular, match=r"test.csv holds only the ids \(id\); the inputs are other files"):
        resolve_layout(_mlebench_info("auc-roc", "id", ["has_cactus"]), data)
    with pytest.raises(NotTabular, match="no public sample submission"):
        resolve_layout(_mlebench_info("auc-roc", "id", ["has_cactus"], sample=""), data)
    with pytest.raises(NotTabular, match="is not a CSV file"):
        resolve_layout(_mlebench_info("auc-roc", "id", ["has_cactus"], sample="sample_submission.csv.7z"), data)


def _run_main(tmp_path: Path, data: Path, info: dict) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The agent's real entry point, outside a sandbox (the contract paths remapped as the process backend does)."""
    home = {name: tmp_path / name for name in ("submission", "code", "logs")}
    for p in home.values():
        p.mkdir()
    (tmp_path / "task.json").write_text(json.dumps(info))
    env = {
        **os.environ,
        "MEDALIST_MOUNT_HOME_DATA": str(data),
        "MEDALIST_TASK_INFO": str(tmp_path / "task.json"),
        "TIME_LIMIT_SECS": "60",
        **{f"MEDALIST_MOUNT_HOME_{k.upper()}": str(v) for k, v in home.items()},
    }
    proc = subprocess.run(
        [sys.executable, "-m", "medalist.inside.automl"], capture_output=True, text=True, env=env, timeout=300
    )
    return proc, tmp_path


def test_main_submits_the_sample_and_says_why_for_images(tmp_path: Path) -> None:
    data = _images_task(tmp_path / "data")
    proc, home = _run_main(tmp_path, data, _mlebench_info("auc-roc", "id", ["has_cactus"]))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "no tabular model" in proc.stdout
    assert (home / "submission" / "submission.csv").read_bytes() == (data / "sample_submission.csv").read_bytes()
    report = json.loads((home / "logs" / "agent_report.json").read_text())
    assert report["outcome"] == "sample_submission" and report["reason"].startswith("no tabular model: no test table")


def test_main_names_an_unexpected_failure_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    df = _frame(60)
    df.insert(0, "id", np.arange(60))
    df["y"] = np.nan  # nothing to learn from
    _write(
        data,
        train=df.iloc[:40],
        test=df.iloc[40:].drop(columns="y"),
        sample_submission=df.iloc[40:][["id"]].assign(y=0.0),
    )
    proc, home = _run_main(tmp_path, data, _mlebench_info("root-mean-squared-error", "id", ["y"]))
    assert proc.returncode == 1
    report = json.loads((home / "logs" / "agent_report.json").read_text())
    assert report["outcome"] == "sample_submission" and report["reason"].startswith("automl failed: ")
    assert "\n" not in report["reason"] and (home / "submission" / "submission.csv").is_file()
