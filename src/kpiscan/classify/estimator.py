"""MeasurabilityClassifier: a scikit-learn estimator over Items, with the rubric's certain rules.

    features (FeatureUnion)                         -> LogisticRegression
      domain dict  (features.domain_dicts)  -> DictVectorizer
      value chars  (1-3 character n-grams)  -> TfidfVectorizer
      value words, name words (jieba)       -> TfidfVectorizer

With `use_rules` (the default) the certain rules of rules.certain() override the model, and
predict_proba gives those rows all their mass on the rule's label (scoring.RuledDecisions, shared
with the exported model that `kpiscan scan` loads). `lexicon_dropout` adds, at fit
time, copies of a share of the training items with their value's term hits hidden, so the model
also learns to read a value from its characters and words: a value whose word the lexicons lack
(a document we have not seen) then falls to the n-grams, not to a blind default.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from . import features
from .item import Item
from .rules import LABELS
from .scoring import RuledDecisions


def _texts(func: Callable[..., Any]) -> FunctionTransformer:
    return FunctionTransformer(func, validate=False)


def build_pipeline(C: float, random_state: int) -> Pipeline:
    union = FeatureUnion(
        [
            ("domain", make_pipeline(_texts(features.domain_dicts), DictVectorizer())),
            ("value_chars", make_pipeline(
                _texts(features.value_texts),
                TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True),
            )),
            ("value_words", make_pipeline(
                _texts(features.value_texts),
                TfidfVectorizer(tokenizer=features.words, token_pattern=None, lowercase=False, min_df=2),
            )),
            ("name_words", make_pipeline(
                _texts(features.name_texts),
                TfidfVectorizer(tokenizer=features.words, token_pattern=None, lowercase=False, min_df=2),
            )),
        ]
    )
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000, random_state=random_state)
    return Pipeline([("features", union), ("model", model)])


def _hidden(item: Item) -> features.HiddenTermsItem:
    return features.HiddenTermsItem(**{f.name: getattr(item, f.name) for f in fields(Item)})


class MeasurabilityClassifier(RuledDecisions, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Labels Items quantitative / temporal / binary / vague / malformed (docs/gold-spec.md)."""

    def __init__(self, C: float = 1.0, use_rules: bool = True, lexicon_dropout: float = 0.3,
                 random_state: int = 0) -> None:
        self.C = C
        self.use_rules = use_rules
        self.lexicon_dropout = lexicon_dropout
        self.random_state = random_state

    def fit(self, X: Sequence[Item], y: Sequence[str]) -> MeasurabilityClassifier:
        X, y = list(X), list(y)
        rng = np.random.RandomState(self.random_state)
        extra = [i for i in range(len(X)) if rng.rand() < self.lexicon_dropout]
        X_fit = X + [_hidden(X[i]) for i in extra]
        y_fit = y + [y[i] for i in extra]
        self.pipeline_ = build_pipeline(self.C, self.random_state).fit(X_fit, y_fit)
        _drop_stop_words(self.pipeline_)
        self.classes_ = np.array(LABELS)
        return self

    def export(self) -> dict[str, Any]:
        """The fitted model as arrays and vocabularies (classify.linear), for the shipped JSON."""
        from .export import export_pipeline

        return export_pipeline(self.pipeline_)

    def model_proba(self, X: Sequence[Item]) -> np.ndarray:
        """The learned model's probabilities alone (columns in LABELS order), no rules."""
        raw = self.pipeline_.predict_proba(list(X))
        out = np.zeros((raw.shape[0], len(LABELS)))
        for j, label in enumerate(self.pipeline_.classes_):
            out[:, LABELS.index(label)] = raw[:, j]
        return out


def _drop_stop_words(pipeline: Pipeline) -> None:
    """TfidfVectorizer keeps the terms it cut (stop_words_) only for inspection: drop them so the
    shipped model stays small."""
    for _, step in pipeline.named_steps["features"].transformer_list:
        vectorizer = step.steps[-1][1]
        if hasattr(vectorizer, "stop_words_"):
            vectorizer.stop_words_ = None
