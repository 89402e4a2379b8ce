"""The report's fast cell writer (kpiscan.report.xlsx.FastWorksheet) writes the same workbook as
XlsxWriter's own Worksheet, byte for byte in every part of the file, for every kind of cell the
report writes (also stored a row at once with put_row) and the ones it hands back to XlsxWriter (escapes, control characters, spaces to
preserve, cells without a format, links, numbers, blanks)."""
from __future__ import annotations

import datetime
import random
import zipfile
import zlib

import numpy as np
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from kpiscan.report.xlsx import _LONG, MAX_LINKS, RED, YELLOW, ZIP_LEVEL, FastWorksheet, _Book, _Sheet

TEXTS = [
    "办公设备验收合格率", "≥95%", "≤400元/人/天", "2024年9月", "提升", "a", "中文 with space inside",
    " leading", "trailing ", "\u3000全角空格", "a&b", "<tag>", 'say "x"', "line\nbreak", "tab\there",
    "ctrl\x01char", "_x00A1_ literal", "=SUM(A1)", "+1", "-2", "@x", "\ufffe", "<r>rich</r>", "x" * 300,
]
NUMBERS = [0, 1, -3, 2.5, 1e-9, 123456789012345678, 0.1 + 0.2, 3.0]


def _book(path, cls) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"created": datetime.datetime(2024, 1, 1)})
    plain = wb.add_format({"font_name": "Microsoft YaHei", "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "bg_color": "#F4CCCC", "pattern": 1})
    quote = wb.add_format({"quote_prefix": True})
    ws = wb.add_worksheet("指标", cls)
    ws.set_row(0, 30)
    rng = random.Random(13)
    for r in range(1, 400):
        stored = []  # FastWorksheet.put_row: plain cells with a format, stored at once
        for c in range(30):
            pick = rng.random()
            fmt = rng.choice([plain, wrap, quote, None])
            at_once = cls is FastWorksheet and fmt is not None
            if pick < 0.55:
                text = rng.choice(TEXTS) + rng.choice(["", str(r)])
                if at_once and len(text) < 16383:
                    stored.append((c, CellStringTuple(text, fmt)))
                else:
                    ws.write_string(r, c, text, fmt)
            elif pick < 0.75:
                if at_once:
                    stored.append((c, CellNumberTuple(rng.choice(NUMBERS), fmt)))
                else:
                    ws.write_number(r, c, rng.choice(NUMBERS), fmt)
            elif pick < 0.85:
                if at_once:
                    stored.append((c, CellBlankTuple(fmt)))
                else:
                    ws.write_blank(r, c, None, fmt or plain)
            elif pick < 0.9:
                ws.write_url(r, c, f"external:docs/p{r}.html#t1-L{c}", fmt, string=str(r))
                ws.write_number(r, c, r, fmt)
            elif pick < 0.93:
                ws.write_boolean(r, c, bool(r % 2), fmt)
        if stored:
            ws.put_row(r, stored)
    ws.autofilter(0, 0, 399, 29)
    wb.close()


def test_fast_worksheet_writes_the_same_file(tmp_path):
    _book(tmp_path / "slow.xlsx", Worksheet)
    _book(tmp_path / "fast.xlsx", FastWorksheet)
    with zipfile.ZipFile(tmp_path / "slow.xlsx") as a, zipfile.ZipFile(tmp_path / "fast.xlsx") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
        sheet = a.read("xl/worksheets/sheet1.xml").decode()
    # the sample does hold the cells that take XlsxWriter's own path
    assert "_x0001_" in sheet and 'xml:space="preserve"' in sheet and "&amp;" in sheet


class _ReferenceSheet(_Sheet):
    """The report's rows written cell by cell through XlsxWriter's public writers on its own
    Worksheet (what _Sheet.add means: blanks on a filled row, 是 for True, the quote-prefix format
    for a formula-like text, the link cell by write_url showing its value)."""

    worksheet_class = Worksheet

    def add(self, values, fill=None, link=None):
        self.row += 1
        link_at = link[0] if link is not None and self.links < MAX_LINKS else -1
        for k, v in enumerate(values):
            if v is None or v == "":
                if fill:
                    self.ws.write_blank(self.row, k, None, self._formats(fill)[k])
            elif k == link_at:
                self._link(k, v, fill, link[1])
            else:
                self._write(k, v, fill)


ROW_TEXTS = [*TEXTS, "=", ">=", "<=", ">1500份", "≥95%", "x" * (_LONG + 5), "a |b", "a| b", "a|b", ""]
LINKS = ["external:docs/p1.html#t1-L{}", "external:docs/p2.html#t2-L{}", "external:docs/p1.html",
         "external:docs/p 3.html#t3-L{}", "external:docs/p4.html#a/b{}", "external:docs/p5.html#a b{}",
         "external:docs/p6.html#" + "x" * 250 + "{}", "external:docs/%41.html#t{}"]


def _report_book(path, cls, seed=5):
    """A workbook of two interleaved report sheets (a link column, fills, every kind of value)."""
    book = _Book(path)
    book.wb.set_properties({"created": datetime.datetime(2024, 1, 1)})
    a = cls(book, "指标", [(f"c{k}", 10, k % 3 == 0) for k in range(12)], 2)
    b = cls(book, "发现", [(f"d{k}", 10, k % 2 == 0) for k in range(5)], 1)
    rng = random.Random(seed)
    values = [None, None, True, False, 0, 7, -3, 2.5, 1e-9, 123456789012345678, 0.1 + 0.2, np.float64(1.5), np.int64(4)]
    for r in range(600):
        def cell():
            return rng.choice(ROW_TEXTS) if rng.random() < 0.6 else rng.choice(values)
        row = [cell() for _ in range(12)]
        row[2] = rng.choice([r, r, str(r), "=x", "a&b", None, 2.5, True])
        if r % 100 == 60:  # texts special only next to each other's separator
            row[3:9] = ["trailing ", "=x", " leading", "a|", "@y", "b|"]
        fill = rng.choice([None, None, RED, YELLOW])
        a.add(row, fill, link=(2, rng.choice(LINKS * 3 if r > 50 else LINKS[:2]).format(r)))
        if rng.random() < 0.4:
            b.add([cell() for _ in range(5)], rng.choice([None, RED, YELLOW]), link=(0, f"external:docs/p{r % 4}.html"))
    a.finish()
    b.finish()
    book.wb.close()


def test_report_rows_write_the_same_file(tmp_path):
    """_Sheet's row writer (each common row rendered at once, its link copied from the page's
    first Url) writes what XlsxWriter's own writers write, byte for byte in every part."""
    for seed in (5, 6, 7):
        _report_book(tmp_path / "slow.xlsx", _ReferenceSheet, seed)
        _report_book(tmp_path / "fast.xlsx", _Sheet, seed)
        with zipfile.ZipFile(tmp_path / "slow.xlsx") as a, zipfile.ZipFile(tmp_path / "fast.xlsx") as b:
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert a.read(name) == b.read(name), name
            sheet = a.read("xl/worksheets/sheet1.xml").decode()
            rels = a.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        # the sample holds the special cases: escapes, spaces kept, quote-prefixed and rich texts,
        # links to pages with and without an anchor
        assert "_x0001_" in sheet and 'xml:space="preserve"' in sheet and "&amp;" in sheet and "&gt;=" in sheet
        assert 'location="t1-L' in sheet and "<r>rich</r>" in sheet and "p%203.html" in rels


def test_workbook_members_deflated_at_zip_level(tmp_path):
    """_Book's workbook deflates its members at ZIP_LEVEL (not zlib's default), and XlsxWriter's
    own ZipFile name is restored once it is stored."""
    _report_book(tmp_path / "book.xlsx", _Sheet)
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(tmp_path / "book.xlsx") as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        data = z.read(info)
    for level, expected in ((ZIP_LEVEL, True), (6, False)):
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        assert (len(c.compress(data) + c.flush()) == info.compress_size) is expected, level
