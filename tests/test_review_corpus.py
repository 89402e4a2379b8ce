"""Findings and scores over corpora/: invariants on every table, and facts a reviewer checked by hand."""
from __future__ import annotations

import pytest

import kpiscan
from kpiscan.review import criteria, review_all, rules

DOC0 = "000_dc3175b1d97e8850.txt"
DOC3 = "003_f95fad87d006b4da.txt"


@pytest.fixture(scope="module")
def scanned(corpora):
    return kpiscan.scan(corpora, classify=False)


@pytest.fixture(scope="module")
def review(scanned):
    return review_all(scanned.tables, scanned.indicators)


def table_named(scanned, doc, project):
    return next(t for t in scanned.tables if t.doc == doc and t.project == project)


def codes_of(review, table):
    return {f.code for f in review.findings_of(table.doc, table.index)}


def test_every_table_and_document_scored(scanned, review):
    assert len(review.tables) == len(scanned.tables)
    assert {d.doc for d in review.documents} == {t.doc for t in scanned.tables}
    for s in review.tables:
        assert 0 <= s.score <= 100
        assert s.score == pytest.approx(sum(s.criteria.values()), abs=0.2)
        for d in s.deductions:
            assert d.points <= rules()[d.code].cap
        for c, kept in s.criteria.items():
            assert 0 <= kept <= criteria()[c]


def test_findings_point_inside_their_table(scanned, review):
    tables = {(t.doc, t.index): t for t in scanned.tables}
    for f in review.findings:
        t = tables[(f.doc, f.table)]
        assert f.code in rules() and f.lines
        assert all(t.line <= line <= (t.end_line or line) for line in f.lines), (f, t.line, t.end_line)
        assert " / " in f.message  # Chinese / English


def test_cost_within_funding_is_consistent(scanned, review):
    """2024年省级文化产业发展专项资金: 项目总成本 ≤60万元 against 年度资金总额 600,000 元."""
    t = table_named(scanned, DOC0, "2024年省级文化产业发展专项资金")
    assert t.funds["annual"]["total"] == 600000
    assert not codes_of(review, t) & {"cost-exceeds-funding", "cost-contradicts-funding"}


def test_cost_above_funding(scanned, review):
    """产业促进服务中心工作经费: 项目运行总成本 ≤231.9万元 against 1,950,000 元."""
    t = table_named(scanned, DOC0, "产业促进服务中心工作经费")
    assert "cost-exceeds-funding" in codes_of(review, t)


def test_deadline_before_the_budget_year(scanned, review):
    """A 2025 table whose 前期招标采购工作 was due 2024年12月."""
    found = [f for f in review.findings if f.doc == DOC3 and f.code == "date-outside-budget-year"]
    assert any("2024-12" in f.message and "2025" in f.message for f in found)


def test_satisfaction_named_only_by_its_category(review):
    found = [f for f in review.findings if f.code == "name-repeats-category"]
    assert any("“满意度”" in f.message for f in found)
