"""Indicator families: the same measure written by many units, grouped across a corpus.

A family is what a reviewer compares a target against: "群众满意度", "企业满意度" and "满意度" are
one family (服务对象满意度, ≥90%); "2024年污水处理量" and "年污水处理量" another (污水处理量, 吨).

Grouping, in order (each step a named rule over the printed name):

1. `normalise_name`: NFKC, no spaces, quotes or bracketed asides ("培训（会议）天数" -> "培训天数"),
   no list numbering ("1. 通过…"), years and months ("2025年中水处理量" -> "中水处理量"), no
   leading period word of lexicons/practice_words.tsv (drop_prefix: "全年", "年").
2. `family_key`: a name ending with a pooled head (practice_words.tsv, pooled_head: 合格率,
   满意度, 足额支付率 …) is keyed by that head: a rate's target is the same commitment whatever
   it is the rate of ("办公设备验收合格率", "服装验收合格率" -> "合格率").
3. `cluster_keys`: the other keys of one category (二级指标) are grouped by char n-gram TF-IDF
   cosine similarity (char 1-2 grams; `CharTfidf`: scikit-learn's TfidfVectorizer, computed
   without importing it): keys are taken most frequent first; each
   joins the most similar family leader at or above SIMILARITY whose unit dimension agrees
   (ratio / money / count…, units.tsv kind; a name without a quantity target agrees with any),
   else it leads a new family. Leader clustering does not chain ("A~B~C" with A !~ C).

The library (`build_library`) is one row per family and unit with member names, counts and the
target distribution (quantiles and the sorted values); `builtin_library()` is the one made from
corpora/ and shipped in practice/data/, so one document can be compared without a corpus.
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib.resources import files
from itertools import groupby, repeat
from operator import add, attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import regex

from .. import lexicon
from ..model import Indicator

if TYPE_CHECKING:
    import pandas as pd

WORDS_FILE = "practice_words.tsv"
SIMILARITY = 0.4  # cosine of char 1-2 gram TF-IDF vectors; chosen on tests/data/families_labelled.tsv
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
MAX_VALUES = 201  # a family-unit keeps at most this many values (its quantile points when more)
DATA_DIR = "data"
LIBRARY_FILES = ("families.parquet", "members.parquet")

_QUOTES = regex.compile(r"[“”\"'‘’《》〈〉「」『』]")
_ASIDE = regex.compile(r"[（(][^（）()]{0,20}[)）]")
_NUMBERING = regex.compile(r"^(?:\d{1,2}[.、．:：]|[（(][\d一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、)")
_DATES = regex.compile(r"(?:20\d\d\s*(?:年度|年)?(?:\d{1,2}(?:\.\d{1,2})?(?:[-—至]\d{1,2}(?:\.\d{1,2})?)?日?)?|\d{1,2}月份?)")
_PUNCT = regex.compile(r"[\p{P}\p{S}\s]+")


@cache
def practice_words(role: str) -> tuple[str, ...]:
    """Words of one role in practice_words.tsv, longest first."""
    found = {norm(r["word"]) for r in lexicon.table(WORDS_FILE) if r.get("role") == role and r.get("word")}
    return tuple(sorted(found, key=lambda w: (-len(w), w)))


_SPACES = regex.compile(r"\s+")


def norm(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text or ""))


NAME_MEMO = 1 << 14  # distinct names kept by `name_keys` (~0.3 KiB each): bounded, flat in corpus size


def name_keys(name: str) -> tuple[str, str, bool]:
    """(normalised, key, pooled) of a printed name: `normalise_name` and `key_of` of it, decided
    once per distinct name (a bounded memo: the report reads every row twice, once per pass, and
    a corpus repeats its names, "满意度" in every project; KPISCAN_CLASSIFY_MEMO=0: afresh)."""
    return _name_keyer()(name)


def _name_keyer():
    """`name_keys`' function: the memo, or without it (KPISCAN_CLASSIFY_MEMO=0) the plain one."""
    from ..classify.memo import memo_enabled

    return _name_keys_memo if memo_enabled() else _name_keys


def _name_keys(name: str) -> tuple[str, str, bool]:
    normalised = normalise_name(name)
    return (normalised, *key_of(normalised))


_name_keys_memo = lru_cache(maxsize=NAME_MEMO)(_name_keys)


def normalise_name(name: str) -> str:
    """The name as families compare it.

    "2025年 中水处理量" -> "中水处理量"; "培训（会议）天数" -> "培训天数"; "1. 通过工信部平台动态管理"
    -> "通过工信部平台动态管理"; "全年开展会议次数" -> "开展会议次数"; "“三八”纪念活动开展时间" ->
    "三八纪念活动开展时间"."""
    text = norm(name)
    text = _QUOTES.sub("", text)
    text = _ASIDE.sub("", text)
    text = _NUMBERING.sub("", text)
    text = _DATES.sub("", text)
    text = _PUNCT.sub("", text)
    changed = True
    while changed:
        changed = False
        for word in practice_words("drop_prefix"):
            if text.startswith(word) and len(text) > len(word) + 1:
                text, changed = text[len(word):], True
                break
    return text or norm(name)


def family_key(name: str) -> tuple[str, bool]:
    """(key, pooled): the pooled head a rate's name ends with, else the normalised name.

    "办公设备验收合格率" -> ("合格率", True); "企业满意度" -> ("满意度", True);
    "2025年污水处理量" -> ("污水处理量", False)."""
    return name_keys(name)[1:]


def key_of(normalised: str) -> tuple[str, bool]:
    """`family_key` of a name already normalised (`normalise_name`): its longest pooled head,
    looked up by length (the heads of one length: a set; one of them at most ends the name)."""
    for size, heads in _heads_by_length():
        head = normalised[-size:]
        if head in heads:
            return _same_as().get(head, head), True
    return normalised, False


@cache
def _heads_by_length() -> tuple[tuple[int, frozenset[str]], ...]:
    """The pooled heads grouped by length, longest first (practice_words' order)."""
    by: dict[int, set[str]] = defaultdict(set)
    for head in practice_words("pooled_head"):
        if head:
            by[len(head)].add(head)
    return tuple((size, frozenset(by[size])) for size in sorted(by, reverse=True))


@cache
def _same_as() -> dict[str, str]:
    return {norm(r["word"]): norm(r["same_as"]) for r in lexicon.table(WORDS_FILE)
            if r.get("role") == "pooled_head" and r.get("same_as")}


@cache
def _unit_kinds() -> dict[str, str]:
    return {r["unit"]: r["kind"] for r in lexicon.table("units.tsv") if r.get("unit") and r.get("kind")}


def dimension(unit: str | None) -> str | None:
    """The unit's kind in units.tsv ("%" -> "ratio", "元" -> "money"), None without a unit."""
    if not unit:
        return None
    return _unit_kinds().get(unit, "count")


# ------------------------------------------------------------------ one row per printed indicator


@dataclass(slots=True)
class Row:
    """One printed indicator as the practice analyses read it (the annual half where printed)."""

    doc: str
    table: int
    line: int
    level2: str
    name: str
    key: str
    pooled: bool
    value: str
    kind: str
    op: str | None
    number: float | None
    unit: str | None  # the unit with its per-units: "元/人/天"
    dim: str | None
    period: str
    ids: tuple[str, ...] = ()  # the ids of its indicator records (both halves where printed twice)
    normalised: str = ""  # normalise_name(name), set by printed_rows (the one maker of Rows)


def unit_label(target) -> str | None:
    if target is None or target.unit is None:
        return None
    return "/".join([target.unit, *target.per]) if target.per else target.unit


def number_of(target) -> float | None:
    """The number a quantity target commits to: its value, or its lower end for a range."""
    if target is None or target.kind != "quantity":
        return None
    if target.value is not None:
        return target.value
    return target.low if target.low is not None else target.high


_PRINTED_AT = attrgetter("doc", "table", "line", "name")  # where a row is printed, both halves alike


def printed_rows(indicators: Iterable[Indicator]) -> list[Row]:
    """One Row per printed indicator: both halves of a project table print most rows twice, and
    the annual half (年度目标, what is evaluated at year end) is kept where it exists."""
    indicators = indicators if isinstance(indicators, list) else list(indicators)
    best: dict[tuple, list] = {}  # (doc, table, line, name) -> [the record kept, the ids of both halves...]
    for k, ind in zip(map(_PRINTED_AT, indicators), indicators):
        entry = best.get(k)
        if entry is None:
            best[k] = [ind, ind.id] if ind.id else [ind]
            continue
        if ind.id:
            entry.append(ind.id)
        if ind.period == "annual" and entry[0].period != "annual":
            entry[0] = ind
    rows = []
    keys_of = _name_keyer()
    for (doc, table, line, name), entry in best.items():  # (the kept record's place: its key's)
        if not name.strip():
            continue
        ind = entry[0]
        normalised, key, pooled = keys_of(name)
        t = ind.target
        number = unit = dim = None
        if t is None:
            kind, op = "", None
        else:
            kind, op = t.kind, t.op
            if kind == "quantity":  # (the three are None for any other kind)
                number, unit = number_of(t), unit_label(t)
                dim = dimension(t.unit) if unit else None
        rows.append(Row(doc, table, line, ind.level2, name, key, pooled, ind.value, kind, op,
                        number, unit, dim, ind.period, tuple(entry[1:]), normalised))
    return rows


_TABLE_OF = attrgetter("doc", "table")
_PAIR_OF = attrgetter("level2", "normalised")


def rows_by_table(indicators: Iterable[Indicator], rows: list[Row] | None = None) -> dict[tuple[str, int], list[Row]]:
    """The printed rows of each (doc, table) (`rows`: the indicators' printed_rows, when made already).
    A table's rows come one after another: they are grouped in C (groupby), a later run of a
    table's rows joined to its first."""
    out: dict[tuple[str, int], list[Row]] = {}
    for k, run in groupby(printed_rows(indicators) if rows is None else rows, _TABLE_OF):
        found = out.get(k)
        if found is None:
            out[k] = list(run)
        else:
            found.extend(run)
    return out


def table_sets(rows_by: dict[tuple[str, int], list[Row]]) -> dict[tuple[str, int], frozenset[tuple[str, str]]]:
    """Each table's indicator set, from its rows (`rows_by_table`): its (category, normalised name) pairs."""
    return {k: frozenset(map(_PAIR_OF, rows)) for k, rows in rows_by.items()}


def indicator_sets(indicators: Iterable[Indicator]) -> dict[tuple[str, int], frozenset[tuple[str, str]]]:
    """Each table's indicator set: its (category, normalised name) pairs."""
    return table_sets(rows_by_table(indicators))


# ------------------------------------------------------------------ clustering


VECTORISER = dict(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
_WHITE_SPACES = re.compile(r"\s\s+")  # sklearn's CountVectorizer._white_spaces (re)


class Csr:
    """A sparse matrix in compressed rows (numpy arrays: float32 `data`, int32 `indices`, `indptr`;
    `shape`), as scipy.sparse.csr_matrix stores it: what CharTfidf makes and `cosines` multiplies,
    without importing scipy.sparse (~0.15 CPU s, the report's only use of it)."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, data: Any, indices: Any, indptr: Any, shape: tuple[int, int]) -> None:
        self.data, self.indices, self.indptr, self.shape = data, indices, indptr, shape

    def rows(self, start: int, stop: int) -> "Csr":
        """Rows start..stop-1 (matrix[start:stop])."""
        at, end = int(self.indptr[start]), int(self.indptr[stop])
        return Csr(self.data[at:end], self.indices[at:end], self.indptr[start:stop + 1] - at, (stop - start, self.shape[1]))

    def take(self, rows: Any) -> "Csr":
        """The given rows, in that order (matrix[rows])."""
        import numpy as np

        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows].astype(np.int64), self.indptr[rows + 1].astype(np.int64)
        lengths = ends - starts
        indptr = np.zeros(len(rows) + 1, dtype=self.indptr.dtype)
        np.cumsum(lengths, out=indptr[1:])
        at = np.repeat(starts - indptr[:-1], lengths) + np.arange(int(indptr[-1]))
        return Csr(self.data[at], self.indices[at], indptr, (len(rows), self.shape[1]))

    def toarray(self) -> Any:
        import numpy as np

        dense = np.zeros(self.shape, dtype=self.data.dtype)
        dense[np.repeat(np.arange(self.shape[0]), np.diff(self.indptr)), self.indices] = self.data
        return dense


def cosines(a: Csr, b: Csr) -> Csr:
    """a @ b.T (row i of a against row k of b) as scipy.sparse computes it in float32
    (sparsetools csr_matmat): each product a[i,j] * b[k,j] rounded to float32 and added to the
    (i, k) sum in float32, in the order of row i's stored entries; sums of exactly 0 left out.
    The same values to the bit (tests/test_practice.py compares them); a row's entries come by
    column (scipy's come in another order: nothing here reads that order)."""
    import numpy as np

    # b's entries by column (term), then by row: the rows of b holding each term
    b_rows = np.repeat(np.arange(b.shape[0], dtype=np.int64), np.diff(b.indptr))
    by_term = np.lexsort((b_rows, b.indices))
    term_rows, term_values = b_rows[by_term], b.data[by_term]
    counts = np.bincount(b.indices, minlength=max(a.shape[1], b.shape[1]))
    starts = np.cumsum(counts) - counts
    # every (entry of a, row of b sharing its term): a's entries in stored order
    a_rows = np.repeat(np.arange(a.shape[0], dtype=np.int64), np.diff(a.indptr))
    n = counts[a.indices]
    total = int(n.sum())
    entry = np.repeat(np.arange(len(a.indices)), n)
    offset = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    at = starts[a.indices][entry] + offset
    i, k = a_rows[entry], term_rows[at]
    products = a.data[entry] * term_values[at]  # float32 times float32: float32
    order = np.lexsort((k, i))  # stable: each (i, k)'s products in a's stored order
    i, k, products = i[order], k[order], products[order]
    first = np.ones(total, dtype=bool)
    first[1:] = (i[1:] != i[:-1]) | (k[1:] != k[:-1])
    group_starts = np.nonzero(first)[0]
    lengths = np.diff(np.append(group_starts, total))
    sums = np.zeros(len(group_starts), dtype=np.float32)
    for p in range(int(lengths.max()) if len(lengths) else 0):  # the p-th product of every pair, in order
        groups = np.nonzero(lengths > p)[0]
        sums[groups] += products[group_starts[groups] + p]
    keep = sums != 0
    rows_of = i[group_starts][keep]
    indptr = np.zeros(a.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows_of, minlength=a.shape[0]), out=indptr[1:])
    return Csr(sums[keep], k[group_starts][keep].astype(np.int32), indptr, (a.shape[0], b.shape[0]))


class CharTfidf:
    """scikit-learn's `TfidfVectorizer(**VECTORISER, dtype=np.float32)` (char 1-2 grams of the
    lower-cased text, sublinear tf, smoothed idf, rows l2-normalised) in numpy: the same
    matrices (`Csr`), entry for entry, stored in the same order and equal to the last bit
    (tests/test_practice.py compares the two), so that the report and `family_of` import neither
    scikit-learn (~1.5 s of CPU and ~140 MiB at first use) nor scipy.sparse. `fit_transform(texts)`,
    then `transform(texts)`."""

    def __init__(self) -> None:
        self.vocabulary_: dict[str, int] = {}
        self.idf_: Any = None

    @staticmethod
    def _grams(text: str) -> list[str]:
        """The text's characters, then its pairs of adjacent characters (sklearn's _char_ngrams
        for (1, 2)): the pairs joined from the characters' list (`map` of `add` over it and
        itself shifted: no one-character string made again, as iterating a CJK string does)."""
        grams = list(_WHITE_SPACES.sub(" ", text.lower()))
        grams += map(add, grams[:-1], grams[1:])  # (both slices copied before the list grows)
        return grams

    def _counts(self, texts: list[str], vocabulary: dict[str, int], grow: bool) -> Csr:
        """CountVectorizer._count_vocab: per text its distinct grams' (index, count), the
        indices sorted per row (csr_matrix.sort_indices). The grams of all the texts at once: new
        grams numbered in the order they first come (`grow`; else a gram not in `vocabulary` is
        left out), each gram's number looked up by one `map`, and the (text, number) pairs counted
        by np.unique, which gives them sorted by text and number."""
        import numpy as np

        grams_of = self._grams
        per_text = [grams_of(text) for text in texts]
        grams = [g for text_grams in per_text for g in text_grams]
        if grow:
            new = [g for g in dict.fromkeys(grams) if g not in vocabulary]
            vocabulary.update(zip(new, range(len(vocabulary), len(vocabulary) + len(new))))
        numbers = np.fromiter(map(vocabulary.get, grams, repeat(-1)), dtype=np.int64, count=len(grams))
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(g) for g in per_text])
        if not grow:
            known = numbers >= 0
            numbers, rows = numbers[known], rows[known]
        width = max(len(vocabulary), 1)
        pairs, counts = np.unique(rows * width + numbers, return_counts=True)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(pairs // width, minlength=len(texts)), out=indptr[1:])
        return Csr(counts.astype(np.float32), (pairs % width).astype(np.intc), indptr.astype(np.intc),
                   (len(texts), len(vocabulary)))

    def _weigh(self, matrix: Csr) -> Csr:
        """TfidfTransformer.transform: sublinear tf times idf, each row l2-normalised as
        sklearn's inplace_csr_row_normalize_l2 does it (squares in float32, summed in order in
        double, each value divided in double)."""
        import numpy as np

        data = matrix.data
        np.log(data, data)
        data += 1.0
        data *= self.idf_[matrix.indices]
        squares = (data * data).astype(np.float64)
        indptr = matrix.indptr
        lengths = np.diff(indptr)
        sums = np.zeros(len(lengths), dtype=np.float64)
        for k in range(int(lengths.max()) if len(lengths) else 0):  # position k of every row, in order
            rows = np.nonzero(lengths > k)[0]
            sums[rows] += squares[indptr[rows] + k]
        norms = np.sqrt(sums)
        norms[sums == 0.0] = 1.0
        matrix.data = (data.astype(np.float64) / np.repeat(norms, lengths)).astype(np.float32)
        return matrix

    def fit_transform(self, texts: list[str]) -> Csr:
        import numpy as np

        vocabulary: dict[str, int] = {}
        matrix = self._counts(list(texts), vocabulary, grow=True)
        order = np.empty(len(vocabulary), dtype=matrix.indices.dtype)  # _sort_features: terms by name
        for new, (_term, old) in enumerate(sorted(vocabulary.items())):
            order[old] = new
        matrix.indices = order.take(matrix.indices, mode="clip")  # (not sorted again, as sklearn leaves them)
        self.vocabulary_ = {term: int(order[old]) for term, old in vocabulary.items()}
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32)
        df += 1.0
        idf = np.full_like(df, fill_value=matrix.shape[0] + 1, dtype=np.float32)
        idf /= df
        np.log(idf, out=idf)
        idf += 1.0
        self.idf_ = idf
        return self._weigh(matrix)

    def transform(self, texts: list[str]) -> Csr:
        return self._weigh(self._counts(list(texts), self.vocabulary_, grow=False))


def vectoriser() -> CharTfidf:
    return CharTfidf()


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


# cluster_keys compares each key only with the leaders that can reach the threshold (all-pairs
# similarity search with prefix filtering, Bayardo et al. 2007 "Scaling up all pairs similarity
# search", with L2-norm bounds as in Anastasiu and Karypis' L2AP, ICDE 2014): grams in one global
# order, rarest first (`_gram_tails`). For two rows x, y of non-negative weights with x·y >= t,
# let g be the first gram (in that order) they share: every shared gram is g or after it, so
# t <= x·y <= |x from g on| * |y from g on| (Cauchy-Schwarz), the norms of the two rows' entries
# at or after g (their tail norms at g). So it is enough to index each leader's entries whose
# tail norm is >= t (each norm is <= 1: a prefix of the row) and look up each such entry of a key
# (gram g, tail norm a) for the leaders holding g with a tail norm >= t / a (`_TailIndex`). The
# first shared gram is then the one of a pair's finds with the lowest rank, and there also
# x·y <= x_g * y_g + |x after g| * |y after g|: a pair below that is not summed. The bounds only
# choose the pairs; their cosines are `cosines`' float32 sums (`pair_cosines`), so the families
# are those of every leader compared, ties included. CLUSTER_SLACK keeps a pair whose float32
# sum rounds up to t: a float32 sum of n float32 products of weights <= 1 is within ~2n * 2**-24
# of the exact one, under 1e-4 while two names share fewer than ~800 grams (~400 characters).
#
# The keys go in steps of at most CLUSTER_CHUNK keys and about CLUSTER_PAIRS candidate
# (key, leader) pairs looked up, never fewer than CLUSTER_MIN keys: each key of a step against the
# leaders before the step (the index) and against the step's keys before it (whether those lead
# is known only in order). A step's memory is its pairs' (key's entries × pairs: ~40 bytes each).
CLUSTER_CHUNK = 2048
CLUSTER_PAIRS = 1 << 16
CLUSTER_MIN = 16
CLUSTER_SLACK = 1e-4


def pair_cosines(matrix: Csr, rows: Any, cols: Any) -> Any:
    """The cosine of row rows[p] against row cols[p] of `matrix`, for every p (float32 array), as
    `cosines(matrix.take([rows[p]]), matrix.take([cols[p]]))` sums it (0 where they share no
    gram): the float32 products in the stored order of row rows[p]'s entries, added in float32.
    A product for a gram the other row lacks is 0 and adding 0 leaves a sum as it was."""
    import numpy as np

    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    width = np.int64(matrix.shape[1])
    # the entries of the rows in `cols`, looked up by (row of `others`, gram)
    others, which = np.unique(cols, return_inverse=True)
    sub = matrix.take(others)
    codes = np.repeat(np.arange(len(others), dtype=np.int64), np.diff(sub.indptr)) * width + sub.indices
    order = np.argsort(codes)
    codes, values = codes[order], sub.data[order]
    # each pair's products, in its row's stored order
    indptr = matrix.indptr
    lengths = (indptr[rows + 1] - indptr[rows]).astype(np.int64)
    firsts = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    entry = np.repeat(indptr[rows].astype(np.int64) - firsts, lengths) + np.arange(total)
    wanted = np.repeat(which.astype(np.int64) * width, lengths) + matrix.indices[entry]
    at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
    other = np.where(codes[at] == wanted, values[at], np.float32(0))
    products = matrix.data[entry] * other  # float32 times float32: float32
    sums = np.zeros(len(rows), dtype=np.float32)
    for p in range(int(lengths.max())):  # the p-th product of every pair, in order
        pairs = np.nonzero(lengths > p)[0]
        sums[pairs] += products[firsts[pairs] + p]
    return sums


def _gram_tails(matrix: Csr, floor: float) -> tuple[Any, Any, Any, Any, Any]:
    """Each row's entries whose tail norm is >= floor, grams ordered rarest first (in fewest rows,
    then by column): (indptr, gram ranks, tail norms, weights, next tail norms), a row's in that
    order. An entry's tail norm is the L2 norm of its row's entries at or after it in that order
    (its next tail norm: after it), so these are a prefix of the row (the first entry's tail
    norm is the row's norm)."""
    import numpy as np

    n, width = matrix.shape
    counts = np.bincount(matrix.indices, minlength=width)
    rank = np.empty(width, dtype=np.int32)
    rank[np.lexsort((np.arange(width), counts))] = np.arange(width, dtype=np.int32)
    lengths = np.diff(matrix.indptr).astype(np.int64)
    ranks = rank[matrix.indices]
    # by row, then gram rank: a row's entries stay at its indptr (nnz-sized arrays kept few: ~30 B an entry)
    order = np.lexsort((ranks, np.repeat(np.arange(n, dtype=np.int32), lengths)))
    ranks = ranks[order]
    weights = matrix.data[order]
    del order
    tails = weights.astype(np.float64) ** 2  # each entry's square, then (in place) its tail's sum of squares
    ends = matrix.indptr[1:].astype(np.int64)
    for p in range(2, int(lengths.max(initial=0)) + 1):  # position end-p of every row, its last but one first
        at = ends[lengths >= p] - p
        tails[at] += tails[at + 1]
    np.sqrt(tails, out=tails)
    head = np.nonzero(tails >= floor)[0]
    before = np.zeros(len(tails) + 1, dtype=np.int64)  # heads before each entry
    before[head + 1] = 1
    indptr = np.cumsum(before)[matrix.indptr.astype(np.int64)]
    after = np.zeros(len(head), dtype=np.float64)  # the next entry's tail, none after a row's last
    inside = np.ones(len(tails), dtype=bool)
    inside[ends[lengths > 0] - 1] = False
    inside = inside[head]
    after[inside] = tails[head[inside] + 1]
    return indptr, ranks[head], tails[head], weights[head].astype(np.float64), after


class _TailIndex:
    """The indexed entries of the leaders so far, for `cluster_keys`: (gram rank, tail norm,
    leader), found by a gram and a least tail norm. Sorted runs of key 3 * rank + (1 - norm) (a
    norm is within [0, 1 + rounding]: a gram's keys are in (3 * rank - 0.5, 3 * rank + 1], one
    range, largest norm first), merged as a binary counter merges (a run
    with the one before it while that is not larger): O(log) runs, each entry merged O(log) times."""

    def __init__(self) -> None:
        self.runs: list[tuple[Any, Any]] = []  # (sorted keys, their entries' numbers)

    @staticmethod
    def keys(ranks: Any, norms: Any) -> Any:
        return 3 * ranks + (1.0 - norms)

    def add(self, ranks: Any, norms: Any, entries: Any) -> None:
        import numpy as np

        keys = self.keys(ranks, norms)
        order = np.argsort(keys, kind="stable")
        self.runs.append((keys[order], entries[order]))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= len(self.runs[-1][0]):
            (a, la), (b, lb) = self.runs.pop(-2), self.runs.pop()
            keys, leaders = np.concatenate((a, b)), np.concatenate((la, lb))
            order = np.argsort(keys, kind="stable")
            self.runs.append((keys[order], leaders[order]))

    def ranges(self, ranks: Any, least: Any) -> list[tuple[Any, Any, Any]]:
        """Per run: (its entries' numbers, first, end) of the entries of each gram rank with a norm >= least."""
        import numpy as np

        lows, highs = 3 * ranks - 0.5, self.keys(ranks, least)
        out = []
        for keys, entries in self.runs:
            first = np.searchsorted(keys, lows)
            out.append((entries, first, np.maximum(first, np.searchsorted(keys, highs, side="right"))))
        return out


def _expand(ranges: list[tuple[Any, Any, Any]], queries: Any) -> tuple[Any, Any]:
    """(query, entry) for every entry of every range: query numbers `queries` (one per range)."""
    import numpy as np

    out_q, out_l = [], []
    for leaders, first, end in ranges:
        n = end - first
        total = int(n.sum())
        if total:
            at = np.repeat(first - (np.cumsum(n) - n), n) + np.arange(total)
            out_q.append(np.repeat(queries, n))
            out_l.append(leaders[at])
    if not out_q:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(out_q), np.concatenate(out_l)


def cluster_keys(keys: list[tuple[str, int, str | None]], threshold: float = SIMILARITY) -> dict[str, str]:
    """Leader clustering of one category's keys: key -> its leader key.

    `keys` are (key, count, dimension). Most frequent first (ties by key), each key joins the most
    similar leader with cosine >= threshold and a compatible dimension, else leads a family."""
    if not keys:
        return {}
    ordered = sorted(keys, key=lambda k: (-k[1], k[0]))
    names = [k[0] for k in ordered]
    dims = [k[2] for k in ordered]
    if len(names) == 1:
        return {names[0]: names[0]}
    import numpy as np

    matrix = vectoriser().fit_transform(names)
    floor = threshold - CLUSTER_SLACK
    head_ptr, head_rank, head_norm, head_weight, head_next = _gram_tails(matrix, floor)
    head_row = np.repeat(np.arange(len(names), dtype=np.int64), np.diff(head_ptr))
    n_names, n_ranks = len(names), int(head_rank.max(initial=0)) + 1
    index = _TailIndex()
    leader_of: list[int] = [-1] * len(names)
    start, window = 0, CLUSTER_MIN
    while start < len(names):
        # the window's keys' entries against the leaders' (index) and the window's own (a key's
        # against the keys before it); the step is the keys whose pairs add up to CLUSTER_PAIRS
        stop = min(len(names), start + window)
        at, end = int(head_ptr[start]), int(head_ptr[stop])
        ranks, norms, rows = head_rank[at:end], head_norm[at:end], head_row[at:end]
        least = floor / norms
        found = index.ranges(ranks, least)
        own = _TailIndex()
        own.add(ranks, norms, np.arange(at, end, dtype=np.int64))
        found_own = own.ranges(ranks, least)
        per_entry = sum((e - f for _, f, e in found + found_own), np.zeros(len(ranks), dtype=np.int64))
        per_key = np.bincount(rows - start, weights=per_entry, minlength=stop - start)
        fits = int(np.searchsorted(np.cumsum(per_key), CLUSTER_PAIRS, side="right"))
        step = stop if fits >= stop - start else start + max(CLUSTER_MIN, fits)
        window = min(CLUSTER_CHUNK, 2 * window) if step == stop else max(CLUSTER_MIN, step - start)
        keep = rows < step
        mine, theirs = _expand([(x, f[keep], e[keep]) for x, f, e in found + found_own], np.arange(at, end)[keep])
        i_of, j_of = head_row[mine], head_row[theirs]
        before = j_of < i_of  # a key against one before it
        mine, theirs, i_of, j_of = mine[before], theirs[before], i_of[before], j_of[before]
        # a pair is looked at where it was found at its first shared gram: its cosine is at most
        # the two weights' product and the product of the norms after it (Cauchy-Schwarz)
        order = np.argsort(((i_of - start) * n_names + j_of) * n_ranks + head_rank[mine])
        mine, theirs, i_of, j_of = mine[order], theirs[order], i_of[order], j_of[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (i_of[1:] != i_of[:-1]) | (j_of[1:] != j_of[:-1])
        mine, theirs, i_of, j_of = mine[first], theirs[first], i_of[first], j_of[first]
        reach = head_weight[mine] * head_weight[theirs] + head_next[mine] * head_next[theirs]
        i_of, j_of = i_of[reach >= floor], j_of[reach >= floor]
        sims = pair_cosines(matrix, i_of, j_of)
        near = (sims >= np.float32(threshold)) | (sims.astype(np.float64) >= threshold)
        i_of, j_of, sims = i_of[near], j_of[near], sims[near]
        firsts = np.searchsorted(i_of, np.arange(start, step + 1))
        js, sims_list = j_of.tolist(), list(sims)
        for i in range(start, step):
            best, best_sim = -1, threshold
            for k in range(int(firsts[i - start]), int(firsts[i - start + 1])):
                j, s = js[k], sims_list[k]
                if leader_of[j] == j and s >= best_sim and _compatible(dims[i], dims[j]):
                    if s > best_sim or best < 0 or j < best:
                        best, best_sim = j, s
            leader_of[i] = best if best >= 0 else i
        new = np.asarray([i for i in range(start, step) if leader_of[i] == i], dtype=np.int64)
        if len(new):
            at = head_ptr[new]
            n = head_ptr[new + 1] - at
            entries = np.repeat(at - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
            index.add(head_rank[entries], head_norm[entries], entries)
        start = step
    return {names[i]: names[leader_of[i]] for i in range(len(names))}


def family_id(level2: str, leader: str) -> str:
    return f"{level2}/{leader}"


# ------------------------------------------------------------------ the library


MEMBER_COLUMNS = ["level2", "key", "family_id", "pooled", "count", "dim"]
_QUANTILE_COLUMNS = [f"q{int(p * 100)}" for p in QUANTILES]


class MemberRows(Sequence):
    """A library's member rows (MEMBER_COLUMNS) held as columns, each row a dict made when it
    is read: the scan's own library has a row per distinct name key, ~0.5 KiB each as a dict
    and ~0.1 KiB as columns (issue 13, "report bounded"). A missing dimension reads as NaN when
    any row has one, as `_missing_as_nan` gives it in a list of dicts."""

    def __init__(self, level2: list[str], key: list[str], family_id: list[str], pooled: list[bool], count: Any,
                 dim: list[str | None]) -> None:
        self.columns = (level2, key, family_id, pooled, count, dim)
        self.no_dim: float | None = float("nan") if any(d is not None for d in dim) else None

    def __len__(self) -> int:
        return len(self.columns[1])

    def _row(self, values: tuple) -> dict:
        row = dict(zip(MEMBER_COLUMNS, values))
        if row["dim"] is None:
            row["dim"] = self.no_dim
        return row

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return self._row(tuple(column[i] for column in self.columns))

    def __iter__(self) -> Iterator[dict]:
        return map(self._row, zip(*self.columns))

    def families(self) -> Iterator[tuple[str, str, str]]:
        """(category, key, family) of each row, from the columns (no row dict made)."""
        return zip(*self.columns[:3])


@dataclass
class Library:
    """Families with their target distributions (`family_rows`: one dict per family and unit,
    FAMILY_COLUMNS) and the keys that belong to each (`member_rows`: one per category and key,
    MEMBER_COLUMNS). `families` and `members` are the same as pandas DataFrames, made on first
    use: placing names, the peer statistics and the report's sheet and chart read the rows, so
    `kpiscan report` does not import pandas (~0.3 CPU s). A row's values are as the DataFrame's
    `to_dict("records")` gives them, which is what the peers compared before: a missing value
    (a quantile, a unit, an operator, a dimension) is NaN in a column holding any value (pandas'
    float and str columns; so a family-unit without an operator is not a floor to the peers)."""

    family_rows: list[dict]
    member_rows: list[dict] | MemberRows  # MemberRows: the builder's (columns)
    docs: frozenset[str] = field(default_factory=frozenset)
    threshold: float = SIMILARITY
    source: Path | None = None  # the directory it was read from (`read`): its DataFrames are read from there
    _frames: dict = field(default_factory=dict, repr=False, compare=False)
    _indexes: dict = field(default_factory=dict, repr=False, compare=False)
    _values: dict = field(default_factory=dict, repr=False, compare=False)  # (family, unit) -> its values as floats

    def __post_init__(self) -> None:
        _missing_as_nan(self.family_rows, ["unit", "op", *_QUANTILE_COLUMNS])
        if not isinstance(self.member_rows, MemberRows):  # (its rows give NaN themselves)
            _missing_as_nan(self.member_rows, ["dim"])

    @property
    def families(self) -> pd.DataFrame:
        """One row per family and unit (FAMILY_COLUMNS), as a pandas DataFrame."""
        return self._frame(0, self.family_rows, FAMILY_COLUMNS)

    @property
    def members(self) -> pd.DataFrame:
        """One row per category and key (MEMBER_COLUMNS), as a pandas DataFrame."""
        return self._frame(1, self.member_rows, MEMBER_COLUMNS)

    def _frame(self, k: int, rows: list[dict] | MemberRows, columns: list[str]) -> pd.DataFrame:
        frame = self._frames.get(k)
        if frame is None:
            import pandas as pd

            if self.source is not None:
                frame = pd.read_parquet(self.source / LIBRARY_FILES[k])
            else:
                frame = pd.DataFrame.from_records(list(rows), columns=columns)
            self._frames[k] = frame
        return frame

    def write(self, out: Path) -> dict[str, Path]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        fam, mem = out / LIBRARY_FILES[0], out / LIBRARY_FILES[1]
        self.families.to_parquet(fam, index=False)
        self.members.to_parquet(mem, index=False)
        csv = out / "families.csv"
        flat = self.families.drop(columns=["values"]).copy()
        flat["members"] = flat["members"].map(lambda m: "、".join(m))
        flat.to_csv(csv, index=False, encoding="utf-8-sig")
        (out / "docs.txt").write_text("\n".join(sorted(self.docs)) + "\n", encoding="utf-8")
        return {"families": fam, "members": mem, "csv": csv}

    @classmethod
    def read(cls, directory: Path) -> "Library":
        """The library `write` wrote in `directory`: its rows read with pyarrow (ParquetFile:
        pq.read_table imports pandas), its DataFrames, when asked for, with pandas.read_parquet."""
        import pyarrow.parquet as pq

        directory = Path(directory)
        docs_file = directory / "docs.txt"
        docs = frozenset(filter(None, docs_file.read_text(encoding="utf-8").splitlines())) if docs_file.exists() else frozenset()
        rows = [pq.ParquetFile(directory / name).read().to_pylist() for name in LIBRARY_FILES]
        return cls(family_rows=rows[0], member_rows=rows[1], docs=docs, source=directory)

    # ---- placing new names

    def family_of(self, level2: str, name: str, dim: str | None = None) -> str | None:
        """The family of a name (its key in `members`, else the most similar member key of the
        category at or above the threshold with an agreeing dimension), None when none fits."""
        return self.family_of_key(level2, *family_key(name), dim)

    def family_of_row(self, row: Row) -> str | None:
        """`family_of` a printed row (its key made already)."""
        return self.family_of_key(row.level2, row.key, row.pooled, row.dim)

    def family_of_key(self, level2: str, key: str, pooled: bool, dim: str | None = None) -> str | None:
        """`family_of` a name given by its family key (`family_key`)."""
        found = self._known.get(level2, {}).get(key)
        if found is not None:
            return found
        if pooled:
            return None
        index = self._index(level2)
        if index is None:
            return None
        vec, matrix, keys, fams, dims = index
        sims = cosines(vec.transform([key]), matrix).toarray()[0]
        best, best_sim = None, self.threshold
        for j in sims.argsort()[::-1][:10]:
            if sims[j] >= best_sim and _compatible(dim, dims[j]):
                return fams[j]
        return best

    @cached_property
    def _known(self) -> dict[str, dict[str, str]]:
        """category -> key -> family of every member (no tuple per key)."""
        rows = self.member_rows
        triples = rows.families() if isinstance(rows, MemberRows) else ((m["level2"], m["key"], m["family_id"]) for m in rows)
        out: dict[str, dict[str, str]] = {}
        for level2, key, fam in triples:
            found = out.get(level2)
            if found is None:
                found = out[level2] = {}
            found[key] = fam
        return out

    def _index(self, level2: str):
        if level2 not in self._indexes:
            self._indexes[level2] = self._make_index(level2)
        return self._indexes[level2]

    def _make_index(self, level2: str):
        m = [r for r in self.member_rows if r["level2"] == level2 and not r["pooled"]]
        if not m:
            return None
        vec = vectoriser()
        keys = [r["key"] for r in m]
        matrix = vec.fit_transform(keys)
        return vec, matrix, keys, [r["family_id"] for r in m], [d if isinstance(d := r["dim"], str) else None for r in m]

    def stats(self, fam: str, unit: str | None) -> dict | None:
        """The library row of one family and unit, None when the library has none."""
        return self._by_family.get((fam, unit))

    def values_of(self, fam: str, unit: str | None) -> tuple[float, ...]:
        """The `values` of the library row of one family and unit as floats, sorted, made once
        per row of the library; () when it has none."""
        found = self._values.get((fam, unit))
        if found is None:
            stats = self.stats(fam, unit)
            found = self._values[(fam, unit)] = tuple(sorted(float(v) for v in stats["values"])) if stats is not None else ()
        return found

    @cached_property
    def _by_family(self) -> dict[tuple[str, str | None], dict]:
        return {(r["family_id"], r["unit"]): r for r in self.family_rows}


def _missing_as_nan(rows: list[dict], columns: list[str]) -> None:
    """A None of these columns as NaN where the column holds any value (as a DataFrame's float
    or str column holds it, and its to_dict gives it back)."""
    for c in columns:
        if any(r[c] is not None for r in rows):
            for r in rows:
                if r[c] is None:
                    r[c] = float("nan")


def _values(numbers: list[float]) -> list[float]:
    """The sorted values, or MAX_VALUES evenly spaced quantile points of them when more."""
    numbers = sorted(numbers)
    if len(numbers) <= MAX_VALUES:
        return numbers
    n = len(numbers) - 1
    return [numbers[round(i * n / (MAX_VALUES - 1))] for i in range(MAX_VALUES)]


def quantiles_of(groups: list[list[float]]) -> list[list[float | None]]:
    """`np.quantile(numbers, QUANTILES).round(4).tolist()` of each list of numbers (None for each
    quantile of an empty one). The lists of one length go in one call along axis 1: numpy takes a
    row's order statistics and interpolates them element by element as it does for the list
    alone, so the same floats (tests/test_practice.py compares them), without numpy's ~0.1 ms of
    Python per call (a library has a call per family and unit: ~300 at /tmp/c16)."""
    import numpy as np

    out: list[list[float | None]] = [[None] * len(QUANTILES) for _ in groups]
    by_length: dict[int, list[int]] = defaultdict(list)
    for k, numbers in enumerate(groups):
        if numbers:
            by_length[len(numbers)].append(k)
    for members in by_length.values():
        q = np.quantile(np.array([groups[k] for k in members], dtype=np.float64), QUANTILES, axis=1).round(4)
        for k, row in zip(members, q.T.tolist()):
            out[k] = row
    return out


class _Tally:
    """Counts of values per id, in first-seen order per id, for ids that almost always see one
    value (a key's one name, one dimension; a key-unit's one operator): the first value and its
    count inline (a list slot and an array slot), a Counter only for an id that sees a second."""

    __slots__ = ("first", "n", "more")

    def __init__(self) -> None:
        self.first: list = []
        self.n = array("q")
        self.more: dict[int, Counter] = {}

    def grow(self) -> None:
        """Room for the next id (nothing counted)."""
        self.first.append(None)
        self.n.append(0)

    def add(self, i: int, value: Any) -> None:
        first = self.first[i]
        if first == value and i not in self.more:
            self.n[i] += 1
        elif first is None and not self.n[i]:
            self.first[i] = value
            self.n[i] = 1
        else:
            counts = self.more.get(i)
            if counts is None:
                counts = self.more[i] = Counter({first: self.n[i]})
            counts[value] += 1

    def counts(self, i: int) -> dict:
        """The id's counts by value, in first-seen order ({} when none)."""
        more = self.more.get(i)
        if more is not None:
            return more
        return {self.first[i]: self.n[i]} if self.n[i] else {}

    def top(self, i: int) -> Any:
        """The most counted value (the first seen of the ties, as Counter.most_common), None when none."""
        more = self.more.get(i)
        if more is not None:
            return more.most_common(1)[0][0]
        return self.first[i] if self.n[i] else None


class LibraryBuilder:
    """Accumulates rows file by file, keeping per (category, key) only counts and the numbers of
    its targets, so a library of any number of documents needs memory for its distinct names and
    target values, never for the records.

    Compact (issue 13, "report bounded"): each (category, key) is an id (a dict per category
    from key to id: no tuple per key), its counts are array slots, its name, dimension and
    operator counts `_Tally`s (one value inline; most keys have one name and one unit), and the
    target numbers one array of values with one of their key-unit ids. About 0.3 KiB per key
    with its strings (a Counter of dicts per key before: ~1.1 KiB)."""

    def __init__(self) -> None:
        self.ids: dict[str, dict[str, int]] = {}  # level2 -> key -> id
        self.level2: list[str] = []  # id -> its category and key
        self.key: list[str] = []
        self.rows = (array("q"), array("q"))  # id -> rows (not pooled, pooled)
        self.order = array("q")  # id * 2 + pooled, in first-seen order (the library's order of keys)
        self.doc_count = array("q")  # id -> documents
        self.names = _Tally()  # id -> its normalised names' rows
        self.dims = _Tally()  # id -> its dimensions' rows
        self.units: dict[int, dict[str | None, int]] = {}  # id -> unit -> key-unit id, for a second unit
        self.unit1: list[str | None] = []  # id -> its first unit ...
        self.ku1 = array("q")  # ... and its key-unit id (-1: no row yet)
        self.ku_id = array("q")  # key-unit id -> its id
        self.ku_unit: list[str | None] = []
        self.unit_rows = array("q")  # key-unit id -> rows
        self.ops = _Tally()  # key-unit id -> its operators' rows (targets with a number)
        self.numbers = array("d")  # the target numbers, in the order added ...
        self.number_ku = array("q")  # ... and their key-unit ids
        self.docs: set[str] = set()

    def _new_id(self, level2: str, key: str, ids: dict[str, int]) -> int:
        i = ids[key] = len(self.key)
        self.level2.append(level2)
        self.key.append(key)
        for counts in (*self.rows, self.doc_count):
            counts.append(0)
        self.names.grow()
        self.dims.grow()
        self.unit1.append(None)
        self.ku1.append(-1)
        return i

    def _new_ku(self, i: int, unit: str | None) -> int:
        ku = len(self.ku_unit)
        self.ku_id.append(i)
        self.ku_unit.append(unit)
        self.unit_rows.append(0)
        self.ops.grow()
        return ku

    def _ku_of(self, i: int, unit: str | None) -> int:
        ku = self.ku1[i]
        if ku < 0:
            ku = self.ku1[i] = self._new_ku(i, unit)
            self.unit1[i] = unit
        elif self.unit1[i] != unit:
            more = self.units.setdefault(i, {})
            found = more.get(unit)
            ku = more[unit] = self._new_ku(i, unit) if found is None else found
        return ku

    def add(self, rows: Iterable[Row]) -> None:
        seen: set[tuple[str, int]] = set()
        all_ids, rows_by = self.ids, self.rows
        for r in rows:
            level2, key, doc = r.level2, r.key, r.doc
            ids = all_ids.get(level2)
            if ids is None:
                ids = all_ids[level2] = {}
            i = ids.get(key)
            if i is None:
                i = self._new_id(level2, key, ids)
            pooled = 1 if r.pooled else 0
            counts = rows_by[pooled]
            if not counts[i]:
                self.order.append(2 * i + pooled)
            counts[i] += 1
            if r.dim:
                self.dims.add(i, r.dim)
            self.names.add(i, r.normalised)
            dk = (doc, i)
            if dk not in seen:  # a document's first row of this name (so its first row: docs)
                seen.add(dk)
                self.doc_count[i] += 1
                self.docs.add(doc)
            ku = self._ku_of(i, r.unit)
            self.unit_rows[ku] += 1
            if r.number is not None:
                self.numbers.append(r.number)
                self.number_ku.append(ku)
                if r.op:
                    self.ops.add(ku, r.op)

    def plain_keys(self) -> dict[str, list[tuple[str, int, str | None]]]:
        """Per category the keys the clustering groups, in first-seen order: (key, its rows not
        pooled, its most common dimension); a pooled key is a family of its own."""
        plain: dict[str, list] = defaultdict(list)
        for code in self.order:
            i, pooled = divmod(code, 2)
            if not pooled:
                plain[self.level2[i]].append((self.key[i], self.rows[0][i], self.dims.top(i)))
        return plain

    def library(self, threshold: float = SIMILARITY) -> Library:
        import numpy as np

        fam_of: list[str] = [""] * len(self.key)  # id -> its family (every id gets one)
        for code in self.order:
            i, pooled = divmod(code, 2)
            if pooled:
                fam_of[i] = family_id(self.level2[i], self.key[i])
        for level2, keys in self.plain_keys().items():
            ids = self.ids[level2]
            made: dict[str, str] = {}  # leader -> its family id: one string per family, not per key
            for key, leader in cluster_keys(keys, threshold).items():
                fam = made.get(leader)
                if fam is None:
                    fam = made[leader] = family_id(level2, leader)
                fam_of[ids[key]] = fam
        names: dict[str, Counter] = defaultdict(Counter)
        count: Counter = Counter()
        docs: Counter = Counter()
        for code in self.order:
            i, pooled = divmod(code, 2)
            fam = fam_of[i]
            tally = names[fam]
            for name, n in self.names.counts(i).items():  # (Counter.update, without its Mapping check a key)
                tally[name] += n
            count[fam] += self.rows[pooled][i]
            docs[fam] += self.doc_count[i]  # an upper bound when two keys share a document
        unit_rows: Counter = Counter()
        ops: dict[tuple[str, str | None], Counter] = defaultdict(Counter)
        fu_of: list[tuple[str, str | None]] = []
        for ku, (i, unit) in enumerate(zip(self.ku_id, self.ku_unit)):
            fu = (fam_of[i], unit)
            fu_of.append(fu)
            unit_rows[fu] += self.unit_rows[ku]
            tally = ops[fu]
            for op, n in self.ops.counts(ku).items():
                tally[op] += n
        numbers: dict[tuple[str, str | None], list[float]] = defaultdict(list)
        by_ku = np.frombuffer(self.number_ku, dtype=np.int64) if self.number_ku else np.zeros(0, dtype=np.int64)
        values = np.frombuffer(self.numbers, dtype=np.float64) if self.numbers else np.zeros(0)
        at = np.argsort(by_ku, kind="stable")  # each key-unit's numbers in the order added, key-units in order
        kus, starts = np.unique(by_ku[at], return_index=True)
        grouped = values[at].tolist()
        for ku, a, b in zip(kus.tolist(), starts.tolist(), [*starts.tolist()[1:], len(grouped)]):
            numbers[fu_of[ku]].extend(grouped[a:b])
        records = []
        ordered = sorted(unit_rows, key=lambda fu: (fu[0], fu[1] or ""))
        pooled_labels = {*practice_words("pooled_head"), *_same_as().values()}
        members_of = {fam: [n for n, _ in tally.most_common()] for fam, tally in names.items()}  # once per family, not per unit
        for (fam, unit), q in zip(ordered, quantiles_of([numbers[fu] for fu in ordered])):
            level2, label = fam.split("/", 1)
            nums = numbers[(fam, unit)]
            records.append({
                "family_id": fam, "level2": level2, "family": label,
                "pooled": label in pooled_labels,
                "members": list(members_of[fam]), "n_members": len(names[fam]),
                "count": count[fam], "n_docs": min(docs[fam], len(self.docs)), "unit": unit,
                "n_unit": unit_rows[(fam, unit)], "n_targets": len(nums),
                "op": ops[(fam, unit)].most_common(1)[0][0] if ops[(fam, unit)] else None,
                **dict(zip(_QUANTILE_COLUMNS, q)),
                "values": _values(list(nums)),
            })
        keyed = sorted((self.level2[i], self.key[i], pooled, i) for i, pooled in map(lambda c: divmod(c, 2), self.order))
        members = MemberRows([r[0] for r in keyed], [r[1] for r in keyed], [fam_of[r[3]] for r in keyed],
                             [bool(r[2]) for r in keyed], array("q", (self.rows[r[2]][r[3]] for r in keyed)),
                             [self.dims.top(r[3]) for r in keyed])
        return Library(family_rows=records, member_rows=members, docs=frozenset(self.docs), threshold=threshold)


FAMILY_COLUMNS = ["family_id", "level2", "family", "pooled", "members", "n_members", "count", "n_docs", "unit",
                  "n_unit", "n_targets", "op", *[f"q{int(p * 100)}" for p in QUANTILES], "values"]


def library_from_rows(rows: Iterable[Row], threshold: float = SIMILARITY) -> Library:
    """The library of these rows (see `build_library`)."""
    builder = LibraryBuilder()
    builder.add(rows)
    return builder.library(threshold)


def file_rows(path: str, doc: str) -> tuple[list[Row], list]:
    """The printed rows of one file and its problems (InputErrors): what a worker returns."""
    from ..batch import scan_one

    result = scan_one(path, classify=False, doc=doc)
    return printed_rows(result.indicators), result.problems


def library_of_files(paths: Iterable, workers: int = 1):
    """(library, result, rows) of a corpus, streaming: each file is scanned, reduced to its rows,
    added and dropped, so memory does not grow with the number of documents. `result` is a
    ScanResult holding only the files, problems and skipped files (for the CLI's report)."""
    from ..pipeline import ScanResult, inputs, skipped_result

    todo = []
    result = ScanResult()
    for i in inputs(paths):
        if i.skipped:
            result.extend(skipped_result(i))
        else:
            todo.append((str(i.path), i.doc))
            result.files.append(str(i.path))
    builder = LibraryBuilder()
    n_rows = 0

    def take(part: tuple[list[Row], list]) -> None:
        nonlocal n_rows
        rows, problems = part
        builder.add(rows)
        n_rows += len(rows)
        result.problems.extend(problems)

    if workers > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(file_rows, [p for p, _ in todo], [d for _, d in todo], chunksize=4):
                take(part)
    else:
        for path, doc in todo:
            take(file_rows(path, doc))
    return builder.library(), result, n_rows


def build_library(indicators: Iterable[Indicator], threshold: float = SIMILARITY) -> Library:
    """The families of these indicators with their target distributions per unit."""
    return library_from_rows(printed_rows(indicators), threshold)


def assign_families(rows: list[Row], library: Library) -> list[str | None]:
    """The library family of each row (None where no family of the library fits)."""
    return [library.family_of(r.level2, r.name, r.dim) for r in rows]


@cache
def builtin_library() -> Library:
    """The library made from corpora/ (`kpiscan library corpora --out src/kpiscan/practice/data`)."""
    return Library.read(Path(str(files("kpiscan.practice") / DATA_DIR)))


SHEET_COLUMNS = [c for c in FAMILY_COLUMNS if c != "values"]


def sheet_rows(library: Library) -> list[dict]:
    """The "指标库" sheet of the reviewer workbook: one row per family and unit (SHEET_COLUMNS: no
    values, the first 12 members joined), by category, then most counted first, ties in the
    library's order."""
    rows = []
    for r in sorted(library.family_rows, key=lambda r: (r["level2"], -r["count"])):
        row = {c: r[c] for c in SHEET_COLUMNS}
        row["members"] = "、".join(list(row["members"])[:12])
        rows.append(row)
    return rows


def library_sheet(library: Library):
    """`sheet_rows` as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame.from_records(sheet_rows(library), columns=SHEET_COLUMNS)
