"""The solution environment inside the real bwrap sandbox: a solution script can import and train with
torch, xgboost and catboost, and cannot reach the datasets packaged in that venv (scikit-learn's), which
would let it rebuild the answers of tasks built from them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from medalist.agents.solution_env import default_venv, resolve, venv_python
from medalist.errors import ConfigError
from medalist.inside.facts import environment
from medalist.sandbox.base import Limits, Mount, SandboxRequest
from medalist.tasks.hidden import floor_in

SOLUTION = """
import json, numpy as np
import torch, xgboost, catboost, lightgbm, sklearn
X = np.random.RandomState(0).rand(200, 4); y = (X[:, 0] > 0.5).astype(int)
out = {"torch": torch.__version__, "xgboost": xgboost.__version__, "catboost": catboost.__version__}
net = torch.nn.Linear(4, 1); loss = torch.nn.functional.binary_cross_entropy_with_logits(net(torch.tensor(X, dtype=torch.float32)).squeeze(1), torch.tensor(y, dtype=torch.float32)); loss.backward()
out["torch_grad"] = float(net.weight.grad.abs().sum()) > 0
out["xgb_acc"] = float((xgboost.XGBClassifier(n_estimators=20, n_jobs=1).fit(X, y).predict(X) == y).mean())
out["cat_acc"] = float((catboost.CatBoostClassifier(iterations=20, verbose=0, thread_count=1, allow_writing_files=False).fit(X, y).predict(X) == y).mean())
try:
    from sklearn.datasets import load_iris
    load_iris(); out["iris"] = "loaded"
except Exception as e:
    out["iris"] = type(e).__name__
import sklearn.datasets, os
out["datasets_data"] = os.listdir(os.path.join(os.path.dirname(sklearn.datasets.__file__), "data"))
out["python"] = __import__("sys").prefix
open("/home/out/result.json", "w").write(json.dumps(out))
"""


@pytest.fixture(scope="module")
def solution_venv() -> Path:
    venv = default_venv()
    if not venv_python(venv).is_file():
        msg = f"no solution environment at {venv} (bash scripts/setup_solution_env.sh)"
        if os.environ.get("CI") == "true":  # CI runs setup.sh --test, which installs it
            pytest.fail(msg)
        pytest.skip(msg)
    return venv


def test_resolve_falls_back_to_the_harness_python_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALIST_SOLUTION_VENV", str(tmp_path / "missing"))
    env = resolve("auto", "/h/bin/python")
    assert env.python == "/h/bin/python" and not env.mounts and "scripts/setup_solution_env.sh" in env.note
    assert resolve("harness", "/h/bin/python").venv is None
    with pytest.raises(ConfigError, match="no venv there"):
        resolve(str(tmp_path), "/h/bin/python")


@pytest.mark.sandbox
@pytest.mark.slow
def test_solution_script_in_the_sandbox_imports_torch_xgboost_catboost(
    solution_venv: Path, require_bwrap: str, box: Path
) -> None:
    from medalist.sandbox import BwrapSandbox

    env = resolve("auto", "/usr/bin/python3")
    assert env.venv == solution_venv and any(str(m.target).endswith("sklearn/datasets/data") for m in env.mounts)
    assert floor_in(solution_venv)
    out = box / "out"
    out.mkdir()
    out.chmod(0o777)
    (box / "solution.py").write_text(SOLUTION)
    (box / "solution.py").chmod(0o644)
    result = BwrapSandbox.create().run(
        SandboxRequest(
            argv=[env.python, "/home/solution.py"],
            env={"OMP_NUM_THREADS": "1"},
            cwd="/home",
            mounts=[
                *env.mounts,
                Mount(box / "solution.py", "/home/solution.py"),
                Mount(out, "/home/out", writable=True),
            ],
            limits=Limits(time_limit_secs=300, memory_gb=4),
            stdout=box / "stdout.log",
            stderr=box / "stderr.log",
        )
    )
    assert result.ok, (box / "stderr.log").read_text()[-3000:]
    got = json.loads((out / "result.json").read_text())
    assert got["torch"].startswith("2.") and got["xgboost"] and got["catboost"] and got["torch_grad"]
    assert got["xgb_acc"] > 0.9 and got["cat_acc"] > 0.9
    assert got["python"] == str(solution_venv)
    assert got["iris"] == "FileNotFoundError" and got["datasets_data"] == []  # the packaged datasets are hidden


@pytest.mark.slow
def test_prompts_list_what_the_solution_env_has_read_from_it(solution_venv: Path) -> None:
    text = environment(str(venv_python(solution_venv)), {"MEDALIST_CPUS": "2", "MEDALIST_MEMORY_GB": "4"})
    for name in ("torch 2.", "catboost 1.", "lightgbm 4.", "scikit-learn 1.", "pandas 2."):
        assert name in text, text
    assert "xgboost" in text and "No GPU" in text and "CPUs: 2" in text and "Memory: 4 GB" in text
