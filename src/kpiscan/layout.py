"""What a cell of a 绩效目标表 is: a category (一级/二级), a column caption, a footer, or text.

All the words come from lexicons/ (categories.tsv, level1.tsv, table_layout.tsv, header_fields.tsv).
Cells are compared after NFKC and whitespace removal, so "年度绩效 指标" and "（元）" match.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from . import lexicon
from .patterns import any_of, cached_compile, cached_re

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

_SPACE = cached_compile(r"\s+")
# A 二级 label printed narrower than its column loses the last character: "可持续影响指".
# A shorter prefix ("可持续发展" of 可持续发展指标) is more likely a value; the lexicon lists the
# short forms that really occur ("社会效益", "服务对象满意").
_MIN_TRUNCATED = 4
_MAX_LOST = 1
_SHORT_FOOTER = 4
_VALUE_MARK = cached_compile(r"[0-9０-９%％‰≥≤≧≦<>＜＞=]")


# Cells repeat across rows and tables (category words, captions), so the pure lookups below are
# memoised: they run for every cell of every row.
#
# How many entries a memo of texts keeps (issue 13, tenth and eleventh rounds): what its hits
# need, no more, sized by what an entry costs. Its hits come from near by (a table repeats its
# labels, a document prints one row per half and repeats its targets) and from the next copy or
# document of the same layout; the scale benches' copies repeat corpora/'s 4 documents in turn, so
# a text comes back one whole copy later (`python bench/memo_reuse.py CORPUS` prints each memo's
# hit rate by size; tests/test_memo_bounds.py: a second copy misses no memo). Where a scan of
# distinct documents (names differ, layout and values repeat) keeps its bytes once the memos are
# full (`python bench/memo_bytes.py DIR`, d64): the classifier's memos and the caption rows hold
# 0.4-0.9 KiB an entry (the verdicts, `_is_caption_row`, jieba tokens, term hits, cue readings:
# ~60% of the memos' bytes at 4,096 entries each) and need at most ~1,300 entries for every hit
# copy-major copies give (corpora/: 650-1,275 distinct texts a copy): MEMO_TEXTS. The layout
# lookups asked of every cell hold ~0.1-0.2 KiB an entry and need a copy's cells (1,400-3,800
# distinct): CELL_TEXTS, twice that for the lookups of every cell and caption (`norm`, `is_footer`,
# `field_key`). So d64 is 1.15x its 1x, not 1.40x (4,096 / 8,192 entries a memo), at the same
# instructions on 4 copy-major copies; 1,024 entries everywhere was 1.10x but +6.6%; a memo that
# keeps only texts seen twice (a TinyLFU doorkeeper before a store, a 1,024-entry window in front)
# was 1.14x at +8.9% (its Python miss path, ~10,000 instructions, and the second sighting's miss).
# Twelfth round: each memo by what a copy asks of it (below: `is_footer` and `field_key` 2,730,
# `caption_key` and `title_kind` 1,365, the lookups a row asks of a few cells 512, the caption rows
# and cue readings 768; `fill_of`: a bound at a third of a power of two keeps the dict that size
# under eviction) and the category model's rows as bytes (classify.category.PROBA_MEMO): d64 1.09x.
MEMO_TEXTS = 1 << 10
CELL_TEXTS = 2 * MEMO_TEXTS
TEXT_MEMOS: list[_lru_cache_wrapper[Any]] = []  # every memo keyed on a cell's text (forget_text_memos)
R = TypeVar("R")


def text_memo(maxsize: int = MEMO_TEXTS) -> Callable[[Callable[..., R]], _lru_cache_wrapper[R]]:
    """A bounded memo of a pure function of cell texts, listed in TEXT_MEMOS."""

    def memo(fn: Callable[..., R]) -> _lru_cache_wrapper[R]:
        memoised = lru_cache(maxsize=maxsize)(fn)
        TEXT_MEMOS.append(memoised)
        return memoised

    return memo


def forget_text_memos() -> None:
    """Empty every text memo: `pipeline.scan_document` calls it before each document when
    KPISCAN_CLASSIFY_MEMO=0, so that no document is read faster for the cells of another (the
    cost a corpus of distinct documents pays; a document's own repeated cells still hit)."""
    for memoised in TEXT_MEMOS:
        memoised.cache_clear()


_memo = text_memo(CELL_TEXTS)  # the layout lookups of a cell

# A full memo's dict is as large as a third of its bound says: an lru_cache that evicts deletes a key
# for each one it adds, and its dict, out of room, is rebuilt for three times the keys it holds (the
# next power of two): 2,048 entries keep 8,192 slots, 4,096 keep 16,384 (207 KiB), where a copy of
# corpora/ (no eviction) grew them to half that. So the bounds below are the most entries a table of
# 2**k slots keeps, a third of it (twelfth round: a scan of d16 held 1.81 MiB of memo tables, 1x 0.72)
def fill_of(slots: int) -> int:
    """The most entries a memo may keep and its dict stay at `slots` slots under eviction."""
    return slots // 3


_memo_norm = text_memo(2 * CELL_TEXTS)  # `norm`, asked of every cell and more (corpora/: 3,807 texts a copy)
# the lookups asked of nearly every cell of a document (`is_footer`, `field_key`: corpora/ 2,135 and
# 2,165 texts a copy): 2,730 (at 4,096 each kept ~0.8 MiB more at d64, the names of distinct
# documents, and a table of twice the slots)
_memo_wide = text_memo(fill_of(1 << 13))
# the lookups asked of a few cells a row (the text after a label, a half's texts, a cell left of
# the 二级 column): a copy of corpora/ asks 23-223 distinct texts of each, and each distinct
# document fills them with its names (twelfth round: at 2,048 entries d64 kept ~0.9 MiB in them)
_memo_few = text_memo(CELL_TEXTS // 4)


@_memo_norm
def norm(text: str) -> str:
    """NFKC with all whitespace removed: the form every vocabulary lookup uses."""
    text = unicodedata.normalize("NFKC", text).replace("\t", " ")
    # printable text has no whitespace but the ASCII space (line ends, wide and no-break spaces are
    # not printable): removing it (and the tabs, made spaces) is a replace, not a regex pass
    return text.replace(" ", "") if text.isprintable() else _SPACE.sub("", text)


@cache
def _level2_variants() -> dict[str, tuple[str, str]]:
    return {norm(r["variant"]): (r["level2"], r["level1"]) for r in lexicon.table("categories.tsv")}


@cache
def _level1_variants() -> dict[str, str]:
    return {norm(r["variant"]): r["level1"] for r in lexicon.table("level1.tsv")}


@cache
def _layout_words() -> dict[str, frozenset[str]]:
    roles: dict[str, set[str]] = {}
    for row in lexicon.table("table_layout.tsv"):
        roles.setdefault(row["role"], set()).add(norm(row["text"]))
    return {k: frozenset(v) for k, v in roles.items()}


@cache
def _field_captions() -> dict[str, str]:
    return {norm(r["caption"]).rstrip(":"): r["key"] for r in lexicon.table("header_fields.tsv")}


_MIN_FIELD_PREFIX = 5  # characters of a truncated header caption ("实施期资金" of 实施期资金总额)


@cache
def _field_prefixes() -> dict[str, str]:
    """Each prefix of _MIN_FIELD_PREFIX or more characters of a caption -> the key of the first
    caption (in lexicon order) that starts with it: one lookup for a truncated caption."""
    out: dict[str, str] = {}
    for caption, key in _field_captions().items():
        for n in range(_MIN_FIELD_PREFIX, len(caption) + 1):
            out.setdefault(caption[:n], key)
    return out


def layout_words(role: str) -> frozenset[str]:
    return _layout_words().get(role, frozenset())


# a category annotated by its form: "数量指标(必填硬性指标)", "经济效益指标（选填）", or by its score
# range: "成本指标(0-20)分"
_ANNOTATION = cached_compile(r"[(（][^()（）]{1,12}[)）]分?$")


@_memo
def level2_of(cell: str) -> tuple[str, str] | None:
    """(canonical level2, level1) when the cell is a 二级 label, full, annotated or truncated."""
    key = norm(cell)
    if key.endswith((")", ")分")):
        key = _ANNOTATION.sub("", key)
    hit = _level2_variants().get(key)
    if hit:
        return hit
    return _level2_truncated().get(key) if len(key) >= _MIN_TRUNCATED else None


@cache
def _level2_truncated() -> dict[str, tuple[str, str]]:
    """A "…指标" variant less its last 1.._MAX_LOST characters -> its (level2, level1), the first
    variant in lexicon order for a shared prefix."""
    out: dict[str, tuple[str, str]] = {}
    for variant, value in _level2_variants().items():
        if variant.endswith("指标"):
            for lost in range(1, _MAX_LOST + 1):
                out.setdefault(variant[:-lost], value)
    return out


@_memo_few
def weak_level2_of(cell: str) -> tuple[str, str] | None:
    """A 二级 label cut to its first characters by a narrow column ("经济", "生态", "服务对象").

    Only trustworthy where the cell stands in the 二级 column or left of it; callers check that.
    """
    key = norm(cell)
    if len(key) < 2:
        return None
    hits = [v for variant, v in _level2_variants().items() if variant.startswith(key) and variant.endswith("指标")]
    # "经济" starts 经济效益指标 and 经济成本指标: prefer the category whose own name it starts
    hits.sort(key=lambda v: not v[0].startswith(key))
    return hits[0] if hits else None


_BARE_VALUE = cached_compile(r"^[≥≤≧≦<>=约]*[0-9][0-9.,]*\S{0,6}$")


@_memo_few
def is_bare_value(cell: str) -> bool:
    """A number with at most a short unit: ">90%", "≥50人", "4318吨"; not a name with a year."""
    return bool(_BARE_VALUE.match(norm(cell)))


@_memo_few
def looks_like_value(cell: str) -> bool:
    """A 指标值 rather than a name: it has a number or comparator, or is a word or two."""
    key = norm(cell)
    return bool(_VALUE_MARK.search(key)) or 0 < len(key) <= 4


@_memo
def level1_of(cell: str) -> str | None:
    key = norm(cell)
    return _level1_variants().get(_ANNOTATION.sub("", key) if key.endswith((")", ")分")) else key)


def is_column_header(cell: str) -> bool:
    """No memo of its own: what asks it of every cell (extract._cell_reading) keeps its answer; a
    memo kept 2,048 texts more (corpora/: 1,390 misses and 704 hits a copy-major run)."""
    return norm(cell) in layout_words("column_header")


def is_indicator_header(cells: list[str] | tuple[str, ...]) -> bool:
    """The caption row of the indicator block (一级指标 | 二级指标 | 三级指标 | 指标值 …): the captions
    the templates in lexicons/templates/ know decide (`templates.is_caption_row`)."""
    return _templates.is_caption_row(cells)


@_memo_wide
def is_footer(cell: str) -> bool:
    """A footer caption (负责人：), also cut short by a narrow column ("负责", "经办")."""
    key = norm(cell).rstrip(":")
    if key.endswith("年月日") and _SIGN_OFF.search(key):  # (the pattern ends so: most cells stop here)
        return True  # an office's seal and date blank: "财政绩效管理科室(盖章) 年 月 日"
    # only the short captions (负责人, 填报日期) are cut by a narrow column; a long one
    # ("主管部门审核意见") must match whole, or its prefix "主管部门" would be a footer
    return len(key) >= 2 and key in _footer_keys()


@cache
def _footer_keys() -> frozenset[str]:
    """The footer captions, and the prefixes of two characters or more of the short ones."""
    words = layout_words("footer")
    return words | {w[:n] for w in words if len(w) <= _SHORT_FOOTER for n in range(2, len(w))}


_SIGN_OFF = cached_compile(r"盖章[)）]?年月日$")


# a label before a colon; tried only where a run of label characters starts, and never given
# back (a long line without a colon was read in quadratic time: 1.2 ms a line)
_FOOTER_LABEL = cached_compile(r"(?<![^\s:：])([^\s:：]++)\s*[:：]")


def is_footer_row(cells: list[str] | tuple[str, ...]) -> bool:
    """The 负责人/经办人/联系电话/填报日期 row that closes a table, also printed as one line of text
    ("填表人: … 联系电话: … 填报日期:")."""
    hits = sum(map(is_footer, cells))
    if hits < 2 and len(cells) == 1 and (":" in cells[0] or "：" in cells[0]):  # labels end at a colon
        hits = sum(map(is_footer, _FOOTER_LABEL.findall(cells[0])))
    elif not hits:  # no footer caption at all: most rows
        return False
    return hits >= 2 or (bool(cells) and is_footer(cells[0]) and norm(cells[0]).rstrip(":") in layout_words("footer"))


_TITLE_YEAR = cached_compile(r"[(（]?\s*(?:20\d\d)?\s*年度?\s*[)）]?$")
_TITLE_MAX = 60  # characters: a title, not a sentence that mentions one

# "- 23 -", "第5页/共60页"; a scan's OCR may lose one of the thin dashes: "23-", "-23"
_PAGE_NUMBER = cached_compile(r"^(?:[-—–]\d{1,4}[-—–]?|\d{1,4}[-—–]|第\d{1,4}页(?:/?共\d{1,4}页)?)$")


def is_watermark(text: str) -> bool:
    """Page furniture: a watermark line, or a page number ("- 23 -", "第5页", "23-" when
    OCR lost a dash). Asked of every line, so a line holding a CJK ideograph that no watermark
    word and no page number has ("项目名称", most lines) is told apart at once."""
    if _no_furniture().search(text):
        return False
    key = norm(text)
    return key in layout_words("watermark") or bool(_PAGE_NUMBER.match(key))


def is_noise(text: str) -> bool:
    """A line no stage reads: page furniture (`is_watermark`) or a line garbled upstream
    (`is_mojibake` of its stripped text). Asked of every line (segment._rows): a line holding a
    CJK ideograph no furniture has and two characters no UTF-8 holds (most Chinese lines) is
    neither, told by one match (`plain_text`: segment._rows asks it itself)."""
    if plain_text().match(text):
        return False
    return is_watermark(text) or (not text.isascii() and is_mojibake(text.strip()))


@cache
def _no_furniture() -> re.Pattern[str]:
    """A CJK unified ideograph (U+4E00-U+9FFF) that no watermark word and no page number holds:
    `norm` keeps such a character as it is (NFKC neither decomposes it nor composes it with a
    neighbour, and it is no whitespace), so a line holding one is no furniture.
    (`re`, not `regex`: its character-class search is twice as fast, and this runs on every line.)"""
    furniture = sorted({ord(c) for c in "".join(layout_words("watermark")) + _PAGE_NUMBER.pattern if "\u4e00" <= c <= "\u9fff"})
    bounds = [0x4E00 - 1, *furniture, 0xA000]  # the block's runs between furniture characters
    return cached_re(_char_class((a + 1, b - 1) for a, b in zip(bounds, bounds[1:]) if a + 1 < b))


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    """A regular-expression character class of the code-point ranges (first, last)."""
    return "[" + "".join(f"{_class_char(a)}-{_class_char(b)}" for a, b in ranges) + "]"


def _class_char(code: int) -> str:
    ch = chr(code)
    return "\\" + ch if ch in "\\]-[^" else ch


def _runs(codes: set[int]) -> Iterator[tuple[int, int]]:
    """The runs of consecutive code points in `codes`, as (first, last)."""
    starts = sorted(c for c in codes if c - 1 not in codes)
    ends = sorted(c for c in codes if c + 1 not in codes)
    return zip(starts, ends)


@_memo
def is_half_caption(cell: str) -> bool:
    return norm(cell) in layout_words("half")


@text_memo(fill_of(1 << 12))  # 1,365: corpora/ asks 989 texts a copy (a row's first cell)
def title_kind(text: str) -> str | None:
    """"project" / "department" when the text is a 绩效目标表 title."""
    key = norm(text)
    anyword, department, project = _title_words()
    if not anyword.search(key):
        return None  # no title word anywhere (most rows): none of the tests below can hold
    if department.search(key):
        return "department"
    if project.search(key):
        return "project"
    # "…资金绩效目标表", "财政项目支出绩效目标申报表(2024年度)": a short line ending with a title word
    bare = _TITLE_YEAR.sub("", key)
    if len(bare) <= _TITLE_MAX and bare.endswith(tuple(layout_words("title_suffix"))):
        return "project"
    return None


@cache
def _title_words() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """One search each for: a word of any title role, a title_department word, a title_project
    word (a title_suffix word that ends a title's text, less its year, is in the text as well)."""

    def words(*roles: str) -> re.Pattern[str]:
        return any_of(w for r in roles for w in layout_words(r))

    return words("title_department", "title_project", "title_suffix"), words("title_department"), words("title_project")


@_memo_wide
def field_key(cell: str) -> str | None:
    """Canonical key of a header caption ("实施期资金总额：" -> "total"), also when truncated."""
    key = norm(cell).rstrip(":")
    if not key:
        return None
    hit = _field_captions().get(key)
    if hit:
        return hit
    return _field_prefixes().get(key) if len(key) >= _MIN_FIELD_PREFIX else None


def is_mojibake(text: str) -> bool:
    """UTF-8 bytes that were decoded as GBK somewhere upstream ("浠呬緵鍐呴儴瀹℃牳").

    Such a line re-encodes to GB18030 bytes that are valid UTF-8 and mean something else. Asked
    of every line: a line with two characters that are no UTF-8 whatever surrounds them (most
    Chinese lines) is told apart without encoding it.
    """
    if not text or text.isascii():
        return False
    if _two_never_utf8().search(text):
        return False  # each of them decodes to a U+FFFD of its own: two or more
    try:
        raw = text.encode("gb18030")
    except UnicodeError:
        return False
    # A mojibake line may be cut mid-character, so allow one broken sequence at its end.
    repaired = raw.decode("utf-8", errors="replace")
    return repaired.count("\ufffd") <= 1 and repaired != text and len(repaired) < len(text)


_NO_UTF8 = bytes([0xC0, 0xC1, *range(0xF5, 0x100)])  # bytes that occur in no UTF-8 sequence
_UTF8_SECOND = {0xE0: (0xA0, 0xBF), 0xED: (0x80, 0x9F), 0xF0: (0x90, 0xBF), 0xF4: (0x80, 0x8F)}  # else 80-BF


@cache
def _two_never_utf8() -> re.Pattern[str]:
    """Two characters (anywhere in a text) whose two GB18030 bytes hold an error of UTF-8 wherever
    they stand: a byte of _NO_UTF8, or a lead byte (C2-F4) whose second byte cannot follow it (a
    lead is never taken as a continuation, so the error is its own). Each decodes to a U+FFFD of
    its own in `is_mojibake`'s repair, so two of them make a line no mojibake. Built from the
    codec: GBK's two-byte codes (lead 81-FE, second byte 40-7E or 80-FE) with such an error."""
    return cached_re(f"(?:{_never_utf8_class()}.*?){{2}}", re.DOTALL)


@cache
def _never_utf8_class() -> str:
    """The character class of `_two_never_utf8`, written once."""
    allowed = bytes(b for b in range(256) if b not in _NO_UTF8)
    seconds = bytes([*range(0x40, 0x7F), *range(0x80, 0xFF)])
    pairs = bytearray()
    for lead in range(0x81, 0xFF):
        if lead in _NO_UTF8:
            bad = seconds
        elif lead >= 0xC2:
            lo, hi = _UTF8_SECOND.get(lead, (0x80, 0xBF))
            bad = seconds.translate(None, bytes(range(lo, hi + 1)))
        else:  # a continuation byte (81-BF) may continue what precedes: only a _NO_UTF8 second byte
            bad = seconds.translate(None, allowed)
        row = bytearray(2 * len(bad))
        row[0::2], row[1::2] = bytes([lead]) * len(bad), bad
        pairs += row
    return _char_class(_runs(set(map(ord, pairs.decode("gb18030")))))


@cache
def plain_text() -> re.Pattern[str]:
    """A text that is neither furniture nor mojibake on sight: a CJK ideograph no furniture has
    (`_no_furniture`) and two characters no UTF-8 holds (`_two_never_utf8`), anywhere, in one
    match from the start; each run up to the next such character is one scan of its negated
    class (the two lazy searches answered alike at twice the instructions). Its compiled code is
    read back from the machine's copy (`patterns.cached_re`: ~0.26 G instructions to compile)."""
    furniture, never = _no_furniture().pattern, _never_utf8_class()
    other, not_never = "[^" + furniture[1:], "[^" + never[1:]  # (both are positive classes: "[...]")
    return cached_re(f"(?={other}*{furniture}){not_never}*{never}{not_never}*{never}")


# templates.py reads captions with the functions above: imported last, so the cycle resolves
from . import templates as _templates  # noqa: E402
