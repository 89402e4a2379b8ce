"""Plain dataclasses that flow between the pipeline stages, each declared once.

The field names of `Indicator` and `Target` are the record contracts of docs/contracts.md: the
JSONL, CSV and Parquet writers, the evaluator and outside tools read them, so rename nothing here.
Each field carries its output metadata (`col(...)`: JSON key, flat column, Parquet type, xlsx
caption and width); `to_dict`, `from_dict`, the flat columns, the Parquet schema and the xlsx
columns are derived from it (kpiscan.schema). Adding an optional field is one line at the end of
its dataclass: `weight: float | None = col(None, "float64", caption="权重 weight", width=7)`.
Closed vocabularies (kind, op, period, label) are the StrEnums of kpiscan.constants.
"""
from __future__ import annotations

from dataclasses import dataclass

from .schema import Record, col, record


@dataclass(frozen=True, slots=True)
class Line:
    """One source line of a document, cells already split.

    `number` is the 1-based line in the source file (for PDF: a running row number, with `page`).
    `cells` are the cell texts in print order, whitespace-trimmed, HTML removed; an empty cell is "".
    """

    number: int
    text: str
    cells: tuple[str, ...]
    page: int | None = None
    confidence: float | None = None  # OCR: the lowest recognition confidence of the row's cells

    @property
    def filled(self) -> list[tuple[int, str]]:
        """(column, text) of the non-empty cells."""
        return [(i, c) for i, c in enumerate(self.cells) if c]


@dataclass(slots=True)
class Document:
    path: str
    name: str  # base name, the `doc` field of every record
    lines: list[Line]
    encoding: str = "utf-8"
    year: int | None = None  # the budget year (its "20XX年度"), when the document states one


@record
@dataclass(slots=True)
class Target(Record):
    """A normalised 指标值 (docs/contracts.md, Target)."""

    raw: str = col(type="string")
    kind: str = col(type="string", caption="值类型 target_kind", width=10)  # constants.TargetKind
    op: str | None = col(None, "string", caption="比较 op", width=6)  # constants.Op
    value: float | None = col(None, "float64", caption="数值 value", width=12)
    low: float | None = col(None, "float64")
    high: float | None = col(None, "float64")
    unit: str | None = col(None, "string", caption="单位 unit", width=7)
    per: list[str] = col(type="list<string>", factory=list)
    date: str | None = col(None, "string", caption="日期 date", width=10, derived=("day", "date32", "whole-date"))
    period: str | None = col(None, "string")
    text: str | None = col(None, "string")


@record
@dataclass(slots=True)
class TableBlock(Record):
    """One logical 绩效目标表 (continuation pages merged)."""

    doc: str
    index: int = col(key="table", type="int32")  # 1-based within the document
    line: int = col(key="table_line", type="int32")  # the first 项目名称 (department tables: the title)
    kind: str = col(type="string")  # constants.TableKind
    title: str = col(type="string")
    project: str = col("", "string")
    end_line: int = col(0, "int32")
    fields: dict[str, str] = col(type="json", factory=dict)  # header fields by canonical key
    funds: dict[str, dict[str, float | None]] = col(type="json", factory=dict)  # half -> source -> 元
    year: int | None = col(None, "int32")
    body: list[Line] = col(key=None, factory=list)  # the indicator block rows, in order (serialize.py carries them)
    pages: int = col(1, "int32")  # physical pages merged into this logical table
    has_footer: bool = False  # its 负责人/填报日期 row was seen
    # the halves its indicator rows hold, left to right: a project table shows 实施期 and 年度
    # targets unless its header captions only name 年度目标; a department table, 年度 only
    periods: tuple[str, ...] = col(("implementation", "annual"), "list<string>")
    n_indicators: int = col(0, "int32")
    n_unparsed: int = col(0, "int32")
    layout: str = col("", "string")  # the template (lexicons/templates/<layout>.tsv) that read its caption row
    caption_line: int = col(0, "int32")  # the line of its first indicator caption row (0: none seen)
    unknown_captions: tuple[str, ...] = col((), "list<string>")  # captions of that row no template knows
    half_captions: tuple[str, ...] = col((), "list<string>")  # the 实施期目标 / 年度目标 column captions of its header


@record
@dataclass(slots=True)
class Indicator(Record):
    """One 三级指标 row of one half (docs/contracts.md, Indicator)."""

    doc: str = col(caption="文档 doc", width=16)
    table: int = col(type="int32", caption="表 table", width=6)
    table_line: int = col(type="int32", caption="表行 table_line", width=8)
    kind: str = col(caption="类型 kind", width=9)  # constants.TableKind
    project: str = col(caption="项目 project", width=28, wrap=True)
    period: str = col(caption="半表 period", width=13)  # constants.Half
    level1: str = col(caption="一级指标 level1", width=11)
    level2: str = col(caption="二级指标 level2", width=14)
    name: str = col(caption="三级指标 name", width=36, wrap=True)
    value: str = col(caption="指标值 value", width=22, wrap=True)
    line: int = col(type="int32", caption="源行 line", width=7)
    name_raw: str | None = col(None, "string")
    target: Target | None = col(None, flat_prefix="target_")
    label: str | None = col(None, "string", caption="标签 label", width=12)  # constants.Label
    flagged: bool = col(False, "bool", caption="存疑 flagged", width=8)
    reasons: list[str] = col(type="list<string>", factory=list, caption="原因 reasons", width=26, wrap=True)
    weight: float | None = col(None, "float64", caption="权重 weight", width=7)  # 权重/分值 where printed
    direction: str | None = col(None, "string", caption="指标方向 direction", width=9)  # positive / negative / qualitative
    standard: str | None = col(None, "string", caption="绩效标准 standard", width=20, wrap=True)  # 绩效标准/评分标准/指标解释/备注
    level2_source: str | None = col(None, "string")  # printed / inherited (carried down) / meaning (moved by a rule)
    # where a reviewer finds the row in the file they hold (docs/extraction.md "Pages"): the 1-based
    # page (PDF page, OCR page, workbook sheet; None for text, HTML, Word) and the row's rank among
    # the rows read from that page; `line` keeps the reader's running number
    page: int | None = col(None, "int32", caption="页 page", width=5)
    row: int | None = col(None, "int32", caption="页内行 row", width=7)
    source: str | None = col(None, "string")  # "ocr" for rows read by OCR from a scan or image
    confidence: float | None = col(None, "float64", caption="识别置信度 confidence", width=9)  # OCR: the row's weakest cell


@record
@dataclass(slots=True)
class Unparsed(Record):
    """Text inside a table block that could not be placed as an indicator: kept, never dropped."""

    doc: str
    table: int = col(type="int32")
    line: int = col(type="int32")
    text: str = col(type="string")
    reason: str = col(type="string")
    page: int | None = col(None, "int32")  # as Indicator.page
    row: int | None = col(None, "int32")  # as Indicator.row
    source: str | None = col(None, "string")  # "ocr"
    confidence: float | None = col(None, "float64")  # OCR: the row's weakest cell
