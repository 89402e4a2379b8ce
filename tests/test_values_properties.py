"""Property tests of parse_value: rendered quantities parse back; nothing ever raises."""
from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpiscan.lexicon import table
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


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_value_never_raises(text):
    target = parse_value(text)
    assert target.raw == text
    assert target.kind in {"quantity", "date", "deadline", "frequency", "period", "qualitative", "empty"}


# the grammar's own characters, so that random text reaches every builder
GRAMMAR_CHARS = list("0123456789.,%-~/()年月日号前底末季度每按个次万亿千百十一二三四五六七八九两第上下半全成之分"
                     "≥≤<>=约以上内元人天周Q·旬初")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(GRAMMAR_CHARS), max_size=14), st.one_of(st.none(), st.integers(1990, 2040)))
def test_no_builder_fails_on_grammar_soup(text, year):
    """parse_strict lets builder errors through: every match the grammar makes must build."""
    parse_strict(text, year)


def test_a_zero_cycle_does_not_divide_by_zero():
    # found by hypothesis: "按0个0" read as every-0-periods
    assert parse_strict("按0个0", None).kind in {"quantity", "frequency", "qualitative"}
