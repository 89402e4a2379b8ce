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

from statistics import median

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


def peer_values(row: Row, stats: dict, library: Library) -> tuple[list[float], int]:
    """(values, peers): the library's values of the family-unit (its quantile points when it
    holds more than families.MAX_VALUES) and how many targets they stand for, the row's own
    value taken out once when the library holds its document."""
    values = [float(v) for v in stats["values"]]
    peers = int(stats["n_targets"])
    if row.doc in library.docs and row.number in values:
        values.remove(row.number)
        peers -= 1
    return values, peers


def count_of(part: list[float], values: list[float], peers: int) -> int:
    """How many of `peers` targets `part` of the (possibly sampled) `values` stands for."""
    return len(part) if len(values) == peers else round(peers * len(part) / len(values))


def check_row(row: Row, library: Library) -> Finding | None:
    """The peer finding of one printed row, None when it sits in the usual range."""
    if row.number is None or row.unit is None:
        return None
    fam = library.family_of(row.level2, row.name, row.dim)
    stats = library.stats(fam, row.unit) if fam else None
    if stats is None:
        return None
    values, n = peer_values(row, stats, library)
    if n < MIN_PEERS or not values:
        return None
    period = row.period
    if row.dim == "ratio" and stats.get("op") in FLOOR_OPS and row.op in FLOOR_OPS:
        higher = [v for v in values if v > row.number + RATE_MARGIN]
        if len(higher) >= PEER_SHARE * len(values):
            return make("target-below-peers", row.doc, row.table, [row.line], period=period, records=list(row.ids), name=row.name,
                        value=row.value, n=n, k=count_of(higher, values, n), op="≥", peer=fmt(min(higher), row.unit),
                        median=fmt(median(values), row.unit))
    elif row.dim == "money" and row.level2 == "成本指标" and ("/" in row.unit or mentions(row.name, "unit_price")):
        lower = [v for v in values if v < row.number]
        mid = median(values)
        if len(lower) >= PEER_SHARE * len(values) and row.number >= COST_MARGIN * mid:
            return make("cost-above-peers", row.doc, row.table, [row.line], period=period, records=list(row.ids), name=row.name,
                        value=row.value, n=n, k=count_of(lower, values, n), peer=fmt(max(lower), row.unit), median=fmt(mid, row.unit))
    return None


def check_peers(rows: list[Row], library: Library) -> list[Finding]:
    """Peer findings of these printed rows against the library."""
    out = []
    for row in rows:
        found = check_row(row, library)
        if found is not None:
            out.append(found)
    return out
