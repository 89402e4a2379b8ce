"""Segmentation and extraction: constructed tables where the answer is known, and the corpus gold."""
import glob

import pytest

from kpiscan.evaluate import read_jsonl, score
from kpiscan.extract import tokenize_row
from kpiscan.model import Line
from kpiscan.pipeline import scan, scan_file
from kpiscan.read.text import split_cells

HEAD = """晋城市市级预算部门（单位）项目支出绩效目标表

(2024年度)

项目名称\t\t{name}\t\t\t\t\t
主管部门及代码\t\t003-晋城市人民政府办公室\t\t实施单位\t晋城市人民政府办公室\t
项目属性\t\t经常性项目（长期开展）\t\t项目期\t4年\t
项目资金（元）\t\t实施期资金总额：\t1,620,000\t年度资金总额：\t300,000\t
\t\t其中：中央财政资金\t0\t其中：中央财政资金\t0\t
\t\t市县（区）财政资金\t1,620,000\t市县（区）财政资金\t300,000\t
\t\t实施期目标\t\t年度目标\t\t
总体目标\t\t完成督查工作。\t\t完成本年督查工作。\t\t
绩效指标\t一级指标\t二级指标\t三级指标\t指标值\t二级指标\t三级指标\t指标值
"""
FOOT = "负责人：\t\t经办人：\t\t联系电话：\t\t填报日期：\t20240302171549\n"


def write_doc(tmp_path, text, name="doc.txt"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def records(result):
    return [(i.period, i.level1, i.level2, i.name, i.value, i.line) for i in result.indicators]


def test_both_halves_categories_carried_down_and_header_fields(tmp_path):
    body = (
        "\t产出指标\t数量指标\t编报督查专报期数\t≥50期\t数量指标\t编报督查专报期数\t≥50期\n"
        "\t\t\t开展督查检查次数\t≥50次\t\t开展督查检查次数\t≥40次\n"
        "\t\t时效指标\t督查专报编报时间\t每月\t时效指标\t督查专报编报时间\t每月\n"
        "满意度指标\t服务对象满意度\t服务办事群众满意度\t≥95%\t服务对象满意度指标\t服务办事群众满意度\t≥95%\n"
    )
    result = scan_file(write_doc(tmp_path, HEAD.format(name="督查办专项业务费") + body + FOOT), classify=False)
    assert not result.problems
    (table,) = result.tables
    assert table.project == "督查办专项业务费" and table.line == 5 and table.kind == "project"
    assert table.funds["implementation"]["total"] == 1620000 and table.funds["annual"]["total"] == 300000
    assert table.fields["总体目标_annual"] == "完成本年督查工作。"
    assert table.fields["填报日期"] == "20240302171549"
    got = records(result)
    assert ("implementation", "产出指标", "数量指标", "开展督查检查次数", "≥50次", 15) in got
    assert ("annual", "产出指标", "数量指标", "开展督查检查次数", "≥40次", 15) in got
    assert ("annual", "满意度指标", "服务对象满意度指标", "服务办事群众满意度", "≥95%", 17) in got
    assert len(got) == 8


def test_shifted_rows_truncated_names_and_empty_categories(tmp_path):
    body = (
        "\t产出指标\t数量指标\t《晋城市推进再生水利用实施方案》数量\t1个\t数量指标\t《晋城市推进再生水利用实施方\t1个\n"
        "购置办公家具时间\t\t2024年7月\t购置办公家具时间\t2024年7月\n"  # shifted left, no label: carries 数量
        "\t效益指标\t经济效益指标\t\t\t经济效益指标\t\t\n"  # an empty category gives nothing
        "\t\t社会效益指标\t提升政务服务效益\t提升\t社会效益指标\t提升政务服务效益\t提升\n"
    )
    result = scan_file(write_doc(tmp_path, HEAD.format(name="x") + body + FOOT), classify=False)
    by = {(i.period, i.line): i for i in result.indicators}
    truncated = by[("annual", 14)]
    assert truncated.name == "《晋城市推进再生水利用实施方案》数量"
    assert truncated.name_raw == "《晋城市推进再生水利用实施方"
    assert by[("implementation", 15)].value == "2024年7月"
    assert not any(i.line == 16 for i in result.indicators)
    assert by[("annual", 17)].level2 == "社会效益指标" and by[("annual", 17)].level1 == "效益指标"


def test_category_words_as_names_and_wrapped_values(tmp_path):
    body = (
        "\t满意度指标\t服务对象满意度\t满意度\t≥95%\t服务对象满意\t满意度\t≥95%\n"
        "\t满意度指标\t\t服务对象满意度 市民满意度\t\t服务对象满意度\t\t市民满意度\n"
        "\t\t>90%\t\t\t\t>90%\n"
    )
    result = scan_file(write_doc(tmp_path, HEAD.format(name="x") + body + FOOT), classify=False)
    got = {(i.period, i.line, i.name, i.value) for i in result.indicators}
    assert ("implementation", 14, "满意度", "≥95%") in got
    assert ("annual", 14, "满意度", "≥95%") in got
    assert ("implementation", 15, "市民满意度", ">90%") in got
    assert ("annual", 15, "市民满意度", ">90%") in got
    assert len(got) == 4


def test_continuation_page_merged_and_complete_twins_kept_apart(tmp_path):
    page1 = HEAD.format(name="民兵应急分队经费") + "\t产出指标\t数量指标\t防控、处突\t≥90次\t数量指标\t防控、处突\t≥90次\n"
    page2 = HEAD.format(name="民兵应急分队经费") + "满意度指标\t\t服务对象满意度\t\t群众满意度\t\t≥90%\n" + FOOT
    twin = HEAD.format(name="民兵应急分队经费") + "\t产出指标\t数量指标\t巡逻\t≥9次\t数量指标\t巡逻\t≥9次\n" + FOOT
    result = scan_file(write_doc(tmp_path, page1 + "\n" + page2 + "\n" + twin + "\n" + twin), classify=False)
    assert [t.pages for t in result.tables] == [2, 1, 1]
    assert [t.n_indicators for t in result.tables] == [3, 2, 2]  # page 2 prints one half only
    assert {i.table for i in result.indicators if i.name == "群众满意度"} == {1}


def test_department_table_single_annual_half(tmp_path):
    text = (
        "县(区)级预算部门(单位)整体支出绩效目标申报表\n(2024)年度\n"
        "部门基本信息\t部门名称\t601-晋城经济技术开发区管理委员会\n"
        "年度绩效目标\t完成目标任务\n"
        "\t一级指标\t二级指标\t三级指标\t指标值\n"
        "\t产出指标\t数量指标\t兑现政策条款数\t≥1条\n"
        "\t\t\t时效指标\t案件办理及时性\n"
        "\t效益指标\t经济效益指标\t增加开发区税收收入\n"
    )
    result = scan_file(write_doc(tmp_path, text), classify=False)
    (table,) = result.tables
    assert table.kind == "department" and table.project == "晋城经济技术开发区管理委员会" and table.line == 1
    assert records(result) == [
        ("annual", "产出指标", "数量指标", "兑现政策条款数", "≥1条", 6),
        ("annual", "产出指标", "时效指标", "案件办理及时性", "", 7),
        ("annual", "效益指标", "经济效益指标", "增加开发区税收收入", "", 8),
    ]


def test_unplaced_text_is_kept_as_unparsed(tmp_path):
    body = "\t\t\t孤立的一段文字\t\t\t\t\n\t产出指标\t数量指标\t成本\t费用\t多余\t\t\n"
    result = scan_file(write_doc(tmp_path, HEAD.format(name="x") + body + FOOT), classify=False)
    texts = {u.text for u in result.unparsed}
    assert "孤立的一段文字" in texts
    assert all(u.line in (13, 14) for u in result.unparsed)


def test_tokens_read_truncated_and_short_labels_by_column():
    line = Line(1, "", split_cells("\t效益指标\t经济\t\t\t经济效益指标\t\t"))
    kinds = [(t.kind, t.level2) for t in tokenize_row(line, (2, 5))]
    assert kinds == [("L1", None), ("L2", "经济效益指标"), ("L2", "经济效益指标")]
    value_line = Line(2, "", split_cells("\t效益指标\t经济效益指标\t引领我区产业高效发展\t可持续发展"))
    assert [t.kind for t in tokenize_row(value_line, (2, 5))][-1] == "TEXT"


@pytest.mark.parametrize(
    "text,message",
    [
        ("第一部分 概况\n一、本单位职责\n负责城市供水。\n", "no 绩效目标表"),
    ],
)
def test_document_without_tables(tmp_path, text, message):
    result = scan_file(write_doc(tmp_path, text), classify=False)
    assert message in str(result.problems[0]) and "doc.txt" in str(result.problems[0])


def test_truncated_table_reported_with_line_and_others_kept(tmp_path):
    good = HEAD.format(name="完整") + "\t产出指标\t数量指标\t巡逻\t≥9次\t数量指标\t巡逻\t≥9次\n" + FOOT
    cut = "\n".join(HEAD.format(name="截断").splitlines()[:8])
    result = scan_file(write_doc(tmp_path, good + "\n" + cut), classify=False)
    assert len(result.indicators) == 2
    (problem,) = result.problems
    assert "truncated table" in str(problem) and problem.line == 21


@pytest.mark.slow
def test_corpus_matches_gold(corpora):
    gold = read_jsonl(sorted(glob.glob(str(corpora / "gold" / "*.jsonl"))))
    result = scan(corpora, classify=False)
    assert not [p for p in result.problems if p.path not in result.skipped]  # gold/*.jsonl: skipped, listed
    for s in score(gold, result.records()):
        assert s.f1 >= 0.98, (s.doc, s.f1)
        assert s.level2_accuracy >= 0.98, (s.doc, s.level2_accuracy)
    for u in result.unparsed:
        assert u.line > 0 and u.text


@pytest.mark.slow
def test_same_records_from_markdown_gb18030_crlf_flavour(corpora, tmp_path):
    """The same document as markdown pipes, GB18030 and CRLF gives the same records."""
    source = corpora / "001_ac55e88fbc470c63.txt"
    text = source.read_text(encoding="utf-8")
    markdown = "\n".join("| " + " | ".join(line.split("\t")) + " |" if "\t" in line else line for line in text.split("\n"))
    flavour = tmp_path / source.name
    flavour.write_bytes(markdown.replace("\n", "\r\n").encode("gb18030"))
    key = lambda r: (r.period, r.project, r.level2, r.name, r.value, r.line)  # noqa: E731
    assert [key(r) for r in scan_file(flavour, classify=False).indicators] == [
        key(r) for r in scan_file(source, classify=False).indicators
    ]


def test_table_announcing_only_annual_targets_has_one_annual_half(tmp_path):
    head = HEAD.format(name="x").replace("\t\t实施期目标\t\t年度目标\t\t", "\t\t年度目标\t\t\t\t")
    head = head.replace("二级指标\t三级指标\t指标值\t二级指标\t三级指标\t指标值", "二级指标\t三级指标\t指标值")
    body = "\t产出指标\t数量指标\t编报督查专报期数\t≥50期\n\t\t\t开展督查检查次数\t≥50次\n"
    result = scan_file(write_doc(tmp_path, head + body + FOOT), classify=False)
    assert result.tables[0].periods == ("annual",)
    assert [(i.period, i.name) for i in result.indicators] == [("annual", "编报督查专报期数"), ("annual", "开展督查检查次数")]


def test_table_year_caption_gives_the_year_of_relative_dates(tmp_path):
    body = "\t产出指标\t时效指标\t完成时间\t12月前\t时效指标\t完成时间\t12月前\n"
    text = "晋城市人民政府办公室\n2023年度单位预算公开\n\n" + HEAD.format(name="x") + body + FOOT
    result = scan_file(write_doc(tmp_path, text), classify=False)
    assert result.tables[0].year == 2024
    assert {i.target.date for i in result.indicators} == {"2024-12"}


@pytest.mark.slow
def test_records_survive_cells_shifted_by_merged_cells(corpora, tmp_path):
    """Merged cells shift a row's cells: an empty cell inserted at random in a third of the
    rows (fixed seed) leaves the records as they were."""
    import random

    rnd = random.Random(7)
    source = corpora / "003_f95fad87d006b4da.txt"
    lines = []
    for line in source.read_text(encoding="utf-8").split("\n"):
        if "\t" in line and rnd.random() < 0.3:
            cells = line.split("\t")
            cells.insert(rnd.randrange(len(cells) + 1), "")
            line = "\t".join(cells)
        lines.append(line)
    shifted = tmp_path / source.name
    shifted.write_text("\n".join(lines), encoding="utf-8")
    key = lambda r: (r.period, r.project, r.level2, r.name, r.value, r.line)  # noqa: E731
    before = sorted(key(r) for r in scan_file(source, classify=False).indicators)
    after = sorted(key(r) for r in scan_file(shifted, classify=False).indicators)
    assert after == before


def test_table_cut_off_by_the_end_of_the_file_is_reported_and_kept(tmp_path):
    body = "\t产出指标\t数量指标\t巡逻\t≥9次\t数量指标\t巡逻\t≥9次\n\t\t\t接访\t≥3次\t\t接访\t≥3次\n"
    result = scan_file(write_doc(tmp_path, HEAD.format(name="截断") + body), classify=False)
    assert len(result.indicators) == 4
    (problem,) = result.problems
    assert "truncated table" in str(problem) and "before its footer" in str(problem) and problem.line == 15
    # with its footer the same table is complete
    assert not scan_file(write_doc(tmp_path, HEAD.format(name="完整") + body + FOOT), classify=False).problems


def test_captions_printed_with_their_values_in_one_cell(tmp_path):
    head = HEAD.format(name="x").replace("项目名称\t\tx\t\t\t\t\t", "项目名称：聘用律师费")
    head = head.replace("实施单位\t晋城市人民政府办公室", "实施单位：晋城市人民政府办公室")
    body = "\t产出指标\t数量指标\t委托代理费案件\t2件\t数量指标\t委托代理费案件\t2件\n"
    result = scan_file(write_doc(tmp_path, head + body + FOOT), classify=False)
    (table,) = result.tables
    assert table.project == "聘用律师费" and table.fields["实施单位"] == "晋城市人民政府办公室"
    assert len(result.indicators) == 2


def test_single_half_project_table_of_the_annual_template(tmp_path):
    """A project table with only a 年度绩效目标 row (no 实施期) reports its indicators as annual."""
    head = HEAD.format(name="x").replace("\t\t实施期目标\t\t年度目标\t\t\n", "")
    head = head.replace("总体目标\t\t完成督查工作。\t\t完成本年督查工作。\t\t", "年度绩效目标\t完成本年督查工作。")
    head = head.replace("二级指标\t三级指标\t指标值\t二级指标\t三级指标\t指标值", "二级指标\t三级指标\t指标值")
    body = "\t产出指标\t数量指标\t编报督查专报期数\t≥50期\n"
    result = scan_file(write_doc(tmp_path, head + body + FOOT), classify=False)
    assert result.tables[0].periods == ("annual",)
    assert result.tables[0].fields["总体目标_annual"] == "完成本年督查工作。"
    assert [(i.period, i.name) for i in result.indicators] == [("annual", "编报督查专报期数")]


def test_page_furniture_inside_a_table_is_not_an_indicator(tmp_path):
    body = (
        "\t产出指标\t数量指标\t巡逻\t≥9次\t数量指标\t巡逻\t≥9次\n"
        "- 23 -\n仅供内部审核\n第5页/共60页\n"
        "24-\n-25\n"  # page numbers read by OCR that lost one thin dash
        "\t\t\t接访\t≥3次\t\t接访\t≥3次\n"
    )
    result = scan_file(write_doc(tmp_path, HEAD.format(name="x") + body + FOOT), classify=False)
    assert [i.name for i in result.indicators] == ["巡逻", "巡逻", "接访", "接访"]
    assert not result.unparsed


def test_running_text_after_a_table_without_footer_ends_it(tmp_path):
    body = "\t产出指标\t数量指标\t巡逻\t≥9次\t数量指标\t巡逻\t≥9次\n"
    after = "注：以上绩效目标由项目单位填报，财政部门审核后公开，数据截至填报日期。\n下一段正文继续说明本部门的其他情况，与绩效目标表无关，篇幅较长。\n"  # noqa: E501
    result = scan_file(write_doc(tmp_path, HEAD.format(name="x") + body + after), classify=False)
    assert [i.name for i in result.indicators] == ["巡逻", "巡逻"]
    assert not result.unparsed and result.tables[0].end_line == 14


def test_second_label_in_one_half_is_kept_as_an_unparsed_cell(tmp_path):
    # the right half prints two different 二级 labels before its name (a converter's merged
    # label cell split in two): the first governs the row, the second is kept, not dropped
    body = (
        "\t产出指标\t数量指标\t开展督查次数\t≥10次\t数量指标\t时效指标\t开展督查次数\t≥10次\n"
        "\t\t质量指标\t督查报告合格率\t100%\t质量指标\t督查报告合格率\t100%\n"
    )
    result = scan_file(write_doc(tmp_path, HEAD.format(name="督查经费") + body + FOOT), classify=False)
    assert [(i.period, i.level2, i.name, i.value) for i in result.indicators] == [
        ("implementation", "数量指标", "开展督查次数", "≥10次"),
        ("annual", "数量指标", "开展督查次数", "≥10次"),
        ("implementation", "质量指标", "督查报告合格率", "100%"),
        ("annual", "质量指标", "督查报告合格率", "100%"),
    ]
    assert [(u.text, u.reason) for u in result.unparsed if u.reason == "extra-cell"] == [("时效指标", "extra-cell")]
