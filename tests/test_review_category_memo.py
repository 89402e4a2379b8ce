"""The review's category-mismatch check scores each distinct item once (issue 13, report cost):
the same verdicts as the model scoring every row, memo on or off; its one memo is the verdicts'
(`_verdicts`), the scan's memo of the model's probabilities (PROBA_MEMO) is left to the scan."""
from __future__ import annotations

import copy

import pytest

import kpiscan
from kpiscan.classify.category import MISMATCH_PRINTED, MISMATCH_PROBA, PROBA_MEMO, load_category_model, suggest
from kpiscan.review.checks import Context, Row, check_category_mismatch, target_of


@pytest.fixture(scope="module")
def scanned(corpora):
    return kpiscan.scan(corpora, classify=False)


def rows_of(scanned):
    return [(i, target_of(i, None)) for i in scanned.indicators if i.value.strip()]


def test_mismatch_findings_memo_on_and_off(scanned, monkeypatch):
    def findings():
        out = []
        for table in scanned.tables:
            mine = [i for i in scanned.indicators if i.doc == table.doc and i.table == table.index]
            ctx = Context(table=table, rows=[Row(i, target_of(i, table.year)) for i in mine])
            out.extend((f.doc, f.table, tuple(f.lines), f.message) for f in check_category_mismatch(ctx))
        return out

    on = findings()
    assert on  # corpora/ has rows the model files under another category
    monkeypatch.setenv("KPISCAN_CLASSIFY_MEMO", "0")
    assert findings() == on


def _item(ind, target):
    from kpiscan.classify.item import item_of

    return item_of(ind.name, ind.value, None, None, target)


def test_review_all_asks_the_model_once_per_call(scanned, monkeypatch):
    """review_all scores the distinct rows of all its tables in one call of the model (the tables
    of a document print many rows alike); every table's findings stay those review_table gives
    it alone, memo on and off."""
    from kpiscan.classify import category
    from kpiscan.review import review_all, review_table
    from kpiscan.review.checks import _verdicts

    alone = [f.to_dict() for t in scanned.tables for f in review_table(t, scanned.indicators)]
    assert any(f["code"] == "category-mismatch" for f in alone)
    calls: list[int] = []
    real = category.suggest
    monkeypatch.setattr(category, "suggest", lambda rows, model=None: calls.append(len(rows)) or real(rows, model))
    for memo in ("1", "0"):
        monkeypatch.setenv("KPISCAN_CLASSIFY_MEMO", memo)
        _verdicts().clear()  # (review_table's verdicts: kept, the model would not be asked)
        calls.clear()
        together = review_all(scanned.tables, scanned.indicators).findings
        assert [f.to_dict() for f in together] == alone
        assert len(calls) == 1  # one call for every table of the scan
        assert calls[0] < sum(1 for i in scanned.indicators if i.value.strip())  # distinct rows only


def test_category_verdicts_kept_per_item_are_suggests(scanned, monkeypatch):
    """category_verdicts keeps suggest's verdict of each distinct item (`_verdicts`): a second review
    of corpora/ asks the model nothing and finds the same, and every kept verdict is the one
    suggest gives the item's row now (memo on); with KPISCAN_CLASSIFY_MEMO=0 nothing is kept."""
    from kpiscan.classify import category
    from kpiscan.classify.category import suggest
    from kpiscan.review import review_all
    from kpiscan.review.checks import _verdicts, category_verdicts, table_context

    calls: list[int] = []
    monkeypatch.setattr(category, "suggest", lambda rows, model=None: calls.append(len(rows)) or suggest(rows, model))
    _verdicts().clear()
    first = [f.to_dict() for f in review_all(scanned.tables, scanned.indicators).findings]
    assert len(calls) == 1 and any(f["code"] == "category-mismatch" for f in first)
    again = [f.to_dict() for f in review_all(scanned.tables, scanned.indicators).findings]
    assert again == first and len(calls) == 1 and _verdicts().hits >= calls[0]
    asked = {key: r for t in scanned.tables for key, r in table_context(t, scanned.indicators).asked}
    kept = dict(_verdicts().entries)  # the verdicts themselves, None among them
    assert kept.keys() == asked.keys()
    assert list(kept.values()) == suggest([(asked[k].ind, asked[k].target) for k in kept])
    assert any(v is not None for v in kept.values()) and any(v is None for v in kept.values())
    monkeypatch.setenv("KPISCAN_CLASSIFY_MEMO", "0")
    _verdicts().clear()
    assert dict(zip(asked, category_verdicts(list(asked.items())) or ())) == kept and len(_verdicts().entries) == 0


def test_category_verdicts_score_their_misses_with_the_model_and_keep_no_probabilities(scanned, monkeypatch):
    """category_verdicts asks the model itself about the distinct keys its verdict memo lacks (no
    second target_key per item: the keys are `Context.asked`'s), keeps nothing in the scan's
    memo of probabilities (PROBA_MEMO, whose bound stays the scan's: the verdict memo holds the
    same items under the same keys in front of it), and its hits are suggest's over the
    distinct rows with the plain model."""
    import kpiscan.classify.item as item_module
    from kpiscan.classify import category
    from kpiscan.review.checks import _verdicts, category_verdicts, table_context

    asked = [pair for t in scanned.tables for pair in table_context(t, scanned.indicators).asked]
    distinct = {key: r for key, r in asked}
    PROBA_MEMO.clear()
    _verdicts().clear()
    calls: list[int] = []
    target_key = item_module.target_key
    monkeypatch.setattr(item_module, "target_key", lambda t: calls.append(1) or target_key(t))
    hits = dict(zip((key for key, _ in asked), category_verdicts(asked) or ()))  # by key
    assert calls == []  # every item's key came from `asked`
    assert len(PROBA_MEMO.entries) == 0 and PROBA_MEMO.maxsize == category.SCAN_PROBA
    plain = suggest([(r.ind, r.target) for r in distinct.values()], load_category_model())
    assert list(hits.values()) == plain and list(hits) == list(distinct)
    assert len(_verdicts().entries) == len(distinct)


def _suggested(level2, p, classes, defined_by_kind):
    """suggest's verdict on one row of probabilities `p` (NumPy), as suggest computed it row by row
    before it read all rows at once (issue 13, eleventh round): the oracle of the test below."""
    j = int(p.argmax())
    best = classes[j]
    printed = float(p[classes.index(level2)]) if level2 in classes else None
    defined = {level2, best} & defined_by_kind
    if printed is not None and defined and best != level2 and p[j] >= MISMATCH_PROBA and printed <= MISMATCH_PRINTED:
        return (best, float(p[j]))
    return None


def test_suggest_all_rows_at_once_as_row_by_row(scanned):
    """suggest reads the argmax and probabilities of all rows at once (one NumPy call each, the
    rows as Python floats): the same verdicts and probabilities as `_suggested` row by row on
    each row's own array, for every row of corpora/ under its printed category and under each
    other category (so that hits, misses and unknown categories all occur)."""
    from kpiscan.classify.category import kind_defined

    model = load_category_model()
    rows = rows_of(scanned)
    varied = []
    for k, (i, t) in enumerate(rows):
        level2 = (*model.classes, "不是类别")[k % (len(model.classes) + 1)]
        varied.append((copy.copy(i), t))
        varied[-1][0].level2 = level2
    for sample in (rows, varied, rows[:1]):
        proba = model.proba([_item(i, t) for i, t in sample])
        want = [_suggested(i.level2, p, model.classes, kind_defined()) for (i, _), p in zip(sample, proba)]
        got = suggest(sample, model)
        assert got == want
        assert all(type(x[1]) is float for x in got if x is not None)
    assert any(suggest(varied, model)) and None in suggest(varied, model)
