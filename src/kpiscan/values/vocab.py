"""The value grammar's vocabulary, read once from lexicons/ (data, not code).

Every word the grammar knows — comparators, units and their aliases, scale words, numerals,
cycle words, calendar words, relative years, deadline and range words, qualitative words —
comes from one TSV file, so adding a spelling never needs a code change.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kpiscan.lexicon import table


@dataclass(frozen=True, slots=True)
class CalendarWord:
    kind: str  # period / date / deadline
    period: str | None
    start: int  # first month
    end: int  # last month


@dataclass(frozen=True, slots=True)
class Vocabulary:
    comparators_before: dict[str, str]  # word -> op
    comparators_after: dict[str, str]
    units: dict[str, str]  # alias -> base unit
    unit_kinds: dict[str, str]  # base unit -> kind (ratio, money, count, time, occurrence ...)
    occurrence_units: frozenset[str]  # base units that count events (次): per one cycle, a frequency
    scales: dict[str, float]  # scale character -> factor
    numerals: dict[str, tuple[int, str]]  # character -> (value, role)
    periods: dict[str, str]  # cycle word or base unit -> day/week/month/quarter/halfyear/year
    calendar: dict[str, CalendarWord]
    relative_years: dict[str, int]
    time_words: dict[str, list[str]]  # role -> words
    month_parts: dict[str, int | None]  # 上旬 -> 10, 下旬 -> None (the month's end)
    qualitative: dict[str, str]  # printed word -> normalised text
    baseline_words: dict[str, dict[str, str]]  # role (against/baseline/level/compared) -> word -> baseline
    changes: dict[str, str]  # change word -> increase / decrease
    named_days: dict[str, tuple[int, int]]  # 国庆 -> (10, 1): named days with a fixed Gregorian date

    @property
    def scaled_units(self) -> list[str]:
        """Unit aliases that begin with a scale character (千米, 千克): they win over the scale."""
        return [a for a in self.units if a[0] in self.scales]


def _positioned(rows: tuple[dict[str, str], ...], *positions: str) -> dict[str, str]:
    return {r["word"]: r["op"] for r in rows if r["position"] in positions + ("both",)}


@cache
def vocabulary() -> Vocabulary:
    comparators = table("comparators.tsv")
    units = table("units.tsv")
    time_rows = table("time_words.tsv")
    time_words: dict[str, list[str]] = {}
    for r in time_rows:
        time_words.setdefault(r["role"], []).append(r["word"])
    unit_of = {r["alias"]: r["unit"] for r in units}
    periods = {r["word"]: r["period"] for r in table("periods.tsv")}
    # a per-unit arrives as its base unit ("个月" -> "月"): let the base unit name its period too
    periods.update({unit_of[w]: p for w, p in list(periods.items()) if w in unit_of})
    return Vocabulary(
        comparators_before=_positioned(comparators, "before"),
        comparators_after=_positioned(comparators, "after"),
        units=unit_of,
        unit_kinds={r["unit"]: r["kind"] for r in units},
        occurrence_units=frozenset(r["unit"] for r in units if r["kind"] == "occurrence"),
        scales={r["word"]: float(r["factor"]) for r in table("scales.tsv")},
        numerals={r["char"]: (int(r["value"]), r["role"]) for r in table("numerals.tsv")},
        periods=periods,
        calendar={
            r["word"]: CalendarWord(r["kind"], r["period"] or None, int(r["start"]), int(r["end"]))
            for r in table("calendar.tsv")
        },
        relative_years={r["word"]: int(r["offset"]) for r in table("relative_years.tsv")},
        time_words=time_words,
        month_parts={
            r["word"]: (int(r["value"]) if r["value"] else None) for r in time_rows if r["role"] == "part"
        },
        qualitative={r["word"]: r["text"] for r in table("qualitative.tsv")},
        baseline_words=_by_role(table("baselines.tsv")),
        changes={r["word"]: r["change"] for r in table("changes.tsv")},
        named_days={
            r["term"]: (int(r["date"][:2]), int(r["date"][3:])) for r in table("anchor_terms.tsv") if r.get("date")
        },
    )


def _by_role(rows: tuple[dict[str, str], ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {"against": {}, "baseline": {}, "level": {}, "compared": {}}
    for r in rows:
        out[r["role"]][r["word"]] = r["baseline"]
    return out
