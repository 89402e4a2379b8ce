"""Indicator practice across documents: families and their target ranges, peer benchmarks,
projects followed over the years, boilerplate indicator sets and goals matched to indicators.

    lib = build_library(scan.indicators)                 # families.py: one row per family and unit
    found = practice_findings(scan.tables, scan.indicators, lib)   # all practice findings

Every function is pure over the pipeline's records (TableBlock, Indicator); the findings are
`kpiscan.review.Finding`s whose rules are rows of lexicons/review_rules.tsv.
"""
from __future__ import annotations

from .families import Library, assign_families, build_library, builtin_library, family_key, normalise_name
from .findings import practice_findings

__all__ = [
    "Library",
    "assign_families",
    "build_library",
    "builtin_library",
    "family_key",
    "normalise_name",
    "practice_findings",
]
