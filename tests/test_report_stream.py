"""`kpiscan report` at scale (issue 13): the report streamed from batch parts, one document at a
time, says the same as the report of the whole scan in memory, and holds the records of one
document at a time (a memory-free proxy: the Indicator objects alive while it writes).

The corpus: the two smallest documents of corpora/ (001, 002) scanned without the classifier,
plus a "next year" copy of each document
(kpiscan.practice.synth.next_year: year findings across documents) and one copy of the first
document's largest project table's indicators under three departments' projects (boilerplate
across documents), so that the scan holds at least MIN_DOCS documents (its own library: peers).
"""
from __future__ import annotations

import copy
import gc
from pathlib import Path

import pytest
from openpyxl import load_workbook

import kpiscan
from kpiscan.batch import part_of
from kpiscan.model import Indicator, assign_ids
from kpiscan.pipeline import ScanResult
from kpiscan.practice import practice_findings
from kpiscan.practice.report import library_for
from kpiscan.practice.stream import PracticeCorpus
from kpiscan.practice.synth import next_year
from kpiscan.report import ReportWriter, report_parts, split_documents, write_report
from kpiscan.report.facts import TOP_DOCS, VAGUE_KEEP, Overview

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("001_ac55e88fbc470c63.txt", "002_5c711d4843627377.txt")


def renamed(tables, indicators, doc):
    tables, indicators = copy.deepcopy(tables), copy.deepcopy(indicators)
    for x in (*tables, *indicators):
        x.doc = doc
    for i in indicators:
        i.id = None
    assign_ids(indicators)
    return tables, indicators


@pytest.fixture(scope="module")
def corpus():
    scan = kpiscan.scan([ROOT / "corpora" / f for f in SMALL], classify=False)
    tables, inds = list(scan.tables), list(scan.indicators)
    docs = sorted({t.doc for t in scan.tables})
    for k, doc in enumerate(docs):
        t2, i2, _ = next_year(scan.tables, scan.indicators, doc, f"next/{doc}", seed=k, distractors=scan.tables)
        t2, i2 = renamed(t2, i2, f"next/{doc}")
        tables += t2
        inds += i2
    # one project's indicators carried by three projects of one department, in three documents
    first = [t for t in scan.tables if t.doc == docs[0] and t.kind == "project"]
    big = max(first, key=lambda t: sum(1 for i in scan.indicators if i.doc == t.doc and i.table == t.index))
    rows = [i for i in scan.indicators if i.doc == big.doc and i.table == big.index]
    for k in range(3):
        t3, i3 = renamed([big], rows, f"copied/{k}.txt")
        t3[0].project = f"{big.project}（{k + 1}）"
        tables += t3
        inds += i3
    return ScanResult(tables=tables, indicators=inds, files=[])


def test_practice_per_document_equals_the_corpus_pass(corpus):
    """PracticeCorpus (two passes, one document at a time) gives practice_findings' findings."""
    want = practice_findings(corpus.tables, corpus.indicators, library_for(corpus.indicators))
    parts = split_documents(corpus.tables, corpus.indicators)
    pc = PracticeCorpus()
    for k, (tables, indicators) in enumerate(parts):
        pc.add(tables, indicators, at=k)
    pc.finish()
    loaded = []

    def load(k):
        loaded.append(k)
        return ScanResult(tables=parts[k][0], indicators=parts[k][1])

    got = [f for tables, indicators in parts for f in pc.findings(tables, indicators, load)]
    codes = {f.code for f in want}
    assert {"target-below-peers", "targets-copied-forward", "boilerplate-indicators", "goal-without-indicator"} <= codes
    assert [f.to_dict() for f in got] == [f.to_dict() for f in want]
    assert loaded and len(loaded) <= len(parts)  # each linked earlier document read back once per later one


def cells(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {ws.title: [tuple((c.value, c.hyperlink.target if c.hyperlink else None) for c in row) for row in ws.iter_rows()]
            for ws in wb.worksheets}


def test_streamed_report_equals_the_report_in_memory(corpus, tmp_path):
    """report_parts (spooled, read back per document) writes the same workbook and pages as
    write_report over the scan in memory."""
    a, b = tmp_path / "memory", tmp_path / "stream"
    write_report(corpus, a)
    parts = (part_of(ScanResult(tables=t, indicators=i, files=[t[0].doc if t else ""]), encode=("tables", "indicators"))
             for t, i in split_documents(corpus.tables, corpus.indicators))
    written = report_parts(parts, b, tabular=("csv",))
    assert cells(a / "kpiscan-review.xlsx") == cells(b / "kpiscan-review.xlsx")
    pages = sorted(p.relative_to(a) for p in a.rglob("*.html"))
    assert pages == sorted(p.relative_to(b) for p in b.rglob("*.html"))
    assert len(pages) > len(corpus.tables) // 50
    for rel in pages:
        assert (a / rel).read_text(encoding="utf-8") == (b / rel).read_text(encoding="utf-8"), rel
    assert [p.name for p in written["tabular"]] == ["findings.csv", "table_scores.csv", "document_scores.csv"]
    assert not list(b.glob(".*tmp"))  # the spools are gone


def alive(cls=Indicator) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is cls)


@pytest.mark.slow
def test_report_holds_one_document_at_a_time(corpus, tmp_path, monkeypatch):
    """The most Indicator records alive while the report writes is the same for 1 and for 3
    copies of the corpus: it would triple if the report held the scan again (and even one copy
    of the corpus is more than twice its largest document)."""
    one = split_documents(corpus.tables, corpus.indicators)
    largest = max(len(i) for _, i in one)
    base = alive()
    seen = {"calls": 0, "last": 0, "peak": 0}
    add = ReportWriter.add

    def counting(self, tables, indicators, review, goals=None):
        seen["calls"] += 1
        if seen["calls"] in (1, seen["last"]):  # (gc.get_objects is slow: the first and the last document)
            seen["peak"] = max(seen["peak"], alive() - base)
        return add(self, tables, indicators, review, goals)

    monkeypatch.setattr(ReportWriter, "add", counting)

    def parts(copies):  # made one at a time, as iter_parts hands them over
        for k in range(copies):
            for t, i in one:
                if t:
                    t, i = renamed(t, i, f"c{k}/{t[0].doc}")
                    yield part_of(ScanResult(tables=t, indicators=i, files=[t[0].doc]), encode=("tables", "indicators"))
                    del t, i

    peaks = {}
    n_docs = sum(1 for t, _ in one if t)
    for copies in (1, 3):
        seen.update(calls=0, last=copies * n_docs, peak=0)
        written = report_parts(parts(copies), tmp_path / f"x{copies}", tabular=())
        assert len(written["docs"]) == copies * n_docs == seen["calls"]
        peaks[copies] = seen["peak"]
    # the document in hand (and a linked earlier one read back), never the corpus
    assert peaks[1] <= 2 * largest + 10
    assert sum(len(i) for _, i in one) > 2 * largest + 10  # (so that holding them all would fail)
    assert peaks[3] <= peaks[1] + largest, peaks


def test_overview_keeps_top_lists_and_counts_only(corpus):
    """The overview's per-document state is bounded: the top TOP_DOCS shares and the lowest
    scores, whatever the number of documents; vague wordings at most VAGUE_KEEP."""
    from kpiscan.report.facts import documents
    from kpiscan.review import review_all

    parts = split_documents(corpus.tables, corpus.indicators)
    o = Overview()
    for _ in range(6):
        for tables, indicators in parts:
            for d in documents(tables, indicators, review_all(tables, indicators)):
                o.add(d)
    assert o.n_documents == 6 * len(parts)
    assert len(o.top_docs) < 2 * TOP_DOCS and len(o.lowest) < 2 * 20
    assert len(o.flagged_by_doc()) == min(TOP_DOCS, o.n_by_doc)
    assert len(o.vague) <= VAGUE_KEEP
    assert sum(o.table_scores.values()) == o.n_tables
