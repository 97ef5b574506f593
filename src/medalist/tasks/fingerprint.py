"""Content fingerprints of a prepared task's hidden test rows, and matching of any table's rows to them.

A test row's fingerprint is the multiset of canonical tokens of its feature values (numbers rounded
to 6 significant digits, text split into lower-case words) plus the tokens of its answer. Tokens are
what survives typical re-encodings of a dataset (CSV vs ARFF vs pickle, ``2008`` vs ``2008.0``,
``0.2954122314`` vs ``0.295412231433``, renamed or reordered columns), so a copy of the raw data is
recognised wherever it lies, whatever the format. Matching uses each row's rarest token and rarest run
of tokens as an index (:class:`FingerprintIndex`, shared by every task scanned at once), so scanning a
large file costs little unless it really holds a task's rows.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from medalist.tasks.prepare import PreparedTask

TOKEN_RE = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[^\W\d_]+")
MIN_ROW_TOKENS = 3
MAX_CANDIDATES = 64  # rows verified per record: a raw row matches one test row (or a few duplicates)
GRAM = 3
GRAM_SHARE = 0.5  # ... and half of its runs of GRAM consecutive tokens (column order mostly survives)
UNIGRAM_CAP = 20
FEATURE_SHARE = 0.8  # a record matches a test row when it holds 80% of the row's feature tokens
LOW_INFORMATION_TOKENS = 1024


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
    return [t for t in map(canon_token, TOKEN_RE.findall(text)) if t]


def token_hashes(tokens: Iterable[str]) -> np.ndarray:
    """Stable 32-bit hashes of tokens (CRC-32 of their UTF-8 bytes), sorted and distinct: a file's
    sketch. A collision only makes a token look present (a file is then read, never skipped wrongly)."""
    return np.unique(np.fromiter((zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in tokens), dtype=np.uint32))


def vocabulary(text: str) -> set[str]:
    """The distinct canonical tokens of a text (what :meth:`FingerprintIndex.prefilter` decides on)."""
    found = set(map(canon_token, set(TOKEN_RE.findall(text))))
    found.discard("")
    return found


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


def _answer_labels(answers: pd.DataFrame, id_column: str) -> list[list[str]]:
    """Each answer row's label tokens; a one-hot row (several 0/1 columns) gives its class name."""
    cols = [c for c in answers.columns if c != id_column]
    values = answers[cols]
    one_hot = len(cols) > 1 and values.isin([0, 1]).all().all() and (values.sum(axis=1) == 1).all()
    if one_hot:
        return [text_tokens(str(c)) for c in values.idxmax(axis=1)]
    return [[t for v in row for t in cell_tokens(v)] for row in values.itertuples(index=False, name=None)]


def _row_tokens(frame: pd.DataFrame) -> list[list[str]]:
    """Each row's cell tokens in column order (a column's distinct values are tokenised once)."""
    columns = []
    for col in frame.columns:
        codes, uniques = pd.factorize(frame[col], use_na_sentinel=True)
        toks = [cell_tokens(u) for u in uniques] + [[]]  # code -1 (missing) -> no tokens
        columns.append([toks[c] for c in codes])
    return [list(chain.from_iterable(row)) for row in zip(*columns)] if columns else [[] for _ in range(len(frame))]


def task_fingerprint(pt: PreparedTask) -> TaskFingerprint:
    """Fingerprint the hidden test rows of a prepared task (test features joined with the answers)."""
    spec = pt.spec
    test = pd.read_csv(pt.public / "test.csv", keep_default_na=True, low_memory=False)
    answers = pd.read_csv(pt.answers_path, low_memory=False)
    idc = spec.id_column
    answers = answers.set_index(idc).loc[test[idc]].reset_index()
    sequences = _row_tokens(test.drop(columns=[idc]))
    feats = [Counter(seq) for seq in sequences]
    labels = _answer_labels(answers, idc)
    fp = TaskFingerprint(
        task_id=spec.id,
        digest=fingerprint_digest(pt) or "",
        features=feats,
        labels=labels,
        grams=[frozenset() for _ in feats],
    )
    distinct = [set(seq) for seq in sequences]
    row_grams = [frozenset(map(" ".join, zip(*(seq[j:] for j in range(GRAM))))) for seq in sequences]
    uni: Counter[str] = Counter(chain.from_iterable(distinct))
    grams: Counter[str] = Counter(chain.from_iterable(row_grams))
    for i, seq in enumerate(sequences):
        if len(seq) < MIN_ROW_TOKENS:
            continue
        rare = min(distinct[i], key=lambda t: (uni[t], -len(t), t))
        if uni[rare] <= UNIGRAM_CAP:
            fp.anchors.setdefault("u:" + rare, []).append(i)
        fp.grams[i] = row_grams[i]
        if row_grams[i]:
            fp.anchors.setdefault("g:" + min(row_grams[i], key=lambda g: (grams[g], g)), []).append(i)
    return fp


def fingerprint_digest(pt: PreparedTask) -> str | None:
    """What a task's fingerprint is built from (the prepared answers and test features), as a short digest
    read from the manifest without loading the data; None when the task has no public ``test.csv`` or
    its answers are not an id-keyed CSV table (e.g. MLAgentBench's, which an eval script holds)."""
    spec = pt.spec
    if not (pt.public / "test.csv").is_file() or not pt.answers_path.is_file() or not _is_id_table(pt):
        return None
    manifest = pt.manifest()
    answers = manifest.private.get(spec.answers) or _stat_key(pt.answers_path)
    test = manifest.public.get("test.csv") or _stat_key(pt.public / "test.csv")
    return hashlib.sha256(f"{answers}|{test}|{FEATURE_SHARE}".encode()).hexdigest()[:16]


def _is_id_table(pt: PreparedTask) -> bool:
    """Whether the answers file reads as a CSV table with the task's id column (its header only)."""
    try:
        header = pd.read_csv(pt.answers_path, nrows=0)
    except (ValueError, OSError, UnicodeDecodeError):  # pandas' parser errors are ValueErrors
        return False
    return pt.spec.id_column in header.columns


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def min_rows(rows: int) -> int:
    """Test rows a source must hold before it counts: 5, or 2% of the test set if more."""
    return max(5, int(0.02 * rows))


@dataclass
class MatchCount:
    """How many distinct test rows a source holds: by features alone, and with the answer as well."""

    features: set[int] = field(default_factory=set)
    answers: set[int] = field(default_factory=set)


class FingerprintIndex:
    """Several tasks' fingerprints behind one anchor index, so a file is tokenised once for all of them.

    Rows are numbered globally (task ``k``'s rows follow task ``k-1``'s). The pre-filter decides from a
    file's token vocabulary alone, with array operations, which tasks could have enough anchored rows in
    it; only those are matched line by line.
    """

    def __init__(self, fps: list[TaskFingerprint]) -> None:
        self.fps = fps
        self.offsets = np.cumsum([0, *(fp.rows for fp in fps)])
        self.row_task = np.repeat(np.arange(len(fps)), [fp.rows for fp in fps])
        self.features: list[Counter[str]] = [c for fp in fps for c in fp.features]
        self.labels: list[list[str]] = [lab for fp in fps for lab in fp.labels]
        self.grams: list[frozenset[str]] = [g for fp in fps for g in fp.grams]
        self.min_rows = np.array([min_rows(fp.rows) for fp in fps])
        self.uni: dict[str, list[int]] = {}
        self.gram: dict[str, list[int]] = {}
        tok_id: dict[str, int] = {}
        u_tok, u_row, g_tok, g_row = [], [], [], []
        for k, fp in enumerate(fps):
            base = int(self.offsets[k])
            for key, members in fp.anchors.items():
                rows = [base + m for m in members]
                target = self.uni if key[0] == "u" else self.gram
                target.setdefault(key[2:], []).extend(rows[:MAX_CANDIDATES])
                ids = [tok_id.setdefault(t, len(tok_id)) for t in key[2:].split(" ")]
                if key[0] == "u":
                    u_tok += [ids[0]] * len(rows)
                    u_row += rows
                else:
                    g_tok += [ids] * len(rows)
                    g_row += rows
        self.anchor_tokens = len(tok_id)  # ids below this are anchor tokens
        self._anchor_hashes: np.ndarray | None = None
        self.tokens = frozenset(tok_id)
        self.uni_keys = frozenset(self.uni)
        self.gram_keys = frozenset(self.gram)
        self.u_tok, self.u_row = np.array(u_tok, dtype=np.int64), np.array(u_row, dtype=np.int64)
        self.g_tok = np.array(g_tok, dtype=np.int64).reshape(-1, GRAM)
        self.g_row = np.array(g_row, dtype=np.int64)
        # Every feature token of every row (rows x tokens, weighted by count), one block per task: a row
        # can only be in a file whose vocabulary holds FEATURE_SHARE of its feature tokens. Skipped for
        # tasks whose rows are made of a few hundred distinct tokens (pixels, small codes): any numeric
        # file holds them all, so only the anchors' order (runs of tokens) tells.
        self.blocks: list[sparse.csr_matrix | None] = []
        for k, fp in enumerate(fps):
            distinct = set().union(*fp.features) if fp.features else set()
            if len(distinct) <= LOW_INFORMATION_TOKENS:
                self.blocks.append(None)
                continue
            indptr, indices, weights = [0], [], []
            for need in fp.features:
                for t, n in need.items():
                    indices.append(tok_id.setdefault(t, len(tok_id)))
                    weights.append(n)
                indptr.append(len(indices))
            self.blocks.append(
                sparse.csr_matrix(
                    (
                        np.array(weights, dtype=np.float32),
                        np.array(indices, dtype=np.int64),
                        np.array(indptr, dtype=np.int64),
                    )
                )
            )
        self.need_min = FEATURE_SHARE * np.array([sum(c.values()) for c in self.features], dtype=np.float32) - 1e-3
        self.all_tokens = frozenset(tok_id)
        self.tok_id = tok_id

    def prefilter(self, vocabulary: set[str], at_least: int | None = None) -> dict[int, np.ndarray]:
        """Tasks that could have at least ``min_rows`` (or ``at_least``) test rows in a file with this
        vocabulary, with those rows (global numbers). Two necessary conditions, the cheap one first: the
        row's anchor is present (all its tokens are), and FEATURE_SHARE of its feature tokens are."""
        common = vocabulary & self.tokens
        if not common:
            return {}
        present = np.zeros(self.anchor_tokens, dtype=bool)
        present[[self.tok_id[t] for t in common]] = True
        mask, tasks = self._anchored(present, at_least)
        if not tasks:
            return {}
        least = self.min_rows if at_least is None else np.full(len(self.fps), at_least)
        full: np.ndarray | None = None
        out = {}
        for k in tasks:
            lo, hi = int(self.offsets[k]), int(self.offsets[k + 1])
            ok = mask[lo:hi]
            block = self.blocks[k]
            if block is not None:
                if full is None:
                    full = np.zeros(len(self.tok_id), dtype=np.float32)
                    full[[self.tok_id[t] for t in vocabulary & self.all_tokens]] = 1.0
                ok = ok & (block @ full[: block.shape[1]] >= self.need_min[lo:hi])
            if ok.sum() >= least[k]:
                out[k] = lo + np.flatnonzero(ok)
        return out

    def _anchored(self, present: np.ndarray, at_least: int | None) -> tuple[np.ndarray, list[int]]:
        """Rows whose anchor tokens are all ``present`` (by anchor token id), and the tasks with at least
        ``min_rows`` (or ``at_least``) of them."""
        least = self.min_rows if at_least is None else np.full(len(self.fps), at_least)
        mask = np.zeros(len(self.row_task), dtype=bool)
        mask[self.u_row[present[self.u_tok]]] = True
        mask[self.g_row[present[self.g_tok].all(axis=1)]] = True
        per_task = np.add.reduceat(mask, self.offsets[:-1]) if len(mask) else np.zeros(len(self.fps))
        return mask, [int(k) for k in np.flatnonzero(per_task >= least) if self.fps[k].rows]

    @property
    def anchor_hashes(self) -> np.ndarray:
        """The hash (as in a file's sketch) of every anchor token, by anchor token id."""
        if self._anchor_hashes is None:
            anchors = sorted(((i, t) for t, i in self.tok_id.items() if i < self.anchor_tokens))
            self._anchor_hashes = np.array(
                [zlib.crc32(t.encode("utf-8", "surrogatepass")) for _, t in anchors], dtype=np.uint32
            )
        return self._anchor_hashes

    def gate(self, present: np.ndarray, at_least: int | None = None) -> list[int]:
        """Tasks that could have enough anchored rows in a file whose sketch holds the anchor tokens
        marked in ``present`` (by anchor token id): the pre-filter's first condition, without the file."""
        return self._anchored(present, at_least)[1]

    def match(self, records: Iterable[list[str]], rows: dict[int, np.ndarray], counts: dict[int, MatchCount]) -> None:
        """Match token records (raw rows/lines) against the candidate ``rows`` of each task (as the
        pre-filter returns them); found rows are added to ``counts`` (by task index, global row numbers)."""
        if not rows:
            return
        allowed: set[int] = set(np.concatenate(list(rows.values())).tolist())
        for k in rows:
            counts.setdefault(k, MatchCount())
        allowed -= set().union(*(counts[k].answers for k in rows))
        for tokens in records:
            if not allowed:
                break
            if len(tokens) < MIN_ROW_TOKENS:
                continue
            present = set(tokens)
            line_grams = {" ".join(g) for g in zip(tokens, tokens[1:], tokens[2:])}
            candidates: set[int] = set()
            for t in present & self.uni_keys:
                candidates.update(self.uni[t])
            for g in line_grams & self.gram_keys:
                candidates.update(self.gram[g])
            candidates &= allowed
            if not candidates:
                continue
            have: Counter[str] | None = None
            for i in candidates:
                row_grams = self.grams[i]
                if row_grams and len(row_grams & line_grams) < GRAM_SHARE * len(row_grams):
                    continue  # same values, other order: not this row (matters for low-cardinality data)
                need = self.features[i]
                if have is None:
                    have = Counter(tokens)
                found = sum(min(n, have[t]) for t, n in need.items())
                if found >= FEATURE_SHARE * sum(need.values()):
                    count = counts[int(self.row_task[i])]
                    count.features.add(i)
                    if all(t in present for t in self.labels[i]):
                        count.answers.add(i)
                        allowed.discard(i)
