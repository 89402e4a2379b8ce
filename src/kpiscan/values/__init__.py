"""Normalising 指标值: `parse_value(text, year) -> Target` (docs/contracts.md (Target), docs/values.md).

    vocab.py    the vocabulary, read once from lexicons/*.tsv
    numbers.py  Arabic and Chinese numerals, scale words
    grammar.py  the named pieces and the one compiled `regex` pattern
    parse.py    a match -> Target, one builder per form
    describe.py a Target as one readable line
"""
from __future__ import annotations

from kpiscan.values.describe import describe
from kpiscan.values.parse import find_values, iso, parse_strict, parse_value, parse_value_memo

__all__ = ["describe", "find_values", "iso", "parse_strict", "parse_value", "parse_value_memo"]
