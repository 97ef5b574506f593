"""Content fingerprints of a prepared task's hidden test rows, and matching of any table's rows to them.

A test row's fingerprint is the multiset of canonical tokens of its feature values (numbers rounded
to 6 significant digits, text split into lower-case words) plus the tokens of its answer. Tokens are
what survives typical re-encodings of a dataset (CSV vs ARFF vs pickle, ``2008`` vs ``2008.0``,
``0.2954122314`` vs ``0.295412231433``, renamed or reordered columns), so a copy of the raw data is
recognised wherever it lies, whatever the format. Matching uses each row's two rarest tokens as an
index, so scanning a large file costs little unless it really holds the task's rows.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from medalist.tasks.prepare import PreparedTask

TOKEN_RE = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[^\W\d_]+")
MIN_ROW_TOKENS = 3
MAX_CANDIDATES = 64  # rows verified per record: a raw row matches one test row (or a few duplicates)
GRAM = 3
GRAM_SHARE = 0.5  # ... and half of its runs of GRAM consecutive tokens (column order mostly survives)
UNIGRAM_CAP = 20
FEATURE_SHARE = 0.8  # a record matches a test row when it holds 80% of the row's feature tokens


def canon_number(x: float) -> str:
    """``2008.0`` -> ``2008``; ``0.2954122314`` -> ``0.295412`` (6 significant digits)."""
    if not math.isfinite(x):
        return ""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return format(x, ".6g")


@lru_cache(maxsize=1 << 20)
def canon_token(tok: str) -> str:
    """One raw token in canonical form: numbers normalised, words lower-cased."""
    if tok[:1].isdigit() or (tok[:1] == "-" and tok[1:2].isdigit()):
        try:
            return canon_number(float(tok))
        except ValueError:
            return tok.lower()
    return tok.lower()


def text_tokens(text: str) -> list[str]:
    """Canonical tokens of free text or a raw line (empty strings dropped)."""
    return [t for t in (canon_token(m) for m in TOKEN_RE.findall(text)) if t]


def cell_tokens(value: object) -> list[str]:
    """Canonical tokens of one table cell (missing values give none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (bool, np.bool_)):
        return [str(int(value))]
    if isinstance(value, (int, float, np.integer, np.floating)):
        t = canon_number(float(value))
        return [t] if t else []
    return text_tokens(str(value))


@dataclass
class TaskFingerprint:
    """The hidden test rows of one task as token multisets, with a rare-anchor index for fast matching.

    Anchors are a row's rarest token (when at most ``UNIGRAM_CAP`` test rows share it) and its rarest
    run of ``GRAM`` consecutive feature tokens (distinctive even for low-cardinality data such as
    pixel values, whose single tokens are shared by every row).
    """

    task_id: str
    digest: str  # changes when the prepared answers or test features change
    features: list[Counter[str]]
    labels: list[list[str]]
    grams: list[frozenset[str]] = field(default_factory=list)  # runs of GRAM consecutive feature tokens
    anchors: dict[str, list[int]] = field(default_factory=dict)  # "u:token" / "g:t1 t2 t3" -> rows

    @property
    def rows(self) -> int:
        return len(self.features)


def record_keys(tokens: list[str]) -> set[str]:
    """The anchor keys a raw record (row or line) offers: its tokens and its runs of GRAM tokens."""
    keys = {"u:" + t for t in tokens}
    keys.update("g:" + " ".join(tokens[i:i + GRAM]) for i in range(len(tokens) - GRAM + 1))
    return keys


def _answer_labels(answers: pd.DataFrame, id_column: str) -> list[list[str]]:
    """Each answer row's label tokens; a one-hot row (several 0/1 columns) gives its class name."""
    cols = [c for c in answers.columns if c != id_column]
    values = answers[cols]
    one_hot = len(cols) > 1 and values.isin([0, 1]).all().all() and (values.sum(axis=1) == 1).all()
    if one_hot:
        return [text_tokens(str(c)) for c in values.idxmax(axis=1)]
    return [[t for v in row for t in cell_tokens(v)] for row in values.itertuples(index=False, name=None)]


def task_fingerprint(pt: PreparedTask) -> TaskFingerprint:
    """Fingerprint the hidden test rows of a prepared task (test features joined with the answers)."""
    spec = pt.spec
    test = pd.read_csv(pt.public / "test.csv", keep_default_na=True, low_memory=False)
    answers = pd.read_csv(pt.answers_path, low_memory=False)
    idc = spec.id_column
    answers = answers.set_index(idc).loc[test[idc]].reset_index()
    sequences = [[t for v in row for t in cell_tokens(v)] for row in test.drop(columns=[idc]).itertuples(index=False, name=None)]
    feats = [Counter(seq) for seq in sequences]
    labels = _answer_labels(answers, idc)
    manifest = pt.manifest()
    digest = hashlib.sha256(
        f"{manifest.private.get(spec.answers, '')}|{manifest.public.get('test.csv', '')}|{FEATURE_SHARE}".encode()
    ).hexdigest()[:16]
    fp = TaskFingerprint(task_id=spec.id, digest=digest, features=feats, labels=labels,
                         grams=[frozenset() for _ in feats])
    uni: Counter[str] = Counter()
    grams: Counter[str] = Counter()
    for seq in sequences:
        uni.update(set(seq))
        grams.update({" ".join(seq[i:i + GRAM]) for i in range(len(seq) - GRAM + 1)})
    for i, seq in enumerate(sequences):
        if len(seq) < MIN_ROW_TOKENS:
            continue
        rare = min(seq, key=lambda t: (uni[t], -len(t), t))
        if uni[rare] <= UNIGRAM_CAP:
            fp.anchors.setdefault("u:" + rare, []).append(i)
        row_grams = [" ".join(seq[j:j + GRAM]) for j in range(len(seq) - GRAM + 1)]
        fp.grams[i] = frozenset(row_grams)
        if row_grams:
            fp.anchors.setdefault("g:" + min(row_grams, key=lambda g: (grams[g], g)), []).append(i)
    return fp


def prefilter(fp: TaskFingerprint, vocabulary: set[str], min_rows: int) -> bool:
    """True when a file's token vocabulary could hold the anchors of at least ``min_rows`` test rows."""
    rows: set[int] = set()
    for key, members in fp.anchors.items():
        if all(t in vocabulary for t in key[2:].split(" ")):
            rows.update(members)
            if len(rows) >= min_rows:
                return True
    return False


@dataclass
class MatchCount:
    """How many distinct test rows a source holds: by features alone, and with the answer as well."""

    features: set[int] = field(default_factory=set)
    answers: set[int] = field(default_factory=set)


def match_records(
    fp: TaskFingerprint, records: Iterable[list[str]], into: MatchCount | None = None, enough: int | None = None
) -> MatchCount:
    """Match token records (one per raw row/line) against the test rows; returns the rows found.

    With ``enough``, stops once that many rows were found with their answers (the source is then
    known to leak; counts are lower bounds).
    """
    out = into or MatchCount()
    for tokens in records:
        if enough is not None and len(out.answers) >= enough:
            break
        if len(tokens) < MIN_ROW_TOKENS:
            continue
        candidates = {i for k in record_keys(tokens) & fp.anchors.keys() for i in fp.anchors[k][:MAX_CANDIDATES]}
        candidates -= out.answers
        if not candidates:
            continue
        have = Counter(tokens)
        present = have.keys()
        line_grams = {" ".join(tokens[j:j + GRAM]) for j in range(len(tokens) - GRAM + 1)}
        for i in candidates:
            need = fp.features[i]
            found = sum(min(n, have[t]) for t, n in need.items())
            row_grams = fp.grams[i]
            if row_grams and len(row_grams & line_grams) < GRAM_SHARE * len(row_grams):
                continue  # same values, other order: not this row (matters for low-cardinality data)
            if found >= FEATURE_SHARE * sum(need.values()):
                out.features.add(i)
                if all(t in present for t in fp.labels[i]):
                    out.answers.add(i)
    return out
