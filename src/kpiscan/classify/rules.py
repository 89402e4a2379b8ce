"""The rubric's certain rules, the reason codes, and the lexicon-only baseline.

`certain(item)` returns a verdict only where the rubric (docs/gold-spec.md) leaves no doubt:
a missing value, a value that repeats the name or a category, a name that is itself a period or a
value. Those override the model. `explain(item, label)` gives the reason codes a reviewer reads
for any label. `baseline(item)` labels from the Target kind and the term lists alone, no learning.
Every code is listed, with its meaning, in docs/classifier.md.
"""
from __future__ import annotations

from functools import lru_cache

from ..constants import DATED_KINDS, FLAGGED_LABELS
from ..constants import LABELS as LABELS  # re-exported: kpiscan.classify.LABELS
from ..layout import MEMO_TEXTS, level1_of, level2_of, norm
from ..values import find_values
from .item import Item, unit_kind
from .terms import Hits, name_cues, term_hits

FLAGGED = FLAGGED_LABELS

DECIDED_BY_RULE = "decided-by-rule"
DECIDED_BY_MODEL = "decided-by-model"
DECIDED_BY_LEXICON = "decided-by-lexicon"

TIME_LEVEL2 = "时效指标"
COST_LEVEL2 = "成本指标"

# what the vague term's kind says, as a reason code
_VAGUE_REASON = {
    "direction": "vague-direction-word",
    "praise": "vague-praise-word",
    "hedge": "vague-hedge-word",
    "duty": "vague-duty-word",
    "timeliness": "time-indicator-without-date",
    "showcase": "descriptive-phrase-not-a-target",
}
_TEMPORAL_REASON = {"date": "concrete-date", "deadline": "deadline", "period": "period", "frequency": "frequency"}
# Target kinds whose label the rubric fixes (docs/classifier.md): a relative target ("不低于上年",
# "高于全省平均水平") names its baseline, so it is checkable from records, not vague; the reviewer
# still needs the baseline figure
_KIND_RULES = {"relative": ("quantitative", ["relative-to-baseline", "relative-without-baseline-figure"])}
RELATIVE_CODE = "relative-without-baseline-figure"

_EDGES = " 。.,，;；:：、\"'“”()（）"


def _key(text: str) -> str:
    return norm(text).strip(_EDGES)


@lru_cache(maxsize=MEMO_TEXTS)
def name_as_value(name: str) -> str | None:
    """"period" / "value" when the whole name is a date, period, frequency or quantity ("2024全年");
    memoised per name."""
    key = _key(name)
    if not key:
        return None
    for start, end, target in find_values(key):
        if start == 0 and end == len(key):
            if target.kind in ("period", "date", "frequency"):
                return "period"
            if target.kind == "quantity":
                return "value"
        break
    return None


def certain(item: Item) -> tuple[str, list[str]] | None:
    """(label, [codes]) where the rubric is certain (malformed, or a kind of _KIND_RULES); None where
    the model should decide."""
    code = _certain_code(item.value, item.name, item.target.kind == "empty")
    if code is not None:
        return "malformed", [code]
    rule = _KIND_RULES.get(item.target.kind)
    return (rule[0], list(rule[1])) if rule else None


@lru_cache(maxsize=MEMO_TEXTS)
def _certain_code(value_text: str, name_text: str, empty: bool) -> str | None:
    """The certain rule's reason code for one (value, name), memoised: the rules read only these."""
    value, name = _key(value_text), _key(name_text)
    if not value or empty:
        return "missing-value"
    if value == name:
        return "value-repeats-name"
    if level2_of(value) or level1_of(value):
        return "value-repeats-category"
    shape = name_as_value(name_text)
    if shape == "period":
        return "name-is-a-period"
    if shape == "value":
        return "name-is-a-value"
    return None


def unit_mismatch(item: Item) -> bool:
    """A number whose unit does not fit what its name or category asks for (kept quantitative:
    the number is still checkable, but a reviewer should look): a cost without money, a
    satisfaction without a percentage."""
    t = item.target
    if t.kind != "quantity" or not t.unit:
        return False
    kind, cues = unit_kind(t), name_cues(item.name)
    if "satisfaction" in cues or item.level2 == "服务对象满意度指标":
        return kind not in ("ratio", "score")
    if "cost" in cues and item.level2 == COST_LEVEL2:
        return kind not in ("money", "ratio")
    return False


def explain(item: Item, label: str, hits: Hits | None = None) -> list[str]:
    """Reason codes for `label` (without the decided-by code)."""
    hits = hits if hits is not None else term_hits(item.value)
    t, cues = item.target, name_cues(item.name)
    if label == "quantitative":
        if t.kind in _KIND_RULES:
            return list(_KIND_RULES[t.kind][1])
        codes = ["checkable-number"] if t.kind == "quantity" else ["number-read-by-model"]
        codes += [RELATIVE_CODE] if t.baseline is not None else []  # "较上年增长5%"
        return codes + (["unit-mismatch-for-category"] if unit_mismatch(item) else [])
    if label == "temporal":
        if t.kind in _TEMPORAL_REASON:
            return [_TEMPORAL_REASON[t.kind]]
        return ["anchored-to-a-day"] if hits.strongest("temporal") else ["time-read-by-model"]
    if label == "binary":
        term = hits.strongest("binary")
        if term is None:
            return ["state-read-by-model"]
        return ["verifiable-state-word"] + (["close-to-vague"] if term.strength == 1 else [])
    if label == "vague":
        return _vague_reasons(item, hits, cues)
    rule = certain(item)
    if rule:
        return rule[1]
    return ["value-repeats-part-of-name"] if _key(item.value) in _key(item.name) else ["not-a-usable-indicator"]


def _vague_reasons(item: Item, hits: Hits, cues: frozenset[str]) -> list[str]:
    codes: list[str] = []
    if item.target.kind not in DATED_KINDS and ("timeliness" in cues or "time" in cues or item.level2 == TIME_LEVEL2):
        codes.append("time-indicator-without-date")
    if "satisfaction" in cues:
        codes.append("satisfaction-without-percentage")
    elif "rate" in cues:
        codes.append("rate-with-qualitative-value")
    for term in hits.terms:
        if term.label == "vague":
            code = _VAGUE_REASON.get(term.kind, "vague-direction-word")
            if code not in codes:
                codes.append(code)
    if not hits.terms and not codes:
        codes.append("descriptive-phrase-not-a-target")
    return codes


def baseline_label(item: Item, hits: Hits | None = None) -> str:
    """The lexicon-only label: the Target kind, then the strongest term list; no learning."""
    rule = certain(item)
    if rule:
        return rule[0]
    kind = item.target.kind
    if kind == "quantity":
        return "quantitative"
    if kind in DATED_KINDS:
        return "temporal"
    hits = hits if hits is not None else term_hits(item.value)
    if hits.strongest("temporal"):
        return "temporal"
    return "binary" if hits.strength("binary") > hits.strength("vague") else "vague"


def baseline(item: Item) -> tuple[str, list[str]]:
    """(label, reasons) of the lexicon-only baseline; reasons end with the deciding part."""
    rule = certain(item)
    if rule:
        return rule[0], rule[1] + [DECIDED_BY_RULE]
    hits = term_hits(item.value)
    label = baseline_label(item, hits)
    return label, explain(item, label, hits) + [DECIDED_BY_LEXICON]
