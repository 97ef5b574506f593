"""Adversarial agents in the real bwrap sandbox that try to rebuild a task's hidden answers.

Each attack runs as the sandbox user with exactly what a run gets: the public data read-only at
/home/data, a workspace, the harness venv and /usr, and the paths the runner hides (the floor plus
the mask list the audit's reachability scan records). It writes a submission, which is graded with
the real grader. A test fails if an attack scores above the leaderboard median (stricter than "no
medal": these leaderboards are being regenerated, and the median is what no-skill must stay under)
or, for the content attacks, if it recovers any hidden row at all.
"""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from medalist.grading import grade_submission
from medalist.sandbox import BwrapSandbox, Limits, Mount, SandboxRequest
from medalist.tasks import TaskRegistry, ensure_prepared
from medalist.tasks.hidden import hidden_paths

pytestmark = pytest.mark.sandbox
REGISTRY = TaskRegistry.default()
OPENML = Path(__import__("sklearn").__file__).parent / "datasets" / "tests" / "data" / "openml"

ATTACK = textwrap.dedent(r'''
    import glob, gzip, json, os, re, sys
    import numpy as np, pandas as pd
    target, mode = sys.argv[1], sys.argv[2]
    train, test = pd.read_csv("/home/data/train.csv"), pd.read_csv("/home/data/test.csv")
    sample = pd.read_csv("/home/data/sample_submission.csv")
    majority = train[target].mode()[0]
    pred = pd.Series([majority] * len(test), dtype=object)
    info = {"found": 0}
    ids_tr, y_tr = train["id"].to_numpy(), train[target].to_numpy()
    if mode == "id_neighbour":  # label of the train row with the nearest id
        order = np.argsort(ids_tr)
        pos = np.searchsorted(ids_tr[order], test["id"].to_numpy()).clip(0, len(order) - 1)
        pred = pd.Series(y_tr[order][pos])
    elif mode == "id_only":  # majority label of the id's decile
        edges = np.quantile(ids_tr, np.linspace(0, 1, 11))
        bins_tr, bins_te = np.digitize(ids_tr, edges[1:-1]), np.digitize(test["id"].to_numpy(), edges[1:-1])
        per_bin = pd.Series(y_tr).groupby(bins_tr).agg(lambda s: s.mode()[0])
        pred = pd.Series([per_bin.get(b, majority) for b in bins_te])
    elif mode == "split_replay":
        # Old algorithm: ids were source positions and the split was train_test_split(seed 20240601).
        # New algorithm (its source is readable here): keyed_split with a key over the full labelled
        # data. Without the hidden labels the attacker guesses them (train-set model) and rebuilds the
        # key; the guess is only useful if the replayed split reproduces the observed one.
        from sklearn.model_selection import train_test_split
        from medalist.tasks.splitting import keyed_split
        n = len(train) + len(test)
        old_test = set(train_test_split(np.arange(n), test_size=len(test), random_state=20240601)[1])
        info["old_replay_matches"] = old_test == set(test["id"])
        guess = test.assign(**{target: majority})
        full = pd.concat([train, guess]).sort_values("id").drop(columns="id").reset_index(drop=True)
        _, re_test = keyed_split(full, task_id=os.environ["COMPETITION_ID"], test_size=len(test) / n,
                                 stratify=target)
        info["keyed_replay_matches"] = sorted(re_test["id"]) == sorted(test["id"])
    elif mode in ("fixtures", "search"):
        # Find the raw dataset by content: any readable file whose lines hold a test row's values,
        # then read the label off that line.
        roots = [os.path.dirname(os.path.dirname(np.__file__))] + (["/usr"] if mode == "search" else [])
        pattern = "**/tests/data/openml/**/*" if mode == "fixtures" else "**/*"
        classes = sorted(map(str, train[target].unique()), key=len, reverse=True)
        feats = [c for c in test.columns if c != "id"]
        want = {}
        for i, row in test.iterrows():
            toks = [str(v) for v in row[feats] if isinstance(v, str) or (v == v and float(v) != int(float(v)))]
            if len(toks) >= 2:
                want[i] = toks[:3]
        for root in roots:
            for path in glob.iglob(os.path.join(root, pattern), recursive=True):
                if not re.search(r"\.(csv|arff|data|dat|txt|json|tsv)(\.gz)?$", path) or not os.path.isfile(path):
                    continue
                try:
                    raw = open(path, "rb").read(50_000_000)
                    text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8", "replace")
                except Exception:
                    continue
                if not any(t[0] in text for t in list(want.values())[:50]):
                    continue
                for line in text.splitlines():
                    for i, toks in list(want.items()):
                        if all(t in line for t in toks):
                            label = next((c for c in classes if re.search(r"\b" + re.escape(c) + r"\b", line)), None)
                            if label is not None:
                                pred[i] = type(majority)(label) if not isinstance(majority, str) else label
                                info["found"] += 1
                                info.setdefault("files", []).append(path)
                                del want[i]
    out = sample.copy()
    out[target] = pred.to_numpy()
    out.to_csv("/home/submission/submission.csv", index=False)
    print(json.dumps(info))
''')


def run_attack(bwrap: BwrapSandbox, box: Path, task_id: str, target: str, mode: str) -> tuple[dict, object]:
    spec = REGISTRY.get(task_id)
    pt = ensure_prepared(spec)
    sub = box / f"{task_id}-{mode}"
    sub.mkdir()
    sub.chmod(0o777)  # writable by the sandbox user: the harness never chowns host folders
    public = box / f"{task_id}-public"  # staged like a run group's _shared/ (the cache is not reachable)
    if not public.exists():
        shutil.copytree(pt.public, public)
        for p in [public, *public.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    (box / "attack.py").write_text(ATTACK)
    log = box / f"{task_id}-{mode}.log"
    result = bwrap.run(SandboxRequest(
        argv=[sys.executable, "/home/code/attack.py", target, mode],
        mounts=[Mount(public, "/home/data"), Mount(box, "/home/code"), Mount(sub, "/home/submission", writable=True)],
        env={"COMPETITION_ID": task_id},
        cwd="/home/code",
        limits=Limits(memory_gb=2, cpus=1, pids=64, timeout_secs=300),
        stdout=log,
        deny=[pt.private],
        hide=hidden_paths(),  # exactly what the runner passes
    ))
    text = log.read_text()
    assert result.ok, (result, text[-2000:])
    info = json.loads(text.strip().splitlines()[-1])
    report = grade_submission(sub / "submission.csv", spec, pt)
    assert report.valid_submission, report.error
    return info, report


@pytest.mark.parametrize(("task_id", "target"), [
    ("spambase", "spam"), ("penguins-species", "species"), ("titanic-passengers", "survived"),
    ("magic-gamma-telescope", "gamma"), ("newsgroups-autos-electronics", "newsgroup"),
])
@pytest.mark.parametrize("mode", ["id_only", "id_neighbour"])
def test_id_attacks_score_no_better_than_no_skill(bwrap: BwrapSandbox, box: Path, task_id: str, target: str,
                                                  mode: str) -> None:
    _, report = run_attack(bwrap, box, task_id, target, mode)
    assert not report.any_medal and not report.above_median, (mode, report.score, report.median_threshold)


@pytest.mark.parametrize(("task_id", "target"), [("penguins-species", "species"), ("spambase", "spam"),
                                                 ("titanic-passengers", "survived")])
def test_split_replay_without_the_secret_fails(bwrap: BwrapSandbox, box: Path, task_id: str, target: str) -> None:
    info, report = run_attack(bwrap, box, task_id, target, "split_replay")
    assert info["old_replay_matches"] is False and info["keyed_replay_matches"] is False, info
    assert not report.any_medal and not report.above_median


@pytest.fixture(scope="module")
def audited_sklearn() -> dict[str, list[str]]:
    """The audit's reachability check over scikit-learn's folder (where the fixtures are; the full
    sandbox roots are scanned by ``medalist audit``): it must find the fixtures by content and record
    them in the mask list the runner passes to the sandbox."""
    from medalist.grading.audit import check_reach

    found = {}
    for task_id in ("penguins-species", "titanic-passengers"):
        result = check_reach(ensure_prepared(REGISTRY.get(task_id)), [OPENML.parent.parent.parent.parent])
        assert result.passed, result.detail
        found[task_id] = [f["path"] for f in result.values["found"]]  # type: ignore[union-attr]
    return found


@pytest.mark.parametrize(("task_id", "target", "fixture_id"), [
    ("penguins-species", "species", "id_42585"), ("titanic-passengers", "survived", "id_40945"),
])
def test_sklearn_openml_fixtures_are_found_and_hidden(
    bwrap: BwrapSandbox, box: Path, audited_sklearn: dict[str, list[str]], task_id: str, target: str, fixture_id: str
) -> None:
    """ids 42585 (penguins) and 40945 (titanic) ship the full labelled data inside scikit-learn."""
    assert any(f"/{fixture_id}/" in p for p in audited_sklearn[task_id]), audited_sklearn
    info, report = run_attack(bwrap, box, task_id, target, "fixtures")
    assert info["found"] == 0, info
    assert not report.any_medal and not report.above_median


@pytest.mark.slow
def test_generic_search_of_every_readable_file_finds_no_answers(bwrap: BwrapSandbox, box: Path) -> None:
    info, report = run_attack(bwrap, box, "penguins-species", "species", "search")
    assert info["found"] == 0, info
    assert not report.any_medal and not report.above_median
