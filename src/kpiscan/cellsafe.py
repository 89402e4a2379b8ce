"""Spreadsheet formula-injection guard for every cell kpiscan writes to CSV or xlsx (issue 15).

An indicator name printed as "=HYPERLINK(...)" or "@SUM(...)" must reach a reviewer's Excel/WPS
as text, never as a live formula. The rule is OWASP's (CSV Injection; ASVS 5.0 V1.2.10): a text
cell whose first character is = + - @, a tab, a carriage return or a NUL is prefixed with a single
quote ('), and the CSV writer quotes fields as RFC 4180 says (the csv module does). The xlsx writer
stores such cells as strings (never formulas) with Excel's quote-prefix flag (the cell shows the
text unchanged and stays text when edited); CSV has no flag, so the quote is written in front.
"""
from __future__ import annotations

import re
from operator import itemgetter
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_FIRST = frozenset(FORMULA_START)  # each start is one character: a text's first looked up in a set
assert all(len(c) == 1 for c in FORMULA_START)


def formula_like(value: Any) -> bool:
    """A str that a spreadsheet would read as a formula: "=1+1", "+86…", "-x", "@SUM(A1)"."""
    return isinstance(value, str) and value[:1] in _FIRST


def defuse(value: Any) -> Any:
    """The value with a leading ' when `formula_like` (CSV); anything else unchanged (numbers too)."""
    return "'" + value if formula_like(value) else value


def defuse_all(values: Iterable[Any]) -> list[Any]:
    """`defuse` of each value: a CSV row in one call, not one per cell (`formula_like`'s test
    written in: startswith with a tuple parses its arguments and tries each start, ~4 k
    instructions more a finding's row than the set)."""
    return ["'" + v if isinstance(v, str) and v[:1] in _FIRST else v for v in values]


_HEAD = itemgetter(0)  # a text's first character
_TEXT_OR_NONE = frozenset((str, type(None))).issuperset
_NO_TEXT = frozenset((int, float, bool, type(None))).issuperset
_SEP = "\x1f"  # joins a column's texts: a formula's start after it is a text's first character (or a false alarm)
_AFTER_SEP = re.compile(_SEP + "[" + re.escape("".join(FORMULA_START)) + "]").search


def defuse_rows(rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """`defuse_all` of each row (a CSV file's rows of equal length), column by column: a column
    that holds no text, or texts none of which is formula-like, as it is (`defuse_all` tests each
    cell in Python, ~13 k instructions a finding's row; here a column of texts is joined and
    searched once, in C); the rows rebuilt with the columns that hold a formula-like text (or a
    text with the separator before a formula's start) defused. The rows themselves when no cell
    is formula-like."""
    if len(set(map(len, rows))) != 1:
        return list(map(defuse_all, rows))  # (no rows, or rows of different lengths)
    columns = list(zip(*rows))
    defused = False
    for k, column in enumerate(columns):
        try:
            joined = _SEP.join(column)
        except TypeError:  # not only texts
            kinds = set(map(type, column))
            if _NO_TEXT(kinds) or (_TEXT_OR_NONE(kinds) and _FIRST.isdisjoint(map(_HEAD, filter(None, column)))):
                continue
        else:
            if joined[:1] not in _FIRST and _AFTER_SEP(joined) is None:
                continue
        columns[k] = defuse_all(column)  # type: ignore[call-overload]
        defused = True
    return list(zip(*columns)) if defused else rows
