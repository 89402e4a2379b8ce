"""The `Finding` record and the rule table it is made from (lexicons/review_rules.tsv).

A finding is one thing a reviewer would write in the margin of a 绩效目标表: a code, the review
criterion it counts against, how bad it is, a short message (Chinese / English) and the source
lines it concerns. Severity, criterion, points and wording live in the lexicon, so the rubric in
docs/review.md and the code read the same table.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import lexicon
from ..layout import fill_of, text_memo
from ..schema import Record, col, record

RULES_FILE = "review_rules.tsv"
CRITERIA_FILE = "review_criteria.tsv"
HALF_ZH = {"implementation": "实施期", "annual": "年度", "both": "实施期和年度"}
HALF_EN = {"both": "implementation and annual"}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    criterion: str
    severity: str
    points: float  # deducted per occurrence, times the finding's magnitude
    cap: float  # most this code may deduct in one table
    message_zh: str
    message_en: str

    @property
    def message(self) -> str:
        """The finding's message template: "中文 / English" (both filled by one `format`)."""
        return f"{self.message_zh} / {self.message_en}"


@record
@dataclass(slots=True)
class Finding(Record):
    code: str = col(caption="代码 code", width=30)
    severity: str = col(caption="严重度 severity", width=9)  # constants.Severity
    criterion: str = col(caption="准则 criterion", width=13)  # 完整性 / 相关性/明确性 / 适当性 / 可行性
    message: str = col(caption="说明 message", width=70, wrap=True)  # "中文 / English"
    doc: str = col(caption="文档 doc", width=16)
    table: int = col(type="int32", caption="表 table", width=6)
    lines: list[int] = col(type="list<int64>", factory=list, caption="源行 lines", width=16, wrap=True)
    period: str = ""  # the half concerned, "" when the whole table
    points: float = col(0.0, "float64", caption="扣分 points", width=7)  # the deduction asked for, before the per-code cap
    records: list[str] = col(type="list<string>", factory=list)  # ids of the indicator records concerned (Indicator.id)
    doc_hash: str | None = None


@cache
def rules() -> dict[str, Rule]:
    return {
        r["code"]: Rule(
            code=r["code"],
            criterion=r["criterion"],
            severity=r["severity"],
            points=float(r["points"]),
            cap=float(r["cap"]),
            message_zh=r["message_zh"],
            message_en=r["message_en"],
        )
        for r in lexicon.table(RULES_FILE)
    }


@cache
def criteria() -> dict[str, float]:
    """Criterion -> weight (points out of 100), in rubric order."""
    return {r["criterion"]: float(r["weight"]) for r in lexicon.table(CRITERIA_FILE)}


@cache
def criteria_en() -> dict[str, str]:
    return {r["criterion"]: r["en"] for r in lexicon.table(CRITERIA_FILE)}


def make(code: str, doc: str, table: int, lines: list[int], *, period: str = "", magnitude: float = 1.0,
         records: list[str] | None = None, doc_hash: str | None = None, **facts: Any) -> Finding:
    """A finding of `code`, its message filled from `facts` (half names filled in both languages)."""
    rule, message, points = _templates()[code]
    if "half" in facts:
        facts.setdefault("half_en", HALF_EN.get(facts["half"], facts["half"]))
        facts["half"] = HALF_ZH.get(facts["half"], facts["half"])
    if _COUNTS.issuperset(map(type, facts.values())):  # counts only (3/10个指标…): other documents' too
        text = filled(message, *facts, *facts.values())
    else:  # a row's name and value, a clause, a sum: the document's own text, filled anew
        text = message.format_map(facts)
    # the Finding's fields in order, not by keyword (keywords cost twice as much a call); one line
    # or one record (most findings) is sorted and distinct already: copied, no set or dict made
    return Finding(
        code, rule.severity, rule.criterion, text, doc, table,
        sorted(set(lines)) if len(lines) > 1 else [*lines],  # lines
        period,
        points if magnitude == 1.0 else rounded(rule.points * magnitude, 2),  # points
        (list(dict.fromkeys(records)) if len(records) > 1 else [*records]) if records else [],  # records
        doc_hash,
    )


_COUNTS = frozenset({int})  # the facts of a message `filled` keeps: counts (not bool, not float)


@text_memo(fill_of(1 << 9))
def filled(template: str, *names_then_values: Any) -> str:
    """template.format_map of the facts given as their names, then their values, in one order. A
    bounded memo of the messages filled from counts only: a table's counts repeat across
    documents, distinct ones too ("3/10个指标…": flagged-share, no-measurable-benefit; /tmp/d16
    asks 50 distinct ones of ~2,500); a format ~15 k instructions, a hit ~4 k. A row's name and
    value come back in its other half only: filled anew (a miss costs more than a format)."""
    n = len(names_then_values) // 2
    return template.format_map(dict(zip(names_then_values[:n], names_then_values[n:])))


def rounded(x: float, digits: int) -> float:
    """round(x, digits); a whole number is returned as it is: a float's round with digits goes
    through its decimal digits (~3 k instructions, ~0.5 k for this test), and most points,
    caps and criteria are whole (25.0, 3.0)."""
    return x if x.is_integer() else round(x, digits)


@cache
def _templates() -> dict[str, tuple[Rule, str, float]]:
    """Each code's rule, its message template (Rule.message) and its points at magnitude 1, made once."""
    return {code: (rule, rule.message, round(rule.points, 2)) for code, rule in rules().items()}


def merge_same(findings: list[Finding]) -> list[Finding]:
    """One finding per (code, message): the two halves of a project table usually print the same
    indicator on one source line, and a reviewer wants one remark for it, not two (it names the
    records of both halves). Within one document only: a remark never absorbs another
    document's (copies of one document each keep theirs, and a report written document by
    document merges the same)."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        key = (f.doc, f.code, f.message)
        if key in merged:
            kept = merged[key]
            kept.lines = sorted(set(kept.lines) | set(f.lines))
            kept.records = list(dict.fromkeys(kept.records + f.records))
            if kept.period != f.period:
                kept.period = ""
        else:
            merged[key] = f
    return list(merged.values())
