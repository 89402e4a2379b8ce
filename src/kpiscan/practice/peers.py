"""Peer benchmark: a target compared with the same family's targets in other documents.

The usual range is set by the peers themselves, per family and unit (families.py):

- `target-below-peers`: a rate (unit of kind ratio, "≥80%") in a family whose targets are floors
  (its most common comparator ≥, >, = or none) when at least PEER_SHARE (3 in 4) of at least
  MIN_PEERS peers set a target more than RATE_MARGIN percentage points higher (≥95% among peers
  at 100% is practice, not laxness). "≥80%: 9 of 10 peers set ≥90%" names the lowest of those
  higher targets.
- `cost-above-peers`: a unit cost (a money target per something, "≤400元/人/天", or a name with a
  unit-price word of review_words.tsv: "标准") when at least PEER_SHARE of at least MIN_PEERS peers
  cost strictly less and the target is at least COST_MARGIN times the peers' median. Totals are
  not compared: they follow the size of the project, not practice.

The peers are the library's values of the family and unit; when the library was built from a
corpus holding the document itself, the target's own value is taken out once.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from statistics import median
from typing import Sequence

from ..review.findings import Finding, make
from ..review.vocab import mentions
from .families import Library, Row

MIN_PEERS = 5
PEER_SHARE = 0.75
COST_MARGIN = 1.25
RATE_MARGIN = 5.0  # percentage points
FLOOR_OPS = {">=", ">", "=", None}


def fmt(number: float, unit: str | None) -> str:
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit or ''}"


def peer_values(row: Row, stats: dict, library: Library, fam: str) -> tuple[Sequence[float], int]:
    """(values, peers): the library's values of the family-unit (its quantile points when it
    holds more than families.MAX_VALUES), sorted, and how many targets they stand for, the row's
    own value taken out once when the library holds its document.

    The own value is found by bisection: the values are finite (a Target never holds inf or NaN),
    so sorted they are in order and the first one equal to it is where bisect_left puts it (the
    one list.remove would take); a row whose value is not there gets the library's tuple itself."""
    values = library.values_of(fam, row.unit)
    peers = int(stats["n_targets"])
    if row.doc in library.docs and row.number is not None:
        at = bisect_left(values, row.number)
        if at < len(values) and values[at] == row.number:
            values = values[:at] + values[at + 1:]
            peers -= 1
    return values, peers


def count_of(part: Sequence[float], values: Sequence[float], peers: int) -> int:
    """How many of `peers` targets `part` of the (possibly sampled) `values` stands for."""
    return len(part) if len(values) == peers else round(peers * len(part) / len(values))


def check_row(row: Row, library: Library, fam: str | None) -> Finding | None:
    """The peer finding of one printed row of library family `fam` (Library.family_of_row),
    None when it sits in the usual range."""
    if row.number is None or row.unit is None or not fam:  # peers compare a number in a unit
        return None
    stats = library.stats(fam, row.unit)
    if stats is None:
        return None
    # which rule applies, decided before the peers' values are read: on corpora/ 45% of the rows
    # with peers are neither a floor rate nor a unit cost (counts, dates), and need no values
    if row.dim == "ratio" and stats.get("op") in FLOOR_OPS and row.op in FLOOR_OPS:
        rate = True
    elif row.dim == "money" and row.level2 == "成本指标" and ("/" in row.unit or mentions(row.name, "unit_price")):
        rate = False
    else:
        return None
    values, n = peer_values(row, stats, library, fam)
    if n < MIN_PEERS or not values:
        return None
    period = row.period
    if rate:
        higher = values[bisect_right(values, row.number + RATE_MARGIN):]  # values are sorted
        if len(higher) >= PEER_SHARE * len(values):
            return make("target-below-peers", row.doc, row.table, [row.line], period=period, records=list(row.ids), name=row.name,
                        value=row.value, n=n, k=count_of(higher, values, n), op="≥", peer=fmt(min(higher), row.unit),
                        median=fmt(median(values), row.unit))
    else:
        lower = values[:bisect_left(values, row.number)]
        mid = median(values)
        if len(lower) >= PEER_SHARE * len(values) and row.number >= COST_MARGIN * mid:
            return make("cost-above-peers", row.doc, row.table, [row.line], period=period, records=list(row.ids), name=row.name,
                        value=row.value, n=n, k=count_of(lower, values, n), peer=fmt(max(lower), row.unit), median=fmt(mid, row.unit))
    return None


def check_peers(rows: list[Row], library: Library, families: list[str | None] | None = None) -> list[Finding]:
    """Peer findings of these printed rows against the library (`families`: each row's
    Library.family_of_row, when known already)."""
    if families is None:
        families = [library.family_of_row(r) if r.number is not None and r.unit is not None else None for r in rows]
    out = []
    for row, fam in zip(rows, families):
        found = check_row(row, library, fam)
        if found is not None:
            out.append(found)
    return out
