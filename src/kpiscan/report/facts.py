"""What the reports show, computed once from a scan and its review, one document at a time.

`documents(tables, indicators, review)` groups everything by document and table in one pass
(linear in records and findings) and yields a `DocFacts` per document: its tables, each table's
indicators, findings and score, and the finding codes per (table, source line, half). `Overview`
accumulates, document by document, the corpus figures of index.html (per-level2 label counts,
vague wordings, finding counts, score bands, flagged share per document and department), so the
writers hold one document's records at a time besides the running totals.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from ..constants import LABELS as LABELS  # re-exported for the writers
from ..constants import level2_order
from ..layout import norm
from ..model import Indicator, TableBlock
from ..review import Finding, Review, department_of
from ..review.score import DocumentScore, TableScore

LEVEL2_ORDER = level2_order()
ROW_CODES_SKIPPED = ("flagged-share",)  # names every flagged row; the row's own label says it better


@dataclass
class Share:
    key: str
    flagged: int
    total: int

    @property
    def share(self) -> float:
        return self.flagged / self.total if self.total else 0.0


@dataclass
class TableFacts:
    table: TableBlock
    indicators: list[Indicator]
    findings: list[Finding]
    score: TableScore | None
    department: str
    # indicator record id -> the findings about that record (findings point at record ids, so a
    # finding about one half's indicator never lands on the other half's on the same line)
    at: dict[str, list[Finding]] = field(default_factory=dict)

    def findings_at(self, ind: Indicator) -> list[Finding]:
        """The findings about this indicator record (this half of this row)."""
        return self.at.get(ind.id or "", [])

    def codes_of(self, ind: Indicator) -> list[str]:
        return list(dict.fromkeys(f.code for f in self.findings_at(ind)))


@dataclass
class DocFacts:
    doc: str
    tables: list[TableFacts]
    score: DocumentScore | None

    @property
    def indicators(self) -> Iterator[Indicator]:
        for t in self.tables:
            yield from t.indicators

    @property
    def n_indicators(self) -> int:
        return sum(len(t.indicators) for t in self.tables)


def _findings_at(findings: list[Finding]) -> dict[str, list[Finding]]:
    at: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.code in ROW_CODES_SKIPPED:
            continue
        for record in dict.fromkeys(f.records):
            at[record].append(f)
    return dict(at)


def documents(tables: Iterable[TableBlock], indicators: Iterable[Indicator], review: Review) -> Iterator[DocFacts]:
    """One DocFacts per document, in the order the tables come; a single grouping pass."""
    inds: dict[tuple[str, int], list[Indicator]] = defaultdict(list)
    for i in indicators:
        inds[(i.doc, i.table)].append(i)
    found: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for f in review.findings:
        found[(f.doc, f.table)].append(f)
    scores = {(s.doc, s.table): s for s in review.tables}
    doc_scores = {d.doc: d for d in review.documents}
    per_doc: dict[str, list[TableBlock]] = defaultdict(list)
    for t in tables:
        per_doc[t.doc].append(t)
    for doc, blocks in per_doc.items():
        yield DocFacts(doc=doc, score=doc_scores.get(doc), tables=[
            TableFacts(table=t, indicators=inds.pop((doc, t.index), []), findings=found.get((doc, t.index), []),
                       score=scores.get((doc, t.index)), department=department_of(t) or "(未注明)",
                       at=_findings_at(found.get((doc, t.index), [])))
            for t in blocks
        ])


@dataclass
class Overview:
    """The corpus figures of index.html, added to one document at a time."""

    documents: list[DocumentScore] = field(default_factory=list)
    n_tables: int = 0
    n_indicators: int = 0
    n_rows: int = 0  # printed indicator rows (both halves of one source line count once)
    n_labelled: int = 0
    n_flagged: int = 0
    n_findings: int = 0
    table_scores: list[float] = field(default_factory=list)
    by_doc: list[Share] = field(default_factory=list)
    by_department: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    per_level2: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    vague: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)

    def add(self, d: DocFacts) -> None:
        if d.score is not None:
            self.documents.append(d.score)
        flagged = labelled = 0
        for t in d.tables:
            self.n_tables += 1
            if t.score is not None:
                self.table_scores.append(t.score.score)
            self.n_findings += len(t.findings)
            self.codes.update(f.code for f in t.findings)
            dept = self.by_department[t.department]
            seen_vague: set[int] = set()
            self.n_rows += len({i.line for i in t.indicators})
            for i in t.indicators:
                self.per_level2[i.level2][i.label or "unlabelled"] += 1
                if i.label is None:
                    continue
                labelled += 1
                flagged += int(i.flagged)
                dept[0] += int(i.flagged)
                dept[1] += 1
                if i.label == "vague" and i.line not in seen_vague:
                    seen_vague.add(i.line)  # both halves print the same row: one reviewer reading
                    text = norm((i.target.text if i.target is not None and i.target.text else i.value) or "")
                    if text:
                        self.vague[text] += 1
        self.n_indicators += d.n_indicators
        self.n_labelled += labelled
        self.n_flagged += flagged
        if labelled:
            self.by_doc.append(Share(d.doc, flagged, labelled))

    def flagged_by_doc(self) -> list[Share]:
        return sorted(self.by_doc, key=lambda s: (-s.share, s.key))

    def flagged_by_department(self) -> list[Share]:
        shares = [Share(k, f, t) for k, (f, t) in self.by_department.items() if t]
        return sorted(shares, key=lambda s: (-s.share, s.key))

    def labels_per_level2(self) -> list[tuple[str, dict[str, int]]]:
        """(level2, {label: count}) in the canonical level2 order; unlabelled rows count as "unlabelled"."""
        order = [l2 for l2 in LEVEL2_ORDER if l2 in self.per_level2]
        order += sorted(set(self.per_level2) - set(LEVEL2_ORDER))
        return [(l2, dict(self.per_level2[l2])) for l2 in order]

    def vague_terms(self, top: int = 15) -> list[tuple[str, int]]:
        """The most common wording of vague targets (Target.text, else the value), once per row."""
        return self.vague.most_common(top)

    def finding_counts(self) -> list[tuple[str, int]]:
        return self.codes.most_common()


def score_histogram(scores: list[float], width: int = 10) -> list[tuple[str, int]]:
    """Counts per score band: "0–9", ..., "90–100"."""
    bands = Counter(min(int(s // width), 100 // width - 1) for s in scores)
    return [(f"{b * width}–{b * width + width - 1 if b < 100 // width - 1 else 100}", bands.get(b, 0))
            for b in range(100 // width)]
