"""Measurability of indicators: quantitative / temporal / binary / vague / malformed (docs/classifier.md).

    assess(indicators, year=None) -> list[Verdict]     what `kpiscan scan` calls; pure
    classify_one(name, value, level2=None, year=None)   one indicator
    baseline_assess(indicators, year=None)              the lexicon-only baseline, for comparison

The fitted model (src/kpiscan/models/classifier.joblib, written by `kpiscan train`) loads on the
first call, never at import. Modules: terms (lexicons), rules (certain rules, reason codes,
baseline), features, estimator (the scikit-learn estimator), training (fit, LODO evaluation).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..model import Indicator
from .item import item_of, item_of_indicator
from .rules import DECIDED_BY_MODEL, DECIDED_BY_RULE, FLAGGED, LABELS, baseline, explain

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "classifier.joblib"

__all__ = ["LABELS", "MODEL_PATH", "Verdict", "assess", "baseline_assess", "classify_one", "load_model"]


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    flagged: bool
    reasons: list[str] = field(default_factory=list)
    proba: float | None = None  # the model's probability of `label`; None when a rule decided

    def to_dict(self) -> dict:
        return {"label": self.label, "flagged": self.flagged, "reasons": list(self.reasons), "proba": self.proba}


@cache
def load_model(path: Path = MODEL_PATH):
    """The fitted MeasurabilityClassifier, read once."""
    import joblib

    if not Path(path).exists():
        raise FileNotFoundError(f"no fitted classifier at {path}: run `kpiscan train`")
    return joblib.load(path)


def assess(indicators: Sequence[Indicator], year: int | None = None, model=None) -> list[Verdict]:
    """A Verdict per indicator, in order. Uses each indicator's target when filled, else parses
    its value with `year`. Does not modify the indicators."""
    items = [item_of_indicator(ind, year) for ind in indicators]
    if not items:
        return []
    model = model if model is not None else load_model()
    verdicts = []
    for item, (label, proba, rule_codes) in zip(items, model.decide(items)):
        if rule_codes is not None:
            reasons = list(rule_codes) + [DECIDED_BY_RULE]
        else:
            reasons = explain(item, label) + [DECIDED_BY_MODEL]
        verdicts.append(Verdict(label, label in FLAGGED, reasons, proba))
    return verdicts


def classify_one(name: str, value: str, level2: str | None = None, year: int | None = None) -> Verdict:
    item = item_of(name, value, level2, year)
    label, proba, rule_codes = load_model().decide([item])[0]
    reasons = list(rule_codes) + [DECIDED_BY_RULE] if rule_codes is not None else explain(item, label) + [DECIDED_BY_MODEL]
    return Verdict(label, label in FLAGGED, reasons, proba)


def baseline_assess(indicators: Sequence[Indicator], year: int | None = None) -> list[Verdict]:
    """The lexicon-only baseline (rules and term lists, no learning) as Verdicts."""
    out = []
    for ind in indicators:
        label, reasons = baseline(item_of_indicator(ind, year))
        out.append(Verdict(label, label in FLAGGED, reasons, None))
    return out
