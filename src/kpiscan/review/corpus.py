"""Review a whole scan: findings and scores of every table and document, in document order."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..model import Indicator, TableBlock
from .checks import category_verdicts, review_context, table_context
from .findings import Finding
from .score import DocumentScore, TableScore, score_document, score_table


@dataclass
class Review:
    findings: list[Finding] = field(default_factory=list)
    tables: list[TableScore] = field(default_factory=list)
    documents: list[DocumentScore] = field(default_factory=list)

    def findings_of(self, doc: str, table: int | None = None) -> list[Finding]:
        return [f for f in self.findings if f.doc == doc and (table is None or f.table == table)]

    def document(self, doc: str) -> DocumentScore | None:
        return next((d for d in self.documents if d.doc == doc), None)

    def to_frame(self, what: str = "findings") -> Any:
        """A pandas DataFrame of "findings", "tables" (table scores) or "documents" (document
        scores): the columns and types of findings.parquet, table_scores.parquet, document_scores.parquet."""
        from ..write import records_frame

        kinds: dict[str, tuple[type, list[Any]]] = {
            "findings": (Finding, self.findings), "tables": (TableScore, self.tables), "documents": (DocumentScore, self.documents),
        }
        if what not in kinds:
            raise ValueError(f"to_frame: what must be one of {', '.join(kinds)}")
        cls, records = kinds[what]
        return records_frame([r.to_dict() for r in records], cls)


def review_all(tables: list[TableBlock], indicators: list[Indicator], extra: list[Finding] | None = None) -> Review:
    """Review every table; `extra` findings (across documents: kpiscan.practice) join their
    table's own before it is scored."""
    by_table: dict[tuple[str, int], list[Indicator]] = defaultdict(list)
    for ind in indicators:
        by_table[(ind.doc, ind.table)].append(ind)
    added: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for f in extra or ():
        added[(f.doc, f.table)].append(f)
    review = Review()
    per_doc: dict[str, list[TableScore]] = defaultdict(list)
    records = [by_table.get((table.doc, table.index), []) for table in tables]  # each table's own
    contexts = [table_context(table, mine, only_its_own=True) for table, mine in zip(tables, records)]
    # the category model asked once about the distinct rows of all these tables (check_category_mismatch)
    verdicts = category_verdicts([pair for ctx in contexts for pair in ctx.asked])
    at = 0
    for ctx in contexts:  # each table's share of them
        n = len(ctx.asked)
        ctx.verdicts = verdicts[at:at + n] if verdicts is not None else []
        at += n
    contexts.reverse()
    records.reverse()
    while contexts:  # each table's rows let go once it is reviewed
        ctx = contexts.pop()
        table = ctx.table
        found = review_context(ctx) + added.get((table.doc, table.index), [])
        score = score_table(table, records.pop(), found, only_its_own=True)
        review.findings.extend(found)
        review.tables.append(score)
        per_doc[table.doc].append(score)
    review.documents = [score_document(scores) for scores in per_doc.values()]
    return review
