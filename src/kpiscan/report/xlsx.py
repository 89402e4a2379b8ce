"""DIR/kpiscan-review.xlsx for reviewers: indicators (flagged rows filled, reasons and source line),
findings, scores per table and per document. Each sheet has a frozen, filtered header, column
widths that fit Chinese text, and a CJK font so Excel/WPS pick a face that has the glyphs."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter

from .. import schema
from ..model import Indicator
from ..review import criteria
from .facts import Facts, department_by_table

FONT_NAME = "Microsoft YaHei"
FLAGGED_FILL = PatternFill("solid", start_color="FFF4CCCC", end_color="FFF4CCCC")  # light red
FINDING_FILL = PatternFill("solid", start_color="FFFFF2CC", end_color="FFFFF2CC")  # light yellow
HEADER_FILL = PatternFill("solid", start_color="FF1F4E79", end_color="FF1F4E79")
SEVERITY_FILL = {"error": FLAGGED_FILL, "warning": FINDING_FILL}
BODY_FONT = Font(name=FONT_NAME, size=10)
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True, color="FFFFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

# (header, width in characters, wrap): the captions and widths declared on Indicator (kpiscan.schema),
# the table's department after the project, the finding codes of the row last
_DECLARED = schema.xlsx_columns(Indicator)
_AFTER_PROJECT = [c for c, *_ in _DECLARED].index("项目 project") + 1
INDICATOR_FIELDS = [c[3] for c in _DECLARED]
INDICATOR_COLUMNS = [
    *[c[:3] for c in _DECLARED[:_AFTER_PROJECT]], ("主管部门 department", 22, True),
    *[c[:3] for c in _DECLARED[_AFTER_PROJECT:]], ("发现 findings", 30, True),
]


def _style(wb: Workbook, wrap: bool, fill: PatternFill | None) -> str:
    """A named style per (wrap, fill): cells refer to it by name, which openpyxl writes far faster
    than a font, alignment and fill set on each of ~40,000 cells."""
    name = f"kpiscan-{'wrap' if wrap else 'top'}-{fill.start_color.rgb if fill else 'plain'}"
    if name not in wb.named_styles:
        style = NamedStyle(name=name, font=BODY_FONT, alignment=WRAP if wrap else TOP)
        if fill is not None:
            style.fill = fill
        wb.add_named_style(style)
    return name


def _sheet(wb: Workbook, title: str, columns: list[tuple[str, int, bool]], rows: list[list], fills: list | None = None):
    ws = wb.create_sheet(title)
    ws.append([c[0] for c in columns])
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
    for row in rows:
        ws.append(row)
    for idx, (_, width, _wrap) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    wraps = [c[2] for c in columns]
    for r_idx, row in enumerate(ws.iter_rows(min_row=2), start=0):
        fill = fills[r_idx] if fills else None
        names = [_style(wb, wrap, fill) for wrap in wraps]
        for cell, name in zip(row, names):
            cell.style = name
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    return ws


def indicator_rows(facts: Facts) -> tuple[list[list], list]:
    departments = department_by_table(facts.tables)
    rows, fills = [], []
    for i in facts.indicators:
        codes = facts.line_codes(i)
        flat = schema.flat_row(Indicator, i.to_dict(), lists="join")
        flat["flagged"] = "是" if i.flagged else ""
        flat["reasons"] = "; ".join(i.reasons)
        cells = [flat[c] for c in INDICATOR_FIELDS]
        rows.append([*cells[:_AFTER_PROJECT], departments.get((i.doc, i.table), ""), *cells[_AFTER_PROJECT:],
                     "; ".join(codes)])
        fills.append(FLAGGED_FILL if i.flagged else (FINDING_FILL if codes else None))
    return rows, fills


def write_xlsx(facts: Facts, path: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    rows, fills = indicator_rows(facts)
    _sheet(wb, "指标 Indicators", INDICATOR_COLUMNS, rows, fills)

    finding_columns = [
        ("文档 doc", 16, False), ("表 table", 6, False), ("项目 project", 28, True), ("代码 code", 30, False),
        ("严重度 severity", 9, False), ("准则 criterion", 13, False), ("扣分 points", 7, False),
        ("说明 message", 70, True), ("源行 lines", 16, True),
    ]
    projects = {(t.doc, t.index): t.project for t in facts.tables}
    found = facts.review.findings
    _sheet(wb, "发现 Findings", finding_columns, [
        [f.doc, f.table, projects.get((f.doc, f.table), ""), f.code, f.severity, f.criterion, f.points, f.message,
         ", ".join(map(str, f.lines))]
        for f in found
    ], [SEVERITY_FILL.get(f.severity) for f in found])

    crit = list(criteria())
    score_columns = [
        ("文档 doc", 16, False), ("表 table", 6, False), ("表行 table_line", 8, False), ("类型 kind", 9, False),
        ("项目 project", 30, True), ("主管部门 department", 22, True), ("年度 year", 7, False),
        ("得分 score", 8, False), *[(f"{c}", 10, False) for c in crit], ("指标数 indicators", 9, False),
        ("存疑数 flagged", 8, False), ("发现数 findings", 8, False), ("扣分明细 deductions", 50, True),
    ]
    _sheet(wb, "评分 Scores", score_columns, [
        [s.doc, s.table, s.table_line, s.kind, s.project, s.department, s.year, s.score,
         *[s.criteria[c] for c in crit], s.n_indicators, s.n_flagged, s.n_findings,
         "; ".join(f"{d.code} −{d.points:g}" for d in s.deductions)]
        for s in facts.review.tables
    ])

    doc_columns = [("文档 doc", 28, False), ("得分 score", 8, False), *[(c, 10, False) for c in crit],
                   ("表数 tables", 7, False), ("指标数 indicators", 9, False), ("存疑数 flagged", 8, False),
                   ("发现数 findings", 8, False)]
    _sheet(wb, "文档 Documents", doc_columns, [
        [d.doc, d.score, *[d.criteria[c] for c in crit], d.n_tables, d.n_indicators, d.n_flagged, d.n_findings]
        for d in facts.review.documents
    ])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
