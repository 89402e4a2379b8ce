"""DIR/index.html (corpus overview with charts) and DIR/docs/<doc>.html (each table as reviewers
know it: header fields, both halves side by side, weak rows highlighted, findings, score).

Static and offline: jinja2 templates, charts as inline SVG, one small bundled stylesheet and
script copied to DIR/static/. Every page records script errors into its <body> attributes
(data-js-errors) so a headless browser test can see them without a DevTools connection.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..constants import HALVES, fund_keys, fund_names
from ..model import Indicator, TableBlock
from ..review import criteria, rules
from ..review.findings import criteria_en
from . import charts
from .facts import (
    LABELS,
    Facts,
    department_by_table,
    finding_counts,
    flagged_share_by,
    labels_per_level2,
    score_histogram,
    vague_terms,
)

HERE = Path(__file__).parent
HEADER_KEYS = ("项目名称", "部门名称", "主管部门", "实施单位", "项目属性", "项目期", "填报日期")
TEXT_KEYS = ("项目概况", "立项依据", "项目设立必要性", "保证项目实施的制度、措施", "项目实施计划", "部门职责", "部门战略目标")
FUND_KEYS = fund_keys()
FUND_NAMES = {"total": fund_names()["total"]}


def page_name(doc: str) -> str:
    """The file of a document's page inside DIR/docs/ (the doc's base name + .html)."""
    return doc.replace("/", "_") + ".html"


def page_href(doc: str) -> str:
    return "docs/" + quote(page_name(doc))


@dataclass
class GridRow:
    """One printed row of a table: the implementation and annual cells that share a source line."""

    line: int
    level1: str
    level2: str
    implementation: Indicator | None = None
    annual: Indicator | None = None
    codes: list[str] = field(default_factory=list)
    show_level1: bool = True
    show_level2: bool = True

    @property
    def reasons(self) -> list[str]:
        """The classifier's reason codes of both halves, each once."""
        both = [r for i in (self.implementation, self.annual) if i is not None for r in i.reasons]
        return list(dict.fromkeys(both))

    @property
    def weak(self) -> bool:
        return any(i is not None and i.flagged for i in (self.implementation, self.annual))


def grid(facts: Facts, indicators: list[Indicator]) -> list[GridRow]:
    rows: list[GridRow] = []
    open_by_line: dict[int, GridRow] = {}
    for ind in indicators:
        row = open_by_line.get(ind.line)
        if row is None or getattr(row, ind.period) is not None:
            row = GridRow(line=ind.line, level1=ind.level1, level2=ind.level2, codes=[])
            rows.append(row)
            open_by_line[ind.line] = row
        setattr(row, ind.period, ind)
        row.codes += [c for c in facts.line_codes(ind) if c not in row.codes]
    rows.sort(key=lambda r: r.line)
    previous: list[GridRow | None] = [None, *rows]
    for prev, row in zip(previous, rows):
        row.show_level1 = prev is None or prev.level1 != row.level1
        row.show_level2 = prev is None or row.show_level1 or prev.level2 != row.level2
    return rows


def funds_rows(table: TableBlock) -> list[tuple[str, float | None, float | None]]:
    impl, annual = table.funds.get("implementation", {}), table.funds.get("annual", {})
    keys = [k for k in FUND_KEYS if k in impl or k in annual]
    return [(FUND_NAMES.get(k, k), impl.get(k), annual.get(k)) for k in keys]


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = lambda v: "" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".")
    env.filters["pct"] = lambda v: f"{100 * v:.0f}%"
    env.globals.update(criteria=criteria, criteria_en=criteria_en(), rules=rules(), page_href=page_href)
    return env


def copy_static(out: Path) -> None:
    (out / "static").mkdir(parents=True, exist_ok=True)
    for f in (HERE / "static").iterdir():
        if f.is_file():
            shutil.copyfile(f, out / "static" / f.name)


def write_document_pages(facts: Facts, out: Path, env: Environment | None = None) -> list[Path]:
    env = env or _env()
    template = env.get_template("doc.html")
    (out / "docs").mkdir(parents=True, exist_ok=True)
    departments = department_by_table(facts.tables)
    scores = {(s.doc, s.table): s for s in facts.review.tables}
    written = []
    for doc in facts.docs:
        tables = []
        for t in facts.tables_of(doc):
            inds = facts.indicators_of(doc, t.index)
            tables.append(dict(
                table=t, department=departments[(t.doc, t.index)], score=scores[(t.doc, t.index)],
                rows=grid(facts, inds), halves=[h for h in HALVES if any(i.period == h for i in inds)] or ["annual"],
                findings=facts.review.findings_of(doc, t.index), funds=funds_rows(t),
                funds_impl="implementation" in t.funds,
                header=[(k, t.fields[k]) for k in HEADER_KEYS if t.fields.get(k)],
                texts=[(k, t.fields[k]) for k in TEXT_KEYS if t.fields.get(k)],
                goals=(t.fields.get("总体目标_implementation", ""), t.fields.get("总体目标_annual", "")),
                n_flagged=sum(i.flagged for i in inds),
            ))
        path = out / "docs" / page_name(doc)
        path.write_text(template.render(doc=doc, doc_score=facts.review.document(doc), tables=tables,
                                        root="../"), encoding="utf-8")
        written.append(path)
    return written


def overview_charts(facts: Facts) -> dict[str, object]:
    inds = facts.indicators
    departments = department_by_table(facts.tables)
    by_doc = flagged_share_by(inds, lambda i: i.doc)
    by_dept = flagged_share_by(inds, lambda i: departments.get((i.doc, i.table), "(未注明)"))
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    per_level2 = labels_per_level2(inds)
    segments = [l for l in (*LABELS, "unlabelled") if any(l in c for _, c in per_level2)]
    return {
        "labels_per_level2": charts.stacked_hbars(per_level2, segments, "labels per level2 / 各二级指标的可衡量性"),
        "flagged_by_doc": charts.hbars([(s.key, s.share) for s in by_doc], "flagged share per document", pct, 1.0,
                                       label_w=230),
        "flagged_by_department": charts.hbars([(s.key, s.share) for s in by_dept[:25]],
                                              "flagged share per department", pct, 1.0, label_w=230),
        "scores": charts.vbars(score_histogram([s.score for s in facts.review.tables]), "table scores"),
        "vague_terms": charts.hbars(vague_terms(inds), "most common vague terms"),
        "findings": charts.hbars(finding_counts(facts.review.findings), "findings per code", label_w=250),
        "by_doc": by_doc,
        "by_dept": by_dept,
    }


def write_index(facts: Facts, out: Path, problems: list[str] | None = None, env: Environment | None = None) -> Path:
    env = env or _env()
    inds = facts.indicators
    labelled = [i for i in inds if i.label is not None]
    tables = facts.review.tables
    summary = dict(
        documents=len(facts.docs), tables=len(facts.tables), indicators=len(inds),
        flagged=sum(i.flagged for i in labelled), labelled=len(labelled),
        mean_score=round(sum(s.score for s in tables) / len(tables), 1) if tables else None,
        findings=len(facts.review.findings),
    )
    path = out / "index.html"
    path.write_text(env.get_template("index.html").render(
        summary=summary, documents=facts.review.documents, charts=overview_charts(facts),
        problems=problems or [], root="",
    ), encoding="utf-8")
    return path


def write_html(facts: Facts, out: Path, problems: list[str] | None = None) -> dict[str, object]:
    env = _env()
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    pages = write_document_pages(facts, out, env)
    index = write_index(facts, out, problems, env)
    return {"index": index, "docs": pages}
