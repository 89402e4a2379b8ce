"""The reports: the xlsx re-opened with openpyxl, the HTML files and their links, the CLI command."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kpiscan.model import Target
from kpiscan.report import XLSX_NAME, write_report
from kpiscan.report.charts import hbars, stacked_hbars, vbars
from kpiscan.report.facts import score_histogram
from kpiscan.report.html import page_name
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
    assert (out / "static" / "report.css").exists() and (out / "static" / "report.js").exists()


def test_xlsx_sheets_header_and_highlights(constructed):
    out, _ = constructed
    wb = load_workbook(out / XLSX_NAME)
    assert wb.sheetnames == ["指标 Indicators", "发现 Findings", "评分 Scores", "文档 Documents"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref
        assert ws["A1"].font.bold and ws["A1"].font.name == "Microsoft YaHei"
    ws = wb["指标 Indicators"]
    header = [c.value for c in ws[1]]
    col = {h.split()[-1]: i for i, h in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == 9
    flagged = [r for r in rows if r[col["flagged"]].value == "是"]
    assert [r[col["name"]].value for r in flagged] == ["群众获得感"]
    fill = flagged[0][0].fill.start_color.rgb
    assert fill.endswith("F4CCCC")
    assert flagged[0][col["reasons"]].value == "vague-direction-word"
    assert flagged[0][col["line"]].value == 62
    assert flagged[0][col["name"]].alignment.wrap_text
    # a row with a finding but no flag: yellow; a sound row: no fill
    by_name = {(r[col["table"]].value, r[col["name"]].value): r for r in rows}
    cost = by_name[(2, "项目总成本")]
    assert "cost-exceeds-funding" in cost[col["findings"]].value
    assert cost[0].fill.start_color.rgb.endswith("FFF2CC")
    assert by_name[(1, "申报项目数量")][0].fill.fill_type is None
    assert ws.column_dimensions["J"].width >= 30  # the 三级指标 name column


def test_xlsx_findings_and_scores(constructed):
    out, written = constructed
    wb = load_workbook(out / XLSX_NAME)
    codes = {r[3] for r in wb["发现 Findings"].iter_rows(min_row=2, values_only=True)}
    assert {"cost-exceeds-funding", "flagged-share"} <= codes
    scores = list(wb["评分 Scores"].iter_rows(min_row=2, values_only=True))
    assert [s[7] for s in scores] == [s.score for s in written["review"].tables]
    assert scores[0][7] == 100.0 and scores[1][7] < 100


def test_html_pages_link_to_existing_files(constructed):
    out, _ = constructed
    pages = [out / "index.html", *sorted((out / "docs").glob("*.html"))]
    for page in pages:
        for link in _LINK.findall(page.read_text(encoding="utf-8")):
            assert not link.startswith(("http:", "https:", "//")), f"{page.name} loads {link} from the network"
            target = (page.parent / unquote(link)).resolve()
            assert target.exists(), f"{page.name} links to missing {link}"


def test_document_page_shows_both_halves_findings_and_score(constructed):
    out, written = constructed
    html = (out / "docs" / page_name("t.txt")).read_text(encoding="utf-8")
    assert html.count('class="kpi-table"') == 2
    assert "群众获得感" in html and "vague-direction-word" in html
    assert 'class="weak"' in html  # the flagged row is highlighted
    assert "cost-exceeds-funding" in html and "400,000" in html
    assert "实施期" in html and "年度目标" in html
    assert 'id="t2-L62"' in html  # the source line anchors each row


def test_index_has_charts_and_document_links(constructed):
    out, _ = constructed
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count('<svg class="chart"') == 6
    assert f'href="docs/{page_name("t.txt")}"' in html
    assert "明显提升" in html  # the vague-terms chart


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
