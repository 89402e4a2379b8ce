"""Boilerplate indicator sets: several projects of one department carrying the same indicators.

A project's indicator set is the set of (二级指标, normalised name) of its printed rows. When at least
MIN_PROJECTS project tables of one department (主管部门) and budget year carry the same set of at
least MIN_INDICATORS indicators, each of them gets `boilerplate-indicators`: its indicators were
copied, not written for what the project buys.
"""
from __future__ import annotations

from collections import defaultdict

from ..model import Indicator, TableBlock
from ..review.findings import Finding, make
from ..review.score import department_of
from .families import indicator_sets

MIN_PROJECTS = 3
MIN_INDICATORS = 4
MAX_NAMED = 3  # other projects named in the message


def check_boilerplate(tables: list[TableBlock], indicators: list[Indicator]) -> list[Finding]:
    sets = indicator_sets(indicators)
    groups: dict[tuple, list[TableBlock]] = defaultdict(list)
    for t in tables:
        s = sets.get((t.doc, t.index), frozenset())
        if t.kind == "project" and len(s) >= MIN_INDICATORS:
            groups[(department_of(t), t.year, s)].append(t)
    out = []
    for (_, _, s), members in groups.items():
        if len(members) < MIN_PROJECTS:
            continue
        for t in members:
            others = [m.project for m in members if m is not t]
            named = "、".join(others[:MAX_NAMED]) + ("…" if len(others) > MAX_NAMED else "")
            out.append(make("boilerplate-indicators", t.doc, t.index, [t.line], count=len(members), size=len(s),
                            others=named))
    return out
