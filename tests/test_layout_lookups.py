"""The vocabulary lookups of kpiscan.layout answer as their plain definitions do (issue 13: they
became one dict or set lookup each, in place of a loop over the lexicon rows per cell)."""
from __future__ import annotations

import unicodedata

import regex

from kpiscan import lexicon
from kpiscan.layout import (
    _MAX_LOST,
    _MIN_FIELD_PREFIX,
    _MIN_TRUNCATED,
    _SHORT_FOOTER,
    _field_captions,
    _level2_variants,
    field_key,
    is_footer,
    is_footer_row,
    layout_words,
    level2_of,
    norm,
)

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
