"""CPU seconds of `kpiscan scan DIR --out OUT` per pipeline stage (issue 13). Not a test.

    PYTHONPATH=src python bench/scan_stages.py DIR [--no-classify] [--top 25]

Runs the scan in this process (the same code path as the CLI: batch.scan_to_outputs, serial)
with a CPU-time accumulator around each stage function, and prints CPU seconds and CPU per MB per
stage; stages nest (classify runs inside scan_document), so the table gives each stage's own time
(without the stages it calls). With --top N, a cProfile of the same run sorted by own time
follows (cProfile inflates Python-heavy code; the stage table is the figure to read). The
classify memo and its hit rate are printed when the classifier has one.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

# (stage, module, function): wrapped in that module and wherever it was imported by name
STAGES = (
    ("read", "kpiscan.pipeline", "read_document"),
    ("segment", "kpiscan.pipeline", "segment"),
    ("extract", "kpiscan.pipeline", "extract_table"),
    ("nothing-lost net", "kpiscan.pipeline", "unplaced_cells"),
    ("values (fill_targets)", "kpiscan.pipeline", "fill_targets"),
    ("level2 by meaning", "kpiscan.pipeline", "level2_by_meaning"),
    ("classify (fill_labels)", "kpiscan.pipeline", "fill_labels"),
    ("encode records (part_of)", "kpiscan.batch", "part_of"),
    ("resume cache", "kpiscan.batch.ScanCache", "store"),
    ("write outputs", "kpiscan.write.OutputWriter", "add"),
)


class Clock:
    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self.stack: list[list] = []

    def wrap(self, stage: str, fn):
        def timed(*a, **kw):
            t0 = time.process_time()
            self.stack.append([stage, 0.0])
            try:
                return fn(*a, **kw)
            finally:
                _, inner = self.stack.pop()
                total = time.process_time() - t0
                self.own[stage] = self.own.get(stage, 0.0) + total - inner
                if self.stack:
                    self.stack[-1][1] += total

        return timed


def install(clock: Clock) -> None:
    import importlib

    for stage, where, name in STAGES:
        head, _, last = where.rpartition(".")
        owner = getattr(importlib.import_module(head), last) if last[0].isupper() else importlib.import_module(where)
        setattr(owner, name, clock.wrap(stage, getattr(owner, name)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--no-classify", action="store_true")
    ap.add_argument("--top", type=int, default=0, help="also print a cProfile of the run, N rows by own time")
    args = ap.parse_args()

    from kpiscan.batch import scan_to_outputs

    clock = Clock()
    install(clock)
    size = sum(f.stat().st_size for f in args.dir.rglob("*") if f.is_file()) / 1e6
    out = Path(tempfile.mkdtemp(prefix="kpiscan-stages-"))
    prof = cProfile.Profile() if args.top else None
    t0 = time.process_time()
    if prof:
        prof.enable()
    try:
        scan_to_outputs([args.dir], out, classify=not args.no_classify, show_progress=False)
    finally:
        if prof:
            prof.disable()
        shutil.rmtree(out, ignore_errors=True)
    total = time.process_time() - t0
    print(f"scan --out {args.dir} ({size:.2f} MB), classify {'off' if args.no_classify else 'on'}, in-process, "
          f"imports done before: {total:.2f} CPU s, {total / size:.3f} s/MB")
    print(f"{'stage (own time)':28} {'cpu s':>7} {'s/MB':>7} {'share':>6}")
    for stage, _, _ in STAGES:
        s = clock.own.get(stage, 0.0)
        print(f"{stage:28} {s:7.2f} {s / size:7.3f} {s / total:6.1%}")
    rest = total - sum(clock.own.values())
    print(f"{'(other: walk, hashing, ...)':28} {rest:7.2f} {rest / size:7.3f} {rest / total:6.1%}")
    try:
        from kpiscan.classify import memo_stats

        print("classify memo: " + memo_stats())
    except ImportError:
        pass
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.top)
        lines = s.getvalue().splitlines()
        start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
        print("\n".join(ln.replace(str(Path.cwd()) + "/", "") for ln in lines[start:] if ln.strip()))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
