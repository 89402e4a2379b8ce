"""Table-driven tests of kpiscan.values.parse_value over tests/specs/values.tsv (docs/contracts.md (Target), docs/values.md).

One row per printed value, with every field of the Target it must give (an empty cell is None);
the file's header says how it is written. Rows come from the development gold (source "gold"),
from the forms docs/values.md names ("hand"), from issue 12's forms and from real rows of other
regions' tables (their source cited in the row).
"""
from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
import regex

from kpiscan.model import Target
from kpiscan.values import describe, parse_strict, parse_value
from kpiscan.values.describe import number_text

SPEC = Path(__file__).with_name("specs") / "values.tsv"
NUMBERS = ("value", "low", "high")
FIELDS = ("kind", "op", "value", "low", "high", "unit", "per", "date", "period", "text", "change", "baseline",
          "others")
_ESCAPE = regex.compile(r"\\(u[0-9a-fA-F]{4}|n|t|\\)")


def unescape(cell: str) -> str:
    """The raw column's escapes: \\n \\t \\\\ \\uXXXX."""
    def one(m: regex.Match) -> str:
        code = m.group(1)
        return {"n": "\n", "t": "\t", "\\": "\\"}.get(code) or chr(int(code[1:], 16))
    return _ESCAPE.sub(one, cell)


def spec_rows() -> list[dict[str, str]]:
    with SPEC.open(encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def expected(row: dict[str, str]) -> dict[str, object]:
    want: dict[str, object] = {}
    for field in FIELDS:
        cell = row[field]
        if field == "per":
            want[field] = cell.split(",") if cell else []
        elif field in NUMBERS:
            want[field] = float(cell) if cell else None
        else:
            want[field] = cell or None
    return want


def observed(target: Target) -> dict[str, object]:
    got = {field: getattr(target, field) for field in FIELDS}
    got["others"] = " | ".join(describe(t) for t in target.others) if target.others else None
    return got


ROWS = spec_rows()
CASES = [(unescape(r["raw"]), None if r["year"] == "none" else int(r["year"]), expected(r)) for r in ROWS]


@pytest.mark.parametrize(("text", "year", "want"), CASES, ids=[f"{i}:{c[0]!r}" for i, c in enumerate(CASES)])
def test_parse_value(text, year, want):
    target = parse_strict(text, year)
    assert target.raw == text
    got = observed(target)
    for field in NUMBERS:  # the same float, or 1 ulp off
        if want[field] is not None and got[field] is not None:
            assert got[field] == pytest.approx(want[field], rel=1e-12), field
            got[field] = want[field]
    assert got == want


def test_spec_is_well_formed():
    """Unique (raw, year) rows, every kind and baseline from the closed lists, cases for every form."""
    keys = [(r["raw"], r["year"]) for r in ROWS]
    assert len(keys) == len(set(keys))
    assert {r["kind"] for r in ROWS} == {"quantity", "date", "deadline", "frequency", "period", "relative",
                                         "qualitative", "empty"}
    assert {r["baseline"] for r in ROWS} == {"", "previous-year", "regional-average", "national-average", "plan",
                                             "standard"}
    assert {r["change"] for r in ROWS} == {"", "increase", "decrease"}
    assert len(ROWS) >= 700
    assert sum(r["bench"] == "1" for r in ROWS) >= 80


def test_parse_value_is_parse_strict_when_nothing_fails():
    assert parse_value("≤13.93万元", 2024) == parse_strict("≤13.93万元", 2024)


def test_others_keep_their_own_raw_text():
    target = parse_strict("本科500元/月、硕士2000元/月", 2024)
    assert [t.raw for t in target.others or []] == ["2000元/月"]
    assert target.to_dict()["others"][0]["value"] == 2000


@pytest.mark.parametrize("text", ["1" + "0" * 400, "1" + "0" * 400 + "元", "9" * 320 + "万元", "≥" + "9" * 400 + "%",
                                  "二" * 400 + "人", "九" * 320 + "万元"])
def test_numbers_outside_float_range_are_kept_as_text(text):
    target = parse_strict(text, 2024)
    assert target.kind == "qualitative" and target.text == text
    assert target.value is None and target.low is None and target.high is None


def _cpu(text: str) -> float:
    start = time.process_time()
    parse_value(text, 2024)
    return time.process_time() - start


@pytest.mark.parametrize("unit", ["一", "十", "一万", "二〇", "1", "1-", "每", "较上年", "、1人", "月", "%", "不低于"])
def test_parse_value_is_linear(unit):
    """Issue 15: 1,600 numerals took 0.8 s. A run of 2,000 characters must cost about ten times
    a run of 200 (allowing 40x for timer noise), and never more than 0.05 s."""
    short, long = unit * (200 // len(unit)), unit * (2000 // len(unit))
    parse_value(short, 2024)  # compile outside the timing
    small = min(_cpu(short) for _ in range(3))
    large = min(_cpu(long) for _ in range(3))
    assert large < 0.05, (unit, large)
    assert large <= 40 * max(small, 1e-4), (unit, small, large)


def test_number_text_of_the_spec_values_round_trips():
    """The spec's numbers are written with describe.number_text: reading them back is exact."""
    for row in ROWS:
        for field in NUMBERS:
            if row[field]:
                assert number_text(float(row[field])) == row[field]
