"""Category by meaning (issue 12): the level2 model, the post-extraction pass and the review's
category-mismatch finding."""
from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np

from kpiscan.classify import category
from kpiscan.model import Indicator, Line, TableBlock
from kpiscan.review import review_table, rules
from kpiscan.values import parse_value

FIXTURE = Path(__file__).parent / "fixtures" / "category_mismatch.tsv"
HEADER = ("绩效指标", "一级指标", "二级指标", "三级指标", "指标值", "二级指标", "三级指标", "指标值")


def block(rows: list[tuple[str, ...]], first: int = 20) -> TableBlock:
    """A two-half table whose body is the header then `rows` (cells), numbered from `first`."""
    body = [Line(first - 1, "\t".join(HEADER), HEADER)]
    body += [Line(first + k, "\t".join(cells), cells) for k, cells in enumerate(rows)]
    return TableBlock(doc="t.txt", index=1, line=1, kind="project", title="项目支出绩效目标表", body=body, year=2025)


def record(line: int, level1: str, level2: str, name: str, value: str, period: str = "implementation") -> Indicator:
    return Indicator(doc="t.txt", table=1, table_line=1, kind="project", project="p", period=period, level1=level1,
                     level2=level2, name=name, value=value, line=line, target=parse_value(value, 2025))


def test_model_gives_a_distribution_over_the_categories():
    model = category.load_category_model()
    items = [category.item_of("设备采购完成时间", "2025年6月底前"), category.item_of("群众满意度", "≥90%")]
    p = model.proba(items)
    assert p.shape == (2, len(model.classes)) and np.allclose(p.sum(axis=1), 1.0)
    assert [model.classes[j] for j in p.argmax(axis=1)] == ["时效指标", "服务对象满意度指标"]


def test_clean_print_wins():
    rows = [("", "产出指标", "数量指标", "培训人数", "≥200人", "数量指标", "培训人数", "≥200人"),
            ("", "", "时效指标", "培训完成时间", "2025年9月底前", "时效指标", "培训完成时间", "2025年9月底前"),
            ("", "", "成本指标", "培训费用", "≤8万元", "成本指标", "培训费用", "≤8万元")]
    inds = [record(20 + k, "产出指标", r[2], r[3], r[4], h) for k, r in enumerate(rows) for h in ("implementation", "annual")]
    assert category.reassign_level2(inds, [block(rows)]) == inds


def test_a_deadline_under_cost_goes_to_time_and_the_input_is_not_modified():
    rows = [("", "产出指标", "时效指标", "资金拨付时间", "2025年6月底前", "", "", ""),
            ("", "", "成本指标", "设备验收时间", "2025年10月底前", "", "", ""),
            ("", "", "", "设备购置成本", "≤20万元", "", "", "")]
    inds = [record(20, "产出指标", "时效指标", "资金拨付时间", "2025年6月底前"),
            record(21, "产出指标", "成本指标", "设备验收时间", "2025年10月底前"),
            record(22, "产出指标", "成本指标", "设备购置成本", "≤20万元")]
    before = [i.to_dict() for i in inds]
    out, done = category.moves(inds, [block(rows)])
    assert [i.to_dict() for i in inds] == before
    assert [(m.index, m.rule, m.after) for m in done] == [(1, "label-contradicts-value", "时效指标")]
    assert [i.level2 for i in out] == ["时效指标", "时效指标", "成本指标"]
    assert out[1].level2_source == "meaning" and out[0].level2_source == inds[0].level2_source


def test_labels_dumped_on_one_row_the_row_takes_the_one_its_meaning_supports():
    # "效益指标 | 经济效益 | | 社会效益 | 群众满意度 | ≥95%" shape: three labels printed on one row of
    # a two-half table; the row's own category is among them
    rows = [("效益指标", "经济效益指标", "", "生态效益指标", "", "社会效益指标", "带动就业人数", "≥30人")]
    inds = [record(20, "效益指标", "经济效益指标", "带动就业人数", "≥30人", "annual")]
    out, done = category.moves(inds, [block(rows)])
    assert [m.rule for m in done] == ["labels-dumped-on-row"]
    assert out[0].level2 == "社会效益指标"


def test_a_label_standing_in_the_level1_column_is_not_trusted():
    rows = [("", "产出指标", "质量指标", "验收合格率", "100%", "", "", ""),
            ("", "成本指标", "设备安装验收", "合格", "", "", "", ""),
            ("", "", "时效指标", "完成时间", "2025年12月底前", "", "", "")]
    inds = [record(20, "产出指标", "质量指标", "验收合格率", "100%"),
            record(21, "产出指标", "成本指标", "设备安装验收", "合格"),
            record(22, "产出指标", "时效指标", "完成时间", "2025年12月底前")]
    out, done = category.moves(inds, [block(rows)])
    assert [(m.rule, m.after) for m in done] == [("label-out-of-column", "质量指标")]


def _hand_set() -> list[dict[str, str]]:
    with FIXTURE.open(encoding="utf-8") as fh:
        return list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))


def test_category_mismatch_precision_on_the_hand_labelled_set():
    rows = _hand_set()
    found = category.suggest([(record(1, "", r["level2"], r["name"], r["value"]),
                               parse_value(r["value"], 2025)) for r in rows])
    flagged = [(r, hit) for r, hit in zip(rows, found) if hit is not None]
    right = [r for r, hit in flagged if r["mismatch"] == "yes" and hit[0] == r["belongs"]]
    precision = len(right) / len(flagged)
    recall = len(right) / sum(r["mismatch"] == "yes" for r in rows)
    assert precision >= 0.9 and recall >= 0.8, (precision, recall)


def test_category_mismatch_is_a_table_driven_finding():
    rule = rules()["category-mismatch"]
    assert rule.criterion == "相关性/明确性"
    t = block([])
    t.funds = {}
    inds = [record(30, "产出指标", "成本指标", "设备采购完成时间", "2025年6月底前")]
    (finding,) = [f for f in review_table(t, inds) if f.code == "category-mismatch"]
    assert "时效指标" in finding.message and finding.lines == [30]
    moved = [dataclasses.replace(inds[0], level2_source="meaning")]
    assert not [f for f in review_table(t, moved) if f.code == "category-mismatch"]


def test_a_scan_without_the_classifier_stays_light():
    """The meaning pass runs on every scan; on corpora/ some rows are suspect, so the category model
    loads, but jieba's dictionary does not (it costs each worker process about a second)."""
    import subprocess
    import sys

    corpus = Path(__file__).resolve().parents[1] / "corpora"
    code = (
        "import sys\n"
        "from kpiscan.pipeline import scan\n"
        f"result = scan({str(corpus)!r}, classify=False)\n"
        "assert any(i.level2_source == 'meaning' for i in result.indicators)\n"
        "tok = sys.modules.get('kpiscan.tokenize')\n"
        "assert tok is None or tok.segmenter.cache_info().currsize == 0, 'jieba dictionary loaded'\n"
        "assert not [m for m in ('sklearn', 'scipy') if m in sys.modules]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_suspect_row_memo_gives_the_same_moves_and_probabilities_as_scoring_afresh(monkeypatch):
    # every table of the corpus through the pass with the memo on (twice: the second pass answered
    # from it) and off: the same records and moves, the probabilities equal to the bit
    from kpiscan.pipeline import read_document, scan_document

    corpus = Path(__file__).resolve().parents[1] / "corpora"
    docs = [scan_document(read_document(p), classify=False, by_meaning=False) for p in sorted(corpus.glob("*.txt"))]
    category.PROBA_MEMO.clear()
    on = [category.moves(d.indicators, d.tables) for d in docs]
    hits, misses = category.PROBA_MEMO.hits, category.PROBA_MEMO.misses
    again = [category.moves(d.indicators, d.tables) for d in docs]
    monkeypatch.setenv("KPISCAN_CLASSIFY_MEMO", "0")
    off = [category.moves(d.indicators, d.tables) for d in docs]
    assert sum(len(done) for _, done in off) > 0  # the corpus has suspect rows that move
    # the corpus repeats suspect rows (hits in the first pass); the second pass is all hits
    assert hits > 0 and misses > 0
    assert category.PROBA_MEMO.misses == misses and category.PROBA_MEMO.hits == 2 * hits + misses
    for (a, ma), (b, mb), (c, mc) in zip(on, again, off):
        assert [i.to_dict() for i in a] == [i.to_dict() for i in b] == [i.to_dict() for i in c]
        assert ma == mb == mc


def test_category_word_features_test_only_the_words_a_text_can_hold():
    """_word_features tests a category word only when its first character is in the text, and
    category_features the kind and unit rows only: the same features, in the same order, as
    testing every row of category_words in turn (each field's own text), on the hand-labelled
    rows and words that start or end a text, sit inside it or are missing."""
    from kpiscan.classify.item import item_of
    from kpiscan.classify.terms import name_cues
    from kpiscan.layout import norm

    def every_word(name: str, value: str) -> list[tuple[str, float]]:  # the rule over every row
        out: dict[str, float] = {}
        for level2, field, word in category.category_words():
            text = norm(name) if field == "name" else norm(value) if field == "value" else None
            if text and word in text:
                out[f"{field}_word={word}"] = 1.0
                out[f"{field}_votes={level2}"] = out.get(f"{field}_votes={level2}", 0.0) + 1.0
        for cue in name_cues(name):
            out[f"cue={cue}"] = 1.0
        return list(out.items())

    words = [w for _, _, w in category.category_words()]
    texts = [(r["name"], r["value"]) for r in _hand_set()]
    texts += [(w + "完成率", "按时" + w) for w in words] + [("", ""), ("xyz", "12%")]
    for name, value in texts:
        category._word_features.cache_clear()
        assert list(category._word_features(name, value)) == every_word(name, value), (name, value)
        item = item_of(name, value or "1", None, None, parse_value(value or "1"))
        feats = category.category_features(item)
        t, votes = item.target, {}
        for level2, field, word in category.category_words():
            if (field == "kind" and word == t.kind) or (field == "unit" and word == category.unit_kind(t)):
                votes[f"{field}_votes={level2}"] = votes.get(f"{field}_votes={level2}", 0.0) + 1.0
        assert {k: v for k, v in feats.items() if k.startswith(("kind_votes=", "unit_votes="))} == votes
    assert sum(1 for name, value in texts if category._word_features(name, value)) > len(words)


def test_tfidf_entries_of_repeated_texts_are_each_texts_own():
    """A batch that repeats texts (a document's values) has each distinct text's entries made once
    and copied to its rows: the same (row, column, value) arrays, bit for bit, as the texts
    scored one at a time and as a batch without repeats, for both character blocks."""
    model = category.load_category_model().linear
    texts = ["≥95%", "100%", "按时完成", "≥95%", "", "按时完成", "新建道路12公里", "100%", "≥95%", "zz"]
    blocks = [b for b in model.blocks if b.kind == "tfidf"]
    assert len(blocks) == 2
    for block in blocks:
        rows, cols, data = block.entries(texts, model.words)
        assert len(np.unique(rows)) < len(rows)  # rows with several entries, texts repeated
        for k, text in enumerate(texts):
            one_rows, one_cols, one_data = block.entries([text], model.words)
            assert np.array_equal(one_rows, np.zeros(len(one_rows), dtype=one_rows.dtype))
            mine = rows == k
            assert np.array_equal(cols[mine], one_cols) and np.array_equal(data[mine], one_data)
            assert cols[mine].tobytes() == one_cols.tobytes() and data[mine].tobytes() == one_data.tobytes()
        once = list(dict.fromkeys(texts))
        d_rows, d_cols, d_data = block.entries(once, model.words)
        first = [texts.index(t) for t in once]
        assert [list(cols[rows == k]) for k in first] == [list(d_cols[d_rows == j]) for j in range(len(once))]
        assert np.all(np.diff(rows) >= 0)  # sorted by row (then column within a row, as before)
    proba = model.proba([category.item_of("指标", t) for t in texts])
    single = np.vstack([model.proba([category.item_of("指标", t)]) for t in texts])
    assert np.array_equal(proba, single)


def test_decision_adds_each_rows_products_in_block_and_column_order():
    """LinearModel.decision's sums (one-dimensional add.at over the flat (row, class) sums): for
    every row and class, 0 plus each block's entries' products in block order, then column
    order, one float64 addition after another, then the intercept: the oracle below adds them
    in Python floats in that order, and the batch gives the same bits."""
    from kpiscan.classify.item import item_of

    model = category.load_category_model().linear
    items = [item_of(name, value, None, None, parse_value(value, 2025))
             for name, value in [("培训人次", "≥500人次"), ("群众满意度", "≥95%"), ("完成时间", "2025年12月底前"),
                                 ("培训人次", "≥500人次"), ("道路维修长度", "12公里"), ("成本控制", "≤477.9万元")]]
    got = model.decision(items)
    inputs = {name: fn(items) for name, fn in model.inputs.items()}
    width = len(model.classes)
    for k in range(len(items)):
        sums = [0.0] * width
        for block in model.blocks:
            cols, vals = block.row(inputs[block.input][k], model.words)
            for col, val in zip(cols, vals):
                for c in range(width):
                    sums[c] += float(np.float64(val) * model.coef_t[col, c])
        want = np.array(sums) + model.intercept
        assert want.tobytes() == got[k].tobytes(), k
