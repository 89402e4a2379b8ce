"""The closed vocabularies of the records (docs/contracts.md) and the constants every stage shares.

Closed vocabularies are `StrEnum`s: a member *is* its string ("temporal" == Label.TEMPORAL), so
records keep plain strings and JSON stays as it is. Constants that are domain data (the canonical
level2 order, the fund keys) are read from lexicons/, once.
"""
from __future__ import annotations

from enum import StrEnum
from functools import cache

from . import lexicon


class Label(StrEnum):
    """Measurability of an indicator (docs/classifier.md)."""

    QUANTITATIVE = "quantitative"
    TEMPORAL = "temporal"
    BINARY = "binary"
    VAGUE = "vague"
    MALFORMED = "malformed"


class TargetKind(StrEnum):
    """Target.kind (docs/contracts.md, Target)."""

    QUANTITY = "quantity"
    DATE = "date"
    DEADLINE = "deadline"
    FREQUENCY = "frequency"
    PERIOD = "period"
    RELATIVE = "relative"
    QUALITATIVE = "qualitative"
    EMPTY = "empty"


class Change(StrEnum):
    """Target.change: a quantity that moves against a baseline (docs/values.md)."""

    INCREASE = "increase"
    DECREASE = "decrease"


class Baseline(StrEnum):
    """Target.baseline: what a relative target or a change is measured against (lexicons/baselines.tsv)."""

    PREVIOUS_YEAR = "previous-year"
    REGIONAL_AVERAGE = "regional-average"
    NATIONAL_AVERAGE = "national-average"
    PLAN = "plan"
    STANDARD = "standard"


class Op(StrEnum):
    """Target.op: the comparator of a quantity."""

    GE = ">="
    LE = "<="
    GT = ">"
    LT = "<"
    EQ = "="
    ABOUT = "~"
    BETWEEN = "between"


class Half(StrEnum):
    """Indicator.period: which half of a table the row belongs to."""

    IMPLEMENTATION = "implementation"
    ANNUAL = "annual"


class TableKind(StrEnum):
    PROJECT = "project"
    DEPARTMENT = "department"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Grade(StrEnum):
    """The reviewers' grades of a score (优 ≥ 90, 良 80–89, 中 60–79, 差 < 60)."""

    EXCELLENT = "优"
    GOOD = "良"
    FAIR = "中"
    POOR = "差"


LABELS: tuple[str, ...] = tuple(m.value for m in Label)  # plain strings (numpy, sklearn)
FLAGGED_LABELS: frozenset[str] = frozenset({Label.VAGUE.value, Label.MALFORMED.value})
DATED_KINDS: frozenset[str] = frozenset(k.value for k in (TargetKind.DATE, TargetKind.DEADLINE, TargetKind.PERIOD, TargetKind.FREQUENCY))
HALVES: tuple[str, ...] = tuple(m.value for m in Half)  # left to right, as printed


def grade(score: float) -> Grade:
    if score >= 90:
        return Grade.EXCELLENT
    if score >= 80:
        return Grade.GOOD
    if score >= 60:
        return Grade.FAIR
    return Grade.POOR


@cache
def level2_order() -> tuple[str, ...]:
    """The canonical 二级指标, in the order of lexicons/categories.tsv."""
    return tuple(dict.fromkeys(r["level2"] for r in lexicon.table("categories.tsv") if r.get("level2")))


@cache
def fund_keys() -> tuple[str, ...]:
    """TableBlock.funds source keys ("total", "中央财政资金", ...), in report order (fund_sources.tsv)."""
    return tuple(r["key"] for r in lexicon.table("fund_sources.tsv"))


@cache
def fund_names() -> dict[str, str]:
    return {r["key"]: r["name_zh"] for r in lexicon.table("fund_sources.tsv")}
