"""Reader for whole HTML documents (a table exported or saved as .html/.htm), stdlib html.parser.

* Each <tr> gives one `Line` whose cells are its <td>/<th> texts in order. colspan=N gives the text
  then N-1 empty cells; rowspan=N leaves an empty cell at that column in the next N-1 rows, so the
  columns line up as they do in the text conversions (the 二级指标 column of a row under a spanning
  一级指标 is still the third cell). Cells that a row leaves out at its end are simply absent
  (trailing empty cells are trimmed, as the text reader does).
* Text outside table cells (headings, <p>, <div>, <caption>, loose text) gives single-cell Lines,
  one per block element; <br> ends a block too. <script>, <style>, <title> and <template> are skipped.
* Inside a cell, a line break (<br>, <p>, a newline in the source) between two CJK characters is
  dropped and any other becomes one space (`pdf.unwrap_cell`, the same rule as the other readers).
* `Line.number` is the 1-based source line where the row's <tr> tag stands (for a block: where its
  first non-blank text stands), from HTMLParser.getpos(). Several rows written on one source line
  therefore share a number. Lines are in source order; `Line.page` is None; `Line.text` is the cells
  joined by tabs. Rows without any text are dropped.
* Bytes are decoded by the <meta charset> / http-equiv declaration when there is one (gb2312/gbk
  read as their superset gb18030), falling back to utf-8 then gb18030 when the declaration is
  missing, unknown or wrong; a byte-order mark wins over both.

Nested tables: the inner table's rows become Lines of their own, and the outer cell keeps only its
own text.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import regex

from ..errors import InputError
from ..model import Document, Line
from .cells import clean_cell, unwrap_cell
from .files import load_bytes

_META_CHARSET = regex.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", regex.IGNORECASE
)
_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn", "gb18030"}
_SKIP = {"script", "style", "title", "template", "noscript"}
_BLOCK = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "br", "hr", "caption",
    "section", "article", "header", "footer", "body", "html", "blockquote", "pre", "dl", "dt",
    "dd", "form", "center", "address", "table", "thead", "tbody", "tfoot", "main", "nav",
}
_MAX_SPAN = 1000


def _span(value: str | None) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(n, 1), _MAX_SPAN)


@dataclass
class _Table:
    pending: dict[int, int] = field(default_factory=dict)  # column -> rows still covered by a rowspan
    active: set[int] = field(default_factory=set)  # rowspan columns covering the open row
    row: list[str] | None = None  # cells of the open row
    row_pos: tuple[int, int] = (0, 0)
    col: int = 0
    cell: list[str] | None = None  # text pieces of the open cell
    colspan: int = 1
    rowspan: int = 1


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[tuple[int, int, int, tuple[str, ...]]] = []  # (line, col, seq, cells)
        self.tables: list[_Table] = []
        self.skip = 0
        self.block: list[str] = []
        self.block_pos: tuple[int, int] | None = None

    # -- output -------------------------------------------------------------------------------
    def _emit(self, pos: tuple[int, int], cells: list[str]) -> None:
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            self.out.append((pos[0], pos[1], len(self.out), tuple(cells)))

    def _flush_block(self) -> None:
        if self.block_pos is not None:
            self._emit(self.block_pos, [clean_cell("".join(self.block))])
        self.block = []
        self.block_pos = None

    # -- table state ----------------------------------------------------------------------------
    def _in_cell(self) -> bool:
        return bool(self.tables) and self.tables[-1].cell is not None

    def _open_row(self, t: _Table) -> None:
        self._close_row(t)
        t.row = []
        t.row_pos = self.getpos()
        t.col = 0
        t.active = set(t.pending)

    def _skip_spanned(self, t: _Table) -> None:
        assert t.row is not None
        while t.col in t.pending and t.col in t.active:
            t.row.append("")
            t.col += 1

    def _open_cell(self, t: _Table, attrs: dict[str, str | None]) -> None:
        self._close_cell(t)
        if t.row is None:
            self._open_row(t)
        self._skip_spanned(t)
        t.cell = []
        t.colspan = _span(attrs.get("colspan"))
        t.rowspan = _span(attrs.get("rowspan"))

    def _close_cell(self, t: _Table) -> None:
        if t.cell is None or t.row is None:
            t.cell = None
            return
        t.row.append(unwrap_cell("".join(t.cell)))
        t.row.extend([""] * (t.colspan - 1))
        if t.rowspan > 1:
            for c in range(t.col, t.col + t.colspan):
                t.pending[c] = t.rowspan  # decremented once at the end of this row
        t.col += t.colspan
        t.cell = None

    def _close_row(self, t: _Table) -> None:
        self._close_cell(t)
        if t.row is None:
            return
        self._emit(t.row_pos, t.row)
        for c in list(t.pending):
            t.pending[c] -= 1
            if t.pending[c] <= 0:
                del t.pending[c]
        t.row = None
        t.active = set()

    def _block_boundary(self) -> None:
        """A block element starts or ends: a line break inside a cell, else the end of a block."""
        if self._in_cell():
            self.tables[-1].cell.append("\n")  # type: ignore[union-attr]
        else:
            self._flush_block()

    # -- parser callbacks -----------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if tag == "table":
            if not self._in_cell():
                self._flush_block()
            self.tables.append(_Table())
            return
        if tag in ("tr", "td", "th") and not self.tables:
            self._flush_block()
            self.tables.append(_Table())  # a row outside any <table>: read it as one all the same
        if self.tables and tag == "tr":
            self._flush_block()
            self._open_row(self.tables[-1])
            return
        if self.tables and tag in ("td", "th"):
            self._flush_block()
            self._open_cell(self.tables[-1], dict(attrs))
            return
        if tag in _BLOCK:
            self._block_boundary()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.handle_starttag(tag, attrs)
        # <td/> and the like: an empty cell
        elif self.tables and tag in ("td", "th"):
            self.handle_starttag(tag, attrs)
            self._close_cell(self.tables[-1])

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag == "table":
            if self.tables:
                self._close_row(self.tables.pop())
            return
        if self.tables and tag == "tr":
            self._close_row(self.tables[-1])
            return
        if self.tables and tag in ("td", "th"):
            self._close_cell(self.tables[-1])
            return
        if self.tables and tag in ("thead", "tbody", "tfoot"):
            self._close_row(self.tables[-1])
            self.tables[-1].pending.clear()  # a rowspan does not cross a row group
            return
        if tag in _BLOCK:
            self._block_boundary()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self._in_cell():
            self.tables[-1].cell.append(data)  # type: ignore[union-attr]
            return
        if self.block_pos is None:
            stripped = data.lstrip()
            if not stripped:
                return
            line, col = self.getpos()
            lead = data[: len(data) - len(stripped)]
            if "\n" in lead:
                line += lead.count("\n")
                col = len(lead) - lead.rfind("\n") - 1
            else:
                col += len(lead)
            self.block_pos = (line, col)
        self.block.append(data)

    def finish(self) -> list[tuple[int, int, int, tuple[str, ...]]]:
        self.close()
        while self.tables:
            self._close_row(self.tables.pop())
        self._flush_block()
        return sorted(self.out)


def _codec(name: bytes | str) -> str | None:
    label = (name.decode("ascii", "replace") if isinstance(name, bytes) else name).strip().lower()
    if label in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes, path: str) -> tuple[str, str]:
    """Decode an HTML file's bytes: BOM, then <meta charset>, then utf-8 / gb18030."""
    from .text import check_binary, decode

    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), enc
            except UnicodeDecodeError as e:
                raise InputError(path, f"undecodable bytes as {enc} (byte-order mark): {e.reason}") from None
    check_binary(data, path)
    m = _META_CHARSET.search(data[:8192])
    declared = _codec(m.group(1)) if m else None
    if declared and declared not in ("utf-16-le", "utf-16-be", "utf-16"):
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass  # the declaration is wrong: fall back to what the bytes say
    return decode(data, path)


def read_html(path: str | Path) -> Document:
    """Read an HTML document's table rows and text blocks into Lines (see the module docstring)."""
    p = Path(path)
    data = load_bytes(p)
    text, encoding = decode_html(data, str(p))
    parser = _Parser()
    try:
        parser.feed(text)
        rows = parser.finish()
    except Exception as e:  # html.parser is lenient; this is a last guard
        raise InputError(str(p), f"unparsable HTML: {e}", parser.getpos()[0]) from None
    if not rows:
        raise InputError(str(p), "no text in the HTML document")
    lines = [Line(number=ln, text="\t".join(cells), cells=cells) for ln, _c, _s, cells in rows]

    from .text import budget_year

    doc = Document(path=str(p), name=p.name, lines=lines, encoding=encoding)
    doc.year = budget_year(lines)
    return doc
