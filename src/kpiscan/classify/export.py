"""Export a fitted scikit-learn pipeline (FeatureUnion of vectorizers, then LogisticRegression)
as the plain arrays and vocabularies of `classify.linear` (training side: imports scikit-learn).
"""
from __future__ import annotations

from typing import Any

from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from .linear import FORMAT


def _block(name: str, step: Pipeline, words_name: str) -> dict[str, Any]:
    source, vectorizer = step.steps[0][1], step.steps[-1][1]
    block: dict[str, Any] = {"name": name, "input": source.func.__name__}
    vocabulary = {str(k): int(v) for k, v in sorted(vectorizer.vocabulary_.items(), key=lambda kv: kv[1])}
    if isinstance(vectorizer, DictVectorizer):
        return block | {"type": "dict", "vocabulary": vocabulary}
    if not isinstance(vectorizer, TfidfVectorizer):
        raise TypeError(f"cannot export a {type(vectorizer).__name__} block ({name})")
    if vectorizer.analyzer == "char":
        analyzer = "char"
    elif getattr(vectorizer.tokenizer, "__name__", "") == words_name and vectorizer.ngram_range == (1, 1):
        analyzer = "words"
    else:
        raise TypeError(f"block {name}: only char n-grams or the kpiscan word tokenizer export")
    if vectorizer.strip_accents or vectorizer.preprocessor or vectorizer.stop_words:
        raise TypeError(f"block {name}: accents, preprocessors and stop words are not exported")
    return block | {
        "type": "tfidf", "analyzer": analyzer, "ngram_range": list(vectorizer.ngram_range),
        "lowercase": bool(vectorizer.lowercase), "sublinear_tf": bool(vectorizer.sublinear_tf),
        "norm": vectorizer.norm, "vocabulary": vocabulary, "idf": [float(x) for x in vectorizer.idf_],
    }


def export_pipeline(pipeline: Pipeline, words_name: str = "words") -> dict[str, Any]:
    """The pipeline's fitted state as a JSON-ready dict (classify.linear.FORMAT)."""
    union, model = pipeline.named_steps["features"], pipeline.steps[-1][1]
    if len(model.classes_) < 3:
        raise TypeError("only multinomial models (three classes or more) export")
    return {
        "format": FORMAT,
        "classes": [str(c) for c in model.classes_],
        "blocks": [_block(name, step, words_name) for name, step in union.transformer_list],
        "intercept": [float(x) for x in model.intercept_],
        "coef": [[float(x) for x in row] for row in model.coef_],
    }
