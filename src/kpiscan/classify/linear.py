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

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FORMAT = "kpiscan-linear/1"

Inputs = Mapping[str, Callable[[Sequence[Any]], Sequence[Any]]]
FloatArray = npt.NDArray[np.float64]

_WHITE_SPACES = re.compile(r"\s\s+")


class ModelFileError(ValueError):
    """The model file is not a kpiscan linear model (one line: file and what is wrong)."""


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams as scikit-learn's analyzer="char" makes them (whitespace runs folded)."""
    text = _WHITE_SPACES.sub(" ", text)
    grams: list[str] = []
    if low == 1:
        grams = list(text)
        low = 2
    for n in range(low, min(high + 1, len(text) + 1)):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
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
    idf_values: list[float] | None = None  # idf as Python floats, for the row arithmetic

    def rows(self, values: Sequence[Any], words: Callable[[str], list[str]]) -> list[tuple[list[int], list[float]]]:
        """Per input, (columns, values) in the order scikit-learn stores them."""
        if self.kind == "dict":
            return [self._dict_row(v) for v in values]
        return [self._tfidf_row(str(v), words) for v in values]

    def _dict_row(self, features: Mapping[str, float | str]) -> tuple[list[int], list[float]]:
        found: dict[int, float] = {}
        for key, value in features.items():
            if isinstance(value, str):
                key, value = f"{key}={value}", 1.0
            col = self.vocabulary.get(key)
            if col is not None:
                found[col] = float(value)
        cols = sorted(found)
        return [self.offset + c for c in cols], [found[c] for c in cols]

    def _tfidf_row(self, text: str, words: Callable[[str], list[str]]) -> tuple[list[int], list[float]]:
        # scikit-learn's arithmetic element by element in Python floats (the same IEEE operations
        # in the same order as its arrays: counts, log(tf) + 1, * idf, / l2 norm), without the
        # cost of numpy calls on rows of a few terms
        if self.lowercase:
            text = text.lower()
        terms = char_ngrams(text, *self.ngram_range) if self.analyzer == "char" else words(text)
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for term in terms:
            col = vocabulary.get(term)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        if not counts:
            return [], []
        cols = sorted(counts)
        idf = self.idf_values
        assert idf is not None
        if self.sublinear_tf:
            data = [(_log(counts[c]) + 1.0) * idf[c] for c in cols]
        else:
            data = [float(counts[c]) * idf[c] for c in cols]
        if self.norm == "l2":
            total = 0.0
            for x in data:
                total += x * x
            total = math.sqrt(total)
            if total != 0.0:
                data = [x / total for x in data]
        offset = self.offset
        return [offset + c for c in cols], data



_LOGS: list[float] = []


def _log(count: int) -> float:
    """numpy's log of a term count >= 1 (what np.log gives in scikit-learn's arrays), from a table."""
    if count > len(_LOGS):
        _LOGS[:] = np.log(np.arange(1, max(64, 2 * count) + 1, dtype=np.float64)).tolist()
    return _LOGS[count - 1]


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
                norm=b.get("norm"), idf=idf, idf_values=idf.tolist() if idf is not None else None,
            ))
            offset += len(b["vocabulary"])
        if offset != self.coef_t.shape[0]:
            raise ModelFileError(f"{offset} features in the blocks but {self.coef_t.shape[0]} weights per class")
        self.blocks = tuple(blocks)

    @classmethod
    def load(cls, path: Path, inputs: Inputs, words: Callable[[str], list[str]]) -> LinearModel:
        try:
            spec = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(spec, inputs, words)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ModelFileError(f"{path}: not a usable model file ({err})") from err

    def decision(self, items: Sequence[Any]) -> FloatArray:
        """X @ coef.T + intercept, summed per row in the column order scikit-learn stores."""
        n = len(items)
        per_row_cols: list[list[int]] = [[] for _ in range(n)]
        per_row_vals: list[list[float]] = [[] for _ in range(n)]
        cache: dict[str, Sequence[Any]] = {}
        for block in self.blocks:
            if block.input not in cache:
                cache[block.input] = self.inputs[block.input](items)
            for k, (cols, vals) in enumerate(block.rows(cache[block.input], self.words)):
                per_row_cols[k].extend(cols)
                per_row_vals[k].extend(vals)
        out = np.zeros((n, len(self.classes)), dtype=np.float64)
        # all rows at once: np.add.at adds each product to its row in order, one after another,
        # as np.add.reduce over one row's products did (np.add.reduceat sums in another order)
        rows = np.repeat(np.arange(n), [len(c) for c in per_row_cols])
        if len(rows):
            columns = np.fromiter(chain.from_iterable(per_row_cols), dtype=np.intp, count=len(rows))
            values = np.fromiter(chain.from_iterable(per_row_vals), dtype=np.float64, count=len(rows))
            np.add.at(out, rows, values[:, None] * self.coef_t[columns])
        return out + self.intercept

    def proba(self, items: Sequence[Any]) -> FloatArray:
        """Softmax of the decision, as scikit-learn's predict_proba computes it (columns: classes)."""
        x = self.decision(items)
        x -= x.max(axis=1).reshape((-1, 1))
        np.exp(x, out=x)
        x /= x.sum(axis=1).reshape((-1, 1))
        return x
