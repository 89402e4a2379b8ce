"""The nothing-lost net's quick tests (pipeline.unplaced_cells) against the tests they stand for,
on the cells and kept texts of corpora/: a cell a quick test turns away is one the full test
turns away too."""
from __future__ import annotations

import sys

import pytest

from kpiscan import pipeline
from kpiscan.layout import norm
from kpiscan.pipeline import _AMOUNT, MIN_LOOSE, _amount, _Bares, _Kept, _PrintedLines
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


def test_amount_is_the_full_match_on_every_cell_and_every_first_character(scanned):
    cells = {norm(c) for doc, _ in scanned for line in doc.lines for c in line.cells if c}
    assert any(_amount(c) is not None for c in cells)  # the corpus has amounts
    for cell in cells:
        assert _amount(cell) == _full_amount(cell), cell
    # every character first: only an ASCII non-digit is turned away without the regex, and no
    # digit the pattern takes is one float() cannot read (the regex module's newer tables had
    # such digits: "\U000116d0" raised ValueError)
    for code in range(sys.maxunicode + 1):
        for text in (chr(code) + "1,000", chr(code)):
            assert _amount(text) == _full_amount(text), hex(code)
    assert _amount("\U000116d0") is None and _amount("１２,０００") == 12000.0 and _amount("3,186,0") is None


def test_printed_lines_are_the_joined_texts_of_every_line_of_every_table(scanned):
    """_PrintedLines makes a line's printed texts when asked: the same string the eager map of
    every line of a table made (each kept text's `norm`, "\0" between; "" for a line without)."""
    joined = 0
    for doc, result in scanned:
        near: dict[tuple[int, int], list[str]] = {}
        for i in result.indicators:
            near.setdefault((i.table, i.line), []).extend(filter(None, (i.name, i.name_raw, i.value, i.level1, i.level2, i.project)))
        for u in result.unparsed:
            near.setdefault((u.table, u.line), []).append(u.text)
        for t in result.tables:
            printed = _PrintedLines(near, t.index)
            for k in range(t.line - 1, max(t.end_line, t.line) + 2):
                texts = near.get((t.index, k))
                assert printed[k] == ("\0".join(map(norm, texts)) if texts else ""), (doc.name, k)
                joined += bool(texts)
    assert joined > 1000


def test_bare_is_the_regex_class_deleted_on_every_code_point_and_cell(scanned):
    """_bare deletes the common blocks' punctuation by `re`, the rest by `_PUNCT`: the same text
    as `_PUNCT.sub("", text)`, because no letter or digit is in `_PUNCT`'s class (asked of every
    code point: were one, a text of letters and that character would keep it)."""
    punct = pipeline._PUNCT
    assert not [hex(c) for c in range(sys.maxunicode + 1) if chr(c).isalnum() and punct.match(chr(c))]
    for code in range(sys.maxunicode + 1):
        text = "甲" + chr(code) + "1,"
        assert pipeline._bare(text) == punct.sub("", text), hex(code)
    texts = {norm(c) for doc, _ in scanned for line in doc.lines for c in line.cells if c}
    texts |= {norm(v) for _, result in scanned for t in result.tables for v in t.fields.values()}
    assert sum(not t.isalnum() for t in texts) > 100
    for text in texts:
        assert pipeline._bare(text) == punct.sub("", text), text


def _full_holds(kept: _Kept, text: str, key: str, bares: _Bares) -> bool:
    if text in kept.printed:
        return True
    loose = [bares[x] for x in kept.forms]
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
    # keys that could span two kept texts (a NUL inside a cell), and punctuation between them
    bares = _Bares()
    for texts, text, key in (
        (["甲乙", "丙丁"], "乙\0丙", "乙\0丙"),
        (["甲,乙", "丙"], "甲乙丙", "甲乙丙"),
        (["项目(一)名称", "x"], "项目一名称", "项目一名称"),
        (["项目(一)名称"], "一名", "一名"),
    ):
        assert _Kept(texts, bares).holds(text, key) == _full_holds(_Kept(texts, bares), text, key, bares), (texts, key)
