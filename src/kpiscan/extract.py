"""Turn a table's indicator rows into `Indicator` records, as a careful reader would.

Converters shift cells left and right (merged cells), so positions are not trusted. Each row is
read as a sequence of tokens: category labels (一级 L1, 二级 L2), column captions, and text. A
project table row holds two halves (实施期 | 年度); a half is [L1] [L2] name value. The split
between the halves is found from the labels first (a 二级 label after some text opens the right
half), then from the text count, then from the header's column positions. 二级 labels carry down
the rows of their half until the next label; a label printed in one half of a row only governs both.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import chain
from typing import Callable, NamedTuple

from . import lexicon, templates
from .errors import InputError
from .layout import (
    CELL_TEXTS,
    MEMO_TEXTS,
    is_bare_value,
    is_column_header,
    level1_of,
    level2_of,
    looks_like_value,
    norm,
    text_memo,
    weak_level2_of,
)
from .model import Document, Indicator, Line, TableBlock, Unparsed
from .patterns import any_of, cached_compile
from .read.text import LINE_LIMIT

L1, L2, HDR, TEXT = "L1", "L2", "HDR", "TEXT"


@dataclass(slots=True)
class Token:
    """One non-empty cell of a row as the reader takes it: its column, kind (L1, L2, HDR, TEXT),
    text, and for a label its (level2, level1). Slotted, not a NamedTuple: the passes read a
    token's fields ~7 times each, and a NamedTuple's field read costs ~145 instructions more than
    a slot's (its making ~480 more: ~-3 M instructions a copy of corpora/)."""

    col: int
    kind: str
    text: str
    level2: str | None = None
    level1: str | None = None


@dataclass(slots=True)
class Half:
    """The cells of one half of one row."""

    level2: tuple[str, str] | None = None  # (level2, level1) printed in this half
    label: Token | None = None  # the label token that printed it
    texts: list[Token] = field(default_factory=list)  # its texts, in print order
    stray: list[Token] = field(default_factory=list)  # a second 二级 label in the half: reported unparsed


def _split_merged_label(col: int, cell: str) -> list[Token]:
    """"服务对象满意度 市民满意度": a 二级 label and a name in one cell."""
    head, _, tail = cell.partition(" ")
    hit = level2_of(head) if tail else None
    if hit:
        return [Token(col, L2, head, *hit), Token(col, TEXT, tail.strip())]
    return [Token(col, TEXT, cell)]


@text_memo(CELL_TEXTS)
def _cell_reading(cell: str) -> tuple[tuple[str, str] | None, str | None, bool]:
    """(level2_of, level1_of, is_column_header) of a non-empty cell: what tokenize_row asks of
    every cell, one memo lookup for the three (a table repeats its labels on every row)."""
    return level2_of(cell), level1_of(cell), is_column_header(cell)


def tokenize_row(line: Line, label_cols: tuple[int, ...] = ()) -> list[Token]:
    """Tokens of a row. `label_cols` are the 二级 columns of the caption row: a label cut short
    by its column ("经济" for 经济效益指标) is read as a label at or left of the first one, and
    again where the right half repeats it."""
    cells = line.cells
    tokens: list[Token] = []
    short_labels: set[str] = set()
    labels = 0  # label tokens: a name read as a label needs two (_names_that_look_like_labels)
    for col, cell in enumerate(cells):
        if not cell:
            continue
        as_l2, as_l1, column_header = _cell_reading(cell)
        if not (as_l2 or as_l1):  # most cells: a name or a value
            if column_header:
                tokens.append(Token(col, HDR, cell))
            elif (
                label_cols
                and (short_labels or col <= label_cols[0])  # else no place for a short label (_short_label_place)
                and (weak := weak_level2_of(cell))
                and _short_label_place(col, cell, label_cols, short_labels, tokens)
            ):
                short_labels.add(norm(cell))
                tokens.append(Token(col, L2, cell, *weak))
                labels += 1
            elif " " in cell:
                split = _split_merged_label(col, cell)
                labels += len(split) - 1
                tokens += split
            else:
                tokens.append(Token(col, TEXT, cell))  # one word: no label merged into it
            continue
        labels += 1
        if as_l1 and as_l2:
            # 满意度指标 / 成本指标 are both: a 一级 label when a 二级 label follows it directly,
            # unless it stands in the 二级 column ("成本指标 | 社会成本指标 | 100": a 二级 and its name)
            following = next(filter(None, cells[col + 1 :]), "")
            if level2_of(following) and not level1_of(following) and col not in label_cols:
                tokens.append(Token(col, L1, cell, None, as_l1))
            else:
                tokens.append(Token(col, L2, cell, *as_l2))
        elif as_l2:
            tokens.append(Token(col, L2, cell, *as_l2))
        else:
            tokens.append(Token(col, L1, cell, None, as_l1))
    return _names_that_look_like_labels(tokens) if labels >= 2 and len(tokens) > 2 else tokens


def _short_label_place(
    col: int, cell: str, label_cols: tuple[int, ...], seen: set[str], before: list[Token]
) -> bool:
    if not label_cols:
        return False
    if norm(cell) in seen:
        return True  # the right half repeats the left half's short label
    # left of the first 二级 column, unless a label already stands right before it (a half
    # prints one label: "可持续影响指标 | 可持续" is a label and its name)
    return col <= label_cols[0] and not (before and before[-1].kind == L2)


def _names_that_look_like_labels(tokens: list[Token]) -> list[Token]:
    """A 三级 name can be a category word ("满意度", "服务对象满意度"): a label right after another
    label and followed by a single text (its value) before the next label is that value's name."""
    out = list(tokens)
    for i in range(1, len(out) - 1):
        here = out[i]
        if here.kind not in (L1, L2):
            continue  # most tokens: a text
        prev, nxt = out[i - 1], out[i + 1]
        after = out[i + 2] if i + 2 < len(out) else None
        if (
            prev.kind in (L1, L2)
            and nxt.kind == TEXT
            and looks_like_value(nxt.text)
            and (after is None or after.kind != TEXT)
        ):
            out[i] = Token(here.col, TEXT, here.text)
    return out


def header_layout(header: Line) -> tuple[int | None, tuple[int, ...]]:
    """(first column of the right half, the 二级 columns) from the indicator caption row."""
    keys = [(i, templates.caption_key(c)) for i, c in enumerate(header.cells) if c]  # "三级指标(年度)" too
    names = [i for i, k in keys if k == "三级指标"] or [i for i, k in keys if k == "指标值"]
    label_cols = tuple(i for i, k in keys if k == "二级指标")
    if len(names) >= 2:
        seconds = [i for i in label_cols if i > names[0]]
        return (seconds[0] if seconds else names[1]), label_cols
    return None, label_cols


def split_halves(tokens: list[Token], halves: int, right_col: int | None) -> tuple[Half, Half]:
    labelled = [t for t in tokens if t.kind == L2 or t.kind == TEXT]
    if halves == 1:
        return _fill(labelled), _NO_HALF
    cut = _label_cut(labelled, right_col)
    if cut is None:
        cut = _text_cut(labelled, right_col)
    return _fill(labelled[:cut]), _fill(labelled[cut:])


def _label_cut(tokens: list[Token], right_col: int | None = None) -> int | None:
    """Index of the 二级 label that opens the right half: one after text, or a second label
    (not the same label printed again right after the first: 一级 and 二级 columns both print it;
    unless it stands in the right half's columns: "数量指标 | | | 数量指标 | name | value")."""
    seen_text = False
    for i, t in enumerate(tokens):
        if t.kind == TEXT:
            seen_text = True
        elif seen_text:
            return i
    # no label after a text: the labels all lead the row
    labels = [i for i, t in enumerate(tokens) if t.kind == L2]
    if (
        len(labels) >= 2
        and labels[1] == labels[0] + 1
        and tokens[labels[1]].level2 == tokens[labels[0]].level2
        and not (right_col is not None and tokens[labels[0]].col < right_col <= tokens[labels[1]].col)
    ):
        labels.pop(1)
    if len(labels) >= 2:
        return labels[1]
    return None


def _text_cut(tokens: list[Token], right_col: int | None) -> int:
    """Split a row without a separating label by its texts."""
    texts = [i for i, t in enumerate(tokens) if t.kind == TEXT]
    if len(texts) >= 3:
        # name value | name value; with three, the right half lost its value
        return texts[(len(texts) + 1) // 2]
    if len(texts) == 2:
        a, b = (norm(tokens[i].text) for i in texts)
        if a == b and not looks_like_value(a):
            return texts[1]  # the same name in each half, neither with a value
    # one name (and its value): in the half its first cell stands in; the right half starts at
    # its 二级 column (a name shifted into that column is still the right half's)
    if texts and right_col is not None and tokens[texts[0]].col >= right_col:
        return texts[0]
    return len(tokens)


def _fill(tokens: list[Token]) -> Half:
    """The half of a row these tokens (labels and texts) print: the first label before any text
    is its 二级; a label after a text, or a second label, is kept and reported unparsed."""
    level2: tuple[str, str] | None = None
    label = None
    texts: list[Token] = []
    stray: list[Token] = []
    for t in tokens:
        if t.kind == TEXT:
            texts.append(t)
        elif texts or stray:
            stray.append(t)  # a label after the half's text or a second label: kept, reported unparsed
        elif level2 is None:
            level2 = (t.level2, t.level1)  # type: ignore[assignment]
            label = t  # (read as a name only by _read_half's "服务对象满意度 | >95%": a TEXT made there)
        elif level2 != (t.level2, t.level1):
            stray.append(t)
        # else the same label printed twice (一级 and 二级 columns)
    return Half(level2, label, texts, stray)


_NO_HALF = Half()  # the right half of a one-half table: never read


def _continues_values(tokens: list[Token], previous_row: list[_Pair]) -> bool:
    """Only bare values, no more than the names above that are still waiting for one."""
    if not previous_row or len(tokens) > len(previous_row):
        return False  # most rows: more cells than the row above has names waiting
    waiting = [p for p in previous_row if not p.value]
    return (
        bool(waiting)
        and all(t.kind == TEXT and is_bare_value(t.text) for t in tokens)
        and len(tokens) <= len(waiting)
    )


def _drop_repeats(texts: list[Token]) -> list[Token]:
    """A name printed twice in one half (spilled into the 二级 column) counts once. Two texts
    only are a name and its value, even when equal ("可持续 | 可持续")."""
    if len(texts) < 3:
        return texts
    out: list[Token] = []
    for t in texts:
        if not out or norm(out[-1].text) != norm(t.text):
            out.append(t)
    return out


def _name_position(texts: list[Token]) -> int:
    """Where the name stands among a half's texts: before the last text that reads as a value
    while its predecessor does not; by default the first text."""
    if len(texts) <= 2:
        return 0
    for i in range(len(texts) - 2, -1, -1):
        if looks_like_value(texts[i + 1].text) and not looks_like_value(texts[i].text):
            return i
    return 0


@dataclass(slots=True)
class _Pair:
    """One name/value of one half of one row, with what the reading knows about it."""

    line: int
    period: str
    level2: tuple[str, str]
    name: str
    value: str
    labelled: bool = False  # its row printed the 二级 label it carries
    half: int = 0  # 0 left, 1 right
    name_raw: str | None = None
    project: str | None = None  # a flat export's project column
    side: dict[str, str] = field(default_factory=dict)  # texts of the template's other columns
    level2_source: str = "inherited"
    dropped: str | None = None  # the reason a pass set it aside (kept as an Unparsed record)


Pair = _Pair


@cache
def _cues() -> dict[str, list[tuple[str, str, int]]]:
    by_level2: dict[str, list[tuple[str, str, int]]] = {}
    for row in lexicon.table("level2_cues.tsv"):
        by_level2.setdefault(row["level2"], []).append((row["field"], norm(row["cue"]), int(row["weight"])))
    return by_level2


@cache
def _cues_by_field() -> tuple[tuple[re.Pattern[str], list[tuple[str, str, int]]], ...]:
    """For the name, then the value: a search for any of its cues, and its (cue, 二级, weight)."""
    out = []
    for field_ in ("name", "value"):
        cues = [(cue, level2, w) for level2, rows in _cues().items() for f, cue, w in rows if f == field_]
        out.append((any_of(c for c, _, _ in cues), cues))
    return tuple(out)


def _cue_score(pair: _Pair, level2: str) -> int:
    return _cue_reading(pair.name, pair.value).scores.get(level2, 0)


class _CueReading(NamedTuple):
    scores: dict[str, int]  # 二级 -> the weight of its cues the text has (a 二级 without: absent, 0)
    best_output: str  # the 产出 二级 with the highest score (the first in _OUTPUT_LEVEL2 on a tie)
    best_output_score: int


@text_memo(3 * MEMO_TEXTS // 4)  # corpora/: 660 (name, value) texts a copy
def _cue_reading(name: str, value: str) -> _CueReading:
    """The cue scores of a (name, value) text under every 二级 the cues name: pure, memoised (a
    pair is scored under each 二级 it could take, by two passes; one pass over the cues)."""
    scores: dict[str, int] = {}  # only the 二级 whose cues the text has (most texts: none)
    for text, (cued, cues) in zip((norm(name), norm(value)), _cues_by_field()):
        if cued.search(text):  # a cue of this field in the text (else none of its cues can be)
            for cue, level2, w in cues:
                if cue in text:
                    scores[level2] = scores.get(level2, 0) + w
    best = max(_OUTPUT_LEVEL2, key=lambda level2: scores.get(level2, 0))
    return _CueReading(scores, best, scores.get(best, 0))


# ---------------------------------------------------------------------------------------------
# The passes over a table's pairs, in order. Each is pure: list[Pair] -> list[Pair].

_CLIPPED = cached_compile(r"^(?P<name>[^()（）]{2,})[(（](?P<value>[≥≤≧≦<>＜＞=约]\s*[0-9０-９][^()（）]*)$")


def split_clipped_value(pairs: list[Pair]) -> list[Pair]:
    """A name clipped by its column with the value printed into the same cell,
    "人均接待费(≤200元/人" and no value: the name and the value."""
    out = []
    for p in pairs:
        if p.value or p.dropped is not None:
            out.append(p)  # (most pairs: a value)
            continue
        m = _CLIPPED.match(p.name)
        out.append(replace(p, name=m["name"].strip(), value=m["value"].strip(), name_raw=p.name) if m else p)
    return out


def drop_converter_copies(pairs: list[Pair]) -> list[Pair]:
    """A converter's shifted copy of a row's right half on the next row ("名称 | 值" again, no
    label): the same record twice. The copy is set aside as an unparsed row."""
    out = []
    rows: dict[int, list[Pair]] = {}
    for p in pairs:
        rows.setdefault(p.line, []).append(p)
    lines = sorted(rows)
    for prev, line in zip(lines, lines[1:]):
        row = rows[line]
        if len(row) == 1 and not row[0].labelled and row[0].value and len(rows[prev]) == 2:
            # the right half of the row above (its last right-half pair), normalised only here
            right = [p for p in rows[prev] if p.half == 1]
            if right and (norm(row[0].name), norm(row[0].value)) == (norm(right[-1].name), norm(right[-1].value)):
                row[0] = replace(row[0], dropped="converter-copy")
    for line in lines:
        out += rows[line]
    return out


def place_centred_labels(pairs: list[Pair]) -> list[Pair]:
    """A 二级 label centred in a merged cell is printed on a later row than its group's first.
    An unlabelled 产出 row right above a labelled one goes to that label when its cues say so."""
    out = list(pairs)
    for period in {p.period for p in out}:
        at = [i for i, p in enumerate(out) if p.period == period]
        n = len(at)
        for k, i in enumerate(at):
            pair = out[i]
            if pair.labelled or pair.level2[1] != "产出指标":
                continue  # benefit categories share too many words for cues to decide
            # the first labelled row of the next two (the rows between are unlabelled)
            below_k = k + 1 if k + 1 < n and out[at[k + 1]].labelled else k + 2 if k + 2 < n and out[at[k + 2]].labelled else None
            if below_k is None:
                continue
            below = out[at[below_k]]
            if below.level2 == pair.level2 or below.level2[1] != "产出指标":
                continue
            # a group is contiguous: the rows between this one and the label go with it too
            # ("…课时比例 | 70%" stays 数量 when the row under it, "开设课程数量 | 220", does)
            between = [out[at[j]] for j in range(k + 1, below_k)]
            if any(_cue_score(b, below.level2[0]) <= _cue_score(b, b.level2[0]) for b in between):
                continue
            if _cue_score(pair, below.level2[0]) > _cue_score(pair, pair.level2[0]):
                out[i] = replace(pair, level2=below.level2, level2_source="meaning")
    return out


_OUTPUT_LEVEL2 = ("数量指标", "质量指标", "时效指标", "成本指标")
_STRONG_CUES = 4
_MARGIN = 2


def correct_by_meaning(pairs: list[Pair]) -> list[Pair]:
    """A 产出 row whose words strongly name another 产出 category than the one it is filed
    under ("劳务费支付时间 | 4月底前" under 成本指标) is read under that category, as a reviewer
    does; weak or mixed evidence keeps the printed or inherited label."""
    out = []
    for pair in pairs:
        if pair.level2[1] == "产出指标":
            cues = _cue_reading(pair.name, pair.value)
            top = cues.best_output_score
            if top >= _STRONG_CUES and top - cues.scores.get(pair.level2[0], 0) >= _MARGIN:
                pair = replace(pair, level2=(cues.best_output, "产出指标"), level2_source="meaning")
        out.append(pair)
    return out


def complete_truncated(pairs: list[Pair]) -> list[Pair]:
    """A right-half name cut short by a narrow column ("《晋城市推进再生水利用实施方"), completed
    from the left half's name; the left name on the same row wins, else the nearest that extends it."""
    if not any(p.half == 1 for p in pairs):
        return pairs
    left = [p for p in pairs if p.half == 0]
    left_keys = {norm(p.name) for p in left}
    # sorted (name, position): the names that extend a key are one bisected range (n log n, not n^2);
    # sorted when a right name first needs it (most right names are their left name)
    by_name: list[tuple[str, int]] | None = None
    out = []
    for p in pairs:
        if p.half == 1 and (key := norm(p.name)) and key not in left_keys:  # (a left name: not normalised again)
            if by_name is None:
                by_name = sorted((norm(q.name), i) for i, q in enumerate(left))
            lo = bisect_left(by_name, (key, -1))
            hi = bisect_left(by_name, (key + "\U0010ffff", -1), lo)
            candidates = [left[i] for i in sorted(i for k, i in by_name[lo:hi] if k.startswith(key) and len(k) > len(key))]
            if candidates:
                best = min(candidates, key=lambda q: (q.line != p.line, abs(q.line - p.line)))
                p = replace(p, name=best.name, name_raw=p.name)
        out.append(p)
    return out


_NUMBERED = cached_compile(r"^指标\s*[0-9０-９一二三四五六七八九十]+\s*[:：.、]\s*")
_PLACEHOLDER = cached_compile(r"\s*[(（][^()（）]*\*{2}[^()（）]*[)）]\s*$")


def strip_numbering(pairs: list[Pair]) -> list[Pair]:
    """A name numbered by its form ("指标1:道路修缮长度"; a "1." the reviewer keeps) or
    carrying the form's placeholder ("受助对象满意度(≥**%)"): the name without them."""
    out = []
    for p in pairs:
        if p.dropped is not None or ("指标" not in p.name and "*" not in p.name):
            out.append(p)  # (most names: not marked)
            continue
        name = _PLACEHOLDER.sub("", _NUMBERED.sub("", p.name))
        out.append(replace(p, name=name, name_raw=p.name_raw or p.name) if name and name != p.name else p)
    return out


_COMPARATORS = "≥≤≧≦<>＜＞="
_BARE_END = "0123456789万亿千"  # a number the unit column completes: "100" + "%", "10万" + "元"
_NUMERIC_CELL = cached_compile(r"[\d,.]+")


def drop_unfilled(pairs: list[Pair]) -> list[Pair]:
    """A template row left unfilled: a placeholder name ("……", "具体指标") or a value that is only
    a unit or a comparator ("公里", "≧ %", "**人"); set aside as unparsed, not a record."""
    out = []
    units = _units()
    for p in pairs:
        value = norm(p.value)
        if value and (value[0].isdigit() or len(value) > 6):
            out.append(p)  # a number, or words: filled in
            continue
        unfilled = (
            bool(value)
            and not any(map(str.isdigit, value))
            and ("*" in value or value[0] in _COMPARATORS or value in units)
        ) or norm(p.name).strip(".…") == ""
        out.append(replace(p, dropped="unfilled-template") if unfilled and p.dropped is None else p)
    return out


@cache
def _units() -> frozenset[str]:
    """Units of measure (公里, 人次, %); a period word ("季度", "每月") alone is a real value."""
    periods = {norm(r["word"]) for r in lexicon.table("periods.tsv")}
    rows = [r for r in lexicon.table("units.tsv") if r.get("kind") != "time"]
    units = {norm(r[k]) for r in rows for k in ("alias", "unit") if r.get(k)} | {"%", "‰"}
    return frozenset(units - periods)


# The extraction grammar after the rows are read: (name, pass), applied in this order.
PASSES: list[tuple[str, Callable[[list[Pair]], list[Pair]]]] = [
    ("split-clipped-value", split_clipped_value),
    ("drop-converter-copies", drop_converter_copies),
    ("place-centred-labels", place_centred_labels),
    ("correct-by-meaning", correct_by_meaning),
    ("complete-truncated", complete_truncated),
    ("strip-numbering", strip_numbering),
    ("drop-unfilled", drop_unfilled),
]


# ---------------------------------------------------------------------------------------------
# Reading the rows of a table with its template.

_SUBTOTAL = frozenset({"合计", "小计", "总计", "合 计"})


@dataclass
class _Reader:
    """The state of reading one table's rows: its template, halves and carried-down labels."""

    table: TableBlock
    periods: tuple[str, ...]
    match: templates.Match | None = None
    width: int = 0  # cells of the caption row: a longer row was shifted by its converter
    right_col: int | None = None
    label_cols: tuple[int, ...] = ()
    current: list[tuple[str, str] | None] = field(default_factory=lambda: [None, None])
    block_period: str | None = None
    carried: dict[str, str] = field(default_factory=dict)  # a flat export's project/org cells
    pairs: list[Pair] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    previous_row: list[Pair] = field(default_factory=list)
    has_side: bool = False  # the template has columns other than label, name and value
    blocks_seen: frozenset[str] = frozenset()  # the block captions (长期/年度绩效指标) the table prints

    @property
    def halves(self) -> int:
        return len(self.periods)

    def lost(self, line: Line, text: str, reason: str) -> None:
        self.unparsed.append(Unparsed(self.table.doc, self.table.index, line.number, text, reason))


class _CaptionReading(NamedTuple):
    match: templates.Match
    right_col: int | None
    label_cols: tuple[int, ...]
    has_side: bool  # the template has columns other than label, name and value


@text_memo(maxsize=1 << 10)
def _caption_reading(cells: tuple[str, ...], blocks_seen: frozenset[str]) -> _CaptionReading:
    """The template and column positions of a caption row: pure, memoised per caption row (the
    tables of a document, and of a region's documents, repeat one caption row: corpora/ prints
    18 distinct caption rows over its 97)."""
    m = templates.match(cells, blocks_seen)
    right_col, label_cols = header_layout(Line(0, "", cells))
    return _CaptionReading(m, right_col, label_cols, bool(set(m.columns.values()) & (templates.SIDE_ROLES - {"skip"})))


def _caption_row(reader: _Reader, line: Line) -> None:
    """The caption row: column positions, and (the first time) the template of the table."""
    m, reader.right_col, reader.label_cols, reader.has_side = _caption_reading(line.cells, reader.blocks_seen)
    table = reader.table
    if reader.match is None:
        table.layout, table.caption_line, table.unknown_captions = m.template.name, line.number, m.unknown
        if table.kind == "department":
            pass  # a department table has one half whatever its captions
        elif m.template.layout == "side-by-side" or any(norm(c).startswith("实施期") for c in table.half_captions):
            # two value columns, or a header that announced 实施期 | 年度 target columns (a converter
            # may print one set of indicator captions over both halves)
            reader.periods = ("implementation", "annual")
        else:
            reader.periods = ("annual",)
    reader.match = m
    reader.width = len(line.cells)


def _block_of(reader: _Reader, line: Line) -> Line:
    """A stacked layout's block caption (长期绩效指标 / 年度绩效指标) sets the period of the rows
    under it; the caption cell is removed from the row."""
    blocks = templates.block_words()
    hit = [c for c in line.cells if c and norm(c) in blocks]
    if not hit:
        return line
    for t in templates.templates():
        if norm(hit[0]) in t.blocks:
            reader.block_period = t.blocks[norm(hit[0])]
            break
    return Line(line.number, line.text, tuple("" if c in hit else c for c in line.cells), line.page)


def _project_row(reader: _Reader, line: Line) -> tuple[Line, dict[str, str]]:
    """Take the cells of the template's side columns (备注, 绩效标准, 权重, 指标性质, 单位, a flat
    export's 单位名称/项目名称 …) out of a row by position; a value split over 符号 | 数值 | 单位 is
    joined into one. A row wider than the caption row was shifted: its positions are not trusted."""
    m = reader.match
    if m is None or not reader.has_side or len(line.cells) > reader.width:
        return line, {}
    cells = list(line.cells)
    side: dict[str, str] = {}
    natures: list[str] = []
    value_at = None
    for i, c in enumerate(cells):
        role = m.columns.get(i)
        if role in ("value", "value-number") and value_at is None:
            value_at = i
        if c and role == "nature":
            natures.append(c)
        elif c and role in templates.SIDE_ROLES and role != "skip":
            side[role] = f"{side[role]} {c}" if role in side else c
        if c and role in templates.SIDE_ROLES and role != "skip":
            cells[i] = ""
    # two nature columns: 指标性质 printing the comparator and 指标方向性 the direction
    # ("≥ | 95 | % | 10 | 正向指标"): the comparator signs the value, the word names the direction
    signs = [n for n in natures if all(ch in _COMPARATORS for ch in norm(n))]
    words = [n for n in natures if n not in signs]
    if natures:
        side["nature"] = words[0] if words else signs[0]
    sign = side.pop("value-sign", "") or (signs[0] if signs else "")
    unit = side.pop("value-unit", "")
    number = side.pop("value-number", "")
    if value_at is not None:
        value = cells[value_at] or number
        if value and sign and norm(value)[0] not in _COMPARATORS + "约":
            value = sign + value
        # the unit column completes a bare number ("100 | %"), never a value printed with its own
        # unit ("28.8万元 | %") or a word ("应保尽保 | %"); a number in it is no unit (a spreadsheet's
        # date serial printed in both cells: "44,561 | 44,561")
        if value and unit and norm(value)[-1] in _BARE_END and not _NUMERIC_CELL.fullmatch(norm(unit)):
            value = value + unit
        cells[value_at] = value
    return Line(line.number, line.text, tuple(cells), line.page), side


def _row_cells(reader: _Reader, line: Line, caption: bool) -> tuple[Line, dict[str, str]] | None:
    """The cells of a row the token reader reads, and the texts of its side columns; None for a
    row that is set aside whole (a 合计 / 小计 row of an export)."""
    if reader.blocks_seen:
        line = _block_of(reader, line)
    first = next(filter(None, line.cells), "")
    if first and len(first) <= 3 and norm(first) in _SUBTOTAL:
        reader.lost(line, " | ".join(c for c in line.cells if c), "subtotal")
        return None
    if caption:
        # the captions themselves are no text ("指标内容", "备注"); a label printed among them is
        line = Line(line.number, line.text, tuple("" if templates.caption_roles(c) else c for c in line.cells), line.page)
        return line, {}
    if not reader.has_side:
        return line, {}  # no side columns: the row is read whole
    line, side = _project_row(reader, line)
    if side:
        for key in ("org", "project"):
            if side.get(key):
                reader.carried[key] = side[key]
    return line, side


def _read_row(reader: _Reader, line: Line, caption: bool = False) -> None:
    """One indicator row: tokens, halves, the label each half carries, its name and value."""
    prepared = _row_cells(reader, line, caption)
    if prepared is None:
        return
    line, side = prepared
    tokens = tokenize_row(line, reader.label_cols)
    if not tokens:
        if not side:
            return
        if side.get("standard") or side.get("note"):
            reader.lost(line, side.get("standard") or side.get("note", ""), "extra-cell")
        elif side.get("budget"):
            # an export's unit or department row: its name and its total, no indicator
            # ("820-马踏镇部门 | | 8,827,620.53")
            reader.lost(line, " | ".join(side.get(k, "") for k in ("org", "project", "budget") if side.get(k)), "subtotal")
        return
    if side and (side.get("standard") or side.get("note")) and all(t.kind in (L1, L2) for t in tokens):
        # labels and a 评分标准 but no indicator ("效益指标 | 经济效益指标 | | | 未达指标值酌情扣分"):
        # the labels still govern the rows below, the text is kept as an unparsed row
        reader.lost(line, side.get("standard") or side.get("note", ""), "extra-cell")
    if _continues_values(tokens, reader.previous_row):
        # a row wrapped by the converter: its values belong to the names of the row above
        for pair, token in zip([p for p in reader.previous_row if not p.value], tokens):
            pair.value = token.text
        reader.previous_row = []
        return
    row_start = len(reader.pairs)
    _read_halves(reader, line, tokens, side)
    reader.previous_row = reader.pairs[row_start:]


def _read_halves(reader: _Reader, line: Line, tokens: list[Token], side: dict[str, str]) -> None:
    """The halves of a row, each under the label printed in it, or in the other half of the row,
    or carried down its half."""
    halves = len(reader.periods)
    left, right = split_halves(tokens, halves, reader.right_col)
    if halves == 1:
        if left.level2 is not None:
            reader.current[0] = left.level2
        _read_half(reader, line, 0, left, left.level2 is not None, side)
    else:
        # a label printed in one half of a row governs both halves of that row
        shared = left.level2 or right.level2
        for h, half in enumerate((left, right)):
            printed = half.level2 or shared
            if printed is not None:
                reader.current[h] = printed
            _read_half(reader, line, h, half, printed is not None, side)


def _read_half(reader: _Reader, line: Line, h: int, half: Half, labelled: bool, side: dict[str, str]) -> None:
    """The name and value of one half of a row, under the label its half carries."""
    texts, stray = half.texts, half.stray
    if half.label is not None and len(texts) == 1 and is_bare_value(texts[0].text):
        # "服务对象满意度 | >95%": the category word is the only name this value has
        texts = [Token(half.label.col, TEXT, half.label.text), texts[0]]
    if not texts:
        return
    level2 = reader.current[h]
    if level2 is None:
        reader.lost(line, " | ".join(t.text for t in texts), "no-category")
        return
    at = 0  # a name, or a name and its value (most halves)
    if len(texts) > 2:
        texts = _drop_repeats(texts)
        at = _name_position(texts)
    period = reader.block_period if reader.block_period and len(reader.periods) == 1 else reader.periods[h]
    value = texts[at + 1].text if len(texts) > at + 1 else ""
    reader.pairs.append(
        # positional (one is made per half of every row): line, period, level2, name, value,
        # labelled, half, name_raw, project, side, level2_source
        Pair(
            line.number, period, level2, texts[at].text, value, labelled, h, None,
            reader.carried.get("project"), side, "printed" if labelled else "inherited",
        )
    )
    if len(texts) > 2 or stray:
        for extra in texts[:at] + texts[at + 2 :] + stray:
            reader.lost(line, extra.text, "extra-cell")


def read_rows(table: TableBlock) -> _Reader:
    """Every row of the table's indicator block, read with the template of its caption row."""
    reader = _Reader(table, table.periods)
    blocks = templates.block_words()
    # (each distinct cell normalised once: a table repeats its labels and values on many rows)
    cells = set(chain.from_iterable(line.cells for line in table.body))
    cells.discard("")
    reader.blocks_seen = blocks.intersection(map(norm, cells))
    for line in table.body:
        caption = templates.is_caption_row(line.cells)  # (is_indicator_header's own test, without its frame)
        if caption:
            _caption_row(reader, line)
        # a caption row is read too: a converter may print the first 二级 label into it
        _read_row(reader, line, caption)
    return reader


@cache
def _directions() -> dict[str, str]:
    return {norm(r["word"]): r["direction"] for r in lexicon.table("directions.tsv")}


_WEIGHT = cached_compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(?:分|%|％)?$")


def _indicator(table: TableBlock, p: Pair) -> Indicator:
    level2, level1 = p.level2
    if not p.side:  # most templates: no weight, direction or standard column
        # positional, in Indicator's field order (one is made per record: by keyword its 13
        # names were matched against the 28 parameters, ~12,000 instructions a record against
        # ~6,000; tests/test_scan_fast_paths.py compares it with the keyword form):
        # doc, table, table_line, kind, project, period, level1, level2, name, value, line,
        # name_raw, target, label, flagged, reasons, weight, direction, standard, level2_source
        return Indicator(
            table.doc, table.index, table.line, table.kind, p.project or table.project, p.period, level1, level2,
            p.name, p.value, p.line, p.name_raw, None, None, False, [], None, None, None, p.level2_source,
        )
    weight = _WEIGHT.match(norm(p.side.get("weight", "")))
    nature = norm(p.side.get("nature", ""))
    standard = " ".join(v for k, v in p.side.items() if k in ("standard", "note")) or None
    return replace(
        _indicator(table, replace(p, side={})),
        weight=float(weight.group(1)) if weight else None,
        direction=_directions().get(nature) if nature else None,
        standard=standard,
    )


def extract_table(table: TableBlock) -> tuple[list[Indicator], list[Unparsed]]:
    """The indicator records and unplaced text of one logical table: its rows read, then the
    passes applied in order."""
    reader = read_rows(table)
    pairs = reader.pairs
    for _name, apply in PASSES:
        pairs = apply(pairs)
    indicators = [_indicator(table, p) for p in pairs if p.dropped is None]
    unparsed = reader.unparsed + [
        Unparsed(table.doc, table.index, p.line, " | ".join(x for x in (p.name, p.value) if x), p.dropped)
        for p in pairs
        if p.dropped is not None
    ]
    unparsed.sort(key=lambda u: u.line)
    if reader.match is not None:
        stacked = tuple(dict.fromkeys(p.period for p in pairs)) if reader.block_period else ()
        table.periods = stacked or reader.periods
    table.n_indicators = len(indicators)
    table.n_unparsed = len(unparsed)
    return indicators, unparsed


def check_extracted(doc: Document, tables: list[TableBlock]) -> list[InputError]:
    """One line per table a reader should look at: captions no template knows (layout-unknown),
    captions found and no row readable (a half-recognised table), and a last table of a layout
    that closes with a footer cut off by the end of the file (its rows are kept). A table of a
    layout without a footer may end at the end of the file: no problem."""
    doc_path = doc.path
    problems = []
    footed = {t.name for t in templates.templates() if t.footer}
    if tables and tables[-1].body and not tables[-1].has_footer and tables[-1].layout in footed:
        last = tables[-1]
        after = [line for line in doc.lines if line.number > last.end_line and line.text.strip()]
        if not after and not any(reason == LINE_LIMIT for _, reason, _ in doc.notes):  # cut by the reader's limit: said there
            problems.append(InputError(
                doc_path,
                f"truncated table: {last.project or last.title!r} stops at the end of the file before its "
                "footer (负责人/填报日期); its rows so far are kept",
                last.body[-1].number,
            ))
    for t, nxt in zip(tables, tables[1:]):
        # a table cut off where the next one starts (the same 项目名称 again: segment.restarts)
        if t.body and not t.has_footer and t.layout in footed:
            again = "the same 项目名称 starts again" if t.kind == "project" and t.project == nxt.project else "the next table starts"
            problems.append(InputError(
                doc_path,
                f"truncated table: {t.project or t.title!r} stops before its footer (负责人/填报日期); "
                f"{again} at line {nxt.line}; its rows so far are kept",
                t.body[-1].number,
            ))
    for t in tables:
        if t.unknown_captions:
            problems.append(InputError(
                doc_path,
                f"layout-unknown: captions {' | '.join(t.unknown_captions)} match no template in "
                "lexicons/templates/; read by the generic reader",
                t.caption_line,
            ))
        if t.caption_line and t.body and not t.n_indicators:
            problems.append(InputError(
                doc_path,
                f"half-recognised table {t.project or t.title!r}: captions found but no indicator row readable "
                f"({t.n_unparsed} unparsed rows)",
                t.caption_line,
            ))
    return problems
