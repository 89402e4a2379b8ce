"""Fuzzing (issue 15): hypothesis strategies for indicator rows and cells, and the seeded mutation
fuzzer over corpora/ (tests/fuzz_corpora.py). Short budget here; longer on demand:

    KPISCAN_FUZZ_MUTANTS=10000 KPISCAN_FUZZ_SEED=7 pytest tests/test_fuzz.py -k mutants
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_corpora
from kpiscan import lexicon
from kpiscan.pipeline import scan_document
from kpiscan.read import read_document
from nothing_lost import unaccounted

ROOT = Path(__file__).resolve().parents[1]

HEAD = (
    "2024年度部门预算公开\n"
    "项目支出绩效目标表\n(2024年度)\n"
    "项目名称\t\t{name}\t\t\t\t\t\n"
    "主管部门及代码\t\t604-某部门\t\t实施单位\t\t某单位\t\n"
    "项目资金（元）\t\t实施期资金总额：\t\t200,000\t\t年度资金总额：\t\t100,000\n"
    "\t\t实施期目标\t\t\t\t年度目标\t\t\n"
    "总体目标\t\t完成工作。\t\t\t\t完成本年工作。\t\t\n"
    "绩效指标\t一级指标\t二级指标\t三级指标\t指标值\t二级指标\t三级指标\t指标值\n"
)
FOOT = "负责人：\t\t经办人：\t\t联系电话：\t\t填报日期：\t20240302171549\n"

LEVEL1 = [r["variant"] for r in lexicon.table("level1.tsv")]
LEVEL2 = [r["variant"] for r in lexicon.table("categories.tsv")]
# printed names and values of corpora/ indicator rows (corpora/001, lines 558-566) and odd ones
NAMES = ["委托代理费案件", "按法律法规要求完成。", "市场经济秩序", "满意度", "公用经费", "=SUM(A1)", "1.5", "≥95%"]
VALUES = ["2件", "及时完成", "2024年", "≥20万", "维护", "≥95%", "1月/次", "", "≤400元/人/天", "1" + "0" * 320, "二〇二四年十二月"]

cell = st.one_of(
    st.sampled_from(LEVEL1 + LEVEL2 + NAMES + VALUES),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=30
    ),
    st.just(""),
)
row = st.lists(cell, min_size=1, max_size=10)
table = st.lists(row, min_size=1, max_size=40)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)
@given(rows=table, name=st.text(st.characters(whitelist_categories=("Lo",)), min_size=1, max_size=12))
def test_any_rows_scan_without_exception_in_bounded_time_and_nothing_lost(tmp_path, rows, name):
    text = HEAD.format(name=name) + "".join("\t".join(r) + "\n" for r in rows) + FOOT
    f = tmp_path / "doc.txt"
    f.write_text(text, encoding="utf-8")
    start = time.process_time()
    doc = read_document(f)
    result = scan_document(doc, classify=False)
    assert time.process_time() - start < 0.5 + 0.025 * len(text.encode()) / 1024
    assert result.tables, "the head of the table is fixed: a table is always found"
    assert unaccounted(doc, result) == []


def test_mutants_of_the_corpus():
    """The mutation fuzzer: no exception, no hang, no slow input, nothing lost."""
    mutants = int(os.environ.get("KPISCAN_FUZZ_MUTANTS", "120"))
    seed = int(os.environ.get("KPISCAN_FUZZ_SEED", "20240302"))
    budget = float(os.environ.get("KPISCAN_FUZZ_BUDGET", "90"))
    counts = fuzz_corpora.run(seed, mutants, budget)
    assert counts.inputs >= min(mutants, 30)
    assert (counts.exceptions, counts.hangs, counts.slow, counts.unaccounted) == (0, 0, 0, 0), counts.examples[:5]
