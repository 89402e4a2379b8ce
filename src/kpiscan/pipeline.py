"""The scan: read -> segment -> extract -> normalise -> classify, per file and over many files.

`scan_file` never raises for bad input: a file that cannot be scanned comes back with its
`InputError` in `problems`, so a batch goes on past it. `scan` collects many files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import InputError
from .extract import check_extracted, extract_table
from .model import Document, Indicator, Line, TableBlock, Unparsed
from .read import read_document, supported
from .segment import check_tables, segment


@dataclass
class ScanResult:
    tables: list[TableBlock] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file scanned, good or bad

    def extend(self, other: "ScanResult") -> None:
        self.tables += other.tables
        self.indicators += other.indicators
        self.unparsed += other.unparsed
        self.problems += other.problems
        self.files += other.files

    def records(self) -> list[dict]:
        return [i.to_dict() for i in self.indicators]

    def to_frame(self):
        """The indicator records as a pandas DataFrame (target fields flattened as target_*)."""
        from .write import records_frame

        return records_frame(self.records())


def fill_targets(indicators: list[Indicator], years: dict[int, int | None]) -> None:
    """Parse every value, a missing year taken from its table's budget year."""
    from .values import parse_value

    for ind in indicators:
        ind.target = parse_value(ind.value, years.get(ind.table))


def fill_labels(indicators: list[Indicator], year: int | None) -> None:
    from .classify import assess

    for ind, verdict in zip(indicators, assess(indicators, year=year)):
        ind.label, ind.flagged, ind.reasons = verdict.label, verdict.flagged, list(verdict.reasons)


LOW_CONFIDENCE = 0.80  # an OCR row whose weakest cell the recogniser scored below this is unparsed


def page_ranks(doc: Document) -> dict[tuple[int | None, int], int]:
    """(page, line number) -> the rank of that line among the lines of its page (1-based)."""
    rank: dict[tuple[int | None, int], int] = {}
    seen: dict[int | None, int] = {}
    for line in doc.lines:
        if line.page is None:
            continue
        seen[line.page] = seen.get(line.page, 0) + 1
        rank.setdefault((line.page, line.number), seen[line.page])
    return rank


def locate(
    table: TableBlock,
    records: list[Indicator] | list[Unparsed],
    ranks: dict[tuple[int | None, int], int],
    lines: dict[int, Line],
) -> None:
    """Fill `page`, `row` and, for OCR rows, `source`/`confidence` of one table's records from the
    Lines they were read from: a number is looked up among the table's own body lines first (a
    workbook numbers rows per sheet, so a number alone can repeat across sheets), then among
    `lines`, the document's lines by number."""
    own = {line.number: line for line in table.body}
    for rec in records:
        line = own.get(rec.line) or lines.get(rec.line)
        if line is None:
            continue
        if line.page is not None:
            rec.page, rec.row = line.page, ranks.get((line.page, line.number))
        if line.confidence is not None:
            rec.source, rec.confidence = "ocr", line.confidence


def hold_low_confidence(indicators: list[Indicator], unparsed: list[Unparsed]) -> list[Indicator]:
    """OCR rows read with low confidence go to unparsed (reason "low-confidence"), with their page
    and row, instead of standing as indicators a reviewer would trust; the others are returned."""
    kept = []
    for ind in indicators:
        if ind.confidence is not None and ind.confidence < LOW_CONFIDENCE:
            unparsed.append(
                Unparsed(ind.doc, ind.table, ind.line, f"{ind.name} | {ind.value}", "low-confidence",
                         ind.page, ind.row, ind.source, ind.confidence)
            )
        else:
            kept.append(ind)
    return kept


def scan_document(doc: Document, classify: bool = True) -> ScanResult:
    result = ScanResult(files=[doc.path])
    tables = segment(doc)
    result.problems += check_tables(doc, tables)
    paged = any(line.page is not None or line.confidence is not None for line in doc.lines)
    ranks = page_ranks(doc) if paged else {}
    by_number = {line.number: line for line in reversed(doc.lines)} if paged else {}
    for table in tables:
        indicators, unparsed = extract_table(table)
        if paged:
            locate(table, indicators, ranks, by_number)
            locate(table, unparsed, ranks, by_number)
        result.indicators += hold_low_confidence(indicators, unparsed)
        result.unparsed += unparsed
    result.problems += check_extracted(doc, tables)
    result.tables = tables
    fill_targets(result.indicators, {t.index: t.year or doc.year for t in tables})
    if classify:
        fill_labels(result.indicators, doc.year)
    return result


def scan_file(path: str | Path, classify: bool = True) -> ScanResult:
    try:
        return scan_document(read_document(path), classify=classify)
    except InputError as err:
        return ScanResult(problems=[err], files=[str(path)])


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files named, directories walked recursively (supported types only, sorted)."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and supported(f))
        else:
            yield p


def scan(paths: str | Path | Iterable[str | Path], classify: bool = True) -> ScanResult:
    """Scan files and directories; see `kpiscan.batch` for progress bars and parallel runs."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    result = ScanResult()
    paths = list(paths)
    for f in iter_files(paths):
        result.extend(scan_file(f, classify=classify))
    result.problems += skipped_files(paths)
    return result


def skipped_files(paths: Iterable[str | Path]) -> list[InputError]:
    """A problem for every file inside the directories named that no reader takes, saying why."""
    from .read import not_read

    out = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file()):
                reason = not_read(f)
                if reason is not None:
                    out.append(InputError(str(f), reason))
    return out
