"""What the reports show, computed once from a scan and its review: per-line finding codes,
per-document and per-department flagged shares, label counts per level2, vague terms.

The xlsx and HTML writers only lay these out.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..constants import LABELS as LABELS  # re-exported for the writers
from ..constants import level2_order
from ..layout import norm
from ..model import Indicator, TableBlock
from ..review import Finding, Review, department_of

LEVEL2_ORDER = level2_order()


@dataclass
class Share:
    key: str
    flagged: int
    total: int

    @property
    def share(self) -> float:
        return self.flagged / self.total if self.total else 0.0


@dataclass
class Facts:
    tables: list[TableBlock]
    indicators: list[Indicator]
    review: Review
    # record id -> codes of the findings about that record (findings point at record ids, so a
    # finding on one half's indicator never lands on the other half's on the same line)
    codes_at: dict[str, list[str]] = field(default_factory=dict)

    @property
    def docs(self) -> list[str]:
        return list(dict.fromkeys(t.doc for t in self.tables))

    def tables_of(self, doc: str) -> list[TableBlock]:
        return [t for t in self.tables if t.doc == doc]

    def indicators_of(self, doc: str, table: int | None = None) -> list[Indicator]:
        return [i for i in self.indicators if i.doc == doc and (table is None or i.table == table)]

    def line_codes(self, ind: Indicator) -> list[str]:
        """Codes of the findings about this indicator record."""
        return self.codes_at.get(ind.id or "", [])


def gather(tables: list[TableBlock], indicators: list[Indicator], review: Review) -> Facts:
    facts = Facts(tables=tables, indicators=indicators, review=review)
    codes: dict[str, list[str]] = defaultdict(list)
    for f in review.findings:
        if f.code in ("flagged-share",):
            continue  # names every flagged row; the row's own label says it better
        for record in f.records:
            if f.code not in codes[record]:
                codes[record].append(f.code)
    facts.codes_at = dict(codes)
    return facts


def labelled(indicators: list[Indicator]) -> bool:
    return any(i.label is not None for i in indicators)


def flagged_share_by(indicators: list[Indicator], key) -> list[Share]:
    """Flagged / labelled indicators per key(indicator), largest share first."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i in indicators:
        if i.label is None:
            continue
        c = counts[key(i)]
        c[0] += int(i.flagged)
        c[1] += 1
    shares = [Share(k, f, t) for k, (f, t) in counts.items()]
    return sorted(shares, key=lambda s: (-s.share, s.key))


def department_by_table(tables: list[TableBlock]) -> dict[tuple[str, int], str]:
    return {(t.doc, t.index): department_of(t) or "(未注明)" for t in tables}


def labels_per_level2(indicators: list[Indicator]) -> list[tuple[str, dict[str, int]]]:
    """(level2, {label: count}) in the canonical level2 order; unlabelled rows count as "unlabelled"."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for i in indicators:
        counts[i.level2][i.label or "unlabelled"] += 1
    order = [l2 for l2 in LEVEL2_ORDER if l2 in counts] + sorted(set(counts) - set(LEVEL2_ORDER))
    return [(l2, dict(counts[l2])) for l2 in order]


def vague_terms(indicators: list[Indicator], top: int = 15) -> list[tuple[str, int]]:
    """The most common wording of vague targets: the normalised qualitative text of each vague
    indicator (its Target.text, else its value), counted once per source line and table."""
    seen: set[tuple[str, int, int]] = set()
    counts: Counter = Counter()
    for i in indicators:
        if i.label != "vague":
            continue
        key = (i.doc, i.table, i.line)
        if key in seen:
            continue  # both halves print the same row: one reviewer reading
        seen.add(key)
        text = (i.target.text if i.target is not None and i.target.text else i.value) or ""
        text = norm(text)
        if text:
            counts[text] += 1
    return counts.most_common(top)


def finding_counts(findings: list[Finding]) -> list[tuple[str, int]]:
    return Counter(f.code for f in findings).most_common()


def score_histogram(scores: list[float], width: int = 10) -> list[tuple[str, int]]:
    """Counts per score band: "0–9", ..., "90–100"."""
    bands = Counter(min(int(s // width), 100 // width - 1) for s in scores)
    return [(f"{b * width}–{b * width + width - 1 if b < 100 // width - 1 else 100}", bands.get(b, 0))
            for b in range(100 // width)]
