"""Plain dataclasses that flow between the pipeline stages, each declared once.

The field names of `Indicator` and `Target` are the record contracts of docs/contracts.md: the
JSONL, CSV and Parquet writers, the evaluator and outside tools read them, so rename nothing here.
Each field carries its output metadata (`col(...)`: JSON key, flat column, Parquet type, xlsx
caption and width); `to_dict`, `from_dict`, the flat columns, the Parquet schema and the xlsx
columns are derived from it (kpiscan.schema). Adding an optional field is one line at the end of
its dataclass: `weight: float | None = col(None, "float64", caption="权重 weight", width=7)`.
Closed vocabularies (kind, op, period, label) are the StrEnums of kpiscan.constants.

Target, Indicator and Unparsed, the records a scan writes as JSONL straight from the instances
(write.json_lines), keep their fields in the instance, not in slots: orjson writes an instance's
attributes in one pass, where a slotted one is read field by field through the class (and its
missing __dict__ raised and cleared each time): the encode of a copy of corpora/ ~92 M -> ~45 M
instructions. Python 3.11 keeps such an instance's values inline until its __dict__ is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

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

    def __init__(
        self, number: int, text: str, cells: tuple[str, ...], page: int | None = None, confidence: float | None = None
    ) -> None:
        # the frozen dataclass's own __init__ sets each field through object.__setattr__, twice the
        # cost; every reader makes one Line per source row: the slots are set directly (still frozen)
        _set_number(self, number)
        _set_text(self, text)
        _set_cells(self, cells)
        _set_page(self, page)
        _set_confidence(self, confidence)

    @property
    def filled(self) -> list[tuple[int, str]]:
        """(column, text) of the non-empty cells."""
        return [(i, c) for i, c in enumerate(self.cells) if c]


# Line.__init__ sets these slots, one per field in order (tests/test_read_text.py checks it against fields(Line))
_set_number, _set_text, _set_cells, _set_page, _set_confidence = (
    getattr(Line, name).__set__ for name in ("number", "text", "cells", "page", "confidence")
)


class _LineDraft:
    """A Line's slots in Line's order, without the frozen guard: `new_lines` fills one with plain
    slot stores (a frozen class's own stores go through a descriptor call each), then makes it
    the Line it holds (the same layout: CPython lets an object's class change between the two).
    No __init__: `new_lines` makes it bare (`object.__new__`) and stores the slots in its own frame
    (an __init__ was a second Python frame a line, through type_call's slot_tp_init)."""

    __slots__ = ("number", "text", "cells", "page", "confidence")
    number: int
    text: str
    cells: tuple[str, ...]
    page: int | None
    confidence: float | None


_bare_draft = object.__new__  # _bare_draft(_LineDraft): a draft with no slot set yet


def new_lines(texts: list[str], cells: list[tuple[str, ...]]) -> list[Line]:
    """`Line(number, text, cells)` of each line of a document, numbered from 1: the same frozen
    Lines, made at less than half the instructions and in one frame (a reader makes one per source
    row: read.text's Line.__init__ was ~4% of a copy's scan, a call a line ~0.7 k instructions).
    tests/test_read_text.py checks them against `Line(...)` on every line of corpora/."""
    lines: list[Line] = []
    add = lines.append
    for number, (text, row) in enumerate(zip(texts, cells), start=1):
        line = _bare_draft(_LineDraft)
        line.number = number
        line.text = text
        line.cells = row
        line.page = None
        line.confidence = None
        line.__class__ = Line  # type: ignore[assignment]
        add(line)  # type: ignore[arg-type]
    return lines


@dataclass(slots=True)
class Document:
    path: str
    name: str  # the `doc` of every record: the path relative to the scan root (the reader sets the base name)
    lines: list[Line]
    encoding: str = "utf-8"
    year: int | None = None  # the budget year (its "20XX年度"), when the document states one
    sha256: str | None = None  # first 16 hex digits of the sha256 of the file's bytes (the `doc_hash`)
    # what a reader could not read as text: (line, reason, text), kept as unparsed records
    notes: list[tuple[int, str, str]] = field(default_factory=list)
    # whether some line has a page or an OCR confidence (records then get theirs: pipeline.locate);
    # None: not said, the scan asks every line. The text reader, whose lines have neither, says False
    paged: bool | None = None


@record
@dataclass
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
    # issue 12 (docs/values.md): a number that moves against a baseline ("较上年增长5%": change
    # "increase", baseline "previous-year"); kind "relative" has a baseline and no number
    change: str | None = col(None, "string")  # constants.Change: increase / decrease
    baseline: str | None = col(None, "string")  # constants.Baseline
    # the further targets of a cell that prints several ("1600人、200人"), in print order; this
    # Target is the first of them; [] when the cell prints one. Flat: one JSON text.
    others: list[Target] = col(type="json", factory=list, items="Target")


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
    doc_hash: str | None = None  # first 16 hex digits of the sha256 of the document's bytes
    department: str | None = None  # 主管部门 as a reviewer names it (department_of)


@record
@dataclass
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
    id: str | None = None  # stable record id "doc#table/period/line/position" (record_id)
    doc_hash: str | None = None  # first 16 hex digits of the sha256 of the document's bytes
    department: str | None = None  # the table's 主管部门 without its code (department_of)
    year: int | None = col(None, "int32")  # the table's budget year
    # where a reviewer finds the row in the file they hold (docs/extraction.md "Pages"): the 1-based
    # page (PDF page, OCR page, workbook sheet; None for text, HTML, Word) and the row's rank among
    # the rows read from that page; `line` keeps the reader's running number
    page: int | None = col(None, "int32", caption="页 page", width=5)
    row: int | None = col(None, "int32", caption="页内行 row", width=7)
    source: str | None = col(None, "string")  # "ocr" for rows read by OCR from a scan or image
    confidence: float | None = col(None, "float64", caption="识别置信度 confidence", width=9)  # OCR: the row's weakest cell


@record
@dataclass
class Unparsed(Record):
    """Text inside a table block that could not be placed as an indicator: kept, never dropped."""

    doc: str
    table: int = col(type="int32")
    line: int = col(type="int32")
    text: str = col(type="string")
    reason: str = col(type="string")
    doc_hash: str | None = None
    page: int | None = col(None, "int32")  # as Indicator.page
    row: int | None = col(None, "int32")  # as Indicator.row
    source: str | None = col(None, "string")  # "ocr"
    confidence: float | None = col(None, "float64")  # OCR: the row's weakest cell


def department_of(table: TableBlock) -> str:
    """The 主管部门 as a reviewer names it: "601-晋城经济技术开发区管理委员会" -> the name."""
    text = table.fields.get("主管部门") or table.fields.get("部门名称") or (table.project if table.kind == "department" else "")
    head, _, tail = text.partition("-")
    return tail.strip() if tail and head.strip().isdigit() else text.strip()


def record_id(doc: str, table: int, period: str, line: int, position: int = 1) -> str:
    """The stable id of an indicator record: document, table, half, source line and its position
    among the records of that half and line ("budget/2024.txt#3/annual/120/1")."""
    return f"{doc}#{table}/{period}/{line}/{position}"


_ID = attrgetter("id")


def assign_ids(indicators: list[Indicator]) -> None:
    """Give every indicator without an id its `record_id` (position counted in list order).
    Records that all have theirs (a scan's, reviewed by the report) are left as they are without
    counting their positions (one C pass over their ids)."""
    if all(map(_ID, indicators)):
        return
    seen: dict[tuple[str, int, str, int], int] = {}
    for ind in indicators:
        key = (ind.doc, ind.table, ind.period, ind.line)
        seen[key] = seen.get(key, 0) + 1
        if ind.id is None:
            ind.id = record_id(ind.doc, ind.table, ind.period, ind.line, seen[key])
