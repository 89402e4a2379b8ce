"""Memory flat in corpus size (issue 13): no unbounded memo keyed on a document's texts.

A `functools.cache` (or `lru_cache(maxsize=None)`) keeps every key it is asked: over a province's
~50,000 documents one keyed on a cell, an indicator's name or a goal clause would hold every
distinct text (copies of corpora/, as the benches use, repeat every text and never show it:
practice.goals.content_words was such a memo until issue 13's ninth round). Memos of texts are
`layout.text_memo` (bounded, listed for KPISCAN_CLASSIFY_MEMO=0) or `classify.memo.VerdictMemo`.
Unbounded memos may only take arguments from a small, fixed domain: a lexicon's or a role's
name, a record class, a grammar's forms, a model's path."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import kpiscan

# the parameters an unbounded memo may take: each names one of a few dozen things at most
SMALL_DOMAINS = {"kind", "role", "cls", "lists", "clean", "forms", "name", "path", "role_name"}


def _memos():
    for info in pkgutil.walk_packages(kpiscan.__path__, "kpiscan."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for attr, obj in vars(module).items():
            if hasattr(obj, "cache_info") and getattr(obj, "__module__", None) == info.name:
                yield f"{info.name}.{attr}", obj


def test_every_memo_of_texts_is_bounded():
    memos = dict(_memos())
    assert "kpiscan.practice.goals.content_words" in memos and "kpiscan.tokenize._tokens" in memos
    unbounded = {
        name: sorted(set(inspect.signature(fn).parameters) - SMALL_DOMAINS)
        for name, fn in memos.items()
        if fn.cache_info().maxsize is None
    }
    assert {name: params for name, params in unbounded.items() if params} == {}


def test_no_memo_keeps_more_than_16384_entries():
    """Each bounded memo's entries hold a text and what was made of it (~0.5-1 KiB): at 65,536
    each, the dozen cell-text memos a scan fills took a scan of distinct documents from 67 MiB
    (one document) to 251 MiB at 256 documents and on towards ~450 before they were full
    (bench/distinct_copies.py; copies of one corpus never fill them). At most 16,384 each: the
    scan's peak levels off at ~160 MiB (158 MiB at 512 distinct documents)."""
    sizes = {name: fn.cache_info().maxsize for name, fn in _memos() if fn.cache_info().maxsize is not None}
    assert sizes["kpiscan.layout.norm"] and sizes["kpiscan.tokenize._tokens"]
    assert {name: n for name, n in sizes.items() if n > 1 << 14} == {}
