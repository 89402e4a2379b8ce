"""The vocabulary lookups of kpiscan.layout answer as their plain definitions do (issue 13: they
became one dict or set lookup each, in place of a loop over the lexicon rows per cell)."""
from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import regex

from kpiscan import lexicon
from kpiscan.layout import (
    _MAX_LOST,
    _MIN_FIELD_PREFIX,
    _MIN_TRUNCATED,
    _PAGE_NUMBER,
    _SHORT_FOOTER,
    TEXT_MEMOS,
    _field_captions,
    _level2_variants,
    _no_furniture,
    _two_never_utf8,
    field_key,
    forget_text_memos,
    is_footer,
    is_footer_row,
    is_mojibake,
    is_noise,
    is_watermark,
    layout_words,
    level2_of,
    norm,
    plain_text,
)
from kpiscan.templates import caption_key

_SPACE = regex.compile(r"\s+")


def _prefixes(words):
    return {w[:n] for w in words for n in range(1, len(w) + 1)}


def test_norm_is_nfkc_without_whitespace_for_every_character():
    # the code points below U+3100 (all the whitespace, controls, wide forms but U+FFxx) and the
    # fullwidth forms, one in 7 of the rest; between letters and beside a tab: NFKC, then all \s removed
    for i in [*range(0x3100), *range(0xFF00, 0x10000), *range(0x3100, 0x110000, 7)]:
        if 0xD800 <= i < 0xE000:
            continue
        text = f"指{chr(i)}\t标 值"
        assert norm.__wrapped__(text) == _SPACE.sub("", unicodedata.normalize("NFKC", text)), hex(i)
    assert norm("项目 名称\u3000：") == "项目名称:"
    assert norm("（２０２４）\t年度") == "(2024)年度"


def test_field_key_of_every_caption_prefix_is_the_first_caption_it_starts():
    captions = _field_captions()
    for key in _prefixes(captions) | {"", ":", "实施期资金总额（万元）"}:
        want = captions.get(key) or (
            next((v for c, v in captions.items() if c.startswith(key)), None) if len(key) >= _MIN_FIELD_PREFIX else None
        )
        assert field_key(key + "：") == want, key
    assert field_key("实施期资金总额：") == "total"
    assert field_key("项目名") is None  # a short prefix is not a caption


def test_level2_of_a_label_cut_short_by_a_narrow_column():
    variants = _level2_variants()
    for key in _prefixes(variants):
        want = variants.get(key)
        if want is None and len(key) >= _MIN_TRUNCATED:
            want = next(
                (v for w, v in variants.items() if w.startswith(key) and w.endswith("指标") and len(w) - len(key) <= _MAX_LOST),
                None,
            )
        assert level2_of(key) == want, key
    assert level2_of("可持续影响指")[0] == "可持续影响指标"
    assert level2_of("可持续影") is None


def test_footer_captions_and_their_cut_forms():
    words = layout_words("footer")
    assert {r["text"] for r in lexicon.table("table_layout.tsv") if r["role"] == "footer"} <= {
        unicodedata.normalize("NFKC", w) for w in words
    }
    for key in _prefixes(words):
        want = len(key) >= 2 and any(key == w or (len(w) <= _SHORT_FOOTER and w.startswith(key)) for w in words)
        assert is_footer(key) == want, key
    assert is_footer("负责") and is_footer("填报日期：") and not is_footer("主管部门")
    assert is_footer_row(["负责人：", "张三", "经办人：", "李四"])
    assert is_footer_row(["填表人：王五    联系电话：0356-123    填报日期："])  # one line of text
    assert not is_footer_row(["项目名称：聘用律师费"])


# is_watermark and is_mojibake run on every line (issue 13): each first tells most lines apart by one
# character-class search, then asks its plain definition. Both answer as the plain definitions do.

_ROOT = Path(__file__).resolve().parents[1]


def _real_lines() -> list[str]:
    files = sorted((_ROOT / "corpora").glob("*.txt")) + sorted((_ROOT / "tests/fixtures/layouts").glob("*/input.txt"))
    return list(dict.fromkeys(ln for f in files for ln in f.read_text(encoding="utf-8").splitlines()))


def _watermark_by_definition(text: str) -> bool:
    key = norm(text)
    return key in layout_words("watermark") or bool(_PAGE_NUMBER.match(key))


def _mojibake_by_definition(text: str) -> bool:
    if not text or text.isascii():
        return False
    try:
        repaired = text.encode("gb18030").decode("utf-8", errors="replace")
    except UnicodeError:
        return False
    return repaired.count("\ufffd") <= 1 and repaired != text and len(repaired) < len(text)


def test_a_cjk_ideograph_outside_the_furniture_survives_norm_in_any_company():
    # the pre-check's premise: NFKC keeps U+4E00-U+9FFF as they are, also beside combining marks,
    # wide spaces, compatibility forms and Hangul jamo
    for i in range(0x4E00, 0xA000):
        c = chr(i)
        assert c in norm.__wrapped__(f"\u1100{c}\u0301\u3099\u3000ｶ\u309a"), hex(i)
    assert not _no_furniture().search("".join(layout_words("watermark")) + "第5页/共60页")


def test_watermark_and_mojibake_answer_as_their_definitions_on_real_and_garbled_lines():
    lines = _real_lines()
    garbled = [ln.encode("utf-8").decode("gbk", errors="replace") for ln in lines]  # the mojibake of each line
    cut = [ln.encode("utf-8")[: len(ln.encode("utf-8")) // 2].decode("gb18030", errors="replace") for ln in lines]
    furniture = [*layout_words("watermark"), "仅 供 内 部 审 核", "－２３－", "第５页", "第5页/共60页", "- 23 -", "23-"]
    texts = lines + garbled + cut + furniture + [w.encode("utf-8").decode("gbk", errors="replace") for w in furniture]
    # mojibake with one character no UTF-8 holds (the one replacement character the rule allows)
    one_off = [(w.encode("utf-8") + b"\xc0\x41").decode("gbk") for w in layout_words("watermark")]
    assert all(_mojibake_by_definition(t) for t in one_off)
    texts += one_off
    marked = {"watermark": 0, "mojibake": 0}
    for text in texts:
        assert is_watermark(text) == _watermark_by_definition(text), text
        assert is_mojibake(text.strip()) == _mojibake_by_definition(text.strip()), text
        assert is_noise(text) == (_watermark_by_definition(text) or _mojibake_by_definition(text.strip())), text
        marked["watermark"] += is_watermark(text)
        marked["mojibake"] += is_mojibake(text.strip())
    assert marked["watermark"] >= len(furniture) and marked["mojibake"] >= len(lines) // 2  # the tests can fail


def test_two_never_utf8_characters_make_two_replacement_characters_whatever_surrounds_them():
    two = _two_never_utf8()
    chars = [chr(i) for i in range(0x80, 0x10000) if two.fullmatch(chr(i) * 2)]
    assert len(chars) > 5000 and all(len(c.encode("gb18030")) == 2 for c in chars)
    others = [chr(i) for i in range(0x80, 0x3000, 3)] + [chr(i) for i in range(0x4E00, 0xA000, 5)] + list("ab1 ：（）")
    rnd = random.Random(13)
    for _ in range(20000):
        text = [rnd.choice(others) for _ in range(rnd.randrange(0, 6))]
        for c in (rnd.choice(chars), rnd.choice(chars)):
            text.insert(rnd.randrange(len(text) + 1), c)
        line = "".join(text)
        assert line.encode("gb18030").decode("utf-8", errors="replace").count("\ufffd") >= 2, line
        assert not is_mojibake(line)


def test_plain_text_is_one_match_for_the_two_searches_is_noise_asked():
    """is_noise's pre-check (`plain_text`, one match) holds exactly where both searches it
    replaced find their characters, on real, garbled and random lines."""
    lines = _real_lines()
    never = [chr(i) for i in range(0x80, 0x10000, 7) if _two_never_utf8().fullmatch(chr(i) * 2)][:400]
    furniture = "".join(layout_words("watermark")) + "第页共-0123456789 \t\n"
    pool = never + list(furniture) + [chr(i) for i in range(0x4E00, 0xA000, 97)] + list("ab1：（）")
    rnd = random.Random(7)
    texts = lines + [ln.encode("utf-8").decode("gbk", errors="replace") for ln in lines]
    texts += ["".join(rnd.choice(pool) for _ in range(rnd.randrange(0, 8))) for _ in range(20000)]
    both = [bool(_no_furniture().search(t) and _two_never_utf8().search(t)) for t in texts]
    assert [bool(plain_text().match(t)) for t in texts] == both
    assert 0 < sum(both) < len(texts)  # the test can fail either way


def test_with_the_memo_off_no_document_reads_cells_looked_up_for_another(monkeypatch):
    """KPISCAN_CLASSIFY_MEMO=0: the text memos are emptied before each document, so a second copy
    of a document looks up as many cells afresh as the first (what a corpus of distinct documents
    costs); with the memo on the copy looks up almost none. The same records either way."""
    from kpiscan.classify.memo import MEMO_ENV
    from kpiscan.pipeline import scan_document
    from kpiscan.read import read_document

    path = sorted((_ROOT / "corpora").glob("*.txt"))[2]

    def lookups() -> tuple[int, int]:  # (hits, misses) since the memos were last emptied
        infos = [m.cache_info() for m in TEXT_MEMOS]
        return sum(i.hits for i in infos), sum(i.misses for i in infos)

    def two_scans() -> tuple[list[tuple[int, int]], list[dict]]:
        """The lookups counted after each of two scans of the document, and its records."""
        forget_text_memos()
        counts, records = [], []
        for _ in range(2):
            records.append(scan_document(read_document(path), classify=False).records())
            counts.append(lookups())
        assert records[0] == records[1]
        return counts, records[0]

    scan_document(read_document(path), classify=False)  # the lexicons' own lookups, made once
    monkeypatch.setenv(MEMO_ENV, "0")
    off, off_records = two_scans()  # each scan emptied the memos first: its own lookups
    monkeypatch.setenv(MEMO_ENV, "1")
    on, on_records = two_scans()  # the lookups of both scans together
    assert off[0] == off[1] == on[0] and on[0][1] > 1000
    (hits, misses), (both_hits, both_misses) = on
    assert both_misses - misses < misses // 10 and both_hits - hits > misses  # the copy: nearly all hits
    assert off_records == on_records
    assert {norm, level2_of, field_key, caption_key} <= set(TEXT_MEMOS)


def test_cue_reading_scores_as_its_plain_definition():
    """extract._cue_reading (asked of every pair a centred label may move) searches each field for
    any cue first; its scores are the plain sums over level2_cues.tsv, on the texts of corpora/
    (kept for the 二级 whose cues the text has: a 二级 it lacks reads 0, as when every 二级 was kept)."""
    from kpiscan.extract import _cue_reading, _cues

    texts = sorted({c for ln in _real_lines() for c in ln.split("\t") if c})
    rnd = random.Random(7)
    pairs = [(rnd.choice(texts), rnd.choice(texts)) for _ in range(3000)] + [("服务及时率", "2024年12月前"), ("", "")]
    scored = 0
    for name, value in pairs:
        fields = {"name": norm(name), "value": norm(value)}
        plain = {level2: sum(w for f, cue, w in cues if cue in fields[f]) for level2, cues in _cues().items()}
        reading = _cue_reading.__wrapped__(name, value)
        assert {level2: reading.scores.get(level2, 0) for level2 in plain} == plain, (name, value)
        assert set(reading.scores) <= {level2 for level2, score in plain.items() if score}, (name, value)
        scored += any(plain.values())
    assert scored > 100
