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

from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter

import regex

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
    scale_chars = "".join(v.scales)
    p: dict[str, str] = {}
    # Chinese numerals count only before a unit ("三次", "两个", "一万人"); "十分" is the adverb
    # "very" unless it is 十分钟, and numeral + unit + 性 is an adjective ("一次性通过").
    p["cnum"] = rf"(?!十分(?!钟))[{numeral_chars}]+"
    p["digit"] = rf"[{digit_chars}\d]"
    # a scale character that starts a unit (千米, 千克, 百分点) is read as that unit
    p["scale"] = rf"(?:(?=[{scale_chars}])(?!\L<scaled_unit>)[{scale_chars}])+"
    p["per"] = r"(?:(?:/每?|·|每|一(?=\L<period>))(?P<per>\L<unit>))"
    # one amount, or a range of two ("10-15天", "90%-95%", "10-15万元"); per-units; comparators.
    # A bracketed unit after the unit (台(套)) is an alternative spelling and adds nothing.
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
    p["deadline"] = r"(?P<part>\L<part>)?(?P<end>\L<end>)?(?P<by>\L<by>)?"
    return p


def _amount(p: dict[str, str], n: str) -> str:
    """A number with its scale and unit; `n` suffixes the group names (the high end of a range)."""
    return rf"""(?:
          (?P<num{n}>{NUMBER})(?!成)(?P<scale{n}>{p['scale']})?(?:(?P<unit{n}>\L<unit>)(?:\(\L<unit>\))?)?
        | 百分之(?P<percent{n}>{NUMBER}|{p['cnum']})
        | 千分之(?P<permille{n}>{NUMBER}|{p['cnum']})
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
        # "每季度", "按月支付", "每月1次", "每年不少于2次", "每四个月支付一次", "每人500元"
        ("every", rf"""\L<every>(?P<n>{NUMBER}|{p['cnum']})?个?
            (?: (?P<cycle>\L<period>)(?:\p{{Han}}{{0,4}}?{p['quantity']})?
              | (?P<cycle>\L<unit>)\p{{Han}}{{0,2}}?{p['quantity']} )"""),
        # "2024-2026年", "2024年至2025年"
        ("years", rf"(?P<y1>{YEAR})年?\L<to>(?P<y2>{YEAR})年度?(?!\d)"),
        # "7月至8月", "2024年3月-6月", "1-3月"
        ("date_range", date_point.replace("月份?", "(?:月份?)?", 1).format(n="1") + r"\L<to>" + date_point.format(n="2")),
        # "2024年7月", "12月前", "6月30日前", "2024年5月底前", "次年3月底前", "3月上旬完成"
        ("date", date_point.format(n="") + p["deadline"]),
        # "2024.12", "2024-12-31", "2024/6/30前"
        ("iso", rf"(?P<y>{YEAR})[./-](?P<m>1[0-2]|0?[1-9])(?:[./-](?P<d>{DAY}))?(?![\d%]|\.\d|[十百千万亿]|\L<unit>)"
                + p["deadline"]),
        # "第三季度", "2024年3季度", "Q3", "第四季度末"
        ("quarter", rf"""(?:(?P<y>{YEAR})年|(?P<ry>\L<relative_year>))?
            (?:第(?P<q>{QUARTER})季度?|(?P<q>{QUARTER})季度|[Qq](?P<q>[1-4]))""" + p["deadline"]),
        # "全年", "上半年", "年底前", "2024年年底", "次年年初"
        ("calendar", rf"(?:(?P<y>{YEAR})年?|(?P<ry>\L<relative_year>))?(?P<word>\L<calendar>)(?P<by>\L<by>)?"),
        # "2024年", "2024年度"
        ("year", rf"(?P<y>{YEAR})年度?(?P<by>\L<by>)?"),
        # "≥95%", "≤13.93万元", "≤400元/人/天", "8万元一年", "三次", "百分之百", "九成", "20分钟内",
        # and ranges: "10-15天", "3~5个", "90%-95%", "10-15万元"
        ("quantity", p["quantity"]),
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
    }


def _first_characters() -> str:
    """Every character a form can start with: elsewhere the search skips on at once."""
    lists = _named_lists()
    words = [w for name in ("cmp_before", "every", "relative_year", "calendar", "period") for w in lists[name]]
    numerals = "".join(vocabulary().numerals)
    return "".join(sorted({w[0] for w in words} | set(numerals) | set("0123456789Qq第")))


# Forms that need no time word: the fast path for text without any time mark.
NUMERIC_FORMS = ("iso", "quantity")


def pattern_text(forms: tuple[str, ...] | None = None) -> str:
    """The grammar (all forms, or the named ones) as one verbose pattern, for reading and debugging."""
    chosen = [(name, body) for name, body in _alternatives() if forms is None or name in forms]
    alternation = "\n|".join(f"(?P<{name}>{body})" for name, body in chosen)
    return f"(?=[{regex.escape(_first_characters())}])(?:{alternation})"


@dataclass(frozen=True, slots=True)
class Grammar:
    pattern: regex.Pattern
    index: dict[str, int]  # group name -> position in Match.groups()
    getters: dict[tuple[str, ...], itemgetter] = field(default_factory=dict)  # names -> their getter

    def getter(self, names: tuple[str, ...]) -> itemgetter:
        found = self.getters.get(names)
        if found is None:
            found = self.getters[names] = itemgetter(*(self.index[n] for n in names))
        return found


@cache
def compiled(forms: tuple[str, ...] | None = None) -> Grammar:
    pattern = regex.compile(pattern_text(forms), regex.VERBOSE, ignore_unused=True, **_named_lists())
    return Grammar(pattern, {name: number - 1 for name, number in pattern.groupindex.items()})


class Groups:
    """A match's groups by name, read from one `groups()` tuple.

    A named lookup on a `regex` Match costs about 0.25 µs, a tuple index 0.03 µs; with a dozen
    lookups per value that difference is the 100,000 values/s target.
    """

    __slots__ = ("match", "values", "index", "grammar")

    def __init__(self, match: regex.Match, grammar: Grammar) -> None:
        self.match = match
        self.values = match.groups()
        self.index = grammar.index
        self.grammar = grammar

    def __call__(self, name: str) -> str | None:
        return self.values[self.index[name]]

    def matched(self, name: str) -> bool:
        """Did the group match? False too when this grammar has no such group (NUMERIC_FORMS)."""
        i = self.index.get(name)
        return i is not None and self.values[i] is not None

    def many(self, names: tuple[str, ...]) -> tuple[str | None, ...]:
        """Several groups at once; `names` must have at least two (itemgetter returns a tuple then)."""
        return self.grammar.getter(names)(self.values)

    def captures(self, name: str) -> list[str]:
        """Every capture of a repeated group ("元/人/天": per -> 人, 天)."""
        return self.match.captures(self.index[name] + 1)


@cache
def time_marks() -> frozenset[str]:
    """Characters of which every time form contains at least one (年 月 季 每 …).

    Text with none of them can only hold a numeric form, so it is searched with the smaller
    NUMERIC_FORMS pattern. Computed from the lexicons as a greedy hitting set, so a new time
    word can never be missed.
    """
    lists = _named_lists()
    words = {w for name in ("period", "every", "calendar", "relative_year") for w in lists[name]}
    words |= {"季度", "Q", "q", "年", "月"}  # the quarter, year and month forms' own marks
    # a word holding a shorter one (个月 holds 月) is covered by it: keep the marks rare ones, not 个
    words = {w for w in words if not any(other != w and other in w for other in words)}
    marks: set[str] = set()
    while words:
        counts: dict[str, int] = {}
        for word in words:
            for ch in set(word):
                counts[ch] = counts.get(ch, 0) + 1
        best = max(sorted(counts), key=counts.__getitem__)
        marks.add(best)
        words = {w for w in words if best not in w}
    return frozenset(marks)
