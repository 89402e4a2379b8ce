"""How a label is decided from a model's probabilities and the certain rules, and the shipped
measurability model scored from its exported arrays (no scikit-learn at run time).

`RuledDecisions` is shared by the scikit-learn estimator used in training
(`estimator.MeasurabilityClassifier`) and by `ArrayClassifier`, the exported model `kpiscan scan`
loads: both give (label, probability, rule codes) per item the same way.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import features
from .item import Item
from .linear import FloatArray, Inputs, LinearModel
from .rules import LABELS, certain

Decision = tuple[str, float | None, list[str] | None]

# the named inputs a measurability model's blocks may read (features.py)
INPUTS: Inputs = {
    "domain_dicts": features.domain_dicts,
    "value_texts": features.value_texts,
    "name_texts": features.name_texts,
}


class RuledDecisions:
    """decide / predict_proba / predict over `model_proba`, the certain rules overriding it."""

    use_rules: bool = True

    def model_proba(self, X: Sequence[Item]) -> FloatArray:
        raise NotImplementedError

    def decide(self, X: Sequence[Item]) -> list[Decision]:
        """Per item (label, model probability or None, rule codes or None when the model decided);
        the certain rules are computed once per item."""
        X = list(X)
        rules = [certain(i) if self.use_rules else None for i in X]
        todo = [k for k, r in enumerate(rules) if r is None]
        proba = self.model_proba([X[k] for k in todo]) if todo else np.zeros((0, len(LABELS)))
        out: list[Decision] = [(r[0], None, r[1]) if r else ("", None, None) for r in rules]
        for row, k in zip(proba, todo):
            j = int(row.argmax())
            out[k] = (LABELS[j], float(row[j]), None)
        return out

    def predict_proba(self, X: Sequence[Item]) -> FloatArray:
        X = list(X)
        proba = self.model_proba(X)
        if self.use_rules:
            for k, item in enumerate(X):
                rule = certain(item)
                if rule:
                    proba[k] = 0.0
                    proba[k, LABELS.index(rule[0])] = 1.0
        return proba

    def predict(self, X: Sequence[Item]) -> np.ndarray:
        return np.array([label for label, _, _ in self.decide(X)])


class ArrayClassifier(RuledDecisions):
    """The measurability model read from its JSON export (classify.export)."""

    def __init__(self, linear: LinearModel) -> None:
        self.linear = linear
        self.classes_ = np.array(LABELS)
        self._columns = [linear.classes.index(label) for label in LABELS]

    @classmethod
    def load(cls, path: Path) -> ArrayClassifier:
        from ..tokenize import tokens  # jieba loads with the model, not at import

        return cls(LinearModel.load(path, INPUTS, tokens))

    def model_proba(self, X: Sequence[Item]) -> FloatArray:
        """The learned model's probabilities alone (columns in LABELS order), no rules."""
        X = list(X)
        if not X:
            return np.zeros((0, len(LABELS)))
        return self.linear.proba(X)[:, self._columns]
