"""The classifier's memos (issue 13): a province repeats its indicators (one row per half, the
same targets year after year), so what was decided once is looked up, within bounds.

    VerdictMemo     item_key -> the decided verdict (classify.assess, shipped model only), or
                    another value decided once per item (the category model's probabilities,
                    the review's category verdicts); `answers` is the one way they are asked
    memo_enabled()  False when KPISCAN_CLASSIFY_MEMO=0: no item is looked up from another
                    document (a memo of one call only, VerdictMemo(0): its own repeats are scored
                    once), the text memos are emptied before each document (the same records;
                    benchmarks use it to show what is structural and what is repetition)

The per-text memos that predate these (jieba tokens, term hits, name cues) stay on either way.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, cast

Decided = tuple[str, bool, tuple[str, ...], float | None]  # a Verdict's fields, reasons as a tuple

MEMO_ENV = "KPISCAN_CLASSIFY_MEMO"  # "0": no verdict memo
V = TypeVar("V")  # what the memo keeps
T = TypeVar("T")  # an item asked
R = TypeVar("R")  # an item's answer (what the batch gives; kept as V through `keep`)
Key = tuple[object, ...]
_ABSENT: Any = object()  # not in the memo (None is a value: the review's verdict of most items)
# entries (~0.7 KiB each with their texts, the largest of the memos): a copy of corpora/'s items
# (899 distinct in its 4 documents, 100-400 a document; a document's own repeats are one call's,
# found without the memo), as layout.MEMO_TEXTS (eleventh round: 4,096 held 2.9 MiB at d64)
VERDICT_MEMO = 1 << 10


class VerdictMemo(Generic[V]):
    """A bounded least-recently-used map from item_key to a decided verdict (or another value
    decided once per item, such as the category model's probabilities), with hit counts.
    (functools.lru_cache memoises one call at a time; the model scores the misses of a document
    in one batch: `answers`.) maxsize 0 keeps nothing: a memo of one call only.

    Counts are per distinct key of an `answers` call: a key found in the memo is one hit, a key
    the batch scored is one miss, and a key asked again within the same call counts nothing more
    (its answer is the call's own). So hits / (hits + misses) is the share of the distinct items
    a call (the scan: a document) asked that an earlier call had decided."""

    def __init__(self, maxsize: int = VERDICT_MEMO) -> None:
        self.maxsize = maxsize
        self.entries: OrderedDict[Key, V] = OrderedDict()
        self.hits = self.misses = 0
        self.model: object = None  # the model the entries were decided by

    def of(self, model: object) -> VerdictMemo[V]:
        """This memo for `model`: emptied when another model (a reloaded one) decides from now on."""
        if model is not self.model:
            self.entries.clear()
            self.model = model
        return self

    def answers(self, keyed: Iterable[tuple[Key, T]], batch: Callable[[dict[Key, T]], Iterable[R]],
                keep: Callable[[R], V] | None = None, read: Callable[[V], R] | None = None) -> list[R]:
        """The answer of each of these (key, item) pairs, in order: the memo's where it holds the
        key (read back by `read`), else from ONE call of `batch` on the missing distinct items
        ({key: item}, first-asked order; it gives their answers in that order), each put in the
        memo (as `keep` makes it) within the bound. Answers may be None (a kept None is a hit).
        Counts a hit or a miss per distinct key (the class docstring)."""
        entries = self.entries
        # a key's answer in a cell shared by its repeats: one hash of the key a pair (the keys
        # are tuples of a Target's fields, hashed anew at each look-up), none to fill a miss
        cells: dict[Key, list[Any]] = {}
        missing: dict[Key, T] = {}
        fill: list[list[Any]] = []  # the missing keys' cells, in `missing`'s order
        asked: list[list[Any]] = []
        for key, item in keyed:
            cell: list[Any] = [None]
            got = cells.setdefault(key, cell)
            if got is cell:  # the first time this call asks the key
                kept = entries.get(key, _ABSENT)
                if kept is _ABSENT:
                    missing[key] = item
                    fill.append(cell)
                else:
                    entries.move_to_end(key)
                    cell[0] = kept if read is None else read(kept)
            asked.append(got)
        self.hits += len(cells) - len(missing)
        if missing:
            self.misses += len(missing)
            fresh = list(batch(missing))
            for cell, value in zip(fill, fresh):
                cell[0] = value
            if self.maxsize:
                for key, value in zip(missing, fresh):
                    self.put(key, cast(V, value) if keep is None else keep(value))
        return [cell[0] for cell in asked]

    def put(self, key: Key, decided: V) -> None:
        self.entries[key] = decided
        if len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()
        self.hits = self.misses = 0

    def stats(self) -> str:
        total = self.hits + self.misses
        rate = f"{self.hits / total:.1%}" if total else "-"
        return (f"{self.hits} hits / {total} distinct keys a call ({rate}), {len(self.entries)} entries "
                f"(bound {self.maxsize})")


def memo_enabled() -> bool:
    return os.environ.get(MEMO_ENV, "1") != "0"
