"""The report's fast cell writer (kpiscan.report.xlsx.FastWorksheet) writes the same workbook as
XlsxWriter's own Worksheet, byte for byte in every part of the file, for every kind of cell the
report writes (also stored a row at once with put_row) and the ones it hands back to XlsxWriter (escapes, control characters, spaces to
preserve, cells without a format, links, numbers, blanks)."""
from __future__ import annotations

import datetime
import random
import zipfile

import xlsxwriter
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from kpiscan.report.xlsx import FastWorksheet

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
