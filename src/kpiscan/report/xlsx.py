"""The reviewer's workbook: DIR/kpiscan-review.xlsx (and -2, -3, … parts at scale).

Sheet 指标 Indicators, one row per indicator half: a short location (文档, 表, 行 linked to the
row's anchor on its HTML page, and 页 "第N页" for a record read from a PDF), then 三级指标 and 指标值 (those five columns and the header
frozen), the label, the reason codes with their Chinese texts, the findings on that half of the
row with theirs, a 审核意见 drop-down (同意 / 修改 / 退回) and a 备注 column for the reviewer,
then the rest of the record. Red rows are flagged (vague or malformed), yellow rows carry a
finding. Sheet 说明 Legend explains the colours and every code in Chinese with its rubric
criterion; 发现 Findings, 评分 Scores; in the first workbook also 文档 Documents (every document,
with the workbook that holds its rows) and 问题 Problems (files skipped or failed, and why).
Every sheet prints landscape, fit to the page width, its header row repeated.

At scale: written with XlsxWriter in constant-memory mode (each row flushed to disk as it is
written; a common row rendered whole from its shape's template, `_Sheet._row_xml`, other rows'
plain cells by FastWorksheet, the same XML in a fraction of the CPU; members deflated at
ZIP_LEVEL), one document at a time. Parts: a workbook holds whole documents up to ROWS_PER_PART
indicator rows, then the next part starts (kpiscan-review-2.xlsx, …); a document larger than a
part alone continues in the next. ROWS_PER_PART is 65,000 because Excel keeps at most 65,530
hyperlinks per worksheet (and every row links to its page), which is also far under the
1,048,576-row limit. Parts rather than one workbook per document: a province is ~50,000
documents, and 50,000 files are worse to handle (and slower to write) than ~400 parts whose first
workbook lists every document and the part that holds it; a reviewer filters one document by the
文档 column.

Every text cell is written as a string, never a formula; a text that a spreadsheet would read as
a formula (= + - @ tab CR first, kpiscan.cellsafe) gets Excel's quote-prefix flag as well.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from functools import lru_cache
from itertools import compress, count, groupby, repeat
from math import isfinite
from operator import itemgetter, not_
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.packager import Packager
from xlsxwriter.relationships import PACKAGE_SCHEMA, Relationships
from xlsxwriter.url import Url, UrlTypes
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet
from xlsxwriter.xmlwriter import XMLwriter

from .. import schema
from ..cellsafe import FORMULA_START, formula_like
from ..classify.memo import memo_enabled
from ..constants import LABELS
from ..gcpolicy import collect_dropped
from ..model import Indicator
from ..review import criteria, rules
from . import codes
from .facts import DocFacts

XLSX_NAME = "kpiscan-review.xlsx"
ROWS_PER_PART = 65_000  # Excel: at most 65,530 hyperlinks per worksheet; rows: 1,048,576
MAX_LINKS = 65_530
FONT_NAME = "Microsoft YaHei"
RED = "#F4CCCC"  # flagged: vague or malformed
YELLOW = "#FFF2CC"  # not flagged, but a finding on this row
HEADER_BG = "#1F4E79"
VERDICTS = ["同意", "修改", "退回"]
HALF_ZH = {"implementation": "实施期", "annual": "年度"}

# (header, width in characters, wrap). First the reviewer's columns (a short location, the name and
# value, the verdicts), then every other captioned field declared on Indicator (kpiscan.schema:
# caption, width, wrap), the table's 主管部门 after the project.
HEAD_COLUMNS = [
    ("文档 doc", 16, False), ("表 table", 5, False), ("行 line", 6, False),
    ("三级指标 name", 30, True), ("指标值 value", 18, True),
    ("半表 half", 7, False), ("标签 label", 9, False), ("存疑 flagged", 6, False),
    ("原因 reasons", 22, True), ("原因说明", 30, True), ("发现 findings", 22, True), ("发现说明", 36, True),
    ("审核意见 verdict", 10, False), ("备注 note", 24, True),
]
_HAS_PAGE = "page" in schema.flat_columns(Indicator)  # the reader's printed page (PDF), once declared
if _HAS_PAGE:
    HEAD_COLUMNS.insert(3, ("页 page", 7, False))


def page_zh(page: int | None) -> str | None:
    """The printed page as a reviewer reads it in the PDF they hold: 第3页; nothing for text sources.
    (XlsxReport.add writes it in for each row, without a call.)"""
    return f"第{page}页" if page else None


_IN_HEAD = {"doc", "table", "line", "page", "name", "value", "period", "label", "flagged", "reasons"}
TAIL_FIELDS: list[str] = []
_TAIL: list[tuple[str, int, bool]] = []
for _caption, _width, _wrap, _column in schema.xlsx_columns(Indicator):
    if _column in _IN_HEAD:
        continue
    TAIL_FIELDS.append(_column)
    _TAIL.append((_caption, _width, _wrap))
    if _column == "project":
        TAIL_FIELDS.append("department")
        _TAIL.append(("主管部门 department", 20, True))
INDICATOR_COLUMNS = HEAD_COLUMNS + _TAIL
_DEPARTMENT = len(HEAD_COLUMNS) + TAIL_FIELDS.index("department")  # (the column, filled from its table)


def _tail_reader() -> Callable[[Indicator], tuple]:
    """The TAIL_FIELDS of an Indicator as `schema.flat_row(Indicator, i.to_dict())` gives them
    (each is a scalar field or a scalar of its target: read from the record, no dict between),
    as a tuple: a compiled function (as kpiscan.schema compiles `to_dict`: an attrgetter of the
    dotted paths walks each path by a generic getattr, ~5x the instructions of the function's
    own attribute reads); a record without the nested record (an indicator without a target)
    reads None for that record's fields."""
    attr_of: dict[tuple[type, str | None], tuple[str, type | None]] = {}
    for record in (Indicator, *[n for _, _, n in schema.plan(Indicator) if n is not None]):
        for name, meta, nested in schema.plan(record):
            attr_of[(record, meta.key)] = (name, nested)
    paths = {column: (path, meta) for column, path, meta in schema._flat_plan(Indicator)}
    names: list[list[str]] = []
    for column in TAIL_FIELDS:
        path, meta = paths[column]
        if meta.derived is not None and meta.flat == meta.derived[0] or meta.type.startswith("list") or meta.type == "json":
            raise TypeError(f"xlsx tail column {column} is not a plain value")
        at: type | None = Indicator
        names.append([])
        for key in path:
            name, at = attr_of[(at, key)]  # type: ignore[index]
            names[-1].append(name)
        if not name.isidentifier() or len(names[-1]) > 2:
            raise TypeError(f"xlsx tail column {column}: a path of more than one nested record")
    holders = list(dict.fromkeys(n[0] for n in names if len(n) == 2))  # the fields holding a nested record
    local = {h: f"h{k}" for k, h in enumerate(holders)}
    body = ["def tail(i):", *[f"    {local[h]} = i.{h}" for h in holders]]
    for h in holders:  # (each holder that is None reads None for its fields)
        body.append(f"    if {local[h]} is None:")
        body.append(f"        {local[h]} = _NONE")
    body.append("    return (" + "".join(f"{local[n[0]]}.{n[1]}, " if len(n) == 2 else f"i.{n[0]}, " for n in names) + ")")
    return schema.compiled(body, "<kpiscan.report.xlsx tail>", {"_NONE": _Nones()})


class _Nones:
    """A missing nested record in `_tail_reader`'s function: each of its fields reads None."""

    __slots__ = ()

    def __getattr__(self, name: str) -> None:
        return None


_tail = _tail_reader()
FROZEN_COLUMNS = [c[0] for c in INDICATOR_COLUMNS].index("指标值 value") + 1  # 文档, 表, 行, (页,) 三级指标, 指标值
VERDICT_COLUMN = [c[0] for c in INDICATOR_COLUMNS].index("审核意见 verdict")
LINE_COLUMN = [c[0] for c in INDICATOR_COLUMNS].index("行 line")  # (linked to the row on its page)
FINDING_COLUMNS = [
    ("文档 doc", 16, False), ("表 table", 5, False), ("项目 project", 26, True), ("代码 code", 26, False),
    ("发现 finding", 22, True), ("严重度 severity", 8, False), ("准则 criterion", 12, False),
    ("扣分 points", 6, False), ("说明 message", 60, True), ("行 lines", 14, True), ("半表 half", 7, False),
]
SCORE_COLUMNS_HEAD = [
    ("文档 doc", 16, False), ("表 table", 5, False), ("表行 table_line", 7, False), ("类型 kind", 9, False),
    ("项目 project", 28, True), ("主管部门 department", 20, True), ("年度 year", 6, False), ("得分 score", 7, False),
]
SCORE_COLUMNS_TAIL = [("指标数 indicators", 8, False), ("存疑数 flagged", 7, False), ("发现数 findings", 7, False),
                      ("扣分明细 deductions", 48, True)]
DOC_COLUMNS_TAIL = [("表数 tables", 6, False), ("指标数 indicators", 8, False), ("存疑数 flagged", 7, False),
                    ("发现数 findings", 7, False), ("工作簿 workbook", 22, False)]
PROBLEM_COLUMNS = [("文件 file", 50, True), ("行 line", 6, False), ("问题 problem", 80, True)]


_NO_REASONS = (None, None)
_LABEL_NAMES = {label: codes.label_name(label) for label in LABELS}  # the 标签 cell of each label (a fixed vocabulary)


@lru_cache(maxsize=4096)
def _reason_texts(reasons: tuple[str, ...]) -> tuple[str, str]:
    """The 原因 and 原因说明 cells of a row's reason codes ("a; b", their Chinese texts joined by
    "；"), kept (a bounded memo: codes are a small vocabulary, a row holds a few of them)."""
    return "; ".join(reasons), "；".join(map(codes.zh, reasons))


def part_name(k: int) -> str:
    return XLSX_NAME if k == 1 else XLSX_NAME.replace(".xlsx", f"-{k}.xlsx")


# A text cell XlsxWriter writes unchanged: no XML escape, no control character or _xHHHH_ to
# escape, no leading or trailing space to preserve (xmlwriter.xml_escapes, re_control_chars_1/2,
# utility RE_LEADING/TRAILING_WHITESPACE), not a rich string. Anything else takes XlsxWriter's path.
_CONTROL = r"\x00-\x1f\ufffe\uffff"  # the characters XlsxWriter writes as _xHHHH_ (\n among them)
_X_HHHH = "_x[0-9a-fA-F]{4}_"  # a literal _xHHHH_, which it escapes
_EDGE_SPACE = r"^\s|\s$"  # a space at either end, which it keeps with xml:space="preserve"
_NOT_PLAIN = re.compile(f'["&<>{_CONTROL}]|{_X_HHHH}|{_EDGE_SPACE}')


class FastWorksheet(Worksheet):
    """XlsxWriter's worksheet with a faster constant-memory cell writer: a formatted plain text,
    number or blank cell is written as the same XML `Worksheet._write_cell` writes for it, in one
    string (tests/test_report_xlsx_fast.py compares the two on every kind of cell); every other
    cell goes through XlsxWriter's own writer."""

    _refs: dict[int, str] = {}
    _COPY_BYTES = 1 << 16  # the rows' temporary file is copied this many bytes at a time

    def __init__(self) -> None:
        super().__init__()
        self.fast_links: list[tuple] = []  # put_link's (row, col, target, anchor[, number])
        self.pending: list[bytes] = []  # put_row_xml's last rows (UTF-8), not yet in the file

    def _cell_xml(self, row: int, col: int, cell) -> str | None:
        """The XML `Worksheet._write_cell` writes for a formatted plain cell, None for another."""
        fmt = cell.format
        kind = type(cell)
        if fmt is None:
            return None
        if kind is CellStringTuple:
            text = cell.string
            if _NOT_PLAIN.search(text):
                return None
            return f'<c r="{self._refs.get(col) or self._ref(col)}{row + 1}" s="{fmt._get_xf_index()}" t="inlineStr">' \
                   f'<is><t>{text}</t></is></c>'
        if kind is CellNumberTuple:
            return f'<c r="{self._refs.get(col) or self._ref(col)}{row + 1}" s="{fmt._get_xf_index()}"><v>{cell.number:.16G}</v></c>'
        if kind is CellBlankTuple:
            return f'<c r="{self._refs.get(col) or self._ref(col)}{row + 1}" s="{fmt._get_xf_index()}"/>'
        return None

    def _write_cell(self, row: int, col: int, cell) -> None:
        xml = self._cell_xml(row, col, cell) if self.constant_memory else None
        if xml is None:
            return super()._write_cell(row, col, cell)
        self.fh.write(xml)
        return None

    def _write_single_row(self, current_row_num: int = 0) -> None:
        """Worksheet._write_single_row (constant memory: write the previous row, start the next)
        with the row's plain cells written in one string (after `put_row_xml`'s rows)."""
        if self.pending:
            self._flush_rows()
        row_num: int = self.previous_row  # type: ignore[has-type]
        if not self.table.get(row_num):
            return super()._write_single_row(current_row_num)  # nothing to write, or row attributes only
        self.previous_row = current_row_num
        if row_num not in self.row_info:
            self._write_row(row_num, None)
        else:
            self._write_row(row_num, None, self.row_info[row_num])
        cells = self.table[row_num]
        out: list[str] = []
        refs, number = self._refs, row_num + 1
        for col_num in sorted(cells):  # every stored column lies in dim_colmin..dim_colmax
            cell = cells[col_num]
            # _cell_xml's two commonest cases inline (a call per cell is a fifth of the writer's cost)
            kind, fmt = type(cell), cell.format
            if fmt is not None and kind is CellStringTuple and not _NOT_PLAIN.search(cell.string):
                xml: str | None = (f'<c r="{refs.get(col_num) or self._ref(col_num)}{number}" '
                                   f's="{fmt._get_xf_index()}" t="inlineStr"><is><t>{cell.string}</t></is></c>')
            elif fmt is not None and kind is CellBlankTuple:
                xml = f'<c r="{refs.get(col_num) or self._ref(col_num)}{number}" s="{fmt._get_xf_index()}"/>'
            else:
                xml = self._cell_xml(row_num, col_num, cell)
            if xml is None:
                if out:
                    self.fh.write("".join(out))
                    out = []
                super()._write_cell(row_num, col_num, cell)
            else:
                out.append(xml)
        if out:
            self.fh.write("".join(out))
        self._xml_end_tag("row")
        self.table.clear()
        return None

    def put_row(self, row: int, cells: list[tuple[int, Any]]) -> None:
        """Store a row's cells (column, CellStringTuple/CellNumberTuple/CellBlankTuple), columns
        ascending, as `write_string`/`write_number`/`write_blank` store them: the caller passes
        only finite numbers, strings under half Excel's length limit and blanks with a format."""
        if not cells:
            return
        if self._check_dimensions(row, cells[0][0]) or self._check_dimensions(row, cells[-1][0]):
            raise IndexError(f"row {row} is outside the worksheet")
        if row > self.previous_row:
            self._write_single_row(row)
        table = self.table[row]
        for col, cell in cells:
            table[col] = cell

    def put_row_xml(self, row: int, first: int, last: int, row_xml: bytes) -> None:
        """Write row `row` whose cells (columns `first`..`last`) `_Sheet._row_xml` rendered as the
        XML `_write_single_row` writes for it, the row's element whole (`<row r="N">` its cells
        `</row>`), encoded (UTF-8, as the rows' file): the previous row is written first, then
        this one at once (nothing of it stays in the table; its link is `put_link`'s). The rows go
        to the file's bytes a few at a time (`pending`, `_put_bytes`); anything else written to it
        comes after them."""
        dim_colmin, dim_colmax = self.dim_colmin, self.dim_colmax
        if self.table or row <= self.previous_row or dim_colmin is None or first < dim_colmin or last > dim_colmax \
                or self.dim_rowmin is None \
                or row >= self.xls_rowmax or self.previous_row in self.row_info or row in self.row_info \
                or self.previous_row in self.comments or self.default_row_height != self.original_row_height \
                or self.excel_version != 2007:
            self._put_row_xml(row, first, last, row_xml)  # (not the report's rows: XlsxWriter's own)
            return
        # what _check_dimensions(row, first / last) and _write_single_row(row) do here
        if row > self.dim_rowmax:  # type: ignore[has-type]
            self.dim_rowmax = row
        self.previous_row = row
        pending = self.pending
        pending.append(row_xml)
        if len(pending) >= 32:
            self._flush_rows()

    def put_rows_xml(self, top: int, rendered: list[tuple[bytes, int, int]]) -> None:
        """`put_row_xml` of rows `top`, `top` + 1, … each with cells, given as `_Sheet._row_xml`'s
        (row_xml, first, last): its checks made once for them all (the sheet's; no row of theirs
        or the row before them with attributes or a comment), their bytes pending at once."""
        end = top + len(rendered)  # (the row after them)
        dim_colmin, dim_colmax = self.dim_colmin, self.dim_colmax
        if not rendered or self.table or top <= self.previous_row or dim_colmin is None or self.dim_rowmin is None \
                or min(map(itemgetter(1), rendered)) < dim_colmin or max(map(itemgetter(2), rendered)) > dim_colmax \
                or end > self.xls_rowmax or any(top - 1 <= r < end for r in self.row_info) \
                or any(top - 1 <= r < end - 1 for r in self.comments) \
                or self.default_row_height != self.original_row_height or self.excel_version != 2007:
            for row, (row_xml, first, last) in enumerate(rendered, top):
                self.put_row_xml(row, first, last, row_xml)
            return
        if end - 1 > self.dim_rowmax:  # type: ignore[has-type]
            self.dim_rowmax = end - 1
        self.previous_row = end - 1
        pending = self.pending
        pending += map(itemgetter(0), rendered)
        if len(pending) >= 32:
            self._flush_rows()

    def _put_row_xml(self, row: int, first: int, last: int, row_xml: bytes) -> None:
        cells_xml = row_xml[row_xml.index(b">") + 1:-len(b"</row>")].decode()  # (its cells alone)
        if self._check_dimensions(row, first) or self._check_dimensions(row, last) or row <= self.previous_row:
            raise IndexError(f"row {row} is outside the worksheet or already written")
        self._write_single_row(row)
        if row in self.row_info or self.default_row_height != self.original_row_height or self.excel_version != 2007:
            self._write_row(row, None, self.row_info.get(row))
            self.fh.write(cells_xml + "</row>")
        else:
            self.fh.write(f'<row r="{row + 1}">{cells_xml}</row>')

    def _flush_rows(self) -> None:
        _put_bytes(self.fh, b"".join(self.pending))
        self.pending.clear()

    def _opt_flush(self) -> None:
        """The pending rows into the rows' temporary file (whatever the worksheet writes to now)."""
        if self.pending:
            _put_bytes(self.row_data_fh, b"".join(self.pending))
            self.pending.clear()

    def _opt_close(self) -> None:
        self._opt_flush()
        super()._opt_close()

    @classmethod
    def _ref(cls, col: int) -> str:
        cls._refs[col] = ref = xl_col_to_name(col)
        return ref

    def put_link(self, row: int, col: int, target: str, anchor: str, number: int | None = None) -> None:
        """Store the link of a row that `put_row_xml` writes: an external link (relationship
        target `target`, as a page's first Url gives it) to a plain `anchor` (_PLAIN_ANCHOR, maybe
        empty; followed by `number`'s digits when given), no tip, not an object link: what
        `write_url` stores as a Url, kept as a tuple (`_write_hyperlinks` writes both kinds in row
        and column order)."""
        self.hlink_count += 1
        self.fast_links.append((row, col, target, anchor) if number is None else (row, col, target, anchor, number))

    def put_links(self, links: list[tuple]) -> None:
        """`put_link`'s links (row, col, target, anchor, number) of rows after those stored, in row order."""
        self.hlink_count += len(links)
        self.fast_links += links

    def _write_hyperlinks(self) -> None:
        """Worksheet._write_hyperlinks (XlsxWriter 3.3.1) with `put_link`'s links as well: each in
        row and column order, an external link's relationship numbered and listed for the
        packager, its <hyperlink> element written as one string with the others."""
        fast = self.fast_links
        if not fast:
            return super()._write_hyperlinks()
        own = [(row, col, url) for row, cols in self.hyperlinks.items() for col, url in cols.items()]
        # a cell holds one link, so no two share (row, col): the tuples sort by it alone, without a
        # key (a key made a tuple per link; the tuples' own order compares ints in C)
        links: list[tuple] = sorted([*fast, *own]) if own else fast
        self._xml_start_tag("hyperlinks")
        for length, group in groupby(links, len):
            if length == 5:
                self._numbered_links(list(group))
            elif length == 3:  # write_url's Url: XlsxWriter's own writer
                for link in group:
                    self._write_own_link(*link)
            else:
                self._plain_links(group)
        self._xml_end_tag("hyperlinks")
        return None

    def _plain_links(self, links: Iterable[tuple]) -> None:
        """put_link's links without a number (row, col, target, anchor): their <hyperlink>
        elements, their relationships listed for the packager."""
        out: list[str] = []
        rels = self.external_hyper_links
        refs = self._refs
        n: int = self.rel_count  # type: ignore[has-type]
        for row, col, target, anchor in links:
            n += 1
            ref = refs.get(col) or self._ref(col)
            if anchor:
                out.append(f'<hyperlink ref="{ref}{row + 1}" r:id="rId{n}" location="{anchor}"/>')
            else:
                out.append(f'<hyperlink ref="{ref}{row + 1}" r:id="rId{n}"/>')
            rels.append(("/hyperlink", target, "External"))
        self.rel_count = n
        self.fh.write("".join(out))

    def _numbered_links(self, links: list[tuple]) -> None:
        """put_link's links with a number (row, col, target, anchor, number; the 指标 rows', tens
        of thousands a sheet), as `_plain_links` writes them with the anchor and number joined:
        their elements by one comprehension, the relationships of a run of links to one target
        (a page's rows) listed as one tuple repeated (`_Relationships` writes such a run at once)."""
        refs = self._refs
        for col in set(map(itemgetter(1), links)):
            if col not in refs:
                self._ref(col)
        n: int = self.rel_count  # type: ignore[has-type]
        self.rel_count = n + len(links)
        # each link's row, id and line as decimal digits from one table (rows ascend: the last is the largest)
        digits = _decimals(max(n + len(links), links[-1][0] + 1, max(map(itemgetter(4), links))))
        self.fh.write("".join([f'<hyperlink ref="{refs[col]}{digits[row + 1]}" r:id="rId{digits[k]}" '
                               f'location="{anchor}{digits[number]}"/>'
                               for (row, col, _, anchor, number), k in zip(links, count(n + 1))]))
        rels = self.external_hyper_links
        for target, run in groupby(map(itemgetter(2), links)):
            rels += repeat(("/hyperlink", target, "External"), len(list(run)))

    def _write_own_link(self, row_num: int, col_num: int, url: Url) -> None:
        """One link of Worksheet._write_hyperlinks's loop (XlsxWriter 3.3.1), as it writes it."""
        if self.table and self.table[row_num] and self.table[row_num][col_num]:
            cell = self.table[row_num][col_num]
            if cell.__class__.__name__ != "String":
                url._is_object_link = True
        if url._link_type in (UrlTypes.URL, UrlTypes.EXTERNAL):
            self.rel_count += 1
            self._write_hyperlink_external(row_num, col_num, self.rel_count, url)
            self.external_hyper_links.append(["/hyperlink", url._target(), "External"])
        else:
            self._write_hyperlink_internal(row_num, col_num, url)

    def _write_optimized_sheet_data(self) -> None:
        """Worksheet._write_optimized_sheet_data (XlsxWriter 3.3.1): the rows kept in the temporary
        file copied into the sheet as bytes, not decoded and encoded again; the same text, as
        reading it back does, with a CR or CRLF read as LF (a raw CR is in a formula's text)."""
        self._opt_flush()
        out = getattr(self.fh, "buffer", None)
        if self.dim_rowmin is None or out is None or os.linesep != "\n":
            return super()._write_optimized_sheet_data()
        self._xml_start_tag("sheetData")
        self.row_data_fh.flush()
        self.fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            while data := rows.read(self._COPY_BYTES):
                while data.endswith(b"\r"):  # (a CRLF split between two reads is one LF)
                    more = rows.read(1)
                    if not more:
                        break
                    data += more
                if b"\r" in data:
                    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                out.write(data)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")
        return None


# str(k) for 0 <= k <= the largest number asked: the 指标 sheet's links' rows, relationship ids
# and lines (4 numbers a link, in the sheet and its relationships) written from one table, made
# once for every part (str of an int ~0.5 k instructions, a list's item ~30). A table of at most
# _DECIMALS_MAX strings (~3.7 MiB; a part's rows and links are fewer: ROWS_PER_PART, MAX_LINKS);
# past it `_Decimal` makes each one as before.
_DECIMALS: list[str] = []
_DECIMALS_MAX = 1 << 16


class _Decimal:
    """str(k) by subscript (a slice: a list of them), as `_decimals`' table gives them, past its bound."""

    __slots__ = ()

    def __getitem__(self, k: Any) -> Any:
        return list(map(str, range(k.start, k.stop))) if type(k) is slice else str(k)


def _decimals(top: int) -> Sequence[str]:
    """str(k) by subscript for each 0 <= k <= top (a list's slice: those of a range)."""
    if top >= len(_DECIMALS):
        if top >= _DECIMALS_MAX:
            return _Decimal()  # type: ignore[return-value]
        _DECIMALS.extend(map(str, range(len(_DECIMALS), top + 1)))
    return _DECIMALS


def _put_bytes(fh: Any, data: bytes) -> None:
    """UTF-8 `data` written to the text file `fh` (XlsxWriter's rows' file, opened as UTF-8) after
    the text written to it before: into its binary buffer (the rows rendered as bytes are not
    decoded to be encoded again); text mode would write a "\n" as os.linesep, so elsewhere as text."""
    raw = getattr(fh, "buffer", None)
    if raw is None or os.linesep != "\n":
        fh.write(data.decode())
        return
    fh.flush()
    raw.write(data)


_LONG = 32767 // 2  # longer strings: XlsxWriter checks their UTF-16 length (and truncates)
_ESCAPED_CHAR = re.compile(f'["&<>{_CONTROL}]')  # (one fast scan each: a search of _NOT_PLAIN's alternatives
_X_ESCAPE = re.compile(_X_HHHH)  # tries each at every character, ~4x as long on a row's texts)

_ELEMENTS: dict[Any, bytes | bool] = {}  # short text -> `_t_element`'s, number -> `_v_element`'s (`_row_xml`'s)
# texts kept (up to _ELEMENT_TEXT characters each: ~6 MiB with their elements at most), then
# cleared. Up to 64 characters: a row's document, half, label, codes and their Chinese texts,
# unit, operator, department, project, most names and standards repeat down a document's rows (on
# corpora/, 4 distinct documents, 179 texts of 33-64 characters were looked at 2,337 times); up
# to 128: the reasons' Chinese texts of two or three codes and the findings' messages repeat
# across documents too (/tmp/d16, 64 distinct documents: 1.11 M characters of the texts' misses
# at 64, 0.71 M at 128; 0.66 M at 256). Numbers too, as their digits (a document's tables and
# lines, the targets' values: they repeat down its rows and across documents), but none equal to
# 0 (-0.0 equals 0 and 0.0 as a key, and prints -0); a number never equals a text.
_ELEMENT_MEMO = 1 << 13
_ELEMENT_TEXT = 128


def _t_element(text: str) -> bytes | bool:
    """The <t> element XlsxWriter's constant-memory `_write_cell` writes for a text (escaped, a
    space kept, `_text_xml`), as UTF-8, as `_row_xml`'s template takes it; False for a text that
    takes `_text_cell` (formula-like: the quote-prefix format, not on a link; a rich string; longer
    than _LONG) and for the empty text (a blank cell: `_row_xml` looks for it among a row's texts
    only when one of their elements is False). Found by fast scans (`_NOT_PLAIN`'s parts, a
    formula-like start), the plain text (most) as it is."""
    if not text or len(text) > _LONG or text.startswith(FORMULA_START):
        return False
    # no character to escape: a printable text (no control character, no U+FFFE/U+FFFF) without
    # " & < > found by five scans in C, cheaper than the regex's (~70 instructions a character)
    if (text.isprintable() and '"' not in text and "&" not in text and "<" not in text and ">" not in text
            or _ESCAPED_CHAR.search(text) is None) and not text[:1].isspace() and not text[-1:].isspace() \
            and ("_x" not in text or _X_ESCAPE.search(text) is None):
        return b"<t>%s</t>" % text.encode()
    xml = _text_xml(text)
    return False if xml is None else xml.encode()


def _v_element(number: int | float) -> bytes | bool:
    """The digits of a number's <v> element as XlsxWriter writes them (`%.16G`), as UTF-8; False
    for NaN and infinities (the writer's own path)."""
    if type(number) is float and not isfinite(number):
        return False
    return b"%.16G" % number


def _t_elements(values: Sequence[str | int | float], memo: bool) -> tuple[Sequence[bytes | bool], bool]:
    """The element of each of a row's texts and numbers in its template's order (`_t_element` of
    a text, `_v_element` of a number), as a tuple when each is an element, and whether each is
    (no False: no text that takes `_text_cell`, no empty text, no NaN): the short texts and the
    numbers looked up in a bounded memo all at once (one map of its get), the others (a row's
    misses are a few of its dozen texts) made and kept."""
    if not memo:
        made = [_t_element(v) if type(v) is str else _v_element(v) for v in values]  # type: ignore[arg-type]
        return (tuple(made) if all(made) else made), all(made)
    found: tuple = tuple(map(_ELEMENTS.get, values))
    if all(found):  # (one C truth test each: no miss, None, and no special text, False, among them)
        return found, True
    filled: list[bytes | bool | None] = list(found)
    missing = filled.count(None)
    k = -1
    for _ in range(missing):
        k = filled.index(None, k + 1)
        value = values[k]
        if type(value) is str:
            filled[k] = element = _t_element(value)
            if len(value) > _ELEMENT_TEXT:
                continue
        else:
            filled[k] = element = _v_element(value)  # type: ignore[arg-type]
            if not value or element is False:  # (0 is never kept: -0.0 would find it)
                continue
        if len(_ELEMENTS) >= _ELEMENT_MEMO:
            _ELEMENTS.clear()
        _ELEMENTS[value] = element
    plain = all(filled)
    return (tuple(filled) if plain else filled), plain  # type: ignore[arg-type, return-value]


_MAX_SHAPES = 4096  # row shapes kept per sheet (fill, link, type per column), templates per shape
_PLAIN_ANCHOR = re.compile(r"[A-Za-z0-9_.-]*")  # an anchor XlsxWriter's Url keeps as it is


def _text_xml(text: str) -> str | None:
    """The <t> element XlsxWriter's constant-memory `_write_cell` writes for a text that needs
    escaping (its own helpers, in its order); None for a rich string (its own writer)."""
    if _NOT_MARKUP_ONLY.search(text) is None and not text.startswith("<r>"):
        return f"<t>{_ESCAPER._escape_data(text)}</t>"  # (the control escapes and the space test find nothing)
    text = Worksheet._escape_control_characters(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        return None
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f"<t{space}>{_ESCAPER._escape_data(text)}</t>"


_ESCAPER = XMLwriter()
_NOT_MARKUP_ONLY = re.compile(f"[{_CONTROL}]|{_X_HHHH}|{_EDGE_SPACE}")  # beyond & < > "


_COMMON = (type(None), str, bool, int, float)  # the types _Sheet._row_xml writes itself


def _items(columns: list[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """The values of these columns of a row: a tuple, or for one column or none the row's slice
    (a list of a row given as a list), each made in C (a lambda making a 1-tuple was a Python
    call a row for the single bool column of most rows); to be read, not to fill a `%`."""
    if len(columns) > 1:
        return itemgetter(*columns)
    if columns:
        return itemgetter(slice(columns[0], columns[0] + 1))
    return itemgetter(slice(0, 0))


def _url(link: tuple) -> str:
    """The url of `_Sheet.add`'s link: (column, url) or (column, page, head, n)."""
    return link[1] if len(link) == 2 else f"{link[1]}#{link[2]}{link[3]}"


class _Shape:
    """A row's shape (fill, link column, type per column): its first and last column, its
    template's slots' columns (its texts and numbers in column order) and their getter, the
    getter of its bool values, the style attributes of its cells (and of a quote-prefixed text in
    each column, once numbered), its templates by the texts that take `_text_cell` and bool values, and the cell XML
    of its short such texts (`_text_cell`'s, UTF-8, by column and text: "=" in the 比较 column of
    every document; bounded, none under KPISCAN_CLASSIFY_MEMO=0)."""

    __slots__ = ("fill", "link_at", "kinds", "styles", "blanks", "quoted", "first", "last", "slot_columns",
                 "slotted", "bools", "templates", "cells")

    def __init__(self, fill: str | None, link_at: int, kinds: tuple[type, ...], styles: list[str], blanks: list[str]):
        self.fill, self.link_at, self.kinds, self.styles, self.blanks = fill, link_at, kinds, styles, blanks
        self.quoted: list[str | None] = [None] * len(kinds)
        cells = [k for k, kind in enumerate(kinds) if fill or kind is not type(None)]
        self.first, self.last = (cells[0], cells[-1]) if cells else (-1, -1)
        # the template's slots: its texts and numbers, in column order (their elements fill it as they come)
        self.slot_columns = [k for k, kind in enumerate(kinds) if kind in (str, int, float)]
        self.slotted = _items(self.slot_columns)
        self.bools = _items([k for k, kind in enumerate(kinds) if kind is bool])
        self.templates: dict[tuple, list[bytes]] = {}  # _Sheet._template's, UTF-8, split at its NULs
        self.cells: dict[tuple[int, str], bytes] | None = {} if memo_enabled() else None


_CELL_MEMO_TEXT = 16  # the longest special text whose cell XML a shape keeps


class _Sheet:
    """One worksheet written row by row (constant memory), with its header, widths, filter, print set-up."""

    worksheet_class: type[Worksheet] = FastWorksheet

    def __init__(self, book: "_Book", title: str, columns: list[tuple[str, int, bool]], freeze_cols: int = 0):
        self.book, self.columns = book, columns
        self.ws = book.wb.add_worksheet(title, self.worksheet_class)
        self.wraps = [c[2] for c in columns]
        self.row = 0
        self.links = 0
        self._by_fill: dict[str | None, list] = {}
        self._style_attrs: dict[tuple[str | None, int], list[str]] = {}
        self._shapes: dict[tuple, _Shape] = {}  # _row_xml's row shapes
        self.memo = memo_enabled()  # _row_xml's texts' elements kept (_t_elements)
        # the part of a link before '#' -> the relationship target of the first Url made for it
        self._pages: dict[str, str] = {}
        # _fast_row's links given apart: the page of the last, its heads' (target, bound) (_linkable)
        self._link_page: str | None = None
        self._link_heads: dict[str, tuple[str, int]] = {}
        self.refs = [xl_col_to_name(k) for k in range(len(columns))]
        self.choices: dict[int, list[str]] = {}  # column -> drop-down list, over every data row
        for k, (head, width, _) in enumerate(columns):
            self.ws.set_column(k, k, width)
            self.ws.write_string(0, k, head, book.header)
        self.ws.set_row(0, 30)
        self.ws.freeze_panes(1, freeze_cols)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        self.ws.fit_to_pages(1, 0)  # one page wide, as many long as needed
        self.ws.repeat_rows(0)

    def _formats(self, fill: str | None) -> list:
        """The format of each column's cells on a row of this fill (no quote prefix)."""
        found = self._by_fill.get(fill)
        if found is None:
            found = self._by_fill[fill] = [self.book.fmt(fill, wrap) for wrap in self.wraps]
        return found

    def add(self, values: list[Any], fill: str | None = None, link: tuple | None = None) -> None:
        """Append a row; `link` = (column, url), or (column, page, head, n) for the url
        f"{page}#{head}{n}" (an anchor of a text and an int, the 指标 rows' t{table}-L{line}: the
        url made only where XlsxWriter's own writer takes the link): that cell becomes a hyperlink
        showing its value."""
        self.row += 1
        link_at = link[0] if link is not None and self.links < MAX_LINKS else -1
        if self._fast_row(values, fill, link_at, link):
            return
        self._own_row(values, fill, link_at, link)

    def add_linked(self, rows: list[list[Any]], fills: list[str | None], link_at: int, page: str, head: str) -> None:
        """Append rows as `add` does, each with the link (link_at, page, head, n) whose n is its
        own value in that column (the 指标 rows' 行 line, linked to f"{page}#t{table}-L{line}": a
        table's rows at once): the room for their links, the page's target and the bound of a
        plain url's number (`_link_target`) found once, not a row at a time; each row `_fast_row`
        would write at once written so, its link kept as `put_link`'s tuple (`put_links`), any
        other row as `add` writes it."""
        ws = self.ws
        found = self._link_target(page, head) if rows else None
        if found is None and rows:  # the page's first link: XlsxWriter's own, whose target the next rows take
            self.add(rows[0], fills[0], (link_at, page, head, rows[0][link_at]))
            rows, fills = rows[1:], fills[1:]
            found = self._link_target(page, head)
        if found is None or max(self.links, ws.hlink_count) + len(rows) > MAX_LINKS:  # (or a full sheet's last links)
            for values, fill in zip(rows, fills):
                self.add(values, fill, (link_at, page, head, values[link_at]))
            return
        target, bound = found
        row_xml = self._row_xml
        links: list[tuple] = []
        done: list[tuple[bytes, int, int]] = []  # the rows rendered since `top`, not yet put
        top = self.row + 1
        for values, fill in zip(rows, fills):
            self.row += 1
            number = values[link_at]
            rendered = row_xml(values, fill, link_at)
            if rendered is None or type(number) is not int or not 0 <= number < bound:
                if done:
                    ws.put_rows_xml(top, done)  # type: ignore[attr-defined]
                    done = []
                self._own_row(values, fill, link_at, (link_at, page, head, number))
                top = self.row + 1
                continue
            done.append(rendered)
            links.append((self.row, link_at, target, head, number))
        if done:
            ws.put_rows_xml(top, done)  # type: ignore[attr-defined]
        self.links += len(links)
        ws.put_links(links)  # type: ignore[attr-defined]

    def _own_row(self, values: list[Any], fill: str | None, link_at: int, link: tuple | None) -> None:
        """The row through XlsxWriter's own writers (its plain cells stored at once)."""
        cells, rest = self._cells(values, fill, link_at)
        self.ws.put_row(self.row, cells)
        for k, v in rest:
            if k == link_at:
                self._link(k, v, fill, _url(link))  # type: ignore[arg-type]
            else:
                self._write(k, v, fill)

    def _fast_row(self, values: list[Any], fill: str | None, link_at: int, link: tuple | None) -> bool:
        """Write the row at once (`_row_xml`, `FastWorksheet.put_row_xml`) when it is the common
        case; False (nothing done) for a row XlsxWriter's own writer must take. Its link, if any,
        goes in as `put_link`'s tuple when it points to a page already linked on this sheet (the
        same relationship target as the page's first Url; `_link` records it) with a plain anchor,
        an ASCII url within 255 characters (XlsxWriter keeps it as it is) and room for a link; a
        link given apart (page, head, n) checked by its page and head once (`_linkable`) and its
        number's digits (plain, ASCII) against the room they leave."""
        rendered = self._row_xml(values, fill, link_at)
        if rendered is None:
            return False
        xml, first, last = rendered
        shown = values[link_at] if link_at >= 0 else None
        if shown is not None and (type(shown) is not str or shown):  # (no cell, no link: _cells)
            if self.ws.hlink_count >= MAX_LINKS:
                return False
            assert link is not None
            if len(link) == 4 and type(number := link[3]) is int and number >= 0:
                head = link[2]
                found = self._link_target(link[1], head)
                if found is None:
                    return False  # (the page's first link: _link, as XlsxWriter writes it)
                target, bound = found
                if number >= bound:
                    return False
                self.links += 1
                self.ws.put_link(self.row, link_at, target, head, number)  # type: ignore[attr-defined]
            else:
                url = _url(link)
                base, _, anchor = url.partition("#")
                page_target = self._pages.get(base)
                if page_target is None or len(url) > 255 or not url.isascii() or not _PLAIN_ANCHOR.fullmatch(anchor):
                    return False
                self.links += 1
                self.ws.put_link(self.row, link_at, page_target, anchor)  # type: ignore[attr-defined]
        if xml:
            self.ws.put_row_xml(self.row, first, last, xml)
        return True

    def _link_target(self, page: str, head: str) -> tuple[str, int] | None:
        """`_linkable`'s (target, bound) of a link given apart, kept for the page's next rows."""
        if page != self._link_page:
            self._link_page, self._link_heads = page, {}
        found = self._link_heads.get(head)
        return self._linkable(page, head) if found is None else found

    def _linkable(self, page: str, head: str) -> tuple[str, int] | None:
        """(the relationship target of `page`, the bound under which a number n makes
        f"{page}#{head}{n}" a url `_fast_row` links as it is: ASCII, within 255 characters, a plain
        anchor) kept for the page's next rows; None while the page has no target yet (its first
        link goes through `_link`). A page or head that cannot give such a url: bound 0."""
        target = self._pages.get(page)
        if target is None:
            return None
        room = 255 - len(page) - 1 - len(head)  # the digits a url within 255 characters leaves
        plain = "#" not in page and page.isascii() and head.isascii() and _PLAIN_ANCHOR.fullmatch(head) is not None
        found = self._link_heads[head] = (target, 10 ** room if plain and room > 0 else 0)
        return found

    def _styles(self, fill: str | None, link_at: int) -> list[str] | None:
        """' s="N"' of each column's format on a row of this fill (the link's format in column
        `link_at`), once every one has its XF index (XlsxWriter numbers a format when it first
        writes it: until then, its own writer)."""
        found = self._style_attrs.get((fill, link_at))
        if found is None:
            formats = list(self._formats(fill))
            if link_at >= 0:
                formats[link_at] = self.book.fmt(fill, False, link=True)
            if any(f.xf_index is None for f in formats):
                return None
            found = self._style_attrs[(fill, link_at)] = [f' s="{f.xf_index}"' for f in formats]
        return found

    def _row_xml(self, values: list[Any], fill: str | None, link_at: int) -> tuple[bytes, int, int] | None:
        """The row as `FastWorksheet._write_single_row` (and XlsxWriter's `_write_cell`) would
        write it after `_cells`/`_link` (its <row> element, empty for a row without cells), as
        UTF-8, with its first and last column; None for a row with anything else (a long text,
        another type, NaN, a rich string, a format not numbered yet): that row takes the writer's
        own path. Each text goes in as its
        <t> element (`_t_elements`: escaped where it needs it, encoded, short ones kept), a text
        that takes `_text_cell` (formula-like) as its cell, each number as its digits (kept too),
        through the template of the row's shape (`_Shape`), those texts and its bool values
        (`_template`)."""
        kinds = tuple(map(type, values))
        shape = self._shapes.get((fill, link_at, kinds))
        if shape is None:
            shape = self._shape(fill, link_at, kinds)
            if shape is None:
                return None
            if len(self._shapes) < _MAX_SHAPES:
                self._shapes[(fill, link_at, kinds)] = shape
        # the row's texts and numbers in the template's order, each as its element (or special cell)
        slotted = shape.slotted(values)
        elements, plain = _t_elements(slotted, self.memo)
        special: tuple[int, ...] = ()
        if not plain:  # a special or empty text's or a NaN's False (an element is never empty bytes)
            if "" in slotted:  # an empty text is a blank: the row again without them
                # (a str subclass is no common kind, the writer's own path, which blanks it too)
                return self._row_xml([None if v == "" else v for v in values], fill, link_at)
            special = tuple(compress(shape.slot_columns, map(not_, elements)))  # (the columns of their False, in C)
            made = self._special_cells(shape, values, special, elements)
            if made is None:
                return None
            elements = made
        key = (special, *shape.bools(values))
        template = shape.templates.get(key)
        if template is None:
            template = self._template(shape, special, key[1:]).encode().split(b"\0")
            if len(shape.templates) < _MAX_SHAPES:
                shape.templates[key] = template
        # the row number into the template first (kept split at its NULs, joined by the number:
        # the row's own <row r="N"> among them, the number made once)
        return (b"%d" % (self.row + 1)).join(template) % elements, shape.first, shape.last  # type: ignore[str-format]

    def _special_cells(self, shape: "_Shape", values: list[Any], special: tuple[int, ...],
                       elements: Sequence[bytes | bool]) -> tuple[bytes | bool, ...] | None:
        """The row's elements with each special text's (by its place among the template's slots)
        replaced by its `_text_cell` XML, UTF-8 (the shape's memo of short ones first); None when
        one of them takes the writer's own path (a NaN or an infinity among them too)."""
        cells = shape.cells
        filled = list(elements)
        for k in special:
            v = values[k]
            if type(v) is not str:
                return None
            xml = cells.get((k, v)) if cells is not None else None
            if xml is None:
                made = self._text_cell(shape, k, v)
                if made is None:
                    return None
                xml = made.encode()
                if cells is not None and len(v) <= _CELL_MEMO_TEXT and len(cells) < _MAX_SHAPES:
                    cells[(k, v)] = xml
            filled[shape.slot_columns.index(k)] = xml
        return tuple(filled)

    def _shape(self, fill: str | None, link_at: int, kinds: tuple[type, ...]) -> "_Shape | None":
        """The shape of a row with these types per column; None when a type is not one of the
        common ones or a format is not numbered yet."""
        styles, blanks = self._styles(fill, link_at), self._styles(fill, -1)  # (a blank cell is never a link)
        if styles is None or blanks is None or link_at >= 0 and kinds[link_at] not in (int, str):
            return None
        if any(kind not in _COMMON for kind in kinds):
            return None
        return _Shape(fill, link_at, kinds, styles, blanks)

    def _template(self, shape: "_Shape", special: tuple[int, ...], bools: tuple[bool, ...]) -> str:
        """The row's element for `%` with the elements of `shape.slotted(values)` (`<row r="N">`
        its cells `</row>`; nothing for a row without cells), a NUL where the row number goes (put
        in before the slots are filled): %s a text's <t> element (a special text's slot takes
        `_text_cell`'s XML whole) or a number's digits, a bool's 是 or nothing written in."""
        parts: list[str] = []
        truths = iter(bools)
        for k, kind in enumerate(shape.kinds):
            ref = self.refs[k] + "\0"
            if kind is type(None):
                if shape.fill:
                    parts.append(f'<c r="{ref}"{shape.blanks[k]}/>')
            elif k in special:
                parts.append(f'<c r="{ref}"%s</c>')
            elif kind is str or kind is bool:
                text = "%s" if kind is str else "<t>是</t>" if next(truths) else "<t></t>"
                parts.append(f'<c r="{ref}"{shape.styles[k]} t="inlineStr"><is>{text}</is></c>')
            else:
                parts.append(f'<c r="{ref}"{shape.styles[k]}><v>%s</v></c>')
        return f'<row r="\0">{"".join(parts)}</row>' if parts else ""

    def _text_cell(self, shape: "_Shape", k: int, v: str) -> str | None:
        """A text cell's XML after its reference (`s="N" t="inlineStr"><is><t>…</t></is>`), checked:
        the quote-prefix format for a formula-like text, XlsxWriter's escapes; None for a long
        text, a rich string or a format not numbered yet."""
        if len(v) > _LONG:
            return None
        style: str | None = shape.styles[k]
        if k != shape.link_at and v.startswith(FORMULA_START):
            style = shape.quoted[k]
            if style is None:
                index = self.book.fmt(shape.fill, self.wraps[k], quote=True).xf_index
                if index is None:
                    return None
                style = shape.quoted[k] = f' s="{index}"'
        if _NOT_PLAIN.search(v):
            text = _text_xml(v)
            if text is None:
                return None
            return f'{style} t="inlineStr"><is>{text}</is>'
        return f'{style} t="inlineStr"><is><t>{v}</t></is>'

    def _cells(self, values: list[Any], fill: str | None, link_at: int) -> tuple[list, list]:
        """(the row's cells stored at once by FastWorksheet.put_row, (column, value) of the link and
        of what XlsxWriter checks or converts itself: long texts, other types, NaN)."""
        formats = self._formats(fill)
        cells: list[tuple[int, Any]] = []
        rest: list[tuple[int, Any]] = []
        for k, v in enumerate(values):
            if v is None or v == "":
                if fill:
                    cells.append((k, CellBlankTuple(formats[k])))
                continue
            kind = type(v)
            if k == link_at or (kind is str and len(v) > _LONG):
                rest.append((k, v))
            elif kind is str:
                quoted = v.startswith(FORMULA_START)
                cells.append((k, CellStringTuple(v, self.book.fmt(fill, self.wraps[k], quote=True) if quoted else formats[k])))
            elif kind is bool:
                cells.append((k, CellStringTuple("是" if v else "", formats[k])))
            elif (kind is int or kind is float) and isfinite(v):
                cells.append((k, CellNumberTuple(v, formats[k])))
            else:
                rest.append((k, v))
        return cells, rest

    def _link(self, k: int, v: Any, fill: str | None, url: str) -> None:
        self.links += 1
        link_fmt = self.book.fmt(fill, False, link=True)
        self.ws.write_url(self.row, k, url, link_fmt, string=str(v))
        made = self.ws.hyperlinks.get(self.row, {}).get(k)
        base, _, anchor = url.partition("#")
        if made is not None and made._link_type is UrlTypes.EXTERNAL and url.startswith("external:") \
                and _PLAIN_ANCHOR.fullmatch(anchor) and not made._is_object_link and not made._tip:
            self._pages.setdefault(base, made._target())  # the page's next links: FastWorksheet.put_link
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            self.ws.write_number(self.row, k, v, link_fmt)  # the link stays; the cell keeps its number

    def _write(self, k: int, v: Any, fill: str | None) -> None:
        if isinstance(v, bool):
            self.ws.write_string(self.row, k, "是" if v else "", self._formats(fill)[k])
        elif isinstance(v, (int, float)):
            self.ws.write_number(self.row, k, v, self._formats(fill)[k])
        else:
            self.ws.write_string(self.row, k, str(v), self.book.fmt(fill, self.wraps[k], quote=formula_like(v)))

    def finish(self) -> None:
        last = max(self.row, 1)
        self.ws.autofilter(0, 0, last, len(self.columns) - 1)
        for col, options in self.choices.items():
            self.ws.data_validation(1, col, last, col, {
                "validate": "list", "source": options, "error_type": "stop",
                "input_title": "审核意见", "input_message": " / ".join(options)})


# zlib level of the workbook's members. XlsxWriter's zip file takes zlib's default (6); level 2
# deflates the 16x corpus's workbook (~62 MB of XML) in ~0.28 CPU s instead of ~0.98, for a file
# of 6.04 instead of 5.00 MB (docs/report.md). The members themselves are the same bytes.
ZIP_LEVEL = 2
# ISA-L's deflate (python-isal, the `fast` extra) where installed: the same members deflated ~4x
# faster than zlib at ZIP_LEVEL (the 16x corpus's ~56 MB of sheets: ~0.06 instead of ~0.23 CPU s),
# the file ~10% larger (its level 1; its levels 1 and 2 give the same). Else zlib at ZIP_LEVEL.
_isal: Any
try:
    from isal import isal_zlib as _isal
except ImportError:  # pragma: no cover - zlib's deflate
    _isal = None
ISAL_LEVEL = 1
_ZIP_CHUNK = 1 << 20  # a member's write buffer (_Zip)


class _Zip(zipfile.ZipFile):
    """XlsxWriter's zip file, at ZIP_LEVEL unless told another; deflated by ISA-L when installed
    (at ISAL_LEVEL, when the level is ZIP_LEVEL). A member is written through a buffer of
    _ZIP_CHUNK bytes (io.BufferedWriter): ZipFile.write reads a member's file 8 KiB at a time,
    and each write takes a CRC-32 and a deflate call (ISA-L's copies every small input into its
    window first); the same members, deflated in larger pieces."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)

    def _open_to_write(self, zinfo: zipfile.ZipInfo, force_zip64: bool = False) -> Any:
        member = super()._open_to_write(zinfo, force_zip64)  # type: ignore[misc]
        if _isal is not None and zinfo.compress_type == zipfile.ZIP_DEFLATED and zinfo._compresslevel == ZIP_LEVEL:  # type: ignore[attr-defined]
            member._compressor = _isal.compressobj(ISAL_LEVEL, _isal.DEFLATED, -15)  # (what zipfile._get_compressor makes)
        return io.BufferedWriter(member, _ZIP_CHUNK)


class _Relationships(Relationships):
    """XlsxWriter's relationships file (Relationships._write_relationships, 3.3.1) with its
    <Relationship> elements written as one string: a sheet's tens of thousands of links to its
    pages are a few targets, each run of links to one escaped once and numbered by one join."""

    def _write_relationships(self) -> None:
        self._xml_start_tag("Relationships", [("xmlns", PACKAGE_SCHEMA)])
        out: list[str] = []
        n: int = self.id  # type: ignore[has-type]
        # a run of equal relationships (a page's links, listed by _Packager as one tuple repeated)
        # written by one join of their numbers
        for relationship, run in groupby(self.relationships):
            k = len(list(run))
            rel_type, target, target_mode = relationship
            after_id = f' Type="{self._escape_attributes(rel_type)}" Target="{self._escape_attributes(target)}"'
            if target_mode:
                after_id += f' TargetMode="{self._escape_attributes(target_mode)}"'
            out.append('<Relationship Id="rId' + f'"{after_id}/><Relationship Id="rId'.join(_decimals(n + k)[n:n + k])
                       + f'"{after_id}/>')
            n += k
        self.id = n
        self.fh.write("".join(out))
        self._xml_end_tag("Relationships")


class _Packager(Packager):
    """XlsxWriter's packager writing each worksheet's relationships (its links, drawings, …) with
    _Relationships (Packager._write_worksheet_rels_files, 3.3.1), a run of equal ones (a page's
    links) listed as `_add_document_relationship`'s tuple for the first, repeated."""

    def _write_worksheet_rels_files(self) -> None:
        index = 0
        for worksheet in self.workbook.worksheets():
            if worksheet.is_chartsheet:
                continue
            index += 1
            external_links = (worksheet.external_hyper_links + worksheet.external_drawing_links
                              + worksheet.external_vml_links + worksheet.external_background_links
                              + worksheet.external_table_links + worksheet.external_comment_links)
            if not external_links:
                continue
            rels = _Relationships()
            listed = rels.relationships
            for link_data, run in groupby(external_links):  # (a page's links: one tuple repeated)
                rels._add_document_relationship(*link_data)
                k = len(list(run))
                if k > 1:
                    listed += repeat(listed[-1], k - 1)
            rels._set_xml_writer(self._filename("xl/worksheets/_rels/sheet" + str(index) + ".xml.rels"))
            rels._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook whose zip file is a _Zip. (Workbook._store_workbook opens its zip
    file by the name ZipFile of its module, with no option for the level: that name is bound to
    _Zip while it runs, so another thread storing a workbook at that moment gets ZIP_LEVEL too.)
    Where python-isal is installed, zipfile's name crc32 (zlib's, which each member's writes call
    for its CRC-32) is bound to ISA-L's crc32 for that time: the same checksum (one function,
    two libraries), ~15x fewer instructions for the ~60 MB of a 16x workbook's members; any
    zipfile reading or writing in another thread meanwhile gets the same values."""

    def _get_packager(self) -> Packager:
        return _Packager()

    def _store_workbook(self) -> None:
        module = xlsxwriter.workbook
        if module.ZipFile is not zipfile.ZipFile:
            raise RuntimeError("xlsxwriter.workbook.ZipFile is not zipfile.ZipFile")
        crc32 = getattr(zipfile, "crc32", None)
        fast_crc = _isal is not None and crc32 is zlib.crc32
        module.ZipFile = _Zip  # type: ignore[misc]
        if fast_crc:
            zipfile.crc32 = _isal.crc32  # type: ignore[attr-defined]
        try:
            super()._store_workbook()
        finally:
            module.ZipFile = zipfile.ZipFile  # type: ignore[misc]
            if fast_crc:
                zipfile.crc32 = crc32  # type: ignore[attr-defined]


class _Book:
    def __init__(self, path: Path):
        self.path = path
        self.wb = _Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
        self.header = self.wb.add_format({"bold": True, "font_name": FONT_NAME, "font_size": 10, "font_color": "#FFFFFF",
                                          "bg_color": HEADER_BG, "text_wrap": True, "valign": "top", "border": 1})
        self._formats: dict[tuple, Any] = {}

    def fmt(self, fill: str | None, wrap: bool, quote: bool = False, link: bool = False):
        key = (fill, wrap, quote, link)
        if key not in self._formats:
            spec: dict[str, Any] = {"font_name": FONT_NAME, "font_size": 10, "valign": "top"}
            if wrap:
                spec["text_wrap"] = True
            if fill:
                spec.update(bg_color=fill, pattern=1)
            if quote:
                spec["quote_prefix"] = True
            if link:
                spec.update(font_color="#1558A6", underline=1)
            self._formats[key] = self.wb.add_format(spec)
        return self._formats[key]


def legend_rows() -> list[list[Any]]:
    """The 说明 sheet: colours, the reviewer's columns, the rubric and every code in Chinese."""
    rules_ = rules()
    rows: list[list[Any]] = [
        ["颜色", "", "红色：存疑（标签为含糊 vague 或格式不当 malformed）——请核对或退回。", ""],
        ["颜色", "", "黄色：未存疑，但这一行（这一半表）有审核发现——请看“发现说明”。", ""],
        ["颜色", "", "无底色：可衡量，没有发现。", ""],
        ["列", "审核意见", "下拉选择：同意 / 修改 / 退回；备注写修改意见。", ""],
        ["列", "行", "点击打开该指标在 HTML 报告中的位置（docs/ 目录须与本工作簿放在一起）。", ""],
        ["评分", "", "每张表满分 100：各准则从其分值开始，每条发现从所属准则扣分（每种代码每表有上限），"
                     "准则不低于 0；文档得分为其各表得分的平均。", ""],
    ]
    for crit, weight in criteria().items():
        rows.append(["准则", crit, f"{codes.zh(crit, 'criterion')}（{weight:g} 分）", crit])
    for c in codes.legend():
        if c.kind == "criterion":
            continue
        text = c.zh
        if c.kind == "finding" and c.code in rules_:
            r = rules_[c.code]
            text += f"（{r.severity}，每次扣 {r.points:g} 分，每表至多 {r.cap:g} 分）"
        rows.append([codes.KIND_ZH[c.kind], c.code, text, c.criterion])
    return rows


class XlsxReport:
    """Writes the workbook(s) one document at a time: `add(doc_facts)` ..., then `close(problems)`."""

    def __init__(self, out: Path, page_of: Callable[[str], str], rows_per_part: int = ROWS_PER_PART):
        self.out, self.page_of, self.rows_per_part = Path(out), page_of, min(rows_per_part, ROWS_PER_PART)
        self.out.mkdir(parents=True, exist_ok=True)
        self.parts: list[Path] = []
        self.first: _Book | None = None
        self.book: _Book | None = None
        self.crit = list(criteria())
        self.library: list[dict] | None = None  # kpiscan.practice.report.library_rows: the 指标库 sheet, written on close
        self._open_part()

    # ---------------------------------------------------------------- parts
    def _open_part(self) -> None:
        closed = self.book is not None and self.book is not self.first
        if closed:
            self._close_book(self.book)  # type: ignore[arg-type]
        k = len(self.parts) + 1
        path = self.out / part_name(k)
        book = _Book(path)
        self.parts.append(path)
        self.indicators = _Sheet(book, "指标 Indicators", INDICATOR_COLUMNS, FROZEN_COLUMNS)
        self.indicators.ws.activate()
        self.indicators.choices[VERDICT_COLUMN] = VERDICTS
        legend = _Sheet(book, "说明 Legend", [("类型 kind", 10, False), ("代码 code", 30, False),
                                              ("中文说明", 80, True), ("准则 criterion", 14, False)])
        for row in legend_rows():
            fill = RED if row[2].startswith("红色") else YELLOW if row[2].startswith("黄色") else None
            legend.add(row, fill)
        legend.finish()
        self.findings = _Sheet(book, "发现 Findings", FINDING_COLUMNS, 1)
        self.scores = _Sheet(book, "评分 Scores", [*SCORE_COLUMNS_HEAD, *[(c, 9, False) for c in self.crit],
                                                  *SCORE_COLUMNS_TAIL], 1)
        book.sheets = [self.indicators, self.findings, self.scores]  # type: ignore[attr-defined]
        if self.first is None:
            self.first = book
            self.documents = _Sheet(book, "文档 Documents", [("文档 doc", 28, False), ("得分 score", 7, False),
                                                            *[(c, 9, False) for c in self.crit], *DOC_COLUMNS_TAIL], 1)
        self.book = book
        if closed:  # the closed part is garbage now, a cycle holding its links (gcpolicy.collect_dropped)
            collect_dropped()

    def _room(self, rows: int) -> bool:
        return self.indicators.row == 0 or self.indicators.row + rows <= self.rows_per_part

    def _close_book(self, book: _Book) -> None:
        for sheet in book.sheets:  # type: ignore[attr-defined]
            sheet.finish()
        if book is self.first:
            self.documents.finish()
        book.wb.close()

    # ---------------------------------------------------------------- rows
    def add(self, d: DocFacts) -> None:
        if not self._room(d.n_indicators):
            self._open_part()  # (findings are fewer than rows, and their sheet carries no links)
        page = "docs/" + self.page_of(d.doc)
        base = f"external:{page}"
        half_zh, label_name, tail = HALF_ZH.get, codes.label_name, _tail
        label_names = _LABEL_NAMES.get
        for t in d.tables:
            table = t.table
            head = f"t{table.index}-L"  # (each row's link: base#head{line}, given apart)
            at, department = t.at, t.department
            rows: list[list[Any]] = []
            fills: list[str | None] = []
            for i in t.indicators:
                found = at.get(i.id or "")  # (t.findings_at(i); most records have none)
                reasons = i.reasons
                if reasons:  # (a few codes: their two texts made once per distinct list of them)
                    why = _reason_texts(tuple(reasons))
                label = i.label
                if not found:
                    codes_text = messages = None
                elif len(found) == 1:  # (most rows with a finding: one; its code and message's head as they are)
                    codes_text, messages = found[0].code, found[0].message.split(" / ")[0]
                else:
                    codes_text = "; ".join(dict.fromkeys(f.code for f in found))
                    messages = "；".join(f.message.split(" / ")[0] for f in found)
                row = [
                    i.doc, i.table, i.line, (f"第{p}页" if (p := i.page) else None) if _HAS_PAGE else None, i.name, i.value,
                    half_zh(i.period, i.period), (label_names(label) or label_name(label)) if label else None, i.flagged,
                    *(why if reasons else _NO_REASONS),
                    codes_text, messages, None, None,
                    *tail(i),
                ]
                if not _HAS_PAGE:
                    del row[3]  # (no page column: page_zh's cell, written in above, for records with a page)
                row[_DEPARTMENT] = department
                rows.append(row)
                fills.append(RED if i.flagged else (YELLOW if found else None))
            self._indicator_rows(rows, fills, base, head)
            for f in t.findings:
                self.findings.add([f.doc, f.table, table.project, f.code, codes.zh(f.code, "finding"), f.severity,
                                   f.criterion, f.points, f.message, ", ".join(map(str, f.lines)),
                                   HALF_ZH.get(f.period)],  # (None, a blank, for no half: "" took _row_xml twice)
                                  RED if f.severity == "error" else YELLOW if f.severity == "warning" else None)
            s = t.score
            if s is not None:
                self.scores.add([s.doc, s.table, s.table_line, s.kind, s.project, s.department, s.year, s.score,
                                 *[s.criteria[c] for c in self.crit], s.n_indicators, s.n_flagged, s.n_findings,
                                 "; ".join(f"{x.code} −{x.points:g}" for x in s.deductions)])
        if d.score is not None:
            ds = d.score
            self.documents.add([ds.doc, ds.score, *[ds.criteria[c] for c in self.crit], ds.n_tables, ds.n_indicators,
                                ds.n_flagged, ds.n_findings, self.parts[-1].name], link=(0, f"external:{page}"))

    def _indicator_rows(self, rows: list[list[Any]], fills: list[str | None], page: str, head: str) -> None:
        """A table's rows on the 指标 sheet, each 行 linked to f"{page}#{head}{line}" (`_Sheet.add_linked`),
        in as many parts as it takes (a document alone larger than a part continues in the next)."""
        while rows:
            if self.indicators.row >= self.rows_per_part:
                self._open_part()
            room = self.rows_per_part - self.indicators.row
            if len(rows) <= room:
                self.indicators.add_linked(rows, fills, LINE_COLUMN, page, head)
                return
            self.indicators.add_linked(rows[:room], fills[:room], LINE_COLUMN, page, head)
            rows, fills = rows[room:], fills[room:]

    def close(self, problems: list[Any]) -> list[Path]:
        assert self.first is not None and self.book is not None
        sheet = _Sheet(self.first, "问题 Problems", PROBLEM_COLUMNS, 0)
        for p in problems:
            path, line, message = (getattr(p, "path", None), getattr(p, "line", None), getattr(p, "message", None))
            sheet.add([path, line, message] if message is not None else [str(p), None, None])
        sheet.finish()
        if self.library is not None:
            library_sheet(self.first, self.library)
        if self.book is not self.first:
            self._close_book(self.book)
        self._close_book(self.first)
        return list(self.parts)


LIBRARY_COLUMNS = [("本表 in scan", 7, False), ("指标族 family", 22, True), ("二级指标 level2", 14, False),
                   ("成员 members", 50, True), ("名称数 names", 7, False), ("指标数 count", 7, False),
                   ("文档数 docs", 7, False), ("单位 unit", 9, False), ("目标数 targets", 7, False), ("比较符 op", 6, False),
                   ("P10", 8, False), ("P25", 8, False), ("中位数 median", 8, False), ("P75", 8, False), ("P90", 8, False)]


_LIBRARY_FIELDS = ["family", "level2", "members", "n_members", "count", "n_docs", "unit", "n_targets", "op",
                   "q10", "q25", "q50", "q75", "q90"]


def library_sheet(book: "_Book", rows: list[dict]) -> None:
    """指标库: the indicator families (kpiscan.practice.report.library_rows) with target quantiles per unit."""
    sheet = _Sheet(book, "指标库 Library", LIBRARY_COLUMNS, 0)
    for r in rows:
        row = ["是" if r["in_scan"] else "", *[r[k] for k in _LIBRARY_FIELDS]]
        sheet.add([None if v is None or (isinstance(v, float) and v != v) else v for v in row])
    sheet.finish()
