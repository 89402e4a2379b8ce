"""The spaCy `zh` pipeline over kpiscan's jieba segmenter, with a "kpiscan_values" component that
marks each value span with its Target (`doc.spans["values"]`, `span._.target`) and, for reading
without the Target, its kind, change and baseline (`span._.value_kind`, `span._.change`,
`span._.baseline`: "较上年增长5%" -> quantity, increase, previous-year). Nothing downloads.
"""
from __future__ import annotations

from functools import cache

from spacy.language import Language
from spacy.tokens import Doc, Span

from kpiscan.tokenize import segmenter
from kpiscan.values import find_values

VALUES_KEY = "values"  # doc.spans key of the value spans

if not Span.has_extension("target"):
    Span.set_extension("target", default=None)
for _name in ("value_kind", "change", "baseline"):  # the Target's kind, change, baseline (docs/values.md)
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)
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
            span._.value_kind, span._.change, span._.baseline = target.kind, target.change, target.baseline
            spans.append(span)
    doc.spans[VALUES_KEY] = spans
    return doc


@cache
def get_nlp() -> Language:
    """The spaCy zh pipeline: jieba segmenter with the user dictionary, then kpiscan_values."""
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.tokenizer.jieba_seg = segmenter()  # type: ignore[union-attr]
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
