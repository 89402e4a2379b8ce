"""Memory bounded in corpus size (issue 13): no unbounded memo keyed on a document's texts.

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
from pathlib import Path

import kpiscan

ROOT = Path(__file__).resolve().parents[1]

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
    """Each bounded memo's entries hold a text and what was made of it (~0.1-0.8 KiB): at 65,536
    each, the dozen cell-text memos a scan fills took a scan of distinct documents from 67 MiB
    (one document) to 251 MiB at 256 documents and on towards ~450 before they were full
    (bench/distinct_copies.py; copies of one corpus never fill them); at 8,192-16,384 each it
    levelled off at ~160 MiB. A scan's memos keep a few documents' texts (layout.MEMO_TEXTS,
    twice that for the lookups of every cell): the test above. The report's memos of names and
    goal clauses (practice) keep up to 16,384."""
    sizes = {name: fn.cache_info().maxsize for name, fn in _memos() if fn.cache_info().maxsize is not None}
    assert sizes["kpiscan.layout.norm"] and sizes["kpiscan.tokenize._tokens"]
    assert {name: n for name, n in sizes.items() if n > 1 << 14} == {}
    from kpiscan.layout import MEMO_TEXTS

    scan = {name: n for name, n in sizes.items() if not name.startswith(("kpiscan.practice.", "kpiscan.report."))}
    assert {name: n for name, n in scan.items() if n > 2 * MEMO_TEXTS} == {}


def test_a_scan_of_distinct_documents_keeps_no_more_after_its_memos_are_full(tmp_path):
    """Memory flat on documents that share no indicator names (issue 13, tenth round): copies of
    corpora/'s largest document with every indicator name made distinct copy by copy
    (bench/distinct_copies.py), scanned in one process as a scan's worker does. Once every memo of
    texts is full (`norm`, asked of every cell, and the verdict memo fill after ~13 copies at
    layout.MEMO_TEXTS = 4,096; the other memos of names soon after), four copies more leave the
    process holding no more memory blocks than before them, give or take the churn of evicted
    entries and the memos of a few texts a document still filling (~150 blocks a copy). A memo without a bound, or one far larger than a
    few documents' texts (the 8,192-16,384 entries of the ninth round), keeps each copy's ~300
    names and what was made of them: ~16,000 blocks a copy."""
    import gc
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from distinct_copies import distinct_copy, names_by_line

    from kpiscan.batch import scan_one
    from kpiscan.classify import verdict_memo
    from kpiscan.layout import norm

    source = ROOT / "corpora" / "000_dc3175b1d97e8850.txt"
    text, names = source.read_text(encoding="utf-8"), names_by_line(source)
    assert sum(map(len, names.values())) > 250

    def scan_copies(ks: range) -> int:
        for k in ks:
            copy = tmp_path / f"d{k:03d}_{source.name}"
            copy.write_text(distinct_copy(text, names, k), encoding="utf-8")
            scan_one(copy)
            copy.unlink()
        gc.collect()
        return sys.getallocatedblocks()

    # memory stops growing within a few dozen documents: four copies add fewer than 4,000 blocks
    k, blocks = 4, [scan_copies(range(1, 5))]
    while True:
        blocks.append(scan_copies(range(k + 1, k + 5)))
        k += 4
        if blocks[-1] - blocks[-2] < 4000:
            break
        assert k < 48, f"{blocks[-1] - blocks[-2]} more memory blocks from documents {k - 3}-{k}: {blocks}"
    # ... because the memos filled up (the largest, `norm`, and the verdict memo), not by chance
    assert norm.cache_info().currsize == norm.cache_info().maxsize
    assert len(verdict_memo.entries) == verdict_memo.maxsize
