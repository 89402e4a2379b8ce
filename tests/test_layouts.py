"""Golden tests of the table layouts of other regions: tests/fixtures/layouts/<name>/.

Each fixture holds input.txt (tab-separated cells, as the text reader reads a PDF-to-text conversion),
expected.jsonl (the records a careful reader writes down) and SOURCE (where its rows come from). Each
is scanned as printed, as markdown pipes and as GB18030 bytes; the records must match exactly
(F1 1.000 on (period, project, name, value), level2 and level1 right on every match, and the optional
fields the expected record names: name_raw, weight, direction, standard). A fixture may list the
problems it expects in problems.txt (one substring a line); otherwise it must scan without problems.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpiscan.evaluate import record_key, score
from kpiscan.pipeline import scan_file

FIXTURES = Path(__file__).parent / "fixtures" / "layouts"
NAMES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.txt").exists())
FLAVOURS = ("tsv", "markdown", "gb18030")


def as_markdown(text: str) -> str:
    return "\n".join("| " + " | ".join(line.split("\t")) + " |" if "\t" in line else line for line in text.split("\n"))


def flavoured(name: str, flavour: str, tmp: Path) -> Path:
    source = FIXTURES / name / "input.txt"
    if flavour == "tsv":
        return source
    text = source.read_text(encoding="utf-8")
    out = tmp / f"{name}.{'md' if flavour == 'markdown' else 'txt'}"
    if flavour == "markdown":
        out.write_text(as_markdown(text), encoding="utf-8")
    else:
        out.write_bytes(text.encode("gb18030"))
    return out


def expected(name: str) -> list[dict]:
    lines = (FIXTURES / name / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def fixture_figures(name: str, path: Path | None = None) -> dict:
    """Records, F1 and level2 accuracy of one fixture (also printed by the report script)."""
    result = scan_file(path or FIXTURES / name / "input.txt", classify=False)
    gold = [dict(r, doc="fixture") for r in expected(name)]
    got = [dict(r.to_dict(), doc="fixture") for r in result.indicators]
    (s,) = score(gold, got) or [None]
    return {"result": result, "gold": gold, "got": got, "score": s}


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("name", NAMES)
def test_layout_fixture(name, flavour, tmp_path):
    figures = fixture_figures(name, flavoured(name, flavour, tmp_path))
    result, gold, got, s = figures["result"], figures["gold"], figures["got"], figures["score"]
    wanted = (FIXTURES / name / "problems.txt")
    wanted_problems = wanted.read_text(encoding="utf-8").split("\n") if wanted.exists() else []
    problems = [str(p) for p in result.problems]
    assert len(problems) == len([w for w in wanted_problems if w.strip()]), problems
    for w in filter(str.strip, wanted_problems):
        assert any(w in p for p in problems), (w, problems)
    assert s.f1 == 1.0, (s.missed, s.spurious)
    assert s.level2_accuracy == 1.0
    by_key = {record_key(r): r for r in got}
    for want in gold:
        have = by_key[record_key(want)]
        for field in ("level1", "level2", "name_raw", "weight", "direction", "standard"):
            if field in want:
                assert have[field] == want[field], (field, want, have)
        assert have["level2_source"] in ("printed", "inherited", "meaning")


def test_every_row_of_a_fixture_is_a_record_or_unparsed():
    """Nothing in a table is dropped silently: each body line with text that is neither a caption
    row, a label-only row nor a block caption gives a record or an unparsed record."""
    from kpiscan.layout import is_indicator_header, level1_of, level2_of, norm
    from kpiscan.templates import block_words

    for name in NAMES:
        result = scan_file(FIXTURES / name / "input.txt", classify=False)
        lines = {i.line for i in result.indicators} | {u.line for u in result.unparsed}
        for table in result.tables:
            for line in table.body:
                cells = [c for c in line.cells if c]
                if not cells or is_indicator_header(cells):
                    continue
                if all(level1_of(c) or level2_of(c) or norm(c) in block_words() for c in cells):
                    continue
                assert line.number in lines, (name, line.number, line.text)


def test_unfilled_template_rows_and_subtotals_are_unparsed_not_records():
    result = scan_file(FIXTURES / "header_variants" / "input.txt", classify=False)
    assert sorted(u.reason for u in result.unparsed) == ["unfilled-template"] * 3
    flat = scan_file(FIXTURES / "flat_export" / "input.txt", classify=False)
    assert sorted(u.reason for u in flat.unparsed if u.reason != "unplaced-cell") == ["subtotal", "subtotal"]
    # a project's own cells (unit, budget, goal) are kept; its name and the captions are placed
    kept = {u.text for u in flat.unparsed if u.reason == "unplaced-cell"}
    assert not kept & ({i.project for i in flat.indicators} | {"预算数", "项目名称", "单位名称"})
    assert {"350.00", "保障校园安全"} <= kept


def test_layout_no_template_knows_is_read_and_reported(tmp_path):
    """Captions no template knows: the generic reader still gives the records, and one problem names
    the file and the line of the caption row."""
    text = (
        "XX县项目支出绩效目标表\n项目名称\t桥梁检测\n主管部门\tXX县交通局\n"
        "一级指标\t二级指标\t三级指标\t指标值\t责任科室\n"
        "产出指标\t数量指标\t检测桥梁座数\t≥12座\t养护科\n"
    )
    f = tmp_path / "unknown.txt"
    f.write_text(text, encoding="utf-8")
    result = scan_file(f, classify=False)
    assert [(i.name, i.value) for i in result.indicators] == [("检测桥梁座数", "≥12座")]
    (problem,) = result.problems
    assert "layout-unknown" in str(problem) and "责任科室" in str(problem) and problem.line == 4


def test_title_without_table_and_half_recognised_table_say_where(tmp_path):
    f = tmp_path / "title_only.txt"
    f.write_text("一、部门概况\nXX县项目支出绩效目标表\n（无）\n", encoding="utf-8")
    (problem,) = scan_file(f, classify=False).problems
    assert problem.line == 2 and "0 records" in str(problem)
    g = tmp_path / "captions_only.txt"
    g.write_text("XX县项目支出绩效目标表\n一级指标\t二级指标\t三级指标\t指标值\n孤立的一段文字\t\t\n", encoding="utf-8")
    result = scan_file(g, classify=False)
    assert [p.line for p in result.problems] == [2] and "half-recognised" in str(result.problems[0])
    assert [u.text for u in result.unparsed] == ["孤立的一段文字"]


def test_template_files_are_well_formed():
    """Every template file loads (known layout, known roles), lists each caption once, and can read
    a name (or a 二级 column holding it) and a value."""
    from kpiscan import lexicon
    from kpiscan.templates import templates

    loaded = templates()
    assert {t.name for t in loaded} >= {"side_by_side", "single", "stacked", "extra_columns", "two_level", "flat_export"}
    for t in loaded:
        rows = [r for r in lexicon.table(f"templates/{t.name}.tsv") if r["what"] == "caption"]
        captions = [r["text"] for r in rows]
        assert len(captions) == len(set(captions)), t.name
        roles = set(t.captions.values())
        assert "name" in roles and roles & {"value", "value-number"}, t.name
        assert (t.layout == "stacked") == bool(t.blocks), t.name
