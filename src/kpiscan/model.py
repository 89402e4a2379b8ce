"""Plain dataclasses that flow between the pipeline stages.

The field names of `Indicator` and `Target` are the contracts of DESIGN.md 3.1 and 3.2: the JSONL,
CSV and Parquet writers, the evaluator and outside tools read them, so rename nothing here.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


@dataclass(slots=True)
class Target:
    """A normalised 指标值 (DESIGN.md 3.2)."""

    raw: str
    kind: str  # quantity / date / deadline / frequency / period / qualitative / empty
    op: str | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    per: list[str] = field(default_factory=list)
    date: str | None = None
    period: str | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies recursively and is slow for 10^5 records
        return {
            "raw": self.raw, "kind": self.kind, "op": self.op, "value": self.value, "low": self.low,
            "high": self.high, "unit": self.unit, "per": list(self.per), "date": self.date,
            "period": self.period, "text": self.text,
        }


@dataclass(slots=True)
class TableBlock:
    """One logical 绩效目标表 (continuation pages merged)."""

    doc: str
    index: int  # 1-based within the document
    line: int  # table_line: the first 项目名称 (department tables: the title)
    kind: str  # "project" / "department"
    title: str
    project: str = ""
    end_line: int = 0
    fields: dict[str, str] = field(default_factory=dict)  # header fields by canonical key
    funds: dict[str, dict[str, float | None]] = field(default_factory=dict)  # half -> source -> 元
    year: int | None = None
    body: list[Line] = field(default_factory=list)  # the indicator block rows, in order
    pages: int = 1  # physical pages merged into this logical table
    has_footer: bool = False  # its 负责人/填报日期 row was seen
    # the halves its indicator rows hold, left to right: a project table shows 实施期 and 年度
    # targets unless its header captions only name 年度目标; a department table, 年度 only
    periods: tuple[str, ...] = ("implementation", "annual")
    n_indicators: int = 0
    n_unparsed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "table": self.index,
            "table_line": self.line,
            "end_line": self.end_line,
            "kind": self.kind,
            "title": self.title,
            "project": self.project,
            "year": self.year,
            "pages": self.pages,
            "has_footer": self.has_footer,
            "periods": list(self.periods),
            "fields": dict(self.fields),
            "funds": {k: dict(v) for k, v in self.funds.items()},
            "n_indicators": self.n_indicators,
            "n_unparsed": self.n_unparsed,
        }


@dataclass(slots=True)
class Indicator:
    """One 三级指标 row of one half (DESIGN.md 3.1)."""

    doc: str
    table: int
    table_line: int
    kind: str
    project: str
    period: str  # "implementation" / "annual"
    level1: str
    level2: str
    name: str
    value: str
    line: int
    name_raw: str | None = None
    target: Target | None = None
    label: str | None = None
    flagged: bool = False
    reasons: list[str] = field(default_factory=list)
    # where a reviewer finds the row in the file they hold (docs/extraction.md "Pages"): the 1-based
    # page (PDF page, workbook sheet, Word: None) and the row's rank among the rows of that page;
    # `line` stays the reader's running number
    page: int | None = None
    row: int | None = None
    source: str | None = None  # "ocr" for records read from a scanned page or an image
    confidence: float | None = None  # OCR: the lowest recognition confidence of the row's cells

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "table": self.table,
            "table_line": self.table_line,
            "kind": self.kind,
            "project": self.project,
            "period": self.period,
            "level1": self.level1,
            "level2": self.level2,
            "name": self.name,
            "name_raw": self.name_raw,
            "value": self.value,
            "line": self.line,
            "target": self.target.to_dict() if self.target is not None else None,
            "label": self.label,
            "flagged": self.flagged,
            "reasons": list(self.reasons),
            "page": self.page,
            "row": self.row,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(slots=True)
class Unparsed:
    """Text inside a table block that could not be placed as an indicator: kept, never dropped."""

    doc: str
    table: int
    line: int
    text: str
    reason: str
    page: int | None = None
    row: int | None = None
    source: str | None = None
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Problem:
    """A file-level failure (unreadable, empty, no table, truncated table)."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"
