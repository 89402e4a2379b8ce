"""DIR/index.html (corpus overview with charts) and DIR/docs/<doc>.html (each table as reviewers
know it: header fields, both halves side by side with each half's reasons under it, weak rows
highlighted, findings, score), written one document at a time.

Static and offline: jinja2 templates (autoescaped) for the pages' frames (their compiled code kept
per machine by jinja2's FileSystemBytecodeCache in the user's temporary directory, as
kpiscan.patterns keeps compiled patterns: ~0.17 G instructions of every later report), the parts repeated per
table, row and finding written by the functions below (the bytes the template loops wrote, one
join each), charts as inline SVG, one small bundled stylesheet and script copied to DIR/static/.
The document pages have a search box and filters (label, 二级指标, code, weak rows only) that
keep table headers, halves and category labels; tables fold (closed by default in a document of more than COLLAPSE_ABOVE indicators). Past
INDEX_PAGE_DOCS documents, index.html lists the lowest-scoring documents and links to pages of
the full list (DIR/documents/page-N.html); the per-document chart shows the top CHART_DOCS.
Every page records script errors into its <body> (data-js-errors) so a headless browser test
can see them without a DevTools connection. Re-running into the same DIR removes the pages of
documents no longer reported.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from math import copysign
from operator import attrgetter
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ..constants import HALVES, fund_keys, fund_names
from ..model import Indicator, TableBlock
from ..practice.report import goal_clauses
from ..review import criteria, rules
from ..review.findings import criteria_en
from . import charts, codes
from .facts import LABELS, LEVEL2_ORDER, TOP_DOCS, DocFacts, Overview, TableFacts, score_histogram

HERE = Path(__file__).parent
HEADER_KEYS = ("项目名称", "部门名称", "主管部门", "实施单位", "项目属性", "项目期", "填报日期")
TEXT_KEYS = ("项目概况", "立项依据", "项目设立必要性", "保证项目实施的制度、措施", "项目实施计划", "部门职责", "部门战略目标")
FUND_KEYS = fund_keys()
FUND_NAMES = {"total": fund_names()["total"]}
COLLAPSE_ABOVE = 300  # indicators in a document past which its tables start folded
INDEX_PAGE_DOCS = 200  # documents listed per page of the document list
CHART_DOCS = TOP_DOCS  # bars in the per-document and per-department charts past that many
_UNSAFE = re.compile(r"[^\w.\-]")


def page_name(doc: str) -> str:
    """The file of a document's page inside DIR/docs/: the doc + ".html" when it is a plain file
    name; else (a relative path, odd characters, a very long name) a safe form of it plus a hash
    of the whole doc, so "2023/a.txt" and "2023_a.txt" never share a page."""
    safe = _UNSAFE.sub("_", doc)
    if safe == doc and len(doc.encode()) <= 150:
        return doc + ".html"
    digest = hashlib.sha1(doc.encode()).hexdigest()[:10]
    return f"{safe[-80:]}-{digest}.html"


def page_href(doc: str) -> str:
    return "docs/" + quote(page_name(doc))


@dataclass(slots=True)
class GridRow:
    """One printed row of a table: the implementation and annual cells that share a source line."""

    line: int
    level1: str
    level2: str
    halves: dict[str, Indicator] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)  # half -> finding codes on that half
    show_level1: bool = True
    show_level2: bool = True

    def marks(self) -> tuple[bool, bool, str, str, int | None]:
        """(weak, noted, labels, all_codes, page) of the row, in one pass over its halves (its
        page row prints all five)."""
        weak, page = False, None
        labels: list[str] = []
        found: list[str] = []  # a row holds a few reasons and codes: a list is the cheapest set
        for half in self.halves.values():
            if half.flagged:
                weak = True
            page = page or half.page
            label = half.label
            if label and label not in labels:
                labels.append(label)
            for r in half.reasons:
                if r not in found:
                    found.append(r)
        noted = False
        for cs in self.codes.values():
            if cs:
                noted = True
                for c in cs:
                    if c not in found:
                        found.append(c)
        return weak, noted, " ".join(labels), " ".join(found), page

    @property
    def weak(self) -> bool:
        """A half of the row is flagged."""
        return self.marks()[0]

    @property
    def noted(self) -> bool:
        """A finding is on the row."""
        return self.marks()[1]

    @property
    def labels(self) -> str:
        """The halves' labels, each once."""
        return self.marks()[2]

    @property
    def all_codes(self) -> str:
        """The halves' reasons, then the findings' codes, each once."""
        return self.marks()[3]

    @property
    def page(self) -> int | None:
        """The printed page of the row (PDF input), when the reader gave one."""
        return self.marks()[4]


try:  # markupsafe >= 3.0: the C function its escape() runs on a str, without the Markup around it
    from markupsafe import _escape_inner as _escape_str
except ImportError:  # pragma: no cover - markupsafe 2.x
    def _escape_str(s: str, /) -> str:
        return str(escape(s))


def esc(s: object) -> str:
    """`s` as text escaped as markupsafe.escape does (& > < ' " as &amp; &gt; &lt; &#39; &#34;), as a
    plain str: the Python-written parts of a page escape with it (no Markup object per cell)."""
    return _escape_str(s if type(s) is str else str(s))


@lru_cache(maxsize=4096)  # codes are a small vocabulary (codes.tooltip's cache)
def _tip(code: str, kind: str | None = None) -> str:
    """codes.tooltip of a code, escaped."""
    return esc(codes.tooltip(code, kind))


@lru_cache(maxsize=4096)  # labels, reasons and finding codes are a small vocabulary
def _label_span(label: str) -> str:
    return f' <span class="label {esc(label)}" title="{_tip(label, "label")}">{esc(label)}</span>'


@lru_cache(maxsize=4096)
def _reason_span(reason: str) -> str:
    return f'<span class="reason" title="{_tip(reason)}">{esc(reason)}</span> '


@lru_cache(maxsize=4096)
def _code_span(code: str) -> str:
    return f'<span class="code" title="{_tip(code, "finding")}">{esc(code)}</span> '


# A page is written as UTF-8 bytes: its indicator rows' markup is bytes templates here (ASCII, never
# encoded), each text escaped and encoded once into them, and the rest (the frame, a table's head
# and findings) encoded a piece at a time. A str page made the UTF-8 encoder walk every character of
# the markup too (~16% of the pages' work at 16 distinct copies) and the joins widen it to UCS-2.
_EMPTY_HALF = b'<td class="empty"></td><td class="empty"></td><td class="empty"></td>'
# A row's form: the row's markup between what is its own (its anchor and line, its page, its
# halves' names), in pieces; the rest, its marks, levels, values, labels and reasons, is the form's
_ROW_ID = b'      <tr id="'
_ROW_MARKS = ('" class="ind%s" data-labels="%s" data-level2="%s" data-codes="%s">\n'
              '        <td class="line"><a href="#').encode()
_ROW_CATS = ('</td>\n'
             '        <td class="cat%s"><span>%s</span></td>\n'
             '        <td class="cat%s"><span>%s</span></td>\n').encode()
_NAME_CELL = b'          <td class="name%s">'
_HALF_REST = ('</td>\n'
              '          <td class="value%s">%s%s</td>\n'
              '          <td class="why">%s</td>\n').encode()
_RAW = '<div class="muted">印作 %s</div>'.encode()
_ON_PAGE = '<div class="muted">第%d页</div>'.encode()
_CSS = {(False, False): b"", (False, True): b" noted", (True, False): b" weak", (True, True): b" weak"}


@lru_cache(maxsize=4096)  # the spans above, as UTF-8
def _label_span_b(label: str) -> bytes:
    return _label_span(label).encode()


@lru_cache(maxsize=4096)
def _reason_span_b(reason: str) -> bytes:
    return _reason_span(reason).encode()


@lru_cache(maxsize=4096)
def _code_span_b(code: str) -> bytes:
    return _code_span(code).encode()


# Row forms kept by the row's shape (_tbody), then cleared: a shape is the halves' levels, values,
# labels, reasons and codes, which repeat across documents (the 64 distinct documents of /tmp/d16:
# 692 shapes of 16,128 rows); a form is ~1 KiB, ~2-4 MiB at most
_ROW_FORMS: dict[tuple, tuple[bytes, ...]] = {}
_ROW_FORM_MEMO = 1 << 11


def _row_form(row: GridRow, halves: tuple[str, ...]) -> tuple[bytes, ...]:
    """A row's markup in pieces, around its anchor and line (after the first), its page (before the
    second) and its halves' names (before each next): its marks (GridRow.marks), then each half's
    cells, a record's texts escaped and encoded."""
    weak, noted, labels, all_codes, _ = row.marks()
    level2 = esc(row.level2).encode()
    form = [_ROW_MARKS % (_CSS[weak, noted], esc(labels).encode(), level2, esc(all_codes).encode())]
    piece = [_ROW_CATS % (b"" if row.show_level1 else b" rep", esc(row.level1).encode(),
                          b"" if row.show_level2 else b" rep", level2)]
    present, codes_of = row.halves, row.codes
    for h in halves:
        ind = present.get(h)
        if ind is None:
            piece.append(_EMPTY_HALF)
            continue
        flagged = b" flagged" if ind.flagged else b""
        piece.append(_NAME_CELL % flagged)
        form.append(b"".join(piece))
        reasons, codes, label = ind.reasons, codes_of.get(h), ind.label
        why = b"".join(map(_reason_span_b, reasons)) if reasons else b""
        if codes:
            why += b"".join(map(_code_span_b, codes))
        piece = [_HALF_REST % (flagged, esc(ind.value).encode(), _label_span_b(label) if label else b"", why)]
    piece.append(b"      </tr>\n")
    form.append(b"".join(piece))
    return tuple(form)


def tbody_html(table: int, rows: list[GridRow], halves: list[str]) -> Markup:
    """The <tbody> of a document page's indicator table, the same bytes templates/doc.html's row
    loop wrote (autoescaped, its whitespace under trim_blocks/lstrip_blocks): made in Python with
    one join per table instead of a template run per cell (the pages' largest cost at scale)."""
    out: list[bytes] = []
    _tbody(out, table, rows, halves)
    return Markup(b"".join(out).decode())


def _tbody(out: list[bytes], table: int, rows: list[GridRow], halves: list[str]) -> None:
    """Appends a table's <tbody> to `out` (see tbody_html), as UTF-8: each row's form (_row_form)
    kept by the row's shape, its anchor, line, page and names between the form's pieces (each name
    escaped by markupsafe's own function and encoded once). (Its loop makes the rows itself: a call
    per row cost ~6% of them.)"""
    out.append(b"<tbody>\n")
    e, anchor_at, columns = _escape_str, f"t{table}-L".encode(), tuple(halves)
    for row in rows:
        present, codes_of = row.halves, row.codes
        shape: list = [columns, row.level1, row.level2, row.show_level1, row.show_level2]
        page = None
        for period, ind in present.items():
            codes = codes_of.get(period)
            shape.append((period, ind.flagged, ind.value, ind.label, tuple(ind.reasons), tuple(codes) if codes else None))
            page = page or ind.page  # (GridRow.page, without the rest of its marks)
        key = tuple(shape)
        form = _ROW_FORMS.get(key)
        if form is None:
            if len(_ROW_FORMS) >= _ROW_FORM_MEMO:
                _ROW_FORMS.clear()
            form = _ROW_FORMS[key] = _row_form(row, columns)
        line = _digits(row.line)
        at = anchor_at + line
        out += (_ROW_ID, at, form[0], at, b'">', line, b"</a>", _ON_PAGE % page if page else b"", form[1])
        k = 1
        for h in columns:
            half = present.get(h)
            if half is not None:
                k += 1
                raw = half.name_raw
                if raw:
                    out += (e(half.name).encode(), _RAW % e(raw).encode(), form[k])
                else:
                    out += (e(half.name).encode(), form[k])
    out.append(b"    </tbody>")


@lru_cache(maxsize=1 << 13)  # source line numbers: the same few thousand in every document
def _digits(n: int) -> bytes:
    return b"%d" % n


def findings_html(table: int, findings: list) -> Markup:
    """A table's findings list on its document page (or its "no findings" line), the same bytes
    templates/doc.html's findings loop wrote, made in Python with one join (a page prints
    hundreds of findings; the template ran ~25 steps for each)."""
    out: list[bytes] = []
    _findings(out, table, findings)
    return Markup(b"".join(out).decode())


_NO_FINDINGS = '<p class="muted">无发现 · no findings</p>'.encode()
_LINE_LINK = b'<a href="#%s%d">%d</a>'


def _findings(out: list[bytes], table: int, findings: list) -> None:
    """findings_html's pieces, as UTF-8 (see _row): a finding's head, its message, its period and
    its lines' links, its points (the memoised pieces: a small vocabulary)."""
    if not findings:
        out.append(_NO_FINDINGS)
        return
    out.append(f'<h3>发现 Findings ({len(findings)})</h3>\n  <ul class="findings">\n'.encode())
    e, link = _escape_str, f"t{table}-L".encode()
    for f in findings:
        lines, points = f.lines, f.points
        # (most findings are on one line: its link without a list; a zero's sign shows: made each time)
        out += (_finding_head_b(f.severity, f.criterion, f.code), e(f.message).encode(), _finding_period_b(f.period),
                _LINE_LINK % (link, lines[0], lines[0]) if len(lines) == 1
                else b", ".join([_LINE_LINK % (link, line, line) for line in lines]),
                _finding_points_b(points) if points else _finding_points_b.__wrapped__(points))
    out.append(b"  </ul>")


@lru_cache(maxsize=4096)
def _finding_head_b(severity: str, criterion: str, code: str) -> bytes:
    return _finding_head(severity, criterion, code).encode()


@lru_cache(maxsize=64)  # the halves (or none)
def _finding_period_b(period: str | None) -> bytes:
    """A finding's item between its message and its lines' links: its period's span, if any."""
    return b"\n%s      <span class=\"lines\">" % (_period_span(period).encode() if period else b"")


@lru_cache(maxsize=256, typed=True)  # a finding's points: a few dozen values
def _finding_points_b(points: float) -> bytes:
    """A finding's item after its lines' links: its points (%g prints nothing to escape)."""
    return _POINTS % points


_POINTS = '</span>\n      <span class="muted">−%g</span></li>\n'.encode()


@lru_cache(maxsize=4096)  # severities, criteria and finding codes are a small vocabulary
def _finding_head(severity: str, criterion: str, code: str) -> str:
    """A finding's item on its page up to its message: severity, criterion, code."""
    return (f'    <li class="{esc(severity)}"><span class="sev">{esc(severity)}</span> <span class="crit" '
            f'title="{esc(codes.zh(criterion, "criterion"))}">{esc(criterion)}</span>\n'
            f'      <code class="code" title="{_tip(code, "finding")}">{esc(code)}</code> ')


@lru_cache(maxsize=64)  # the halves
def _period_span(period: str) -> str:
    return f'<span class="muted">（{esc(codes.zh(period, "half"))}）</span>'


def fields_html(pairs: list[tuple[str, object]]) -> Markup:
    """The rows of a table's field list (项目名称 …, 项目概况 …): `<tr><th>key</th><td>value</td></tr>`
    each, one join (as templates/doc.html's loop wrote them)."""
    out: list[bytes] = []
    _fields(out, pairs)
    return Markup(b"".join(out).decode())


def _fields(put: list[bytes], pairs: list[tuple[str, object]]) -> None:
    """fields_html's pieces, as UTF-8 (see _sections): each value escaped and encoded once."""
    for k, v in pairs:
        put += (_field_head(k), esc(v).encode(), b"</td></tr>")


@lru_cache(maxsize=256)  # the field names: HEADER_KEYS, TEXT_KEYS, 预算年度
def _field_head(key: str) -> bytes:
    return f"<tr><th>{esc(key)}</th><td>".encode()


def funds_html(funds: list[tuple[str, float | None, float | None]], with_impl: bool) -> Markup:
    """The rows of a table's funds (name, implementation, annual), as templates/doc.html's loop wrote them."""
    out: list[bytes] = []
    _funds(out, funds, with_impl)
    return Markup(b"".join(out).decode())


def _funds(put: list[bytes], funds: list[tuple[str, float | None, float | None]], with_impl: bool) -> None:
    """funds_html's pieces, as UTF-8 (see _sections): a fund's name and its cells (money's digits,
    "," and ".": ASCII, nothing to escape)."""
    for name, impl, annual in funds:
        cells = f'<td class="n">{money(impl)}</td><td class="n">{money(annual)}</td></tr>' if with_impl \
            else f'<td class="n">{money(annual)}</td></tr>'
        put += (_fund_head(name), cells.encode())


@lru_cache(maxsize=256)  # the fund names (FUND_KEYS)
def _fund_head(name: str) -> bytes:
    return f"<tr><th>{esc(name)}</th>".encode()


def clauses_html(clauses: list[dict]) -> Markup:
    """A table's goal clauses, each with the indicators that measure it (goal_clauses), as
    templates/doc.html's loop wrote them."""
    out: list[bytes] = []
    _clauses(out, clauses)
    return Markup(b"".join(out).decode())


# a clause's item: (its opening, what follows its text) by what measures it: indicators, none, or
# none asked (the indicators' names go between " → " and "</li>")
_COVERED = (b'    <li class="covered">', " → ".encode())
_GAP = (b'    <li class="gap">', " → <strong>没有对应指标 · no indicator</strong></li>".encode())
_CONTEXT = (b'    <li class="context">', " → 背景 · context</li>".encode())


def _clauses(put: list[bytes], clauses: list[dict]) -> None:
    """clauses_html's pieces, as UTF-8 (see _sections): each clause and name escaped and encoded once."""
    for c in clauses:
        if c["indicators"]:
            put += (_COVERED[0], esc(c["clause"]).encode(), _COVERED[1],
                    "、".join(map(esc, c["indicators"])).encode(), b"</li>")
        else:
            head, tail = _GAP if c["promise"] else _CONTEXT
            put += (head, esc(c["clause"]).encode(), tail)


def money(v: float | None) -> str:
    """An amount as a table head prints it: grouped, at most two decimals, no trailing zeros."""
    if v is None:
        return ""
    if not v:  # a fund's most common amount (42% of them at /tmp/d16): its text without a format,
        # and never _money's (-0.0 equals 0.0 as its cache's key, and prints "-0")
        return "-0" if copysign(1.0, v) < 0 else "0"
    return _money(v)


@lru_cache(maxsize=4096, typed=True)  # amounts repeat (round sums) and a format is ~4 k instructions
def _money(v: float) -> str:
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def score_html(score, deductions=None) -> Markup:
    """The score box of a table or document: total, one bar per criterion, the deductions (the
    same bytes as the score_box macro it replaced; a page has one per table)."""
    return Markup(_score_b(score, deductions).decode())


def _score_b(score, deductions=None) -> bytes:
    """score_html's text as UTF-8, joined from its rows' and deductions' UTF-8 (kept encoded: the
    box is mostly ASCII markup, which a table section's str would make the encoder walk)."""
    out = [f'<div class="score {_band(score)}">\n  <div class="total"><span class="num">{"%g" % score.score}</span>'
           '<span class="of">/100</span></div>\n  <table class="criteria">\n'.encode()]
    for c, weight in criteria().items():
        got = score.criteria[c]
        # (a zero's sign shows in its text: -0 and 0 are one key of the memo, so made each time)
        out.append(_criterion_row(c, got, weight) if got else _criterion_row.__wrapped__(c, got, weight))
    out.append(b"  </table>\n")
    if deductions:
        out.append(b'  <ul class="deductions">\n')
        for d in deductions:
            code, criterion, points, count = d.code, d.criterion, d.points, d.count
            out.append(_deduction_item(code, criterion, points, count) if points
                       else _deduction_item.__wrapped__(code, criterion, points, count))
        out.append(b"  </ul>\n")
    out.append(b"</div>\n")
    return b"".join(out)


# A score box's criterion rows and deductions (UTF-8): kept per (criterion, points, weight) and per (code,
# criterion, points, count), each value's type in its key (typed): a small set across documents
# (the 64 distinct documents of /tmp/d16: 98 distinct rows of 5,952, 81 distinct deductions of 5,171)
@lru_cache(maxsize=4096, typed=True)
def _criterion_row(c: str, got: float, weight: float) -> bytes:
    """A criterion's row in a score box: its heading, a meter of its share, its points of its weight."""
    return (f'    <tr>{_criterion_head(c)}\n'
            f'      <td><span class="meter"><span style="width: {round(100 * got / weight, 0)}%"></span></span></td>\n'
            f'      <td class="n">{"%g" % got}/{"%g" % weight}</td></tr>\n').encode()


@lru_cache(maxsize=4096, typed=True)
def _deduction_item(code: str, criterion: str, points: float, count: int) -> bytes:
    """A deduction's item in a score box."""
    return (f'<li><code class="code" title="{_tip(code, "finding")}">{esc(code)}</code> −{"%g" % points} '
            f'<span class="muted">({esc(criterion)}, ×{esc(count)})</span></li>').encode()


@lru_cache(maxsize=64)
def _criterion_head(c: str) -> str:
    """A criterion's heading in a score box (its name, its meaning as the title)."""
    return f'<th title="{esc(codes.zh(c, "criterion"))} · {esc(criteria_en()[c])}">{esc(c)}</th>'


def _band(score) -> str:
    return "good" if score.score >= 90 else ("fair" if score.score >= 75 else "poor")


def badge_html(score) -> Markup:
    """A table's score badge (in the table of contents and its heading)."""
    return Markup(f'<span class="badge {_band(score)}">{"%g" % score.score}</span>')


def half_heads(halves: list[str]) -> Markup:
    """The halves' headings over an indicator table's columns."""
    return Markup(_half_heads(tuple(halves)).decode())


@lru_cache(maxsize=64)  # a few orders of the halves
def _half_heads(halves: tuple[str, ...]) -> bytes:
    return "".join(f'<th colspan="3" class="half">{esc(codes.zh(h, "half"))}</th>' for h in halves).encode()


_HALF_COLUMNS = "<th>三级指标</th><th>指标值</th><th>原因 · 发现</th>"
_HALF_COLUMNS_B = _HALF_COLUMNS.encode()


def half_columns(halves: list[str]) -> Markup:
    """The three column headings under each half."""
    return Markup(_HALF_COLUMNS * len(halves))


_LINE = attrgetter("line")


def grid(t: TableFacts) -> list[GridRow]:
    """The table's printed rows in line order, each with its halves' records and the finding codes
    on each half (a half without a finding has no entry in `codes`)."""
    rows: list[GridRow] = []
    open_by_line: dict[int, GridRow] = {}
    coded = t.codes_by_record()
    for ind in t.indicators:
        line, period = ind.line, ind.period
        row = open_by_line.get(line)
        codes = coded.get(ind.id or "") if coded else None
        if row is None or period in row.halves:
            row = open_by_line[line] = GridRow(line, ind.level1, ind.level2, {period: ind},
                                               {period: codes} if codes else {})
            rows.append(row)
        else:
            row.halves[period] = ind
            if codes:
                row.codes[period] = codes
    rows.sort(key=_LINE)
    previous: list[GridRow | None] = [None, *rows]
    for prev, row in zip(previous, rows):
        row.show_level1 = prev is None or prev.level1 != row.level1
        row.show_level2 = prev is None or row.show_level1 or prev.level2 != row.level2
    return rows


def toc_html(tables: list[dict]) -> Markup:
    """A document page's table of contents: one item per table (its heading and score badge)."""
    out = []
    for t in tables:
        table, score = t["table"], t["score"]
        out.append(f'      <li><a href="#t{esc(table.index)}">{esc(table.project or table.title)}</a>\n'
                   f'{badge_html(score) if score else ""}</li>\n')
    return Markup("".join(out))


def tables_html(tables: list[dict], collapsed: bool) -> Markup:
    """The section of each table on a document page (heading, fields, funds, score, goals, texts,
    indicator rows, findings; `tables`: _table_view's), the same bytes as templates/doc.html's
    table loop wrote, made in Python (the loop's attribute look-ups and escapes cost about as much
    as the rows). HtmlReport.add joins the sections' pieces into the page itself (_SECTIONS)."""
    out: list[bytes] = []
    _sections(out, tables, collapsed)
    return Markup(b"".join(out).decode())


_TABLE_END = '\n  </table>\n  <p class="none muted" hidden>没有符合筛选条件的行 · no row matches the filters</p>\n\n  '.encode()


# a table section's markup between its texts, as UTF-8 (by _sections)
_TABLE_HEAD = b'  <div class="table-head">\n    <div>\n      <table class="fields">\n'
_FUNDS_HEAD = {impl: ('      <table class="funds">\n        <tr><th>资金（元）</th>'
                      f'{"<th>实施期</th>" if impl else ""}<th>年度</th></tr>\n').encode() for impl in (False, True)}
_TEXTS_HEAD = '  <details><summary>项目概况等 · project description</summary>\n    <table class="fields">'.encode()
_TEXTS_END = b"</table>\n  </details>\n"
_INDICATORS_HEAD = ('\n  <table class="indicators">\n    <thead>\n'
                    '      <tr><th rowspan="2">源行</th><th rowspan="2">一级指标</th><th rowspan="2">二级指标</th>\n').encode()


def _sections(put: list[bytes], tables: list[dict], collapsed: bool) -> None:
    """tables_html's pieces, as UTF-8: a table's texts escaped and encoded each once between its
    markup kept encoded (constants, memoised pieces, the score box: a str head made the encoder
    walk its ASCII markup too), its rows and findings as _tbody and _findings make them."""
    for t in tables:
        table, score, halves = t["table"], t["score"], t["halves"]
        index, flagged = esc(table.index), t["n_flagged"]
        put.append(f'<section class="kpi-table" id="t{index}" data-table="{index}">\n'
                   f'<details class="fold"{"" if collapsed else " open"}>\n'
                   f'  <summary><h2><span class="muted">表 {index} · {"项目" if table.kind == "project" else "部门整体"}'
                   f' · 第{esc(table.line)}行 · {esc(t["n_indicators"])} 个指标'
                   f'{f" · {esc(flagged)} 存疑" if flagged else ""}</span><br>'
                   f'{esc(table.project or table.title)}\n{badge_html(score) if score else ""}</h2></summary>\n'.encode())
        put.append(_TABLE_HEAD)
        _fields(put, t["header"])
        put.append(b"      </table>\n")
        if t["funds"]:
            put.append(_FUNDS_HEAD[bool(t["funds_impl"])])
            _funds(put, t["funds"], t["funds_impl"])
            put.append(b"      </table>\n")
        put.append(b"    </div>\n")
        if score:
            put.append(_score_b(score, score.deductions))
        put.append(b"  </div>\n")
        goals = t["goals"]
        if goals[0] or goals[1]:
            project = table.kind == "project"
            put.append(('  <table class="goals">\n    <tr>'
                        f'{"<th>总体目标 · 实施期目标</th>" if project else ""}'
                        f'<th>{"总体目标 · 年度目标" if project else "年度绩效目标"}</th></tr>\n'
                        f'    <tr>{f"<td>{esc(goals[0])}</td>" if project else ""}<td>{esc(goals[1])}</td></tr>\n'
                        '  </table>\n').encode())
            if t["goal_clauses"]:
                put.append(b'  <ul class="goal-clauses">')
                _clauses(put, t["goal_clauses"])
                put.append(b"  </ul>\n")
        if t["texts"]:
            put.append(_TEXTS_HEAD)
            _fields(put, t["texts"])
            put.append(_TEXTS_END)
        put.append(_INDICATORS_HEAD)
        if halves:
            put.append(_half_heads(tuple(halves)))
        put += (b"</tr>\n      <tr>", _HALF_COLUMNS_B * len(halves), b"</tr>\n    </thead>\n    ")
        _tbody(put, table.index, t["rows"], halves)
        put.append(_TABLE_END)
        _findings(put, table.index, t["findings"])
        put.append(b"\n</details>\n</section>\n")


def options_html(values: list[str], kind: str) -> Markup:
    """A document page's filter options (`kind`: "label", "level2" or "code"), as the toolbar's
    loops in templates/doc.html wrote them; each option made once per value."""
    return Markup("".join(map(_OPTIONS[kind], values)))


@lru_cache(maxsize=64)  # the labels
def _label_option(label: str) -> str:
    return f'<option value="{esc(label)}" title="{_tip(label, "label")}">{esc(codes.label_name(label))} {esc(label)}</option>'


@lru_cache(maxsize=4096)  # 二级指标 are a small vocabulary
def _level2_option(level2: str) -> str:
    return f'<option value="{esc(level2)}">{esc(level2)}</option>'


@lru_cache(maxsize=4096)  # reasons and finding codes are a small vocabulary
def _code_option(code: str) -> str:
    return f'<option value="{esc(code)}" title="{_tip(code)}">{esc(code)} · {esc(codes.zh(code))}</option>'


_OPTIONS = {"label": _label_option, "level2": _level2_option, "code": _code_option}
_SECTIONS = Markup("\x00kpiscan-sections\x00")


def _sections_here(tables: list[dict], collapsed: bool) -> Markup:
    """tables_html as HtmlReport.add renders a page: the place of the sections (see there)."""
    return _SECTIONS


def funds_rows(table: TableBlock) -> list[tuple[str, float | None, float | None]]:
    impl, annual = table.funds.get("implementation", {}), table.funds.get("annual", {})
    keys = [k for k in FUND_KEYS if k in impl or k in annual]
    return [(FUND_NAMES.get(k, k), impl.get(k), annual.get(k)) for k in keys]


class _KeptTemplates(FileSystemBytecodeCache):
    """jinja2's FileSystemBytecodeCache, whose reads and writes never stop a report: a file it
    cannot read or write (a full disk, a directory it may not write) is a template compiled
    again, as `patterns.cached_compile` treats its files."""

    def load_bytecode(self, bucket: Any) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Any) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """The pages' templates' compiled code, kept per machine in the user's temporary directory
    (jinja2 makes it, mode 0700, and refuses one another user owns); None, templates compiled in
    each report, where there is no such directory to be had."""
    try:
        return _KeptTemplates()
    except (OSError, RuntimeError):
        return None


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, bytecode_cache=_bytecode_cache())
    env.filters["pct"] = lambda v: f"{100 * v:.0f}%"
    env.globals.update(criteria=criteria, criteria_en=criteria_en(), rules=rules(), page_href=page_href,
                       zh=codes.zh, tip=codes.tooltip, legend=codes.legend(), half_zh=lambda h: codes.zh(h, "half"),
                       tbody_html=tbody_html, findings_html=findings_html, fields_html=fields_html,
                       funds_html=funds_html, clauses_html=clauses_html, score_html=score_html,
                       badge_html=badge_html, half_heads=half_heads, half_columns=half_columns,
                       toc_html=toc_html, tables_html=tables_html, options_html=options_html)
    # the rubric is the same on every page: rendered once
    env.globals["rubric_html"] = env.get_template("_rubric.html").module.rubric()  # type: ignore[attr-defined]
    return env


def copy_static(out: Path) -> None:
    (out / "static").mkdir(parents=True, exist_ok=True)
    for f in (HERE / "static").iterdir():
        if f.is_file():
            shutil.copyfile(f, out / "static" / f.name)


def _table_view(t: TableFacts) -> dict:
    table = t.table
    printed = {i.period for i in t.indicators}
    halves = [h for h in table.periods if h in printed]
    halves += [h for h in HALVES if h not in halves and h in printed]
    return dict(
        table=table, department=t.department, score=t.score, rows=grid(t), halves=halves or ["annual"],
        findings=t.findings, funds=funds_rows(table), funds_impl="implementation" in table.funds,
        header=[(k, table.fields[k]) for k in HEADER_KEYS if table.fields.get(k)]
        + ([("预算年度", table.year)] if table.year else []),
        texts=[(k, table.fields[k]) for k in TEXT_KEYS if table.fields.get(k)],
        goals=(table.fields.get("总体目标_implementation", ""), table.fields.get("总体目标_annual", "")),
        n_indicators=len(t.indicators), n_flagged=sum(i.flagged for i in t.indicators),
        goal_clauses=goal_clauses(table, t.indicators, t.goals),
    )


def _filters(d: DocFacts) -> dict[str, list[str]]:
    inds = [i for t in d.tables for i in t.indicators]
    labels = {i.label for i in inds}
    level2 = {i.level2 for i in inds}
    found = {r for i in inds if i.reasons for r in i.reasons}
    found.update(f.code for t in d.tables for f in t.findings)
    return dict(
        labels=[x for x in LABELS if x in labels],
        level2=[x for x in LEVEL2_ORDER if x in level2] + sorted(level2 - set(LEVEL2_ORDER)),
        codes=sorted(found),
    )


class HtmlReport:
    """Writes the pages one document at a time: `add(doc_facts)` ..., then `close(overview, problems)`.
    Holds the names of the pages written (for the stale-page sweep and the caller) and nothing
    else per document: the document scores of the list pages go to a temporary file in DIR
    (pickled, one after the other) and are read back in order when the list is written."""

    def __init__(self, out: Path, page_docs: int = INDEX_PAGE_DOCS):
        self.out, self.page_docs = Path(out), page_docs
        self.env = _env()
        self.doc_template = self.env.get_template("doc.html")
        (self.out / "docs").mkdir(parents=True, exist_ok=True)
        copy_static(self.out)
        self.pages: list[str] = []  # file names in DIR/docs
        self.spool_path = self.out / f".kpiscan-documents.{os.getpid()}.tmp"
        self.spool = self.spool_path.open("wb")
        self._tail = ("", b"")  # the last page's text after its sections, and it encoded

    def add(self, d: DocFacts) -> Path:
        tables = [_table_view(t) for t in d.tables]
        path = self.out / "docs" / page_name(d.doc)
        collapsed = d.n_indicators > COLLAPSE_ABOVE
        # the page with _SECTIONS where its tables_html goes, then the sections' pieces joined into
        # it: one copy of the largest part of the page, not one per Markup and template join
        frame = self.doc_template.render(doc=d.doc, doc_score=d.score, tables=tables, filters=_filters(d),
                                         n_indicators=d.n_indicators, collapsed=collapsed, root="../",
                                         tables_html=_sections_here)
        head, here, tail = frame.rpartition(_SECTIONS)  # nothing the document holds comes after it
        assert here, "templates/doc.html prints tables_html"
        out = [head.encode()]
        _sections(out, tables, collapsed)
        out.append(self._encoded_tail(tail))
        page = b"".join(out)
        path.write_bytes(page if os.linesep == "\n" else page.replace(b"\n", os.linesep.encode()))  # as write_text
        self.pages.append(path.name)
        if d.score is not None:
            pickle.dump(d.score, self.spool, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def _encoded_tail(self, tail: str) -> bytes:
        """A page's text after its sections, encoded: the rubric and the footer, the same on every
        page (~11,000 characters), so encoded once (a page's is compared with the last, not hashed)."""
        if tail != self._tail[0]:
            self._tail = (tail, tail.encode())
        return self._tail[1]

    def _documents(self) -> Iterator[list]:
        """The document scores in the order added, `page_docs` at a time."""
        self.spool.close()
        chunk: list = []
        with self.spool_path.open("rb") as fh:
            while True:
                try:
                    chunk.append(pickle.load(fh))
                except EOFError:
                    break
                if len(chunk) == self.page_docs:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk

    def close(self, overview: Overview, problems: list) -> dict[str, object]:
        try:
            return self._close(overview, problems)
        finally:
            self.spool.close()
            self.spool_path.unlink(missing_ok=True)

    def _close(self, overview: Overview, problems: list) -> dict[str, object]:
        total = overview.n_documents
        paged = total > self.page_docs
        lists: list[Path] = []
        shown: list = []
        n_pages = -(-total // self.page_docs)
        for k, documents in enumerate(self._documents()):
            if not paged:
                shown = documents
                continue
            (self.out / "documents").mkdir(exist_ok=True)
            path = self.out / "documents" / f"page-{k + 1}.html"
            path.write_text(self.env.get_template("documents.html").render(
                documents=documents, page=k + 1, n_pages=n_pages, first=k * self.page_docs + 1, total=total,
                root="../"), encoding="utf-8")
            lists.append(path)
        if paged:
            shown = overview.lowest_documents()
        summary = dict(
            documents=total, tables=overview.n_tables, indicators=overview.n_indicators,
            rows=overview.n_rows, flagged=overview.n_flagged, labelled=overview.n_labelled,
            mean_score=overview.mean_score(), findings=overview.n_findings,
        )
        index = self.out / "index.html"
        index.write_text(self.env.get_template("index.html").render(
            summary=summary, documents=shown, paged=paged, lists=[p.name for p in lists],
            charts=overview_charts(overview), problems=[str(p) for p in problems], root=""), encoding="utf-8")
        docs = self.out / "docs"
        self._remove_stale({docs / name for name in self.pages} | set(lists))
        return {"index": index, "docs": [docs / name for name in self.pages], "lists": lists}

    def _remove_stale(self, written: set[Path]) -> None:
        """Pages left by an earlier report into the same directory for documents not in this one."""
        for folder in ("docs", "documents"):
            for page in (self.out / folder).glob("*.html") if (self.out / folder).is_dir() else ():
                if page not in written:
                    page.unlink()


def overview_charts(o: Overview) -> dict[str, object]:
    by_doc, by_dept = o.flagged_by_doc(), o.flagged_by_department()
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    per_level2 = o.labels_per_level2()
    segments = [lab for lab in (*LABELS, "unlabelled") if any(lab in c for _, c in per_level2)]
    return {
        "labels_per_level2": charts.stacked_hbars(per_level2, segments, "labels per level2 / 各二级指标的可衡量性"),
        "flagged_by_doc": charts.hbars([(s.key, s.share) for s in by_doc[:CHART_DOCS]], "flagged share per document",
                                       pct, 1.0, label_w=230),
        "flagged_by_department": charts.hbars([(s.key, s.share) for s in by_dept[:CHART_DOCS]],
                                              "flagged share per department", pct, 1.0, label_w=230),
        "scores": charts.vbars(score_histogram(o.table_scores), "table scores"),
        "vague_terms": charts.hbars(o.vague_terms(), "most common vague terms"),
        "findings": charts.hbars(o.finding_counts(), "findings per code", label_w=250),
        "family_ranges": getattr(o, "family_ranges", ""),  # set by write_report (kpiscan.practice)
        "n_by_doc": o.n_by_doc,
        "by_dept": by_dept,
        "top": CHART_DOCS,
    }
