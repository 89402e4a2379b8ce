"""Review vocabulary from lexicons/: unit kinds (units.tsv) and review words (review_words.tsv)."""
from __future__ import annotations

from functools import cache

from .. import lexicon
from ..layout import norm

WORDS_FILE = "review_words.tsv"


@cache
def units_of_kind(kind: str) -> frozenset[str]:
    """Base units of one kind in units.tsv ("money" -> {"元", "美元"}, "time" -> {"天", "月", ...})."""
    return frozenset(r["unit"] for r in lexicon.table("units.tsv") if r.get("kind") == kind and r.get("unit"))


@cache
def review_words(role: str) -> tuple[str, ...]:
    return tuple(sorted({norm(r["word"]) for r in lexicon.table(WORDS_FILE) if r["role"] == role}))


def mentions(text: str, role: str) -> bool:
    key = norm(text)
    return any(w in key for w in review_words(role))
