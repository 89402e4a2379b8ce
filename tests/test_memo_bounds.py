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
SMALL_DOMAINS = {"kind", "role", "cls", "lists", "clean", "forms", "name", "path", "role_name", "records"}  # records: a flag


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
    """Each bounded memo's entries hold a text and what was made of it (~0.1-0.9 KiB): at 65,536
    each, the dozen cell-text memos a scan fills took a scan of distinct documents from 67 MiB
    (one document) to 251 MiB at 256 documents and on towards ~450 before they were full
    (bench/distinct_copies.py; copies of one corpus never fill them); at 8,192-16,384 each it
    levelled off at ~160 MiB, at 4,096-8,192 at ~94. A scan's memos keep a copy of corpora/'s
    texts, the classifier's (0.4-0.9 KiB an entry) layout.MEMO_TEXTS, the layout lookups of every
    cell (~0.1-0.2 KiB) layout.CELL_TEXTS, twice that for `norm` (`is_footer` and `field_key`
    2,730, a few lookups less: what a copy asks of each, the next test; twelfth round). The
    report's memos of names and goal clauses (practice) keep up to 16,384."""
    from kpiscan.classify import verdict_memo
    from kpiscan.layout import CELL_TEXTS, MEMO_TEXTS

    sizes = {name: fn.cache_info().maxsize for name, fn in _memos() if fn.cache_info().maxsize is not None}
    assert sizes["kpiscan.layout.norm"] and sizes["kpiscan.tokenize._tokens"]
    assert {name: n for name, n in sizes.items() if n > 1 << 14} == {}
    scan = {name: n for name, n in sizes.items() if not name.startswith(("kpiscan.practice.", "kpiscan.report."))}
    assert {name: n for name, n in scan.items() if n > 2 * CELL_TEXTS} == {}
    large = ["kpiscan.classify.terms.term_hits", "kpiscan.classify.terms.name_cues", "kpiscan.tokenize._tokens",
             "kpiscan.templates._is_caption_row", "kpiscan.extract._cue_reading"]
    assert {name: scan[name] for name in large if scan[name] > MEMO_TEXTS} == {}
    assert verdict_memo.maxsize <= MEMO_TEXTS


def test_a_second_copy_of_corpora_named_copy_by_copy_misses_no_memo(tmp_path):
    """What the bounds must keep: the scale benches name copies copy by copy (r00_ all of
    corpora/'s 4 documents, then r01_ ...), so a text comes back one whole copy later, after up
    to ~3,800 other texts (`norm`). A second copy of corpora/ scanned that way (one process, as a
    scan's worker) looks up every text of every memo from the first: not one miss. At 1,024 entries
    a memo the second copy missed 90% of `level2_of`'s texts (1,270) and all of `norm`'s (3,807),
    which cost +6.6% instructions on 4 copies (issue 13, eleventh round)."""
    import shutil

    from kpiscan import classify, pipeline, tokenize
    from kpiscan.batch import scan_one
    from kpiscan.classify import rules, terms
    from kpiscan.layout import TEXT_MEMOS

    assert pipeline.scan_document  # imported: every memo of a scan is made (TEXT_MEMOS)
    memos = {f"{m.__module__}.{m.__name__}": m for m in [*TEXT_MEMOS, terms.term_hits, terms.name_cues,
                                                          rules.name_as_value, rules._certain_code, tokenize._tokens]}
    scan = {name: m for name, m in memos.items() if not name.startswith(("kpiscan.practice.", "kpiscan.report."))}
    for memo in scan.values():
        memo.cache_clear()
    classify.verdict_memo.clear()

    def misses() -> dict[str, int]:
        out = {name: memo.cache_info().misses for name, memo in scan.items()}
        out["verdict_memo"] = classify.verdict_memo.misses
        return out

    counts = []
    for copy in range(2):
        for doc in sorted((ROOT / "corpora").glob("*.txt")):
            shutil.copy(doc, tmp_path / f"r{copy:02d}_{doc.name}")
            scan_one(tmp_path / f"r{copy:02d}_{doc.name}")
        counts.append(misses())
    first, both = counts
    assert first["kpiscan.layout.norm"] > 3000 and first["verdict_memo"] > 800 and len(first) > 20
    assert {name: both[name] - n for name, n in first.items() if both[name] != n} == {}


def test_a_scan_of_distinct_documents_keeps_no_more_after_its_memos_are_full(tmp_path):
    """Memory flat on documents that share no indicator names (issue 13, tenth and eleventh
    rounds): copies of corpora/'s largest document with every indicator name made distinct copy by
    copy (bench/distinct_copies.py), scanned in one process as a scan's worker does. Its ~2,800
    distinct cells fill `norm` (2 * layout.CELL_TEXTS) and the verdict memo (its ~300 items a copy,
    layout.MEMO_TEXTS) within four copies: copies 5-8 add fewer than 10,000 memory blocks (at
    4,096 / 8,192 entries a memo, the tenth round's: ~70,000, each copy's names and what was made
    of them; an unbounded memo keeps adding ~16,000 a copy for good), and within 32 documents four
    copies more add fewer than 2,000 (the churn of evicted entries; ~650-2,300 from copy 12 on)."""
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

    blocks = [scan_copies(range(1, 5)), scan_copies(range(5, 9))]
    assert blocks[1] - blocks[0] < 10_000, blocks
    # ... because the memos are full (the largest, `norm`, and the verdict memo), not by chance
    assert norm.cache_info().currsize == norm.cache_info().maxsize
    assert len(verdict_memo.entries) == verdict_memo.maxsize
    k = 8
    while blocks[-1] - blocks[-2] >= 2000:
        blocks.append(scan_copies(range(k + 1, k + 5)))
        k += 4
        assert k <= 32, f"{blocks[-1] - blocks[-2]} more memory blocks from documents {k - 3}-{k}: {blocks}"
