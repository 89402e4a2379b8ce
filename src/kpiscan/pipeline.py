"""The scan: read -> segment -> extract -> normalise -> classify, per file and over many files.

`scan_file` never raises for bad input: a file that cannot be scanned comes back with its
`InputError` in `problems`, so a batch goes on past it. `scan` collects many files.

A document's identity (`doc` on every record) is its path relative to the scan root: the directory
given, or the deepest directory holding everything given (`inputs`), so 2023/budget.txt and
2024/budget.txt are two documents; `doc_hash` (the sha256 of its bytes) tells two copies apart.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from . import lexicon

# the files of a scan and its result live in kpiscan.corpus (which imports no scan module: a Dask
# client lists and writes files without them); named here as well
from .corpus import Input, ScanResult, inputs, iter_files, scan_root, skipped_result, walk  # noqa: F401
from .errors import InputError
from .extract import check_extracted, extract_table
from .layout import _char_class, _runs, forget_text_memos, is_indicator_header, is_watermark, norm
from .model import Document, Indicator, Line, TableBlock, Unparsed, assign_ids, department_of
from .patterns import cached_compile, cached_re
from .read import read_document
from .read.text import CHUNK_LINES, LINE_LIMIT, MAX_LINES, kept_as_text
from .segment import check_tables, segment
from .templates import caption_roles


def fill_targets(indicators: list[Indicator], years: dict[int, int | None]) -> None:
    """Parse every value, a missing year taken from its table's budget year, through the value
    memo (with KPISCAN_CLASSIFY_MEMO=0 emptied before each document, as every text memo: the
    same Targets either way)."""
    from .values import parse_value_memo

    for ind in indicators:
        ind.target = parse_value_memo(ind.value, years.get(ind.table))


def fill_labels(indicators: list[Indicator], year: int | None) -> None:
    from .classify import decide

    for ind, (label, flagged, reasons, _) in zip(indicators, decide(indicators, year=year)):
        ind.label, ind.flagged, ind.reasons = label, flagged, list(reasons)


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
                         page=ind.page, row=ind.row, source=ind.source, confidence=ind.confidence)
            )
        else:
            kept.append(ind)
    return kept


def fill_identity(doc: Document, tables: list[TableBlock], indicators: list[Indicator], unparsed: list[Unparsed]) -> None:
    """Carry the document's identity, the tables' department and year, and the record ids onto
    every record."""
    by_index = {t.index: t for t in tables}
    for t in tables:
        t.doc, t.doc_hash, t.department = doc.name, doc.sha256, department_of(t)
    name, sha256 = doc.name, doc.sha256
    for ind in indicators:
        table = by_index.get(ind.table)
        ind.doc, ind.doc_hash = name, sha256
        if table is not None:
            ind.department, ind.year = table.department, table.year or doc.year
    for u in unparsed:
        u.doc, u.doc_hash = name, sha256
    assign_ids(indicators)


def level2_by_meaning(indicators: list[Indicator], tables: list[TableBlock]) -> list[Indicator]:
    """Rows whose printed 二级 label its table makes suspect go to the category their meaning and
    neighbours support (kpiscan.classify.category.reassign_level2); clean prints are kept."""
    from .classify.category import reassign_level2

    return reassign_level2(indicators, tables)


MAX_TABLE_ROWS = 100_000  # rows of one table (its caption row aside) read; the rest kept as text (_over_limit)
TABLE_ROW_LIMIT = "table-row-limit"  # the reason of those records


def _table_of(tables: list[TableBlock], line: int) -> int:
    """The index of the table a line lies in; 0 outside every table."""
    return next((t.index for t in tables if t.line <= line <= max(t.end_line, t.line)), 0)


def _over_limit(table: TableBlock) -> tuple[list[Unparsed], tuple[int, int] | None]:
    """Rows of a table past MAX_TABLE_ROWS, cut off its body: kept as text, CHUNK_LINES rows an
    unparsed record (read.text.kept_as_text), and the (first, last) line numbers they cover."""
    limit = MAX_TABLE_ROWS + (1 if table.body and is_indicator_header(table.body[0].cells) else 0)
    if len(table.body) <= limit:
        return [], None
    rest, table.body = table.body[limit:], table.body[:limit]
    kept = kept_as_text([(line.number, line.text) for line in rest], TABLE_ROW_LIMIT)
    return [Unparsed(table.doc, table.index, n, text, reason) for n, reason, text in kept], (rest[0].number, rest[-1].number)


def limit_problems(doc: Document, tables: list[TableBlock], cut: dict[int, tuple[int, int]]) -> list[InputError]:
    """One line per limit an absurd input reached: the document's MAX_LINES, a table's
    MAX_TABLE_ROWS (what was read, and how the rest is kept)."""
    problems = []
    rest = [n for n, reason, _ in doc.notes if reason == LINE_LIMIT]
    if rest:
        problems.append(InputError(
            doc.path,
            f"line-limit: lines past the first {MAX_LINES:,} of a document are not read as table rows; "
            f"kept as text in {len(rest):,} unparsed records ({LINE_LIMIT}, {CHUNK_LINES:,} lines each)",
            rest[0],
        ))
    by_index = {t.index: t for t in tables}
    for index, (first, last) in cut.items():
        t = by_index[index]
        problems.append(InputError(
            doc.path,
            f"table-row-limit: table {t.project or t.title!r} has more than {MAX_TABLE_ROWS:,} rows; rows from "
            f"line {first} to {last} are not read as indicators, kept as text ({TABLE_ROW_LIMIT}, {CHUNK_LINES:,} rows a record)",
            first,
        ))
    return problems


_PUNCT = cached_compile(r"[\p{P}\p{S}\s]+")


@cache
def _captions() -> frozenset[str]:
    """The printed captions of the layout vocabulary, and every prefix of two or more characters
    of each (a caption cut short by a narrow column), without punctuation."""
    words = set()
    for name, column in (
        ("header_fields.tsv", "caption"),
        ("table_layout.tsv", "text"),
        ("level1.tsv", "variant"),
        ("categories.tsv", "variant"),
    ):
        for row in lexicon.table(name):
            w = _PUNCT.sub("", norm(row[column]))
            words |= {w[:k] for k in range(2, len(w) + 1)}
    return frozenset(words)


def unplaced_cells(
    doc: Document,
    tables: list[TableBlock],
    indicators: list[Indicator],
    unparsed: list[Unparsed],
    cut: dict[int, tuple[int, int]] | None = None,
) -> list[Unparsed]:
    """The safety net of "nothing lost": every non-empty cell on a table's lines that no stage
    placed, as an unparsed record (reason "unplaced-cell").

    A cell counts as placed when it is a caption of the layout vocabulary, when its text is part
    of a record, an unparsed text or a fund amount of its own line or the line above or below
    (a value printed under its caption, a name wrapped onto two lines), or part of a header field
    (head and footer lines). "Its text" is what is really in the cell (`layout.norm`: NFKC, no
    whitespace): a cell is found inside a kept text as printed, or, punctuation aside, only when
    what it holds is a whole kept text or long enough to be one (MIN_LOOSE characters); a bare
    "000" or "1" is never placed by turning up somewhere inside "200,000" or a date. A cell is a
    fund amount only when it is printed as a number (digits, thousands separators every three
    digits): ",000" is not 0. Page furniture (watermarks, page numbers) is not content. The rows
    of a table past its row limit (`cut`: table -> first and last line) are kept whole already.
    Linear in cells: each line compares only with the texts of its own neighbourhood.
    """
    cut = cut or {}
    near: dict[tuple[int, int], list[str]] = {}
    for i in indicators:
        # its texts that are set, in this order: name, name_raw, value, level1, level2, project
        # (one test each: a filter over a tuple of them was ~1,300 instructions a record more)
        texts = near.setdefault((i.table, i.line), [])
        if i.name:
            texts.append(i.name)
        if i.name_raw:
            texts.append(i.name_raw)
        if i.value:
            texts.append(i.value)
        if i.level1:
            texts.append(i.level1)
        if i.level2:
            texts.append(i.level2)
        if i.project:
            texts.append(i.project)
    for u in unparsed:
        near.setdefault((u.table, u.line), []).append(u.text)
    by_number = {line.number: line for line in doc.lines}
    known: dict[str, list[Any]] = {}
    bares = _Bares()
    out: list[Unparsed] = []
    for t in tables:
        out += _unplaced_in_table(doc.name, t, by_number, near, cut.get(t.index, (0, -1)), known, bares)
    return out


def _unplaced_in_table(
    doc: str,
    t: TableBlock,
    by_number: dict[int, Line],
    near: dict[tuple[int, int], list[str]],
    skip: tuple[int, int],
    known: dict[str, list[Any]],
    bares: _Bares,
) -> list[Unparsed]:
    """unplaced_cells of one table. `near`: (table, line) -> the kept texts of that line's records;
    `skip`: the lines kept whole already; `known`: cell -> [its `norm`, its letters and digits
    (None until asked), whether it is placed wherever it stands: a caption of the layout
    vocabulary or punctuation only], and `bares` (text -> its letters and digits), shared by the
    tables of a document (they repeat their captions, labels and project names)."""
    captions = _captions()
    body = {line.number for line in t.body}
    fields = _Kept([t.title, t.project, *t.fields, *t.fields.values()], bares)
    field_forms = set(fields.forms)  # (a cell printed as a whole field: found without a search of them all)
    amounts = {v for half in t.funds.values() for v in half.values() if v is not None}
    last = max(t.end_line, t.line)
    # the kept texts of each line as printed, one string: a cell found in its line's or a
    # neighbour's is placed (most cells; the _Kept forms are built only for the others)
    index = t.index
    printed = _PrintedLines(near, index)
    kept = _KeptLines(near, index, bares)

    out: list[Unparsed] = []
    for number in _swept(t.line, last, skip):
        line = by_number.get(number)
        if line is None or not any(line.cells):
            continue
        texts = near.get((index, number))
        if texts and set(texts).issuperset(filter(None, line.cells)):
            continue  # each cell is a kept text of its own line, as printed (most indicator rows)
        around = f"{printed[number - 1]}\0{printed[number]}\0{printed[number + 1]}"
        head = number not in body
        lost: list[str] = []
        for cell in filter(None, line.cells):
            seen = known.get(cell)
            if seen is None:  # a cell's forms: asked once per document (its tables repeat their captions)
                seen = known[cell] = [norm(cell), None, False]
            text, key, vocabulary = seen
            if vocabulary or (text in around and "\0" not in text):
                continue
            if (head and text in field_forms) or (amounts and _amount(text) in amounts) or (head and text in fields.printed):
                # placed as printed (a header field, a fund amount): its bare form not needed (a
                # whole field asked first: most head cells are one; then an amount, which the
                # search of every field's text would not find)
                continue
            if key is None:  # what a cell is wherever it stands: asked once per document
                key = seen[1] = bares[text]
                if not key or key in captions or caption_roles(cell):
                    seen[2] = True  # a caption (or punctuation): placed wherever it stands
                    continue
            placed = (head and fields.holds(text, key)) or any(kept(k).holds(text, key) for k in (number - 1, number, number + 1))
            if not placed:
                lost.append(cell)
        if lost and not is_watermark(line.text):  # asked only of a line with a cell left over
            out += [Unparsed(doc, index, number, cell, "unplaced-cell") for cell in lost]
    return out


def _swept(first: int, last: int, skip: tuple[int, int]) -> Iterable[int]:
    """The line numbers first..last less those of `skip` (first, last: kept whole already); most
    tables have none, and their lines are not each compared with it."""
    numbers = range(first, last + 1)
    return numbers if skip[0] > skip[1] else [n for n in numbers if not skip[0] <= n <= skip[1]]


def _bare(text: str) -> str:
    """`text` without punctuation, symbols and spaces (letters and digits only: as it is):
    `_PUNCT.sub("", text)`. Those of the blocks texts print them from go first, by `re`
    (`_common_punct`); what is left, when it is not letters and digits only, goes to `_PUNCT`
    (no letter or digit is in `_PUNCT`'s class: tests/test_pipeline_net.py asks every code point)."""
    if text.isalnum():
        return text
    bare = _common_punct().sub("", text)
    return bare if bare.isalnum() else _PUNCT.sub("", bare)


# the blocks the punctuation of budget texts comes from: ASCII and Latin-1, General Punctuation,
# CJK Symbols and Punctuation, CJK Compatibility Forms, Halfwidth and Fullwidth Forms
_COMMON_PUNCT_BLOCKS = ((0x00, 0xFF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF))


@cache
def _common_punct() -> re.Pattern[str]:
    """The characters of _COMMON_PUNCT_BLOCKS that `_PUNCT` matches, as one `re` class: a goal
    paragraph's punctuation deleted in one scan (the `regex` class tests each character's
    properties: ~610 instructions a character of the texts the net bares, `re` ~370)."""
    codes = {c for first, last in _COMMON_PUNCT_BLOCKS for c in range(first, last + 1) if _PUNCT.match(chr(c))}
    return cached_re(_char_class(_runs(codes)) + "+")


class _Bares(dict[str, str]):
    """text -> `_bare(text)`, each text computed once (one map per document)."""

    def __missing__(self, text: str) -> str:
        self[text] = found = _bare(text)
        return found


class _PrintedLines(dict[int, str]):
    """line -> the kept texts of that line's records (of one table) as printed, one string ("\0"
    between them, "" without records): made when the line or a neighbour is looked at cell by
    cell (corpora/: 481 of a copy's 1,008 lines with records; the others' cells are each a text
    of their own records, or they have no neighbour that is not)."""

    __slots__ = ("near", "index")

    def __init__(self, near: dict[tuple[int, int], list[str]], index: int) -> None:
        super().__init__()
        self.near, self.index = near, index

    def __missing__(self, line: int) -> str:
        texts = self.near.get((self.index, line))
        self[line] = printed = "\0".join(map(norm, texts)) if texts else ""
        return printed


class _KeptLines:
    """line -> the _Kept texts of that line's records (of one table), normalised once: three
    lines ask for each."""

    __slots__ = ("near", "index", "bares", "memo")

    def __init__(self, near: dict[tuple[int, int], list[str]], index: int, bares: _Bares) -> None:
        self.near, self.index, self.bares = near, index, bares
        self.memo: dict[int, _Kept] = {}

    def __call__(self, line: int) -> _Kept:
        memo = self.memo
        if line not in memo:
            if len(memo) > 8:  # lines are visited in order: older ones are rarely asked again
                memo.clear()
            memo[line] = _Kept(self.near.get((self.index, line), []), self.bares)
        return memo[line]


MIN_LOOSE = 4  # characters a cell holds (punctuation aside) before it may match a kept text loosely


class _Kept:
    """The kept texts of a neighbourhood, in the two forms a cell is looked up in: as printed
    (`printed`), and without punctuation (`bare`, `whole`), the second built only when a cell is
    not found as printed (most cells are)."""

    __slots__ = ("printed", "forms", "_bare", "_whole", "_bares")

    def __init__(self, texts: list[str], bares: _Bares) -> None:
        self.forms = [norm(x) for x in texts if x]
        self._bares = bares
        self.printed = "\0".join(self.forms)
        self._bare: str | None = None
        self._whole: set[str] = set()

    def _loose(self) -> str:
        if self._bare is None:
            bare = [self._bares[x] for x in self.forms]
            self._bare, self._whole = "\0".join(bare), set(bare)
        return self._bare

    def holds(self, text: str, key: str) -> bool:
        """`text` (a cell as printed) inside a kept text, or `key` (its letters and digits) a whole
        kept text or, when it is MIN_LOOSE characters or more, inside one."""
        printed = self.printed
        if text in printed:
            return True
        if key[0] not in printed or key[-1] not in printed:
            # each character of a loose form is a character of its printed text: a key whose
            # first or last character no kept text holds is in none of them (most cells asked
            # here: their loose forms are not built)
            return False
        if "\0" in key:  # (a key that could span two kept texts: their joined loose forms)
            bare = self._loose()
            return key in self._whole or (len(key) >= MIN_LOOSE and key in bare)
        # text by text, the loose form of a text holding the key's first and last characters
        # only (a long kept text, a goal's paragraph, is stripped only when it may hold the key)
        loose, bares = len(key) >= MIN_LOOSE, self._bares
        first, last = key[0], key[-1]
        for form in self.forms:
            if first in form and last in form:
                bare = bares[form]
                if key == bare or (loose and key in bare):
                    return True
        return False


# a number as printed in a fund cell: 200000, 200,000, 200,000.00, 12.5 (not ",000" or "3,186,0");
# `re`, not `regex`: two thirds of the instructions a call (asked of most cells the net looks at),
# and its \d is the digits float() reads (regex's newer tables know digits Python 3.11's do not:
# "𑛐" matched, then float() raised)
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


def _amount(text: str) -> float | None:
    """The value of a cell printed as an amount; None for anything else."""
    if not text[:1].isdecimal():  # (`re`'s \d is isdecimal: no match starts there; most cells, told without the regex)
        return None
    return float(text.replace(",", "")) if _AMOUNT.match(text) else None


def scan_document(doc: Document, classify: bool = True, by_meaning: bool = True, sweep: bool = True) -> ScanResult:
    """The document's tables, indicator records and unparsed records. `sweep=False`: no
    nothing-lost net (`unplaced_cells`: the cells no record, unparsed row or amount holds, as
    unparsed records, and their count in the tables' n_unparsed), for a caller that keeps no
    unparsed record and no such count (`kpiscan report`: ~4% of its instructions at 4x); the
    indicator and table records are the same either way."""
    from .classify.memo import memo_enabled

    if not memo_enabled():  # KPISCAN_CLASSIFY_MEMO=0: no cell looked up for another document
        forget_text_memos()
    result = ScanResult(files=[doc.path])
    tables = segment(doc)
    result.problems += check_tables(doc, tables)
    paged = doc.paged if doc.paged is not None else any(line.page is not None or line.confidence is not None for line in doc.lines)
    ranks = page_ranks(doc) if paged else {}
    by_number = {line.number: line for line in reversed(doc.lines)} if paged else {}
    cut: dict[int, tuple[int, int]] = {}
    for table in tables:
        rest, span = _over_limit(table)
        if span is not None:
            cut[table.index] = span
        indicators, unparsed = extract_table(table)
        if paged:
            locate(table, indicators, ranks, by_number)
            locate(table, unparsed, ranks, by_number)
        # (a record has a confidence only from its line: none where no line has one)
        result.indicators += hold_low_confidence(indicators, unparsed) if paged else indicators
        result.unparsed += unparsed + rest
        table.n_unparsed += len(rest)
    result.problems += check_extracted(doc, tables) + limit_problems(doc, tables, cut)
    # what the reader could not read as text (a line in no known encoding, a cut-off last
    # character, an over-long line, the lines past the line limit: of the table they cut, when
    # it was still open): kept as unparsed records with its line
    last_open = tables[-1].index if tables and not tables[-1].has_footer else 0
    result.unparsed += [
        Unparsed(doc.name, last_open if reason == LINE_LIMIT else _table_of(tables, n), n, text, reason) for n, reason, text in doc.notes
    ]
    swept = unplaced_cells(doc, tables, result.indicators, result.unparsed, cut) if sweep else []
    first: dict[int, TableBlock] = {}  # a table by its index (the first of that index)
    for t in tables:
        first.setdefault(t.index, t)
    for u in swept:
        first[u.table].n_unparsed += 1
    result.unparsed += swept
    result.tables = tables
    fill_identity(doc, tables, result.indicators, result.unparsed)
    fill_targets(result.indicators, {t.index: t.year or doc.year for t in tables})
    if by_meaning:
        result.indicators = level2_by_meaning(result.indicators, tables)
    if classify:
        fill_labels(result.indicators, doc.year)
    return result


def file_hash(path: str | Path) -> str:
    """First 16 hex digits of the sha256 of the file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def scan_file(path: str | Path, classify: bool = True, doc: str | None = None, by_meaning: bool = True,
              sweep: bool = True) -> ScanResult:
    """Scan one file; `doc` names it in the records (default: its base name); `sweep`: see scan_document."""
    from .read.files import check_regular

    try:
        if Path(path).exists() or os.path.islink(path):  # a missing file: the reader says so
            check_regular(Path(path))  # FIFOs, devices, sockets, links to them: never opened
        document = read_document(path)
        document.name = doc or document.name
        document.sha256 = file_hash(path)
        return scan_document(document, classify=classify, by_meaning=by_meaning, sweep=sweep)
    except InputError as err:
        return ScanResult(problems=[err], files=[str(path)])
    except OSError as err:  # permission denied, a file gone while scanning, ...
        return ScanResult(problems=[InputError(str(path), f"unreadable: {err.strerror or err}")], files=[str(path)])


def scan(paths: str | Path | Iterable[str | Path], classify: bool = True) -> ScanResult:
    """Scan files and directories; see `kpiscan.batch` for progress bars and parallel runs."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    result = ScanResult()
    for i in inputs(paths):
        result.extend(skipped_result(i) if i.skipped else scan_file(i.path, classify=classify, doc=i.doc))
    return result

