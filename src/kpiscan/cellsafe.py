"""Spreadsheet formula-injection guard for every cell kpiscan writes to CSV or xlsx (issue 15).

An indicator name printed as "=HYPERLINK(...)" or "@SUM(...)" must reach a reviewer's Excel/WPS
as text, never as a live formula. The rule is OWASP's (CSV Injection; ASVS 5.0 V1.2.10): a text
cell whose first character is = + - @, a tab, a carriage return or a NUL is prefixed with a single
quote ('), and the CSV writer quotes fields as RFC 4180 says (the csv module does). The xlsx writer
stores such cells as strings (never formulas) with Excel's quote-prefix flag (the cell shows the
text unchanged and stays text when edited); CSV has no flag, so the quote is written in front.
"""
from __future__ import annotations

from typing import Any, Iterable

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
