"""The goal-quality score (0–100) of a table and of a document, from its findings.

Rubric (docs/review.md): each criterion of lexicons/review_criteria.tsv starts at its weight; every
finding deducts its points from its criterion, each code at most its cap per table; a criterion
stops at 0. A table without indicators scores 0. A document scores the mean of its tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from statistics import mean

from ..model import Indicator, TableBlock, department_of
from ..schema import Record, col, record
from .findings import Finding, criteria, rounded, rules


@record
@dataclass(slots=True)
class Deduction(Record):
    code: str
    criterion: str
    points: float  # after the cap
    count: int  # findings of this code in the table


@record
@dataclass(slots=True)
class TableScore(Record):
    doc: str = col(caption="文档 doc", width=16)
    table: int = col(type="int32", caption="表 table", width=6)
    table_line: int = col(type="int32", caption="表行 table_line", width=8)
    kind: str = col(caption="类型 kind", width=9)
    project: str = col(caption="项目 project", width=30, wrap=True)
    department: str = col(caption="主管部门 department", width=22, wrap=True)  # 主管部门 without its code
    year: int | None = col(type="int32", caption="年度 year", width=7)
    score: float = col(type="float64", caption="得分 score", width=8)
    criteria: dict[str, float] = col(type="json")  # criterion -> points kept
    deductions: list[Deduction] = col(type="json", items="Deduction", factory=list)
    n_indicators: int = col(0, "int32", caption="指标数 indicators", width=9)  # indicator records (one per row and half)
    n_flagged: int = col(0, "int32", caption="存疑数 flagged", width=8)  # flagged records
    n_findings: int = col(0, "int32", caption="发现数 findings", width=8)
    n_rows: int = col(0, "int32")  # printed indicator rows (both halves of a row: one)
    n_flagged_rows: int = col(0, "int32")  # printed rows with a flagged half
    doc_hash: str | None = None


@record
@dataclass(slots=True)
class DocumentScore(Record):
    doc: str = col(caption="文档 doc", width=28)
    score: float = col(type="float64", caption="得分 score", width=8)  # mean of the table scores
    criteria: dict[str, float] = col(type="json")  # mean points kept per criterion
    n_tables: int = col(type="int32", caption="表数 tables", width=7)
    n_indicators: int = col(type="int32", caption="指标数 indicators", width=9)
    n_flagged: int = col(type="int32", caption="存疑数 flagged", width=8)
    n_findings: int = col(type="int32", caption="发现数 findings", width=8)
    n_rows: int = col(0, "int32")  # printed indicator rows
    n_flagged_rows: int = col(0, "int32")
    doc_hash: str | None = None


def deductions(findings: list[Finding]) -> list[Deduction]:
    """Points per code after its cap, in rule order."""
    total: dict[str, float] = {}  # (plain dicts: a defaultdict's miss is a call of float or int)
    count: dict[str, int] = {}
    for f in findings:
        code = f.code
        total[code] = total.get(code, 0.0) + f.points
        count[code] = count.get(code, 0) + 1
    table = rules()
    # the codes found (a table holds a few of the ~30 rules), in rule order
    found = [code for code in total if code in table]
    if len(found) > 1:
        found.sort(key=_rule_order().__getitem__)
    return [Deduction(code, table[code].criterion, rounded(min(total[code], table[code].cap), 2), count[code])
            for code in found]


@cache
def _rule_order() -> dict[str, int]:
    """Each code's place in the rule table (lexicons/review_rules.tsv)."""
    return {code: i for i, code in enumerate(rules())}


def score_table(table: TableBlock, indicators: list[Indicator], findings: list[Finding] | None = None,
                only_its_own: bool = False) -> TableScore:
    """The table's score; `findings` default to `review_table(table, indicators)`. `indicators`
    may hold other tables' records (those linked to it by (doc, table) are read); `only_its_own`:
    the caller gives no other (review_all: its table's own)."""
    mine = indicators if only_its_own else [i for i in indicators if i.doc == table.doc and i.table == table.index]
    if findings is None:
        from .checks import review_table

        findings = review_table(table, mine)
    cut = deductions(findings)
    weights = criteria()
    kept = dict(weights)
    for d in cut:
        kept[d.criterion] = max(0.0, kept[d.criterion] - d.points)
    if "no-indicators" in [d.code for d in cut]:
        kept = {c: 0.0 for c in weights}  # nothing to judge on any criterion
    kept = {c: rounded(v, 1) for c, v in kept.items()}
    flagged = [i for i in mine if i.flagged]
    # the TableScore's fields in order, not by keyword (16 keywords cost twice as much a call)
    return TableScore(
        table.doc, table.index, table.line, table.kind, table.project, department_of(table), table.year,
        rounded(sum(kept.values()), 1),  # score
        kept,  # criteria
        cut,  # deductions
        len(mine),  # n_indicators
        len(flagged),  # n_flagged
        len(findings),  # n_findings
        len({i.line for i in mine}),  # n_rows
        len({i.line for i in flagged}),  # n_flagged_rows
        table.doc_hash,
    )


def score_document(scores: list[TableScore]) -> DocumentScore:
    """The document's score: the plain mean of its tables' (each table is one review)."""
    if not scores:
        raise ValueError("score_document needs the scores of at least one table")
    docs = {s.doc for s in scores}
    if len(docs) != 1:
        raise ValueError(f"score_document got tables of several documents: {sorted(docs)}")
    return DocumentScore(
        doc=scores[0].doc,
        score=rounded(mean(s.score for s in scores), 1),
        criteria={c: rounded(mean(s.criteria[c] for s in scores), 1) for c in criteria()},
        n_tables=len(scores),
        n_indicators=sum(s.n_indicators for s in scores),
        n_flagged=sum(s.n_flagged for s in scores),
        n_findings=sum(s.n_findings for s in scores),
        n_rows=sum(s.n_rows for s in scores),
        n_flagged_rows=sum(s.n_flagged_rows for s in scores),
        doc_hash=scores[0].doc_hash,
    )
