"""All practice findings of a scan, in one call (the rules are rows of review_rules.tsv)."""
from __future__ import annotations

from ..model import Indicator, TableBlock
from ..review.findings import Finding, merge_same
from .boilerplate import check_boilerplate
from .families import Library, builtin_library, printed_rows
from .goals import check_goals
from .peers import check_peers
from .years import check_years

CONCERNS = ("peers", "years", "boilerplate", "goals")


def practice_findings(tables: list[TableBlock], indicators: list[Indicator], library: Library | None = None,
                      concerns: tuple[str, ...] = CONCERNS) -> list[Finding]:
    """Peer, year, boilerplate and goal findings, in table order. `library` defaults to the
    built-in one (made from corpora/); pass `build_library(indicators)` to compare within a corpus."""
    found: list[Finding] = []
    if "peers" in concerns:
        found += check_peers(printed_rows(indicators), library if library is not None else builtin_library())
    if "years" in concerns:
        found += check_years(tables, indicators)
    if "boilerplate" in concerns:
        found += check_boilerplate(tables, indicators)
    if "goals" in concerns:
        found += check_goals(tables, indicators)
    order = {(t.doc, t.index): i for i, t in enumerate(tables)}
    found.sort(key=lambda f: (order.get((f.doc, f.table), len(order)), f.lines[:1]))
    return merge_same(found)
