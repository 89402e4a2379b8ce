"""Turn a table's indicator rows into `Indicator` records, as a careful reader would.

Converters shift cells left and right (merged cells), so positions are not trusted. Each row is
read as a sequence of tokens: category labels (一级 L1, 二级 L2), column captions, and text. A
project table row holds two halves (实施期 | 年度); a half is [L1] [L2] name value. The split
between the halves is found from the labels first (a 二级 label after some text opens the right
half), then from the text count, then from the header's column positions. 二级 labels carry down
the rows of their half until the next label; a label printed in one half of a row only governs both.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache

from . import lexicon
from .layout import is_bare_value, is_column_header, is_indicator_header, level1_of, level2_of, looks_like_value, norm, weak_level2_of
from .model import Indicator, Line, TableBlock, Unparsed

L1, L2, HDR, TEXT = "L1", "L2", "HDR", "TEXT"


@dataclass(frozen=True, slots=True)
class Token:
    col: int
    kind: str
    text: str
    level2: str | None = None
    level1: str | None = None


@dataclass
class Half:
    """The cells of one half of one row."""

    level2: tuple[str, str] | None = None  # (level2, level1) printed in this half
    label: Token | None = None  # the token that printed it
    texts: list[Token] = field(default_factory=list)


def _split_merged_label(col: int, cell: str) -> list[Token]:
    """"服务对象满意度 市民满意度": a 二级 label and a name in one cell."""
    head, _, tail = cell.partition(" ")
    hit = level2_of(head) if tail else None
    if hit:
        return [Token(col, L2, head, *hit), Token(col, TEXT, tail.strip())]
    return [Token(col, TEXT, cell)]


def tokenize_row(line: Line, label_cols: tuple[int, ...] = ()) -> list[Token]:
    """Tokens of a row. `label_cols` are the 二级 columns of the caption row: a label cut short
    by its column ("经济" for 经济效益指标) is read as a label at or left of the first one, and
    again where the right half repeats it."""
    raw = [(i, c) for i, c in enumerate(line.cells) if c]
    tokens: list[Token] = []
    short_labels: set[str] = set()
    for pos, (col, cell) in enumerate(raw):
        as_l2 = level2_of(cell)
        as_l1 = level1_of(cell)
        if as_l1 and as_l2:
            # 满意度指标 / 成本指标 are both: a 一级 label when a 二级 label follows it directly
            following = raw[pos + 1][1] if pos + 1 < len(raw) else ""
            if level2_of(following) and not level1_of(following):
                tokens.append(Token(col, L1, cell, level1=as_l1))
            else:
                tokens.append(Token(col, L2, cell, *as_l2))
        elif as_l2:
            tokens.append(Token(col, L2, cell, *as_l2))
        elif as_l1:
            tokens.append(Token(col, L1, cell, level1=as_l1))
        elif is_column_header(cell):
            tokens.append(Token(col, HDR, cell))
        elif _short_label_place(col, cell, label_cols, short_labels, tokens) and (weak := weak_level2_of(cell)):
            short_labels.add(norm(cell))
            tokens.append(Token(col, L2, cell, *weak))
        else:
            tokens.extend(_split_merged_label(col, cell))
    return _names_that_look_like_labels(tokens)


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
        prev, here, nxt = out[i - 1], out[i], out[i + 1]
        after = out[i + 2] if i + 2 < len(out) else None
        if (
            here.kind in (L1, L2)
            and prev.kind in (L1, L2)
            and nxt.kind == TEXT
            and looks_like_value(nxt.text)
            and (after is None or after.kind != TEXT)
        ):
            out[i] = Token(here.col, TEXT, here.text)
    return out


def header_layout(header: Line) -> tuple[int | None, tuple[int, ...]]:
    """(first column of the right half, the 二级 columns) from the indicator caption row."""
    keys = [(i, norm(c)) for i, c in enumerate(header.cells) if c]
    names = [i for i, k in keys if k == "三级指标"] or [i for i, k in keys if k == "指标值"]
    label_cols = tuple(i for i, k in keys if k == "二级指标")
    if len(names) >= 2:
        seconds = [i for i in label_cols if i > names[0]]
        return (seconds[0] if seconds else names[1]), label_cols
    return None, label_cols


def split_halves(tokens: list[Token], halves: int, right_col: int | None) -> tuple[Half, Half]:
    left, right = Half(), Half()
    labelled = [t for t in tokens if t.kind in (L2, TEXT)]
    if halves == 1:
        _fill(left, labelled)
        return left, right
    cut = _label_cut(labelled)
    if cut is None:
        cut = _text_cut(labelled, right_col)
    _fill(left, labelled[:cut])
    _fill(right, labelled[cut:])
    return left, right


def _label_cut(tokens: list[Token]) -> int | None:
    """Index of the 二级 label that opens the right half: one after text, or a second label."""
    labels = [i for i, t in enumerate(tokens) if t.kind == L2]
    seen_text = False
    for i, t in enumerate(tokens):
        if t.kind == TEXT:
            seen_text = True
        elif seen_text:
            return i
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
    # one name (and its value): in the half its first cell stands in
    if texts and right_col is not None and tokens[texts[0]].col > right_col:
        return texts[0]
    return len(tokens)


def _fill(half: Half, tokens: list[Token]) -> None:
    for t in tokens:
        if t.kind == L2 and half.level2 is None and not half.texts:
            half.level2 = (t.level2, t.level1)  # type: ignore[assignment]
            half.label = Token(t.col, TEXT, t.text)
        elif t.kind == TEXT:
            half.texts.append(t)
        elif t.kind == L2 and not half.texts and half.level2 == (t.level2, t.level1):
            continue  # the same label printed twice (一级 and 二级 columns)
        elif t.kind == L2:
            half.texts.append(t)  # a second label in one half: kept, reported unparsed


def _continues_values(tokens: list[Token], previous_row: list[_Pair]) -> bool:
    """Only bare values, no more than the names above that are still waiting for one."""
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


@dataclass
class _Pair:
    line: int
    period: str
    level2: tuple[str, str]
    name: str
    value: str
    labelled: bool = False  # its row printed the 二级 label it carries


@cache
def _cues() -> dict[str, list[tuple[str, str, int]]]:
    by_level2: dict[str, list[tuple[str, str, int]]] = {}
    for row in lexicon.table("level2_cues.tsv"):
        by_level2.setdefault(row["level2"], []).append((row["field"], norm(row["cue"]), int(row["weight"])))
    return by_level2


def _cue_score(pair: _Pair, level2: str) -> int:
    fields = {"name": norm(pair.name), "value": norm(pair.value)}
    return sum(w for f, cue, w in _cues().get(level2, ()) if cue in fields[f])


def _place_centred_labels(pairs: list[_Pair]) -> None:
    """A 二级 label centred in a merged cell is printed on a later row than its group's first.
    An unlabelled 产出 row right above a labelled one goes to that label when its cues say so."""
    for period in {p.period for p in pairs}:
        half = [p for p in pairs if p.period == period]
        for i, pair in enumerate(half):
            if pair.labelled:
                continue
            below = next((q for q in half[i + 1 : i + 3] if q.labelled), None)
            if below is None or below.level2 == pair.level2:
                continue
            if below.level2[1] != "产出指标" or pair.level2[1] != "产出指标":
                continue  # benefit categories share too many words for cues to decide
            between = half[i + 1 : half.index(below)]
            if any(q.labelled for q in between):
                continue
            if _cue_score(pair, below.level2[0]) > _cue_score(pair, pair.level2[0]):
                pair.level2 = below.level2


_OUTPUT_LEVEL2 = ("数量指标", "质量指标", "时效指标", "成本指标")
_STRONG_CUES = 4
_MARGIN = 2


def _correct_by_meaning(pairs: list[_Pair]) -> None:
    """A 产出 row whose words strongly name another 产出 category than the one it is filed
    under ("劳务费支付时间 | 4月底前" under 成本指标) is read under that category, as a reviewer
    does; weak or mixed evidence keeps the printed or inherited label."""
    for pair in pairs:
        if pair.level2[1] != "产出指标":
            continue
        here = _cue_score(pair, pair.level2[0])
        scores = {l2: _cue_score(pair, l2) for l2 in _OUTPUT_LEVEL2}
        best = max(scores, key=scores.__getitem__)
        if scores[best] >= _STRONG_CUES and scores[best] - here >= _MARGIN:
            pair.level2 = (best, "产出指标")


def extract_table(table: TableBlock) -> tuple[list[Indicator], list[Unparsed]]:
    """The indicator records and unplaced text of one logical table."""
    indicators: list[Indicator] = []
    unparsed: list[Unparsed] = []
    periods = table.periods
    # a two-half table keeps two halves even where a page prints one set of captions
    halves = len(periods)
    right_col: int | None = None
    label_cols: tuple[int, ...] = ()
    current: list[tuple[str, str] | None] = [None, None]
    pairs: list[_Pair] = []

    previous_row: list[_Pair] = []
    for line in table.body:
        if is_indicator_header([c for c in line.cells if c]):
            right_col, label_cols = header_layout(line)
        tokens = tokenize_row(line, label_cols)
        if not tokens:
            continue
        if _continues_values(tokens, previous_row):
            # a row wrapped by the converter: its values belong to the names of the row above
            for pair, token in zip([p for p in previous_row if not p.value], tokens):
                pair.value = token.text
            previous_row = []
            continue
        row_start = len(pairs)
        sides = split_halves(tokens, halves, right_col)
        printed = [s.level2 for s in sides]
        if halves == 2 and (printed[0] is None) != (printed[1] is None):
            # a label printed in one half of a row governs both halves of that row
            shared = printed[0] or printed[1]
            printed = [shared, shared]
        for h, side in enumerate(sides[:halves]):
            if printed[h] is not None:
                current[h] = printed[h]
            texts = [t for t in side.texts if t.kind == TEXT]
            stray = [t for t in side.texts if t.kind != TEXT]
            if side.label is not None and len(texts) == 1 and is_bare_value(texts[0].text):
                # "服务对象满意度 | >95%": the category word is the only name this value has
                texts = [side.label, texts[0]]
            if not texts:
                continue
            period = periods[h]
            if current[h] is None:
                unparsed.append(Unparsed(table.doc, table.index, line.number, " | ".join(t.text for t in texts), "no-category"))
                continue
            texts = _drop_repeats(texts)
            at = _name_position(texts)
            name = texts[at].text
            value = texts[at + 1].text if len(texts) > at + 1 else ""
            pairs.append(_Pair(line.number, period, current[h], name, value, printed[h] is not None))
            for extra in texts[:at] + texts[at + 2 :] + stray:
                unparsed.append(Unparsed(table.doc, table.index, line.number, extra.text, "extra-cell"))
        previous_row = pairs[row_start:]

    _place_centred_labels(pairs)
    _correct_by_meaning(pairs)
    full_names = [p for p in pairs if p.period == periods[0]]
    left_keys = sorted((norm(p.name), i) for i, p in enumerate(full_names))
    for p in pairs:
        name, name_raw = p.name, None
        if len(periods) == 2 and p.period == periods[1]:
            full = _complete_truncated(p, full_names, left_keys)
            if full is not None:
                name, name_raw = full, p.name
        level2, level1 = p.level2
        indicators.append(
            Indicator(
                doc=table.doc,
                table=table.index,
                table_line=table.line,
                kind=table.kind,
                project=table.project,
                period=p.period,
                level1=level1,
                level2=level2,
                name=name,
                name_raw=name_raw,
                value=p.value,
                line=p.line,
            )
        )
    table.n_indicators = len(indicators)
    table.n_unparsed = len(unparsed)
    return indicators, unparsed


def _complete_truncated(pair: _Pair, left: list[_Pair], keys: list[tuple[str, int]] | None = None) -> str | None:
    """A right-half name cut short by a narrow column, completed from the left half's name.

    The left name on the same row wins; otherwise the nearest left name that extends it.
    `keys`: sorted (norm(name), position) of `left`, so that a table of n rows costs n log n
    (a prefix range by bisection) instead of n^2.
    """
    key = norm(pair.name)
    if not key:
        return None
    keys = keys if keys is not None else sorted((norm(p.name), i) for i, p in enumerate(left))
    lo = bisect_left(keys, (key, -1))
    if lo < len(keys) and keys[lo][0] == key:
        return None
    hi = bisect_left(keys, (key + "\U0010ffff", -1), lo)
    candidates = [left[i] for i in sorted(i for k, i in keys[lo:hi] if k.startswith(key))]
    if not candidates:
        return None
    best = min(candidates, key=lambda p: (p.line != pair.line, abs(p.line - pair.line)))
    return best.name
