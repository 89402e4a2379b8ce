"""Readers: one per input format, each returning a `Document` of numbered `Line`s."""
from __future__ import annotations

from importlib import import_module
from pathlib import Path

from ..errors import InputError
from ..model import Document

# suffix -> (module, function); modules import lazily so pdfium/openpyxl/OCR load only when needed
READERS: dict[str, tuple[str, str]] = {
    ".txt": ("kpiscan.read.text", "read_text"),
    ".md": ("kpiscan.read.text", "read_text"),
    ".markdown": ("kpiscan.read.text", "read_text"),
    ".pdf": ("kpiscan.read.pdf", "read_pdf"),
    ".xlsx": ("kpiscan.read.xlsx", "read_xlsx"),
    ".html": ("kpiscan.read.html", "read_html"),
    ".htm": ("kpiscan.read.html", "read_html"),
    ".docx": ("kpiscan.read.office", "read_docx"),
    ".doc": ("kpiscan.read.office", "read_doc"),
    ".xls": ("kpiscan.read.office", "read_xls"),
    # page images, read by OCR (optional extra kpiscan[ocr])
    ".png": ("kpiscan.read.ocr", "read_image"),
    ".jpg": ("kpiscan.read.ocr", "read_image"),
    ".jpeg": ("kpiscan.read.ocr", "read_image"),
    ".tif": ("kpiscan.read.ocr", "read_image"),
    ".tiff": ("kpiscan.read.ocr", "read_image"),
}


def supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_document(path: str | Path) -> Document:
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "no such file")
    if p.is_dir():
        raise InputError(str(p), "is a directory")
    entry = READERS.get(p.suffix.lower())
    if entry is None:
        known = " ".join(sorted(READERS))
        raise InputError(str(p), f"unsupported file type {p.suffix or '(none)'!r}; known: {known}")
    module, function = entry
    reader = getattr(import_module(module), function)
    doc: Document = reader(p)
    from .text import budget_year, cap_lines

    cap_lines(doc)  # at most MAX_LINES lines read as rows, whatever the format
    if doc.year is None:
        doc.year = budget_year(doc.lines)
    return doc
