"""The classifier's vocabulary from lexicons/: vague, binary and anchor terms, and name cues.

A value is read as a sequence of term hits, leftmost-longest over all three term lists at once, so
a longer word of one list hides the shorter word of another inside it ("可持续" is binary and hides
the vague "持续"; "及时完成" is binary and hides the vague "及时").
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache

from .. import lexicon
from ..layout import MEMO_TEXTS, norm

VAGUE_FILE = "vague_terms.tsv"
BINARY_FILE = "binary_terms.tsv"
ANCHOR_FILE = "anchor_terms.tsv"
CUES_FILE = "name_cues.tsv"

MAX_STRENGTH = 3
LABELS = ("vague", "binary", "temporal")  # the labels a term list gives, in the order features read them


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    label: str  # "vague" / "binary" / "temporal" (an anchor day)
    kind: str  # direction, praise, pass, festival, ... (the lexicon's kind column)
    strength: int  # 1..3; anchors count as 3
    whole_only: bool = False


@dataclass(frozen=True, slots=True)
class Hits:
    """The term hits of one text, in reading order, with the strongest hit of each label (read by
    several features and reasons: found once, when the hits are made)."""

    terms: tuple[Term, ...]
    best: dict[str, Term] = field(init=False, compare=False, repr=False)
    # what the model reads of them (features.domain_features prefixes each name with v_ or n_):
    # per label its strongest hit's strength / 3, strength and kind, then the number of hits
    summary: tuple[tuple[str, float], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        best: dict[str, Term] = {}
        for t in self.terms:  # max by (strength, length), the first of equals
            held = best.get(t.label)
            if held is None or (t.strength, len(t.text)) > (held.strength, len(held.text)):
                best[t.label] = t
        summary: list[tuple[str, float]] = []
        for label in LABELS:
            term = best.get(label)
            if term is not None:
                summary += [(label, term.strength / MAX_STRENGTH), (f"{label}_strength={term.strength}", 1.0),
                            (f"{label}_kind={term.kind}", 1.0)]
        summary.append(("hits", min(len(self.terms), 3) / 3))
        object.__setattr__(self, "best", best)
        object.__setattr__(self, "summary", tuple(summary))

    def strongest(self, label: str) -> Term | None:
        return self.best.get(label)

    def strength(self, label: str) -> int:
        best = self.best.get(label)
        return best.strength if best else 0


def _terms(file: str, label: str) -> list[Term]:
    out = []
    for row in lexicon.table(file):
        text = norm(row["term"])
        strength = int(row.get("strength") or MAX_STRENGTH)
        out.append(Term(text, label, row.get("kind", ""), strength, row.get("match") == "whole"))
    return out


# terms left out of all_terms(): only evaluation sets this (training.lexicon_blind), to measure
# how the classifier does on words the lexicons do not know
_MASKED: frozenset[str] = frozenset()


@cache
def all_terms() -> dict[str, Term]:
    """Every term by its normalised text; when two lists share a text the later list wins."""
    terms: dict[str, Term] = {}
    for file, label in ((VAGUE_FILE, "vague"), (BINARY_FILE, "binary"), (ANCHOR_FILE, "temporal")):
        for term in _terms(file, label):
            if term.text not in _MASKED:
                terms[term.text] = term
    return terms


@contextmanager
def masked(texts: frozenset[str]) -> Iterator[None]:
    """Within the block, the lexicons lack `texts` (normalised terms)."""
    global _MASKED
    saved, _MASKED = _MASKED, frozenset(texts)
    _clear()
    try:
        yield
    finally:
        _MASKED = saved
        _clear()


def _clear() -> None:
    all_terms.cache_clear()
    _longest.cache_clear()
    term_hits.cache_clear()


@cache
def _longest() -> int:
    return max(len(t) for t in all_terms())


# memo sizes: one entry per distinct text, layout.MEMO_TEXTS (a copy's texts), so that a
# province-wide batch stays flat in memory


@lru_cache(maxsize=MEMO_TEXTS)
def term_hits(text: str) -> Hits:
    """Leftmost-longest term hits in `text` (normalised first); memoised per text."""
    key = norm(text)
    terms = all_terms()
    whole = terms.get(key)
    if whole is not None:
        return Hits((whole,))
    found: list[Term] = []
    i, longest = 0, _longest()
    while i < len(key):
        for size in range(min(longest, len(key) - i), 0, -1):
            term = terms.get(key[i : i + size])
            if term is not None and not term.whole_only:
                found.append(term)
                i += size
                break
        else:
            i += 1
    return Hits(tuple(found))


@cache
def _cues() -> tuple[tuple[str, str, bool], ...]:
    return tuple((norm(r["cue"]), r["kind"], r.get("where") == "end") for r in lexicon.table(CUES_FILE))


@lru_cache(maxsize=MEMO_TEXTS)
def name_cues(name: str) -> frozenset[str]:
    """Kinds of target the name asks for: {"rate", "time", "cost", "satisfaction", ...}; memoised."""
    key = norm(name).rstrip("。.，,；;：:）)")
    return frozenset(kind for cue, kind, at_end in _cues() if (key.endswith(cue) if at_end else cue in key))
