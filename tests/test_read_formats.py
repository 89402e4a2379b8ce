"""The PDF, XLSX and HTML readers, on miniature 项目支出绩效目标表 fixtures built in the tests."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from kpiscan.errors import InputError
from kpiscan.model import Document, Line
from kpiscan.read import read_document
from kpiscan.read.cells import unwrap_cell
from kpiscan.read.html import read_html
from kpiscan.read.pdf import read_pdf
from kpiscan.read.xlsx import read_xlsx, render_value

HEADER = ("绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值")
TITLE = "晋城经济技术开发区(区)级预算部门(单位)项目支出绩效目标表"
LONG_NAME = "推动文化企业始终坚持正确文化立场切实发挥文化引领风尚的作用"
WIDTHS = [50, 55, 90, 110, 50, 90, 110, 50]  # points; 9 pt CJK glyphs are 9 pt wide


def find(doc: Document, first: str) -> Line:
    """The first line whose first non-empty cell is `first`."""
    for line in doc.lines:
        if line.filled and line.filled[0][1] == first:
            return line
    raise AssertionError(f"no line starting with {first!r} in {[l.text for l in doc.lines]}")


def check_line_contract(doc: Document) -> None:
    for line in doc.lines:
        assert isinstance(line.number, int) and line.number >= 1
        assert all(isinstance(c, str) and c == c.strip() for c in line.cells)
        assert line.text == "\t".join(line.cells)
        assert line.cells and line.cells[-1] != ""  # trailing empties trimmed, empty rows dropped
        assert "<" not in line.text


# ---------------------------------------------------------------------------------------- xlsx


def build_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "项目1"
    ws.append([TITLE])
    ws.merge_cells("A1:H1")
    ws.append(["(2024年度)"])
    ws.append([])  # row 3 left empty
    ws.append(["项目名称", None, "2024年省级文化产业发展专项资金"])
    ws.merge_cells("C4:H4")
    ws.append(["项目资金(元)", None, "实施期资金总额:", 600000.0, "年度资金总额:", 600000])
    ws.append(list(HEADER))
    ws.append([None, "产出指标", "数量指标", "申报项目数量", "2个", "数量指标", "申报项目数量", "2个"])
    ws.merge_cells("B7:B8")  # 产出指标 spans two rows: the lower cell reads ""
    ws.append([None, None, "质量指标", "验收合格率", 0.95, "质量指标", "验收合格率", "≥95%"])
    ws["E8"].number_format = "0%"
    ws.append([None, "效益指标", "社会效益指标", "推动文化企业\n始终坚持正确立场", "效果明显"])
    ws.append([None, "满意度指标", "服务对象满意度指标", "  项目负责人   满意度 ", 1.5])
    other = wb.create_sheet("说明")
    other["B2"] = "第二张表"
    wb.save(path)
    return path


def test_xlsx_rows_cells_and_numbering(tmp_path: Path) -> None:
    doc = read_xlsx(build_xlsx(tmp_path / "mini.xlsx"))
    check_line_contract(doc)
    assert doc.name == "mini.xlsx" and read_document(tmp_path / "mini.xlsx").year == 2024  # the year is set by read_document
    assert doc.lines[0] == Line(1, TITLE, (TITLE,), 1)  # merged A1:H1: value in A1, rest ""
    assert [l.number for l in doc.lines if l.page == 1] == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    name = find(doc, "项目名称")
    assert name.number == 4 and name.cells == ("项目名称", "", "2024年省级文化产业发展专项资金")
    funds = find(doc, "项目资金(元)")
    assert funds.cells[3] == "600000" and funds.cells[5] == "600000"  # no trailing ".0"
    assert find(doc, "绩效指标").cells == HEADER
    output = find(doc, "产出指标")
    assert output.cells == ("", "产出指标", "数量指标", "申报项目数量", "2个", "数量指标", "申报项目数量", "2个")
    quality = find(doc, "质量指标")
    assert quality.number == 8
    assert quality.cells[:5] == ("", "", "质量指标", "验收合格率", "95%")  # merged B8 -> ""
    assert find(doc, "效益指标").cells[3] == "推动文化企业始终坚持正确立场"  # CJK line break joined
    assert find(doc, "满意度指标").cells[3:] == ("项目负责人 满意度", "1.5")
    second = [l for l in doc.lines if l.page == 2]
    assert second == [Line(2, "\t第二张表", ("", "第二张表"), 2)]


def test_render_value() -> None:
    import datetime as dt

    assert render_value(None) == ""
    assert render_value(3) == "3"
    assert render_value(600000.0) == "600000"
    assert render_value(0.1) == "0.1"
    assert render_value(-2.0) == "-2"
    assert render_value(0.955, "0.0%") == "95.5%"
    assert render_value(dt.datetime(2024, 7, 31)) == "2024-07-31"
    assert render_value(True) == "TRUE"
    assert render_value(" a \t b ") == "a b"


def test_xlsx_empty_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    with pytest.raises(InputError, match=r"empty\.xlsx.*empty workbook"):
        read_xlsx(path)


def test_xlsx_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "zero.xlsx"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"zero\.xlsx: empty file"):
        read_xlsx(path)


def test_xlsx_corrupt(tmp_path: Path) -> None:
    good = build_xlsx(tmp_path / "good.xlsx").read_bytes()
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match=r"truncated\.xlsx") as err:
        read_xlsx(truncated)
    assert err.value.path.endswith("truncated.xlsx")

    not_a_workbook = tmp_path / "other.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match=r"other\.xlsx: unreadable \.xlsx workbook"):
        read_xlsx(not_a_workbook)

    text = tmp_path / "text.xlsx"
    text.write_text("项目名称\t某项目\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"text\.xlsx: not an \.xlsx workbook"):
        read_xlsx(text)

    old = tmp_path / "old.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(InputError, match=r"old \.xls format"):
        read_xlsx(old)


# ---------------------------------------------------------------------------------------- html

HTML = """<!DOCTYPE html>
<html>
<head><meta charset="{charset}"><title>导出</title><style>td {{ border: 1px }}</style></head>
<body>
<h2>{title}</h2>
<p>
   (2024年度)</p>
<table border="1">
<tr><td>项目名称</td><td colspan="7">2024年省级文化产业发展专项资金</td></tr>
<tr><th>绩效指标</th><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>指标值</th><th>二级指标</th><th>三级指标</th><th>指标值</th></tr>
<tr><td rowspan="3"></td><td rowspan="2">产出指标</td><td>数量指标</td><td>申报项目数量</td><td>2个</td><td>数量指标</td><td>申报项目数量</td><td>2个</td></tr>
<tr><td>质量指标</td><td>验收<br>合格率</td><td>&ge;95%</td><td>质量指标</td><td><b>验收合格率</b></td><td>&ge;95%</td></tr>
<tr><td>满意度指标</td><td colspan="2">服务对象满意度指标</td><td>≥90%</td></tr>
<tr></tr>
</table>
<div>负责人:&nbsp;张三</div>
<script>var x = "<tr><td>no</td></tr>";</script>
</body>
</html>
"""


def write_html(path: Path, charset: str = "utf-8", encoding: str = "utf-8") -> Path:
    path.write_bytes(HTML.format(charset=charset, title=TITLE).encode(encoding))
    return path


def test_html_rows_colspan_rowspan_and_line_numbers(tmp_path: Path) -> None:
    doc = read_html(write_html(tmp_path / "mini.html"))
    check_line_contract(doc)
    assert doc.year == 2024 and doc.encoding == "utf-8"
    assert [(l.number, l.text) for l in doc.lines[:2]] == [(5, TITLE), (7, "(2024年度)")]
    name = find(doc, "项目名称")
    assert name.number == 9 and name.cells == ("项目名称", "2024年省级文化产业发展专项资金")
    assert find(doc, "绩效指标").cells == HEADER and find(doc, "绩效指标").number == 10
    output = find(doc, "产出指标")
    assert output.number == 11 and output.cells[:3] == ("", "产出指标", "数量指标")
    quality = find(doc, "质量指标")  # both rowspans leave "" so the columns line up
    assert quality.number == 12
    assert quality.cells == ("", "", "质量指标", "验收合格率", "≥95%", "质量指标", "验收合格率", "≥95%")
    satisfaction = find(doc, "满意度指标")  # the first rowspan (3 rows) still covers column 0
    assert satisfaction.cells == ("", "满意度指标", "服务对象满意度指标", "", "≥90%")
    assert doc.lines[-1] == Line(16, "负责人: 张三", ("负责人: 张三",), None)
    assert not any("no" == c for l in doc.lines for c in l.cells)  # <script> skipped
    assert all(l.page is None for l in doc.lines)


def test_html_gb18030_by_meta_and_by_fallback(tmp_path: Path) -> None:
    declared = read_html(write_html(tmp_path / "gbk.html", charset="gbk", encoding="gb18030"))
    assert declared.encoding == "gb18030" and declared.lines[0].text == TITLE
    # declared utf-8 but written in gb18030: the declaration is wrong, the bytes win
    wrong = read_html(write_html(tmp_path / "wrong.html", charset="utf-8", encoding="gb18030"))
    assert wrong.encoding == "gb18030" and find(wrong, "绩效指标").cells == HEADER


def test_html_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    with pytest.raises(InputError, match=r"empty\.html: empty file"):
        read_html(empty)
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body><table><tr><td> </td></tr></table></body></html>")
    with pytest.raises(InputError, match=r"blank\.html: no text"):
        read_html(blank)
    binary = tmp_path / "binary.html"
    binary.write_bytes(b"<html>\x00\x01\x02</html>")
    with pytest.raises(InputError, match=r"binary\.html"):
        read_html(binary)


# ----------------------------------------------------------------------------------------- pdf


def test_unwrap_cell() -> None:
    assert unwrap_cell(None) == ""
    assert unwrap_cell("推动文化企业\n始终坚持") == "推动文化企业始终坚持"
    assert unwrap_cell("满意度\n 95%") == "满意度 95%"
    assert unwrap_cell("a\nb") == "a b"


def build_pdf(path: Path) -> Path:
    """Two pages: title, year, a ruled table with spans and a wrapped cell; a continuation page."""
    pytest.importorskip("reportlab")
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    title = ParagraphStyle("title", fontName="STSong-Light", fontSize=14, leading=18)
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=11, wordWrap="CJK")
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), "STSong-Light", 9),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    rows = [
        ["项目名称", "2024年省级文化产业发展专项资金", "", "", "", "", "", ""],
        list(HEADER),
        ["", "产出指标", "数量指标", "申报项目数量", "2个", "数量指标", "申报项目数量", "2个"],
        ["", "", "质量指标", "验收合格率", "≥95%", "质量指标", "验收合格率", "≥95%"],
        ["", "效益指标", "社会效益指标", Paragraph(LONG_NAME, cell), "效果明显", "社会效益指标", "同左", "效果明显"],
    ]
    first = Table(rows, colWidths=WIDTHS)
    first.setStyle(
        TableStyle(style.getCommands() + [("SPAN", (1, 0), (7, 0)), ("SPAN", (1, 2), (1, 3))])
    )
    second = Table(
        [["", "满意度指标", "服务对象满意度指标", "项目负责人满意度", "100%", "服务对象满意度指标", "项目负责人满意度", "100%"]],
        colWidths=WIDTHS,
    )
    second.setStyle(style)
    story = [
        Paragraph(TITLE, title),
        Paragraph("(2024年度)", title),
        Spacer(1, 12),
        first,
        Spacer(1, 12),
        Paragraph("负责人:张三", title),
        PageBreak(),
        second,
    ]
    SimpleDocTemplate(str(path), pagesize=landscape(A4)).build(story)
    return path


def test_pdf_tables_and_text_interleaved(tmp_path: Path) -> None:
    doc = read_pdf(build_pdf(tmp_path / "mini.pdf"))
    check_line_contract(doc)
    assert doc.name == "mini.pdf" and read_document(tmp_path / "mini.pdf").year == 2024  # the year is set by read_document
    assert [l.number for l in doc.lines] == list(range(1, len(doc.lines) + 1))
    texts = [l.text for l in doc.lines]
    assert texts[0] == TITLE and texts[1] == "(2024年度)"  # text above the table comes first
    name = find(doc, "项目名称")
    assert name.number == 3 and name.page == 1
    assert name.cells == ("项目名称", "2024年省级文化产业发展专项资金")  # spanned cells None -> trimmed
    assert find(doc, "绩效指标").cells == HEADER
    assert find(doc, "产出指标").cells[:4] == ("", "产出指标", "数量指标", "申报项目数量")
    quality = find(doc, "质量指标")
    assert quality.cells == ("", "", "质量指标", "验收合格率", "≥95%", "质量指标", "验收合格率", "≥95%")
    assert find(doc, "效益指标").cells[3] == LONG_NAME  # wrapped over lines in its cell, joined back
    signature = find(doc, "负责人:张三")
    assert signature.page == 1 and signature.number == find(doc, "效益指标").number + 1
    last = doc.lines[-1]
    assert last.page == 2 and last.cells[1:3] == ("满意度指标", "服务对象满意度指标")


def test_pdf_bad_input(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_text("项目名称\t某项目\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"fake\.pdf: not a PDF"):
        read_pdf(fake)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.pdf: empty file"):
        read_pdf(empty)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    with pytest.raises(InputError, match=r"broken\.pdf"):
        read_pdf(broken)


def test_pdf_truncated(tmp_path: Path) -> None:
    data = build_pdf(tmp_path / "whole.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[:600])
    with pytest.raises(InputError, match=r"cut\.pdf"):
        read_pdf(cut)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 200, 100, fill=1)  # a drawing but no characters, as a scanned page
    c.showPage()
    c.save()
    with pytest.raises(InputError, match=r"scan\.pdf: no text layer \(scanned PDF\?\)"):
        read_pdf(path)


def test_pdf_encrypted(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    path = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("secret", canPrint=0))
    c.drawString(100, 700, "locked")
    c.save()
    with pytest.raises(InputError, match=r"locked\.pdf: encrypted PDF"):
        read_pdf(path)


def test_read_document_dispatches(tmp_path: Path) -> None:
    from kpiscan.read import read_document

    assert read_document(build_xlsx(tmp_path / "a.xlsx")).lines[0].text == TITLE
    assert read_document(write_html(tmp_path / "a.htm")).lines[0].text == TITLE


def test_pdf_unruled_text_line_split_on_wide_gaps(tmp_path: Path) -> None:
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "sign.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 10)
    c.drawString(50, 700, "负责人:")
    c.drawString(250, 700, "经办人: 李四")
    c.drawString(50, 650, "填报日期:")
    c.save()
    doc = read_pdf(path)
    assert [(l.number, l.page, l.cells) for l in doc.lines] == [
        (1, 1, ("负责人:", "经办人: 李四")),
        (2, 1, ("填报日期:",)),
    ]


# ------------------------------------------------------------------- end to end, one corpus table

CORPUS = Path(__file__).resolve().parents[1] / "corpora"


def corpus_table() -> list[str]:
    """Lines 652-683 of corpora/000_*.txt: one whole 项目支出绩效目标表."""
    found = sorted(CORPUS.glob("000_*.txt"))
    if not found:
        pytest.skip("corpora/000_*.txt not present")
    return found[0].read_text(encoding="utf-8").split("\n")[651:683]


def write_as(fmt: str, lines: list[str], path: Path) -> Path:
    import html

    rows = [(l.split("\t") + [""] * 8)[:8] if "\t" in l else l for l in lines]
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        for r in rows:
            wb.active.append(r if isinstance(r, list) else [r] if r else [])
        wb.save(path)
    elif fmt == "html":
        body = []
        for r in rows:
            if isinstance(r, list):
                body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>")
            elif r:
                body.append(f"<p>{html.escape(r)}</p>")
        first = next(i for i, b in enumerate(body) if b.startswith("<tr>"))
        body[first:] = ["<table>", *body[first:], "</table>"]
        path.write_text("<html><body>\n" + "\n".join(body) + "\n</body></html>", encoding="utf-8")
    else:
        pytest.importorskip("reportlab")
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        cell = ParagraphStyle("c", fontName="STSong-Light", fontSize=8, leading=10, wordWrap="CJK")
        text = ParagraphStyle("t", fontName="STSong-Light", fontSize=12, leading=16)
        story = [Paragraph(r, text) for r in rows if isinstance(r, str) and r]
        grid = [[Paragraph(c, cell) if c else "" for c in r] for r in rows if isinstance(r, list)]
        table = Table(grid, colWidths=[70, 60, 80, 130, 80, 80, 130, 80])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        SimpleDocTemplate(str(path), pagesize=landscape(A4)).build([*story, table])
    return path


@pytest.mark.parametrize("fmt", ["xlsx", "html", "pdf"])
def test_same_indicators_as_the_text_reader(tmp_path: Path, fmt: str) -> None:
    """The segmenter and extractor find the same indicators in every format of one table."""
    from kpiscan.read import read_document

    segment = pytest.importorskip("kpiscan.segment").segment
    extract_table = pytest.importorskip("kpiscan.extract").extract_table

    def indicators(path: Path) -> list[tuple[str, ...]]:
        doc = read_document(path)
        return [
            (i.period, i.project, i.level1, i.level2, i.name, i.value)
            for table in segment(doc)
            for i in extract_table(table)[0]
        ]

    lines = corpus_table()
    text = tmp_path / "table.txt"
    text.write_text("\n".join(lines), encoding="utf-8")
    expected = indicators(text)
    assert len(expected) >= 10
    assert indicators(write_as(fmt, lines, tmp_path / f"table.{fmt}")) == expected


def test_html_rows_without_table_and_nested_tables(tmp_path: Path) -> None:
    path = tmp_path / "loose.html"
    path.write_text(
        "<p>标题</p>\n<tr><td>项目名称</td><td>甲</td></tr>\n"
        "<table><tr><td>外</td><td>a<table><tr><td>内</td></tr></table>b</td></tr></table>\n",
        encoding="utf-8",
    )
    doc = read_html(path)
    assert [(l.number, l.cells) for l in doc.lines] == [
        (1, ("标题",)),
        (2, ("项目名称", "甲")),
        (3, ("外", "ab")),
        (3, ("内",)),
    ]
