"""Predict the task's test set with the model package plexe wrote, and write the submission.

Run with the python of plexe's own venv (the package's ``predictor.py`` needs its libraries: joblib,
xgboost, ...); this file uses only the standard library and pandas, and nothing from medalist.

plexe's package (``<work>/model/`` or ``<work>/model.tar.gz``) holds ``predictor.py`` with one
predictor class: ``XGBoostPredictor(model_dir)`` and the like for a trained model, or
``HeuristicBaselinePredictor()`` when plexe fell back to its baseline. ``predict(df)`` returns a frame
with a ``prediction`` column.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

import pandas as pd


def model_dir(work: Path) -> Path:
    """The unpacked model package under plexe's work dir (the tarball is unpacked next to it if needed)."""
    if (work / "model" / "predictor.py").is_file():
        return work / "model"
    tarball = work / "model.tar.gz"
    if not tarball.is_file():
        raise FileNotFoundError(f"plexe wrote no model package in {work} (no model/predictor.py, no model.tar.gz)")
    out = work / "model_unpacked"
    with tarfile.open(tarball) as tar:
        tar.extractall(out, filter="data")
    if not (out / "predictor.py").is_file():
        raise FileNotFoundError(f"{tarball} has no predictor.py")
    return out


def load_predictor(package: Path) -> Any:
    sys.path.insert(0, str(package))
    spec = importlib.util.spec_from_file_location("plexe_package_predictor", package / "predictor.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    classes: list[type[Any]] = [
        c
        for name, c in vars(module).items()
        if inspect.isclass(c)
        and c.__module__ == module.__name__
        and name.endswith("Predictor")
        and callable(getattr(c, "predict", None))
    ]
    if not classes:
        raise RuntimeError(f"{package / 'predictor.py'} defines no *Predictor class with predict()")
    cls = classes[0]
    params = inspect.signature(cls).parameters
    return cls(model_dir=str(package)) if "model_dir" in params else cls()


def columns(task_info: Path | None, sample: Path | None, test: pd.DataFrame) -> tuple[str, list[str]]:
    """(id column, target columns): from the task info, else the sample submission's header."""
    info: dict[str, Any] = {}
    if task_info and task_info.is_file():
        info = json.loads(task_info.read_text(encoding="utf-8"))
    id_col, targets = info.get("id_column"), list(info.get("target_columns") or [])
    if (not id_col or not targets) and sample and sample.is_file():
        header = list(pd.read_csv(sample, nrows=0).columns)
        id_col, targets = id_col or header[0], targets or header[1:]
    if not id_col:
        id_col = "id" if "id" in test.columns else str(test.columns[0])
    if not targets:
        raise RuntimeError("the target column is unknown (no task info, no sample submission)")
    return id_col, targets


def predict(work: Path, test_csv: Path, out: Path, task_info: Path | None = None, sample: Path | None = None) -> int:
    test = pd.read_csv(test_csv)
    id_col, targets = columns(task_info, sample, test)
    if len(targets) != 1:
        raise RuntimeError(f"plexe's package predicts one column; the task wants {targets}")
    predictor = load_predictor(model_dir(work))
    features = test.drop(columns=[id_col]) if id_col in test.columns else test
    pred = predictor.predict(features)
    values = pred["prediction"] if isinstance(pred, pd.DataFrame) and "prediction" in pred else pred
    values = pd.Series(list(values) if not isinstance(values, pd.Series) else values.to_list())
    if len(values) != len(test):
        raise RuntimeError(f"the predictor returned {len(values)} predictions for {len(test)} test rows")
    sub = pd.DataFrame({id_col: test[id_col] if id_col in test.columns else range(len(test)), targets[0]: values})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    sub.to_csv(tmp, index=False)
    tmp.replace(out)
    return len(sub)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="predict test.csv with plexe's model package")
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--test", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--task-info", type=Path)
    p.add_argument("--sample", type=Path)
    args = p.parse_args(argv)
    rows = predict(args.work, args.test, args.out, args.task_info, args.sample)
    print(f"medalist: wrote {rows} predictions to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
