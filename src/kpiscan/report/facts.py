"""What the reports show, computed once from a scan and its review, one document at a time.

`documents(tables, indicators, review)` groups everything by document and table in one pass
(linear in records and findings) and yields a `DocFacts` per document: its tables, each table's
indicators, findings and score, and the finding codes per (table, source line, half). `Overview`
accumulates, document by document, the corpus figures of index.html (per-level2 label counts,
vague wordings, finding counts, score bands, flagged share per document and department), so the
writers hold one document's records at a time besides the running totals, which are bounded
(counts and top-N lists; see Overview).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
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
    goals: list | None = None  # its goal clauses as matched by the practice findings, when they were

    def findings_at(self, ind: Indicator) -> list[Finding]:
        """The findings about this indicator record (this half of this row)."""
        return self.at.get(ind.id or "", [])

    def codes_by_record(self) -> dict[str, list[str]]:
        """The distinct finding codes about each record with a finding, by its id (a page asks
        it of every record: one entry per record found, not a call per record). A record's one
        finding (most: 2,326 of 2,434 on the first 16 documents of /tmp/d16) without a generator."""
        return {record: [found[0].code] if len(found) == 1 else list(dict.fromkeys(f.code for f in found))
                for record, found in self.at.items() if found}


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


def documents(tables: Iterable[TableBlock], indicators: Iterable[Indicator], review: Review,
              goals: dict | None = None) -> Iterator[DocFacts]:
    """One DocFacts per document, in the order the tables come; a single grouping pass. `goals`:
    the tables' matched goal clauses by (doc, table), when the practice findings matched them."""
    goals = goals or {}
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
                       at=_findings_at(found.get((doc, t.index), [])), goals=goals.get((doc, t.index)))
            for t in blocks
        ])


TOP_DOCS = 25  # documents kept for the flagged-share chart (the highest shares)
LOWEST_DOCS = 20  # documents kept for index.html when the list is paged (the lowest scores)
VAGUE_KEEP = 20_000  # distinct vague wordings counted; past that the rarer half is dropped


def _keep(items: list, key, n: int) -> list:
    """The first `n` of `items` in `key` order, once the list holds twice that (amortised trim)."""
    if len(items) >= 2 * n:
        items.sort(key=key)
        del items[n:]
    return items


def _by_share(s: Share) -> tuple[float, str]:
    return (-s.share, s.key)


def _by_score(d: DocumentScore) -> tuple[float, str]:
    return (d.score, d.doc)


@dataclass
class Overview:
    """The corpus figures of index.html, added to one document at a time. Bounded: counts, the
    table scores as a count per score (one decimal: at most 1,001 values), the TOP_DOCS highest
    flagged shares and the LOWEST_DOCS lowest-scored documents, one entry per department, per
    二级指标 and label, per finding code, and at most VAGUE_KEEP vague wordings (exact below that;
    past it the rarer half is dropped now and then, so the top of the list can undercount)."""

    n_documents: int = 0
    n_tables: int = 0
    n_indicators: int = 0
    n_rows: int = 0  # printed indicator rows (both halves of one source line count once)
    n_labelled: int = 0
    n_flagged: int = 0
    n_findings: int = 0
    table_scores: Counter = field(default_factory=Counter)  # score -> tables
    n_by_doc: int = 0  # documents with a labelled indicator
    top_docs: list[Share] = field(default_factory=list)
    lowest: list[DocumentScore] = field(default_factory=list)
    by_department: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # label -> records per 二级指标: plain dicts (a Counter's item set goes through its Python-level
    # slots, ~1 k instructions more each: it defines __delitem__)
    per_level2: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    vague: Counter = field(default_factory=Counter)
    codes: Counter = field(default_factory=Counter)

    def add(self, d: DocFacts) -> None:
        if d.score is not None:
            self.n_documents += 1
            self.lowest.append(d.score)
            _keep(self.lowest, _by_score, LOWEST_DOCS)
        flagged = labelled = 0
        for t in d.tables:
            self.n_tables += 1
            if t.score is not None:
                self.table_scores[t.score.score] += 1
            self.n_findings += len(t.findings)
            self.codes.update(f.code for f in t.findings)
            self.n_rows += len({i.line for i in t.indicators})
            t_flagged, t_labelled = self._add_records(t)
            dept = self.by_department[t.department]
            dept[0] += t_flagged
            dept[1] += t_labelled
            flagged += t_flagged
            labelled += t_labelled
        if len(self.vague) > VAGUE_KEEP:
            self.vague = Counter(dict(self.vague.most_common(VAGUE_KEEP // 2)))
        self.n_indicators += d.n_indicators
        self.n_labelled += labelled
        self.n_flagged += flagged
        if labelled:
            self.n_by_doc += 1
            self.top_docs.append(Share(d.doc, flagged, labelled))
            _keep(self.top_docs, _by_share, TOP_DOCS)

    def _add_records(self, t: TableFacts) -> tuple[int, int]:
        """A table's records counted per 二级指标 and label, and its vague wordings; (flagged,
        labelled) records. The records are counted per (level2, label, flagged) in a dict (a few
        dozen kinds in a table of hundreds of records; a Counter's item set costs ~1 k more, see
        per_level2), then added up per kind; walked again only in a table with a vague label."""
        flagged = labelled = 0
        kinds: dict[tuple[str, str | None, bool], int] = {}
        for i in t.indicators:
            kind = (i.level2, i.label, i.flagged)
            kinds[kind] = kinds.get(kind, 0) + 1
        for (level2, label, is_flagged), n in kinds.items():
            counts, key = self.per_level2[level2], label or "unlabelled"
            counts[key] = counts.get(key, 0) + n
            if label is not None:
                labelled += n
                if is_flagged:
                    flagged += n
        if any(label == "vague" for _, label, _ in kinds):
            seen_vague: set[int] = set()
            for i in t.indicators:
                if i.label == "vague" and i.line not in seen_vague:
                    seen_vague.add(i.line)  # both halves print the same row: one reviewer reading
                    text = norm((i.target.text if i.target is not None and i.target.text else i.value) or "")
                    if text:
                        self.vague[text] += 1
        return flagged, labelled

    def flagged_by_doc(self) -> list[Share]:
        """The TOP_DOCS documents of highest flagged share (of `n_by_doc`), highest first."""
        return sorted(self.top_docs, key=_by_share)[:TOP_DOCS]

    def lowest_documents(self) -> list[DocumentScore]:
        """The LOWEST_DOCS documents of lowest score, lowest first."""
        return sorted(self.lowest, key=_by_score)[:LOWEST_DOCS]

    def mean_score(self) -> float | None:
        """The mean table score, exact (scores have one decimal), to one decimal."""
        n = sum(self.table_scores.values())
        if not n:
            return None
        tenths = sum(round(score * 10) * k for score, k in self.table_scores.items())
        return float(round(Fraction(tenths, 10 * n), 1))

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


def score_histogram(scores: Iterable[float] | Counter, width: int = 10) -> list[tuple[str, int]]:
    """Counts per score band: "0–9", ..., "90–100" (`scores`: the scores, or a count per score)."""
    counts = scores if isinstance(scores, Counter) else Counter(scores)
    bands: Counter = Counter()
    for s, k in counts.items():
        bands[min(int(s // width), 100 // width - 1)] += k
    return [(f"{b * width}–{b * width + width - 1 if b < 100 // width - 1 else 100}", bands.get(b, 0))
            for b in range(100 // width)]
