"""Readers for Word (.docx, and .doc through LibreOffice) and old Excel (.xls) files.

.docx (python-docx's XML tree): the body's paragraphs and table rows in document order, one `Line`
each; `Line.number` is that 1-based position among the body's paragraphs and rows (what a reviewer
counts down the document), `Line.page` is None (a Word file has no fixed pages). A table row's cells
are its <w:tc> texts; a cell spanning N grid columns (gridSpan) gives its text then N-1 empty cells,
a cell continuing a vertical merge (vMerge without "restart") reads "", and grid columns a row
leaves out at its start (gridBefore) read "" — so columns line up as in the text conversions and
the .xlsx and HTML readers. Paragraphs inside a cell are joined by `cells.unwrap_cell`. Nested
tables' rows follow their cell's row.

.doc: converted to .docx by LibreOffice headless (`soffice --convert-to docx`) in a temporary
directory and read as above; without LibreOffice, a one-line error naming the file.

.xls (xlrd, with formatting so merged ranges are known): as .xlsx — `Line.number` the row in its
sheet, `Line.page` the sheet; a merged range's value stands in its top-left cell, the others read
""; numbers, percentages and dates rendered by `xlsx.render_value`.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Document, Line
from .cells import clean_cell, unwrap_cell
from .files import load_bytes

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _text(el: Any) -> str:
    """Text of a paragraph-bearing element: runs' w:t, w:tab as a space, w:br as a line break."""
    parts: list[str] = []
    for p in el.iter(f"{_W}p"):
        if parts:
            parts.append("\n")
        for node in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
            if node.tag == f"{_W}t":
                parts.append(node.text or "")
            else:
                parts.append(" " if node.tag == f"{_W}tab" else "\n")
    return "".join(parts)


def _val(el: Any, tag: str) -> str | None:
    node = el.find(f"{_W}tcPr/{_W}{tag}") if tag != "gridBefore" else el.find(f"{_W}trPr/{_W}gridBefore")
    if node is None:
        return None
    return node.get(f"{_W}val", "")


def _rows(tbl: Any) -> list[list[str] | Any]:
    """The rows of a table as cell lists; nested tables' rows follow their row."""
    out: list[Any] = []
    for tr in tbl.iterfind(f"{_W}tr"):
        before = _val(tr, "gridBefore")
        cells: list[str] = [""] * (int(before) if before and before.isdigit() else 0)
        nested: list[Any] = []
        for tc in tr.iterfind(f"{_W}tc"):
            span = _val(tc, "gridSpan")
            merge = _val(tc, "vMerge")
            own = [el for el in tc if el.tag == f"{_W}p"]
            text = "" if merge not in (None, "restart") else unwrap_cell("\n".join(_text(p) for p in own))
            cells.append(text)
            cells.extend([""] * (max(int(span), 1) - 1 if span and span.isdigit() else 0))
            for inner in tc.iterfind(f"{_W}tbl"):
                nested += _rows(inner)
        out.append(cells)
        out += nested
    return out


def _walk(container: Any, lines: list[Line]) -> None:
    """Paragraphs and table rows of a body-like element, in order, appended to `lines`. Content
    controls (w:sdt) are entered; a paragraph holding text boxes (LibreOffice writes a floating
    table as a frame) gives the text boxes' content instead of one paragraph of everything."""
    for el in container:
        if el.tag == f"{_W}p":
            boxes = list(el.iter(f"{_W}txbxContent"))
            if boxes:
                for box in boxes:
                    _walk(box, lines)
                continue
            text = clean_cell(_text(el))
            if text:
                lines.append(Line(number=_next(lines), text=text, cells=(text,)))
        elif el.tag == f"{_W}tbl":
            for cells in _rows(el):
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    lines.append(Line(number=_next(lines), text="\t".join(cells), cells=tuple(cells)))
        elif el.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}smartTag"):
            _walk(el, lines)


def _next(lines: list[Line]) -> int:
    return lines[-1].number + 1 if lines else 1


def read_docx(path: str | Path, name: str | None = None) -> Document:
    """Read a .docx body's paragraphs and table rows into Lines (see the module docstring)."""
    import zipfile

    p = Path(path)
    load_bytes(p, limit=8)
    if not zipfile.is_zipfile(p):
        raise InputError(str(p), "not a .docx document (not a zip archive)")
    try:
        from docx import Document as open_docx
    except ImportError:
        raise InputError(str(p), "needs python-docx: install kpiscan (it is a dependency) again") from None
    try:
        body = open_docx(str(p)).element.body
    except Exception as e:  # KeyError for missing parts, XML errors, ...
        raise InputError(str(p), f"unreadable .docx document: {type(e).__name__}: {str(e)[:200]}") from None
    lines: list[Line] = []
    _walk(body, lines)
    if not lines:
        raise InputError(str(p), "no text in the .docx document")
    return Document(path=str(p), name=name or p.name, lines=lines, encoding="utf-8")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(path: str | Path) -> Document:
    """A Word 97-2003 .doc: converted to .docx by LibreOffice headless, then read as .docx."""
    p = Path(path)
    load_bytes(p, limit=8)
    exe = soffice()
    if exe is None:
        raise InputError(str(p), "a .doc (Word 97-2003) file needs LibreOffice (soffice) to be read; it is not installed")
    with tempfile.TemporaryDirectory(prefix="kpiscan-doc-") as tmp:
        try:
            subprocess.run(
                [exe, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                 "--convert-to", "docx", "--outdir", tmp, str(p.resolve())],
                check=True, capture_output=True, timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as e:
            raise InputError(str(p), f"LibreOffice could not convert the .doc: {type(e).__name__}") from None
        out = Path(tmp) / (p.stem + ".docx")
        if not out.exists():
            raise InputError(str(p), "LibreOffice could not convert the .doc (no output)")
        doc = read_docx(out, name=p.name)
    doc.path = str(p)
    return doc


def read_xls(path: str | Path) -> Document:
    """Read every sheet of an .xls workbook into Lines (see the module docstring)."""
    p = Path(path)
    head = load_bytes(p, limit=8)
    if not head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(str(p), "not an .xls workbook (no OLE2 header)")
    try:
        import xlrd
    except ImportError:
        raise InputError(str(p), "needs xlrd: install kpiscan (it is a dependency) again") from None
    from .xlsx import render_value

    try:
        book = xlrd.open_workbook(str(p), formatting_info=True, on_demand=True)
    except Exception as e:  # xlrd.XLRDError, CompDocError, ...
        raise InputError(str(p), f"unreadable .xls workbook: {type(e).__name__}: {str(e)[:200]}") from None
    lines: list[Line] = []
    try:
        for sheet_no in range(book.nsheets):
            sheet = book.sheet_by_index(sheet_no)
            for r in range(sheet.nrows):
                cells = [_xls_value(book, sheet, r, c, render_value, xlrd) for c in range(sheet.ncols)]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    lines.append(Line(number=r + 1, text="\t".join(cells), cells=tuple(cells), page=sheet_no + 1))
            book.unload_sheet(sheet_no)
    finally:
        book.release_resources()
    if not lines:
        raise InputError(str(p), "empty workbook (no cell has a value)")
    return Document(path=str(p), name=p.name, lines=lines, encoding="utf-8")


def _xls_value(book: Any, sheet: Any, r: int, c: int, render_value: Any, xlrd: Any) -> str:
    cell = sheet.cell(r, c)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return render_value(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
        except Exception:  # noqa: BLE001 - an out-of-range date serial reads as the number
            return render_value(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return render_value(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        fmt = None
        xf = book.xf_list[cell.xf_index] if cell.xf_index is not None and book.xf_list else None
        if xf is not None and xf.format_key in book.format_map:
            fmt = book.format_map[xf.format_key].format_str
        return render_value(cell.value, fmt)
    return render_value(cell.value)
