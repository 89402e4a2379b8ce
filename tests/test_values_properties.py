"""Property tests of parse_value: rendered quantities, changes against a baseline and relative
targets parse back; nothing ever raises."""
from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpiscan.lexicon import table
from kpiscan.serialize import target_from_dict
from kpiscan.values import parse_strict, parse_value

COMPARATORS = table("comparators.tsv")
BEFORE = sorted((r["word"], r["op"]) for r in COMPARATORS if r["position"] in ("before", "both"))
AFTER = sorted((r["word"], r["op"]) for r in COMPARATORS if r["position"] in ("after", "both"))
UNITS = table("units.tsv")
# time and occurrence units make dates ("5月") and frequencies ("3次/年"): tested in test_values.py
MAIN_UNITS = sorted((r["alias"], r["unit"]) for r in UNITS if r["kind"] not in ("time", "occurrence"))
PER_UNITS = sorted((r["alias"], r["unit"]) for r in UNITS if r["kind"] != "occurrence")
SCALES = sorted((r["word"], float(r["factor"])) for r in table("scales.tsv") if r["word"] in "千万亿")
SCALED_ALIASES = [r["alias"] for r in UNITS if r["alias"][0] in "十百千万亿"]
FULL_WIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")
BASELINE_ROWS = table("baselines.tsv")
AGAINST = sorted(r["word"] for r in BASELINE_ROWS if r["role"] == "against")
BASELINES = sorted((r["word"], r["baseline"]) for r in BASELINE_ROWS if r["role"] == "baseline")
LEVELS = sorted(r["word"] for r in BASELINE_ROWS if r["role"] == "level")
CHANGES = sorted((r["word"], r["change"]) for r in table("changes.tsv"))
# a comparator that ends in a character a baseline starts with would read as another word
PLAIN_BEFORE = [(w, op) for w, op in BEFORE if not w.isascii() or w not in ("=", "~")]


def _digits(amount: int, cents: int, separators: bool) -> str:
    whole = f"{amount:,}" if separators else str(amount)
    return f"{whole}.{cents:02d}" if cents else whole


@st.composite
def quantities(draw):
    """(printed text, expected Target fields) for comparator? number scale? unit per* comparator?"""
    amount = draw(st.integers(0, 9_999_999))
    cents = draw(st.integers(0, 99))
    number = _digits(amount, cents, draw(st.booleans()))
    scale_word, factor = draw(st.sampled_from([("", 1.0), *SCALES]))
    unit_alias, unit = draw(st.sampled_from([("", None), *MAIN_UNITS]))
    if not unit_alias and not scale_word:
        cents = 0  # a bare "2024.12" is a date, not a number: bare numbers are whole
        number = _digits(amount, 0, False)
    # "5千" + "米" reads as 千米 (公里), by design: not a scale then
    assume(not any((scale_word + unit_alias).startswith(a) for a in SCALED_ALIASES if scale_word))
    per = draw(st.lists(st.sampled_from(PER_UNITS), max_size=2)) if unit_alias else []
    where = draw(st.sampled_from(["none", "before", "after"]))
    before, op = draw(st.sampled_from(BEFORE)) if where == "before" else ("", "=")
    after, op = draw(st.sampled_from(AFTER)) if where == "after" else ("", op)
    text = before + number + scale_word + unit_alias + "".join("/" + alias for alias, _ in per) + after
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    value = round((amount + cents / 100) * factor, 6)
    return text, {"kind": "quantity", "op": op, "value": value, "unit": unit, "per": [u for _, u in per]}


@settings(max_examples=400, deadline=None)
@given(quantities())
def test_rendered_quantity_parses_back(case):
    text, want = case
    got = parse_strict(text, 2024).to_dict()
    assert got["value"] == pytest.approx(want.pop("value"), rel=1e-12), text  # the same float, or 1 ulp off
    assert {k: got[k] for k in want} == want, text


@st.composite
def changes(draw):
    """(text, expected) for against? baseline? change comparator? number unit: "较上年增长不低于5%"."""
    amount = draw(st.integers(1, 99_999))
    unit_alias, unit = draw(st.sampled_from(MAIN_UNITS))
    assume(not any(unit_alias.startswith(a) for a in SCALED_ALIASES))
    word, change = draw(st.sampled_from(CHANGES))
    baseline_word, baseline = draw(st.sampled_from([("", None), *BASELINES]))
    against = draw(st.sampled_from(["", *AGAINST])) if baseline_word else ""
    comparator, op = draw(st.sampled_from([("", "="), *BEFORE]))
    text = against + baseline_word + word + comparator + str(amount) + unit_alias
    return text, {"kind": "quantity", "op": op, "value": amount, "unit": unit, "change": change, "baseline": baseline}


@settings(max_examples=400, deadline=None)
@given(changes())
def test_rendered_change_parses_back(case):
    text, want = case
    got = parse_strict(text, 2024).to_dict()
    assert {k: got[k] for k in want} == want, text


@st.composite
def relatives(draw):
    """(text, expected) for comparator against? baseline level?: "不低于上年度水平", "高于全省平均水平"."""
    comparator, op = draw(st.sampled_from(BEFORE))
    assume(comparator not in ("为", "达"))  # one-character words a baseline may continue ("达标准")
    against = draw(st.sampled_from(["", *AGAINST]))
    word, baseline = draw(st.sampled_from(BASELINES))
    level = draw(st.sampled_from(["", *LEVELS]))
    return comparator + against + word + level, {"kind": "relative", "op": op, "baseline": baseline, "value": None}


@settings(max_examples=400, deadline=None)
@given(relatives())
def test_rendered_relative_target_parses_back(case):
    text, want = case
    got = parse_strict(text, 2024).to_dict()
    assert {k: got[k] for k in want} == want, text


KINDS = {"quantity", "date", "deadline", "frequency", "period", "relative", "qualitative", "empty"}


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_value_never_raises(text):
    target = parse_value(text)
    assert target.raw == text
    assert target.kind in KINDS
    for number in (target.value, target.low, target.high):
        assert number is None or math.isfinite(number)


# the grammar's own characters, so that random text reaches every builder
GRAMMAR_CHARS = list("0123456789.,%-~/()年月日号前底末季度每按个次万亿千百十一二三四五六七八九两第上下半全成之分"
                     "≥≤<>=约以上内元人天周Q·旬初较比同增长降低均、国庆节旦省平水准*")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(GRAMMAR_CHARS), max_size=14), st.one_of(st.none(), st.integers(1990, 2040)))
def test_no_builder_fails_on_grammar_soup(text, year):
    """parse_strict lets builder errors through: every match the grammar makes must build, and a
    Target survives its dict (serialize.target_from_dict) unchanged, others included."""
    target = parse_strict(text, year)
    assert target_from_dict(target.to_dict()) == target
    assert target.kind in KINDS


def test_a_zero_cycle_does_not_divide_by_zero():
    # found by hypothesis: "按0个0" read as every-0-periods
    assert parse_strict("按0个0", None).kind in {"quantity", "frequency", "qualitative"}
