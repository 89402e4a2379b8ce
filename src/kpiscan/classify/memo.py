"""The classifier's memos (issue 13): a province repeats its indicators (one row per half, the
same targets year after year), so what was decided once is looked up, within bounds.

    VerdictMemo     item_key -> the decided verdict (classify.assess, shipped model only)
    memo_enabled()  False when KPISCAN_CLASSIFY_MEMO=0: no item is looked up from another
                    document (a memo of one document's call only: its own repeats are scored
                    once), the text memos are emptied before each document (the same records;
                    benchmarks use it to show what is structural and what is repetition)

The per-text memos that predate these (jieba tokens, term hits, name cues) stay on either way.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Generic, TypeVar

Decided = tuple[str, bool, tuple[str, ...], float | None]  # a Verdict's fields, reasons as a tuple

MEMO_ENV = "KPISCAN_CLASSIFY_MEMO"  # "0": no verdict memo
V = TypeVar("V")
# entries (~0.7 KiB each with their texts, the largest of the memos): a copy of corpora/'s items
# (899 distinct in its 4 documents, 100-400 a document; a document's own repeats are one call's,
# found without the memo), as layout.MEMO_TEXTS (eleventh round: 4,096 held 2.9 MiB at d64)
VERDICT_MEMO = 1 << 10


class VerdictMemo(Generic[V]):
    """A bounded least-recently-used map from item_key to a decided verdict (or another value
    decided once per item, such as the category model's probabilities), with hit counts.
    (functools.lru_cache memoises one call at a time; the model scores the misses of a document
    in one batch.)"""

    def __init__(self, maxsize: int = VERDICT_MEMO) -> None:
        self.maxsize = maxsize
        self.entries: OrderedDict[tuple[object, ...], V] = OrderedDict()
        self.hits = self.misses = 0
        self.model: object = None  # the model the entries were decided by

    def of(self, model: object) -> VerdictMemo[V]:
        """This memo for `model`: emptied when another model (a reloaded one) decides from now on."""
        if model is not self.model:
            self.entries.clear()
            self.model = model
        return self

    def get(self, key: tuple[object, ...]) -> V | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[object, ...], decided: V) -> None:
        self.entries[key] = decided
        if len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()
        self.hits = self.misses = 0

    def stats(self) -> str:
        total = self.hits + self.misses
        rate = f"{self.hits / total:.1%}" if total else "-"
        return f"{self.hits} hits / {total} items ({rate}), {len(self.entries)} entries (bound {self.maxsize})"




def memo_enabled() -> bool:
    return os.environ.get(MEMO_ENV, "1") != "0"
