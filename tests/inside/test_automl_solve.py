"""automl's problem handling without a sandbox: every submission shape the metrics ask for."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medalist.inside.automl import solve


def _data(tmp_path: Path, n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    words = np.array(["good", "bad", "fine", "great", "awful", "ok"])
    text = [" ".join(rng.choice(words, size=6)) for _ in range(n)]
    cls = np.where(x1 + (colour == "red") > 0.5, "a", np.where(x2 > 0, "b", "c"))
    df = pd.DataFrame(
        {
            "id": np.arange(n),
            "x1": x1,
            "x2": x2,
            "colour": colour,
            "note": text,
            "when": pd.date_range("2020-01-01", periods=n, freq="D").astype(str),
            "cls": cls,
            "y": 3 * x1 + x2**2 + 5,
            "flag": (x1 > 0).astype(int),
        }
    )
    return df.iloc[: n * 2 // 3], df.iloc[n * 2 // 3 :]


def _write(tmp_path: Path, train: pd.DataFrame, test: pd.DataFrame, targets: list[str], sample: pd.DataFrame) -> Path:
    train.to_csv(tmp_path / "train.csv", index=False)
    test.drop(columns=["cls", "y", "flag"]).to_csv(tmp_path / "test.csv", index=False)
    sample.to_csv(tmp_path / "sample_submission.csv", index=False)
    return tmp_path


def _info(metric: str, prediction: str, targets: list[str], task_type: str, **args: object) -> dict:
    return {
        "id": "t",
        "id_column": "id",
        "target_columns": targets,
        "metric": metric,
        "prediction": prediction,
        "task_type": task_type,
        "sample_submission": "sample_submission.csv",
        "metric_args": args,
    }


@pytest.mark.parametrize(
    ("metric", "prediction", "targets", "task_type", "check"),
    [
        ("accuracy", "label", ["cls"], "multiclass-classification", lambda s, t: (s.cls == t.cls).mean() > 0.7),
        (
            "roc_auc",
            "probability",
            ["flag"],
            "binary-classification",
            lambda s, t: s.flag.between(0, 1).all() and s.flag[t.flag == 1].mean() > s.flag[t.flag == 0].mean() + 0.3,
        ),
        (
            "multiclass_log_loss",
            "probability",
            ["a", "b", "c"],
            "multiclass-classification",
            lambda s, t: (
                np.allclose(s[["a", "b", "c"]].sum(1), 1, atol=1e-6)
                and (s[["a", "b", "c"]].idxmax(1) == t.cls).mean() > 0.7
            ),
        ),
        ("rmsle", "numeric", ["y"], "regression", lambda s, t: (s.y >= 0).all() and np.corrcoef(s.y, t.y)[0, 1] > 0.8),
        (
            "map_at_k",
            "ranked",
            ["cls"],
            "multiclass-classification",
            lambda s, t: s.cls.str.split().str.len().eq(3).all() and (s.cls.str.split().str[0] == t.cls).mean() > 0.7,
        ),
    ],
)
def test_solve_shapes(tmp_path: Path, metric, prediction, targets, task_type, check) -> None:
    train, test = _data(tmp_path)
    sample = pd.DataFrame({"id": test.id.astype(str), **{c: 0 for c in targets}})
    data = _write(tmp_path, train, test, targets, sample)
    sub, summary = solve(_info(metric, prediction, targets, task_type, k=5), data, 0, time.time() + 60, 1)
    assert list(sub.columns) == ["id", *targets]
    assert list(sub.id) == list(sample.id)
    truth = test.reset_index(drop=True)
    assert check(sub.reset_index(drop=True), truth)
    assert summary["problem"]["label_columns"]
