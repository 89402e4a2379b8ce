"""Reader for PDF files: with a text layer through pdfium (`pdfium.py`; pdfplumber, the former
engine, stays selectable as engine="pdfplumber" to measure against), without one by OCR (`ocr.py`).

Each page gives two kinds of rows, interleaved top to bottom by their vertical position:

* the rows of its ruled tables (``page.find_tables`` with the "lines" strategy): one `Line` per
  table row, its cells in column order; a cell covered by a merged cell (None) becomes "";
* the text lines outside the tables (titles such as "…项目支出绩效目标表" and "(2024年度)",
  signatures, page numbers): one `Line` per printed line, split into cells where the gap between two
  characters is wider than about one character (so an unruled "负责人:   经办人:" keeps its parts).

`Line.number` is a running 1-based row number over the whole document, `Line.page` the 1-based page;
`Line.text` is the cells joined by tabs, as in the text conversions. Rows whose cells are all empty
are dropped (they carry nothing a later stage could cite), and trailing empty cells are trimmed as
the text reader does.

Text wrapped inside a table cell is joined without a space when both sides of the break are CJK
characters ("推动文化企业始终坚持正确\\n文化立场" -> one word), with one space otherwise.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Document, Line
from .cells import clean_cell, unwrap_cell
from .files import load_bytes

# Ruled tables: the tables of 绩效目标表 PDFs are drawn with lines; small snapping absorbs the
# half-point offsets of double-drawn rules.
TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}

ENGINE = "pdfium"  # "pdfplumber": the former engine, slower, kept to measure against
_GAP_FACTOR = 1.0  # a gap wider than this many font sizes starts a new cell in a text line


def _trim(cells: list[str]) -> tuple[str, ...]:
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def _split_text_line(chars: list[dict[str, Any]]) -> list[str]:
    """Cells of a text line: its characters cut where the horizontal gap exceeds ~one character."""
    cells: list[str] = []
    current: list[str] = []
    prev: dict[str, Any] | None = None
    for ch in sorted(chars, key=lambda c: c["x0"]):
        if prev is not None:
            gap = ch["x0"] - prev["x1"]
            size = max(float(prev.get("size") or 0), float(ch.get("size") or 0), 1.0)
            if gap > _GAP_FACTOR * size:
                cells.append("".join(current))
                current = []
            elif gap > 0.2 * size and current and current[-1] != " " and ch["text"] != " ":
                current.append(" ")  # a word space, as extract_text would put it
        current.append(ch["text"])
        prev = ch
    cells.append("".join(current))
    return [clean_cell(c) for c in cells]


def _outside(bboxes: list[tuple[float, float, float, float]]):
    def keep(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx = (obj["x0"] + obj["x1"]) / 2
        cy = (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in bboxes)

    return keep


def _page_rows(page: Any) -> list[tuple[float, float, tuple[str, ...]]]:
    """(top, x0, cells) of the page's table rows and outside text lines, unsorted."""
    rows: list[tuple[float, float, tuple[str, ...]]] = []
    tables = page.find_tables(TABLE_SETTINGS)
    for table in tables:
        extracted = table.extract()
        for row, cells in zip(table.rows, extracted):
            top = row.bbox[1]
            rows.append((top, row.bbox[0], _trim([unwrap_cell(c) for c in cells])))
    rest = page.filter(_outside([t.bbox for t in tables])) if tables else page
    for tl in rest.extract_text_lines(return_chars=True):
        cells = _split_text_line(tl["chars"]) if tl.get("chars") else [clean_cell(tl["text"])]
        rows.append((tl["top"], tl["x0"], _trim(cells)))
    return rows


def _plumber_pages(p: Path):
    """(page number, rows) of every page, by pdfplumber (the former engine, kept to measure)."""
    import pdfplumber  # imported here so other readers do not pay for pdfminer

    with pdfplumber.open(p) as pdf:
        if not pdf.pages:
            raise InputError(str(p), "PDF has no pages")
        for page_no, page in enumerate(pdf.pages, start=1):
            page = page.dedupe_chars()  # fake-bold PDFs print every character twice
            yield page_no, (_page_rows(page) if page.chars else None)


def read_pdf(path: str | Path, engine: str | None = None) -> Document:
    """Read a PDF's tables and text into numbered Lines (see the module docstring)."""
    p = Path(path)
    head = load_bytes(p, limit=1024)
    if b"%PDF-" not in head:
        raise InputError(str(p), "not a PDF file (no %PDF- header)")
    engine = engine or ENGINE
    lines: list[Line] = []
    any_chars = False
    try:
        if engine == "pdfplumber":
            pages = _plumber_pages(p)
        else:
            from .pdfium import pages as pdfium_pages

            pages = pdfium_pages(p)
        for page_no, rows in pages:
            if rows is None:
                continue
            any_chars = True
            rows.sort(key=lambda r: (round(r[0], 1), r[1]))
            for _top, _x0, cells in rows:
                if not cells:
                    continue
                lines.append(
                    Line(number=len(lines) + 1, text="\t".join(cells), cells=cells, page=page_no)
                )
    except InputError:
        raise
    except Exception as e:  # pdfminer and pdfium raise many types for damaged or odd files
        raise InputError(str(p), _describe(e)) from None
    if not any_chars:
        from .ocr import read_scanned_pdf

        return read_scanned_pdf(p)

    # the budget year is filled in by read_document, as for every format
    return Document(path=str(p), name=p.name, lines=lines, encoding="utf-8")


def _describe(e: Exception) -> str:
    inner = e.args[0] if e.args and isinstance(e.args[0], Exception) else e
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name or "password" in str(inner).lower():
        return "encrypted PDF (password required)"
    text = str(inner).strip() or name
    return "unreadable PDF: " + text.splitlines()[0][:200]
