"""A fitted linear text model as plain arrays and vocabularies: scored with numpy, no scikit-learn.

`kpiscan train` fits scikit-learn pipelines (FeatureUnion of DictVectorizer / TfidfVectorizer
blocks, then LogisticRegression) and exports them with `classify.export.export_pipeline` into one
JSON document (format FORMAT):

    {"format": ..., "classes": [...], "intercept": [...], "coef": [[...] per class],
     "blocks": [{"name", "input", "type": "dict", "vocabulary": {feature: column}}
                | {"name", "input", "type": "tfidf", "analyzer": "char" | "words",
                   "ngram_range": [lo, hi], "lowercase", "sublinear_tf", "norm": "l2" | null,
                   "vocabulary": {term: column}, "idf": [...]}]}

`LinearModel.proba` repeats scikit-learn's arithmetic in its order (term counts, 1+log tf, idf,
l2 norm, sparse dot in stored column order, intercept, softmax), so it gives the probabilities
the fitted pipeline gives (tests/test_classify.py checks them on the gold items). Block inputs are
named functions of the model's module (`inputs`), never code read from the file.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

FORMAT = "kpiscan-linear/1"

Inputs = Mapping[str, Callable[[Sequence[Any]], Sequence[Any]]]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
_Entries = tuple[IntArray, IntArray, FloatArray]  # rows, columns, values

_WHITE_SPACES = re.compile(r"\s\s+")


class ModelFileError(ValueError):
    """The model file is not a kpiscan linear model (one line: file and what is wrong)."""


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams as scikit-learn's analyzer="char" makes them (whitespace runs folded)."""
    if "  " in text or not text.isprintable():  # printable text's only whitespace is the ASCII space
        text = _WHITE_SPACES.sub(" ", text)
    grams: list[str] = []
    if low == 1:
        grams = list(text)
        low = 2
    for n in range(low, min(high + 1, len(text) + 1)):
        grams += [text[i : i + n] for i in range(len(text) - n + 1)]
    return grams


@dataclass(frozen=True)
class _Block:
    name: str
    input: str
    kind: str  # "dict" / "tfidf"
    offset: int
    vocabulary: dict[str, int]
    analyzer: str = ""
    ngram_range: tuple[int, int] = (1, 1)
    lowercase: bool = False
    sublinear_tf: bool = False
    norm: str | None = None
    idf: FloatArray | None = None

    def entries(self, values: Sequence[Any], words: Callable[[str], list[str]]) -> _Entries:
        """The block's nonzero entries over all inputs at once: (row, column, value) arrays sorted
        by row, then column (the order scikit-learn stores them), columns offset into the union."""
        if self.kind == "dict":
            return self._dict_entries(values)
        return self._tfidf_entries([str(v) for v in values], words)

    def row(self, value: Any, words: Callable[[str], Sequence[str]]) -> tuple[list[int], list[float]]:
        """One input's (columns, values), the same numbers as `entries` gives for its row, in
        Python floats: one item (the level2 pass scores suspect rows one at a time) costs less
        without numpy's per-call overhead."""
        if self.kind == "dict":
            found = self._dict_row(value)
            cols = sorted(found)
            return [self.offset + c for c in cols], [found[c] for c in cols]
        text = str(value).lower() if self.lowercase else str(value)
        terms = char_ngrams(text, *self.ngram_range) if self.analyzer == "char" else words(text)
        counts: dict[int, int] = {}
        for term in terms:
            col = self.vocabulary.get(term)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return [], []
        cols = sorted(counts)
        assert self.idf is not None
        data = np.array([counts[c] for c in cols], dtype=np.float64)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[cols]
        out = data.tolist()
        if self.norm == "l2":
            total = 0.0
            for x in out:  # in column order, as scikit-learn's row loop
                total += x * x
            total = math.sqrt(total)
            out = [x / total for x in out]
        return [self.offset + c for c in cols], out

    def _dict_entries(self, dicts: Sequence[Mapping[str, float | str]]) -> _Entries:
        # DictVectorizer: a string value v of feature f is the feature "f=v" set to 1.0
        keys: list[str] = list(chain.from_iterable(dicts))
        data: list[Any] = list(chain.from_iterable(d.values() for d in dicts))
        if str in set(map(type, data)):
            keys = [f"{k}={v}" if isinstance(v, str) else k for k, v in zip(keys, data)]
            data = [1.0 if isinstance(v, str) else v for v in data]
        rows, cols = self._columns(keys, [len(d) for d in dicts])
        keep = cols >= 0
        cells = rows[keep] * len(self.vocabulary) + cols[keep]
        order = np.argsort(cells, kind="stable")  # by row, then column
        cells = cells[order]
        if len(cells) > 1 and bool(np.any(cells[1:] == cells[:-1])):
            # two keys of one dict naming one column ("a=b": 1.0 beside a: "b"): the later one counts
            return self._dict_entries_by_row(dicts)
        rows, cols = np.divmod(cells, len(self.vocabulary))
        return rows, cols + self.offset, np.array(data, dtype=np.float64)[keep][order]

    def _dict_row(self, features: Mapping[str, float | str]) -> dict[int, float]:
        """One dict's {column: value} as DictVectorizer reads it: a string value v of feature f is
        the feature "f=v" set to 1.0; a later key naming the same column wins."""
        found: dict[int, float] = {}
        for key, value in features.items():
            if isinstance(value, str):
                key, value = f"{key}={value}", 1.0
            col = self.vocabulary.get(key)
            if col is not None:
                found[col] = float(value)
        return found

    def _dict_entries_by_row(self, dicts: Sequence[Mapping[str, float | str]]) -> _Entries:
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        for k, features in enumerate(dicts):
            found = self._dict_row(features)
            for c in sorted(found):
                rows.append(k)
                cols.append(self.offset + c)
                data.append(found[c])
        return np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp), np.array(data, dtype=np.float64)

    def _columns(self, terms: list[str], sizes: list[int]) -> tuple[IntArray, IntArray]:
        """Row of each term (from the per-row sizes) and its column (-1 outside the vocabulary),
        looked up without a Python loop."""
        n = len(terms)
        rows = np.repeat(np.arange(len(sizes), dtype=np.intp), sizes)
        cols = np.fromiter(map(self.vocabulary.get, terms, repeat(-1, n)), dtype=np.intp, count=n)
        return rows, cols

    def _tfidf_entries(self, texts: list[str], words: Callable[[str], list[str]]) -> _Entries:
        """A text's entries depend on its text alone: a batch that repeats texts (a document's
        values: "100%", "按时完成") has each distinct text's made once and copied to its rows."""
        distinct = dict.fromkeys(texts)
        if len(distinct) == len(texts):
            return self._distinct_tfidf_entries(texts, words)
        rows, cols, data = self._distinct_tfidf_entries(list(distinct), words)
        for k, text in enumerate(distinct):
            distinct[text] = k
        which = np.fromiter(map(distinct.__getitem__, texts), dtype=np.intp, count=len(texts))
        counts = np.bincount(rows, minlength=len(distinct))
        lengths = counts[which]  # each text's entries: its distinct text's, in the same order
        starts = np.cumsum(counts) - counts
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        at = np.repeat(starts[which] - (ends - lengths), lengths) + np.arange(total)
        return np.repeat(np.arange(len(texts), dtype=rows.dtype), lengths), cols[at], data[at]

    def _distinct_tfidf_entries(self, texts: list[str], words: Callable[[str], list[str]]) -> _Entries:
        # scikit-learn's arithmetic on the batch's arrays, element by element as its CSR arrays
        # do it: counts, log(tf) + 1, * idf, each row / its l2 norm (the squares summed in
        # column order, as its row loop does: np.add.at adds one after another)
        if self.lowercase:
            texts = [t.lower() for t in texts]
        if self.analyzer == "char":
            low, high = self.ngram_range
            grams = [char_ngrams(t, low, high) for t in texts]
        else:
            grams = [words(t) for t in texts]
        rows, cols = self._columns(list(chain.from_iterable(grams)), [len(g) for g in grams])
        keep = cols >= 0
        width = len(self.vocabulary)
        cells, counts = np.unique(rows[keep] * width + cols[keep], return_counts=True)  # sorted: row, column
        rows, cols = np.divmod(cells, width)
        data = counts.astype(np.float64)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        assert self.idf is not None
        data *= self.idf[cols]
        if self.norm == "l2" and len(data):
            total = np.zeros(len(texts), dtype=np.float64)
            np.add.at(total, rows, data * data)
            np.sqrt(total, out=total)
            scale = total[rows]
            nonzero = scale != 0.0
            data[nonzero] /= scale[nonzero]
        return rows, cols + self.offset, data


class LinearModel:
    """Probabilities of a multinomial logistic regression over the union of the blocks."""

    def __init__(self, spec: Mapping[str, Any], inputs: Inputs, words: Callable[[str], list[str]]) -> None:
        if spec.get("format") != FORMAT:
            raise ModelFileError(f"format {spec.get('format')!r}, expected {FORMAT!r}")
        self.classes: tuple[str, ...] = tuple(spec["classes"])
        self.coef_t: FloatArray = np.ascontiguousarray(np.array(spec["coef"], dtype=np.float64).T)
        self.intercept: FloatArray = np.array(spec["intercept"], dtype=np.float64)
        self.inputs = inputs
        self.words = words
        blocks, offset = [], 0
        for b in spec["blocks"]:
            if b["input"] not in inputs:
                raise ModelFileError(f"block {b['name']!r} reads unknown input {b['input']!r}")
            idf = np.array(b["idf"], dtype=np.float64) if b["type"] == "tfidf" else None
            blocks.append(_Block(
                name=b["name"], input=b["input"], kind=b["type"], offset=offset, vocabulary=dict(b["vocabulary"]),
                analyzer=b.get("analyzer", ""), ngram_range=tuple(b.get("ngram_range", (1, 1))),  # type: ignore[arg-type]
                lowercase=bool(b.get("lowercase", False)), sublinear_tf=bool(b.get("sublinear_tf", False)),
                norm=b.get("norm"), idf=idf,
            ))
            offset += len(b["vocabulary"])
        if offset != self.coef_t.shape[0]:
            raise ModelFileError(f"{offset} features in the blocks but {self.coef_t.shape[0]} weights per class")
        self.blocks = tuple(blocks)

    @classmethod
    def load(cls, path: Path, inputs: Inputs, words: Callable[[str], list[str]]) -> LinearModel:
        try:
            spec = orjson.loads(Path(path).read_bytes())  # the floats json gives, bit for bit, ~4x faster
            return cls(spec, inputs, words)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ModelFileError(f"{path}: not a usable model file ({err})") from err

    def decision(self, items: Sequence[Any]) -> FloatArray:
        """X @ coef.T + intercept, summed per row in the column order scikit-learn stores: block
        after block (their columns follow one another), each row's entries in column order, and
        np.add.at adds one product after another, as scipy's row loop does (into the flat array
        of the (row, class) sums: per sum the same additions in the same order as adding each
        entry's row of products, and numpy's one-dimensional add.at is several times faster)."""
        n = len(items)
        cache: dict[str, Sequence[Any]] = {}
        width = len(self.classes)
        out = np.zeros((n, width), dtype=np.float64)
        sums = out.reshape(-1)  # (a view: out is contiguous)
        classes = np.arange(width, dtype=np.intp)
        for block in self.blocks:
            if block.input not in cache:
                cache[block.input] = self.inputs[block.input](items)
            if n == 1:
                cols, vals = block.row(cache[block.input][0], self.words)
                entries = (np.zeros(len(cols), dtype=np.intp), np.array(cols, dtype=np.intp),
                           np.array(vals, dtype=np.float64))
            else:
                entries = block.entries(cache[block.input], self.words)
            rows, columns, values = entries
            if len(rows):
                cells = (rows[:, None] * width + classes).reshape(-1)
                np.add.at(sums, cells, (values[:, None] * self.coef_t[columns]).reshape(-1))
        return out + self.intercept

    def proba(self, items: Sequence[Any]) -> FloatArray:
        """Softmax of the decision, as scikit-learn's predict_proba computes it (columns: classes)."""
        x = self.decision(items)
        x -= x.max(axis=1).reshape((-1, 1))
        np.exp(x, out=x)
        x /= x.sum(axis=1).reshape((-1, 1))
        return x
