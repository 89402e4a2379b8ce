"""The scan's quick forms after segmentation (issue 13, fifteenth round) against the plain forms
they stand for: the extraction passes' early exits, the rows' labels read in C, the level2 rule
that asks a value's shape only of the categories a kind can contradict.
Each is compared on every table, row and record of corpora/ and on rows made to take each branch."""
from __future__ import annotations

from dataclasses import fields, replace
from itertools import chain

import pytest

from kpiscan import extract
from kpiscan.classify import category
from kpiscan.extract import Pair, read_rows
from kpiscan.layout import level2_of, norm
from kpiscan.read import read_document
from kpiscan.segment import segment


@pytest.fixture(scope="module")
def documents(corpus_files):
    return [read_document(path) for path in corpus_files]


@pytest.fixture(scope="module")
def tables(documents):
    return [t for doc in documents for t in segment(doc)]


# ------------------------------------------------------------------------ the plain forms


def _plain_clipped(pairs: list[Pair]) -> list[Pair]:
    out = []
    for p in pairs:
        m = extract._CLIPPED.match(p.name) if not p.value and p.dropped is None else None
        out.append(replace(p, name=m["name"].strip(), value=m["value"].strip(), name_raw=p.name) if m else p)
    return out


def _plain_converter_copies(pairs: list[Pair]) -> list[Pair]:
    out = []
    right_of: dict[int, tuple[str, str]] = {}
    rows: dict[int, list[Pair]] = {}
    for p in pairs:
        rows.setdefault(p.line, []).append(p)
    lines = sorted(rows)
    for p in pairs:
        if p.half == 1:
            right_of[p.line] = (norm(p.name), norm(p.value))
    for prev, line in zip(lines, lines[1:]):
        row = rows[line]
        if len(row) == 1 and not row[0].labelled and prev in right_of and len(rows[prev]) == 2:
            if (norm(row[0].name), norm(row[0].value)) == right_of[prev] and row[0].value:
                row[0] = replace(row[0], dropped="converter-copy")
    for line in lines:
        out += rows[line]
    return out


def _plain_truncated(pairs: list[Pair]) -> list[Pair]:
    left = [p for p in pairs if p.half == 0]
    out = []
    for p in pairs:
        key = norm(p.name)
        if p.half == 1 and key and key not in {norm(q.name) for q in left}:
            extending = [q for q in left if norm(q.name).startswith(key) and len(norm(q.name)) > len(key)]
            if extending:
                best = min(extending, key=lambda q: (q.line != p.line, abs(q.line - p.line)))
                p = replace(p, name=best.name, name_raw=p.name)
        out.append(p)
    return out


def _plain_numbering(pairs: list[Pair]) -> list[Pair]:
    out = []
    for p in pairs:
        marked = p.dropped is None and ("指标" in p.name or "*" in p.name)
        name = extract._PLACEHOLDER.sub("", extract._NUMBERED.sub("", p.name)) if marked else p.name
        out.append(replace(p, name=name, name_raw=p.name_raw or p.name) if name and name != p.name else p)
    return out


def _plain_labels(cells):
    hits = [(hit[0], i) for i, c in enumerate(cells) if c and (hit := level2_of(c))]
    return tuple(h for h, _ in hits), tuple(i for _, i in hits)


PLAIN_PASSES = [
    (extract.split_clipped_value, _plain_clipped),
    (extract.drop_converter_copies, _plain_converter_copies),
    (extract.complete_truncated, _plain_truncated),
    (extract.strip_numbering, _plain_numbering),
]


def _pair(line: int, half: int, name: str, value: str, labelled: bool = False, dropped: str | None = None) -> Pair:
    return Pair(line, "annual", ("数量指标", "产出指标"), name, value, labelled, half, dropped=dropped)


# rows made to take each branch of the passes above (the corpus prints few of them)
MADE = [
    # a converter's copy of the right half (dropped), one with another value (kept), one labelled
    # (kept), one without a value (kept), and one under a row of three pairs (kept)
    [_pair(10, 0, "道路长度", "10公里"), _pair(10, 1, "桥梁数量", "≥3座"), _pair(11, 0, "桥梁数量 ", "≥3座")],
    [_pair(10, 0, "道路长度", "10公里"), _pair(10, 1, "桥梁数量", "≥3座"), _pair(11, 0, "桥梁数量", "≥4座")],
    [_pair(10, 0, "道路长度", "10公里"), _pair(10, 1, "桥梁数量", "≥3座"), _pair(11, 0, "桥梁数量", "≥3座", labelled=True)],
    [_pair(10, 0, "道路长度", "10公里"), _pair(10, 1, "桥梁数量", ""), _pair(11, 0, "桥梁数量", "")],
    [_pair(10, 0, "a", "1"), _pair(10, 1, "b", "2"), _pair(10, 1, "c", "3"), _pair(11, 0, "c", "3")],
    [_pair(10, 1, "b", "2"), _pair(10, 1, "c", "3"), _pair(11, 0, "c", "3")],  # (the last right half's)
    [_pair(10, 0, "道路长度", "10公里"), _pair(10, 0, "桥梁数量", "≥3座"), _pair(11, 0, "桥梁数量", "≥3座")],
    # lines out of order (a workbook's sheets number their rows anew): regrouped by line
    [_pair(20, 0, "x", "1"), _pair(5, 0, "y", "2"), _pair(20, 1, "z", "3"), _pair(21, 0, "z", "3")],
    # a clipped value, one already dropped, a truncated right name, numbering and a placeholder
    [_pair(1, 0, "人均接待费(≤200元/人", ""), _pair(2, 0, "人均接待费(≤200元/人", "", dropped="extra"),
     _pair(3, 0, "《晋城市推进再生水利用实施方案》", "完成"), _pair(3, 1, "《晋城市推进再生水利用实施方", "完成"),
     _pair(4, 0, "指标1：道路修缮长度", "10公里"), _pair(5, 1, "受助对象满意度(≥**%)", "≥95%"),
     _pair(6, 0, "指标", "1"), _pair(7, 0, "**", "1", dropped="unfilled-template")],
]


def test_passes_are_their_plain_forms_on_every_table_of_the_corpus_and_on_made_rows(tables):
    asked = 0
    for pairs in chain((read_rows(t).pairs for t in tables), MADE):
        for quick, plain in PLAIN_PASSES:
            assert quick(list(pairs)) == plain(list(pairs)), (quick.__name__, pairs)
            asked += 1
        pairs = list(pairs)
        for _name, apply in extract.PASSES:
            pairs = apply(pairs)
    assert asked > 300
    # the made rows took the branches: a copy dropped, a value unclipped, a name completed and stripped
    dropped = extract.drop_converter_copies(MADE[0])
    assert [p.dropped for p in dropped] == [None, None, "converter-copy"]
    regrouped = extract.drop_converter_copies(MADE[7])
    assert [(p.line, p.name) for p in regrouped] == [(5, "y"), (20, "x"), (20, "z"), (21, "z")]
    assert [p.dropped for p in regrouped] == [None, None, None, "converter-copy"]
    made = MADE[-1]
    assert extract.split_clipped_value(made)[0].value == "≤200元/人"
    assert extract.complete_truncated(made)[3].name == "《晋城市推进再生水利用实施方案》"
    assert [p.name for p in extract.strip_numbering(made)][4:6] == ["道路修缮长度", "受助对象满意度"]


def test_indicators_made_by_position_are_the_keyword_records_on_every_pair(tables):
    """extract._indicator makes a record positionally in Indicator's field order: the same record
    as by keyword, on every pair of corpora/ (a field added or moved in Indicator fails here)."""
    from kpiscan.model import Indicator

    made = raw = 0
    for t in tables:
        pairs = read_rows(t).pairs
        for _name, apply in extract.PASSES:
            pairs = apply(pairs)
        for p in pairs:
            if p.side:
                continue
            level2, level1 = p.level2
            assert extract._indicator(t, p) == Indicator(
                doc=t.doc, table=t.index, table_line=t.line, kind=t.kind, project=p.project or t.project,
                period=p.period, level1=level1, level2=level2, name=p.name, name_raw=p.name_raw,
                value=p.value, line=p.line, level2_source=p.level2_source,
            )
            made += 1
            raw += p.name_raw is not None
    assert made > 1000 and raw > 10


def test_line_labels_are_the_comprehension_on_every_line(documents):
    """category._labels looks every cell up in C and turns a line without a label away at once."""
    lines = [line.cells for doc in documents for line in doc.lines]
    lines += [("", "数量指标", "", "质量指标", "x"), ("",), (), ("成本指标(0-20)分", "", "经济效益指"), ("", "", "")]
    labelled = 0
    for cells in lines:
        assert category._labels(cells) == _plain_labels(cells), cells
        labelled += bool(_plain_labels(cells)[0])
    assert labelled > 100


def _plain_contradicts(row, half, pos, current) -> bool:
    ind = current[row.index]
    return ind.target is not None and (ind.level2, category.shape(ind.target)) in category.conflicts()


def _plain_out_of_column(row, half, pos, current) -> bool:
    if row.level1_column is None or set(row.label_columns) != {row.level1_column}:
        return False
    others = [r for r in half if r is not row and r.label_columns]
    return bool(others) and all(set(r.label_columns) != {row.level1_column} for r in others)


def test_level2_rules_are_their_plain_forms_on_every_row(documents):
    """label_contradicts_value asks a row's shape only when its category is one a value's kind can
    contradict (every conflict's category is one); label_out_of_column compares a row's label
    columns as a tuple (a line's are distinct positions). Both against their plain forms on every
    row of corpora/, also with each row's 一级 column moved onto its labels' (the rule's case)."""
    from kpiscan import pipeline

    assert {level2 for level2, _ in category.conflicts()} <= category.kind_defined()
    assert set(category.conflicting_shapes()) == category.kind_defined()
    assert {(c, s) for c, shapes in category.conflicting_shapes().items() for s in shapes} == category.conflicts()
    seen = {"contradicts": 0, "out": 0}
    for doc in documents:
        result = pipeline.scan_document(doc, classify=False, by_meaning=False)
        current = list(result.indicators)
        for half in category._halves(current, result.tables):
            for pos, row in enumerate(half):
                # made bare by _halves, every slot set: the Row its __init__ makes of them
                assert row == category.Row(*(getattr(row, f.name) for f in fields(category.Row)))
                assert len(set(row.label_columns)) == len(row.label_columns)
                quick = category.label_contradicts_value(row, half, pos, current)
                assert quick == _plain_contradicts(row, half, pos, current)
                seen["contradicts"] += quick
                for moved in (row, replace(row, level1_column=row.label_columns[0] if row.label_columns else 0)):
                    quick = category.label_out_of_column(moved, half, pos, current)
                    assert quick == _plain_out_of_column(moved, half, pos, current)
                    seen["out"] += quick
    assert seen["contradicts"] and seen["out"]


def test_tables_encode_as_utf8_lines_of_their_dicts(tables):
    """json_lines(utf8=True) of records written through to_dict (TableBlock) gives orjson's UTF-8
    lines as they are: the bytes of the text json_line gives, line for line; a record orjson
    refuses (a lone surrogate) sends the stream down json_line's path, as text."""
    from kpiscan.write import json_line, json_lines

    encoded = json_lines(tables, utf8=True)
    assert isinstance(encoded, bytes)
    assert encoded == "".join(json_line(t.to_dict()) for t in tables).encode()
    assert encoded.decode() == json_lines(tables)
    odd = [replace(tables[0], title="\ud800 表"), *tables[1:3]]
    text = json_lines(odd, utf8=True)
    assert isinstance(text, str) and text == "".join(json_line(t.to_dict()) for t in odd)


def _plain_halves(indicators, tables):
    by_table = {(t.doc, t.index): t for t in tables}
    halves: dict = {}
    for k, ind in enumerate(indicators):
        t = by_table.get((ind.doc, ind.table))
        if t is None:
            continue
        rows = {ln.number: ln.cells for ln in reversed(t.body)}
        labels = _plain_labels(rows.get(ind.line, ()))
        row = category.Row(k, ind.line, labels[0], labels[1], category._level1_column(t), len(t.periods))
        halves.setdefault((ind.doc, ind.table, ind.period), []).append(row)
    return [sorted(h, key=lambda r: (r.line, r.index)) for h in halves.values()]


def test_halves_are_their_plain_form_on_every_document_and_on_records_out_of_order(documents):
    """category._halves (a table looked up when the records reach another one, a line's labels
    once, Rows made bare, a half sorted by line alone) gives the plain form's halves: on each
    document of corpora/, on all of them at once, and with the records reversed, interleaved
    across tables and documents and with records of no table among them."""
    from kpiscan import pipeline

    records, tables = [], []
    for doc in documents:
        result = pipeline.scan_document(doc, classify=False, by_meaning=False)
        assert category._halves(result.indicators, result.tables) == _plain_halves(result.indicators, result.tables)
        records += result.indicators
        tables += result.tables
    stray = replace(records[0], table=999)
    for order in (records, records[::-1], records[::2] + records[1::2], [stray, *records[::3], stray, *records]):
        assert category._halves(order, tables) == _plain_halves(order, tables)
    assert len({r.doc for r in records}) > 1 and len({(r.doc, r.table) for r in records}) > 10
