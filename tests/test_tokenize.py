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


def test_jieba_shelf_is_jiebas_own_dictionary(tmp_path, monkeypatch):
    """The shelf of jieba's prefix dictionary (grouped by first two characters, read as texts need
    it) holds exactly what jieba's initialize builds: written by a first load, read by the next
    with no jieba load; a segmenter reading it holds jieba's entries of the characters and pairs
    of adjacent characters of the texts it cut, all of them once every group is read; a cut-short
    shelf, or a bad group in a whole one, falls back to jieba's own load."""
    import jieba

    from kpiscan import tokenize

    monkeypatch.setattr(tokenize.tempfile, "gettempdir", lambda: str(tmp_path))
    own = jieba.Tokenizer()
    own.initialize()
    first = tokenize._open_shelf()  # no shelf yet: jieba loads the dictionary, the shelf is written
    path = tokenize._shelf_path()
    assert not isinstance(first, tokenize.Shelf) and first.FREQ == own.FREQ
    assert path.parent == tmp_path and path.is_file()
    with monkeypatch.context() as m:
        m.setattr(jieba.Tokenizer, "initialize", lambda self, dictionary=None: (_ for _ in ()).throw(AssertionError("jieba asked")))
        shelf = tokenize._open_shelf()  # read from the shelf alone
        assert isinstance(shelf, tokenize.Shelf) and shelf.total == own.total
        lazy = tokenize.Segmenter(shelf)
        text = "年度绩效目标完成率达到95%以上的项目数量"
        assert list(lazy.cut(text)) == list(own.cut(text))
        pairs = {text[k : k + 2] for k in range(len(text) - 1)}
        wanted = {w: f for w, f in own.FREQ.items() if (w in text and len(w) == 1) or w[:2] in pairs}
        assert lazy.FREQ == wanted and lazy.total == own.total  # its characters' and pairs' entries
        lazy.need_all()
        assert lazy.FREQ == own.FREQ
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut short
    again = tokenize._open_shelf()
    assert not isinstance(again, tokenize.Shelf) and again.FREQ == own.FREQ and path.read_bytes() == data
    start = len(data) - 1000  # inside the groups: the last one's bytes garbled, the file's length kept
    path.write_bytes(data[:start] + bytes(1000))
    broken = tokenize.Segmenter(tokenize._open_shelf())
    broken.need(text)
    broken.need_all()
    assert broken._shelf is None and broken.FREQ == own.FREQ  # the garbled group sent it to jieba


def test_segmenter_cuts_as_jieba_with_the_user_words(tmp_path, monkeypatch):
    """The segmenter (shelf read as needed, user words added) cuts every gold name and value as a
    jieba Tokenizer loaded whole with the same user words does, with and without the HMM."""
    import json
    from pathlib import Path

    import jieba

    from kpiscan import tokenize

    plain = jieba.Tokenizer()
    plain.initialize()
    for word in tokenize.user_words():
        plain.add_word(word, freq=plain.suggest_freq(word, tune=False))
    texts = set()
    for gold in sorted((Path(__file__).resolve().parents[1] / "corpora" / "gold").glob("*.jsonl")):
        for line in gold.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.update((record["name"], record["value"], record["name"] + record["value"]))
    assert len(texts) > 1000
    ours = tokenize.segmenter()
    for text in sorted(texts):
        for hmm in (True, False):
            assert list(ours.cut(text, HMM=hmm)) == list(plain.cut(text, HMM=hmm)), text
    assert ours.total == plain.total


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


def test_user_word_frequencies_kept_beside_the_shelf_make_the_same_segmenter(tmp_path, monkeypatch):
    """The first process over a shelf adds the user words with jieba's suggest_freq and keeps the
    frequencies in a file beside the shelf; the next adds them from the file: the same prefix
    dictionary, total, entries read and cuts. A cut-short, foreign or stale file is not used
    (suggest_freq again, the file written again)."""
    import marshal

    from kpiscan import tokenize

    monkeypatch.setattr(tokenize.tempfile, "gettempdir", lambda: str(tmp_path))
    tokenize._open_shelf()  # the shelf written (jieba's own load)
    suggested: list[str] = []
    real = tokenize.Segmenter.suggest_freq

    def counting(self, segment, tune=False):
        suggested.append(segment)
        return real(self, segment, tune)

    monkeypatch.setattr(tokenize.Segmenter, "suggest_freq", counting)

    def built():
        tokenize.segmenter.cache_clear()
        try:
            return tokenize.segmenter()
        finally:
            tokenize.segmenter.cache_clear()

    words = tokenize.user_words()
    first = built()
    assert suggested == words  # no file yet: each word's frequency suggested, then kept
    path = tokenize._user_freqs_path(first._shelf, words)
    assert path.parent == tmp_path and marshal.loads(path.read_bytes()) == [first.FREQ[w] for w in words]
    made = (dict(first.FREQ), first.total, set(first._loaded))
    suggested.clear()
    second = built()
    assert suggested == []  # read from the file
    assert (second.FREQ, second.total, second._loaded) == made
    text = "项目完成率达到100%，群众满意度不低于95%，按时完成绩效目标"
    for hmm in (True, False):
        assert list(second.cut(text, HMM=hmm)) == list(first.cut(text, HMM=hmm))
    kept = path.read_bytes()
    for bad in (kept[:-3], marshal.dumps([1, 2, 3]), marshal.dumps(["x"] * len(words)), b"junk"):
        path.write_bytes(bad)
        suggested.clear()
        again = built()
        assert suggested == words and (again.FREQ, again.total, again._loaded) == made and path.read_bytes() == kept
    assert tokenize._user_freqs_path(first._shelf, words[::-1]) != path  # other words: another file
