"""kpiscan.patterns: a regex pattern read back from the machine's copy of its compiled code is
the pattern regex.compile makes; a broken or foreign copy is compiled again, never trusted."""
from __future__ import annotations

import csv
import pickle
from pathlib import Path

import pytest
import regex

from kpiscan import patterns
from kpiscan.values.grammar import _named_lists, numbered_forms, pattern_text

SPEC = Path(__file__).with_name("specs") / "values.tsv"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(patterns.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path


def _raw_values() -> list[str]:
    lines = [line for line in SPEC.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return [row["raw"] for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]


def _matches(pattern: regex.Pattern[str], texts: list[str]) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for text in texts for m in pattern.finditer(text)]


def test_read_back_grammar_matches_as_compiled(cache_dir, monkeypatch):
    """The value grammar of every numbered form (a verbose pattern with named lists), compiled and
    written, then read back with regex.compile unavailable: same pattern, flags, groups and named
    lists, and the same matches on every printed value of tests/specs/values.tsv."""
    text, lists = pattern_text(numbered_forms()), _named_lists()
    want = regex.compile(text, regex.VERBOSE, ignore_unused=True, **lists)
    first = patterns.cached_compile(text, regex.VERBOSE, **lists)
    path = patterns.cache_path(text, regex.VERBOSE, lists)
    assert path.parent == cache_dir and path.is_file()
    monkeypatch.setattr(regex, "compile", lambda *a, **k: pytest.fail("compiled again"))
    again = patterns.cached_compile(text, regex.VERBOSE, **lists)
    assert again is not first
    for got in (first, again):
        assert (got.pattern, got.flags, got.groupindex, got.named_lists) == (want.pattern, want.flags, want.groupindex, want.named_lists)
    values = _raw_values()
    assert len(values) > 500
    assert _matches(again, values) == _matches(want, values)


def test_other_lists_or_flags_are_another_file(cache_dir):
    one = patterns.cache_path(r"\L<w>", 0, {"w": ["上年", "同比"]})
    assert one == patterns.cache_path(r"\L<w>", 0, {"w": ["同比", "上年"]})  # a named list is a set
    assert one != patterns.cache_path(r"\L<w>", 0, {"w": ["上年"]})
    assert one != patterns.cache_path(r"\L<w>", regex.IGNORECASE, {"w": ["上年", "同比"]})
    assert patterns.cached_compile(r"\L<w>", w=["上年"]).findall("较上年同比") == ["上年"]
    assert patterns.cached_compile(r"\L<w>", w=["上年", "同比"]).findall("较上年同比") == ["上年", "同比"]


def test_cut_short_or_foreign_copy_is_compiled_again(cache_dir, tmp_path):
    text = r"(?P<n>\d+)\s*(?P<u>\L<unit>)"
    path = patterns.cache_path(text, 0, {"unit": ["人", "人次"]})
    good = patterns.cached_compile(text, unit=["人", "人次"])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert patterns.cached_compile(text, unit=["人", "人次"]).match("12人次").group("u") == "人次"
    assert path.read_bytes() == data  # written again
    path.write_bytes(pickle.dumps(regex.compile(r"\d+")))  # another pattern under this name
    assert patterns.cached_compile(text, unit=["人", "人次"]).pattern == good.pattern
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path.write_bytes(pickle.dumps(Payload()))  # a pickle that would run code: refused, not run
    assert patterns.cached_compile(text, unit=["人", "人次"]).match("3人").group("n") == "3"
    assert not marker.exists()


def _layout_patterns() -> list[tuple[str, int]]:
    import re

    from kpiscan import layout

    return [(layout._no_furniture().pattern, 0), (layout._two_never_utf8().pattern, re.DOTALL), (layout.plain_text().pattern, 0)]


def test_cached_re_is_re_compile_fresh_and_read_back(cache_dir, monkeypatch):
    """layout's `re` patterns (classes of thousands of code points) compiled and written, then read
    back with re's compiler unavailable: each equal to re.compile's (a re.Pattern compares its
    flags and compiled code), and matching alike on every line of corpora/."""
    import re

    import kpiscan.patterns as p

    corpus = Path(__file__).resolve().parents[1] / "corpora"
    lines = [line for f in sorted(corpus.glob("*.txt")) for line in f.read_text(encoding="utf-8").split("\n")]
    assert len(lines) > 8000
    wanted = [re.compile(text, flags) for text, flags in _layout_patterns()]
    first = [p.cached_re(text, flags) for text, flags in _layout_patterns()]
    assert all(p.cache_path(text, flags, {}, engine="re").is_file() for text, flags in _layout_patterns())
    monkeypatch.setattr(p.re._compiler, "_code", lambda *a: pytest.fail("compiled again"))
    again = [p.cached_re(text, flags) for text, flags in _layout_patterns()]
    for want, got1, got2 in zip(wanted, first, again):
        assert got1 == want and got2 == want and got2 is not want
        assert [bool(got2.match(line)) for line in lines] == [bool(want.match(line)) for line in lines]
        assert [bool(got2.search(line)) for line in lines] == [bool(want.search(line)) for line in lines]


def test_cached_re_foreign_copy_is_compiled_again(cache_dir):
    import re

    text = r"(?P<n>\d+)人"
    path = patterns.cache_path(text, 0, {}, engine="re")
    assert path != patterns.cache_path(text, 0, {})  # not the regex engine's file
    assert patterns.cached_re(text) == re.compile(text)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut short
    assert patterns.cached_re(text).match("12人").group("n") == "12"
    assert path.read_bytes() == data  # written again
    path.write_bytes(pickle.dumps((32, [1, 2, 3], 0, {}, (None,))))  # code _sre refuses
    assert patterns.cached_re(text) == re.compile(text)
    path.write_bytes(pickle.dumps(re.compile(r"\d")))  # a pattern's pickle names re._compile: refused
    assert patterns.cached_re(text) == re.compile(text)


def test_cached_re_keeps_nothing_re_compile_would_not_make(cache_dir, monkeypatch):
    """The code is written only when the pattern it makes is re.compile's: where this reading of
    re's internals would make another pattern (another Python), the scan gets re.compile's and
    nothing is kept."""
    import _sre
    import re
    import types

    text = r"(?P<n>\d+)\s*人次"
    wrong = types.SimpleNamespace(MAGIC=_sre.MAGIC, compile=lambda *a: re.compile(r"\d"))
    monkeypatch.setattr(patterns, "_sre", wrong)
    assert patterns.cached_re(text) == re.compile(text)
    assert not patterns.cache_path(text, 0, {}, engine="re").exists()


def test_a_scans_module_level_patterns_are_read_back_at_import(tmp_path):
    # a fresh process importing the scan's modules compiles their module-level patterns once per
    # machine: the first writes them (here into its own temp dir), the next parses none of them
    # (regex.compile is only called when no copy is read back) and gets the same patterns
    import os
    import subprocess
    import sys

    code = (
        "import regex, re, sys\n"
        "calls = []\n"
        "real = regex.compile\n"
        "def counting(pattern, *a, **k):\n"
        "    calls.append(pattern)\n"
        "    return real(pattern, *a, **k)\n"
        "regex.compile = counting\n"
        "import kpiscan.pipeline, kpiscan.batch, kpiscan.classify\n"
        "from kpiscan import layout, segment, extract\n"
        "from kpiscan.read import cells, text\n"
        "regex.compile = real\n"
        "fresh = real(layout._FOOTER_LABEL.pattern)\n"
        "line = '填表人: 王某某 联系电话: 0731-5555 填报日期: 2024年1月'\n"
        "assert (layout._FOOTER_LABEL.flags, layout._FOOTER_LABEL.findall(line)) == (fresh.flags, fresh.findall(line))\n"
        "assert segment._CAPTION_COLON == re.compile(segment._CAPTION_COLON.pattern)\n"
        "assert cells._SUBCELL_OPEN.flags == real(cells._SUBCELL_OPEN.pattern, regex.IGNORECASE).flags\n"
        "assert [m.span() for m in text._PIPE_SPLIT.finditer('a|b\\\\|c|')] == [(1, 2), (6, 7)]\n"
        "print(len(calls))\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # nothing to read back yet: each compiled and written (26 distinct: two modules compile r"\s+")
    assert int(first.stdout) >= 26
    assert len(list(tmp_path.glob("kpiscan-regex-*.pickle"))) >= 26
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(again.stdout) == 0
