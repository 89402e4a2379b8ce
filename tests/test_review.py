"""Findings and scores on constructed tables where the right answer is known.

Each table starts from a complete, sound project table (`sound_table`) with no findings; each test
spoils one thing and checks that exactly the expected finding appears, and that the sound table
does not raise it.
"""
from __future__ import annotations

import dataclasses

import pytest

from kpiscan.model import Indicator, TableBlock, Target
from kpiscan.review import criteria, review_all, review_table, rules, score_document, score_table

DOC = "t.txt"
YEAR = 2024


def table(funding: float = 600000.0, annual_funding: float | None = None, years: str = "1年", index: int = 1,
          kind: str = "project", year: int | None = YEAR) -> TableBlock:
    annual = funding if annual_funding is None else annual_funding
    return TableBlock(
        doc=DOC, index=index, line=10, kind=kind, title="项目支出绩效目标表", project="文化产业专项",
        fields={"项目名称": "文化产业专项", "主管部门": "601-开发区管理委员会", "项目期": years},
        funds={"implementation": {"total": funding}, "annual": {"total": annual}},
        year=year,
    )


def q(raw: str, value: float, unit: str | None, op: str | None = None, **kw) -> Target:
    return Target(raw=raw, kind="quantity", op=op, value=value, unit=unit, **kw)


def ind(level1: str, level2: str, name: str, value: str, target: Target, line: int, period: str = "annual",
        label: str = "quantitative", index: int = 1) -> Indicator:
    return Indicator(
        doc=DOC, table=index, table_line=10, kind="project", project="文化产业专项", period=period,
        level1=level1, level2=level2, name=name, value=value, line=line, target=target, label=label,
        flagged=label in ("vague", "malformed"),
    )


def sound_rows(period: str = "annual") -> list[Indicator]:
    """One indicator per required category, all measurable and consistent with 600,000 元."""
    return [
        ind("产出指标", "数量指标", "申报项目数量", "2个", q("2个", 2, "个"), 20, period),
        ind("产出指标", "质量指标", "验收合格率", "≥95%", q("≥95%", 95, "%", ">="), 21, period),
        ind("产出指标", "时效指标", "资金支付时间", "2024年7月底前",
            Target(raw="2024年7月底前", kind="deadline", date="2024-07"), 22, period, label="temporal"),
        ind("产出指标", "成本指标", "项目总成本", "≤60万元", q("≤60万元", 600000, "元", "<="), 23, period),
        ind("效益指标", "社会效益指标", "扶持企业户数", "≥2户", q("≥2户", 2, "户", ">="), 24, period),
        ind("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", q("≥90%", 90, "%", ">="), 25, period),
    ]


def both_halves() -> list[Indicator]:
    return sound_rows("implementation") + sound_rows("annual")


def codes(t: TableBlock, rows: list[Indicator]) -> list[str]:
    return sorted(f.code for f in review_table(t, rows))


def replace(rows: list[Indicator], which: str, **changes) -> list[Indicator]:
    """The rows with the one named `which` changed (flagged follows a changed label)."""
    if "label" in changes:
        changes["flagged"] = changes["label"] in ("vague", "malformed")
    return [dataclasses.replace(r, **changes) if r.name == which else r for r in rows]


def test_sound_table_has_no_findings_and_full_score():
    rows = both_halves()
    assert codes(table(), rows) == []
    s = score_table(table(), rows)
    assert s.score == 100.0
    assert s.criteria == criteria()
    assert s.n_indicators == 12


def test_every_rule_has_a_known_criterion():
    assert set(r.criterion for r in rules().values()) <= set(criteria())
    assert sum(criteria().values()) == 100


def test_no_indicators():
    found = review_table(table(), [])
    assert [f.code for f in found] == ["no-indicators"]
    assert score_table(table(), [], found).score == 0.0


@pytest.mark.parametrize(
    "drop, code",
    [
        ({"效益指标"}, "missing-benefit-category"),
        ({"满意度指标"}, "missing-satisfaction-category"),
    ],
)
def test_missing_level1(drop, code):
    rows = [r for r in sound_rows() if r.level1 not in drop]
    # no 效益 row at all is also no measurable one
    also = ["no-measurable-benefit"] if code == "missing-benefit-category" else []
    assert codes(table(), rows) == sorted([code, *also])


def test_missing_cost_and_time_each_named():
    rows = [r for r in sound_rows() if r.level2 not in ("成本指标", "时效指标")]
    found = review_table(table(), rows)
    assert [f.code for f in found] == ["missing-cost-or-time-category"] * 2
    assert {"缺少成本指标" in f.message or "缺少时效指标" in f.message for f in found} == {True}
    s = score_table(table(), rows, found)
    assert s.criteria["完整性"] == 25 - 10


def test_indicator_in_one_half_only():
    rows = sound_rows("implementation") + [r for r in sound_rows("annual") if r.name != "扶持企业户数"]
    found = review_table(table(), rows)
    assert [f.code for f in found] == ["halves-disagree-only-in-one-half"]
    assert found[0].lines == [24] and found[0].period == "implementation"
    assert found[0].points == 2.0


def test_one_half_only_weighs_half_in_a_multi_year_project():
    rows = sound_rows("implementation") + [r for r in sound_rows("annual") if r.name != "扶持企业户数"]
    t = table(funding=1800000, annual_funding=600000, years="3年")
    found = [f for f in review_table(t, rows) if f.code == "halves-disagree-only-in-one-half"]
    assert found[0].points == 1.0


def test_halves_with_different_values():
    rows = replace(both_halves(), "扶持企业户数", value="≥3户", target=q("≥3户", 3, "户", ">="))
    rows = sound_rows("implementation") + [r for r in rows if r.period == "annual"]
    assert codes(table(), rows) == ["halves-disagree-value"]
    # the same value spelled differently is no disagreement
    rows = sound_rows("implementation") + replace(sound_rows("annual"), "扶持企业户数", value="≥ 2 户")
    assert codes(table(), rows) == []


def test_different_values_expected_in_a_multi_year_project():
    rows = sound_rows("implementation") + replace(sound_rows("annual"), "扶持企业户数", value="≥1户",
                                                  target=q("≥1户", 1, "户", ">="))
    t = table(funding=1800000, annual_funding=600000, years="3年")
    assert "halves-disagree-value" not in codes(t, rows)


def test_cost_consistent_with_funding():
    """≤60万元 against 年度资金总额 600,000 元 is consistent."""
    assert codes(table(funding=600000), sound_rows()) == []


def test_cost_exceeds_funding():
    """≤60万元 against 年度资金总额 400,000 元 exceeds it."""
    found = review_table(table(funding=400000), sound_rows())
    assert [f.code for f in found] == ["cost-exceeds-funding"]
    assert found[0].lines == [23] and "400,000" in found[0].message


def test_total_cost_far_below_funding_contradicts_it():
    found = review_table(table(funding=1000000), sound_rows())
    assert [f.code for f in found] == ["cost-contradicts-funding"]


def test_cost_items_summing_above_funding():
    rows = [r for r in sound_rows() if r.level2 != "成本指标"] + [
        ind("产出指标", "成本指标", "设备购置费", "≤40万元", q("≤40万元", 400000, "元", "<="), 30),
        ind("产出指标", "成本指标", "培训费", "≤30万元", q("≤30万元", 300000, "元", "<="), 31),
    ]
    found = review_table(table(funding=600000), rows)
    assert [f.code for f in found] == ["cost-exceeds-funding"]
    assert found[0].lines == [30, 31]
    assert codes(table(funding=700000), rows) == []


def test_unit_costs_are_not_compared_with_funding():
    rows = replace(sound_rows(), "项目总成本", name="培训成本", value="≤400元/人/天",
                   target=q("≤400元/人/天", 400, "元", "<=", per=["人", "天"]))
    assert codes(table(funding=300), rows) == []


@pytest.mark.parametrize(
    "value, target, fires",
    [
        ("≥100%", q("≥100%", 100, "%", ">="), True),
        ("120%", q("120%", 120, "%"), True),
        ("100%", q("100%", 100, "%"), False),
        ("≤120%", q("≤120%", 120, "%", "<="), False),
    ],
)
def test_rate_above_100(value, target, fires):
    rows = replace(sound_rows(), "验收合格率", value=value, target=target)
    assert ("rate-above-100" in codes(table(), rows)) is fires


def test_growth_rate_may_exceed_100():
    rows = replace(sound_rows(), "验收合格率", name="营业收入增长率", value="≥120%", target=q("≥120%", 120, "%", ">="))
    assert codes(table(), rows) == []


@pytest.mark.parametrize("value, low, fires", [("≥70%", 70, True), ("≥80%", 80, False), ("≥95%", 95, False)])
def test_satisfaction_below_80(value, low, fires):
    rows = replace(sound_rows(), "企业满意度", value=value, target=q(value, low, "%", ">="))
    assert ("satisfaction-below-80" in codes(table(), rows)) is fires


def test_zero_count_only_under_quantity():
    rows = replace(sound_rows(), "申报项目数量", value="0个", target=q("0个", 0, "个"))
    assert codes(table(), rows) == ["zero-count-target"]
    # 0 under 质量指标 ("安全事故 0起") is a sound target
    rows = sound_rows() + [ind("产出指标", "质量指标", "安全事故", "0起", q("0起", 0, "起"), 40)]
    assert codes(table(), rows) == []


def test_time_indicator_needs_a_date_span_or_frequency():
    rows = replace(sound_rows(), "资金支付时间", value="及时", target=Target(raw="及时", kind="qualitative", text="及时"),
                   label=None)
    assert codes(table(), rows) == ["time-indicator-without-date"]
    for ok in (Target(raw="每季度", kind="frequency", period="quarter"), q("≤30天", 30, "天", "<=")):
        assert codes(table(), replace(sound_rows(), "资金支付时间", value=ok.raw, target=ok)) == []


def test_cost_indicator_needs_money_unit():
    rows = replace(sound_rows(), "项目总成本", value="≤100%", target=q("≤100%", 100, "%", "<="))
    assert codes(table(), rows) == ["cost-indicator-without-money-unit"]


def test_satisfaction_needs_percentage():
    rows = replace(sound_rows(), "企业满意度", value="满意", target=Target(raw="满意", kind="qualitative", text="满意"))
    assert codes(table(), rows) == ["satisfaction-without-percentage"]


def test_duplicate_indicator_lists_all_lines():
    rows = sound_rows() + [ind("产出指标", "数量指标", "申报项目数量 ", "2个", q("2个", 2, "个"), 26)]
    found = review_table(table(), rows)
    assert [f.code for f in found] == ["duplicate-indicator"]
    assert found[0].lines == [20, 26]


def test_name_repeating_its_category():
    rows = replace(sound_rows(), "企业满意度", name="服务对象满意度")
    assert codes(table(), rows) == ["name-repeats-category"]


def test_money_or_input_as_output():
    rows = sound_rows() + [ind("产出指标", "数量指标", "奖补金额", "60万元", q("60万元", 600000, "元"), 27)]
    assert codes(table(), rows) == ["money-or-input-as-output"]
    rows = sound_rows() + [ind("产出指标", "数量指标", "专项资金拨付笔数", "≥3笔", q("≥3笔", 3, "笔", ">="), 27)]
    assert codes(table(), rows) == ["money-or-input-as-output"]


def test_flagged_share_scales_with_the_share():
    rows = replace(sound_rows(), "验收合格率", value="明显提升", label="vague",
                   target=Target(raw="明显提升", kind="qualitative", text="明显提升"))
    found = review_table(table(), rows)
    assert [f.code for f in found] == ["flagged-share"]
    assert found[0].points == pytest.approx(35 / 6, abs=0.01)
    assert "1/6" in found[0].message
    # unlabelled records (no classifier run): no share to judge
    unlabelled = [dataclasses.replace(r, label=None, flagged=False) for r in rows]
    assert codes(table(), unlabelled) == []


def test_dates_outside_the_budget_year():
    late = Target(raw="2025年3月", kind="date", date="2025-03")
    early = Target(raw="2023年12月", kind="deadline", date="2023-12")
    for target, where in ((late, "after"), (early, "before")):
        rows = replace(sound_rows(), "资金支付时间", value=target.raw, target=target)
        found = review_table(table(), rows)
        assert [f.code for f in found] == ["date-outside-budget-year"]
        assert where in found[0].message and found[0].criterion == "可行性"


def test_implementation_half_may_run_to_the_end_of_the_project_period():
    late = Target(raw="2025年3月", kind="date", date="2025-03")
    rows = replace(sound_rows("implementation"), "资金支付时间", value=late.raw, target=late)
    t = table(funding=1200000, annual_funding=600000, years="2年")
    assert "date-outside-budget-year" not in codes(t, rows + sound_rows("annual"))
    assert "date-outside-budget-year" in codes(table(years="1年"), rows)


def test_stale_year_in_name():
    rows = replace(sound_rows(), "申报项目数量", name="2022年申报项目数量")
    assert codes(table(), rows) == ["stale-year-in-name"]


def test_same_finding_in_both_halves_is_one_remark_with_both_lines():
    rows = [replace(sound_rows(p), "企业满意度", value="满意", line=25 if p == "annual" else 125,
                    target=Target(raw="满意", kind="qualitative", text="满意")) for p in ("implementation", "annual")]
    found = review_table(table(), rows[0] + rows[1])
    assert [f.code for f in found] == ["satisfaction-without-percentage"]
    assert found[0].lines == [25, 125]


def test_missing_target_is_parsed_from_the_value():
    rows = replace(sound_rows(), "验收合格率", value="≥120%", target=None)
    assert "rate-above-100" in codes(table(), rows)


def test_score_deductions_are_capped_and_named():
    rows = sound_rows() + [
        ind("产出指标", "时效指标", f"工作{i}完成及时", "及时", Target(raw="及时", kind="qualitative", text="及时"), 50 + i)
        for i in range(10)
    ]
    s = score_table(table(), rows)
    (d,) = s.deductions
    assert (d.code, d.count, d.points) == ("time-indicator-without-date", 10, rules()[d.code].cap)
    assert s.score == 100 - rules()[d.code].cap
    assert s.criteria["相关性/明确性"] == 35 - rules()[d.code].cap


def test_document_score_is_the_mean_of_its_tables():
    t1, t2 = table(index=1), table(index=2, funding=400000)
    rows = sound_rows() + [
        dataclasses.replace(r, table=2) for r in sound_rows()
    ]
    review = review_all([t1, t2], rows)
    assert [s.score for s in review.tables] == [100.0, 90.0]
    (doc,) = review.documents
    assert doc.score == 95.0 and doc.n_tables == 2 and doc.n_indicators == 12
    assert score_document(review.tables).score == 95.0
    with pytest.raises(ValueError):
        score_document([])


def test_department_name_without_code():
    s = score_table(table(), sound_rows())
    assert s.department == "开发区管理委员会"


def test_worked_example_of_docs_review_md():
    rows = sound_rows() + [ind("产出指标", "时效指标", "资金拨付及时", "及时",
                               Target(raw="及时", kind="qualitative", text="及时"), 30, label="vague")]
    s = score_table(table(), rows)
    assert [(d.code, d.points) for d in s.deductions] == [("time-indicator-without-date", 3.0), ("flagged-share", 5.0)]
    assert s.score == 92.0 and s.criteria["相关性/明确性"] == 27.0


# ------------------------------------------------------------------------- one reading with the classifier


def test_a_temporal_label_is_a_date_to_the_review():
    """重阳节、春节 labelled temporal by the classifier: no time-indicator-without-date beside it."""
    holidays = Target(raw="重阳节、春节", kind="qualitative", text="重阳节、春节")
    rows = replace(sound_rows(), "资金支付时间", value="重阳节、春节", target=holidays, label="temporal")
    assert codes(table(), rows) == []
    # the classifier's own reason is raised as the finding, whatever the category
    vague = replace(sound_rows(), "验收合格率", value="及时", label="vague", reasons=["time-indicator-without-date"],
                    target=Target(raw="及时", kind="qualitative", text="及时"))
    assert "time-indicator-without-date" in codes(table(), vague)


def test_findings_name_the_record_of_their_half():
    """Both halves print one row on one source line; a finding about the annual half's value names
    the annual record only."""
    rows = both_halves()
    rows = [dataclasses.replace(r, value="≥120%", target=q("≥120%", 120, "%", ">=")) if r.name == "验收合格率"
            and r.period == "annual" else r for r in rows]
    found = [f for f in review_table(table(), rows) if f.code == "rate-above-100"]
    annual = next(r for r in rows if r.name == "验收合格率" and r.period == "annual")
    assert [f.records for f in found] == [[annual.id]] and annual.id.endswith("#1/annual/21/1")


def test_flagged_share_counts_printed_rows_not_halves():
    rows = [dataclasses.replace(r, value="明显提升", label="vague", flagged=True,
                                target=Target(raw="明显提升", kind="qualitative", text="明显提升"))
            if r.name == "验收合格率" else r for r in both_halves()]
    found = [f for f in review_table(table(), rows) if f.code == "flagged-share"]
    assert "1/6" in found[0].message and len(found[0].records) == 2


# ------------------------------------------------------------------------- calibration (docs/review.md)


def grade(score: float) -> str:
    from kpiscan.constants import grade as g

    return g(score).value


def vague_rows(n: int, start: int = 40) -> list[Indicator]:
    return [ind("产出指标", "质量指标", f"工作质量{k}", "明显提升", Target(raw="明显提升", kind="qualitative", text="明显提升"),
                start + k, label="vague") for k in range(n)]


def test_calibration_sound_table_is_excellent():
    assert grade(score_table(table(), sound_rows()).score) == "优"


def test_calibration_a_third_vague_cannot_be_excellent():
    rows = sound_rows() + vague_rows(3)  # 3 of 9
    s = score_table(table(), rows)
    assert s.score == 88.3 and grade(s.score) == "良"
    for extra in range(3, 12):  # any larger vague share stays below 90 too
        assert score_table(table(), sound_rows() + vague_rows(extra)).score < 90


def test_calibration_no_measurable_benefit_cannot_be_good():
    rows = replace(sound_rows(), "扶持企业户数", value="有效提升", label="vague",
                   target=Target(raw="有效提升", kind="qualitative", text="有效提升"))
    s = score_table(table(), rows)
    assert s.score == 73.2 and grade(s.score) == "中"
    without = [r for r in sound_rows() if r.level1 != "效益指标"]
    assert grade(score_table(table(), without).score) == "中"


def test_calibration_a_poor_table_is_poor():
    rows = replace(sound_rows(), "扶持企业户数", value="有效提升", label="vague",
                   target=Target(raw="有效提升", kind="qualitative", text="有效提升"))
    rows = [r for r in rows if r.level1 != "满意度指标"] + vague_rows(4)
    rows = replace(rows, "项目总成本", value="≤90万元", target=q("≤90万元", 900000, "元", "<="))
    s = score_table(table(), rows)
    assert s.score == 47.0 and grade(s.score) == "差"


def test_year_in_name_needs_its_year_mark(corpora):
    """check_dates_in_year looks for a year in a name only when the name holds 年 (the pattern's
    lookahead): on every name of corpora/ (and ones made to hold years) the prefilter drops no match."""
    import kpiscan
    from kpiscan.review.checks import _YEAR_IN_TEXT

    names = [i.name for i in kpiscan.scan(corpora, classify=False).indicators]
    names += ["2023年完成率", "截至2024年底", "2019", "20245年", "１２０２３年"]
    assert any(_YEAR_IN_TEXT.findall(n) for n in names)
    for name in names:
        assert _YEAR_IN_TEXT.findall(name) == (_YEAR_IN_TEXT.findall(name) if "年" in name else [])


def test_name_key_memoised_is_the_rule_on_every_corpora_name():
    """name_key (a bounded memo of names) gives each of corpora/'s indicator names, cold and warm,
    what its rule gives: NFKC, no whitespace, no trailing punctuation."""
    from pathlib import Path

    import kpiscan
    from kpiscan.layout import norm
    from kpiscan.review.checks import _TRAILING_PUNCT, name_key

    names = {i.name for i in kpiscan.scan(Path(__file__).resolve().parents[1] / "corpora", classify=False).indicators}
    name_key.cache_clear()
    for _ in range(2):
        assert {n: name_key(n) for n in names} == {n: _TRAILING_PUNCT.sub("", norm(n)) for n in names}
    assert name_key.cache_info().hits >= len(names) > 500
    assert name_key("满意度。") == "满意度" and name_key(" 满 意 度 ") == "满意度"


def test_assign_ids_leaves_given_ids_and_counts_positions_past_them():
    """assign_ids gives a record without an id its position among its half and line, counting
    the records that have one; records that all have theirs (a scan's) keep them."""
    from kpiscan.model import assign_ids, record_id

    def rec(line: int, id: str | None) -> Indicator:
        return Indicator(doc="d.txt", table=1, table_line=1, kind="project", project="p", period="annual",
                         level1="产出指标", level2="数量指标", name="n", value="1个", line=line, id=id)

    given = [rec(5, "a"), rec(5, "b"), rec(6, "c")]
    assign_ids(given)
    assert [r.id for r in given] == ["a", "b", "c"]
    mixed = [rec(5, "a"), rec(5, None), rec(6, None), rec(5, None)]
    assign_ids(mixed)
    assert [r.id for r in mixed] == ["a", record_id("d.txt", 1, "annual", 5, 2), record_id("d.txt", 1, "annual", 6, 1),
                                     record_id("d.txt", 1, "annual", 5, 3)]
