"""Projects followed across budget years: link, compare, and two findings.

`link_projects` pairs the project tables of one department (主管部门, `review.department_of`) in one
budget year with those of the next year the corpus holds for it. The link score is the cosine of
char 1-2 gram TF-IDF vectors of the two project names after `normalise_name` (years, numbering
and brackets gone: "2024年省级文化产业发展专项资金" ~ "2025年省级文化产业发展专项资金" is 1.0) times
NAME_WEIGHT, plus the rest times the overlap of their indicator sets (which tells apart two
projects of one name, "北石店污水处理厂运营费" printed three times); the
pairs are the one-to-one assignment of highest total score (scipy's linear_sum_assignment), kept
when the score is at least LINK_SCORE.

`project_moves` lines up the indicators of a linked pair by category and normalised name and says
how each target moved (same / raised / lowered / changed / added / dropped).

Findings on the later table:
- `targets-copied-forward`: at least COPIED_SHARE of at least MIN_MATCHED matched targets printed
  identically while the annual funds (年度资金总额) changed by more than FUNDS_SHARE either way.
- `target-lowered`: a rate or count target (unit of kind ratio or count, a floor: ≥, >, = or
  none) set lower than the year before while the annual funds rose.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from ..layout import norm
from ..model import Indicator, TableBlock
from ..review.findings import Finding, make
from ..review.score import department_of
from .families import Row, cosines, indicator_sets, normalise_name, rows_by_table, vectoriser

LINK_SCORE = 0.5
NAME_WEIGHT = 0.85  # the rest of the score: Jaccard overlap of the two indicator sets
FUNDS_SHARE = 0.2
COPIED_SHARE = 0.8
MIN_MATCHED = 3
FLOOR_OPS = {">=", ">", "=", None}
COMPARED_DIMS = {"ratio", "count"}


@dataclass(slots=True)
class Link:
    department: str
    doc_before: str
    table_before: int
    project_before: str
    year_before: int
    doc: str
    table: int
    project: str
    year: int
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


def annual_funds(table: TableBlock) -> float | None:
    for half in ("annual", "implementation"):
        total = table.funds.get(half, {}).get("total")
        if total:
            return total
    return None


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _assign(before: list[TableBlock], after: list[TableBlock], min_score: float,
            sets: dict[tuple[str, int], frozenset]) -> list[tuple[int, int, float]]:
    from scipy.optimize import linear_sum_assignment

    names_b = [normalise_name(t.project) for t in before]
    names_a = [normalise_name(t.project) for t in after]
    vec = vectoriser()
    matrix = vec.fit_transform(names_b + names_a)
    sims = cosines(matrix.rows(0, len(names_b)), matrix.rows(len(names_b), matrix.shape[0])).toarray() * NAME_WEIGHT
    for i, b in enumerate(before):
        for j, a in enumerate(after):
            if sims[i, j] >= min_score - (1 - NAME_WEIGHT):
                sims[i, j] += (1 - NAME_WEIGHT) * _jaccard(sets.get((b.doc, b.index), frozenset()),
                                                           sets.get((a.doc, a.index), frozenset()))
    rows, cols = linear_sum_assignment(-sims)
    return [(i, j, float(sims[i, j])) for i, j in zip(rows, cols) if sims[i, j] >= min_score]


def link_projects(tables: list[TableBlock], indicators: Iterable[Indicator] = (), min_score: float = LINK_SCORE) -> list[Link]:
    """Links between the project tables of each department in consecutive budget years."""
    frozen = indicator_sets(indicators)
    by_dept: dict[str, dict[int, list[TableBlock]]] = defaultdict(lambda: defaultdict(list))
    for t in tables:
        if t.kind == "project" and t.year and t.project.strip():
            by_dept[department_of(t)][t.year].append(t)
    links = []
    for dept, years in sorted(by_dept.items()):
        ordered = sorted(years)
        for y0, y1 in zip(ordered, ordered[1:]):
            before, after = years[y0], years[y1]
            for i, j, score in _assign(before, after, min_score, frozen):
                b, a = before[i], after[j]
                links.append(Link(dept, b.doc, b.index, b.project, y0, a.doc, a.index, a.project, y1, round(score, 3)))
    return links


@dataclass(slots=True)
class Move:
    link: Link
    level2: str
    name: str
    value_before: str | None
    value: str | None
    change: str  # same / raised / lowered / changed / added / dropped
    line: int | None
    row_before: Row | None = None
    row: Row | None = None

    def to_dict(self) -> dict:
        return {
            "department": self.link.department, "project_before": self.link.project_before,
            "year_before": self.link.year_before, "project": self.link.project, "year": self.link.year,
            "doc": self.link.doc, "table": self.link.table, "level2": self.level2, "name": self.name,
            "value_before": self.value_before, "value": self.value, "change": self.change, "line": self.line,
        }


def _change(b: Row, a: Row) -> str:
    if norm(b.value) == norm(a.value):
        return "same"
    if b.number is not None and a.number is not None and b.unit == a.unit:
        if a.number > b.number:
            return "raised"
        if a.number < b.number:
            return "lowered"
        return "same"
    return "changed"


def project_moves(link: Link, rows_by_table: dict[tuple[str, int], list[Row]]) -> list[Move]:
    """How each indicator of the linked pair moved, matched by category and normalised name."""
    def keyed(rows):
        return {(r.level2, r.normalised): r for r in rows}

    before = keyed(rows_by_table.get((link.doc_before, link.table_before), []))
    after = keyed(rows_by_table.get((link.doc, link.table), []))
    moves = []
    for key, a in after.items():
        b = before.get(key)
        if b is None:
            moves.append(Move(link, a.level2, a.name, None, a.value, "added", a.line, None, a))
        else:
            moves.append(Move(link, a.level2, a.name, b.value, a.value, _change(b, a), a.line, b, a))
    for key, b in before.items():
        if key not in after:
            moves.append(Move(link, b.level2, b.name, b.value, None, "dropped", None, b, None))
    return moves


def _pct(before: float, now: float) -> str:
    return f"{(now - before) / before:+.0%}"


def check_years(tables: list[TableBlock], indicators: list[Indicator], links: list[Link] | None = None) -> list[Finding]:
    """`targets-copied-forward` and `target-lowered` over every linked pair."""
    links = link_projects(tables, indicators) if links is None else links
    if not links:
        return []
    linked = {end for link in links for end in ((link.doc_before, link.table_before), (link.doc, link.table))}
    rows_by = rows_by_table(i for i in indicators if (i.doc, i.table) in linked)  # the printed rows of linked tables only
    by_key = {(t.doc, t.index): t for t in tables}
    out = []
    for link in links:
        fb = annual_funds(by_key[(link.doc_before, link.table_before)])
        fa = annual_funds(by_key[(link.doc, link.table)])
        if not fb or not fa:
            continue
        moves = project_moves(link, rows_by)
        matched = [m for m in moves if m.change not in ("added", "dropped")]
        same = [m for m in matched if m.change == "same"]
        facts: dict[str, Any] = dict(year_before=link.year_before, project_before=link.project_before,
                     funds_before=f"{fb:,.0f}", funds_now=f"{fa:,.0f}", change=_pct(fb, fa))
        if (len(matched) >= MIN_MATCHED and len(same) >= COPIED_SHARE * len(matched)
                and abs(fa - fb) > FUNDS_SHARE * fb):
            out.append(make("targets-copied-forward", link.doc, link.table, [m.line for m in same if m.line],
                            records=[i for m in same if m.row for i in m.row.ids],
                            same=len(same), matched=len(matched), **facts))
        if fa > fb:
            for m in matched:
                a, b = m.row, m.row_before
                if a is None or b is None:
                    continue
                if m.change == "lowered" and a.dim in COMPARED_DIMS and a.op in FLOOR_OPS and b.op in FLOOR_OPS:
                    out.append(make("target-lowered", link.doc, link.table, [a.line], period=a.period, records=list(a.ids), name=a.name,
                                    value=a.value, value_before=b.value, **facts))
    return out
