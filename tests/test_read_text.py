"""The text reader on the flavours these conversions come in, and on bad input."""
import pytest

from kpiscan.errors import InputError
from kpiscan.read import read_document
from kpiscan.read.cells import merge_embedded, split_embedded
from kpiscan.read.text import split_cells

TABLE = "项目名称\t\t聘用律师费\n绩效指标\t一级指标\t二级指标\t三级指标\t指标值\n"


def codecs_bom_be(text: str) -> bytes:
    return b"\xfe\xff" + text.encode("utf-16-be")


def test_tabs_markdown_and_headings():
    assert split_cells("\t产出指标\t数量指标\t申报项目数量\t2个\t\t") == ("", "产出指标", "数量指标", "申报项目数量", "2个")
    assert split_cells("| | 数量指标 | 编报督查快报 | ≥50期 |") == ("", "数量指标", "编报督查快报", "≥50期")
    assert split_cells("|------|-------|--------|") == ()
    assert split_cells("## 侯马经济开发区预算部门（单位）项目支出绩效目标表") == ("侯马经济开发区预算部门（单位）项目支出绩效目标表",)


def test_html_in_cells_removed_and_embedded_copies_dropped():
    assert split_cells("部门职责\t<p>1、承担统筹协调</p> <p>2、依法</p>") == ("部门职责", "1、承担统筹协调 2、依法")
    # the embedded <td> pieces repeat the following cells: dropped
    row = "\t\t质量指标\t人员劳务费足额支付率\t100%\t质量指标 <td>人员劳务费足额支付率</td> <td>100%</td>\t人员劳务费足额支付率\t100%"
    assert split_cells(row) == ("", "", "质量指标", "人员劳务费足额支付率", "100%", "质量指标", "人员劳务费足额支付率", "100%")
    # embedded content found nowhere else is kept as cells of its own
    assert merge_embedded(["验收时间 <td>2025年10月</td>", ""]) == ["验收时间", "2025年10月", ""]
    assert split_embedded("<b>第一部分 概况</b>") == ("第一部分 概况", [])


def test_plain_lines_split_as_the_general_path_does():
    """split_cells' quick path (a line with no pipe, tag, entity, space run or control character
    splits into its stripped pieces) gives what merge_embedded gives for the same pieces."""
    import random

    from kpiscan.read.cells import clean_cell

    rng = random.Random(13)
    pieces = ["\t", " ", "  ", "指标", "≥95%", "<p>", "&amp;", "#", "## ", "\u3000", "\x0b", "a", ":", "|"]
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        if "|" in text or text.strip().startswith("#"):  # markdown rows and headings: tested above
            continue
        raw = text.split("\t") if "\t" in text else [text.strip()]
        want = [clean_cell(c) for c in raw] if "<" not in text else merge_embedded(raw)
        while want and not want[-1]:
            want.pop()
        assert split_cells(text) == tuple(want), repr(text)


def test_line_is_a_frozen_dataclass_whose_init_sets_every_field():
    import dataclasses
    import inspect

    from kpiscan.model import Line

    # Line.__init__ sets the slots itself: its parameters are the fields, in order, with their defaults
    params = list(inspect.signature(Line.__init__).parameters.values())[1:]
    fs = dataclasses.fields(Line)
    assert [p.name for p in params] == [f.name for f in fs]
    assert [p.default for p in params] == [inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fs]

    line = Line(7, "项目名称\t聘用律师费", ("项目名称", "聘用律师费"))
    same = Line(number=7, text="项目名称\t聘用律师费", cells=("项目名称", "聘用律师费"), page=None, confidence=None)
    assert line == same and hash(line) == hash(same) and (line.page, line.confidence) == (None, None)
    assert line != Line(7, "项目名称\t聘用律师费", ("项目名称", "聘用律师费"), page=2)
    assert dataclasses.replace(line, page=3) == Line(7, line.text, line.cells, 3)
    assert repr(Line(1, "a", ("a",), 2, 0.5)) == "Line(number=1, text='a', cells=('a',), page=2, confidence=0.5)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.number = 8  # type: ignore[misc]  # still frozen


@pytest.mark.parametrize(
    "data",
    [
        TABLE.encode("utf-8"),
        b"\xef\xbb\xbf" + TABLE.encode("utf-8"),
        TABLE.encode("gb18030"),
        TABLE.replace("\n", "\r\n").encode("utf-8"),
        TABLE.replace("\n", "\r").encode("utf-8"),
        TABLE.encode("utf-16"),  # with BOM
        TABLE.encode("utf-16-le"),
        TABLE.encode("utf-16-be"),
        TABLE.encode("utf-32"),
        TABLE.encode("utf-32-le"),
        TABLE.encode("utf-32-be"),
        codecs_bom_be(TABLE),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "crlf", "cr", "utf16-bom", "utf16le", "utf16be", "utf32-bom", "utf32le", "utf32be", "utf16be-bom"],
)
def test_encodings_and_line_ends(tmp_path, data):
    f = tmp_path / "doc.txt"
    f.write_bytes(data)
    doc = read_document(f)
    assert doc.lines[0].cells == ("项目名称", "", "聘用律师费")
    assert doc.lines[1].number == 2 and doc.lines[1].cells[-1] == "指标值"


def test_budget_year_from_title(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("晋城市人民政府办公室\n\n2023年度单位预算公开\n", encoding="utf-8")
    assert read_document(f).year == 2023


@pytest.mark.parametrize(
    "name,data,message,line",
    [
        ("empty.txt", b"", "empty file", None),
        ("blank.txt", b"\n \n", "empty file", None),
        ("binary.txt", b"abc\n\x00\x01\x02", "binary file", 2),
        ("archive.zip", b"PK\x03\x04", "unsupported file type", None),  # .png is read by OCR now
    ],
)
def test_bad_input_names_file_and_line(tmp_path, name, data, message, line):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_document(f)
    assert message in str(err.value)
    assert str(f) in str(err.value)
    assert err.value.line == line


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_document(tmp_path / "nope.txt")


def test_input_error_survives_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(InputError("a.txt", "empty file", 3)))
    assert (err.path, err.message, err.line, str(err)) == ("a.txt", "empty file", 3, "a.txt:3: empty file")


ROWS = ["项目名称\t\t聘用律师费", "绩效指标\t一级指标\t二级指标\t三级指标\t指标值", "\t产出指标\t数量指标\t委托代理费案件\t2件"]


@pytest.mark.parametrize(
    "encodings",
    [("utf-8", "gb18030", "utf-8"), ("gb18030", "utf-8", "gb18030"), ("gb18030", "gb18030", "utf-8")],
    ids=["gb-line-in-utf8", "utf8-line-in-gb", "utf8-last-line-in-gb"],
)
def test_mixed_encodings_read_line_by_line(tmp_path, encodings):
    f = tmp_path / "mixed.txt"
    f.write_bytes(b"\n".join(row.encode(enc) for row, enc in zip(ROWS, encodings)) + b"\n")
    doc = read_document(f)
    assert [line.text for line in doc.lines[:3]] == ROWS
    assert doc.encoding == "mixed (gb18030, utf-8)" and doc.notes == []


def test_undecodable_line_kept_as_a_note_with_its_line(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_bytes("项目名称\n指标值\n".encode("utf-8") + b"\xff\xfe\xfa\xfb\x81\n" + "满意度\n".encode("gb18030"))
    doc = read_document(f)
    assert [line.text for line in doc.lines][:2] == ["项目名称", "指标值"] and doc.lines[3].text == "满意度"
    assert [(n, reason) for n, reason, _ in doc.notes] == [(3, "undecodable-line")]
    assert "\ufffd" in doc.notes[0][2]


@pytest.mark.parametrize("enc", ["utf-8", "gb18030", "utf-16-le", "utf-32-be"])
def test_last_character_cut_off_is_dropped_with_a_note(tmp_path, enc):
    f = tmp_path / "cut.txt"
    data = (TABLE + "满意度").encode(enc)
    f.write_bytes(data[:-1])
    doc = read_document(f)
    assert doc.lines[0].cells == ("项目名称", "", "聘用律师费")
    assert doc.lines[-1].text == "满意"
    assert [(n, reason) for n, reason, _ in doc.notes] == [(3, "truncated-character")]


def test_over_long_line_kept_whole_as_a_note(tmp_path, monkeypatch):
    import kpiscan.read.text as text

    monkeypatch.setattr(text, "MAX_LINE_CHARS", 100)
    f = tmp_path / "long.txt"
    f.write_text(TABLE + "\t".join(["长"] * 80) + "\n", encoding="utf-8")
    doc = read_document(f)
    assert doc.lines[2].cells == () and doc.notes == [(3, "line-over-limit", "\t".join(["长"] * 80))]


def test_binary_with_nuls_is_still_refused(tmp_path):
    f = tmp_path / "b.txt"
    f.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(InputError, match="binary file"):
        read_document(f)


def test_new_lines_makes_the_same_frozen_lines_as_line_on_every_line_of_corpora(corpus_files):
    import dataclasses

    from kpiscan.model import Line, _LineDraft, new_lines
    from kpiscan.read.text import read_text

    # the draft holds Line's slots in Line's order (a field added to Line and not to the draft fails here)
    assert _LineDraft.__slots__ == Line.__slots__ == tuple(f.name for f in dataclasses.fields(Line))
    n = 0
    for path in corpus_files:
        for line in read_text(path).lines:  # made by new_lines
            same = Line(line.number, line.text, line.cells, line.page, line.confidence)
            assert type(line) is Line and line == same and hash(line) == hash(same) and repr(line) == repr(same)
            n += 1
    assert n > 8000
    first, line = new_lines(["", "a\tb"], [(), ("a", "b")])
    assert (line.number, line.text, line.cells, line.page, line.confidence) == (2, "a\tb", ("a", "b"), None, None)
    assert first == Line(1, "", ()) and dataclasses.replace(line, page=4) == Line(2, "a\tb", ("a", "b"), 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.text = "c"  # type: ignore[misc]  # still frozen


def test_split_lines_quick_paths_give_the_general_path_on_every_line_of_corpora(corpus_files):
    """split_lines splits blank and plain lines itself and hands the others to the general path
    (`_cells_of`); on every line of corpora/ (and the fixtures' text files) the two agree."""
    from pathlib import Path

    from kpiscan.read.text import _cells_of, decode_text, split_lines

    fixtures = sorted(Path(__file__).parent.joinpath("fixtures").rglob("*.txt"))
    n = quick = 0
    for path in [*corpus_files, *fixtures]:
        texts = decode_text(Path(path).read_bytes(), str(path)).lines
        for text, cells in zip(texts, split_lines(texts), strict=True):
            assert cells == (_cells_of(text) if text else ()), repr(text)
            quick += "|" not in text
            n += 1
    assert n > 8000 and quick > 7000


def test_text_documents_say_they_are_not_paged_and_scan_as_when_asked(corpus_files):
    """The text reader's Document says `paged=False` (no line has a page or a confidence: the scan
    then asks no line, locates no record and holds none back for its confidence); the same
    Document left unsaid (None, the scan asks every line) scans to the same records. A Document
    whose lines carry pages still gets its records located when it says nothing."""
    import dataclasses

    from kpiscan.model import Document, Line
    from kpiscan.pipeline import scan_document
    from kpiscan.read.text import read_text

    for path in corpus_files:
        doc = read_text(path)
        assert doc.paged is False
        assert not any(line.page is not None or line.confidence is not None for line in doc.lines)
        doc.sha256 = "0" * 16
        said = scan_document(doc, classify=False)
        unsaid = scan_document(dataclasses.replace(doc, paged=None), classify=False)
        assert said.indicators == unsaid.indicators and said.unparsed == unsaid.unparsed
        assert said.tables == unsaid.tables
    doc = read_text(corpus_files[0])
    lines = [Line(ln.number, ln.text, ln.cells, page=1 + ln.number // 50, confidence=0.5) for ln in doc.lines]
    paged = scan_document(Document(doc.path, doc.name, lines, year=doc.year), classify=False)
    held = [u for u in paged.unparsed if u.reason == "low-confidence"]
    assert not paged.indicators and len(held) > 100 and all(u.page and u.row and u.source == "ocr" for u in held)
