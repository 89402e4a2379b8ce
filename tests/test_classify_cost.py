"""What makes classifying cheap must not change a verdict (issue 13): the per-process verdict memo
(on and off give the same records, its bound holds, a changed Target is a different item)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import kpiscan.classify as classify
from kpiscan.classify import VerdictMemo, assess
from kpiscan.classify.item import indicator_key, item_key, item_of
from kpiscan.model import Indicator
from kpiscan.values import parse_value

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "gold"


def _gold_indicators(limit: int = 600) -> list[Indicator]:
    """Real rows of corpora/gold (every file, in order), as the pipeline hands them to assess."""
    out: list[Indicator] = []
    for path in sorted(GOLD.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            r = json.loads(line)
            out.append(Indicator(doc=r["doc"], table=1, table_line=1, kind="project", project="p", period=r["period"],
                                 level1=r["level1"], level2=r["level2"], name=r["name"], value=r["value"], line=1,
                                 target=parse_value(r["value"], 2024)))
    step = max(1, len(out) // limit)
    return out[::step]


def _dicts(verdicts) -> list[dict]:
    return [v.to_dict() for v in verdicts]


def test_memo_on_and_off_give_the_same_verdicts(monkeypatch):
    inds = _gold_indicators()
    every = _dicts(assess(inds, model=classify.load_model()))  # a model given: no memo, every item scored
    monkeypatch.setenv(classify.MEMO_ENV, "0")
    off = _dicts(assess(inds))  # a memo of this call only: its repeated items scored once
    assert off == every
    monkeypatch.setenv(classify.MEMO_ENV, "1")
    classify.verdict_memo.clear()
    cold = _dicts(assess(inds))
    hits_before = classify.verdict_memo.hits
    warm = _dicts(assess(inds))
    assert off == cold == warm
    # the second pass was answered from the memo: a hit per distinct item (VerdictMemo.answers)
    assert classify.verdict_memo.hits - hits_before == len({indicator_key(i) for i in inds})
    # the rows repeat (a row per half): the memo holds fewer entries than there are rows
    assert 0 < len(classify.verdict_memo.entries) < len(inds)


def test_memo_bound_is_respected_and_evicts_least_recently_used(monkeypatch):
    monkeypatch.setenv(classify.MEMO_ENV, "1")
    small = VerdictMemo(maxsize=7)
    monkeypatch.setattr(classify, "verdict_memo", small)
    inds = _gold_indicators(200)
    first = _dicts(assess(inds))
    assert len(small.entries) == 7
    assert len({item_key(item_of(i.name, i.value, i.level2, None, i.target)) for i in inds}) > 7
    assert _dicts(assess(inds)) == first  # evicted items are scored again, to the same verdicts
    assert len(small.entries) == 7
    memo = VerdictMemo(maxsize=2)
    memo.put(("a",), ("vague", True, (), None))
    memo.put(("b",), ("vague", True, (), None))
    assert memo.answers([(("a",), None)], lambda todo: pytest.fail("a is kept")) == [("vague", True, (), None)]
    # "a" used: "b" is now the least recently used
    memo.put(("c",), ("vague", True, (), None))
    assert list(memo.entries) == [("a",), ("c",)]


def test_a_different_target_is_a_different_item():
    # the same printed value read with two budget years: two Targets, two memo keys
    a, b = parse_value("12月底前", 2024), parse_value("12月底前", 2025)
    assert a.date != b.date
    ka = item_key(item_of("完成时间", "12月底前", "时效指标", None, a))
    kb = item_key(item_of("完成时间", "12月底前", "时效指标", None, b))
    assert ka != kb and hash(ka) != hash(kb)
    # a Target with several targets keys on them too
    many = parse_value("1600人、200人")
    assert many.others, "the value grammar reads two targets here"
    assert item_key(item_of("人数", "1600人、200人", "数量指标", None, many)) != item_key(
        item_of("人数", "1600人、200人", "数量指标", None, parse_value("1600人")))


def test_memoised_verdicts_do_not_share_their_reasons(monkeypatch):
    monkeypatch.setenv(classify.MEMO_ENV, "1")
    ind = Indicator(doc="t", table=1, table_line=1, kind="project", project="p", period="annual", level1="效益指标",
                    level2="社会效益指标", name="服务水平", value="提升", line=1)
    first = assess([ind, ind])
    first[0].reasons.append("changed by a caller")
    assert "changed by a caller" not in first[1].reasons
    assert "changed by a caller" not in assess([ind])[0].reasons


@pytest.mark.parametrize("memo", ["0", "1"])
def test_scan_records_are_the_same_with_and_without_the_memo(memo, monkeypatch, tmp_path):
    from kpiscan.pipeline import scan_file

    corpus = Path(__file__).resolve().parents[1] / "corpora"
    path = sorted(corpus.glob("*.txt"))[2]  # the smallest document
    monkeypatch.setenv(classify.MEMO_ENV, "0")
    want = [i.to_dict() for i in scan_file(path).indicators]
    monkeypatch.setenv(classify.MEMO_ENV, memo)
    assert [i.to_dict() for i in scan_file(path).indicators] == want
    assert [i.to_dict() for i in scan_file(path).indicators] == want


def _answers_of(memo, keyed, scored):
    """memo.answers with a batch that records what it is asked and answers each item doubled."""
    def batch(missing):
        scored.append(dict(missing))
        return [2 * item for item in missing.values()]
    return memo.answers(keyed, batch)


def test_answers_asks_the_batch_once_for_the_distinct_missing_keys():
    memo = VerdictMemo(maxsize=10)
    scored: list[dict] = []
    keyed = [(("a",), 1), (("b",), 2), (("a",), 1), (("c",), 3), (("b",), 2)]
    assert _answers_of(memo, keyed, scored) == [2, 4, 2, 6, 4]  # an answer a pair, in order
    assert scored == [{("a",): 1, ("b",): 2, ("c",): 3}]  # one call, each distinct key once, first-asked order
    assert (memo.hits, memo.misses) == (0, 3)  # per distinct key: a repeat within the call counts nothing
    scored.clear()
    assert _answers_of(memo, [(("c",), 3), (("d",), 4), (("c",), 3), (("a",), 1)], scored) == [6, 8, 6, 2]
    assert scored == [{("d",): 4}]  # only the key not kept
    assert (memo.hits, memo.misses) == (2, 4)
    scored.clear()
    assert _answers_of(memo, [(("a",), 1), (("a",), 1)], scored) == [2, 2] and scored == []  # no batch call
    assert (memo.hits, memo.misses) == (3, 4)
    assert "3 hits / 7 distinct keys a call" in memo.stats()
    assert _answers_of(memo, [], scored) == [] and scored == [] and (memo.hits, memo.misses) == (3, 4)


def test_answers_keeps_none_and_the_kept_form_within_the_bound():
    memo: VerdictMemo[bytes] = VerdictMemo(maxsize=2)
    calls: list[list] = []

    def batch(missing):
        calls.append(list(missing))
        return [None if item < 0 else [item] for item in missing.values()]

    keep, read = lambda v: repr(v).encode(), lambda b: eval(b.decode())  # noqa: S307 (the test's own reprs)
    assert memo.answers([(("n",), -1), (("x",), 5), (("n",), -1)], batch, keep, read) == [None, [5], None]
    assert memo.entries == {("n",): b"None", ("x",): b"[5]"}  # kept as `keep` made them
    # a kept None is a hit, not asked again; a kept value is read back
    assert memo.answers([(("n",), -1), (("x",), 5)], batch, keep, read) == [None, [5]]
    assert len(calls) == 1 and (memo.hits, memo.misses) == (2, 2)
    # the bound: a third key evicts the least recently used ("n": "x" was asked after it)
    assert memo.answers([(("x",), 5), (("y",), 7)], batch, keep, read) == [[5], [7]]
    assert list(memo.entries) == [("x",), ("y",)]
    # more misses than the bound in one call: every answer given, the last `maxsize` kept
    assert memo.answers([((k,), k) for k in range(5)], batch, keep, read) == [[k] for k in range(5)]
    assert list(memo.entries) == [(3,), (4,)]


def test_a_memo_of_no_size_keeps_nothing():
    # KPISCAN_CLASSIFY_MEMO=0: VerdictMemo(0), a memo of the call only (its repeats scored once)
    memo = VerdictMemo(0)
    scored: list[dict] = []
    assert _answers_of(memo, [(("a",), 1), (("a",), 1), (("b",), 2)], scored) == [2, 2, 4]
    assert _answers_of(memo, [(("a",), 1)], scored) == [2]
    assert scored == [{("a",): 1, ("b",): 2}, {("a",): 1}] and not memo.entries
