"""Review vocabulary from lexicons/: unit kinds (units.tsv) and review words (review_words.tsv)."""
from __future__ import annotations

import re
from functools import cache

from .. import lexicon
from ..layout import fill_of, norm, text_memo
from ..patterns import any_of

WORDS_FILE = "review_words.tsv"


@cache
def units_of_kind(kind: str) -> frozenset[str]:
    """Base units of one kind in units.tsv ("money" -> {"元", "美元"}, "time" -> {"天", "月", ...})."""
    return frozenset(r["unit"] for r in lexicon.table("units.tsv") if r.get("kind") == kind and r.get("unit"))


@cache
def review_words(role: str) -> tuple[str, ...]:
    return tuple(sorted({norm(r["word"]) for r in lexicon.table(WORDS_FILE) if r["role"] == role}))


@text_memo(fill_of(1 << 12))
def mentions(text: str, role: str) -> bool:
    """A review word of `role` occurs in the text (normalised). A bounded memo of names: both
    halves of a row print one name, and a province repeats them (the NFKC and the search ~4.4 k
    instructions, a hit ~1 k; asked of every 数量指标 row and every money 成本指标 row)."""
    return _words_pattern(role).search(norm(text)) is not None


@cache
def _words_pattern(role: str) -> re.Pattern[str]:
    """The review words of `role`: one search finds a text holding any of them."""
    return any_of(review_words(role))
