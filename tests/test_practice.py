"""Indicator practice (issue 14): families, peers, years, boilerplate, goals, `kpiscan library`.

Names and values below are rows printed in corpora/ (the document and table are named where a
test builds its own records from them).
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpiscan
from kpiscan.cli import app
from kpiscan.model import Indicator, TableBlock
from kpiscan.practice import build_library, builtin_library, family_key, normalise_name, practice_findings
from kpiscan.practice.boilerplate import check_boilerplate
from kpiscan.practice.families import Library, library_sheet, printed_rows
from kpiscan.practice.goals import goals_frame, match_goals, split_clauses
from kpiscan.practice.peers import check_peers
from kpiscan.practice.years import check_years, link_projects, project_moves
from kpiscan.review import rules
from kpiscan.values import parse_value

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture(scope="module")
def corpus_scan():
    return kpiscan.scan(ROOT / "corpora", classify=False)


def ind(doc, table, line, level2, name, value, period="annual", year=2024) -> Indicator:
    level1 = {"服务对象满意度指标": "满意度指标", "成本指标": "产出指标", "数量指标": "产出指标",
              "质量指标": "产出指标"}.get(level2, "效益指标")
    return Indicator(doc=doc, table=table, table_line=1, kind="project", project="p", period=period, level1=level1,
                     level2=level2, name=name, value=value, line=line, target=parse_value(value, year))


def table(doc, index, project, dept="601-晋城经济技术开发区管理委员会", year=2024, funds=None, goal="") -> TableBlock:
    t = TableBlock(doc=doc, index=index, line=index * 10, kind="project", title="项目支出绩效目标表", project=project,
                   year=year, fields={"主管部门": dept, "项目名称": project, "总体目标_annual": goal})
    if funds is not None:
        t.funds = {"annual": {"total": funds}}
    return t


# ------------------------------------------------------------------ families


@pytest.mark.parametrize("name, key", [
    ("2025年中水处理量", "中水处理量"),            # 003, 数量指标
    ("年污水处理量", "污水处理量"),
    ("培训（会议）天数", "培训天数"),              # 002 table 6
    ("1. 通过工信部平台动态管理", "通过工信部平台动态管理"),  # 001 table 4
    ("“三八”纪念活动开展时间", "三八纪念活动开展时间"),   # 000 table 22
    ("全年开展会议次数", "开展会议次数"),          # 000 table 10
])
def test_normalise_name(name, key):
    assert normalise_name(name) == key


def test_rates_pool_by_their_head():
    assert family_key("办公设备验收合格率") == ("合格率", True)
    assert family_key("服装验收合格率") == ("合格率", True)
    assert family_key("聘用人员满意程度") == ("满意度", True)  # same_as in practice_words.tsv
    assert family_key("参与企业和群众满意率") == ("满意度", True)
    assert family_key("2024年污水处理量") == ("污水处理量", False)


@pytest.mark.slow
def test_family_pairs_on_the_labelled_sample():
    from eval_practice import family_figures

    figures = family_figures()
    assert figures["names"][0] >= 300
    p, r, gold, predicted, both = figures["all"]
    assert gold > 900 and predicted > 0
    assert p >= 0.9 and r >= 0.9


def test_library_groups_years_and_keeps_distributions(corpus_scan):
    lib = build_library(corpus_scan.indicators)
    fam = lib.family_of("数量指标", "2026年污水处理量", "mass")
    assert fam == "数量指标/污水处理量"
    row = lib.stats(fam, "吨")
    assert row["n_targets"] >= 5 and row["q10"] <= row["q50"] <= row["q90"]
    assert list(row["values"]) == sorted(row["values"])
    sat = lib.stats("服务对象满意度指标/满意度", "%")
    assert sat["op"] == ">=" and sat["n_targets"] > 50 and 80 <= sat["q50"] <= 100
    assert "群众满意度" in list(sat["members"])
    sheet = library_sheet(lib)
    assert "values" not in sheet.columns and sheet["members"].map(type).eq(str).all()


def test_builtin_library_is_the_corpora_one(corpus_scan):
    lib = builtin_library()
    assert lib.docs == {t.doc for t in corpus_scan.tables}
    assert lib.family_of("服务对象满意度指标", "老年人满意度", "ratio") == "服务对象满意度指标/满意度"
    assert lib.family_of("成本指标", "一个从未见过的名称xyz") is None


def _plain(rows: list[dict]) -> list[dict]:
    """Library rows as plain values (NaN as None, arrays and tuples as lists) to compare."""
    import math

    return [{k: None if isinstance(v, float) and math.isnan(v) else list(v) if isinstance(v, tuple) or hasattr(v, "tolist")
             else v for k, v in r.items()} for r in rows]


def test_library_builder_of_corpora_is_the_shipped_library(corpus_scan):
    """The compact builder (ids, arrays, one name inline) builds corpora/'s library row for row
    as the Counter-per-key builder that made the shipped one (src/kpiscan/practice/data)."""
    from kpiscan.practice.families import library_from_rows

    built, shipped = library_from_rows(printed_rows(corpus_scan.indicators)), builtin_library()
    assert _plain(built.family_rows) == _plain(shipped.family_rows)
    assert _plain(built.member_rows) == _plain(shipped.member_rows)


def _reference_counts(rows: list) -> tuple:
    """LibraryBuilder.add as it was before issue 13's tenth round: Counters per (category, key)."""
    from collections import Counter, defaultdict

    keys: Counter = Counter()
    dims, names, ops = defaultdict(Counter), defaultdict(Counter), defaultdict(Counter)
    doc_count, unit_rows, numbers, seen, docs = Counter(), Counter(), defaultdict(list), set(), set()
    for r in rows:
        k, ku = (r.level2, r.key), (r.level2, r.key, r.unit)
        keys[(r.level2, r.key, r.pooled)] += 1
        if r.dim:
            dims[k][r.dim] += 1
        names[k][r.normalised] += 1
        if (r.doc, *k) not in seen:
            seen.add((r.doc, *k))
            doc_count[k] += 1
            docs.add(r.doc)
        unit_rows[ku] += 1
        if r.number is not None:
            numbers[ku].append(r.number)
            if r.op:
                ops[ku][r.op] += 1
    return keys, dims, names, ops, doc_count, unit_rows, numbers, docs


def test_library_members_are_columns_read_as_rows(corpus_scan):
    """The builder's library keeps its member rows as columns (MemberRows), read as the dicts
    of MEMBER_COLUMNS (a row by index, a slice, in order), places names from a dict per
    category, and holds one family id string per family, not one per key."""
    from kpiscan.practice.families import MEMBER_COLUMNS, MemberRows, library_from_rows

    lib = library_from_rows(printed_rows(corpus_scan.indicators))
    members = lib.member_rows
    assert isinstance(members, MemberRows)
    rows = list(members)
    assert len(members) == len(rows) == 725 and [members[i] for i in range(len(rows))] == rows == members[:]
    assert all(list(r) == MEMBER_COLUMNS for r in rows) and members[3:7] == rows[3:7]
    assert any(r["dim"] != r["dim"] for r in rows)  # a missing dimension is NaN, as in the DataFrame
    assert lib._known == {level2: {r["key"]: r["family_id"] for r in rows if r["level2"] == level2}
                          for level2 in dict.fromkeys(r["level2"] for r in rows)}
    assert len({id(f) for f in members.columns[2]}) == len({r["family_id"] for r in rows})
    assert lib.family_of("服务对象满意度指标", "老年人满意度", "ratio") == "服务对象满意度指标/满意度"


def _reference_library(rows: list, threshold: float) -> tuple[list[dict], list[dict]]:
    """LibraryBuilder.library as it was before issue 13's tenth round, over `_reference_counts`."""
    from collections import Counter, defaultdict

    import numpy as np

    from kpiscan.practice.families import QUANTILES, _values, cluster_keys, family_id

    keys, dims, names, ops, doc_count, unit_rows, numbers, docs = _reference_counts(rows)
    fam_of, plain = {}, defaultdict(list)
    for (level2, key, pooled), n in keys.items():
        if pooled:
            fam_of[(level2, key)] = family_id(level2, key)
        else:
            plain[level2].append((key, n, dims[(level2, key)].most_common(1)[0][0] if dims.get((level2, key)) else None))
    for level2, ks in plain.items():
        for key, leader in cluster_keys(ks, threshold).items():
            fam_of[(level2, key)] = family_id(level2, leader)
    f_names, count, f_docs = defaultdict(Counter), Counter(), Counter()
    for (level2, key, _), n in keys.items():
        fam = fam_of[(level2, key)]
        f_names[fam].update(names[(level2, key)])
        count[fam] += n
        f_docs[fam] += doc_count[(level2, key)]
    f_rows, f_numbers, f_ops = Counter(), defaultdict(list), defaultdict(Counter)
    for (level2, key, unit), n in unit_rows.items():
        fu = (fam_of[(level2, key)], unit)
        f_rows[fu] += n
        f_numbers[fu].extend(numbers.get((level2, key, unit), ()))
        f_ops[fu].update(ops.get((level2, key, unit), {}))
    families = []
    for fam, unit in sorted(f_rows, key=lambda fu: (fu[0], fu[1] or "")):
        nums = f_numbers[(fam, unit)]
        q = np.quantile(nums, QUANTILES).round(4).tolist() if nums else [None] * len(QUANTILES)
        families.append({"family_id": fam, "members": [n for n, _ in f_names[fam].most_common()], "count": count[fam],
                         "n_docs": min(f_docs[fam], len(docs)), "unit": unit, "n_unit": f_rows[(fam, unit)],
                         "op": f_ops[(fam, unit)].most_common(1)[0][0] if f_ops[(fam, unit)] else None,
                         "q": q, "values": _values(list(nums))})
    members = [{"key": key, "family_id": fam_of[(l2, key)], "pooled": pooled, "count": n,
                "dim": dims[(l2, key)].most_common(1)[0][0] if dims.get((l2, key)) else None}
               for (l2, key, pooled), n in sorted(keys.items())]
    return families, members


def test_library_builder_counts_as_counters_per_key_on_every_kind_of_row():
    """Random rows over a few categories, keys, names, dimensions, units and operators (keys
    pooled and not, a key both ways, rows without a number or an operator, documents added
    apart): the compact builder's library is the Counter-per-key builder's, field for field;
    a key with one name keeps no Counter for it."""
    import random

    from kpiscan.practice.families import QUANTILES, LibraryBuilder, Row

    rng = random.Random(13)
    rows = []
    for n in range(3000):
        key = rng.choice(["培训人数", "道路长度", "满意度", "合格率", "项目个数", "培训人次"])
        pooled = key in ("满意度", "合格率") if rng.random() > 0.02 else not key.endswith("率")
        number = rng.choice([None, 0.0, 1.5, 2.0, 95.0, rng.uniform(0, 100)])
        rows.append(Row(f"d{n // 200}", n // 20, n, rng.choice(["数量指标", "质量指标"]), key, key, pooled, "1",
                        "quantity" if number is not None else "qualitative", rng.choice([None, ">=", "=", "<="]),
                        number, rng.choice([None, "人", "%", "公里"]), rng.choice([None, "count", "ratio"]), "annual",
                        normalised=key + ("数" if key == "培训人次" and rng.random() < 0.3 else "")))
    builder = LibraryBuilder()
    for start in range(0, len(rows), 500):  # file by file
        builder.add(rows[start:start + 500])
    library = builder.library()
    families, members = _reference_library(rows, library.threshold)
    got = [{k: r[k] for k in families[0] if k != "q"} | {"q": [r[f"q{int(p * 100)}"] for p in QUANTILES]}
           for r in _plain(library.family_rows)]
    assert got == _plain(families)
    assert [{k: r[k] for k in members[0]} for r in _plain(library.member_rows)] == _plain(members)
    assert {builder.key[i] for i in builder.names.more} == {"培训人次"}  # the one key printed two ways


def test_library_command_writes_parquet_and_csv(tmp_path, corpus_files):
    res = CliRunner().invoke(app, ["library", *map(str, corpus_files[:2]), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "2 files" in res.output and "indicator rows" in res.output
    lib = Library.read(tmp_path)
    assert len(lib.families) > 100 and set(lib.members["level2"]) >= {"数量指标", "服务对象满意度指标"}
    assert (tmp_path / "families.csv").read_text(encoding="utf-8-sig").startswith("family_id,level2,family")


def test_library_command_names_a_bad_file(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("", encoding="utf-8")
    res = CliRunner().invoke(app, ["library", str(bad), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert f"error: {bad}" in res.output and "Traceback" not in res.output


# ------------------------------------------------------------------ peers


def peer_library(values: list[str], level2: str, name: str) -> Library:
    return build_library([ind(f"peer{i}.txt", 1, 5, level2, name, v) for i, v in enumerate(values)])


def test_target_below_peers_names_the_peer_figures():
    lib = peer_library(["≥90%"] * 6 + ["≥95%"] * 3 + ["≥80%"], "服务对象满意度指标", "群众满意度")
    rows = printed_rows([ind("mine.txt", 2, 40, "服务对象满意度指标", "企业满意度", "≥80%")])
    [f] = check_peers(rows, lib)
    assert f.code == "target-below-peers" and f.lines == [40]
    assert "9 of 10 peers set ≥90%" in f.message and "9个定为≥90%" in f.message
    # in the usual range: no finding
    assert check_peers(printed_rows([ind("mine.txt", 2, 41, "服务对象满意度指标", "企业满意度", "≥90%")]), lib) == []


def test_peers_need_enough_peers():
    lib = peer_library(["≥95%"] * 4, "服务对象满意度指标", "群众满意度")
    assert check_peers(printed_rows([ind("mine.txt", 2, 40, "服务对象满意度指标", "企业满意度", "≥60%")]), lib) == []


def test_cost_above_peers_for_unit_costs_only():
    # 003: "生活污泥、城市粪便、餐厨垃圾处置成本 320元/吨", "污水处理成本 2.32元/吨"
    lib = peer_library(["≤300元/人/天", "≤350元/人/天", "≤380元/人/天", "≤400元/人/天", "≤400元/人/天", "≤420元/人/天"],
                       "成本指标", "培训费用")
    [f] = check_peers(printed_rows([ind("mine.txt", 1, 9, "成本指标", "培训费用", "≤600元/人/天")]), lib)
    assert f.code == "cost-above-peers" and "6 of 6 peers cost at most 420元/人/天" in f.message
    totals = peer_library(["≤10万元", "≤12万元", "≤9万元", "≤11万元", "≤10万元", "≤10万元"], "成本指标", "项目总成本")
    assert check_peers(printed_rows([ind("mine.txt", 1, 9, "成本指标", "项目总成本", "≤60万元")]), totals) == []


# ------------------------------------------------------------------ years


def year_pair(funds_before, funds_after, values_after):
    """000 table 20 (天网工程运维经费) in 2024 and a 2025 copy."""
    names = [("数量指标", "视频监控系统数", "118路"), ("质量指标", "天网工程在线率", "≥95%"),
             ("质量指标", "维保达标率", "100%"), ("服务对象满意度指标", "群众满意度", "≥90%")]
    t0 = table("a2024.txt", 20, "天网工程运维经费", funds=funds_before)
    t1 = table("b2025.txt", 3, "2025年天网工程运维经费项目", year=2025, funds=funds_after)
    inds = [ind("a2024.txt", 20, 100 + i, l2, n, v) for i, (l2, n, v) in enumerate(names)]
    inds += [ind("b2025.txt", 3, 200 + i, l2, n, v, year=2025) for i, ((l2, n, _), v) in enumerate(zip(names, values_after))]
    return [t0, t1], inds


def test_projects_link_across_years_and_moves_are_reported():
    tables, inds = year_pair(360000, 360000, ["118路", "≥90%", "100%", "≥95%"])
    other = table("b2025.txt", 4, "遗属补助", year=2025, funds=10)
    [link] = link_projects(tables + [other], inds)
    assert (link.doc_before, link.table_before, link.doc, link.table) == ("a2024.txt", 20, "b2025.txt", 3)
    assert link.score >= 0.8
    rows = {}
    for r in printed_rows(inds):
        rows.setdefault((r.doc, r.table), []).append(r)
    changes = {m.name: m.change for m in project_moves(link, rows)}
    assert changes == {"视频监控系统数": "same", "天网工程在线率": "lowered", "维保达标率": "same", "群众满意度": "raised"}


def test_targets_copied_forward_while_funds_doubled():
    tables, inds = year_pair(360000, 720000, ["118路", "≥95%", "100%", "≥90%"])
    found = check_years(tables, inds)
    assert [f.code for f in found] == ["targets-copied-forward"]
    assert "4 of 4 targets unchanged" in found[0].message and "+100%" in found[0].message
    # funds within FUNDS_SHARE: copying is no finding
    tables, inds = year_pair(360000, 380000, ["118路", "≥95%", "100%", "≥90%"])
    assert check_years(tables, inds) == []


def test_target_lowered_while_funds_rose():
    tables, inds = year_pair(360000, 400000, ["100路", "≥90%", "100%", "≥90%"])
    found = check_years(tables, inds)
    assert sorted(f.code for f in found) == ["target-lowered", "target-lowered"]
    assert any("“天网工程在线率” target lowered from ≥95% (2024) to ≥90%" in f.message for f in found)
    # funds fell: a lower target is no finding
    tables, inds = year_pair(360000, 300000, ["100路", "≥90%", "100%", "≥90%"])
    assert [f for f in check_years(tables, inds) if f.code == "target-lowered"] == []


@pytest.mark.slow
def test_year_links_on_constructed_pairs():
    from eval_practice import year_figures

    f = year_figures(seeds=range(2))
    assert f["true links"] > 100
    assert f["precision"] >= 0.95 and f["recall"] >= 0.95


# ------------------------------------------------------------------ boilerplate


def test_boilerplate_indicator_sets():
    names = [("数量指标", "工资发放人数", "≥50人"), ("质量指标", "工作发放达标率", "100%"),
             ("时效指标", "工资发放时间", "每月"), ("服务对象满意度指标", "职工满意度", "≥90%")]  # 003 table 15
    tables = [table("d.txt", i, f"项目{i}", dept="市城市管理局") for i in (1, 2, 3, 4)]
    inds = [ind("d.txt", i, 10 * i + k, l2, n, v) for i in (1, 2, 3) for k, (l2, n, v) in enumerate(names)]
    inds += [ind("d.txt", 4, 40 + k, l2, n + "x", v) for k, (l2, n, v) in enumerate(names)]
    found = check_boilerplate(tables, inds)
    assert sorted(f.table for f in found) == [1, 2, 3]
    assert "3 projects of the department carry the same 4 indicators" in found[0].message
    assert check_boilerplate(tables[:2], [i for i in inds if i.table <= 2]) == []


# ------------------------------------------------------------------ goals


def test_split_clauses():
    # 000 table 2 and 001 table 4, as printed
    assert split_clauses("对其重点文化产业项目予以支持;促进文化产业创新创意能力和竞争力稳步提升,骨干文化企业做强做优做大。") == [
        "对其重点文化产业项目予以支持", "促进文化产业创新创意能力和竞争力稳步提升", "骨干文化企业做强做优做大"]
    assert split_clauses("1:组织相关人员开展第四批绿色园区动态管理申报2:申报成功3:提升开发区营商环境") == [
        "组织相关人员开展第四批绿色园区动态管理申报，申报成功", "提升开发区营商环境"]
    assert split_clauses("目标1:有效保障指导员工作的正常开展;目标2:充分发挥党建工作指导员的作用") == [
        "有效保障指导员工作的正常开展", "充分发挥党建工作指导员的作用"]


def test_goal_without_indicator_names_the_clause():
    # 001 table 10 (提质升级奖励)
    t = table("g.txt", 1, "提质升级奖励", goal="1:鼓励区内企业上市2:鼓励区内企业提质升级")
    inds = [ind("g.txt", 1, 5, "数量指标", "企业数量", "8家"),
            ind("g.txt", 1, 6, "可持续影响指标", "鼓励更多区内企业提质升级", "可持续")]
    clauses = match_goals(t, printed_rows(inds))
    assert [c.text for c in clauses] == ["鼓励区内企业上市", "鼓励区内企业提质升级"]
    assert 6 in clauses[1].matched
    t.fields["总体目标_annual"] = "保障长期聘用人员的权益，开展读书分享会活动"  # 000 tables 16 and 22
    found = practice_findings([t], inds, concerns=("goals",))
    assert sorted(f.code for f in found) == ["goal-without-indicator", "goal-without-indicator", "indicator-without-goal"]
    assert any("goal “保障长期聘用人员的权益” has no indicator" in f.message for f in found)


def test_goals_frame_of_the_corpus(corpus_scan):
    frame = goals_frame(corpus_scan.tables, corpus_scan.indicators)
    assert len(frame) > 100 and frame["covered"].mean() > 0.5
    assert set(frame.columns) >= {"doc", "table", "clause", "promise", "matched", "covered"}


@pytest.mark.slow
def test_goal_agreement_with_hand_judgements():
    from eval_practice import goal_figures

    f = goal_figures()
    assert f["tables"] == 30 and f["clauses not found"] == 0
    assert f["agreement"] >= 0.8


# ------------------------------------------------------------------ the rules


def test_practice_rules_are_in_the_rule_table():
    codes = {"target-below-peers", "cost-above-peers", "targets-copied-forward", "target-lowered",
             "boilerplate-indicators", "goal-without-indicator", "indicator-without-goal"}
    assert codes <= set(rules())


def test_practice_findings_over_the_corpus(corpus_scan):
    found = practice_findings(corpus_scan.tables, corpus_scan.indicators)
    codes = {f.code for f in found}
    assert "target-below-peers" in codes and "goal-without-indicator" in codes
    assert all(f.doc and f.table and f.lines for f in found)
    # a copy of a document one year on, every target unchanged while funds doubled
    doc = "002_5c711d4843627377.txt"
    tables = [copy.deepcopy(t) for t in corpus_scan.tables if t.doc == doc]
    inds = [copy.deepcopy(i) for i in corpus_scan.indicators if i.doc == doc]
    for t in tables:
        t.doc, t.year = "next.txt", t.year + 1
        t.funds = {h: {k: (v * 2 if v else v) for k, v in f.items()} for h, f in t.funds.items()}
    for i in inds:
        i.doc = "next.txt"
    originals = [t for t in corpus_scan.tables if t.doc == doc]
    found = practice_findings(originals + tables, [i for i in corpus_scan.indicators if i.doc == doc] + inds,
                              concerns=("years",))
    assert {f.code for f in found} == {"targets-copied-forward"}
    assert {f.table for f in found} == {t.index for t in tables}


def test_peer_counts_stand_for_all_targets_of_a_large_library():
    # 300 peers at ≥95% and 100 at ≥80%: the library keeps 201 quantile points of the 400 values
    lib = peer_library(["≥95%"] * 300 + ["≥80%"] * 100, "服务对象满意度指标", "群众满意度")
    assert len(lib.stats("服务对象满意度指标/满意度", "%")["values"]) == 201
    [f] = check_peers(printed_rows([ind("mine.txt", 2, 40, "服务对象满意度指标", "企业满意度", "≥80%")]), lib)
    assert "300 of 400 peers set ≥95%" in f.message


def test_report_compares_with_a_given_library(tmp_path, corpus_files):
    lib_dir = tmp_path / "lib"
    assert CliRunner().invoke(app, ["library", *map(str, corpus_files), "--out", str(lib_dir)]).exit_code == 0
    res = CliRunner().invoke(app, ["report", str(corpus_files[2]), "--out", str(tmp_path / "rep"), "--library", str(lib_dir)])
    assert res.exit_code == 0, res.output
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "rep" / "kpiscan-review.xlsx")
    assert wb["指标库 Library"].max_row == len(Library.read(lib_dir).families) + 1
    res = CliRunner().invoke(app, ["report", str(corpus_files[2]), "--out", str(tmp_path / "rep2"), "--library", str(tmp_path / "none")])
    assert res.exit_code == 1 and "error: --library" in res.output and "Traceback" not in res.output


def _tfidf_texts(rng, keys: list[str], trial: int, shortest: int) -> list[str]:
    """Names of the built-in library (two trials in three) or random texts with spaces, capitals
    and Greek, 1 to all the keys of them."""
    n = rng.choice([1, 2, 5, 30, 200, len(keys)])
    if trial % 3:
        return rng.sample(keys, min(n, len(keys)))
    alphabet = list("满意度合格率数量质量时效成本社会效益 ABCabc12 \u3000\t") + ["ΣΑ", "İ"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(shortest, 12))) for _ in range(n)]


def test_char_tfidf_is_sklearns_vectoriser_to_the_bit():
    """CharTfidf (the families' TF-IDF without importing scikit-learn) gives scikit-learn's
    TfidfVectorizer matrices: the same entries in the same order, equal to the last bit, on the
    built-in library's names and on random texts with spaces, capitals and Greek; and so the same
    cosine similarities the leader clustering compares."""
    import random

    import numpy as np

    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    from kpiscan.practice.families import VECTORISER, CharTfidf, cosines

    keys = list(builtin_library().members["key"])
    rng = random.Random(13)

    def same(a, b) -> bool:
        return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
                and a.data.dtype == b.data.dtype and a.data.tobytes() == b.data.tobytes())

    for trial in range(60):
        texts = _tfidf_texts(rng, keys, trial, shortest=1) + ([""] if trial % 4 == 0 else [])  # a row of no gram
        theirs, ours = sklearn_text.TfidfVectorizer(**VECTORISER, dtype=np.float32), CharTfidf()
        a, b = theirs.fit_transform(texts), ours.fit_transform(texts)
        assert same(a, b) and ours.vocabulary_ == theirs.vocabulary_
        assert ours.idf_.tobytes() == theirs.idf_.tobytes()
        assert (a @ a.T).toarray().tobytes() == cosines(b, b).toarray().tobytes()
        new = rng.sample(keys, 10) + ["新名称", "xyz", "满意度 ABC", "", "ΩΩ"]  # grams it has not seen, none at all
        assert same(theirs.transform(new), ours.transform(new))


def test_cosines_are_scipy_sparse_products_to_the_bit():
    """`cosines(a, b)` (a @ b.T without scipy.sparse) gives scipy.sparse's float32 products to the
    bit, on CharTfidf matrices of the built-in library's names and of random texts: the leader
    clustering's row blocks against the rows before them, new names against a category's keys
    (family_of) and one year's project names against the next's (years)."""
    import random

    import numpy as np
    import scipy.sparse as sp

    from kpiscan.practice.families import CharTfidf, cosines

    keys = list(builtin_library().members["key"])
    rng = random.Random(17)

    def scipy_of(m):
        return sp.csr_matrix((m.data, m.indices, m.indptr), shape=m.shape)

    for trial in range(40):
        texts = _tfidf_texts(rng, keys, trial, shortest=0)
        n = len(texts)
        vec = CharTfidf()
        ours = vec.fit_transform(texts)
        theirs = scipy_of(ours)
        start, stop = sorted(rng.sample(range(n + 1), 2)) if n > 1 else (0, n)
        got = cosines(ours.rows(start, stop), ours.rows(0, stop))
        want = (theirs[start:stop] @ theirs[:stop].T).tocsr()
        assert got.toarray().tobytes() == want.toarray().tobytes() and got.shape == want.shape
        assert np.array_equal(got.indptr, want.indptr)  # (no sum of exactly 0 kept, as scipy keeps none)
        new = vec.transform(rng.sample(keys, 10) + ["新名称", "xyz", "满意度 ABC", ""])
        assert cosines(new, ours).toarray().tobytes() == (scipy_of(new) @ theirs.T).toarray().tobytes()


def test_report_library_imports_no_sklearn(tmp_path):
    """Building the scan's own library and placing names in it needs no scikit-learn; the
    report (its 指标库 sheet and chart, the peers, the Parquet findings) imports no pandas."""
    import subprocess

    code = ("import sys; from kpiscan.practice.families import builtin_library, library_from_rows, printed_rows\n"
            "lib = builtin_library(); print(lib.family_of('数量指标', '新建道路长度'))\n"
            "import kpiscan; scan = kpiscan.scan(sys.argv[1], classify=False)\n"
            "library_from_rows(printed_rows(scan.indicators))\n"
            "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
            "from kpiscan.report import write_report; write_report(scan, sys.argv[2])\n"
            "assert 'pandas' not in sys.modules, 'pandas imported'\n"
            "assert 'scipy.sparse' not in sys.modules, 'scipy.sparse imported'\n")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "corpora"), str(tmp_path)], capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 0, done.stderr


def test_name_keys_memo_and_head_lookup_agree_with_the_rules(corpus_scan, monkeypatch):
    """Every printed name of corpora/: `name_keys` (the bounded memo, and without it under
    KPISCAN_CLASSIFY_MEMO=0) gives normalise_name and the pooled head that the longest-first
    list of practice_words.tsv finds first ("办公设备验收合格率" -> 合格率)."""
    from kpiscan.practice.families import _name_keys_memo, _same_as, name_keys, practice_words

    def by_list(normalised: str) -> tuple[str, bool]:
        for head in practice_words("pooled_head"):
            if normalised.endswith(head):
                return _same_as().get(head, head), True
        return normalised, False

    names = sorted({i.name for i in corpus_scan.indicators if i.name.strip()})
    _name_keys_memo.cache_clear()
    on = [name_keys(n) for n in names]
    assert _name_keys_memo.cache_info().currsize == len(names)
    monkeypatch.setenv("KPISCAN_CLASSIFY_MEMO", "0")
    _name_keys_memo.cache_clear()
    off = [name_keys(n) for n in names]
    assert _name_keys_memo.cache_info().currsize == 0
    assert on == off
    assert [(normalise_name(n), *by_list(normalise_name(n))) for n in names] == on
    assert sum(pooled for _, _, pooled in on) > 50  # the corpus has pooled rates to look up


def test_goal_matching_indexed_per_table_is_the_pairwise_rule(corpus_scan):
    """match_goals (a table's indicator texts indexed once) matches exactly the indicators that
    `matches` accepts one pair at a time, on every table of corpora/ with a goal."""
    from kpiscan.layout import norm
    from kpiscan.practice.families import rows_by_table
    from kpiscan.practice.goals import BIGRAM_SHARE, bigrams, content_words, goal_text, indicator_text, matches

    def rule(clause: str, words: frozenset[str], text: str) -> bool:  # the docstring's rule, one pair at a time
        key = norm(text)
        if any(w in key for w in words) or any(w in clause for w in content_words(key)):
            return True
        grams = bigrams(words)
        return bool(grams) and sum(1 for g in grams if g in key) >= BIGRAM_SHARE * len(grams)

    rows_by = rows_by_table(corpus_scan.indicators)
    pairs = 0
    for t in corpus_scan.tables:
        rows = rows_by.get((t.doc, t.index), [])
        clauses = match_goals(t, rows)
        assert [c.text for c in clauses] == goal_text(t)
        for c in clauses:
            pairwise = [r.line for r in rows if rule(c.text, c.words, indicator_text(r))]
            assert [r.line for r in rows if matches(c.text, c.words, indicator_text(r))] == pairwise
            if pairwise:  # else the project-name fallback decides
                assert c.matched == pairwise, (t.doc, t.index, c.text)
            pairs += len(rows)
    assert pairs > 1000


def test_goal_clauses_and_bigrams_memoised_per_text_are_the_rules(corpus_scan):
    """goal_text (each goal text split once, `_clauses`) gives the clauses `split_clauses` gives
    field by field, the first of each kept, and Texts' bigrams (`text_bigrams`, once per text) are
    each text's own, on every table and indicator text of corpora/, cold and warm; so are a goal
    clause's bigrams and its content words' (`_word_bigrams`), which Texts.matching reads."""
    from kpiscan.layout import norm
    from kpiscan.practice import goals
    from kpiscan.practice.families import rows_by_table

    def clauses(t: TableBlock) -> list[str]:  # the rule, field by field
        seen: dict[str, None] = {}
        for f in goals.GOAL_FIELDS:
            for clause in split_clauses(t.fields.get(f, "")):
                seen.setdefault(clause, None)
        return list(seen)

    rows_by = rows_by_table(corpus_scan.indicators)
    goals._clauses.cache_clear()
    goals.text_bigrams.cache_clear()
    goals._word_bigrams.cache_clear()
    stated = texts = 0
    for _ in range(2):
        for t in corpus_scan.tables:
            assert goals.goal_text(t) == clauses(t)
            stated += bool(clauses(t))
            for clause in clauses(t):  # what Texts.matching reads of a clause: its bigrams, its words'
                words = goals.content_words(clause)
                assert goals.text_bigrams(clause) == {clause[i:i + 2] for i in range(len(clause) - 1)}
                assert goals._word_bigrams(words) == {w[i:i + 2] for w in words for i in range(len(w) - 1)}
            keys = [norm(goals.indicator_text(r)) for r in rows_by.get((t.doc, t.index), [])]
            assert goals.Texts(keys).grams == [{k[i:i + 2] for i in range(len(k) - 1)} for k in keys]
            texts += len(keys)
    assert goals._clauses.cache_info().hits > 0 and goals.text_bigrams.cache_info().hits > 0
    assert goals._word_bigrams.cache_info().hits > 0
    assert stated > 100 and texts > 1000


def test_goal_matching_cuts_an_indicator_text_only_when_a_clause_can_hold_its_word(monkeypatch):
    """Texts asks jieba (content_words) for an indicator text's words only for a clause that
    neither has a word in the text nor shares enough bigrams with it, and shares a bigram with
    it; the text's word found in the clause still matches ("招商" of 招商任务考核达标率 in
    "努力完成招商引资年度目标任务", whose words 招商引资/年度目标/努力完成 the text lacks)."""
    from kpiscan.practice import goals

    real = goals.content_words
    asked: list[str] = []
    monkeypatch.setattr(goals, "content_words", lambda text: asked.append(text) or real(text))
    texts = goals.Texts(["群众满意度", "道路维修长度", "维修及时率"])
    clause = "完成道路维修工作"
    assert texts.matching(clause, real(clause)) == [1, 2]  # both by the clause's words 道路, 维修
    assert asked == []  # 群众满意度 shares no bigram with the clause: never cut
    texts = goals.Texts(["群众满意度", "招商任务考核达标率"])
    clause = "努力完成招商引资年度目标任务"
    assert texts.matching(clause, real(clause)) == [1]
    assert asked == ["招商任务考核达标率"]
    assert texts.matching(clause, real(clause)) == [1] and asked == ["招商任务考核达标率"]  # cut once
    texts = goals.Texts(["工作完成率"])
    clause = "完成道路维修工作"  # shares only 完成 and 工作 (generic words) with the text, no trigram
    assert texts.matching(clause, real(clause)) == [] and asked == ["招商任务考核达标率"]  # not cut


def test_may_share_word_is_false_only_when_no_content_word_of_the_text_is_in_the_clause(corpus_scan):
    """`may_share_word` (Texts' test before it cuts a text with jieba) never says False for a text
    one of whose content words is in the clause, on every (indicator text, goal clause) pair of
    corpora/ sharing a bigram, and says False for many pairs whose text has no such word (the
    cuts it spares)."""
    from kpiscan.layout import norm
    from kpiscan.practice import goals
    from kpiscan.practice.families import rows_by_table

    rows_by = rows_by_table(corpus_scan.indicators)
    spared = without = 0
    for t in corpus_scan.tables:
        keys = [norm(goals.indicator_text(r)) for r in rows_by.get((t.doc, t.index), [])]
        for clause in goals.goal_text(t):
            in_clause = {clause[i:i + 2] for i in range(len(clause) - 1)}
            for key in keys:
                shared = goals.text_bigrams(key) & in_clause
                if not shared:
                    continue
                holds = any(w in clause for w in goals.content_words(key))
                if holds:
                    assert goals.may_share_word(key, clause, shared), (key, clause)
                else:
                    without += 1
                    spared += not goals.may_share_word(key, clause, shared)
    assert without > 100 and spared > without / 3  # corpora/: 191 of 423
    assert goals.may_share_word("满意度调查", "开展满意度回访", {"满意", "意度"})  # a shared trigram
    assert not goals.may_share_word("工作完成率", "完成道路维修工作", {"完成", "工作"})  # generic only


def test_library_rows_are_its_frames_and_the_sheet_and_chart_orders_are_pandas(corpus_scan):
    """A library's rows (what the report reads) are its DataFrames' records, built or read
    back (`Library.read`); the 指标库 sheet's rows and the chart's families come in the order
    the pandas sorts that made them before give (by category then count, stable; the chart's
    sort_values("n_targets", ascending=False), numpy's quicksort, ties and all)."""
    import math
    import random

    import numpy as np
    import pandas as pd

    from kpiscan.practice.report import _most_targets, library_rows

    def missing(v) -> bool:
        return v is None or isinstance(v, float) and math.isnan(v)

    def same(a, b) -> bool:  # (a missing str is None in pandas 2's columns, NaN in pandas 3's)
        if missing(a) and missing(b):
            return True
        if isinstance(a, (list, np.ndarray)) or isinstance(b, (list, np.ndarray)):
            return list(a) == list(b)
        return a == b and type(a) is type(b)

    def same_rows(rows, records) -> bool:
        return len(rows) == len(records) and all(r.keys() == w.keys() and all(same(r[k], w[k]) for k in r)
                                                 for r, w in zip(rows, records))

    built = build_library(corpus_scan.indicators + [ind("d9", 1, 9, "数量指标", "新建道路长度", "12公里")])
    no_op = [r for r in built.family_rows if not r["n_targets"]]
    assert no_op and all(math.isnan(r["op"]) and math.isnan(r["q50"]) for r in no_op)  # as pandas 3's frame held them
    for lib in (built, builtin_library()):
        assert same_rows(lib.family_rows, lib.families.to_dict("records"))
        assert same_rows(lib.member_rows, lib.members.to_dict("records"))
        frame = lib.families.drop(columns=["values"]).copy()
        frame["members"] = frame["members"].map(lambda m: "、".join(list(m)[:12]))
        frame = frame.sort_values(["level2", "count"], ascending=[True, False], kind="stable")
        assert same_rows(library_sheet(lib).to_dict("records"), frame.to_dict("records"))
        mine = {r["family_id"] for r in lib.family_rows[::3]}
        frame.insert(0, "in_scan", frame["family_id"].isin(mine))
        frame = frame.sort_values(["in_scan", "count"], ascending=[False, False], kind="stable")
        assert same_rows(library_rows([], lib, families=mine), frame.to_dict("records"))
    rng = random.Random(5)
    for n in (0, 1, 12, 17, 40, 300):
        rows = [{"n_targets": rng.choice([3, 3, 4, 5, 5, 5, 9, 40]), "k": k} for k in range(n)]
        want = pd.DataFrame(rows).sort_values("n_targets", ascending=False).head(12).to_dict("records") if n else []
        assert [r["k"] for r in _most_targets(rows, 12)] == [r["k"] for r in want]


def test_printed_rows_keep_the_annual_half_with_both_halves_ids():
    """A row printed in both halves is one Row: the annual half's value, the ids of both halves in
    record order; a quantity's unit with its per-units, its dimension and its number (a range's
    lower end); a text's none."""
    both = [ind("d.txt", 1, 7, "成本指标", "培训费用", "≤500元/人/天", period="implementation"),
            ind("d.txt", 1, 7, "成本指标", "培训费用", "≤600元/人/天"),
            ind("d.txt", 1, 8, "数量指标", "培训人数", "100-200人"),
            ind("d.txt", 1, 9, "社会效益指标", "群众获得感", "明显提升")]
    for n, i in enumerate(both):
        i.id = f"r{n}"
    fee, people, text = printed_rows(both)
    assert (fee.value, fee.period, fee.ids) == ("≤600元/人/天", "annual", ("r0", "r1"))
    assert (fee.unit, fee.dim, fee.number, fee.op) == ("元/人/天", "money", 600.0, "<=")
    assert (people.number, people.dim, people.ids) == (100.0, "count", ("r2",))
    assert (text.kind, text.unit, text.dim, text.number) == ("qualitative", None, None, None)


def _cluster_against_every_key(keys, threshold):
    """cluster_keys as it was before issue 13's ninth round: each key against every key before it."""
    from kpiscan.practice.families import _compatible, cosines, vectoriser

    ordered = sorted(keys, key=lambda k: (-k[1], k[0]))
    names, dims = [k[0] for k in ordered], [k[2] for k in ordered]
    matrix = vectoriser().fit_transform(names)
    sims = cosines(matrix, matrix)
    leader_of = [-1] * len(names)
    for i in range(len(names)):
        at, end = sims.indptr[i], sims.indptr[i + 1]
        best, best_sim = -1, threshold
        for j, s in zip(sims.indices[at:end].tolist(), sims.data[at:end]):
            if j < i and leader_of[j] == j and s >= best_sim and _compatible(dims[i], dims[j]):
                if s > best_sim or best < 0 or j < best:
                    best, best_sim = j, s
        leader_of[i] = best if best >= 0 else i
    return {names[i]: names[leader_of[i]] for i in range(len(names))}


def _cluster_against_every_leader(keys, threshold, step=64):
    """cluster_keys as it was in issue 13's ninth round: each key against every leader before it
    (and its step's keys before it), in steps of `step` keys."""
    from kpiscan.practice.families import _compatible, cosines, vectoriser

    ordered = sorted(keys, key=lambda k: (-k[1], k[0]))
    names, dims = [k[0] for k in ordered], [k[2] for k in ordered]
    matrix = vectoriser().fit_transform(names)
    leader_of, leaders = [-1] * len(names), []
    for start in range(0, len(names), step):
        stop = min(len(names), start + step)
        cols = leaders + list(range(start, stop))
        sims = cosines(matrix.rows(start, stop), matrix.take(cols))
        for i in range(start, stop):
            at, end = sims.indptr[i - start], sims.indptr[i - start + 1]
            best, best_sim = -1, threshold
            for c, s in zip(sims.indices[at:end].tolist(), sims.data[at:end]):
                j = cols[c]
                if j < i and leader_of[j] == j and s >= best_sim and _compatible(dims[i], dims[j]):
                    if s > best_sim or best < 0 or j < best:
                        best, best_sim = j, s
            leader_of[i] = best if best >= 0 else i
            if best < 0:
                leaders.append(i)
    return {names[i]: names[leader_of[i]] for i in range(len(names))}


def _corpus_keys(corpus_scan):
    from collections import Counter

    count: Counter = Counter()
    dims: dict = {}
    for r in printed_rows(corpus_scan.indicators):
        count[r.key] += 1
        dims.setdefault(r.key, r.dim)
    return [(key, n, dims[key]) for key, n in count.items()]


# two leaders a key is exactly as near to (甲 and 乙 in one name each: the same weights), of
# dimensions that keep them apart (so the second does not join the first): it joins the earlier
_TIE = [("红色苹果采购甲", 3, "money"), ("红色苹果采购乙", 3, "count"), ("红色苹果采购", 1, None)]


@pytest.mark.parametrize("chunk, pairs", [(2048, 1 << 16), (7, 50)])
def test_clustering_against_candidate_leaders_gives_the_families_of_every_key(monkeypatch, corpus_scan, chunk, pairs):
    """cluster_keys compares each key only with the leaders its prefix index finds (and its
    step's keys so found), not every key before it (1.4 GiB and ~17 CPU s at 13,000 distinct
    names) nor every leader before it (issue 13's ninth round: quadratic in the leaders): the same
    families, on the names of corpora/ with their counts and dimensions, in steps as large as the
    module's and as small as 7 keys (or fewer pairs than one key finds)."""
    from kpiscan.practice import families
    from kpiscan.practice.families import SIMILARITY, cluster_keys

    keys = _corpus_keys(corpus_scan)
    assert len(keys) > 100
    monkeypatch.setattr(families, "CLUSTER_CHUNK", chunk)
    monkeypatch.setattr(families, "CLUSTER_MIN", min(chunk, families.CLUSTER_MIN))
    monkeypatch.setattr(families, "CLUSTER_PAIRS", pairs)
    got = cluster_keys(keys, SIMILARITY)
    assert got == _cluster_against_every_key(keys, SIMILARITY)
    assert len(set(got.values())) < len(got)  # some keys joined a leader


@pytest.fixture(scope="module")
def varied_keys(corpus_scan):
    """4,000 names made from corpora/'s (bench/bench_cluster.py: prefixes, a character replaced,
    suffixes), with the tie above."""
    from bench_cluster import varied_keys

    return varied_keys(_corpus_keys(corpus_scan), 4000, seed=3) + _TIE


def test_clustering_of_varied_names_is_that_against_every_leader(varied_keys):
    """On 4,000 varied names, at SIMILARITY, lower and higher thresholds and at thresholds equal
    to the float32 cosine of some (key, leader) pair (a pair exactly at the threshold: joined when
    it is the nearest), cluster_keys gives the families of each key against every leader before
    it; the tie goes to the leader first in order (most frequent, then by key)."""
    import numpy as np

    from kpiscan.practice.families import SIMILARITY, cluster_keys, cosines, vectoriser

    names = [k[0] for k in sorted(varied_keys, key=lambda k: (-k[1], k[0]))]
    matrix = vectoriser().fit_transform(names)
    sims = cosines(matrix.rows(0, 300), matrix.rows(0, 300)).data
    exact = [float(sims[np.argmin(np.abs(sims - t))]) for t in (0.4, 0.55)]  # values as float32 sums
    for threshold in (SIMILARITY, 0.25, 0.7, *exact):
        want = _cluster_against_every_leader(varied_keys, threshold)
        assert cluster_keys(varied_keys, threshold) == want
        assert 200 < len(set(want.values())) < len(want) - 200
    got = cluster_keys(varied_keys, SIMILARITY)
    assert got["红色苹果采购"] == "红色苹果采购乙" and got["红色苹果采购甲"] == "红色苹果采购甲"  # 乙 < 甲
    assert cluster_keys([(k, n, d) for k, n, d in varied_keys if not k.endswith("乙")])["红色苹果采购"] == "红色苹果采购甲"


def test_a_prefix_bound_too_tight_drops_pairs(monkeypatch, varied_keys):
    """The index holds a leader's entries whose tail norm reaches the threshold (less
    CLUSTER_SLACK); holding fewer (a slack of -0.1: entries whose tail is below the threshold +
    0.1 left out, and keys looked up only for leaders whose tails make 0.1 more) loses pairs at
    or above the threshold, and other families come out (23 of these keys'; none at -0.05: the
    bound is seldom tight at a key's nearest leader): the comparison above would catch a bound
    that is wrong."""
    from kpiscan.practice import families
    from kpiscan.practice.families import SIMILARITY, cluster_keys

    want = _cluster_against_every_leader(varied_keys, SIMILARITY)
    monkeypatch.setattr(families, "CLUSTER_SLACK", -0.1)
    assert cluster_keys(varied_keys, SIMILARITY) != want


def test_cosine_is_at_most_the_product_of_tail_norms_at_the_first_shared_gram(varied_keys):
    """The bounds the index rests on (families.py, above CLUSTER_CHUNK): with grams in
    _gram_tails' order, two rows' cosine is at most the product of their tail norms at the first
    gram they share, and at most their weights' product there plus the product of the norms
    after it, on 600 x 600 of the varied names; and the bounds are near for some pairs (no
    looser than they need to be for the index to find them)."""
    import numpy as np

    from kpiscan.practice.families import _gram_tails, cosines, vectoriser

    matrix = vectoriser().fit_transform([k[0] for k in varied_keys])
    indptr, ranks, tails, weights, nexts = _gram_tails(matrix, 0.0)  # every entry, rarest gram first
    sims = cosines(matrix.rows(0, 600), matrix.rows(0, 600))
    tight = [0, 0]

    def entries(i):
        at = slice(indptr[i], indptr[i + 1])
        return {r: (t, w, n) for r, t, w, n in zip(ranks[at].tolist(), tails[at].tolist(), weights[at].tolist(), nexts[at].tolist())}

    for i in range(600):
        mine = entries(i)
        for j, s in zip(sims.indices[sims.indptr[i]:sims.indptr[i + 1]].tolist(), sims.data[sims.indptr[i]:sims.indptr[i + 1]]):
            theirs = entries(j)
            (a, x, m), (b, y, n) = mine[first := min(set(mine) & set(theirs))], theirs[first]
            assert s <= a * b + 1e-6 and s <= x * y + m * n + 1e-6
            tight[0] += i != j and a * b - s < 0.01
            tight[1] += i != j and x * y + m * n - s < 0.01
    assert min(tight) > 10
    assert np.allclose(tails[indptr[:-1][np.diff(indptr) > 0]], 1.0, atol=1e-6)  # a row's first tail: its norm


def test_pair_cosines_are_cosines_to_the_bit(varied_keys):
    """pair_cosines (row against row for given pairs) gives the float32 sums `cosines` gives for
    the same rows, to the bit, 0 for pairs sharing no gram."""
    import random

    import numpy as np

    from kpiscan.practice.families import cosines, pair_cosines, vectoriser

    matrix = vectoriser().fit_transform([k[0] for k in varied_keys] + [""])
    rng = random.Random(4)
    rows = [rng.randrange(matrix.shape[0]) for _ in range(3000)] + [matrix.shape[0] - 1, 0]
    cols = [rng.randrange(matrix.shape[0]) for _ in range(3000)] + [0, matrix.shape[0] - 1]
    got = pair_cosines(matrix, rows, cols)
    full = cosines(matrix.take(sorted(set(rows))), matrix.take(sorted(set(cols)))).toarray()
    at_row, at_col = {r: k for k, r in enumerate(sorted(set(rows)))}, {c: k for k, c in enumerate(sorted(set(cols)))}
    want = np.asarray([full[at_row[r], at_col[c]] for r, c in zip(rows, cols)], dtype=np.float32)
    assert got.dtype == np.float32 and got.tobytes() == want.tobytes()
    assert (got == 0).sum() > 100 and (got > 0).sum() > 100
    assert len(pair_cosines(matrix, [], [])) == 0


def test_quantiles_of_lists_of_one_length_together_are_each_list_alone(corpus_scan):
    """families.quantiles_of (the lists of one length in one np.quantile along axis 1) gives each
    list's np.quantile(numbers, QUANTILES).round(4) to the bit: corpora/'s family-units' target
    numbers, and random lists of many lengths with repeats (None for an empty list)."""
    import random
    from collections import defaultdict

    import numpy as np

    from kpiscan.practice.families import QUANTILES, quantiles_of

    by_unit: dict = defaultdict(list)
    for r in printed_rows(corpus_scan.indicators):
        if r.number is not None:
            by_unit[(r.level2, r.key, r.unit)].append(r.number)
    rng = random.Random(7)
    groups = [*by_unit.values(), []]
    for n in [*range(1, 12), 40, 201, 300]:
        for _ in range(5):
            groups.append([rng.choice((rng.uniform(-1e6, 1e6), float(rng.randint(0, 100)), 95.0, 0.1)) for _ in range(n)])
    rng.shuffle(groups)
    alone = [np.quantile(g, QUANTILES).round(4).tolist() if g else [None] * len(QUANTILES) for g in groups]
    assert repr(quantiles_of(groups)) == repr(alone)


def test_peer_values_by_bisection_are_the_values_less_the_own_one(corpus_scan):
    """peers.peer_values finds the row's own value by bisection: the same values and peer count
    as a copy of the library's values with the first equal one removed (list.remove), for every
    printed row of corpora/ against its own library (which holds every document)."""
    from kpiscan.practice.peers import peer_values

    rows = printed_rows(corpus_scan.indicators)
    lib = build_library(corpus_scan.indicators)
    compared = removed = 0
    for r in rows:
        fam = lib.family_of_row(r)
        stats = lib.stats(fam, r.unit) if fam and r.number is not None else None
        if stats is None:
            continue
        plain = list(lib.values_of(fam, r.unit))
        n = int(stats["n_targets"])
        if r.doc in lib.docs and r.number in plain:
            plain.remove(r.number)
            n -= 1
            removed += 1
        values, peers = peer_values(r, stats, lib, fam)
        assert (list(values), peers) == (plain, n)
        compared += 1
    assert compared > 500 and removed > 500
