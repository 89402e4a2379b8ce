"""Chinese tokenising for indicator text: jieba with a user dictionary built from lexicons/,
used directly (`tokens`) or through a spaCy `zh` pipeline (`get_nlp`) whose "kpiscan_values"
component marks each value span with its Target (`doc.spans["values"]`, `span._.target`).

Nothing here downloads: spaCy's blank `zh` with the jieba segmenter and jieba's bundled
dictionary are all local. The pipeline's segmenter is our own `jieba.Tokenizer` instance, so the
user words never leak into other users of the global `jieba` module.
"""
from __future__ import annotations

import logging
from functools import cache

import jieba
from spacy.language import Language
from spacy.tokens import Doc, Span

from kpiscan.lexicon import path, table
from kpiscan.values import find_values

jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict ..." chatter on stderr

VALUES_KEY = "values"  # doc.spans key of the value spans
USER_DICT = "jieba_user_dict.txt"

# (lexicon, column) pairs whose words must stay whole
_LEXICON_WORDS = (
    ("categories.tsv", "variant"),
    ("level1.tsv", "variant"),
    ("units.tsv", "alias"),
    ("comparators.tsv", "word"),
    ("qualitative.tsv", "word"),
    ("calendar.tsv", "word"),
    ("periods.tsv", "word"),
    ("relative_years.tsv", "word"),
)


def user_words() -> list[str]:
    """The user dictionary: lexicon words of two or more characters, then jieba_user_dict.txt."""
    words: dict[str, None] = {}
    for name, column in _LEXICON_WORDS:
        for row in table(name):
            word = row.get(column, "")
            if len(word) > 1 and not word.isascii():
                words[word] = None
    with path(USER_DICT).open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                words[line.split()[0]] = None
    return list(words)


@cache
def segmenter() -> jieba.Tokenizer:
    """A private jieba tokenizer holding the user dictionary."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in user_words():
        tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False))
    return tokenizer


def tokens(text: str) -> list[str]:
    """The words of `text` (whitespace dropped): the fast path, no spaCy."""
    return [w for w in segmenter().cut(text, HMM=True) if w.strip()]


# ---------------------------------------------------------------- spaCy

if not Span.has_extension("target"):
    Span.set_extension("target", default=None)
if not Doc.has_extension("budget_year"):
    Doc.set_extension("budget_year", default=None)  # set it before the component runs


@Language.component("kpiscan_values")
def mark_values(doc: Doc) -> Doc:
    """Add a "VALUE" span per value form found in the text, with its Target in span._.target."""
    spans = []
    for start, end, target in find_values(doc.text, doc._.budget_year):
        span = doc.char_span(start, end, label="VALUE", alignment_mode="expand")
        if span is not None:
            span._.target = target
            spans.append(span)
    doc.spans[VALUES_KEY] = spans
    return doc


@cache
def get_nlp() -> Language:
    """The spaCy zh pipeline: jieba segmenter with the user dictionary, then kpiscan_values."""
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.tokenizer.jieba_seg = segmenter()
    nlp.add_pipe("kpiscan_values")
    return nlp


def parse_doc(text: str, year: int | None = None) -> Doc:
    """Run the pipeline over `text`, value forms dated with `year` when they lack one."""
    nlp = get_nlp()
    doc = nlp.make_doc(text)
    doc._.budget_year = year
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc
