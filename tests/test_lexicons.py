"""Lint of every TSV lexicon in src/kpiscan/lexicons (issue 8): a header, the required columns,
unique keys, and values from the closed lists where a column is enumerated.

Each known file has a spec below (key columns, required columns, allowed values or a pattern per
column). A file without a spec still gets the generic checks (header, no empty first cell, no
repeated row), so a lexicon another part adds is linted from the start.
"""
from __future__ import annotations

import csv
import re

import pytest

from kpiscan.constants import Baseline, Change
from kpiscan.lexicon import lexicon_dir

LEVEL2 = {"数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标",
          "服务对象满意度指标"}
LEVEL1 = {"产出指标", "效益指标", "满意度指标", "成本指标"}
STRENGTH = {"1", "2", "3"}
PERIODS = {"day", "week", "month", "quarter", "halfyear", "year"}
BASELINES = {b.value for b in Baseline}
INTEGER = re.compile(r"-?\d+")
NUMBER = re.compile(r"\d+(\.\d+)?")
MONTH = re.compile(r"(1[0-2]|[1-9])")
EMPTY = re.compile(r"")


def criteria() -> set[str]:
    return {r["criterion"] for _, r in read("review_criteria.tsv")[1]}


# file -> (key columns, {column: allowed values (a set) or a full-match pattern, or None: required only})
SPECS: dict[str, tuple[tuple[str, ...], dict]] = {
    "ocr_confusions.tsv": (("read", "meant"), {"read": re.compile(r"."), "meant": re.compile(r"."), "example": None}),
    "anchor_terms.tsv": (("term",), {"term": None, "kind": {"festival", "anniversary", "season"},
                                      "date": re.compile(r"|(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")}),
    "baselines.tsv": (("word", "role"), {"word": None, "role": {"against", "baseline", "level", "compared"},
                                         "baseline": BASELINES | {""}}),
    "binary_terms.tsv": (("term",), {"term": None, "strength": STRENGTH, "match": {"part", "whole"},
                                     "kind": {"completion", "compliance", "no-fault", "outcome", "pass", "scope",
                                              "state", "sustain", "yesno"}}),
    "calendar.tsv": (("word",), {"word": None, "kind": {"period", "date", "deadline"},
                                 "period": PERIODS | {""}, "start": MONTH, "end": MONTH}),
    "categories.tsv": (("variant",), {"variant": None, "level2": LEVEL2, "level1": LEVEL1}),
    "changes.tsv": (("word",), {"word": None, "change": {c.value for c in Change}}),
    "comparators.tsv": (("word",), {"word": None, "op": {">=", "<=", ">", "<", "=", "~"},
                                    "position": {"before", "after", "both"}}),
    "header_fields.tsv": (("caption",), {"caption": None, "key": None}),
    "level1.tsv": (("variant",), {"variant": None, "level1": LEVEL1}),
    "level2_cues.tsv": (("level2", "field", "cue"), {"level2": LEVEL2, "field": {"name", "value"}, "cue": None,
                                                     "weight": STRENGTH}),
    "name_cues.tsv": (("cue",), {"cue": None, "where": {"any", "end"},
                                 "kind": {"cost", "count", "impact", "rate", "satisfaction", "state", "time",
                                          "timeliness"}}),
    "numerals.tsv": (("char",), {"char": re.compile(r"."), "value": INTEGER, "role": {"digit", "unit", "section"}}),
    "periods.tsv": (("word",), {"word": None, "period": PERIODS}),
    "qualitative.tsv": (("word",), {"word": None, "text": None}),
    "relative_years.tsv": (("word",), {"word": None, "offset": INTEGER}),
    "review_criteria.tsv": (("criterion",), {"criterion": None, "weight": NUMBER, "en": None}),
    "review_rules.tsv": (("code",), {"code": re.compile(r"[a-z0-9-]+"), "criterion": "criteria",
                                     "severity": {"error", "warning", "info"}, "points": NUMBER, "cap": NUMBER,
                                     "message_zh": None, "message_en": None}),
    "review_words.tsv": (("word", "role"), {"word": None, "role": {"growth", "input", "total_cost", "unit_price"}}),
    "scales.tsv": (("word",), {"word": re.compile(r"."), "factor": NUMBER}),
    "table_layout.tsv": (("role", "text"), {"role": {"column_header", "footer", "half", "title_department",
                                                     "title_project", "title_suffix", "watermark"}, "text": None}),
    "directions.tsv": (("word",), {"word": None, "direction": {"positive", "negative", "qualitative"}}),
    "fund_sources.tsv": (("key",), {"key": None, "name_zh": None}),
    "time_words.tsv": (("word", "role"), {"word": None, "role": {"every", "by", "end", "part", "to", "average"},
                                          "value": re.compile(r"|\d+")}),
    "units.tsv": (("alias",), {"alias": None, "unit": None,
                               "kind": {"ratio", "score", "money", "count", "area", "length", "volume", "mass",
                                        "energy", "time", "occurrence"}}),
    "vague_terms.tsv": (("term",), {"term": None, "strength": STRENGTH, "match": {"part", "whole"},
                                    "kind": {"direction", "duty", "hedge", "praise", "showcase", "timeliness"}}),
}


def read(name: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """(header, [(line number, row)]) of a lexicon, comments and blank lines skipped, cells as written."""
    lines = [(n, line) for n, line in enumerate((lexicon_dir() / name).read_text(encoding="utf-8").splitlines(), 1)
             if line.strip() and not line.startswith("#")]
    header = lines[0][1].split("\t")
    rows = []
    for n, line in lines[1:]:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        rows.append((n, dict(zip(header, cells + [""] * (len(header) - len(cells))))))
        assert len(cells) <= len(header), f"{name}:{n}: {len(cells)} cells for {len(header)} columns"
    return header, rows


ALL = sorted(str(p.relative_to(lexicon_dir())) for p in lexicon_dir().rglob("*.tsv"))  # templates/ too


@pytest.mark.parametrize("name", ALL)
def test_generic(name):
    header, rows = read(name)
    assert header and all(header), f"{name}: header {header}"
    assert rows, f"{name}: no rows"
    seen: dict[tuple[str, ...], int] = {}
    for n, row in rows:
        first = row[header[0]]
        assert first == first.strip() and first, f"{name}:{n}: empty or padded first cell {first!r}"
        whole = tuple(row.values())
        assert whole not in seen, f"{name}:{n}: repeats line {seen[whole]}"
        seen[whole] = n


@pytest.mark.parametrize("name", sorted(SPECS))
def test_spec(name):
    keys, columns = SPECS[name]
    header, rows = read(name)
    missing = [c for c in columns if c not in header]
    assert not missing, f"{name}: missing columns {missing}"
    seen: dict[tuple[str, ...], int] = {}
    for n, row in rows:
        key = tuple(row[k] for k in keys)
        assert key not in seen, f"{name}:{n}: key {key} repeats line {seen[key]}"
        seen[key] = n
        for column, allowed in columns.items():
            cell = row[column]
            if allowed is None:
                assert cell, f"{name}:{n}: {column} is empty"
            elif allowed == "criteria":
                assert cell in criteria(), f"{name}:{n}: {column} {cell!r} not in review_criteria.tsv"
            elif isinstance(allowed, set):
                assert cell in allowed, f"{name}:{n}: {column} {cell!r} not one of {sorted(allowed)}"
            else:
                assert allowed.fullmatch(cell), f"{name}:{n}: {column} {cell!r} does not match {allowed.pattern}"


def test_every_known_lexicon_exists():
    assert set(SPECS) <= set(ALL)


def test_units_name_their_base_unit():
    """Every base unit is also an alias of itself, so a per-unit printed as the base reads back."""
    _, rows = read("units.tsv")
    aliases = {row["alias"]: row["unit"] for _, row in rows}
    for n, row in rows:
        assert aliases.get(row["unit"], row["unit"]) == row["unit"], f"units.tsv:{n}: base {row['unit']!r}"


def test_baseline_rows_name_a_baseline_and_others_do_not():
    _, rows = read("baselines.tsv")
    for n, row in rows:
        assert (row["role"] == "baseline") == bool(row["baseline"]), f"baselines.tsv:{n}"
