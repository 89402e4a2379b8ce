"""Reader for Excel workbooks (.xlsx), using openpyxl in read-only, cached-values mode.

Numbering choice: a workbook has no single line sequence, so `Line.number` is the 1-based row
number within its sheet (what a reviewer sees in Excel's row header) and `Line.page` is the 1-based
index of the sheet in workbook order. Numbers therefore restart on every sheet; (page, number)
names a row uniquely. Rows without any value are skipped (their numbers are simply absent), and
trailing empty cells are trimmed as the text reader does. `Line.text` is the cells joined by tabs.

Cell rendering: strings through `pdf.unwrap_cell` (a line break between two CJK characters
dropped, whitespace runs collapsed, tags removed); integers and
integral floats without ".0" (600000.0 -> "600000"); other floats by `repr` ("0.1", not
"0.10000000000000001"); a value whose number format is a percentage as printed ("0.95" with format
"0%" -> "95%"); dates as ISO ("2024-07-31", with the time only when it is not midnight); formulas
give their cached value (a workbook never opened in Excel after the formula was written has none,
and the cell reads as ""). Merged cells: the value stands in the top-left cell only, the others
read as "" (that is how the file stores them; read-only mode does not expand merges).
"""
from __future__ import annotations

import datetime as _dt
import zipfile
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Document, Line
from .cells import unwrap_cell
from .files import MAX_FILE_BYTES, load_bytes


def format_number(value: int | float) -> str:
    """600000.0 -> "600000", 0.5 -> "0.5", 3 -> "3"."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def render_value(value: Any, number_format: str | None = None) -> str:
    """The text of one cell value as a reader of the sheet would see it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if number_format and "%" in number_format and not number_format.startswith("@"):
            return format_number(round(value * 100, 10)) + "%"
        return format_number(value)
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return str(value)
    return unwrap_cell(str(value))


def read_xlsx(path: str | Path) -> Document:
    """Read every sheet's rows into Lines (see the module docstring for numbering)."""
    from openpyxl import load_workbook  # imported here so other readers do not pay for it

    p = Path(path)
    head = load_bytes(p, limit=8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(str(p), "not an .xlsx workbook (old .xls format, or password-protected)")
    if not zipfile.is_zipfile(p):
        raise InputError(str(p), "not an .xlsx workbook (not a zip archive)")
    check_unpacked_size(p)

    lines: list[Line] = []
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as e:  # BadZipFile, KeyError for missing parts, XML errors, ...
        raise InputError(str(p), f"unreadable .xlsx workbook: {_describe(e)}") from None
    try:
        for sheet_no, ws in enumerate(wb.worksheets, start=1):
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # do not trust a stored <dimension>: some writers get it wrong
            for row_no, row in enumerate(ws.iter_rows(min_row=1), start=1):
                cells = [render_value(c.value, getattr(c, "number_format", None)) for c in row]
                while cells and not cells[-1]:
                    cells.pop()
                if not cells:
                    continue
                lines.append(
                    Line(number=row_no, text="\t".join(cells), cells=tuple(cells), page=sheet_no)
                )
    except Exception as e:
        raise InputError(str(p), f"unreadable .xlsx workbook: {_describe(e)}") from None
    finally:
        wb.close()
    if not lines:
        raise InputError(str(p), "empty workbook (no cell has a value)")

    # the budget year is filled in by read_document, as for every format
    return Document(path=str(p), name=p.name, lines=lines, encoding="utf-8")


def check_unpacked_size(p: Path) -> None:
    """A workbook whose parts unpack to more than MAX_FILE_BYTES is refused before any is read (a
    zip bomb: a sheet of a gigabyte of spaces zips to a megabyte, and the XML parser would hold it
    all). The sizes the archive declares bound what zipfile unpacks, so they are checked."""
    try:
        with zipfile.ZipFile(p) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise InputError(str(p), f"unreadable .xlsx workbook: {_describe(e)}") from None
    if total > MAX_FILE_BYTES:
        raise InputError(
            str(p),
            f"workbook unpacks to {total / 2**20:,.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit (a zip bomb?): skipped",
        )


def _describe(e: Exception) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0][:200]}" if text else type(e).__name__
