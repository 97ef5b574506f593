"""Adversarial agents in the real bwrap sandbox that try to rebuild a task's hidden answers.

Each attack runs as the sandbox user with exactly what a run gets: the public data read-only at
/home/data, a workspace, the harness venv and /usr, the venv an agent binds (the solution venv of
aide/research, an adapter's venv), and the paths the runner hides in all of them (the floor plus what
the reachability scan finds there, computed by the runner's own functions). It writes a submission,
which is graded with the real grader. A test fails if an attack scores above the leaderboard median
(stricter than "no medal": these leaderboards are being regenerated, and the median is what no-skill
must stay under) or, for the content attacks, if it recovers any hidden row at all.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medalist.agents.adapters import AIDEML
from medalist.agents.solution_env import default_venv, solution_mounts
from medalist.fsutil import atomic_write_json, tree_checksums
from medalist.grading import CompetitionReport, grade_submission
from medalist.runner.execute import run_trees, scan_and_hide
from medalist.sandbox import BwrapSandbox, Limits, Mount, SandboxRequest
from medalist.tasks import BUILTIN_DIR, TaskRegistry, TaskSpec, ensure_prepared
from medalist.tasks.cache import PreparedTask
from medalist.tasks.hidden import floor_paths
from medalist.tasks.reach_state import ensure_scan
from medalist.tasks.registry import read_split_file
from medalist.tasks.verify import record_fingerprint

pytestmark = pytest.mark.sandbox
REGISTRY = TaskRegistry.default()
SUITE = read_split_file(BUILTIN_DIR / "splits" / "all.txt") + read_split_file(BUILTIN_DIR / "splits" / "smoke.txt")
OPENML = "lib/python3.11/site-packages/sklearn/datasets/tests/data/openml"

ATTACK = textwrap.dedent(r'''
    import glob, gzip, json, os, re, sys, time
    import numpy as np, pandas as pd
    target, mode = sys.argv[1], sys.argv[2]
    train, test = pd.read_csv("/home/data/train.csv"), pd.read_csv("/home/data/test.csv")
    sample = pd.read_csv("/home/data/sample_submission.csv")
    labels = [c for c in train.columns if c not in test.columns]  # what the task asks for
    target = labels[0] if target == "-" else target
    majority = train[target].mode()[0]
    pred = pd.Series([majority] * len(test), dtype=object)
    info = {"found": 0, "labels": labels}
    ids_tr, ids_te = train["id"].to_numpy(), test["id"].to_numpy()

    def id_model(col):
        """A column's test values from the ids alone: the nearest train id's value, or the id decile's mode."""
        y_tr = train[col].to_numpy()
        if mode == "id_neighbour":
            order = np.argsort(ids_tr)
            pos = np.searchsorted(ids_tr[order], ids_te).clip(0, len(order) - 1)
            return pd.Series(y_tr[order][pos])
        edges = np.quantile(ids_tr, np.linspace(0, 1, 11))
        bins_tr, bins_te = np.digitize(ids_tr, edges[1:-1]), np.digitize(ids_te, edges[1:-1])
        per_bin = pd.Series(y_tr).groupby(bins_tr).agg(lambda s: s.mode()[0])
        return pd.Series([per_bin.get(b, train[col].mode()[0]) for b in bins_te])

    if mode in ("id_neighbour", "id_only"):
        pred = id_model(target)
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
                                 stratify=os.environ.get("STRATIFY") or None)
        info["keyed_replay_matches"] = sorted(re_test["id"]) == sorted(test["id"])
    elif mode in ("fixtures", "search"):
        # Find the raw dataset by content and read the label off a line that holds a test row's values.
        # "search": every regular file the sandbox can read under / (whatever its name; gzip, bz2, xz
        # and zip content decoded), except /proc, /sys, /dev and the run's own folders (the public data,
        # this code, the submission);
        # "fixtures": scikit-learn's OpenML test fixtures in the given venvs (else the interpreter's).
        import bz2, lzma, stat, zipfile
        classes = sorted(map(str, train[target].unique()), key=len, reverse=True)
        feats = [c for c in test.columns if c != "id"]
        token_re = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[^\W\d_]+")

        def canon(tok):  # numbers by value (35 == 35.0), words case-blind
            return repr(float(tok)) if tok[-1].isdigit() else tok.lower()

        # A test row is known by the tokens of its text values and non-integer numbers (integers are
        # everywhere); a line holds it when it has at least three quarters of them (a copy may format
        # a value differently, e.g. "Mr." for "Mr").
        want, need, by_token, words = {}, {}, {}, {}
        for i, row in test[feats].iterrows():
            vals = [str(v) for v in row if isinstance(v, str) or (v == v and float(v) != int(float(v)))]
            raw = [t for v in vals for t in token_re.findall(v)]
            toks = set(map(canon, raw))
            if len(toks) >= 3:
                want[i], need[i] = toks, max(3, -(-3 * len(toks) // 4))
                words[i] = max((t for t in raw if not t[-1].isdigit()), key=len, default=raw[0])
                for t in toks:
                    by_token.setdefault(t, []).append(i)
        # A line gives the label only if it names a class: a file piece without any class name is passed
        # over after a byte search (fast). Classes that are numbers or very short would match anywhere,
        # so then each row's longest word is searched for instead.
        named = all(len(c) >= 3 and not c.replace(".", "").isdigit() for c in classes)
        needles = [c.encode() for c in classes] if named else sorted({w.encode() for w in words.values()})
        label_re = re.compile("|".join(r"\b" + re.escape(c) + r"\b" for c in classes))

        def pieces(stream, size=16 << 20):
            """The stream in pieces of about ``size`` bytes that end at a line break."""
            rest = b""
            while True:
                block = stream.read(size)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1 or len(block)
                rest = block[cut:]
                yield block[:cut]
            if rest:
                yield rest

        def contents(path):
            with open(path, "rb") as fh:
                head = fh.read(6)
                fh.seek(0)
                if head[:2] == b"\x1f\x8b":
                    yield from pieces(gzip.open(fh))
                elif head[:3] == b"BZh":
                    yield from pieces(bz2.open(fh))
                elif head == b"\xfd7zXZ\x00":
                    yield from pieces(lzma.open(fh))
                elif head[:4] == b"PK\x03\x04":
                    with zipfile.ZipFile(fh) as z:
                        for m in z.infolist():
                            with z.open(m) as member:
                                yield from pieces(member)
                else:
                    yield from pieces(fh)

        def files():
            if mode == "fixtures":
                roots = sys.argv[3:] or [os.path.dirname(os.path.dirname(np.__file__))]
                for root in roots:
                    yield from glob.iglob(os.path.join(root, "**/tests/data/openml/**/*"), recursive=True)
                return
            own = {"/proc", "/sys", "/dev", "/home/data", "/home/code", "/home/submission"}
            for top, dirs, names in os.walk("/", onerror=lambda e: None):
                dirs[:] = [d for d in dirs if os.path.join(top, d) not in own]
                for n in names:
                    yield os.path.join(top, n)

        info["files_read"] = info["bytes_read"] = 0
        for path in files():
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                info["files_read"] += 1
                for piece in contents(path):
                    info["bytes_read"] += len(piece)
                    if not want or not any(n in piece for n in needles):
                        continue
                    for line in piece.decode("utf-8", "replace").splitlines():
                        label = label_re.search(line)
                        if label is None:
                            continue
                        hits = {}
                        for t in set(map(canon, token_re.findall(line))):
                            for i in by_token.get(t, ()):
                                hits[i] = hits.get(i, 0) + 1
                        for i, n in hits.items():
                            if n >= need[i] and i in want:
                                pred[i] = type(majority)(label.group()) if not isinstance(majority, str) else label.group()
                                info["found"] += 1
                                info.setdefault("files", []).append(path)
                                del want[i]
            except Exception:
                continue
    info["cpu_seconds"] = round(time.process_time(), 1)
    out = sample.copy()
    others = [(c, id_model(c)) for c in labels if c != target] if mode in ("id_neighbour", "id_only") else []
    for col, values in [(target, pred), *others]:
        if col in out.columns:
            out[col] = values.to_numpy()
        else:  # a label whose classes are the submission's probability columns: one-hot
            for c in out.columns.drop("id"):
                out[c] = (values.astype(str).to_numpy() == c).astype(float)
    out.to_csv("/home/submission/submission.csv", index=False)
    print(json.dumps(info))
''')


def stratify_column(spec: TaskSpec) -> str:
    """The column a built-in task's preparation stratifies its split by ("" when it does not): the
    attacker reads it in prepare.py, so the replay uses exactly the preparation's parameters."""
    found = re.search(r'stratify="(\w+)"', (spec.directory / "prepare.py").read_text())
    return found.group(1) if found else ""


def run_attack(
    bwrap: BwrapSandbox,
    box: Path,
    task_id: str,
    target: str,
    mode: str,
    *,
    venv: Path | None = None,
    mounts: list[Mount] | None = None,
    hide: list[Path] | None = None,
    pt: PreparedTask | None = None,
) -> tuple[dict, CompetitionReport]:
    """Run the attack with the agent's own ``mounts`` (e.g. its venv) and ``hide`` (default: what the
    runner passes for those mounts); ``venv`` names the packages a content attack searches; ``pt`` is
    another preparation of the task (default: the real one)."""
    spec = REGISTRY.get(task_id)
    real = ensure_prepared(spec)  # what the runner scans and hides for, whichever copy is attacked
    pt = pt or real
    sub = box / f"{task_id}-{mode}-{len(list(box.glob(f'{task_id}-{mode}*')))}"
    sub.mkdir()
    sub.chmod(0o777)  # writable by the sandbox user: the harness never chowns host folders
    # staged like a run group's _shared/ (the cache is not reachable)
    public = box / f"{task_id}-public{'' if pt is real else '-control'}"
    if not public.exists():
        shutil.copytree(pt.public, public)
        for p in [public, *public.iterdir()]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    (box / "attack.py").write_text(ATTACK)
    log = box / f"{sub.name}.log"
    mounts = list(mounts or [])
    if hide is None:  # exactly what the runner passes: scan the run's trees, hide floor + findings in them
        hide = scan_and_hide([real], run_trees(mounts, box))
    roots = [str(p) for p in sorted(venv.glob("lib/python3*/site-packages"))] if venv is not None else []
    result = bwrap.run(
        SandboxRequest(
            argv=[sys.executable, "/home/code/attack.py", target, mode, *roots],
            mounts=[
                Mount(public, "/home/data"),
                Mount(box, "/home/code"),
                Mount(sub, "/home/submission", writable=True),
                *mounts,
            ],
            env={"COMPETITION_ID": task_id, "STRATIFY": stratify_column(spec)},
            cwd="/home/code",
            limits=Limits(memory_gb=2, cpus=1, pids=64, time_limit_secs=300),
            stdout=log,
            deny=[pt.private],
            hide=hide,
        )
    )
    text = log.read_text()
    assert result.ok, (result, text[-2000:])
    info = json.loads(text.strip().splitlines()[-1])
    report = grade_submission(sub / "submission.csv", spec, pt)
    assert report.valid_submission, report.error
    return info, report


@pytest.mark.parametrize("task_id", SUITE)
@pytest.mark.parametrize("mode", ["id_only", "id_neighbour"])
def test_id_attacks_score_no_better_than_no_skill(bwrap: BwrapSandbox, box: Path, task_id: str, mode: str) -> None:
    """Every built-in task: the ids alone (nearest train id's label, or the id decile's majority) give
    no medal and stay under the median; every column the task asks for is attacked."""
    info, report = run_attack(bwrap, box, task_id, "-", mode)
    assert info["labels"], info
    assert not report.any_medal and not report.above_median, (mode, report.score, report.median_threshold)


def ids_in_label_order(pt: PreparedTask, root: Path) -> PreparedTask:
    """A copy of a single-target task whose ids follow the label over train and test together, as
    source positions did on class-ordered data before ids were keyed: the leak the id attacks exploit."""
    public, private = root / "prepared" / "public", root / "prepared" / "private"
    shutil.copytree(pt.public, public)
    shutil.copytree(pt.private, private)
    (target,) = pt.spec.target_columns
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    answers, sample = pd.read_csv(private / "answers.csv"), pd.read_csv(public / "sample_submission.csv")
    labels = pd.concat([train[["id", target]], answers[["id", target]]])
    shuffled = np.random.default_rng(0).permutation(len(labels))  # train and test rows mixed within a label
    order = np.lexsort((shuffled, labels[target].to_numpy()))
    new_id = pd.Series(np.argsort(order), index=labels["id"].to_numpy())
    for frame, path in (
        (train, public / "train.csv"),
        (test, public / "test.csv"),
        (answers, private / "answers.csv"),
        (sample, public / "sample_submission.csv"),
    ):
        frame.assign(id=frame["id"].map(new_id)).sort_values("id").to_csv(path, index=False)
    copy = PreparedTask(pt.spec, root)
    hashes = {"public": tree_checksums(public), "private": tree_checksums(private)}
    atomic_write_json(copy.manifest_path, pt.manifest().model_copy(update=hashes))
    record_fingerprint(copy)  # what grading checks a prepared task against
    return copy


@pytest.mark.parametrize("task_id", ["seattle-pets", "college-earnings"])
@pytest.mark.parametrize("mode", ["id_only", "id_neighbour"])
def test_id_attacks_win_where_ids_follow_the_label(
    bwrap: BwrapSandbox, box: Path, tmp_path: Path, task_id: str, mode: str
) -> None:
    """Control: on a copy whose ids follow the label, the same attacks and grading give a medal, so the
    test above fails when a preparation leaks through its ids."""
    leaky = ids_in_label_order(ensure_prepared(REGISTRY.get(task_id)), tmp_path / task_id)
    _, report = run_attack(bwrap, box, task_id, "-", mode, pt=leaky)
    assert report.any_medal, (mode, report.score, report.gold_threshold)


@pytest.mark.parametrize("task_id", SUITE)
def test_split_replay_without_the_secret_fails(bwrap: BwrapSandbox, box: Path, task_id: str) -> None:
    """Every built-in task: neither the old seeded split nor keyed_split replayed (with the task's own
    stratification, from its prepare.py) on the visible rows and guessed labels rebuilds the test set."""
    info, report = run_attack(bwrap, box, task_id, "-", "split_replay")
    assert info["old_replay_matches"] is False and info["keyed_replay_matches"] is False, info
    assert not report.any_medal and not report.above_median


def bound_venv(which: str) -> tuple[Path, list[Mount]]:
    """A venv some agent binds read-only, and the mounts it gets: the harness venv (every agent), the
    solution venv (aide, research) or aideml's venv; skips when that venv is not installed here."""
    if which == "harness":
        return Path(sys.prefix), []
    venv = default_venv() if which == "solution" else AIDEML.venv(None)
    if not (venv / OPENML).is_dir():
        pytest.skip(f"no {which} venv with scikit-learn's OpenML fixtures at {venv}")
    return venv, solution_mounts(venv) if which == "solution" else [Mount(venv, str(venv))]


@pytest.mark.parametrize(
    ("task_id", "target", "fixture_id"),
    [
        ("penguins-species", "species", "id_42585"),
        ("titanic-passengers", "survived", "id_40945"),
    ],
)
@pytest.mark.parametrize("which", ["harness", "solution", "aideml"])
def test_sklearn_openml_fixtures_in_every_bound_venv_are_found_and_hidden(
    bwrap: BwrapSandbox, box: Path, which: str, task_id: str, target: str, fixture_id: str
) -> None:
    """ids 42585 (penguins) and 40945 (titanic) ship the full labelled data inside every scikit-learn:
    the runner's scan finds them by content in the venv the agent binds, and the attack reads nothing."""
    venv, mounts = bound_venv(which)
    pt = ensure_prepared(REGISTRY.get(task_id))
    trees = run_trees(mounts, box)
    assert venv.resolve() in [t.resolve() for t in trees]
    found = [f.path for f in ensure_scan([pt], trees).findings]
    fixture = [p for p in found if p.startswith(str(venv.resolve())) and f"/{fixture_id}/" in p]
    assert fixture, found
    # without the findings hidden (the floor only), the attack does read the labels: it is a real attack
    control, _ = run_attack(bwrap, box, task_id, target, "fixtures", venv=venv, mounts=mounts, hide=floor_paths(trees))
    assert control["found"] >= 40 and any(fixture_id in f for f in control["files"]), control
    info, report = run_attack(bwrap, box, task_id, target, "fixtures", venv=venv, mounts=mounts)
    assert info["found"] == 0, info
    assert not report.any_medal and not report.above_median


@pytest.mark.slow
def test_generic_search_of_every_readable_file_finds_no_answers(bwrap: BwrapSandbox, box: Path) -> None:
    """Every file the sandbox can read is searched by content. With only the floor hidden the same search
    does find penguins' labels (scikit-learn's OpenML fixture in the harness venv): it is a real attack.
    With what the runner hides, it finds nothing."""
    control, _ = run_attack(bwrap, box, "penguins-species", "species", "search", hide=floor_paths(run_trees([], box)))
    assert control["found"] >= 40 and any("id_42585" in f for f in control["files"]), control
    info, report = run_attack(bwrap, box, "penguins-species", "species", "search")
    assert info["files_read"] > 10_000 and info["bytes_read"] > 1e9, info  # it did read the trees
    assert info["found"] == 0, info
    assert not report.any_medal and not report.above_median
