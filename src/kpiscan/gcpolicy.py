"""The garbage collector's policy for kpiscan's loops over documents: the one place where kpiscan
tells Python's cyclic garbage collector anything (off with KPISCAN_GC=0: the interpreter's
defaults, as a plain Python program has them).

    with long_run(load=warm_models):   # `kpiscan report`, a serial scan, a scan worker's loop
        for part in parts: ...
    with paused(): records = pickle.load(fh)   # a burst of allocations that makes no cycle

Three parts, each measured on a 16x and a 64x copy of corpora/ (`kpiscan report`, gc.callbacks
timing; before: gen0 0.18 s / 1,804 passes, gen1 0.13 s / 164, gen2 0.57-0.84 s / 14 at 16x;
0.78 / 0.52 / 3.8 s, 45 full passes at 64x):

1. `warm_up`: once per process, after what the process keeps until it ends is loaded (kpiscan's
   modules and the libraries they import, the measurability and category models, jieba's
   dictionary: `load`), a full collection and then gc.freeze(): these objects move to the
   permanent generation, which no collection walks again. A full collection walks every tracked
   object the process holds; after the loop's first documents the process holds about 100,000
   (700,000 references), so each full pass cost ~55 ms before any document's state was added.
2. `long_run`: the young generation's threshold raised from 700 to YOUNG (20,000) net new container
   objects for the loop, restored after (the older generations' thresholds are kept). A document's
   records, rows and cells are made and dropped by the thousand; with 700, 1,800 young passes at
   16x promoted what happened to be alive at each into the older generations, whose growth set off
   the full passes (each walking everything: at 16x ~230,000 objects, 137 ms a pass, at the end).
   With 20,000 most of a document's objects die (reference counts) before a young pass sees them:
   at 64x 113 young, 9 middle and 1 full pass (0.29 + 0.27 + 0.02 s) instead of 6,122 / 556 / 45.
3. `paused`: no collection during a burst of allocations known to make no cycle (a spooled part
   unpickled by the report: its thousands of records triggered passes that found nothing).

Why it is safe (memory stays bounded; what is collected is the same):
- Frozen is only what is reachable just after a full collection at warm-up, in a process that
  keeps its modules and models until it ends (CLI commands, scan workers). A frozen object that
  becomes unreachable is still freed by its reference count, as every object is; only a reference
  cycle among frozen objects would stay (until gc.unfreeze()), and the warm-up set is the
  process's modules and models, which are never released. Nothing made during the loop is frozen.
- The collector stays on through the loop and finds every cycle it found before, later: at most
  YOUNG net new container objects (a few MB) wait for a young pass, and what survives two young
  passes waits for a full one as before (Python starts one once the older generations grew by
  25%). Measured: the report's cyclic garbage (about 15,000 objects at 16x, then a model made per
  review by review.checks' distinct_items_model, since gone; XlsxWriter's workbook, a cycle freed once it is closed)
  is collected as before (53,380 vs 52,477 objects in the young passes at 64x), and the peak RSS
  is the same (`python bench/bench_report.py --times 16 64 --runs 3`, medians: report 16x 291.4,
  64x 430.6 MiB; main 289.9 / 428.8; scan 131.9 / 132.0, main 132.3 / 132.4).
- A forked child (a scan worker) inherits the parent's frozen objects and freezes the rest of
  what it inherited without collecting it (`warm_up` is once per process id; scanproc.serve):
  a collection in the child would walk, and free, the parent's unfrozen objects and garbage,
  whose C extensions' state need not survive a fork (seen: a forked worker's warm-up collection
  died of SIGSEGV in a pytest process that had read Parquet with pandas, pyarrow.dataset and
  duckdb after its first scan, so every file was "the worker process scanning it died").
"""
from __future__ import annotations

import contextlib
import gc
import os
from typing import Callable, Iterator

ENV = "KPISCAN_GC"  # "0": no freeze, no threshold, no pause
YOUNG = 20_000  # the young generation's threshold in a loop over documents (Python's default: 700)

_warmed_in: int | None = None  # the process id that ran warm_up
_depth = 0  # long_run blocks open
_saved: tuple[int, ...] = ()  # the thresholds before the outermost long_run block


def enabled() -> bool:
    """Whether the policy applies (KPISCAN_GC is not "0")."""
    return os.environ.get(ENV, "1").strip() != "0"


def warm_models(whole_dictionary: bool = False) -> None:
    """Load what a scan and a review load on first use and keep for the process's life: the
    measurability model with jieba's segmenter (`classify.preload`; `whole_dictionary`: all of
    jieba's dictionary read now) and the category model; a missing or bad model is left for each
    file to report, as without the preload."""
    from .classify import preload
    from .classify.category import load_category_model
    from .classify.linear import ModelFileError

    for load in (lambda: preload(whole_dictionary), load_category_model):
        with contextlib.suppress(FileNotFoundError, ModelFileError):
            load()


def warm_up(load: Callable[[], object] | None = None, collect: bool = True) -> bool:
    """Once per process: `load()`, then a full collection (unless `collect` is False: a caller that
    knows its imports left no garbage) and gc.freeze() of everything alive. True when it froze now;
    False when this process already did, or the policy is off (KPISCAN_GC=0)."""
    global _warmed_in
    if not enabled() or _warmed_in == os.getpid():
        return False
    if load is not None:
        load()
    if collect:
        gc.collect()
    gc.freeze()
    _warmed_in = os.getpid()
    return True


@contextlib.contextmanager
def long_run(load: Callable[[], object] | None = None, collect: bool = True) -> Iterator[None]:
    """A loop over documents in this process: `warm_up(load, collect)`, and the young generation's
    threshold at YOUNG until the block ends (then the threshold it had before the outermost
    block). Blocks nest, and may end in any order (a generator's runner closed late)."""
    global _depth, _saved
    if not enabled():
        yield
        return
    warm_up(load, collect)
    if _depth == 0:
        _saved = gc.get_threshold()
        gc.set_threshold(max(YOUNG, _saved[0]), *_saved[1:])
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.set_threshold(*_saved)


def collect_dropped() -> bool:
    """A full collection now, inside a long_run block, right after a large structure made of
    reference cycles was dropped: a closed workbook part (XlsxWriter's workbook, its sheets and
    formats refer to each other, and hold the part's 65,000 links). With the raised young
    threshold the middle and full passes come seldom (1 full pass in a 64x report), so such a part
    waited for one: a 256x report held every closed part's links (+0.19 MiB a document, measured
    with tracemalloc between its 300th and 900th page). One pass per closed part (~0.1 s) frees
    it. True when it collected; outside long_run or with the policy off the interpreter's own
    schedule collects it."""
    if not enabled() or _depth == 0:
        return False
    gc.collect()
    return True


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collection in the block (a burst of allocations that makes no cycle: a spooled part's
    records unpickled; at 16x 0.33 -> 0.12 CPU s, part of it only put off to the next pass)."""
    if not enabled() or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


__all__ = ["ENV", "YOUNG", "collect_dropped", "enabled", "long_run", "paused", "warm_models", "warm_up"]
