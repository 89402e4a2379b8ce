"""Practice findings of a corpus read one document at a time (`kpiscan report` at scale): the
same findings as `practice_findings(all tables, all indicators, library)`, without holding the
corpus's records.

    corpus = PracticeCorpus(library=None)       # None: the scan's own library, as library_for
    for part in parts: corpus.add(tables, indicators, at=offset)     # pass 1, per document
    corpus.finish()                                                  # library, links, groups
    for part in parts: corpus.findings(tables, indicators, load)     # pass 2, per document

What pass 1 keeps (and so what grows with the corpus):
- the library builder's aggregates (families.LibraryBuilder): per distinct (二级指标, name key)
  counts, and the numbers of its targets (8 bytes per target) for the quantiles;
- per project table with a budget year (years.link_projects needs every one to link consecutive
  years): a `TableKey` (doc, index, line, project, year, department, annual funds, its indicator
  set interned (identical sets are one object), the offset of its part): about 0.3 KiB a table;
- per boilerplate group (department, year, indicator set): how many project tables carry it and
  the first MAX_NAMED + 1 of them (what the message names).
The document names of the library (`Library.docs`, for peer values) are the other per-document
entry. Never an indicator record, a row or a table body.

Pass 2 computes a document's peer, boilerplate and goal findings from its own records and the
aggregates; its year findings need the linked earlier table's rows, read back with `load(at)`
(the part holding it, from the report's spool on disk).
"""
from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from ..model import Indicator, TableBlock, department_of
from ..review.findings import Finding, make, merge_same
from .boilerplate import MAX_NAMED, MIN_INDICATORS, MIN_PROJECTS
from .families import Library, LibraryBuilder, builtin_library, printed_rows, rows_by_table, table_sets
from .goals import check_goals
from .peers import check_peers
from .report import MIN_DOCS
from .years import LINK_SCORE, Link, _assign, annual_funds, check_years


@dataclass(frozen=True, slots=True)
class TableKey:
    """What the cross-document checks keep of one project table."""

    doc: str
    index: int
    line: int
    project: str
    year: int | None
    department: str
    funds: float | None  # years.annual_funds
    items: frozenset  # its indicator set (families.indicator_sets), interned
    at: Any = None  # where its part is (for `load`)


def _intern(text: str) -> str:
    return sys.intern(text) if type(text) is str else text


class PracticeCorpus:
    def __init__(self, library: Library | None = None) -> None:
        self.given = library
        self.builder = LibraryBuilder() if library is None else None
        self.docs: set[str] = set()  # documents with indicators, up to MIN_DOCS (library_for: the scan's own from there)
        self.sets: dict[frozenset, frozenset] = {}  # interned indicator sets
        self.by_dept: dict[str, dict[int, list[TableKey]]] = defaultdict(lambda: defaultdict(list))
        self.groups: dict[tuple, list] = {}  # (department, year, set) -> [count, first MAX_NAMED + 1 (doc, index, project)]
        self.library: Library | None = None
        self.links_to: dict[tuple[str, int], list[tuple[int, Link, TableKey]]] = {}
        self.families: set[str] = set()  # the library families of the rows seen by `findings`

    # ------------------------------------------------------------------ pass 1

    def _sets(self, rows_by: dict[tuple[str, int], list]) -> dict[tuple[str, int], frozenset]:
        """families.indicator_sets of these rows by table (rows_by_table), interned."""
        intern = self.sets.setdefault
        return {k: intern(f, f) for k, f in table_sets(rows_by).items()}

    def add(self, tables: list[TableBlock], indicators: list[Indicator], at: Any = None) -> None:
        """Pass 1: one or more whole documents."""
        rows = printed_rows(indicators)
        if self.builder is not None:
            self.builder.add(rows)
        if len(self.docs) < MIN_DOCS:
            self.docs.update(i.doc for i in indicators)
        sets = self._sets(rows_by_table(indicators, rows))
        for t in tables:
            if t.kind != "project":
                continue
            s = sets.get((t.doc, t.index), frozenset())
            dept = _intern(department_of(t))
            if len(s) >= MIN_INDICATORS:
                group = self.groups.setdefault((dept, t.year, s), [0, []])
                group[0] += 1
                if len(group[1]) <= MAX_NAMED:
                    group[1].append((t.doc, t.index, t.project))
            if t.year and t.project.strip():
                key = TableKey(_intern(t.doc), t.index, t.line, _intern(t.project), t.year, dept, annual_funds(t), s, at)
                self.by_dept[dept][t.year].append(key)

    def finish(self) -> Library:
        """After pass 1: the library (the given one, else the scan's own when it holds at least
        MIN_DOCS documents, else the built-in one) and the links between consecutive years."""
        if self.given is not None:
            self.library = self.given
        elif len(self.docs) >= MIN_DOCS and self.builder is not None:
            self.library = self.builder.library()
        else:
            self.library = builtin_library()
        self.builder = None
        n = 0
        for dept, years in sorted(self.by_dept.items()):  # years.link_projects, over the keys
            ordered = sorted(years)
            for y0, y1 in zip(ordered, ordered[1:]):
                before, after = years[y0], years[y1]
                sets = {(k.doc, k.index): k.items for k in (*before, *after)}
                for i, j, score in _assign(before, after, LINK_SCORE, sets):  # type: ignore[arg-type]  # duck: doc, index, project
                    b, a = before[i], after[j]
                    if not b.funds or not a.funds:
                        continue  # check_years compares nothing without both years' funds
                    link = Link(dept, b.doc, b.index, b.project, y0, a.doc, a.index, a.project, y1, round(score, 3))
                    self.links_to.setdefault((a.doc, a.index), []).append((n, link, b))
                    n += 1
        self.by_dept.clear()
        return self.library

    # ------------------------------------------------------------------ pass 2

    def _boilerplate(self, t: TableBlock, s: frozenset) -> Finding | None:
        """boilerplate.check_boilerplate's finding on table `t` (from the group's count and first members)."""
        if t.kind != "project" or len(s) < MIN_INDICATORS:
            return None
        count, first = self.groups.get((department_of(t), t.year, s), (0, []))
        if count < MIN_PROJECTS:
            return None
        others = [p for d, i, p in first if (d, i) != (t.doc, t.index)][:MAX_NAMED]
        named = "、".join(others) + ("…" if count - 1 > MAX_NAMED else "")
        return make("boilerplate-indicators", t.doc, t.index, [t.line], count=count, size=len(s), others=named)

    def findings(self, tables: list[TableBlock], indicators: list[Indicator],
                 load: Callable[[Any], Any] | None = None, goals: dict | None = None) -> list[Finding]:
        """Pass 2: the practice findings of these whole documents, as practice_findings over the
        corpus gives them for these tables. `load(at)`: the ScanResult of the part at `at` (an
        earlier year's table); needed only when a table here is linked to one elsewhere. `goals`:
        receives each table's matched goal clauses (goals.check_goals' `clauses_of`)."""
        if self.library is None:
            raise RuntimeError("PracticeCorpus.findings before finish()")
        rows = printed_rows(indicators)
        lib = self.library
        fams = list(map(lib.family_of_row, rows))
        self.families.update(filter(None, fams))  # (rows of no family: None)
        found: list[Finding] = check_peers(rows, lib, fams)
        found += self._years(tables, indicators, load)
        rows_by = rows_by_table(indicators, rows)
        sets = self._sets(rows_by)
        for t in tables:
            f = self._boilerplate(t, sets.get((t.doc, t.index), frozenset()))
            if f is not None:
                found.append(f)
        found += check_goals(tables, indicators, goals, rows_by)
        order = {(t.doc, t.index): i for i, t in enumerate(tables)}
        found.sort(key=lambda f: (order.get((f.doc, f.table), len(order)), f.lines[:1]))
        return merge_same(found)

    def _years(self, tables: list[TableBlock], indicators: list[Indicator], load) -> list[Finding]:
        links = sorted((x for t in tables for x in self.links_to.pop((t.doc, t.index), ())), key=lambda x: x[0])
        if not links:
            return []
        here = {t.doc for t in tables}
        before_tables: list[TableBlock] = []
        before_inds: list[Indicator] = []
        loaded: set[Any] = set()
        for _, link, b in links:
            if b.doc in here or b.at in loaded:
                continue
            if load is None:
                raise ValueError(f"{link.doc}: linked to {b.doc}, which is not here and cannot be loaded")
            loaded.add(b.at)
            part = load(b.at)
            before_tables += part.tables
            before_inds += part.indicators
        return check_years(before_tables + list(tables), before_inds + list(indicators), [x[1] for x in links])

