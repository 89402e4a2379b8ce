"""What makes the value grammar cheap must not change a Target (issue 13)."""
from __future__ import annotations

from pathlib import Path

from kpiscan.values import parse_value
from kpiscan.values.grammar import _alternatives, compiled, fold
from kpiscan.values.parse import _matches

CORPUS = Path(__file__).resolve().parents[1] / "corpora"


def _form(groups: dict[str, str | None]) -> str:
    return next(name for name, _ in _alternatives() if groups.get(name) is not None)


def test_two_grammars_find_what_one_pattern_of_all_forms_finds():
    # every cell of the corpus's tables, and running text where relative and numbered forms meet
    texts = ["较上年增长5%，不低于上年", "与上年持平、每月1次、2024年底前", "高于全省平均水平5%", "同比下降10%以上"]
    for path in sorted(CORPUS.glob("*.txt")):
        texts += path.read_text(encoding="utf-8").splitlines()[::3]
    everything = compiled()  # the grammar of all forms, for reference
    for text in texts:
        folded = fold(text)
        want = [(m.span(), _form(m.groupdict()), m.groupdict()) for m in everything.pattern.finditer(folded)]
        got = [(m.span(), _form(m.groupdict()), m.groupdict()) for _, m in _matches(folded)]
        assert [(s, f) for s, f, _ in got] == [(s, f) for s, f, _ in want], text
        assert [{k: v for k, v in g.items() if v is not None} for _, _, g in got] == \
               [{k: v for k, v in g.items() if v is not None} for _, _, g in want], text


def test_every_form_reads_the_cycle_and_the_amount():
    # the `every` form writes its amount once: each of its branches still reads as before
    cases = {
        "每季度": ("frequency", None, None, []),
        "每月1次": ("frequency", 1.0, "次", ["月"]),
        "每年不少于2次": ("quantity", 2.0, "次", ["年"]),
        "每人500元": ("quantity", 500.0, "元", ["人"]),
        "每人每月500元": ("quantity", 500.0, "元", ["人", "月"]),
    }
    for text, (kind, value, unit, per) in cases.items():
        t = parse_value(text, 2024)
        assert (t.kind, t.value, t.unit, t.per) == (kind, value, unit, per), (text, t)


def test_value_memo_gives_the_same_targets_as_parsing_afresh_and_a_fresh_copy_each_call():
    from kpiscan.values import parse_value_memo
    from kpiscan.values.parse import _memo_parse

    # every tab-separated cell of the corpus, twice (the second pass is answered from the memo)
    cells = [c for path in sorted(CORPUS.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() for c in line.split("\t") if c.strip()]
    cells += ["1600人、200人", "本科500元/月、硕士2000元/月", "较上年增长5%"]
    _memo_parse.cache_clear()
    for year in (None, 2024):
        for _ in range(2):
            for text in cells:
                assert parse_value_memo(text, year) == parse_value(text, year), text
    assert _memo_parse.cache_info().hits >= len(cells)
    # a caller that changes its Target (or a list inside it) does not change the next caller's
    first = parse_value_memo("1600人、200人", 2024)
    first.unit, first.per, first.others[0].value = "x", ["y"], -1.0
    again = parse_value_memo("1600人、200人", 2024)
    assert again == parse_value("1600人、200人", 2024) and again.unit == "人" and again.others[0].value == 200.0
