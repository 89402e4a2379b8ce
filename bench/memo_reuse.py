"""Each memo's hit rate by its size, from one recorded scan (LRU stack distances). Not a test.

    python bench/memo_reuse.py CORPUS [--files N] [--sizes 256,1024,4096,16384]

Scans the corpus' files in order in this process (`batch.scan_one`, as a scan's worker does)
with every bounded memo of kpiscan recorded: each `functools.lru_cache` of a bounded size made
while kpiscan imports, and the verdict memos (`classify.memo.VerdictMemo.answers`: each distinct
key of a call, what the memo looks up). An LRU memo of size c hits a call exactly when fewer
than c other keys were asked since the key's last call, so one run gives every memo's hit rate
at every size. Prints per memo its calls, its distinct keys and the hit rate at each size: the
memo's bound is enough where the rate no longer rises (issue 13, tenth round:
layout.MEMO_TEXTS). Copies of a corpus (bench_scan.py's, named copy by copy) repeat every text a
whole copy later; distinct copies (distinct_copies.py) only the layout and values, four
documents later.
"""
from __future__ import annotations

import argparse
import functools
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

CALLS: defaultdict[str, list[Hashable]] = defaultdict(list)
_lru_cache = functools.lru_cache


def _recording(maxsize: Any = 128, typed: bool = False) -> Any:
    """functools.lru_cache, the calls of a bounded memo recorded in CALLS under its name."""
    if callable(maxsize):
        return _recording(128, typed)(maxsize)

    def memo(fn: Callable[..., Any]) -> Any:
        memoised = _lru_cache(maxsize=maxsize, typed=typed)(fn)
        if maxsize is None:
            return memoised
        calls = CALLS[f"{fn.__module__}.{fn.__qualname__}"]

        @functools.wraps(fn)
        def recorded(*args: Any, **kw: Any) -> Any:
            calls.append((args, tuple(kw.items())) if kw else args)
            return memoised(*args, **kw)

        recorded.cache_info = memoised.cache_info  # type: ignore[attr-defined]
        recorded.cache_clear = memoised.cache_clear  # type: ignore[attr-defined]
        return recorded

    return memo


def hits_by_size(calls: list[Hashable], sizes: list[int]) -> dict[int, int]:
    """Hits of an LRU memo of each size over `calls`: a call hits when its key's stack distance
    (the distinct keys asked since its last call) is below the size. A Fenwick tree over the
    calls' times holds a 1 at each key's latest call."""
    n = len(calls)
    tree = [0] * (n + 1)

    def add(i: int, v: int) -> None:
        i += 1
        while i <= n:
            tree[i] += v
            i += i & -i

    def before(i: int) -> int:  # latest calls at times < i
        s = 0
        while i > 0:
            s += tree[i]
            i -= i & -i
        return s

    last: dict[Hashable, int] = {}
    distances: Counter[int] = Counter()
    live = 0
    for t, key in enumerate(calls):
        p = last.get(key)
        if p is not None:
            distances[live - before(p + 1)] += 1
            add(p, -1)
            live -= 1
        last[key] = t
        add(t, 1)
        live += 1
    return {c: sum(v for d, v in distances.items() if d < c) for c in sizes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--files", type=int, default=0, help="scan only the first N files (0: all)")
    ap.add_argument("--sizes", default="64,256,512,1024,2048,4096,8192,16384")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    functools.lru_cache = _recording  # type: ignore[assignment]  # before kpiscan imports
    from kpiscan.batch import scan_one
    from kpiscan.classify.memo import VerdictMemo

    answers = VerdictMemo.answers
    names: dict[int, str] = {}

    def recorded_answers(self: VerdictMemo[Any], keyed: Any, *args: Any) -> Any:
        keyed = list(keyed)  # what the memo looks up: each distinct key of the call, first-asked order
        CALLS[names.get(id(self), f"VerdictMemo@{id(self):x}")].extend(dict.fromkeys(key for key, _ in keyed))
        return answers(self, keyed, *args)

    VerdictMemo.answers = recorded_answers  # type: ignore[method-assign]
    from kpiscan.classify import verdict_memo
    from kpiscan.classify.category import PROBA_MEMO

    names.update({id(verdict_memo): "classify.verdict_memo", id(PROBA_MEMO): "classify.category.PROBA_MEMO"})
    files = sorted(p for p in Path(args.corpus).iterdir() if p.suffix in (".txt", ".md"))
    for f in files[: args.files or None]:
        scan_one(f)
    print(f"{'memo':46} {'calls':>8} {'keys':>7} " + " ".join(f"{c:>6}" for c in sizes))
    for name, calls in sorted(CALLS.items()):
        if calls and name.startswith(("kpiscan.", "classify.")):
            hits = hits_by_size(calls, sizes)
            rates = " ".join(f"{hits[c] / len(calls):6.3f}" for c in sizes)
            print(f"{name.removeprefix('kpiscan.'):46} {len(calls):8d} {len(set(calls)):7d} {rates}", flush=True)
    print("hit rate of an LRU memo of each size, one in-process scan of the files in name order", file=sys.stderr)


if __name__ == "__main__":
    main()
