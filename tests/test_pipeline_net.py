"""The nothing-lost net's quick tests (pipeline.unplaced_cells) against the tests they stand for,
on the cells and kept texts of corpora/: a cell a quick test turns away is one the full test
turns away too."""
from __future__ import annotations

import sys

import pytest

from kpiscan import pipeline
from kpiscan.layout import norm
from kpiscan.pipeline import _AMOUNT, MIN_LOOSE, _amount, _Bares, _Kept
from kpiscan.read import read_document


@pytest.fixture(scope="module")
def scanned(corpus_files):
    out = []
    for path in corpus_files:
        doc = read_document(path)
        out.append((doc, pipeline.scan_document(doc, classify=False, by_meaning=False)))
    return out


def _full_amount(text: str) -> float | None:
    return float(text.replace(",", "")) if _AMOUNT.match(text) else None


def _outcome(fn, text: str) -> object:
    """fn(text), or the class of what it raised (the regex module knows digits newer than
    Python's float does: both ways raise alike)."""
    try:
        return fn(text)
    except ValueError as err:
        return type(err)


def test_amount_is_the_full_match_on_every_cell_and_every_first_character(scanned):
    cells = {norm(c) for doc, _ in scanned for line in doc.lines for c in line.cells if c}
    assert any(_amount(c) is not None for c in cells)  # the corpus has amounts
    for cell in cells:
        assert _amount(cell) == _full_amount(cell), cell
    # every character first: only an ASCII non-digit is turned away without the regex
    for code in range(0, sys.maxunicode + 1, 7):
        for text in (chr(code) + "1,000", chr(code), chr(code) + "0"):
            assert _outcome(_amount, text) == _outcome(_full_amount, text), hex(code)


def _full_holds(kept: _Kept, text: str, key: str, bares: _Bares) -> bool:
    if text in kept.printed:
        return True
    loose = [bares[x] for x in kept._forms]
    return key in set(loose) or (len(key) >= MIN_LOOSE and key in "\0".join(loose))


def test_kept_holds_is_the_full_test_for_every_cell_and_table_neighbourhood(scanned):
    asked = held = 0
    for doc, result in scanned:
        bares = _Bares()
        texts: dict[tuple[int, int], list[str]] = {}
        for i in result.indicators:
            texts.setdefault((i.table, i.line), []).extend(filter(None, (i.name, i.name_raw, i.value, i.level1, i.level2)))
        for u in result.unparsed:
            texts.setdefault((u.table, u.line), []).append(u.text)
        by_number = {line.number: line for line in doc.lines}
        for t in result.tables:
            fields = [t.title, t.project, *t.fields, *t.fields.values()]
            for number in range(t.line, max(t.end_line, t.line) + 1):
                line = by_number.get(number)
                if line is None:
                    continue
                near = [texts.get((t.index, k), []) for k in (number - 1, number, number + 1)]
                for cell in filter(None, line.cells):
                    text = norm(cell)
                    key = bares[text]
                    if not key:
                        continue
                    for kept_texts in (fields, *near):
                        kept = _Kept(kept_texts, bares)
                        full = _full_holds(_Kept(kept_texts, bares), text, key, bares)
                        assert kept.holds(text, key) == full, (doc.name, number, cell)
                        asked += 1
                        held += full
    assert asked > 10_000 and 0 < held < asked
