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


def _rows_no_noise(lines: list[Line]):
    """_rows less the rows `_noise` finds noise (each asked), their facts without the noise bits."""
    rows, facts = seg._rows(lines)
    kept = [j for j in range(len(rows)) if not seg._noise(rows, facts, j)]
    return [rows[j] for j in kept], [facts[j] & ~(seg._F_NOISE_TESTED | seg._F_NOISE) for j in kept]


def test_rows_are_the_cells_of_each_line_that_is_no_noise(docs):
    for doc in docs:
        assert _rows_no_noise(doc.lines) == _rows_by_definition(doc.lines), doc.name
    odd = [
        Line(1, "", ("", "")),  # only empty cells: no row
        Line(2, "项目名称：聘用律师费", ("项目名称：聘用律师费",)),  # a caption and its value in one cell
        Line(3, "\t主管部门:\t\t县司法局", ("", "主管部门:", "", "县司法局")),
        Line(4, "备注：a:b", ("备注：a:b",)),
        Line(5, "- 23 -", ("- 23 -",)),  # a page number: noise
    ]
    assert _rows_no_noise(odd) == _rows_by_definition(odd)
    assert [cells for _, cells, _ in seg._rows(odd)[0]][:2] == [("项目名称", "聘用律师费"), ("主管部门:", "县司法局")]
    assert len(seg._rows(odd)[0]) == 4 and len(_rows_no_noise(odd)[0]) == 3


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


# The per-row patterns segment matches with `re` (fifteenth round), and the `regex` patterns they
# replaced: the same matches wherever Python knows the characters (every cell of corpora/ and the
# layout fixtures, and every code point in the place each pattern's classes read it).
_WAS_REGEX = {
    "_NUMBER": r"^[-+]?\d[\d,，]*(\.\d+)?$",
    "_FILL_DATE": r"^\d{8,14}$",
    "_TABLE_YEAR": r"^[(（]?(20\d\d)[)）]?年度?[)）]?$",
    "_SECTION_HEADING": r"^(#{1,6}\s|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)",
    "_CAPTION_COLON": r"^([^:：]{2,16})[:：]\s*(\S.*)$",
}


def _groups(m):
    return None if m is None else (m.group(0), m.groups())


def test_the_per_row_re_patterns_match_as_the_regex_ones_did(docs):
    import sys

    import regex

    from kpiscan.layout import norm

    cells = {c for doc in docs for line in doc.lines for c in (line.text, *line.cells)}
    texts = cells | {norm(c) for c in cells} | {"(2024年度)", "（2024）年度", "20240302171549", "-1,234.5", "## 一、", "第二部分"}
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    # \s and \S: every code point after a caption's colon and after a heading's #; \d: every digit
    # Python reads (str.isdecimal), where the newer tables of regex may know more
    probes = {
        "_CAPTION_COLON": [f"项目名称：{c}x" for c in every] + [f"项目名称：{c}" for c in every],
        "_SECTION_HEADING": [f"#{c}概述" for c in every],
        "_NUMBER": [f"1{c}5" for c in every if c.isdecimal()] + [f"{c}.{c}" for c in every if c.isdecimal()],
        "_FILL_DATE": [f"2024030{c}" for c in every if c.isdecimal()],
        "_TABLE_YEAR": [f"(202{c}年度)" for c in every if c.isdecimal()],
    }
    for name, pattern in _WAS_REGEX.items():
        was, now = regex.compile(pattern), getattr(seg, name)
        assert now.__class__.__module__ == "re", name  # the cheap call, not the regex module's
        for text in [*texts, *probes[name]]:
            assert _groups(now.match(text)) == _groups(was.match(text)), (name, text)
    assert seg._CAPTION_COLON.match("项目名称：\u3000聘用律师费").group(2) == "聘用律师费"
    assert seg._CAPTION_COLON.match("项目名称：\x1c聘用").group(2) == "\x1c聘用"  # not White_Space (re's \s holds it)


def test_the_event_tables_made_at_import_are_line_event_of_every_facts_value():
    """line_events (segment's per-state tables, made once per process) gives what line_event
    gives for each facts value, for every set of events a state listens to, and for all events."""
    sets = [*seg.LISTENS.values(), *seg._UNTITLED.values(), frozenset(seg.Event), frozenset()]
    for listens in sets:
        assert seg.line_events(listens) == [seg.line_event(f, listens) for f in range(seg._EVENTS + 1)]
    for s in seg.State:
        for listens, (_, actions) in zip((seg._UNTITLED, seg.LISTENS), seg._STEPS[s]):
            assert actions == [seg._ACTIONS[s][seg.line_event(f, listens[s])] for f in range(seg._EVENTS + 1)]


def test_a_quiet_step_skips_every_row_without_a_fact_that_wakes_it():
    """segment's loop goes from a quiet step (SEEKING or CLOSED, no title pending) straight to the
    next row with a _WAKES bit: every other facts value maps to skip there, and tests nothing."""
    quiet = 0
    for s in seg.State:
        for wakes, (tests, actions) in zip(seg._QUIET[s], seg._STEPS[s]):
            if not wakes:
                continue
            quiet += 1
            assert tests == 0 and wakes & ~seg._WAKES == 0
            for f in range(seg._EVENTS + 1):
                assert (actions[f] is seg._Segmenter.skip) or (f & wakes), (s, f)
    assert quiet == 2 and seg._QUIET[seg.State.SEEKING][0] and seg._QUIET[seg.State.CLOSED][0]


def _segment_row_by_row(doc):
    """segment as it was before quiet steps jumped and noise was asked where read: the rows that
    are no noise (by definition) and every one of them looked up in _STEPS."""
    rows, facts = _rows_by_definition(doc.lines)
    s = seg._Segmenter(doc, seg._block_facts(rows, facts))
    for j, (line, cells, _) in enumerate(rows):
        cur = s.current
        tests, actions = seg._STEPS[cur.state if cur is not None else seg.State.SEEKING][s.pending_title is not None]
        f = facts[j]
        if tests & ~f:
            f = seg.tested_facts(rows, facts, j, tests)
        action = actions[f & seg._EVENTS]
        if action is seg._Segmenter.skip:
            continue
        new_state = action(s, line, cells)
        if s.current is not None:
            s.current.state = new_state
    if s.current is not None:
        s.close(doc.lines[-1].number if doc.lines else 0)
    for table in s.tables:
        table.fields.setdefault("项目名称", table.project)
    return s.tables


def test_segment_finds_the_tables_a_row_by_row_loop_finds(docs):
    n = 0
    for doc in docs:
        tables = seg.segment(doc)
        assert tables == _segment_row_by_row(doc), doc.name
        n += len(tables)
    assert n > 80


NOISE = ["- 23 -", "第5页/共60页", "仅供内部审核", "浠呬緵鍐呴儴瀹℃牳"]  # page numbers, a watermark, mojibake


def test_segment_skips_noise_where_it_reads_rows(tmp_path):
    """Noise lines put where segment reads neighbours (above and below titles and 项目名称 rows),
    inside tables and between them: the tables are those of a loop over the rows that are no noise."""
    n = 0
    for path in DOCS[:4]:
        texts = path.read_text(encoding="utf-8").split("\n")
        out: list[str] = []
        for k, text in enumerate(texts):
            if k % 5 == 0 or "项目名称" in text or "绩效目标" in text or "负责人" in text:
                out += [NOISE[k % len(NOISE)], text, NOISE[(k + 1) % len(NOISE)]]
            else:
                out.append(text)
        noisy = tmp_path / path.name
        noisy.write_text("\n".join(out), encoding="utf-8")
        doc = read_document(noisy)
        tables = seg.segment(doc)
        assert tables == _segment_row_by_row(doc), path.name
        assert len(tables) == len(seg.segment(read_document(path))) > 0
        n += len(tables)
    assert n > 80


def test_a_name_row_is_headed_by_the_rows_around_it_that_are_no_noise(tmp_path):
    """The title above a 项目名称 row and the header fields below it head its block with noise
    lines between them; the tables are those of the same text without the noise."""
    title = "某单位项目支出绩效目标表"
    rows = ["一级指标\t二级指标\t三级指标\t指标值", "产出指标\t数量指标\t培训人数\t≥50人", "填报人\t张三\t填报日期\t20240101"]
    cases = [
        ([title, "项目名称\t培训项目", *rows], [title, *NOISE, "项目名称\t培训项目", *NOISE[:2], *rows]),
        (["项目名称\t培训项目", "主管部门\t某局", *rows], ["项目名称\t培训项目", *NOISE, "主管部门\t某局", *rows]),
    ]
    for clean, noisy in cases:
        got = []
        for name, texts in (("clean.txt", clean), ("noisy.txt", noisy)):
            (tmp_path / name).write_text("\n".join(texts), encoding="utf-8")
            doc = read_document(tmp_path / name)
            tables = seg.segment(doc)
            assert tables == _segment_row_by_row(doc)
            got.append([(t.kind, t.project, [line.cells for line in t.body]) for t in tables])
        assert got[0] == got[1] and got[0][0][1] == "培训项目", got
