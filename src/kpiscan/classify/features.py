"""Features of an Item for the estimator: domain features as a dict, and texts for n-grams.

The dict carries what should carry over to documents we have not seen: the Target kind and its
fields, level2, the graded term hits of the value and of the name, the name's cues (…率, …时间,
…成本, …满意度), how value and name relate, and the lexicon baseline's vote. The texts feed
character n-grams of the value and jieba words of name and value.
Every function here is module-level so that a fitted pipeline pickles by reference.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..constants import DATED_KINDS
from ..layout import norm
from .item import Item, unit_kind
from .rules import baseline_label, name_as_value
from .terms import Hits, name_cues, term_hits

# An Item whose lexicon hits are hidden: training copies teach the model to read values whose
# words the lexicons lack (see estimator.MeasurabilityClassifier.lexicon_dropout).
NO_HITS = Hits(())


@dataclass(frozen=True, slots=True)
class HiddenTermsItem(Item):
    """A training copy of an Item whose value's term hits (and so the baseline vote) are hidden."""

    hide_terms: bool = True


def _length_bucket(text: str) -> str:
    n = len(text)
    return "0" if n == 0 else "1-2" if n <= 2 else "3-4" if n <= 4 else "5-8" if n <= 8 else "9+"


def _term_features(prefix: str, hits: Hits, out: dict[str, float | str]) -> None:
    for key, x in hits.summary:  # Hits.summary: strongest vague / binary / temporal hit, and the count
        out[prefix + key] = x


def domain_features(item: Item, hide_terms: bool = False) -> dict[str, float | str]:
    t = item.target
    value, name = norm(item.value), norm(item.name)
    hits = NO_HITS if hide_terms else term_hits(item.value)
    cues = name_cues(item.name)
    # a string feature is written as DictVectorizer names it ("kind=quantity": 1.0): the same
    # columns, and the exported model reads the dicts without a per-feature test
    out: dict[str, float | str] = {
        f"kind={t.kind}": 1.0,
        f"level2={item.level2}": 1.0,
        f"value_len={_length_bucket(value)}": 1.0,
        f"name_len={_length_bucket(name)}": 1.0,
        "value_has_digit": float(any(map(str.isdigit, value))),
    }
    vote = "hidden" if hide_terms else baseline_label(item, hits)
    out[f"vote={vote}"] = 1.0
    out[f"vote={vote}&kind={t.kind}"] = 1.0
    if t.kind == "quantity":
        out[f"op={t.op or '='}"] = 1.0
        out[f"unit_kind={unit_kind(t) or 'none'}"] = 1.0
        out["has_per"] = float(bool(t.per))
    if t.kind in DATED_KINDS:
        out["dated"] = 1.0
        out[f"level2={item.level2}&dated"] = 1.0
    _term_features("v_", hits, out)
    _term_features("n_", term_hits(item.name), out)
    for cue in cues:
        out[f"cue={cue}"] = 1.0
        out[f"cue={cue}&kind={t.kind}"] = 1.0
    out[f"level2={item.level2}&kind={t.kind}"] = 1.0
    if value and value in name:
        out["value_in_name"] = 1.0
        out[f"value_in_name&level2={item.level2}"] = 1.0
    if name and name in value:
        out["name_in_value"] = 1.0
    if name_as_value(item.name):
        out["name_is_value"] = 1.0
    out["name_end=" + name[-1:]] = 1.0
    return out


def domain_dicts(items: Sequence[Item]) -> list[dict[str, float | str]]:
    return [domain_features(i, getattr(i, "hide_terms", False)) for i in items]


def value_texts(items: Sequence[Item]) -> list[str]:
    return [norm(i.value) for i in items]


def name_texts(items: Sequence[Item]) -> list[str]:
    return [norm(i.name) for i in items]


def words(text: str) -> list[str]:
    """jieba words (kpiscan.tokenize, with the lexicon user dictionary)."""
    from ..tokenize import tokens

    return tokens(text)
