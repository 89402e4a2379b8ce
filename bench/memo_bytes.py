"""Where a scan's memory goes: each memo's entries and bytes once a corpus is scanned. Not a test.

    python bench/memo_bytes.py DIR

Scans DIR's .txt files in name order in this process as a scan's worker does (the model and
jieba loaded first, `batch.scan_part` per file) with tracemalloc on, then empties each bounded
memo of kpiscan in turn (each `cache_clear`, the verdict and probability memos' `clear`) and
prints the bytes each freed (a text shared by two memos counts for the one emptied last), then
what is left by source file. Compare a corpus of one copy with one of many distinct copies
(bench/distinct_copies.py) to see what grows (issue 13, eleventh round: layout.MEMO_TEXTS).
Under tracemalloc the process's RSS is ~2x a scan's: read the traced bytes.
"""
from __future__ import annotations

import gc
import pkgutil
import sys
import tracemalloc
from pathlib import Path
from typing import Any


def _rss() -> str:
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f if line.startswith(("VmRSS", "VmHWM")))
    return f"rss {int(status['VmRSS'].split()[0]) / 1024:.1f} MiB, peak {int(status['VmHWM'].split()[0]) / 1024:.1f}"


def _memos() -> list[tuple[str, Any, int, Any]]:
    """(name, memo, entries, bound) for each memo of kpiscan's imported modules."""
    import kpiscan
    from kpiscan.classify import verdict_memo
    from kpiscan.classify.category import PROBA_MEMO

    found, seen = [], set()
    for info in pkgutil.walk_packages(kpiscan.__path__, "kpiscan."):
        module = sys.modules.get(info.name)
        for attr, obj in vars(module).items() if module else ():
            if hasattr(obj, "cache_info") and getattr(obj, "__module__", None) == info.name and id(obj) not in seen:
                seen.add(id(obj))
                info_ = obj.cache_info()
                found.append((f"{info.name.removeprefix('kpiscan.')}.{attr}", obj, info_.currsize, info_.maxsize))
    for name, memo in (("classify.verdict_memo", verdict_memo), ("classify.category.PROBA_MEMO", PROBA_MEMO)):
        found.append((name, memo, len(memo.entries), memo.maxsize))
    return found


def main() -> None:
    from kpiscan import pipeline  # noqa: F401  (what a worker has imported before its first file)
    from kpiscan.batch import scan_part
    from kpiscan.classify import preload

    preload(whole_dictionary=False)
    gc.collect()
    print(f"before the first file: {_rss()}")
    tracemalloc.start(1)
    files = sorted(p for p in Path(sys.argv[1]).iterdir() if p.suffix == ".txt")
    for i, f in enumerate(files, 1):
        scan_part(str(f), True, None, None, None, ("indicators", "tables", "unparsed"))
        if i % max(1, len(files) // 8) == 0 or i == len(files):
            print(f"{i:4d} files: traced {tracemalloc.get_traced_memory()[0] / 2**20:6.1f} MiB, {_rss()}", flush=True)
    gc.collect()
    total = tracemalloc.get_traced_memory()[0]
    rows = []
    for name, memo, n, bound in _memos():
        before = tracemalloc.get_traced_memory()[0]
        (memo.clear if hasattr(memo, "entries") else memo.cache_clear)()
        gc.collect()
        rows.append((before - tracemalloc.get_traced_memory()[0], name, n, bound))
    print(f"{'memo':44} {'entries':>8} {'bound':>7} {'MiB':>6} {'B/entry':>8}")
    for freed, name, n, bound in sorted(rows, reverse=True):
        if freed > 20_000:
            print(f"{name:44} {n:8d} {bound!s:>7} {freed / 2**20:6.2f} {freed / max(n, 1):8.0f}")
    left = tracemalloc.get_traced_memory()[0]
    print(f"the memos: {(total - left) / 2**20:.1f} MiB of {total / 2**20:.1f} traced; left {left / 2**20:.1f} MiB, by file:")
    for stat in tracemalloc.take_snapshot().statistics("filename")[:8]:
        print(f"  {stat.size / 2**20:6.2f} MiB {stat.count:7d} blocks {stat.traceback[0].filename}")


if __name__ == "__main__":
    main()
