"""What the scan's memos keep, made smaller (issue 13, twelfth round: scan memory on distinct
documents), reads back as what they kept before, on every text of corpora/:

- PROBA_MEMO keeps a row of the category model's probabilities as the bytes of its float64 values
  (`kept_row`), read back by `proba_row`: the same floats to the bit, through the scan's path
  (`_proba_of`, a miss then a hit) as through the model;
- `extract._cue_reading` keeps the scores of the 二级 whose cues a text has, not a dict of every
  cued 二级 with zeros: every 二级's score, the best 产出 二级 and its score as the full dict gave;
- the scan's bound on PROBA_MEMO stays the scan's through a review (its verdict memo keeps its items);
- a memo's bound at a third of a power of two keeps its dict at that many slots once it evicts
  (`layout.fill_of`; 3,072 or 4,096 entries kept a table of 16,384 slots)."""
from __future__ import annotations

import sys
from functools import lru_cache

import numpy as np
import pytest

import kpiscan
from kpiscan import extract
from kpiscan.classify import category
from kpiscan.classify.item import item_of
from kpiscan.layout import fill_of, norm


@pytest.fixture(scope="module")
def scanned(corpora):
    return kpiscan.scan(corpora, classify=False)


def test_proba_rows_read_back_to_the_bit(scanned):
    model = category.load_category_model()
    items = [item_of(i.name, i.value, None, None, i.target) for i in scanned.indicators if i.target is not None]
    assert len(items) > 1000
    rows = model.proba(items)
    for row in rows:
        back = category.proba_row(category.kept_row(row))
        assert back.dtype == np.float64 and back.tobytes() == row.tobytes() and not back.flags.writeable
    # the scan's path: a miss (the model's row) then a hit (the kept bytes), both the model's floats
    category.PROBA_MEMO.clear()
    category.PROBA_MEMO.maxsize = len(items)
    try:
        for item, row in zip(items[:300], rows[:300]):
            missed = category._proba_of(model, item)
            hit = category._proba_of(model, item)
            assert missed.tobytes() == row.tobytes() and hit.tobytes() == row.tobytes()
        assert category.PROBA_MEMO.hits >= 300 and all(isinstance(v, bytes) for v in category.PROBA_MEMO.entries.values())
    finally:
        category.PROBA_MEMO.clear()
        category.PROBA_MEMO.maxsize = category.SCAN_PROBA


def test_the_review_leaves_the_scan_bound(scanned):
    from kpiscan.review import review_all

    category.PROBA_MEMO.clear()
    assert category.PROBA_MEMO.maxsize == category.SCAN_PROBA
    assert any(f.code == "category-mismatch" for f in review_all(scanned.tables, scanned.indicators).findings)
    assert category.PROBA_MEMO.maxsize == category.SCAN_PROBA and len(category.PROBA_MEMO.entries) == 0


def _dense_cue_reading(name: str, value: str) -> tuple[dict[str, int], str, int]:
    """The cue reading as it was (every cued 二级 in the dict, 0 when the text has none of its cues)."""
    scores = dict.fromkeys(extract._cues(), 0)
    for text, (cued, cues) in zip((norm(name), norm(value)), extract._cues_by_field()):
        if cued.search(text):
            for cue, level2, w in cues:
                if cue in text:
                    scores[level2] += w
    best = max(extract._OUTPUT_LEVEL2, key=lambda level2: scores.get(level2, 0))
    return scores, best, scores.get(best, 0)


def test_sparse_cue_readings_give_every_score_the_dense_one_gave(scanned):
    pairs = {(i.name, i.value) for i in scanned.indicators}
    level2s = [*extract._cues(), *extract._OUTPUT_LEVEL2, "no such 二级"]
    cued = 0
    for name, value in pairs:
        reading = extract._cue_reading.__wrapped__(name, value)
        dense, best, score = _dense_cue_reading(name, value)
        assert (reading.best_output, reading.best_output_score) == (best, score), (name, value)
        assert [reading.scores.get(k, 0) for k in level2s] == [dense.get(k, 0) for k in level2s], (name, value)
        assert len(reading.scores) <= len(dense)
        cued += bool(reading.scores)
    assert len(pairs) > 800 and 0 < cued < len(pairs)  # texts with cues and texts without


@pytest.mark.parametrize("slots", [1 << 12, 1 << 13])
def test_a_full_memo_keeps_the_table_its_bound_is_a_third_of(slots):
    def table(maxsize: int) -> int:
        memo = lru_cache(maxsize=maxsize)(str.upper)
        for k in range(6 * slots):  # every key new: a miss and an eviction each once full
            memo(f"cell {k}")
        return max(sys.getsizeof(r) for r in __import__("gc").get_referents(memo) if isinstance(r, dict))

    full = table(fill_of(slots))
    assert full <= sys.getsizeof(dict.fromkeys(f"k{i}" for i in range(slots * 2 // 3)))  # `slots` slots
    assert table(fill_of(slots) + slots // 8) > full  # a bound above a third: twice the slots
