"""What LLM agents tell their model about the task and the machine (runs inside the sandbox).

- :func:`data_preview`: the data folder, and for each CSV its columns with type, missing values, range
  or unique values, and the class balance (or distribution) of the target columns;
- :func:`environment`: the packages of the python solution scripts run with (read from that python
  itself), CPUs, memory and GPUs;
- :func:`status_line`: time and steps left, as one ``[status]`` line (the response cache masks it).

Standard library and pandas only.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import cast

STATS_ROWS = 200_000
"""CSV rows read for column statistics (the row count is always exact)."""
TEXT_SUFFIXES = {".txt", ".md", ".json", ".yaml", ".yml"}
NOTABLE = (
    "torch",
    "torchvision",
    "torchaudio",
    "xgboost",
    "xgboost-cpu",
    "catboost",
    "lightgbm",
    "scikit-learn",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pillow",
    "opencv-python",
    "transformers",
    "timm",
    "polars",
    "pyarrow",
    "optuna",
    "jax",
)


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    text = str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _column_line(name: str, s: object, target: bool) -> str:
    import pandas as pd

    assert isinstance(s, pd.Series)
    n = len(s)
    missing = int(s.isna().sum())
    head = f"  - {name} ({s.dtype}{', TARGET' if target else ''})"
    miss = f", {missing} missing ({missing / n:.1%})" if missing and n else ""
    values = s.dropna()
    nunique = int(values.nunique())
    if target and nunique <= 30:
        counts = values.value_counts(normalize=True).head(30)
        shares = ", ".join(f"{_fmt(k)}: {v:.1%}" for k, v in counts.items())
        return f"{head}{miss}; {nunique} classes: {shares}"
    if pd.api.types.is_bool_dtype(s):
        return f"{head}{miss}; {values.mean():.1%} true"
    if nunique <= 10:
        listed = ", ".join(_fmt(v) for v in sorted(values.unique(), key=str))
        return f"{head}{miss}; {nunique} value{'s' if nunique != 1 else ''}: {listed}"
    if pd.api.types.is_numeric_dtype(s):
        q = values.quantile([0.0, 0.5, 1.0]).tolist()
        extra = f", mean {_fmt(float(values.mean()))}" if target else ""
        return f"{head}{miss}; range {_fmt(q[0])} .. {_fmt(q[2])}, median {_fmt(q[1])}{extra}"
    lengths = values.astype(str).str.len()
    examples = ", ".join(repr(_fmt(v)) for v in values.value_counts().head(3).index)
    return f"{head}{miss}; {nunique} unique, length {int(lengths.min())}-{int(lengths.max())}; e.g. {examples}"


def _csv_preview(path: Path, rel: str, targets: Iterable[str], detailed: bool) -> list[str]:
    import pandas as pd

    rows = max(0, _count_lines(path) - 1)
    try:
        df = pd.read_csv(path, nrows=STATS_ROWS, low_memory=False)
    except Exception as exc:
        return [f"- {rel} ({rows:,} rows; not readable as CSV: {str(exc).splitlines()[0][:100]})"]
    cut = f", statistics from the first {STATS_ROWS:,}" if rows > STATS_ROWS else ""
    lines = [f"- {rel}: {rows:,} rows x {df.shape[1]} columns{cut}"]
    wanted = set(targets)
    if not detailed:
        cols = [f"{c} ({df[c].dtype}{', TARGET' if c in wanted else ''})" for c in df.columns[:60]]
        more = f", ... ({df.shape[1] - 60} more)" if df.shape[1] > 60 else ""
        lines.append("  columns: " + ", ".join(cols) + more)
        for c in [c for c in df.columns if c in wanted]:
            lines.append(_column_line(str(c), df[c], True))
        return lines
    shown = list(df.columns[:40]) + [c for c in df.columns[40:] if c in wanted]
    lines += [_column_line(str(c), df[c], c in wanted) for c in shown]
    if df.shape[1] > len(shown):
        lines.append(f"  ... and {df.shape[1] - len(shown)} more columns")
    return lines


def _tree(data: Path, max_per_dir: int = 8) -> tuple[list[str], list[Path]]:
    """Lines describing the folder (big folders summarised by extension) and the files to preview."""
    lines: list[str] = []
    files: list[Path] = []
    for folder, dirs, names in os.walk(data):
        dirs.sort()
        base = Path(folder)
        rel = base.relative_to(data)
        if len(names) > max_per_dir:
            by_ext: dict[str, int] = {}
            for n in names:
                by_ext[Path(n).suffix or "(none)"] = by_ext.get(Path(n).suffix or "(none)", 0) + 1
            kinds = ", ".join(f"{c} {e}" for e, c in sorted(by_ext.items(), key=lambda x: -x[1]))
            lines.append(f"- {rel}/: {len(names)} files ({kinds}), e.g. {', '.join(sorted(names)[:3])}")
            files += [base / n for n in sorted(names) if n.endswith(".csv")][:max_per_dir]
            continue
        for n in sorted(names):
            p = base / n
            files.append(p)
            if not n.endswith(".csv"):
                lines.append(f"- {p.relative_to(data)} ({p.stat().st_size:,} bytes)")
    return lines, files


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return next(csv.reader(fh), [])


def _label_columns(csvs: list[Path]) -> list[str]:
    """Columns of the training file that the test file lacks: the labels, whatever the submission's
    columns are called (a probability task's train.csv has one label column, its submission one per class)."""
    train = [p for p in csvs if "train" in p.name]
    test = [p for p in csvs if "test" in p.name]
    if not train or not test:
        return []
    try:
        missing = set(_header(test[0]))
        return [c for c in _header(train[0]) if c not in missing]
    except OSError:
        return []


def data_preview(data: Path, targets: Iterable[str] = (), max_chars: int = 6000) -> str:
    """A textual preview of the data folder within ``max_chars`` (detailed, else per-column types only)."""
    try:
        tree, files = _tree(Path(data))
    except OSError as exc:
        return f"(cannot list {data}: {exc})"
    csvs = sorted(
        (p for p in files if p.suffix.lower() == ".csv"),
        key=lambda p: (0 if "train" in p.name else 1 if "test" in p.name else 2, str(p)),
    )
    targets = list(targets) + _label_columns(csvs)
    for detailed in (True, False):
        parts = list(tree)
        for p in csvs:
            parts += _csv_preview(p, str(p.relative_to(data)), targets if "train" in p.name else (), detailed)
        for p in files:
            if p.suffix.lower() in TEXT_SUFFIXES and p.name != "description.md" and p.stat().st_size < 2000:
                parts.append(f"- {p.relative_to(data)} contains:\n{p.read_text(errors='replace').strip()}")
        text = "\n".join(parts)
        if len(text) <= max_chars:
            return text
    return text[:max_chars] + "\n... (preview cut)"


_PROBE = r"""
import importlib.metadata as md, json
out = {"packages": {}}
for d in md.distributions():
    name = (d.metadata["Name"] or "").lower()
    if name and name not in ("pip", "setuptools", "wheel"):
        out["packages"][name] = d.version
import glob
if glob.glob("/dev/nvidia[0-9]*"):  # importing torch takes seconds: only where a GPU may be
    try:
        import torch
        out["cuda"] = bool(torch.cuda.is_available())
        out["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if out["cuda"] else []
    except Exception:
        pass
print(json.dumps(out))
"""


def probe_python(python: str, timeout: float = 120.0) -> dict[str, object]:
    """What is installed for ``python`` (its distributions and CUDA devices), asked of that python."""
    try:
        done = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return {}


def environment(python: str, env: dict[str, str] | None = None) -> str:
    """Packages and hardware the solution scripts get, in a few lines."""
    env = dict(os.environ if env is None else env)
    info = probe_python(python)
    packages = cast("dict[str, str]", info.get("packages") or {})  # as _PROBE prints them
    notable = [f"{n} {packages[n]}" for n in NOTABLE if n in packages]
    others = len(packages) - len(notable)
    lines = [
        f"- Python packages (no internet: nothing else can be installed): {', '.join(notable) or 'unknown'}"
        + (f", and {others} others" if others > 0 else "")
    ]
    gpus = cast("list[str]", info.get("gpus") or [])
    if info.get("cuda"):
        lines.append(f"- GPU: {', '.join(map(str, gpus))} (torch.cuda is available)")
    elif "torch" in packages:
        lines.append("- No GPU: torch runs on the CPU")
    cpus = env.get("MEDALIST_CPUS")
    lines.append(
        f"- CPUs: {cpus} (use at most {cpus} threads / n_jobs={cpus})" if cpus else f"- CPUs: {os.cpu_count()}"
    )
    mem = env.get("MEDALIST_MEMORY_GB")
    if mem:
        lines.append(f"- Memory: {mem} GB for everything in the run (exceeding it kills the run)")
    return "\n".join(lines)


def status_line(
    time_left: float | None, time_limit: float | None, step: int, max_steps: int, exec_limit: float | None = None
) -> str:
    """One ``[status]`` line: time and steps left, and how long the next script may run."""
    parts = []
    if time_left is not None and time_limit:
        parts.append(f"{max(0.0, time_left) / 60:.1f} of {time_limit / 60:.0f} minutes left")
    parts.append(f"step {step} of {max_steps} ({max_steps - step} more after this one)")
    if exec_limit is not None:
        parts.append(f"the next script may run at most {exec_limit:.0f} s")
    return "[status] " + "; ".join(parts)
