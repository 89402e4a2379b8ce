"""Find the 绩效目标表 blocks of a document and parse their header fields.

A logical table starts at its 项目名称 row (department tables: at their title) and ends at its
footer (负责人/填报日期), at the next table, or at the next section heading. A block whose 项目名称
repeats the previous table's is that table continued on another page, unless both blocks carry a
footer of their own (two complete tables that merely share a name stay separate), or the previous
block stops before its footer and the new one starts the table again (`restarts`: other fund
amounts, or indicator rows the table has already read): the previous one was cut off, a truncated
table (extract.check_extracted reports it), and the new block is a table of its own.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from itertools import compress, count, repeat
from operator import and_, or_
from typing import Callable, Iterator, NamedTuple

from .constants import HALVES, fund_keys
from .errors import InputError
from .layout import (
    field_key,
    is_column_header,
    is_footer_row,
    is_half_caption,
    is_indicator_header,
    is_noise,
    level1_of,
    level2_of,
    norm,
    plain_text,
    title_kind,
)
from .model import Document, Line, TableBlock
from .patterns import cached_compile, cached_re
from .templates import block_words

Cells = tuple[str, ...]  # a row's non-empty cells (`_cells`)

_HEADING_STARTS = frozenset("#一二三四五六七八九十第")  # the characters a _SECTION_HEADING starts with
# "601-晋城…", and "604侯马…" as OCR reads it when the thin dash is lost
_DEPT_CODE = cached_compile(r"^\s*\d+\s*(?:[-－—]\s*|(?=\p{Han}))")
# The per-row patterns below are `re`, not `regex`: each is matched on a row's or a cell's text
# thousands of times a document, and `re`'s call costs ~1,900 instructions less (fifteenth round).
# Their texts are `norm` forms (no whitespace); `re`'s \d is the digits int() and float() read
# (the regex module's newer tables know digits Python 3.11 does not, which int() refused).
_NUMBER = re.compile(r"^[-+]?\d[\d,，]*(\.\d+)?$")
_FILL_DATE = re.compile(r"^\d{8,14}$")
# the caption under a title: "(2024年度)", "（2024）年度"
_TABLE_YEAR = re.compile(r"^[(（]?(20\d\d)[)）]?年度?[)）]?$")
_FUND_KEYS = frozenset(fund_keys())
_HALVES = HALVES


class State(StrEnum):
    """Where the segmenter stands in a document."""

    __hash__ = str.__hash__  # Enum's own hash is a Python call: these key dicts on every line

    SEEKING = "seeking"  # no table open yet
    HEADER = "header"  # a table's header fields (项目名称 … 总体目标)
    BODY = "body"  # its indicator rows
    CLOSED = "closed"  # after its footer, a heading or prose; a continuation page may reopen it


class Event(StrEnum):
    """What a line is, decided in this order (the first that holds)."""

    __hash__ = str.__hash__

    NOISE = "noise"  # empty, a watermark, a page number, mojibake
    YEAR = "year"  # "(2024年度)" under a title
    TITLE_DEPARTMENT = "title-department"  # …整体支出绩效目标(申报)表
    TITLE_PROJECT = "title-project"  # …项目支出绩效目标表, …资金绩效目标表
    NAME_ROW = "name-row"  # 项目名称 | 聘用律师费, headed by a title or followed by header fields
    FOOTER = "footer"  # 负责人 | 经办人 | 填报日期
    CAPTION = "caption"  # 一级指标 | 二级指标 | 三级指标 | 指标值
    END_TEXT = "end-text"  # a section heading or running prose
    FILL_DATE = "fill-date"  # a lone 20240302171549
    ROW = "row"  # anything else: a header field row or an indicator row


@dataclass
class _Open:
    """The table being built, with the segmenter's state for it."""

    table: TableBlock
    state: State = State.HEADER
    money_scale: float = 1.0
    half_captions: set[str] = field(default_factory=set)  # 实施期目标 / 年度目标 seen in the header
    row_keys: set[tuple[str, ...]] = field(default_factory=set)  # row_key of body[:keyed] (asked for by restarts)
    keyed: int = 0
    body_cells: list[Cells] = field(default_factory=list)  # the _cells of each table.body line

    def add_row(self, line: Line, cells: Cells) -> None:
        """A body line (`cells`: its _cells) of the table."""
        self.table.body.append(line)
        self.body_cells.append(cells)

    def read_rows(self) -> set[tuple[str, ...]]:
        """The row_key of every body row so far (each row keyed once, however often asked)."""
        self.row_keys.update(row_key(cells) for cells in self.body_cells[self.keyed :])
        self.keyed = len(self.body_cells)
        return self.row_keys


# Unicode's White_Space, the regex module's \s (re's \s also holds U+001C-U+001F): spelt out, so
# that `re` matches what `regex.compile(r"^([^:：]{2,16})[:：]\s*(\S.*)$")` matched (tests compare)
_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# (read back from the machine's copy: compiling the heading's CJK classes, re builds a 65,536-entry
# map in Python, ~4 M instructions of every scanning process's start)
_SECTION_HEADING = cached_re(rf"^(#{{1,6}}[{_WHITE_SPACE}]|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+部分)")
_CAPTION_COLON = cached_re(rf"^([^:：]{{2,16}})[:：][{_WHITE_SPACE}]*([^{_WHITE_SPACE}].*)$")


def _cells(line: Line) -> Cells:
    """The non-empty cells; a caption printed with its value in one cell ("项目名称：聘用律师费")
    is split into the two cells other layouts print."""
    filled = tuple(filter(None, line.cells))
    return _split_captions(filled) if _has_colon("".join(filled)) else filled


def _has_colon(text: str) -> bool:
    return "：" in text or ":" in text


def _split_captions(filled: Cells) -> Cells:
    """`_cells` of a row whose non-empty cells `filled` hold a colon."""
    out: list[str] = []
    for cell in filled:
        m = _CAPTION_COLON.match(cell) if _has_colon(cell) else None
        if m and field_key(m.group(1)):
            out += [m.group(1), m.group(2)]
        else:
            out.append(cell)
    return tuple(out)


_NOTE = cached_compile(r"^(注|说明|备注|附件\d*)[:：]")  # "附件:" under a web page's table: its attachments
_NOTE_STARTS = frozenset("注说备附")  # the characters a _NOTE starts with
_PROSE_MIN = 30  # characters: longer than any 三级 name printed alone on a line


def is_end_text(text: str) -> bool:
    """The text of a one-cell row that ends a table: a section heading ("三、…", "## …", "第二部分"),
    or running text (a note, a paragraph: no cell separators at all)."""
    text = text.strip()
    if text[:1] in _HEADING_STARTS and _SECTION_HEADING.match(text):
        return True
    if "\t" in text or text.startswith("|"):
        return False
    return len(text) >= _PROSE_MIN or (text[:1] in _NOTE_STARTS and bool(_NOTE.match(text)))


def parse_money(text: str, scale: float = 1.0) -> float | None:
    t = norm(text).replace("，", ",")
    if not _NUMBER.match(t):
        return None
    return round(float(t.replace(",", "")) * scale, 2)


def _caption_value_pairs(cells: Cells, keys: list[str | None]) -> list[tuple[str, str]]:
    """(key, value) pairs of a header row (`keys`: field_key of each cell): each caption takes the
    next non-caption cell."""
    pairs: list[tuple[str, str]] = []
    n = len(cells)
    i = 0
    while i < n:
        key = keys[i]
        if key is None:
            i += 1
        elif i + 1 < n and keys[i + 1] is None:
            pairs.append((key, cells[i + 1]))
            i += 2
        else:
            pairs.append((key, ""))
            i += 1
    return pairs


def _read_halves(open_: _Open, cells: Cells) -> None:
    """The half captions (实施期目标 / 年度目标) of a header line, and the periods they announce."""
    table = open_.table
    halves = set(map(norm, filter(is_half_caption, cells)))
    open_.half_captions |= halves
    if len(halves) >= 2:
        # a row of column captions (实施期目标 | 年度目标), not a caption and its prose
        table.half_captions = tuple(sorted(set(table.half_captions) | halves))
    if table.kind == "project" and table.pages == 1:  # (half_captions change only here)
        # a table that announces only 年度目标 has one half, the annual one
        two = any(c.startswith("实施期") for c in open_.half_captions)
        table.periods = ("implementation", "annual") if two else ("annual",)


def _parse_header_row(open_: _Open, cells: Cells) -> None:
    """A header line's fields; `cells`: the line's _cells."""
    table = open_.table
    if not cells:
        return
    if any(map(is_half_caption, cells)):  # (most header rows hold no 实施期目标 / 年度目标)
        _read_halves(open_, cells)
    keys = list(map(field_key, cells))
    first_key = keys[0]
    if first_key == "项目资金" and "万元" in norm(cells[0]):
        open_.money_scale = 1e4
    if first_key in ("总体目标",) and len(cells) > 1:
        goals = cells[1:]
        if table.periods == ("annual",):
            table.fields.setdefault("总体目标_annual", goals[0])
        else:
            table.fields.setdefault("总体目标_implementation", goals[0])
            table.fields.setdefault("总体目标_annual", goals[1] if len(goals) > 1 else goals[0])
        return
    seen_funds = 0
    for key, value in _caption_value_pairs(cells, keys):
        if key in _FUND_KEYS:
            half = _HALVES[min(seen_funds, 1)]
            seen_funds += 1
            money = parse_money(value, open_.money_scale)
            table.funds.setdefault(half, {}).setdefault(key, money)
        elif key in ("项目资金",):
            continue
        elif value and key not in table.fields:
            table.fields[key] = value
    if table.kind == "department" and norm(cells[0]) == "合计" and len(cells) > 1:
        # 年度预算情况: "合计 | 11997.57 | 合计 | 11997.57", in 万元
        money = parse_money(cells[1], 1e4)
        table.funds.setdefault("annual", {}).setdefault("total", money)


def _department_cell(cells: Cells) -> str:
    for caption, value in zip(cells, cells[1:]):
        if field_key(caption) == "部门名称":
            return value
    return ""


def _department_name(text: str) -> str:
    return _DEPT_CODE.sub("", text).strip()


def _parse_footer(table: TableBlock, cells: Cells) -> None:
    for i, c in enumerate(cells):
        if norm(c).startswith("填报日期"):
            rest = [x for x in cells[i + 1 :] if _FILL_DATE.match(norm(x))]
            if rest:
                table.fields.setdefault("填报日期", norm(rest[0]))


def _is_name_row(cells: Cells) -> bool:
    """项目名称 | its name (not the caption row of an export whose first column is 项目名称)."""
    return bool(cells) and field_key(cells[0]) == "项目名称" and not is_indicator_header(cells)


class Block(NamedTuple):
    """What the segmenter knows ahead about the block a 项目名称 row heads."""

    headed: bool  # a 绩效目标表 header: a title above it, or header fields (主管部门/实施单位/项目属性) under it
    footer: bool  # the block reaches a footer (负责人/填报日期) before the next table
    head: tuple[tuple[str, ...], ...] = ()  # the cells of its header rows (the name row first), to its indicator rows
    rows: frozenset[tuple[str, ...]] = frozenset()  # row_key of its first RESTART_ROWS indicator rows


HEAD_ROWS = 40  # header rows of a block kept to compare with the table it may continue
RESTART_ROWS = 3  # indicator rows of a block compared with the rows its table has read


def row_key(cells: Cells) -> tuple[str, ...]:
    """An indicator row as compared across pages: its cells without 一级/二级 labels (a page may
    print a merged label again or not), empty when no cell holds a letter (a row of numbers)."""
    key = tuple(norm(c) for c in cells if c and not (level1_of(c) or level2_of(c)))
    return key if any(_LETTER.search(k) for k in key) else ()


_LETTER = cached_compile(r"\p{L}")


# A row as both passes of `segment` read it: (line, its `_cells`, field_key of its first cell).
# Its facts (the events that hold for it, FACTS bits) are kept beside it, in a list of ints.
Row = tuple[Line, Cells, str | None]

# One bit per event a row is tested for, in Event order (NOISE lines are no rows; ROW: none holds).
FACTS: tuple[Event, ...] = tuple(e for e in Event if e not in (Event.NOISE, Event.ROW))
_F_YEAR, _F_TITLE_DEPARTMENT, _F_TITLE_PROJECT, _F_NAME_ROW, _F_FOOTER, _F_CAPTION, _F_END_TEXT, _F_FILL_DATE = (
    1 << FACTS.index(e) for e in (
        Event.YEAR, Event.TITLE_DEPARTMENT, Event.TITLE_PROJECT, Event.NAME_ROW, Event.FOOTER, Event.CAPTION,
        Event.END_TEXT, Event.FILL_DATE,
    )
)
_F_NAME = 1 << len(FACTS)  # a 项目名称 row (_is_name_row); NAME_ROW once a title or header fields head it
_EVENTS = (_F_NAME << 1) - 1  # the bits line_event reads
# FOOTER and CAPTION are tested on a row when a state or a block's read-ahead first asks (most rows
# of a budget disclosure lie outside any 绩效目标表 and are never asked): these bits say they were
_F_FOOTER_TESTED, _F_CAPTION_TESTED = _F_NAME << 1, _F_NAME << 2
# whether a row is noise (`is_noise` of its line: page furniture, mojibake) is asked the same way,
# where a state or a block's neighbours read it (most rows lie in stretches no state reads): a noise
# row is no row, skipped wherever rows are walked (`_noise`)
_F_NOISE_TESTED, _F_NOISE = _F_NAME << 3, _F_NAME << 4
_TITLE_BITS = {"department": _F_TITLE_DEPARTMENT, "project": _F_TITLE_PROJECT}  # by title_kind
_NEXT_TABLE = _F_NAME | _F_TITLE_DEPARTMENT | _F_TITLE_PROJECT  # where a block's read-ahead stops


def row_facts(line: Line, cells: Cells, key: str | None) -> int:
    """The events that hold for a row (`cells`: its _cells, `key`: field_key(cells[0])), as FACTS
    bits, but FOOTER and CAPTION (`tested_facts`), each tested once per row whatever the state."""
    first = cells[0]
    n = len(cells)
    facts = 0
    if n <= 2:  # a year caption or a title stands alone (a title may have a blank beside it)
        if n == 1:  # (each regex tried only where its pattern can start: "年" in a year caption)
            key1 = norm(first)
            if "年" in key1 and _TABLE_YEAR.match(key1):
                facts = _F_YEAR
            if key1[:1].isdecimal() and _FILL_DATE.match(key1):
                facts |= _F_FILL_DATE
            if is_end_text(line.text):
                facts |= _F_END_TEXT
        kind = title_kind(first)
        if kind is not None:
            facts |= _TITLE_BITS[kind]
    if key == "项目名称" and _is_name_row(cells):
        facts |= _F_NAME
    return facts


def _having(facts: list[int], bits: int) -> Iterator[int]:
    """The indices of the rows whose facts hold any of `bits`, in order (one C-level pass)."""
    return compress(count(), map(and_, facts, repeat(bits)))


def _noise(rows: list[Row], facts: list[int], j: int) -> bool:
    """Whether rows[j] is noise (is_noise of its line), tested once per row, when first asked."""
    f = facts[j]
    if not f & _F_NOISE_TESTED:
        text = rows[j][0].text
        # (is_noise's first test asked here: most lines end there, no call)
        f |= _F_NOISE_TESTED | (_F_NOISE if not plain_text().match(text) and is_noise(text) else 0)
        facts[j] = f
    return bool(f & _F_NOISE)


def _neighbours(rows: list[Row], facts: list[int], i: int, step: int, k: int) -> list[int]:
    """The indices of the (at most) k rows nearest rows[i] that are no noise, going by `step` (-1:
    those before it, nearest first; 1: those after it)."""
    out: list[int] = []
    j, n = i + step, len(rows)
    while 0 <= j < n and len(out) < k:
        if not _noise(rows, facts, j):
            out.append(j)
        j += step
    return out


def tested_facts(rows: list[Row], facts: list[int], j: int, tested: int) -> int:
    """facts[j], with FOOTER and CAPTION tested on rows[j] where `tested` asks and not done yet
    (`tested`: _F_FOOTER_TESTED, _F_CAPTION_TESTED or both)."""
    f = facts[j]
    missing = tested & ~f
    if missing & _F_FOOTER_TESTED:
        f |= _F_FOOTER_TESTED | (_F_FOOTER if is_footer_row(rows[j][1]) else 0)
    if missing & _F_CAPTION_TESTED:
        f |= _F_CAPTION_TESTED | (_F_CAPTION if is_indicator_header(rows[j][0].cells) else 0)
    facts[j] = f
    return f


def line_event(facts: int, listens: frozenset[Event] = frozenset(Event)) -> Event:
    """The first event in Event order that holds for a row (`facts`: its FACTS bits) among those the
    current state listens to; ROW when none does."""
    return next((e for k, e in enumerate(FACTS) if facts >> k & 1 and e in listens), Event.ROW)


def line_events(listens: frozenset[Event]) -> list[Event]:
    """line_event(facts, listens) of every facts value 0.._EVENTS, in order: the event of the lowest
    FACTS bit set among those `listens` names (segment's tables, made at import: 4,096 line_event
    calls cost every scanning process ~20 M instructions)."""
    heard = sum(1 << k for k, e in enumerate(FACTS) if e in listens)
    return [FACTS[(m & -m).bit_length() - 1] if (m := facts & heard) else Event.ROW for facts in range(_EVENTS + 1)]


def _rows(lines: list[Line]) -> tuple[list[Row], list[int]]:
    """The lines that can be table rows, with their `_cells` and first field key, and their
    row_facts: not empty. Those that are noise (`_noise`, asked where a state or a neighbour reads
    them) are skipped in every state (TRANSITIONS: NOISE -> skip), so both passes of `segment`
    read the others."""
    rows: list[Row] = []
    facts: list[int] = []
    add_row, add_facts = rows.append, facts.append
    for line in lines:  # the one pass over all lines
        # _cells(line), inlined (one call less a line; tests/test_segment_rows.py checks it is _cells)
        cells = line.cells
        if not cells:
            continue
        filled = cells if "" not in cells else tuple(filter(None, cells))  # no copy of a full row
        joined = "".join(filled)
        if "：" in joined or ":" in joined:
            filled = _split_captions(filled)
        elif not joined:
            continue
        key = field_key(filled[0])
        add_row((line, filled, key))
        # row_facts: only a row of one or two cells, or a 项目名称 row, has any
        add_facts(row_facts(line, filled, key) if len(filled) <= 2 or key == "项目名称" else 0)
    return rows, facts


def _block_facts(rows: list[Row], facts: list[int]) -> dict[int, Block]:
    """For each 项目名称 row: the Block it heads (`rows`, `facts`: `_rows` of the document).

    A 项目名称 row heads a 绩效目标表 when a title precedes it or the next rows are its header
    fields (主管部门/实施单位/项目属性); budget tables also have a 项目名称 column and are not.
    """
    blocks: dict[int, Block] = {}
    names = [i for i in _having(facts, _F_NAME) if not _noise(rows, facts, i)]
    for i in names:
        line, cells, _ = rows[i]
        before = [rows[k][1] for k in _neighbours(rows, facts, i, -1, 2)]  # the two rows above it, nearest first
        titled = bool(before) and len(before[0]) <= 2 and (
            title_kind(before[0][0]) == "project"
            or (len(before) > 1 and title_kind(before[1][0]) == "project" and len(before[0]) == 1)
        )
        # the header fields on the next rows, or beside the name on its own row
        # ("项目支出名称 | 雾炮车降尘抑尘服务 | 预算部门 | …")
        nxt = [rows[k][2] for k in _neighbours(rows, facts, i, 1, 3)] + [field_key(c) for c in cells[2::2]]
        headed = titled or any(k in ("主管部门", "实施单位", "项目属性") for k in nxt)
        # read ahead only under a headed block: an unheaded one (a budget table's 项目名称 column)
        # raises no NAME_ROW, so `name_row`, the one reader of a Block's other facts, never sees it
        blocks[line.number] = Block(headed, *_read_ahead(rows, facts, i)) if headed else Block(False, False)
    for i in names:  # NAME_ROW: a 项目名称 row whose block is headed
        if blocks[rows[i][0].number].headed:
            facts[i] |= _F_NAME_ROW
    return blocks


def _read_ahead(
    rows: list[Row], facts: list[int], i: int
) -> tuple[bool, tuple[tuple[str, ...], ...], frozenset[tuple[str, ...]]]:
    """From the 项目名称 row rows[i] to the next table: (a footer reached, the header rows up to
    HEAD_ROWS, the row_key of the first RESTART_ROWS indicator rows)."""
    head: list[Cells] = [rows[i][1]]
    keys: list[tuple[str, ...]] = []
    in_rows = False
    both = _F_FOOTER_TESTED | _F_CAPTION_TESTED
    n = len(rows)
    j = i + 1
    while j < n and len(keys) < RESTART_ROWS:
        if _noise(rows, facts, j):
            j += 1
            continue
        f = facts[j]
        if f & _NEXT_TABLE:
            return False, tuple(head), frozenset(keys)
        want = _F_FOOTER_TESTED if in_rows else both
        if want & ~f:
            f = tested_facts(rows, facts, j, want)
        if f & _F_FOOTER:
            return True, tuple(head), frozenset(keys)
        cells = rows[j][1]
        if in_rows:
            keys += [k for k in (row_key(cells),) if k]
        elif f & _F_CAPTION:
            in_rows = True
        elif _starts_indicator_rows(cells):  # rows printed without their caption row
            in_rows = True
            keys += [k for k in (row_key(cells),) if k]
        elif len(head) < HEAD_ROWS:
            head.append(cells)
        j += 1
    return _footer_ahead(rows, facts, j), tuple(head), frozenset(keys)  # only the footer is looked for now


def _footer_ahead(rows: list[Row], facts: list[int], start: int) -> bool:
    """A footer among rows[start:] before the next table."""
    for j in range(start, len(rows)):
        if _noise(rows, facts, j):
            continue
        f = facts[j]
        if f & _NEXT_TABLE:
            return False
        if not f & _F_FOOTER_TESTED:
            f = tested_facts(rows, facts, j, _F_FOOTER_TESTED)
        if f & _F_FOOTER:
            return True
    return False


# a caption row opens a table on evidence when a 绩效目标 title stands this few lines above it
_EVIDENCE_LINES = 12


@dataclass
class _Segmenter:
    """The segmenter's state over one document; each action is one transition of the grammar."""

    doc: Document
    blocks: dict[int, Block]
    tables: list[TableBlock] = field(default_factory=list)
    footers: dict[int, bool] = field(default_factory=dict)  # table index -> one of its blocks had a footer
    current: _Open | None = None
    pending_title: tuple[int, str] | None = None
    title_year: int | None = None  # the year caption under the latest title

    @property
    def state(self) -> State:
        return State.SEEKING if self.current is None else self.current.state

    def start(self, kind: str, line: int, title: str) -> _Open:
        doc = self.doc
        table = TableBlock(doc=doc.name, index=len(self.tables) + 1, line=line, kind=kind, title=title, year=doc.year)
        if kind == "department":
            table.periods = ("annual",)
        self.tables.append(table)
        return _Open(table=table)

    def close(self, end: int) -> None:
        if self.current is not None and not self.current.table.end_line:
            self.current.table.end_line = end

    # -- actions: (self, line, cells) -> the next state --------------------------------------
    def skip(self, line: Line, cells: Cells) -> State:
        """Lines outside a table, and after a closed table, are not read."""
        return self.state

    def year(self, line: Line, cells: Cells) -> State:
        """"(2024年度)" under a title: the year of the table that follows (or of this department's)."""
        self.title_year = int(_TABLE_YEAR.match(norm(cells[0])).group(1))  # type: ignore[union-attr]
        if self.current is not None and self.current.table.kind == "department" and self.state == State.HEADER:
            self.current.table.year = self.title_year
        return self.state

    def department_title(self, line: Line, cells: Cells) -> State:
        """A department table starts at its title."""
        self.close(line.number - 1)
        self.current = self.start("department", line.number, cells[0])
        self.pending_title = None
        return State.HEADER

    def project_title(self, line: Line, cells: Cells) -> State:
        """A project title waits for its 项目名称 row (or caption row); it ends the rows before it."""
        self.pending_title = (line.number, cells[0])
        self.title_year = None
        return State.CLOSED if self.state == State.BODY else self.state

    def name_row(self, line: Line, cells: Cells) -> State:
        """项目名称 starts a project table, or continues the open one on a new page (same name,
        not both blocks with a footer of their own, and the new block does not start the open
        table again: see `restarts`)."""
        name = cells[1] if len(cells) > 1 and field_key(cells[1]) is None else ""
        block = self.blocks[line.number]
        has_footer = block.footer
        cur = self.current
        footed = cur is not None and self.footers.get(cur.table.index, False)
        if (
            cur is not None
            and cur.table.kind == "project"
            and norm(cur.table.project) == norm(name)
            and not (footed and has_footer)  # two complete namesakes
            and (footed or not restarts(cur, block))  # a table cut off, then started again
        ):
            cur.table.pages += 1
            self.footers[cur.table.index] = self.footers.get(cur.table.index, False) or has_footer
        else:
            self.close(line.number - 1)
            title = self.pending_title[1] if self.pending_title else ""
            self.current = cur = self.start("project", line.number, title)
            cur.table.year = self.title_year or self.doc.year
            cur.table.project = name
            cur.table.fields["项目名称"] = name
            self.footers[cur.table.index] = has_footer
        self.pending_title = None
        return State.HEADER

    def footer(self, line: Line, cells: Cells) -> State:
        """负责人 | 经办人 | 填报日期 closes the table."""
        table = self.current.table  # type: ignore[union-attr]
        _parse_footer(table, cells)
        table.has_footer = True
        table.end_line = line.number
        return State.CLOSED

    def fill_date(self, line: Line, cells: Cells) -> State:
        """A 填报日期 value printed on its own line after the footer."""
        table = self.current.table  # type: ignore[union-attr]
        if table.fields.get("填报日期") is None:
            table.fields["填报日期"] = norm(cells[0])
        return State.CLOSED

    def evidence(self, line: Line, cells: Cells) -> State:
        """A caption row a few lines under a 绩效目标 title opens a table without a 项目名称 row
        (system exports, forms whose project is a column)."""
        if self.pending_title is None or line.number - self.pending_title[0] > _EVIDENCE_LINES:
            return self.state
        self.close(line.number - 1)
        number, title = self.pending_title
        self.current = self.start("project", number, title)
        self.current.table.year = self.title_year or self.doc.year
        self.pending_title = None
        return self.body(line, cells)

    def body(self, line: Line, cells: Cells) -> State:
        """An indicator row (or the caption row) of the open table."""
        cur = self.current
        cur.add_row(line, cells)  # type: ignore[union-attr]
        cur.table.end_line = line.number  # type: ignore[union-attr]
        return State.BODY

    def end_text(self, line: Line, cells: Cells) -> State:
        """A heading or running prose after the rows ends the table."""
        self.close(line.number - 1)
        return State.CLOSED

    def header_row(self, line: Line, cells: Cells) -> State:
        """A header line: the department's name, header fields, or indicator rows printed without
        their caption row (a continuation page)."""
        cur = self.current
        table = cur.table  # type: ignore[union-attr]
        if table.kind == "department" and not table.project and _department_cell(cells):
            table.fields["部门名称"] = _department_cell(cells)
            table.project = _department_name(table.fields["部门名称"])
        elif _starts_indicator_rows(cells) or all(map(block_words().__contains__, map(norm, cells))):
            # indicator rows printed without their caption row (a continuation page), or a stacked
            # layout's block caption (长期绩效指标) on a line of its own above its caption row
            cur.add_row(line, cells)  # type: ignore[union-attr]
            return State.BODY
        else:
            _parse_header_row(cur, cells)  # type: ignore[arg-type]
        return State.HEADER

    def caption_in_header(self, line: Line, cells: Cells) -> State:
        """The caption row ends the header: the indicator rows follow."""
        self.current.add_row(line, cells)  # type: ignore[union-attr]
        return State.BODY


def restarts(open_: _Open, block: Block) -> bool:
    """A block under the same 项目名称 as an open table that stopped before its footer starts that
    table (or a namesake) again, rather than continuing it on a new page, when (in this order):

    1. other-funds: its header states a fund amount other than the table's
       (实施期资金总额 1,752,400 read, the new block says 22,580,000: another table of that name);
    2. rows-again: one of its first indicator rows repeats, cell for cell (一级/二级 labels
       aside), a row the table has already read (the same table printed again after a cut).

    A continuation page repeats the header as printed (a page may leave amounts blank) and goes on
    with rows not read yet, so neither holds for it.
    """
    return any(rule(open_, block) for _, rule in RESTART_RULES)


def _other_funds(open_: _Open, block: Block) -> bool:
    table = open_.table
    scratch = _Open(TableBlock(doc=table.doc, index=0, line=0, kind="project", title="", periods=table.periods))
    scratch.table.pages = table.pages
    for cells in block.head:
        _parse_header_row(scratch, cells)
    return any(
        money is not None and table.funds.get(half, {}).get(key) not in (None, money)
        for half, amounts in scratch.table.funds.items()
        for key, money in amounts.items()
    )


def _rows_again(open_: _Open, block: Block) -> bool:
    return bool(block.rows) and not block.rows.isdisjoint(open_.read_rows())


RESTART_RULES: list[tuple[str, Callable[[_Open, Block], bool]]] = [
    ("other-funds", _other_funds),
    ("rows-again", _rows_again),
]


_A = _Segmenter
# The grammar: (state, event) -> action; (None, event) holds in every state. A state does not test
# the events it has no transition for: its lines come as ROW (in HEADER a heading or a date is a
# header line; in BODY a repeated caption row is a row), other states skip them.
TRANSITIONS: dict[tuple[State | None, Event], Callable[[_Segmenter, Line, Cells], State]] = {
    (None, Event.NOISE): _A.skip,
    (None, Event.YEAR): _A.year,
    (None, Event.TITLE_DEPARTMENT): _A.department_title,
    (None, Event.TITLE_PROJECT): _A.project_title,
    (None, Event.NAME_ROW): _A.name_row,
    (State.SEEKING, Event.CAPTION): _A.evidence,
    (State.CLOSED, Event.CAPTION): _A.evidence,
    (State.CLOSED, Event.FILL_DATE): _A.fill_date,
    (State.HEADER, Event.FOOTER): _A.footer,
    (State.HEADER, Event.CAPTION): _A.caption_in_header,
    (State.HEADER, Event.ROW): _A.header_row,
    (State.BODY, Event.FOOTER): _A.footer,
    (State.BODY, Event.END_TEXT): _A.end_text,
    (State.BODY, Event.FILL_DATE): _A.body,
    (State.BODY, Event.ROW): _A.body,
}


# the events each state has a transition for (the others need not be tested on its lines)
LISTENS: dict[State, frozenset[Event]] = {
    state: frozenset(e for (s, e) in TRANSITIONS if s is None or s == state) for state in State
}


_Action = Callable[[_Segmenter, Line, Cells], State]
# TRANSITIONS as one lookup per (state, event), the events of any state first
_ACTIONS: dict[State, dict[Event, _Action]] = {
    state: {e: TRANSITIONS.get((None, e)) or TRANSITIONS.get((state, e), _Segmenter.skip) for e in Event}
    for state in State
}
# the events each state listens to while no title is pending: a caption row opens a table only
# under a title
_UNTITLED: dict[State, frozenset[Event]] = {
    s: LISTENS[s] - {Event.CAPTION} if s in (State.SEEKING, State.CLOSED) else LISTENS[s] for s in State
}
assert all(_ACTIONS[s][Event.NOISE] is _Segmenter.skip for s in State), "segment() reads only _rows"
# state -> (untitled, titled) -> (the facts tested on demand it listens to, a row's facts -> its
# action): line_event and _ACTIONS, looked up once per row
_STEPS: dict[State, tuple[tuple[int, list[_Action]], tuple[int, list[_Action]]]] = {
    s: tuple(  # type: ignore[misc]
        (
            (_F_FOOTER_TESTED if Event.FOOTER in listens[s] else 0) | (_F_CAPTION_TESTED if Event.CAPTION in listens[s] else 0),
            [_ACTIONS[s][e] for e in line_events(listens[s])],
        )
        for listens in (_UNTITLED, LISTENS)
    )
    for s in State
}


def _wakes(tests: int, actions: list[_Action]) -> int:
    """The FACTS bits on which a step (`tests`, `actions`: an entry of _STEPS) acts, when it is quiet:
    it tests nothing on demand and skips a row that has none of them (ROW: skip); else 0."""
    if tests or actions[0] is not _Segmenter.skip:
        return 0
    return sum(1 << k for k in range(len(FACTS)) if actions[1 << k] is not _Segmenter.skip)


# state -> (untitled, titled) -> its _wakes: SEEKING and CLOSED with no title pending are quiet (the
# rows of a budget table or prose outside any 绩效目标表: segment's loop goes on to the next row
# that wakes one, not row by row)
_QUIET: dict[State, tuple[int, int]] = {s: tuple(_wakes(*step) for step in _STEPS[s]) for s in State}  # type: ignore[misc]
_WAKES = reduce(or_, (w for pair in _QUIET.values() for w in pair))  # rows where a quiet step may act


def segment(doc: Document) -> list[TableBlock]:
    """The logical tables of a document, in order, with header fields and indicator-block rows."""
    rows, facts = _rows(doc.lines)  # the other lines, and rows that are noise, are skipped in every state
    seg = _Segmenter(doc, _block_facts(rows, facts))
    skip, seeking = _Segmenter.skip, State.SEEKING
    # the rows a quiet step acts on (facts gain only FOOTER, CAPTION and noise bits from here, which
    # no quiet step hears: it tests nothing on demand)
    wake = list(_having(facts, _WAKES))
    j, n = 0, len(rows)
    while j < n:
        cur = seg.current
        state, titled = cur.state if cur is not None else seeking, seg.pending_title is not None
        if _QUIET[state][titled]:  # every row up to the next in `wake` is skipped: go there
            k = bisect_left(wake, j)
            if k == len(wake):
                break
            j = wake[k]
        tests, actions = _STEPS[state][titled]
        f = facts[j]
        if not f & _F_NOISE_TESTED and _noise(rows, facts, j) or f & _F_NOISE:  # no row: skipped
            j += 1
            continue
        f = facts[j]
        if tests & ~f:
            f = tested_facts(rows, facts, j, tests)
        action = actions[f & _EVENTS]
        if action is not skip:  # (skip: the state stays)
            line, cells, _ = rows[j]
            new_state = action(seg, line, cells)
            if seg.current is not None:
                seg.current.state = new_state
        j += 1
    if seg.current is not None:
        seg.close(doc.lines[-1].number if doc.lines else 0)
    for table in seg.tables:
        table.fields.setdefault("项目名称", table.project)
    return seg.tables


def _starts_indicator_rows(cells: Cells) -> bool:
    """A row that can only be an indicator row: it carries a 一级 or 二级 category label."""
    if field_key(cells[0]) is not None or any(map(is_half_caption, cells)):
        return False
    head = cells[:4]
    return any(map(level1_of, head)) or any(map(level2_of, head)) or any(map(is_column_header, head))


def check_tables(doc: Document, tables: list[TableBlock]) -> list[InputError]:
    """Problems of a segmented document: raise when it has no 绩效目标表 at all; list each table
    that stops before any indicator row, and a last table cut off by the end of the file before
    its footer (truncated), so the other tables and rows are still reported."""
    if not tables:
        title = next((line for line in doc.lines if len(line.filled) <= 2 and line.filled and title_kind(line.filled[0][1])), None)
        if title is not None:
            raise InputError(
                doc.path,
                "a 绩效目标 title but no table under it: no 项目名称 row and no indicator caption row "
                "(一级指标 | 二级指标 | 三级指标 | 指标值) follows; 0 records",
                title.number,
            )
        raise InputError(doc.path, "no 绩效目标表 (project or department performance-target table) found")
    # the end of the file before a footer is checked after extraction (extract.check_extracted):
    # whether a table closes with a footer depends on its layout
    return [
        InputError(doc.path, f"truncated table: {t.project or t.title!r} has no indicator rows", t.line)
        for t in tables
        if not t.body
    ]
