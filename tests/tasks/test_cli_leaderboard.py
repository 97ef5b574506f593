"""``medalist leaderboard build`` builds a small population end to end, byte for byte, and leaves task folders alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import medalist.cli  # noqa: F401  (registers every command on the app)
from medalist.cli import app
from medalist.grading.confidence import BOOTSTRAP_FILE
from medalist.tasks import BUILTIN_DIR

TASK = "wine-cultivar"
POPULATION = 40


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.slow
def test_build_is_byte_identical_and_writes_provenance(tmp_path: Path) -> None:
    committed = BUILTIN_DIR / TASK / "leaderboard.csv"
    before = _digest(committed)
    runner = CliRunner()
    outputs = []
    # a fresh build, a build that fills a cache, and one that reuses it: the same bytes
    for run, cache in (
        ("one", []),
        ("two", ["--cache-dir", str(tmp_path / "cache")]),
        ("three", ["--cache-dir", str(tmp_path / "cache")]),
    ):
        out = tmp_path / run
        result = runner.invoke(
            app,
            [
                "leaderboard",
                "build",
                TASK,
                "--population",
                str(POPULATION),
                "--seed",
                "3",
                "--resamples",
                "60",
                "--output-dir",
                str(out),
                *cache,
            ],
        )
        assert result.exit_code == 0, result.output
        outputs.append(out / TASK)
    for other in outputs[1:]:
        assert (outputs[0] / "leaderboard.csv").read_bytes() == (other / "leaderboard.csv").read_bytes()
        assert (outputs[0] / BOOTSTRAP_FILE).read_bytes() == (other / BOOTSTRAP_FILE).read_bytes()
    warm = json.loads((outputs[2] / "leaderboard_provenance.json").read_text())
    assert all(r.get("from_cache") for r in warm["recipes"])
    assert all(m.get("from_cache") for m in warm["members"] if m["tier"] in ("naive", "single"))
    lb = pd.read_csv(outputs[0] / "leaderboard.csv")
    assert list(lb.columns[:3]) == ["rank", "name", "score"]
    assert len(lb) == POPULATION and lb["rank"].is_monotonic_increasing
    assert set(lb["tier"]) == {"naive", "single", "strong", "expert"}
    prov = json.loads((outputs[0] / "leaderboard_provenance.json").read_text())
    assert prov["population_size"] == POPULATION and prov["seed"] == 3 and len(prov["members"]) == POPULATION
    assert prov["library_versions"]["scikit-learn"] and prov["library_versions"]["lightgbm"]
    assert f"--population {POPULATION}" in prov["command"]
    assert sum(prov["composition"].values()) == POPULATION
    # every zoo recipe is listed with its cost and out-of-fold score; blends name their recipes and rule
    assert all(r["seconds"] >= 0 and "oof_score" in r for r in prov["recipes"])
    expert = [m for m in prov["members"] if m["tier"] == "expert"]
    assert expert and all(m["recipes"] and m["rule"] in ("default", "tuned") for m in expert)
    # the strong end is strong: the best entry is an expert or strong entry far better than the constant guess
    assert lb["tier"].iloc[0] in ("expert", "strong")
    constant = next(m["score"] for m in prov["members"] if m["family"] == "constant")
    assert lb["score"].iloc[0] < 0.5 * constant  # multi-class log loss: lower is better
    boot = json.loads((outputs[0] / BOOTSTRAP_FILE).read_text())
    assert boot["resamples"] == 60 and len(boot["gold"]) == 60 and boot["test_rows"] == 53
    assert 0 <= prov["best_medal_confidence"] <= 1
    assert _digest(committed) == before


def test_build_rejects_tiny_population_and_missing_selection(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["leaderboard", "build", TASK, "--population", "3", "--output-dir", str(tmp_path)])
    assert r.exit_code != 0 and "at least 10" in str(r.exception)
    r = runner.invoke(app, ["leaderboard", "build"])
    assert r.exit_code != 0
