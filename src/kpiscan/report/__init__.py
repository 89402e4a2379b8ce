"""Reviewer and batch reports of a scan: DIR/kpiscan-review.xlsx (-2, -3, … parts at scale),
DIR/index.html, DIR/docs/<doc>.html (and, from `report_scan`, findings/table_scores/
document_scores as Parquet and CSV).

    written = report_scan(paths, Path("out"))          # scan and report, streaming (`kpiscan report`)
    written = report_parts(parts, Path("out"))         # the same from batch parts (iter_parts)
    written = write_report(scan_result, Path("out"))   # a ScanResult already in memory

Bounded memory (`report_parts`): two passes over the scan, one document at a time.
1. Each part (one input file: its tables and indicator records) is appended to a spool file in
   DIR (its records pickled as decoded, removed at the end) and added to the corpus pass of
   the practice findings (kpiscan.practice.stream.PracticeCorpus: library aggregates, one key per
   project table, boilerplate groups), then dropped.
2. The spool is read back part by part: the part's practice findings and review (findings and
   scores), then its rows of the workbook, its page, its rows of the tabular outputs and its share
   of the overview's running totals (facts.Overview: counts and top-N lists); then dropped. A year
   finding needs the linked earlier table: its part is read back from the spool by offset.
What grows with the corpus besides the files written: PracticeCorpus's per-table keys and per-name
aggregates, the page names (about 100 bytes per document), the problems of failed files. Never
the records of more than the part in hand (and a linked earlier part).
"""
from __future__ import annotations

import os
import pickle
from dataclasses import fields
from functools import cache
from itertools import starmap
from pathlib import Path
from typing import Any, Callable, Iterable

from ..gcpolicy import long_run, paused, warm_models
from ..review import Review, review_all
from .facts import DocFacts, Overview, documents
from .html import INDEX_PAGE_DOCS, HtmlReport, page_name
from .xlsx import ROWS_PER_PART, XLSX_NAME, XlsxReport

TABULAR = ("parquet", "csv")  # the formats of findings.*, table_scores.*, document_scores.*


class ReportWriter:
    """The report files, written a few documents at a time: `add(tables, indicators, review)`
    with whole documents and their review, ..., then `close(problems, library, families)`."""

    def __init__(self, out: Path, rows_per_part: int = ROWS_PER_PART, page_docs: int = INDEX_PAGE_DOCS,
                 tabular: tuple[str, ...] = (), keep_review: bool = False) -> None:
        from ..review import DocumentScore, Finding, TableScore
        from ..write import _Sink

        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.html = HtmlReport(self.out, page_docs)
        self.xlsx = XlsxReport(self.out, page_name, rows_per_part)
        self.overview = Overview()
        self.review = Review() if keep_review else None
        self.sinks = [(kind, _Sink(self.out / f"{name}.{fmt}", cls, fmt))
                      for name, kind, cls in (("findings", "findings", Finding), ("table_scores", "tables", TableScore),
                                              ("document_scores", "documents", DocumentScore))
                      for fmt in tabular]

    def add(self, tables: list, indicators: list, review: Review, goals: dict | None = None) -> None:
        """`goals`: the tables' goal clauses as the practice findings matched them (else matched here)."""
        for d in documents(tables, indicators, review, goals):
            self.xlsx.add(d)
            self.html.add(d)
            self.overview.add(d)
        self._add_tabular(review)
        if self.review is not None:
            self.review.findings += review.findings
            self.review.tables += review.tables
            self.review.documents += review.documents

    def _add_tabular(self, review: Review) -> None:
        """The review's findings, table scores and document scores appended to their tabular sinks."""
        from ..write import flat_rows

        rows: dict[str, dict[str, list]] = {}  # each kind's records flattened once for its Parquet and CSV sinks
        for kind, sink in self.sinks:
            if kind not in rows:
                records = getattr(review, kind)
                rows[kind] = flat_rows(sink.cls, records, [s.fmt for k, s in self.sinks if k == kind]) if records else {}
            if rows[kind]:
                sink.add_rows(rows[kind][sink.fmt])

    def close(self, problems: list, library: Any, families: set[str]) -> dict[str, object]:
        """Write the overview, the summary sheets and the 指标库 (`library`, the scan's `families`
        first); rename the tabular outputs into place."""
        from ..practice.report import family_ranges_svg, library_rows

        try:
            self.overview.family_ranges = family_ranges_svg([], library, families=families)  # type: ignore[attr-defined]
            self.xlsx.library = library_rows([], library, families=families)
            parts = self.xlsx.close(problems)
            for old in self.out.glob(XLSX_NAME.replace(".xlsx", "-*.xlsx")):
                if old not in parts:
                    old.unlink()  # a part of an earlier, larger report into the same directory
            written: dict[str, object] = {"xlsx": parts[0], "xlsx_parts": parts}
            written.update(self.html.close(self.overview, problems))
        except BaseException:
            self.abort()
            raise
        tabular = []
        for _, sink in self.sinks:
            sink.close(True)
            tabular.append(sink.final)
        written["tabular"] = tabular
        written["n_findings"] = self.overview.n_findings
        if self.review is not None:
            written["review"] = self.review
        return written

    def abort(self) -> None:
        """Remove the temporary files (the spool of the document list, unfinished tabular outputs)."""
        self.html.spool.close()
        self.html.spool_path.unlink(missing_ok=True)
        for _, sink in self.sinks:
            sink.close(False)
        self.sinks = []


def split_documents(tables: list, indicators: list) -> list[tuple[list, list]]:
    """(tables, indicators) per document, in the order the documents' tables come (documents
    with indicators but no table last)."""
    by_doc: dict[str, tuple[list, list]] = {}
    for t in tables:
        by_doc.setdefault(t.doc, ([], []))[0].append(t)
    for i in indicators:
        by_doc.setdefault(i.doc, ([], []))[1].append(i)
    return list(by_doc.values())


def write_report(result, out: Path, review: Review | None = None, rows_per_part: int = ROWS_PER_PART,
                 page_docs: int = INDEX_PAGE_DOCS, library=None) -> dict[str, object]:
    """Review the scan (unless `review` is given) and write the xlsx and HTML reports into `out`;
    `written["review"]` is the review. The practice findings (kpiscan.practice) join the review;
    `library`: the Library peers are compared with (default: the scan's own when it holds enough
    documents, else the built-in one). `result`: anything with `.tables` and `.indicators`
    (`.problems` when it has them), in memory; see `report_parts` for a corpus that is not."""
    from ..pipeline import ScanResult
    from ..practice.report import families_of_scan, library_for
    from ..practice.stream import PracticeCorpus

    writer = ReportWriter(Path(out), rows_per_part, page_docs, keep_review=True)
    problems = list(getattr(result, "problems", []))
    try:
        if review is not None:
            library = library if library is not None else library_for(result.indicators)
            families = families_of_scan(result.indicators, library)
            writer.add(result.tables, result.indicators, review)
        else:
            parts = split_documents(result.tables, result.indicators)
            corpus = PracticeCorpus(library)
            for k, (tables, indicators) in enumerate(parts):
                corpus.add(tables, indicators, at=k)
            library = corpus.finish()
            for tables, indicators in parts:
                goals: dict = {}
                extra = corpus.findings(tables, indicators, lambda k: ScanResult(tables=parts[k][0], indicators=parts[k][1]),
                                        goals)
                writer.add(tables, indicators, review_all(tables, indicators, extra=extra), goals)
            families = corpus.families
    except BaseException:
        writer.abort()
        raise
    return writer.close(problems, library, families)


class PartSpool:
    """The parts of a scan in a temporary file of DIR, for the report's second pass: each part's
    tables (without body rows) and indicator records (unparsed rows and problems are not
    reported from it), pickled as the first pass decoded them, so the second pass reads records
    back without decoding JSON again (the file is this process's own, written and read by it,
    removed at the end). A record is pickled as its class and its fields' values (`RECORDS`):
    the slotted dataclasses' own pickling calls a Python __getstate__/__setstate__ per record,
    about twice the CPU each way; the indicator records, most of a part, as one list of their
    fields' tuples (`_Records`: no call per record to write them); a Target equal to one
    written before, by its number (`_SharedTargets`). `write(result)` returns the part's offset;
    `results()` reads the parts back in order, `load(offset)` one part, each as a ScanResult."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / f".kpiscan-report-parts.{os.getpid()}.tmp"
        self.fh = self.path.open("w+b")
        # one pickler for every part, its memo cleared after each (a part is read back alone): a
        # new one per part grew its memo's table from empty again, zeroed at each doubling
        self.pickler = pickle.Pickler(self.fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.targets = _SharedTargets()
        self.pickler.dispatch_table = {**_by_fields(), **self.targets.reductions()}  # type: ignore[assignment]

    def write(self, result: Any) -> int:
        at = self.fh.tell()
        try:
            self.pickler.dump((result.tables, _Records(result.indicators)))
        finally:
            self.pickler.clear_memo()
        return at

    def results(self) -> Iterable[Any]:
        self.fh.flush()
        with self.path.open("rb") as fh:
            while True:
                try:
                    yield self._read(fh)
                except EOFError:
                    return

    def load(self, at: int) -> Any:
        self.fh.flush()
        with self.path.open("rb") as fh:
            fh.seek(at)
            return self._read(fh)

    def _read(self, fh: Any) -> Any:
        from ..pipeline import ScanResult

        with paused():
            tables, indicators = _SpoolUnpickler(fh, self.targets.made).load()
        return ScanResult(tables=tables, indicators=indicators)

    def close(self) -> None:
        self.fh.close()
        self.path.unlink(missing_ok=True)


_SHARED_TARGETS = 1 << 12  # at most (corpora/'s 4 documents: 1,910 Targets, 470 distinct)


class _SharedTargets:
    """The distinct Targets a spool has pickled (the first _SHARED_TARGETS), each pickled in full
    once, then by its number in `made`: a province prints the same values again and again ("100%",
    "≥95%", "是"; corpora/'s 4 documents: 1,910 Targets, 470 distinct), and a Target pickled in
    full costs a reduction in Python, its 15 fields written and read and a 15-argument __init__
    (~8 k instructions, against ~3 k for its key and number). Read back, the records that held
    equal Targets share one (the report only reads them). Always in full: a Target whose key
    (schema.hashable) may equal another's that is written otherwise (a number that is 0: 0.0 ==
    -0.0; one that is not a float: 1 == 1.0), or one with further targets (`others`)."""

    def __init__(self) -> None:
        from ..model import Target
        from ..schema import hashable

        self.made: list = []
        self.numbers: dict[tuple, int] = {}
        self.key = hashable(Target)
        names = _init_names(Target)
        self.in_full = _by_fields()[Target]
        self.numbers_at = slice(names.index("value"), names.index("high") + 1)
        self.others_at = names.index("others")
        assert names[self.numbers_at] == ("value", "low", "high"), names

    def reductions(self) -> dict[type, Callable[[Any], tuple]]:
        from ..model import Target

        return {Target: self.reduce}

    def reduce(self, target: Any) -> tuple:
        key = self.key(target)
        at = self.numbers.get(key)
        if at is None:
            numbers = key[self.numbers_at]
            if len(self.made) >= _SHARED_TARGETS or key[self.others_at] or 0.0 in numbers or not _FLOATS(map(type, numbers)):
                return self.in_full(target)
            at = self.numbers[key] = len(self.made)
            self.made.append(target)
        return (_shared_target, (at,))


_FLOATS = frozenset((float, type(None))).issuperset


def _shared_target(at: int) -> Any:
    """A Target a spool pickled by its number (_SharedTargets): its own unpickler reads it back."""
    raise pickle.UnpicklingError("a shared Target is read back by the spool that wrote it")


class _SpoolUnpickler(pickle.Unpickler):
    """A spool's parts read back: a Target pickled by its number is its spool's Target."""

    def __init__(self, fh: Any, targets: list) -> None:
        super().__init__(fh)
        self.targets = targets

    def find_class(self, module: str, name: str) -> Any:
        if name == "_shared_target" and module == __name__:
            return self.targets.__getitem__
        return super().find_class(module, name)


class _Records:
    """A part's indicator records, pickled as their fields' values, a tuple per record read by
    field_reader (`_by_fields`' reduction without a pickler's call per record), and loaded as the
    list of records again (`_records`)."""

    __slots__ = ("records",)

    def __init__(self, records: list) -> None:
        self.records = records

    def __reduce__(self) -> tuple:
        from ..model import Indicator

        cls = Indicator
        if not {cls}.issuperset(map(type, self.records)):
            return (list, (self.records,))  # another class: each record pickled by its own reduction
        _by_fields()  # its check that every field is an __init__ argument
        return (_records, (cls, _field_values(cls, self.records)))


def _field_values(cls: type, records: list) -> list[tuple]:
    """Each record's fields' values, a tuple in __init__ order (`cls(*row)` makes it again), read
    by field_reader (no `vars` a record: its __dict__, made from its inline values when asked
    for, and a lookup a field in it cost ~2.5x)."""
    from ..schema import field_reader

    return list(map(field_reader(cls)[0], records))


@cache
def _init_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.init)


def _records(cls: type, rows: list[tuple]) -> list:
    """_Records' list loaded: each record rebuilt by calling its class with its fields' values
    (starmap's loop in C: no comprehension's step in Python a record)."""
    return list(starmap(cls, rows))


@cache
def _by_fields() -> dict[type, Callable[[Any], tuple]]:
    """pickle's reduction of each record class a part holds: (class, its fields' values), rebuilt
    by calling the class with them (every field of these classes is an __init__ argument)."""
    from ..model import Indicator, Line, TableBlock, Target, Unparsed
    from ..schema import field_reader

    def reduce(cls: type) -> Callable[[Any], tuple]:
        assert all(f.init for f in fields(cls)), cls
        read = field_reader(cls)[0]
        return lambda record: (cls, read(record))

    return {cls: reduce(cls) for cls in (Indicator, TableBlock, Target, Unparsed, Line)}


def report_parts(parts: Iterable[dict], out: Path, library=None, rows_per_part: int = ROWS_PER_PART,
                 page_docs: int = INDEX_PAGE_DOCS, tabular: tuple[str, ...] = TABULAR) -> dict[str, object]:
    """The report of a scan given as batch parts (`kpiscan.batch.iter_parts`, one per file, each
    holding whole documents), in bounded memory (see the module notes). Writes the xlsx and HTML
    reports and findings/table_scores/document_scores in each `tabular` format; returns what
    was written (and "n_findings"; no review: it is in the files)."""
    from ..batch import part_result
    from ..practice.stream import PracticeCorpus

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with long_run():  # the garbage collector's policy for the loop (kpiscan.gcpolicy)
        spool = PartSpool(out)
        problems: list = []
        try:
            corpus = PracticeCorpus(library)
            for part in parts:
                result = part_result({**part, "unparsed": []})  # not reported
                problems += result.problems
                corpus.add(result.tables, result.indicators, at=spool.write(result))
            library = corpus.finish()
            writer = ReportWriter(out, rows_per_part, page_docs, tabular)
            try:
                for result in spool.results():
                    goals: dict = {}
                    extra = corpus.findings(result.tables, result.indicators, spool.load, goals)
                    writer.add(result.tables, result.indicators, review_all(result.tables, result.indicators, extra=extra), goals)
            except BaseException:
                writer.abort()
                raise
            return writer.close(problems, library, corpus.families)
        finally:
            spool.close()


def report_scan(paths: Iterable, out: Path, classify: bool = True, workers: int = 1, library=None,
                stats: Any = None, show_progress: bool | None = None, **options: Any) -> dict[str, object]:
    """Scan `paths` (kpiscan.batch.iter_parts: `workers`, `stats`, progress) and report them with
    `report_parts`: the records are never all in memory."""
    from ..batch import iter_parts

    # the parts' records as records when scanned in this process, else as dicts (from worker
    # processes), not JSONL text: the report decodes them into records once (the spool keeps
    # those), so encoding them as JSON (or dicts) and parsing them back would be wasted
    # and without the nothing-lost net: the report keeps no unparsed record (part_result below)
    parts = iter_parts(paths, classify=classify, workers=workers, stats=stats, show_progress=show_progress, records=True,
                       sweep=False)
    with long_run(load=warm_models if classify else None):  # the garbage collector's policy for the loop (kpiscan.gcpolicy)
        return report_parts(parts, out, library, **options)


__all__ = ["DocFacts", "Overview", "ReportWriter", "XLSX_NAME", "documents", "report_parts", "report_scan",
           "split_documents", "write_report"]
