"""Instructions of `kpiscan scan`'s stages on a warm copy (issue 13, fifteenth round). Not a test.

    PYTHONHASHSEED=0 PYTHONPATH=src valgrind --tool=callgrind --dump-before=getsid \\
        --callgrind-out-file=D/cg.%p python bench/scan_stage_instructions.py mark NWARM FILES... D
    python bench/scan_stage_instructions.py sum D

Scans FILES in this process as the scan's forked worker does (`classify.preload`,
`gcpolicy.long_run`, `batch.scan_part` with the three streams encoded); the first NWARM files warm
the memos and count as "warm" (e.g. the 4 files of one copy of corpora/, then the 4 of the next
copy: what a later copy costs, stage by stage). Each stage boundary calls os.getsid(0), before
which callgrind dumps its counters; `sum` adds the dumps up per stage (M instructions).
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

from report_stages import dumps_by_stage, staging  # (bench/, this script's directory)

STAGES = (
    ("read", "kpiscan.pipeline", "read_document"),
    ("segment", "kpiscan.pipeline", "segment"),
    ("extract", "kpiscan.pipeline", "extract_table"),
    ("net", "kpiscan.pipeline", "unplaced_cells"),
    ("values", "kpiscan.pipeline", "fill_targets"),
    ("level2", "kpiscan.pipeline", "level2_by_meaning"),
    ("classify", "kpiscan.pipeline", "fill_labels"),
    ("identity", "kpiscan.pipeline", "fill_identity"),
    ("encode", "kpiscan.batch", "part_of"),
)


def summed(d: Path) -> None:
    own = dumps_by_stage(d, 1e6)
    for k, v in sorted(own.items(), key=lambda kv: -kv[1]):
        print(f"{k:12s} {v:10.1f} M")
    print(f"{'measured':12s} {sum(v for k, v in own.items() if k not in ('startup', 'exit', 'warm')):10.1f} M")


def main() -> None:
    if sys.argv[1] == "sum":
        summed(Path(sys.argv[2]))
        return
    nwarm, files, d = int(sys.argv[2]), sys.argv[3:-1], Path(sys.argv[-1])
    from kpiscan import classify, gcpolicy
    from kpiscan.batch import STREAMS, scan_part

    labels: list[str] = []
    stack = ["startup"]
    phase = ["warm"]

    def boundary() -> None:
        labels.append(phase[0] or stack[-1])
        os.getsid(0)

    wrap = staging(boundary, stack)
    for label, module, name in STAGES:
        owner = importlib.import_module(module)
        setattr(owner, name, wrap(label, getattr(owner, name)))
    classify.preload()
    with gcpolicy.long_run():
        boundary()
        stack.append("other")
        for i, f in enumerate(files):
            if i == nwarm:
                boundary()
                phase[0] = ""
            scan_part(f, True, None, None, None, STREAMS, Path(f).name)
        boundary()
        stack.pop()
    (d / "labels").write_text("\n".join(labels) + "\nexit\n")


if __name__ == "__main__":
    main()
