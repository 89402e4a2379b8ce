"""The value grammar: named pieces composed into one compiled `regex` pattern.

The pieces are written once below (comparator, number, scale, unit, per-units, date, deadline,
frequency, period) and joined as named top-level alternatives. Every word list comes from
lexicons/ through `regex` named lists (\\L<name>), which match the longest listed word first and
stay readable however long the list grows.

Inputs are folded first (`fold`): full-width ASCII to ASCII, dash and wave variants to "-" and "~",
middle-dot variants to "·", and all whitespace removed — one `str.translate`, character for
character, so a match position maps back to the original text (`kept_positions`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import Any

import regex

from kpiscan.patterns import cached_compile
from kpiscan.values.vocab import vocabulary

# ---------------------------------------------------------------- folding

_WHITESPACE = " \t\r\n\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
_WAVES = "\u301c\u223c"
_DOTS = "\u30fb\u2022\u2027\u2219\u22c5\u00b7\uff65"


def _fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # ！..～ -> !..~
    table.update({ord(c): None for c in _WHITESPACE})
    table.update({ord(c): ord("-") for c in _DASHES})
    table.update({ord(c): ord("~") for c in _WAVES})
    table.update({ord(c): ord("·") for c in _DOTS})
    table[ord("，")] = ord(",")
    table[ord("．")] = ord(".")
    return table


FOLD = _fold_table()


def fold(text: str) -> str:
    return text.translate(FOLD)


def kept_positions(text: str) -> list[int]:
    """For each character of fold(text), its index in text (folding only drops whitespace)."""
    return [i for i, ch in enumerate(text) if FOLD.get(ord(ch), 0) is not None]


# ---------------------------------------------------------------- pieces

# 1,234.5 · 95 · 13.93 — atomic, and never started inside another number: a failed form must
# not retry from every digit of "20446983.83元" (that backtracking cost 40 µs a value)
NUMBER = r"(?<![\d.,])(?>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
YEAR = r"(?:19|20)\d\d"
MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
DAY = r"(?:3[01]|[12]\d|0?[1-9])"
QUARTER = r"[1-4一二三四]"


def _pieces() -> dict[str, str]:
    v = vocabulary()
    numeral_chars = "".join(v.numerals)
    digit_chars = "".join(ch for ch, (_, role) in v.numerals.items() if role == "digit")
    ten_chars = "".join(ch for ch, (value, role) in v.numerals.items() if role == "unit" and value == 10)
    scale_chars = "".join(v.scales)
    p: dict[str, str] = {}
    # Chinese numerals count only before a unit ("三次", "两个", "一万人"); "十分" is the adverb
    # "very" unless it is 十分钟, and numeral + unit + 性 is an adjective ("一次性通过").
    # A run starts with a digit or 十 ("万亩", "百人" left unfilled are no number), is read whole
    # (possessive) and never from inside another run: a failed run costs one try, not one per
    # character (1,600 numerals took 1.3 s when every suffix of the run was retried).
    p["numeral"] = rf"(?<![{numeral_chars}])(?!十分(?!钟))[{numeral_chars}]++"  # after 百分之: "百分之百"
    # after 上/下 a numeral names a year or a period, not a count ("不低于上一年", "下一季度")
    p["cnum"] = rf"(?<![上下])(?=[{digit_chars}{ten_chars}]){p['numeral']}"
    p["digit"] = rf"[{digit_chars}\d]"
    # a scale character that starts a unit (千米, 千克, 百分点) is read as that unit
    p["scale"] = rf"(?:(?=[{scale_chars}])(?!\L<scaled_unit>)[{scale_chars}])+"
    # per-units; "元/人、次" lists a second one after 、 at the end of the value
    p["per"] = r"""(?:(?:/每?|·|每|一(?=\L<period>))(?P<per>\L<unit>)
                    (?:、(?P<per>\L<unit>)(?![\p{Han}\d]))?)"""
    # a baseline: "较上年", "与上年同期相比", "全省平均水平", "同比"
    p["baseline"] = r"(?:\L<against>)?(?P<base>\L<baseline>)(?:\L<level>)?(?:\L<compared>)?"
    # one amount, or a range of two ("10-15天", "90%-95%", "10-15万元"); per-units; comparators.
    # A bracketed unit after the unit (台(套)) is an alternative spelling and adds nothing.
    # What may stand before it (a change, its baseline, a per-unit: "较上年增长5%", "人均5000元")
    # is read by PREFIX, backwards from the amount, only when the text has something before it.
    p["quantity"] = (
        r"(?P<cmp>\L<cmp_before>)?"
        + _amount(p, "")
        + r"(?:(?P<to>\L<to>)" + _amount(p, "2") + ")?"
        + p["per"] + "*"
        + r"(?P<cmp_after>\L<cmp_after>)?"
    )
    p["date_point"] = rf"""
        (?:(?P<y{{n}}>{YEAR})年|(?P<ry{{n}}>\L<relative_year>))?
        (?<!\d)(?P<m{{n}}>{MONTH})月份?(?:(?P<d{{n}}>{DAY})[日号])?"""
    p["iso_point"] = rf"(?P<y{{n}}>{YEAR})[./-](?P<m{{n}}>1[0-2]|0?[1-9])(?:[./-](?P<d{{n}}>{DAY}))?"
    # "前后" is "around", not "before"
    p["deadline"] = r"(?P<part>\L<part>)?(?P<end>\L<end>)?(?:(?P<by>\L<by>)(?!后))?"
    return p


def _amount(p: dict[str, str], n: str) -> str:
    """A number with its scale and unit; `n` suffixes the group names (the high end of a range)."""
    return rf"""(?:
          (?P<num{n}>{NUMBER})(?!成)(?P<scale{n}>{p['scale']})?
            (?:(?P<unit{n}>\L<unit>)(?:\(\L<unit>\))?|\((?P<unit{n}>\L<unit>)\))?
        | 百分之(?P<percent{n}>{NUMBER}|{p['numeral']})
        | 千分之(?P<permille{n}>{NUMBER}|{p['numeral']})
        | (?P<tenths{n}>{NUMBER}|{p['digit']})成(?P<hundredths{n}>{p['digit']})?
        | (?P<cnum{n}>{p['cnum']})(?P<unit{n}>\L<unit>)(?:\(\L<unit>\))?(?!性)
        )"""


def _alternatives() -> list[tuple[str, str]]:
    """The top-level forms, in the order they are tried at each position."""
    p = _pieces()
    date_point = p["date_point"]
    return [
        # "季度" alone: a cycle word is a frequency
        ("bare_cycle", r"^\L<period>$"),
        # "1月/次", "3天/次": one occurrence every N cycles
        ("every_n", rf"(?P<n>{NUMBER}|{p['cnum']})?个?(?P<cycle>\L<period>)/(?P<count>{NUMBER}|{p['cnum']})?\L<occurrence>"),
        # "每季度", "按月支付", "每月1次", "每年不少于2次", "每四个月支付一次", "每人500元", "每人每月500元"
        # (the amount is written once: a cycle word, or a unit that needs one, then the amount;
        # else the cycle word alone)
        ("every", rf"""\L<every>(?P<n>{NUMBER}|{p['cnum']})?个?
            (?: (?: (?P<cycle>\L<period>)\p{{Han}}{{0,4}}?
                  | (?P<cycle>\L<unit>)(?:\L<every>(?P<cycle2>\L<unit>))?\p{{Han}}{{0,2}}? ) {p['quantity']}
              | (?P<cycle>\L<period>) )"""),
        # "2024-2026年", "2024年至2025年"
        ("years", rf"(?P<y1>{YEAR})年?\L<to>(?P<y2>{YEAR})年度?(?!\d)"),
        # "7月至8月", "2024年3月-6月", "1-3月"
        ("date_range", date_point.replace("月份?", "(?:月份?)?", 1).format(n="1") + r"\L<to>" + date_point.format(n="2")),
        # "2024年7月", "12月前", "6月30日前", "2024年5月底前", "次年3月底前", "3月上旬完成"
        ("date", date_point.format(n="") + p["deadline"]),
        # "2024.12", "2024-12-31", "2024/6/30前", "2024.9月份";
        # and a range of two: "2023.07-2024.01", "2024.1.1-2024.12.31", "2023.07至2024.01"
        ("iso", p["iso_point"].format(n="")
                + r"(?:\L<to>" + p["iso_point"].format(n="2") + r"(?![\d.])"
                + r"|(?:月份?|[日号])?(?![\d%]|\.\d|[十百千万亿]|\L<unit>)" + p["deadline"] + ")"),
        # "第三季度", "2024年3季度", "Q3", "第四季度末"
        ("quarter", rf"""(?:(?P<y>{YEAR})年|(?P<ry>\L<relative_year>))?
            (?:第(?P<q>{QUARTER})季度?|(?P<q>{QUARTER})季度|[Qq](?P<q>[1-4]))""" + p["deadline"]),
        # "全年", "上半年", "年底前", "2024年年底", "次年年初"
        ("calendar", rf"(?:(?P<y>{YEAR})年?|(?P<ry>\L<relative_year>))?(?P<word>\L<calendar>)(?P<by>\L<by>)?"),
        # "国庆节前", "元旦", "2025年五一前", "“七一”前后" (a named day with a fixed date)
        ("named_day", rf"""(?:(?P<y>{YEAR})年|(?P<ry>\L<relative_year>))?(?P<named>\L<named_day>)(?:\L<named_day>)?节?
            (?:["”’」』]?(?P<by>\L<by>)(?!后))?"""),
        # "2024年", "2024年度"
        ("year", rf"(?P<y>{YEAR})年度?(?P<by>\L<by>)?"),
        # "一年两次", "一个月一次", "一年5000元": the count or amount per one cycle
        ("one_cycle", rf"一个?(?P<cycle>\L<period>){p['quantity']}"),
        # "≥95%", "≤13.93万元", "≤400元/人/天", "8万元一年", "三次", "百分之百", "九成", "20分钟内",
        # and ranges: "10-15天", "3~5个", "90%-95%", "10-15万元"
        ("quantity", p["quantity"]),
        # "不低于上年", "高于全省平均水平", "与上年持平", "较上年有所提高": a baseline and no number
        ("relative", rf"""(?:(?P<cmp>\L<cmp_before>){p['baseline']}(?P<cmp_after>\L<cmp_after>)?
            | {p['baseline']}(?:\p{{Han}}{{0,3}}?(?P<chg>\L<change>)(?![\d.])|(?P<cmp_after>\L<cmp_after>)))"""),
    ]


def _named_lists() -> dict[str, list[str]]:
    v = vocabulary()
    occurrence = [a for a, u in v.units.items() if v.unit_kinds[u] == "occurrence"]
    return {
        "cmp_before": list(v.comparators_before),
        "cmp_after": list(v.comparators_after),
        "unit": list(v.units),
        "scaled_unit": v.scaled_units,
        "period": list(v.periods),
        "occurrence": occurrence,
        "every": v.time_words["every"],
        "by": v.time_words["by"],
        "end": v.time_words["end"],
        "part": v.time_words["part"],
        "to": v.time_words["to"],
        "calendar": list(v.calendar),
        "relative_year": list(v.relative_years),
        "average": v.time_words["average"],
        "against": list(v.baseline_words["against"]),
        "baseline": list(v.baseline_words["baseline"]),
        "level": list(v.baseline_words["level"]),
        "compared": list(v.baseline_words["compared"]),
        "change": list(v.changes),
        "named_day": list(v.named_days),
    }


# What each form can start with: named lists, or "=" and the characters themselves. The search
# tries the forms only at such characters and skips on at once elsewhere.
_FORM_STARTS: dict[str, tuple[str, ...]] = {
    "bare_cycle": ("period",),
    "every_n": ("=0123456789", "numeral", "period"),
    "every": ("every",),
    "years": ("=12",),
    "date_range": ("=0123456789", "numeral", "relative_year"),
    "date": ("=0123456789", "numeral", "relative_year"),
    "iso": ("=12",),
    "quarter": ("=12Qq第", "numeral", "relative_year"),
    "calendar": ("=12", "relative_year", "calendar"),
    "named_day": ("=12", "relative_year", "named_day"),
    "year": ("=12",),
    "one_cycle": ("=一",),
    "quantity": ("=0123456789", "numeral", "cmp_before"),
    "relative": ("cmp_before", "against", "baseline"),
}


def _first_characters(forms: tuple[str, ...] | None) -> str:
    """Every character the chosen forms can start with."""
    lists = {**_named_lists(), "numeral": list(vocabulary().numerals)}
    first: set[str] = set()
    for form in forms if forms is not None else tuple(_FORM_STARTS):
        for start in _FORM_STARTS[form]:
            first |= set(start[1:]) if start.startswith("=") else {w[0] for w in lists[start]}
    return "".join(sorted(first))


# Forms that need no time word: the fast path for text without any time mark.
NUMERIC_FORMS = ("iso", "quantity")
# What parse_value searches first: every form but `relative`, which has no number and is tried
# only when the text has no other form (a number wins: "较上年增长5%" is a quantity).
RELATIVE_FORMS = ("relative",)


@cache
def numbered_forms() -> tuple[str, ...]:
    return tuple(name for name, _ in _alternatives() if name not in RELATIVE_FORMS)


def prefix_pattern_text() -> str:
    """Read backwards from a quantity's first character: its change, baseline and per-unit.

    "较上年增长|5%", "同比下降|10%以上", "较上年增长|不低于5%", "不超过人均|5000元", "人均|不超过5000元".
    """
    p = _pieces()
    per_unit = r"(?:(?P<avg>\L<unit>)\L<average>)?"
    printed_year = rf"(?:\L<against>)(?P<base_year>{YEAR})年度?(?:\L<level>)?(?:\L<compared>)?"
    return (rf"(?r)(?:(?:{p['baseline']}|{printed_year}),?)?{per_unit}(?P<chg>\L<change>)?(?P<cmp>\L<cmp_before>)?"
            + per_unit)


@cache
def against_pattern() -> regex.Pattern[str]:
    """Read backwards: a word that makes the year after it a baseline ("较|2023年增长5%")."""
    return cached_compile(r"(?r)\L<against>", against=_named_lists()["against"])


@cache
def prefix_pattern() -> regex.Pattern[str]:
    lists: dict[str, Any] = _named_lists()
    return cached_compile(prefix_pattern_text(), **lists)


def pattern_text(forms: tuple[str, ...] | None = None) -> str:
    """The grammar (all forms, or the named ones) as one verbose pattern, for reading and debugging."""
    chosen = [(name, body) for name, body in _alternatives() if forms is None or name in forms]
    alternation = "\n|".join(f"(?P<{name}>{body})" for name, body in chosen)
    return f"(?=[{regex.escape(_first_characters(forms))}])(?:{alternation})"


Getter = Callable[[tuple[str | None, ...]], tuple[str | None, ...]]


@dataclass(frozen=True, slots=True)
class Grammar:
    pattern: regex.Pattern[str]
    index: dict[str, int]  # group name -> position in Match.groups()
    getters: dict[tuple[str, ...], Getter] = field(default_factory=dict)  # names -> their getter

    def getter(self, names: tuple[str, ...]) -> Getter:
        found = self.getters.get(names)
        if found is None:
            found = self.getters[names] = itemgetter(*(self.index[n] for n in names))
        return found


@cache
def compiled(forms: tuple[str, ...] | None = None) -> Grammar:
    lists: dict[str, Any] = _named_lists()
    pattern = cached_compile(pattern_text(forms), regex.VERBOSE, **lists)  # ~0.1 s a grammar compiled
    return Grammar(pattern, {name: number - 1 for name, number in pattern.groupindex.items()})


class Groups:
    """A match's groups by name, read from one `groups()` tuple.

    A named lookup on a `regex` Match costs about 0.25 µs, a tuple index 0.03 µs; with a dozen
    lookups per value that difference is the 100,000 values/s target.
    """

    __slots__ = ("match", "values", "index", "grammar")

    def __init__(self, match: regex.Match[str], grammar: Grammar) -> None:
        self.match = match
        self.values: tuple[str | None, ...] = match.groups()
        self.index = grammar.index
        self.grammar = grammar

    def __call__(self, name: str) -> str | None:
        return self.values[self.index[name]]

    def text(self, name: str) -> str:
        """A group the form always matches (its builder's required part)."""
        found = self.values[self.index[name]]
        if found is None:
            raise AssertionError(f"group {name} did not match in {self.match!r}")
        return found

    def matched(self, name: str) -> bool:
        """Did the group match? False too when this grammar has no such group (NUMERIC_FORMS)."""
        i = self.index.get(name)
        return i is not None and self.values[i] is not None

    def many(self, names: tuple[str, ...]) -> tuple[str | None, ...]:
        """Several groups at once; `names` must have at least two (itemgetter returns a tuple then)."""
        return self.grammar.getter(names)(self.values)

    def captures(self, name: str) -> list[str]:
        """Every capture of a repeated group ("元/人/天": per -> 人, 天)."""
        captured: list[str] = self.match.captures(self.index[name] + 1)
        return captured


@cache
def time_marks() -> frozenset[str]:
    """Characters of which every time form contains at least one (年 月 季 每 旦 …).

    Text with none of them can only hold a numeric form, so it is searched with the smaller
    NUMERIC_FORMS pattern. Computed from the lexicons as a greedy hitting set, so a new time
    word can never be missed.
    """
    lists = _named_lists()
    words = {w for name in ("period", "every", "calendar", "relative_year", "named_day") for w in lists[name]}
    words |= {"季度", "Q", "q", "年", "月"}  # the quarter, year and month forms' own marks
    # a word holding a shorter one (个月 holds 月) is covered by it: keep the marks rare ones, not 个
    words = {w for w in words if not any(other != w and other in w for other in words)}
    # a character of a unit, comparator or scale (元 of 元旦) would send every amount down the slow path
    v = vocabulary()
    common = set("".join([*v.units, *v.comparators_before, *v.comparators_after, *v.scales]))
    marks: set[str] = set()
    while words:
        counts: dict[str, int] = {}
        for word in words:
            for ch in set(word):
                counts[ch] = counts.get(ch, 0) + 1
        best = max(sorted(counts), key=lambda ch: (ch not in common, counts[ch]))
        marks.add(best)
        words = {w for w in words if best not in w}
    return frozenset(marks)
