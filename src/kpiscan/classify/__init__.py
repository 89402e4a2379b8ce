"""Measurability of indicators: quantitative / temporal / binary / vague / malformed (docs/classifier.md).

    assess(indicators, year=None) -> list[Verdict]     pure
    decide(indicators, year=None) -> list[tuples]      the same as plain tuples: what `kpiscan scan` calls
    classify_one(name, value, level2=None, year=None)   one indicator
    baseline_assess(indicators, year=None)              the lexicon-only baseline, for comparison

The fitted model (src/kpiscan/models/measurability.json: arrays and vocabularies, with
measurability.manifest.json beside it, both written by `kpiscan train`) loads on the first call,
never at import, and is scored with numpy alone (scikit-learn is needed only to train). Loading
checks the manifest and logs one line when the lexicons it was trained with have changed.
`KPISCAN_MODELS=DIR` reads the models from DIR instead of the package.
Verdicts of the shipped model are memoised per process (`VerdictMemo`, a bounded LRU keyed by
name, value, level2 and the Target's fields: a province repeats its indicators, one per half and
year after year); `KPISCAN_CLASSIFY_MEMO=0` turns the memo off (same records, for measuring):
no item is looked up from another document, a document's own repeats are still scored once.
Modules: terms (lexicons), rules (certain rules, reason codes, baseline), features, scoring (the
decision and the exported model), linear (array scoring), manifest, category (level2 by meaning),
estimator and export (scikit-learn, training only), training (fit, LODO evaluation).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any, TypeVar

from ..model import Indicator
from .item import Item, indicator_key, item_of, item_of_indicator
from .memo import MEMO_ENV, Decided, VerdictMemo, memo_enabled
from .rules import DECIDED_BY_MODEL, DECIDED_BY_RULE, FLAGGED, LABELS, baseline, explain
from .scoring import ArrayClassifier, RuledDecisions

PACKAGED_MODELS = Path(__file__).resolve().parents[1] / "models"
MODEL_FILE = "measurability.json"
MODEL_PATH = PACKAGED_MODELS / MODEL_FILE

__all__ = ["LABELS", "MODEL_PATH", "Verdict", "VerdictMemo", "assess", "baseline_assess", "classify_one", "decide",
           "load_model", "memo_stats", "model_dir", "preload", "verdict_memo"]


def model_dir() -> Path:
    """Where the fitted models are read from: $KPISCAN_MODELS when set, else the package's models/."""
    env = os.environ.get("KPISCAN_MODELS")
    return Path(env) if env else PACKAGED_MODELS


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    flagged: bool
    reasons: list[str] = field(default_factory=list)
    proba: float | None = None  # the model's probability of `label`; None when a rule decided

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "flagged": self.flagged, "reasons": list(self.reasons), "proba": self.proba}


M = TypeVar("M")


def load_checked(kind: str, what: str, file: str, load: Callable[[Path], M], path: Path | None = None) -> M:
    """A shipped (or $KPISCAN_MODELS, or given) model of `kind`, loaded with `load`; its manifest is
    checked against the lexicons in use (one logged line when they differ)."""
    from .manifest import check

    path = Path(path) if path is not None else model_dir() / file
    if not path.exists():
        raise FileNotFoundError(f"no {what} at {path}: run `kpiscan train --out DIR`")
    model = load(path)
    check(kind, path)
    return model


@cache
def load_model(path: Path | None = None) -> ArrayClassifier:
    """The fitted measurability model (exported arrays, no scikit-learn), read once."""
    return load_checked("measurability", "fitted classifier", MODEL_FILE, ArrayClassifier.load, path)


def preload(whole_dictionary: bool = False) -> None:
    """Load what every scan needs once (the model, jieba's segmenter): call it in a parent process
    before forking workers, or once per worker where the platform spawns them. jieba's dictionary
    is read as texts need it (`tokenize.Segmenter`); `whole_dictionary`: all of it now, for a
    parent that forks several workers (read once, not once in each)."""
    from ..tokenize import preload as preload_tokenizer

    preload_tokenizer(whole_dictionary)
    load_model()


def _decided(model: RuledDecisions, items: Sequence[Item]) -> list[Decided]:
    """(label, flagged, reasons, proba) per item from `model`: the certain rules, else the model."""
    out: list[Decided] = []
    for item, (label, proba, rule_codes) in zip(items, model.decide(items)):
        if rule_codes is not None:
            reasons = tuple(rule_codes) + (DECIDED_BY_RULE,)
        else:
            reasons = tuple(explain(item, label)) + (DECIDED_BY_MODEL,)
        out.append((label, label in FLAGGED, reasons, proba))
    return out


verdict_memo: VerdictMemo[Decided] = VerdictMemo()


def memo_stats() -> str:
    """The verdict memo's hit rate in this process, for benchmarks."""
    return verdict_memo.stats() if memo_enabled() else f"off ({MEMO_ENV}=0)"


def assess(indicators: Sequence[Indicator], year: int | None = None,
           model: RuledDecisions | None = None) -> list[Verdict]:
    """A Verdict per indicator, in order. Uses each indicator's target when filled, else parses
    its value with `year`. Does not modify the indicators. With the shipped model (`model` None),
    verdicts come from the process's memo where the same item was decided before."""
    return [Verdict(label, flagged, list(reasons), proba) for label, flagged, reasons, proba in decide(indicators, year, model)]


def decide(indicators: Sequence[Indicator], year: int | None = None,
           model: RuledDecisions | None = None) -> list[Decided]:
    """What `assess` gives, as (label, flagged, reasons, proba) tuples (what the pipeline copies
    onto its records). Through the memo, an Item is made only for the items not decided before."""
    if not indicators:
        return []
    if model is not None:
        return _decided(model, [item_of_indicator(ind, year) for ind in indicators])
    shipped = load_model()
    # KPISCAN_CLASSIFY_MEMO=0: a memo of this call only (a document's indicators: it prints one row
    # per half and repeats its targets), so none is looked up from another document
    memo = verdict_memo.of(shipped) if memo_enabled() else VerdictMemo(0)
    # (each record's key made in C's loop: map, no generator's step a record)
    return memo.answers(zip(map(indicator_key, indicators, repeat(year)), indicators),
                        lambda todo: _decided(shipped, [item_of_indicator(ind, year) for ind in todo.values()]))


def classify_one(name: str, value: str, level2: str | None = None, year: int | None = None) -> Verdict:
    label, flagged, reasons, proba = _decided(load_model(), [item_of(name, value, level2, year)])[0]
    return Verdict(label, flagged, list(reasons), proba)


def baseline_assess(indicators: Sequence[Indicator], year: int | None = None) -> list[Verdict]:
    """The lexicon-only baseline (rules and term lists, no learning) as Verdicts."""
    out: list[Verdict] = []
    for ind in indicators:
        label, reasons = baseline(item_of_indicator(ind, year))
        out.append(Verdict(label, label in FLAGGED, reasons, None))
    return out
