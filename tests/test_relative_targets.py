"""Relative targets (issue 12) through the stages that read them: the value-span component, the
measurability classifier's rule, and the review finding `relative-without-baseline-figure`."""
from __future__ import annotations

from kpiscan.classify import baseline_assess, classify_one
from kpiscan.model import Indicator, TableBlock
from kpiscan.nlp import parse_doc
from kpiscan.review import review_table
from kpiscan.values import parse_value

YEAR = 2024


def test_value_spans_carry_kind_change_and_baseline():
    doc = parse_doc("就业人数较上年增长5%，满意度不低于上年，完成率100%，国庆节前完成", year=YEAR)
    spans = [(s.text, s._.value_kind, s._.change, s._.baseline) for s in doc.spans["values"]]
    assert spans == [
        ("较上年增长5%", "quantity", "increase", "previous-year"),
        ("不低于上年", "relative", None, "previous-year"),
        ("100%", "quantity", None, None),
        ("国庆节前完成", "deadline", None, None),
    ]
    assert doc.spans["values"][1]._.target.op == ">="


def test_a_relative_target_is_quantitative_by_rule_and_asks_for_its_baseline_figure():
    for value in ("不低于上年", "高于全省平均水平", "与上年持平"):
        verdict = classify_one("就业人数", value, "数量指标", YEAR)
        assert verdict.label == "quantitative" and not verdict.flagged
        assert verdict.reasons == ["relative-to-baseline", "relative-without-baseline-figure", "decided-by-rule"]


def test_a_change_against_a_baseline_says_its_figure_is_needed():
    verdict = classify_one("农民人均收入", "较上年增长5%", "经济效益指标", YEAR)
    assert verdict.label == "quantitative"
    assert "relative-without-baseline-figure" in verdict.reasons
    assert "relative-without-baseline-figure" not in classify_one("农民人均收入", "增长5%", "经济效益指标", YEAR).reasons


def test_the_lexicon_baseline_labels_relative_targets_the_same_way():
    ind = _indicator("满意度", "不低于上年", 20, "服务对象满意度指标", "满意度指标")
    (verdict,) = baseline_assess([ind], YEAR)
    assert verdict.label == "quantitative"
    assert verdict.reasons[:2] == ["relative-to-baseline", "relative-without-baseline-figure"]


def _indicator(name: str, value: str, line: int, level2: str = "社会效益指标", level1: str = "效益指标") -> Indicator:
    return Indicator(doc="t.txt", table=1, table_line=10, kind="project", project="p", period="annual",
                     level1=level1, level2=level2, name=name, value=value, line=line,
                     target=parse_value(value, YEAR), label="quantitative")


def test_review_finds_each_relative_target_once():
    table = TableBlock(doc="t.txt", index=1, line=10, kind="project", title="项目支出绩效目标表", project="p",
                       year=YEAR, funds={"annual": {"total": 100000.0}})
    rows = [_indicator("就业人数", "较上年增长5%", 20), _indicator("收入", "不低于全省平均水平", 21),
            _indicator("受益人数", "≥500人", 22)]
    found = [f for f in review_table(table, rows) if f.code == "relative-without-baseline-figure"]
    assert [f.lines for f in found] == [[20], [21]]
    assert all(f.criterion == "相关性/明确性" and f.severity == "info" for f in found)
    assert "regional-average" in found[1].message and "不低于全省平均水平" in found[1].message
