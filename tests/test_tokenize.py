"""The jieba + spaCy zh pipeline: user words stay whole, value spans carry their Target."""
from __future__ import annotations

from kpiscan.tokenize import get_nlp, parse_doc, tokens, user_words


def test_user_dictionary_comes_from_the_lexicons():
    words = set(user_words())
    assert {"数量指标", "不少于", "平方米", "及时", "上半年", "服务对象满意度"} <= words


def test_indicator_words_stay_whole():
    assert tokens("服务对象满意度≥95%")[0] == "服务对象满意度"
    assert "群众满意度" in tokens("群众满意度达到90%以上")
    assert "不少于" in tokens("引进工业类项目不少于6亿元")
    assert "验收合格率" in tokens("项目验收合格率100%")


def test_tokens_drop_whitespace():
    assert tokens("及时 完成") == ["及时", "完成"]


def test_pipeline_tokenizes_with_jieba():
    doc = get_nlp()("服务对象满意度≥95%")
    assert doc[0].text == "服务对象满意度"
    assert "".join(t.text_with_ws for t in doc) == "服务对象满意度≥95%"


def test_value_spans_carry_targets():
    doc = parse_doc("引进工业类项目不少于6亿元，群众满意度达到90%以上，7月底前完成支付工作", year=2024)
    spans = doc.spans["values"]
    assert [s.text for s in spans] == ["不少于6亿元", "达到90%以上", "7月底前完成"]
    first, second, third = (s._.target for s in spans)
    assert (first.op, first.value, first.unit) == (">=", 600000000.0, "元")
    assert (second.op, second.value, second.unit) == (">=", 90.0, "%")
    assert (third.kind, third.date) == ("deadline", "2024-07")
    assert all(s.label_ == "VALUE" for s in spans)


def test_value_span_with_spaces_maps_back_to_the_text():
    doc = get_nlp()("受益人数≥ 1,500 人")
    (span,) = doc.spans["values"]
    assert span.text == "≥ 1,500 人"
    assert (span._.target.value, span._.target.unit) == (1500.0, "人")


def test_qualitative_text_has_no_value_span():
    assert list(get_nlp()("社会效益明显提升").spans["values"]) == []


def test_jieba_dictionary_copy_is_jiebas_own(tmp_path, monkeypatch):
    """The JSON copy of jieba's prefix dictionary (read ~4x faster than jieba's marshal cache)
    holds exactly what jieba's initialize builds, written by a first load and read by the next;
    a corrupt copy falls back to jieba."""
    import jieba

    from kpiscan import tokenize

    monkeypatch.setattr(tokenize.tempfile, "gettempdir", lambda: str(tmp_path))
    own = jieba.Tokenizer()
    own.initialize()
    first, second = jieba.Tokenizer(), jieba.Tokenizer()
    tokenize._load_dictionary(first)  # no copy yet: jieba loads it, the copy is written
    copy = tokenize._dictionary_copy()
    assert copy.parent == tmp_path and copy.is_file()
    monkeypatch.setattr(jieba.Tokenizer, "initialize", lambda self, dictionary=None: (_ for _ in ()).throw(AssertionError("jieba asked")))
    tokenize._load_dictionary(second)  # read from the copy alone
    assert first.FREQ == second.FREQ == own.FREQ and first.total == second.total == own.total
    text = "年度绩效目标完成率达到95%以上的项目数量"
    assert list(second.cut(text)) == list(own.cut(text))
    monkeypatch.undo()
    monkeypatch.setattr(tokenize.tempfile, "gettempdir", lambda: str(tmp_path))
    copy.write_bytes(b"[1, {")  # cut short
    third = jieba.Tokenizer()
    tokenize._load_dictionary(third)
    assert third.FREQ == own.FREQ


def test_jieba_is_imported_without_pkg_resources_and_reads_its_dictionary_by_path():
    # a fresh process: kpiscan.tokenize imports jieba with pkg_resources kept out (its import costs
    # ~0.2 s of every scan's CPU); jieba then opens its own dictionary by path, the same bytes as
    # the file, its initialize builds the same prefix dictionary as one loaded with pkg_resources
    # imported, and pkg_resources is importable afterwards as ever
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kpiscan import tokenize\n"
        "assert 'pkg_resources' not in sys.modules, 'pkg_resources imported'\n"
        "import jieba, jieba._compat, os\n"
        "data = jieba._compat.get_module_res(jieba.DEFAULT_DICT_NAME).read()\n"
        "assert data == open(os.path.join(os.path.dirname(jieba.__file__), jieba.DEFAULT_DICT_NAME), 'rb').read()\n"
        "own = jieba.Tokenizer(); own.initialize()\n"
        "import pkg_resources\n"
        "stream = pkg_resources.resource_stream('jieba', jieba.DEFAULT_DICT_NAME).read()\n"
        "assert stream == data\n"
        "print(own.total, len(own.FREQ))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    total, words = int(out[0]), int(out[1])
    assert total > 10**7 and words > 300_000
