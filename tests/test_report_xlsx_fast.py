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
from xlsxwriter.packager import Packager
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from kpiscan.report.xlsx import _LONG, MAX_LINKS, RED, YELLOW, ZIP_LEVEL, FastWorksheet, _Book, _Sheet, _url

TEXTS = [
    "办公设备验收合格率", "≥95%", "≤400元/人/天", "2024年9月", "提升", "a", "中文 with space inside",
    " leading", "trailing ", "\u3000全角空格", "a&b", "<tag>", 'say "x"', "line\nbreak", "tab\there",
    "ctrl\x01char", "nul\x00char", "_x00A1_ literal", "=SUM(A1)", "+1", "-2", "@x", "\ufffe", "<r>rich</r>", "x" * 300,
]
NUMBERS = [0, 1, -3, 2.5, 1e-9, 123456789012345678, 0.1 + 0.2, 3.0]
FORMULAS = ['="a\r\nb"', '="a\rb"', '="a\r\r\nb\r"', '="\r"&"\n"', "=1+2"]


class _SmallCopyWorksheet(FastWorksheet):
    """FastWorksheet copying its rows a few bytes at a time (a CR, a CRLF at every boundary)."""

    _COPY_BYTES = 7


def _other_cell(ws, r, c, pick, fmt, rng) -> None:
    """A link (showing a number), a boolean, a formula or nothing: XlsxWriter's own writers."""
    if pick < 0.9:
        ws.write_url(r, c, f"external:docs/p{r}.html#t1-L{c}", fmt, string=str(r))
        ws.write_number(r, c, r, fmt)
    elif pick < 0.93:
        ws.write_boolean(r, c, bool(r % 2), fmt)
    elif pick < 0.94:  # a formula's text keeps a CR as it is (read back as LF)
        ws.write_formula(r, c, rng.choice(FORMULAS), fmt)


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
            at_once = issubclass(cls, FastWorksheet) and fmt is not None
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
            else:
                _other_cell(ws, r, c, pick, fmt, rng)
        if stored:
            ws.put_row(r, stored)
    ws.autofilter(0, 0, 399, 29)
    wb.close()


def test_fast_worksheet_writes_the_same_file(tmp_path):
    _book(tmp_path / "slow.xlsx", Worksheet)
    for cls in (FastWorksheet, _SmallCopyWorksheet):
        _book(tmp_path / "fast.xlsx", cls)
        with zipfile.ZipFile(tmp_path / "slow.xlsx") as a, zipfile.ZipFile(tmp_path / "fast.xlsx") as b:
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert a.read(name) == b.read(name), (cls, name)
            sheet = a.read("xl/worksheets/sheet1.xml").decode()
    # the sample does hold the cells that take XlsxWriter's own path, and CRs read back as LFs
    assert "_x0001_" in sheet and 'xml:space="preserve"' in sheet and "&amp;" in sheet
    assert "a\n\nb" in sheet and "\r" not in sheet


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
                self._link(k, v, fill, _url(link))
            else:
                self._write(k, v, fill)

    def add_linked(self, rows, fills, link_at, page, head):
        for values, fill in zip(rows, fills):
            self.add(values, fill, (link_at, page, head, values[link_at]))


ROW_TEXTS = [*TEXTS, "=", ">=", "<=", ">1500份", "≥95%", "x" * (_LONG + 5), "a |b", "a| b", "a|b", ""]
LINKS = ["external:docs/p1.html#t1-L{}", "external:docs/p2.html#t2-L{}", "external:docs/p1.html",
         "external:docs/p 3.html#t3-L{}", "external:docs/p4.html#a/b{}", "external:docs/p5.html#a b{}",
         "external:docs/p6.html#" + "x" * 250 + "{}", "external:docs/%41.html#t{}"]


def _report_book(path, cls, seed=5):
    """A workbook of two interleaved report sheets (a link column, fills, every kind of value)."""
    book = _Book(path)
    book.wb.set_properties({"created": datetime.datetime(2024, 1, 1)})
    if cls is _ReferenceSheet:
        book.wb._get_packager = Packager  # XlsxWriter's own packager and relationships files
    a = cls(book, "指标", [(f"c{k}", 10, k % 3 == 0) for k in range(12)], 2)
    b = cls(book, "发现", [(f"d{k}", 10, k % 2 == 0) for k in range(5)], 1)
    rng = random.Random(seed)
    # (numbers equal as keys of the elements' memo: 0, 0.0 and -0.0 (which prints -0), 7 and 7.0; one
    # not a float exactly, 2 ** 53 + 1)
    values = [None, None, True, False, 0, 7, -3, 2.5, 1e-9, 123456789012345678, 0.1 + 0.2, np.float64(1.5), np.int64(4),
              1e308, -1e308, -0.0, 0.0, 7.0, 2 ** 53 + 1, 10 ** 16]
    for r in range(600):
        def cell():
            return rng.choice(ROW_TEXTS) if rng.random() < 0.6 else rng.choice(values)
        row = [cell() for _ in range(12)]
        row[2] = rng.choice([r, r, str(r), "=x", "a&b", None, "", 2.5, True])  # ("": no cell, no link)
        if r % 100 == 60:  # texts special only next to each other's separator
            row[3:9] = ["trailing ", "=x", " leading", "a|", "@y", "b|"]
        fill = rng.choice([None, None, RED, YELLOW])
        url = rng.choice(LINKS * 3 if r > 50 else LINKS[:2])
        if url.endswith("{}") and "#" in url and rng.random() < 0.5:  # given apart: page, head, number
            page, _, head = url[:-2].partition("#")
            link = (2, page, head, rng.choice([r, r, r, -r, r + 2 ** 16, r * 10 ** 240, True, str(r)]))
        else:
            link = (2, url.format(r))
        a.add(row, fill, link=link)
        if r % 40 == 7:  # a table's rows at once, each linked by its own number in the link column
            pages = [u for u in LINKS if u.endswith("{}") and "#" in u] + [f"external:docs/q{r}.html#t-L{{}}"]  # (its first)
            page, _, head = rng.choice(pages)[:-2].partition("#")
            rows = [[cell() for _ in range(12)] for _ in range(rng.randint(1, 8))]
            for batch_row in rows:
                batch_row[2] = rng.choice([r, r, r, -r, r + 2 ** 16, r * 10 ** 240, True, str(r), None, 2.5])
            a.add_linked(rows, [rng.choice([None, RED, YELLOW]) for _ in rows], 2, page, head)
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


def test_workbook_members_deflated_at_zip_level(tmp_path, monkeypatch):
    """_Book's workbook deflates its members at ZIP_LEVEL with zlib (not zlib's default), or by
    ISA-L at ISAL_LEVEL where python-isal is installed, through a buffer of _ZIP_CHUNK bytes (its
    CRC-32 by ISA-L too): the same members either way, whatever the buffer; and XlsxWriter's own
    ZipFile name and zipfile's crc32 are restored once it is stored."""
    from kpiscan.report import xlsx

    books = {}
    for deflater in ([xlsx._isal] if xlsx._isal is not None else []) + [None]:
        monkeypatch.setattr(xlsx, "_isal", deflater)
        path = tmp_path / f"book-{deflater is not None}.xlsx"
        _report_book(path, _Sheet)
        assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
            books[deflater is not None] = {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}
            info = z.getinfo("xl/worksheets/sheet1.xml")
            data = z.read(info)
        module = deflater or zlib
        for level, expected in (((xlsx.ISAL_LEVEL if deflater else ZIP_LEVEL), True), ((3 if deflater else 6), False)):
            c = module.compressobj(level, zlib.DEFLATED, -15)
            chunk = xlsx._ZIP_CHUNK  # (ZipFile.write's 8 KiB reads, gathered by the member's buffer)
            size = sum(len(c.compress(data[at:at + chunk])) for at in range(0, len(data), chunk))
            assert (size + len(c.flush()) == info.compress_size) is expected, (deflater, level)
    # members larger than the member's buffer (written in several deflate and CRC calls): the same
    monkeypatch.setattr(xlsx, "_ZIP_CHUNK", 3000)
    for deflater in ([xlsx._isal] if xlsx._isal is not None else []) + [None]:
        monkeypatch.setattr(xlsx, "_isal", deflater)
        path = tmp_path / f"book-{deflater is not None}-small.xlsx"
        _report_book(path, _Sheet)
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None and z.getinfo("xl/worksheets/sheet1.xml").file_size > 3 * 3000
            books[(deflater is not None, "small")] = {name: z.read(name) for name in z.namelist()
                                                      if name != "docProps/core.xml"}
    assert zipfile.crc32 is zlib.crc32  # (ISA-L's crc32 bound only while a workbook is stored)
    assert len(set(map(lambda b: tuple(sorted(b.items())), books.values()))) == 1


def test_relationships_written_as_xlsxwriter_writes_them():
    """_Relationships writes the file XlsxWriter's Relationships writes, for every kind of
    relationship a worksheet lists (with and without a target mode, targets to escape, repeats)."""
    import io

    from xlsxwriter.relationships import Relationships

    from kpiscan.report.xlsx import _Relationships

    rng = random.Random(3)
    targets = ["../docs/p1.html", "docs/p%203.html", 'a&b"<c>.html', "file:///C:\\x y.xlsx", "../drawings/drawing1.xml"]
    for n in (0, 1, 50):
        rels = [(rng.choice(["/hyperlink", "/drawing", "/vmlDrawing"]), rng.choice(targets),
                 rng.choice(["External", None, ""])) for _ in range(n)]
        files = []
        for cls in (Relationships, _Relationships):
            r = cls()
            r._add_package_relationship("/metadata/core-properties", "docProps/core.xml")
            for rel in rels:
                r._add_document_relationship(*rel)
            r._set_xml_writer(io.StringIO())
            r._assemble_xml_file()
            files.append(r.fh.getvalue())
        assert files[0] == files[1]
    assert "&amp;" in files[0] and 'TargetMode="External"' in files[0]


# What FastWorksheet, _Relationships and _Packager repeat or rely on of XlsxWriter's internals, as
# written in XlsxWriter 3.3.1 (sha256 of each one's source). Another version may write these
# otherwise: then compare them with the report's copies, adapt those, and record the new sources.
XLSXWRITER_INTERNALS = {
    "Worksheet._write_hyperlinks": "e7f70854a8ab5e37",
    "Worksheet._write_hyperlink_external": "ca7384fc476a5fe9",
    "Worksheet._write_optimized_sheet_data": "4621ead605d214d2",
    "Worksheet._write_single_row": "350e2bf9afaf5de4",
    "Worksheet._write_cell": "31d1fc8c46bdc681",
    "Worksheet._write_url": "1c901017103d278b",
    "Relationships._write_relationships": "caf84e7c6762c181",
    "Relationships._write_relationship": "603f185fbff49ab7",
    "Relationships._add_document_relationship": "b4d7f50b1cb77634",
    "Packager._write_worksheet_rels_files": "626dc1a7bc720daf",
    "XMLwriter._xml_empty_tag": "1ddc10e33caacd8d",
    "XMLwriter._escape_attributes": "00933f49e6be40e4",
}


def _internals():
    import hashlib
    import inspect

    from xlsxwriter.relationships import Relationships
    from xlsxwriter.xmlwriter import XMLwriter

    methods = [Worksheet._write_hyperlinks, Worksheet._write_hyperlink_external, Worksheet._write_optimized_sheet_data,
               Worksheet._write_single_row, Worksheet._write_cell, Worksheet._write_url,
               Relationships._write_relationships, Relationships._write_relationship,
               Relationships._add_document_relationship,
               Packager._write_worksheet_rels_files, XMLwriter._xml_empty_tag, XMLwriter._escape_attributes]
    return {m.__qualname__: hashlib.sha256(inspect.getsource(m).encode()).hexdigest()[:16] for m in methods}


def test_xlsxwriter_internals_as_copied():
    assert _internals() == XLSXWRITER_INTERNALS, f"XlsxWriter {xlsxwriter.__version__}: re-check kpiscan.report.xlsx"


def test_tail_columns_are_the_flat_row_of_the_record(corpora):
    """The workbook's tail columns read from a record (one attrgetter) are the values
    schema.flat_row gives for them, also for an indicator without a target."""
    import dataclasses

    from kpiscan import schema
    from kpiscan.batch import scan_one
    from kpiscan.model import Indicator
    from kpiscan.report.xlsx import TAIL_FIELDS, _tail

    indicators = scan_one(corpora / "001_ac55e88fbc470c63.txt", classify=False).indicators
    assert indicators and all(i.target is not None for i in indicators[:5])
    for i in [*indicators, *[dataclasses.replace(i, target=None) for i in indicators[:5]]]:
        flat = schema.flat_row(Indicator, i.to_dict())
        assert _tail(i) == tuple(flat[c] for c in TAIL_FIELDS)


def test_text_elements_are_what_xlsxwriter_writes(tmp_path):
    """_t_element of a text is the <t> element XlsxWriter's constant-memory writer puts in its
    cell (escapes, _xHHHH_, a space kept; read from a sheet it wrote, one text a row), as UTF-8;
    False exactly for a formula-like, rich or too long text (those take _text_cell). _t_elements
    gives the same with and without its memo, and from the memo again (and whether none is False),
    for texts and numbers (a number's digits, `_v_element`: 0 and -0.0 apart)."""
    import re

    from kpiscan.cellsafe import FORMULA_START
    from kpiscan.report.xlsx import _ELEMENT_TEXT, _ELEMENTS, _t_element, _t_elements, _v_element

    pieces = [t for t in ROW_TEXTS if t] + ["x", "中文", "|", " ", "\u3000", "\t", "_x0041_", "_x00G1_", "=", "-1", "<r>",
                                            "</r>", "\n"]
    rng = random.Random(11)
    texts = sorted({"".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(3000)})
    wb = xlsxwriter.Workbook(str(tmp_path / "t.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet()
    for r, text in enumerate(texts):
        ws.write_string(r, 0, text)
    wb.close()
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    written = re.findall(r'<row r="(\d+)"[^>]*><c r="A\d+" t="inlineStr"><is>(.*?)</is></c></row>', sheet, re.S)
    assert len(written) == len(texts)
    kinds = set()
    for (row, element), text in zip(written, texts):
        assert int(row) == texts.index(text) + 1
        made = _t_element(text)
        if text.startswith(FORMULA_START) or len(text) > _LONG or element.startswith("<r>"):
            assert made is False, text
            continue
        assert made == element.encode(), text
        kinds.add("plain" if made == f"<t>{text}</t>".encode() else "escaped")
    assert kinds == {"plain", "escaped"}
    assert _t_element("x" * (_LONG + 1)) is False
    _ELEMENTS.clear()
    numbers = [0, 0.0, -0.0, 1, 1.0, -3, 2.5, 1e16, 10 ** 16, 2 ** 53 + 1, float("nan"), float("inf")]
    for k in range(0, len(texts), 7):
        row = [*texts[k:k + 7], *numbers[k % 11:k % 11 + 2]]
        made = [_t_element(v) if type(v) is str else _v_element(v) for v in row]
        assert [(list(e), p) for e, p in (_t_elements(row, True), _t_elements(row, False), _t_elements(row, True))] \
            == [(made, all(made))] * 3
    assert _ELEMENTS and all(len(t) <= _ELEMENT_TEXT for t in _ELEMENTS if type(t) is str)
    assert [_v_element(v) for v in numbers] == [b"0", b"0", b"-0", b"1", b"1", b"-3", b"2.5", b"1E+16", b"1E+16",
                                                b"9007199254740992", False, False]
    assert _t_elements(["a", -0.0, 1, 0], True) == ((b"<t>a</t>", b"-0", b"1", b"0"), True)


def test_report_workbook_of_corpora_rows_as_xlsxwriter_writes_it(corpora, tmp_path, monkeypatch):
    """XlsxReport on real corpora/ rows (a document added twice: its texts' elements and reason
    texts the second time from their memos) writes what XlsxWriter's public writers write for
    the same rows, in every part of the workbook but its creation time."""
    from kpiscan.batch import scan_one
    from kpiscan.report import codes, xlsx
    from kpiscan.report.facts import documents
    from kpiscan.report.html import page_name
    from kpiscan.review import review_all

    result = scan_one(corpora / "001_ac55e88fbc470c63.txt")
    docs = list(documents(result.tables, result.indicators, review_all(result.tables, result.indicators)))
    assert sum(d.n_indicators for d in docs) > 200 and any(i.reasons for d in docs for i in d.indicators)
    rows: list[list] = []

    class _Recording(_ReferenceSheet):
        def add(self, values, fill=None, link=None):
            if self.ws.name == "指标 Indicators":
                rows.append(values)
            super().add(values, fill, link)

    for name, cls in (("fast", xlsx._Sheet), ("slow", _Recording)):
        monkeypatch.setattr(xlsx, "_Sheet", cls)
        xlsx._ELEMENTS.clear()
        xlsx._reason_texts.cache_clear()
        report = xlsx.XlsxReport(tmp_path / name, page_name)
        for d in docs * 2:
            report.add(d)
        report.close([])
    with zipfile.ZipFile(tmp_path / "fast" / xlsx.XLSX_NAME) as a, zipfile.ZipFile(tmp_path / "slow" / xlsx.XLSX_NAME) as b:
        assert a.namelist() == b.namelist()
        for member in a.namelist():
            if member != "docProps/core.xml":
                assert a.read(member) == b.read(member), member
        sheet = a.read("xl/worksheets/sheet1.xml").decode()
    assert "&gt;=" in sheet and "<hyperlink " in sheet and "；" in sheet
    # the 原因 and 原因说明 cells (a memo per list of reason codes) as each record's codes give them
    heads = [c[0] for c in xlsx.INDICATOR_COLUMNS]
    at, zh_at = heads.index("原因 reasons"), heads.index("原因说明")
    records = [i for d in docs * 2 for i in d.indicators]
    assert len(rows) == len(records)
    for values, i in zip(rows, records):
        assert values[at] == ("; ".join(i.reasons) if i.reasons else None)
        assert values[zh_at] == ("；".join(codes.zh(r) for r in i.reasons) if i.reasons else None)


def test_decimals_are_str_of_each_number():
    """The links' numbers written from `_decimals`' table are str(k), within its bound and past it."""
    from kpiscan.report.xlsx import _DECIMALS_MAX, _decimals

    for top in (0, 9, 1000, _DECIMALS_MAX - 1, _DECIMALS_MAX, _DECIMALS_MAX + 10):
        digits = _decimals(top)
        assert [digits[k] for k in (0, top // 3, top)] == [str(k) for k in (0, top // 3, top)]
        assert list(digits[max(top - 5, 0):top + 1]) == [str(k) for k in range(max(top - 5, 0), top + 1)]
