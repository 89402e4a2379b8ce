"""Table-level review of 绩效目标表 goals: findings a reviewer would write, and a 0–100 score.

    findings = review_table(table, indicators)
    table_score = score_table(table, indicators, findings)
    doc_score = score_document([table_score, ...])
    review = review_all(scan.tables, scan.indicators)   # everything, grouped per table and doc

The rubric is docs/review.md; the rules (criterion, severity, points, wording) are
lexicons/review_rules.tsv and the criterion weights lexicons/review_criteria.tsv.
"""
from __future__ import annotations

from .checks import review_table, target_of
from .corpus import Review, review_all
from .findings import Finding, criteria, rules
from .score import Deduction, DocumentScore, TableScore, department_of, score_document, score_table

__all__ = [
    "Deduction",
    "DocumentScore",
    "Finding",
    "Review",
    "TableScore",
    "criteria",
    "department_of",
    "review_all",
    "review_table",
    "rules",
    "score_document",
    "score_table",
    "target_of",
]
