"""The segmenter's per-line fast paths answer as the rules they short-cut (issue 13: read and
segment made cheaper), on the real lines of corpora/ and of the layout fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

from kpiscan import segment as seg
from kpiscan.layout import field_key, is_mojibake, is_watermark
from kpiscan.model import Line
from kpiscan.read import read_document

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "corpora").glob("*.txt")) + sorted((ROOT / "tests/fixtures/layouts").glob("*/input.*"))


@pytest.fixture(scope="module")
def docs():
    return [read_document(p) for p in DOCS]


def _rows_by_definition(lines: list[Line]):
    """_rows as its docstring defines it: each line's `_cells`, when not empty and not noise."""
    rows, facts = [], []
    for line in lines:
        cells = seg._cells(line)
        if not cells or is_watermark(line.text) or is_mojibake(line.text.strip()):
            continue
        key = field_key(cells[0])
        rows.append((line, cells, key))
        facts.append(seg.row_facts(line, cells, key))
    return rows, facts


def test_rows_are_the_cells_of_each_line_that_is_no_noise(docs):
    for doc in docs:
        assert seg._rows(doc.lines) == _rows_by_definition(doc.lines), doc.name
    odd = [
        Line(1, "", ("", "")),  # only empty cells: no row
        Line(2, "项目名称：聘用律师费", ("项目名称：聘用律师费",)),  # a caption and its value in one cell
        Line(3, "\t主管部门:\t\t县司法局", ("", "主管部门:", "", "县司法局")),
        Line(4, "备注：a:b", ("备注：a:b",)),
    ]
    assert seg._rows(odd) == _rows_by_definition(odd)
    assert [cells for _, cells, _ in seg._rows(odd)[0]][:2] == [("项目名称", "聘用律师费"), ("主管部门:", "县司法局")]


def test_a_tables_body_cells_are_the_cells_of_its_body_lines(docs):
    """_Open.read_rows keys the cells the segmenter read, which are _cells of each body line."""
    seen = 0
    real_add = seg._Open.add_row

    def add_row(self, line, cells):
        nonlocal seen
        assert cells == seg._cells(line), line
        seen += 1
        real_add(self, line, cells)

    seg._Open.add_row = add_row  # type: ignore[method-assign]
    try:
        for doc in docs:
            seg.segment(doc)
    finally:
        seg._Open.add_row = real_add  # type: ignore[method-assign]
    assert seen > 1000


def test_end_text_tries_its_patterns_only_where_they_can_start(docs):
    """is_end_text tries _SECTION_HEADING and _NOTE only on a text starting with one of their
    first characters: the same answer as trying them on every text."""
    texts = [line.text for doc in docs for line in doc.lines] + ["注：单位为万元", "附件2:清单", "说明:", "备注", "三、其他"]
    for text in texts:
        t = text.strip()
        want = bool(seg._SECTION_HEADING.match(t)) or (
            "\t" not in t and not t.startswith("|") and (len(t) >= seg._PROSE_MIN or bool(seg._NOTE.match(t)))
        )
        assert seg.is_end_text(text) == want, text
    assert seg.is_end_text("附件2:清单") and seg.is_end_text("三、其他") and not seg.is_end_text("备注")
