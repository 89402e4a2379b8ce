"""Issue 13's two CPU ratios counted in instructions, which the host's noise cannot blur. Not a test.

    python bench/bench_instructions.py [--corpus corpora] [--copies 4 16] [--src A/src,B/src]

On this shared machine the same `kpiscan scan --out` costs 2.8-5.2 CPU s run to run (16x, one
pinned core, load ~0.4), so a ratio of CPU times moves by more than the changes it should show.
This bench runs each command once under valgrind's callgrind (`--trace-children=yes`: the scan's
forked worker and any helper are counted too; PYTHONHASHSEED=0, so two runs of a tree count the
same to within ~0.1%) and prints the instructions executed (Ir) by every process of the command:

  - bench/positional_reader.py COPIES OUT   (the 40-line floor of bench_scan.py's scale section)
  - kpiscan scan COPIES --out TMP           (per --src tree)
  - kpiscan report COPIES --out TMP         (per --src tree)

with their ratios: scan / reader (issue 13's "CPU per MB of scan --out at most 6x the positional
reader") and report / scan (its "report CPU at most 2x scan CPU on 16x"). Instructions are not CPU
time: the reader spends a larger share of its instructions in C (json, str.split), whose
instructions run faster per instruction than the interpreter's, so its instruction ratio is lower
than its CPU ratio (compare with bench_scan.py's medians); both ratios are printed so neither is
taken for the other. Valgrind runs the commands ~50x slower: 4x takes a few minutes, 16x ~15.

A forked child starts with its parent's counters: callgrind writes, in the child's file, the
instructions the parent ran before the fork as the child's own. `kpiscan scan --out` forks its
worker after the imports and the model's load (~1.45 G at any size), so summing the two files
counted those twice (scan / reader at 16x: 5.53 before this was seen, ~5.1 without the double
count). Each process's counters are therefore dumped and zeroed on entering glibc's `_Fork`
(`--dump-before=_Fork`): the parent's file holds what ran before the fork (a part of its own),
the child's only what it ran.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_scan import corpus_files, mb, replicate  # noqa: E402


def instructions(cmd: list[str], src: Path | None, tmp: Path, label: str) -> int:
    """Instructions (Ir) of `cmd` and every process it starts, counted by callgrind, each once: the
    counters are dumped (a part file of their own) and zeroed before every fork, so a forked
    child's file does not count again what its parent ran before the fork."""
    out = tmp / f"cg-{label}"
    out.mkdir()
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--trace-children=yes", "--dump-before=_Fork", "--callgrind-out-file=" + str(out / "cg.%p"), *cmd],
        env=env, capture_output=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{label}: {' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-1500:]}")
    total = 0
    for f in out.glob("cg.*"):
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total += int(line.split()[1])
                break
    shutil.rmtree(out)
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT / "corpora"))
    ap.add_argument("--copies", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--src", default=str(ROOT / "src"), help="comma-separated kpiscan source trees")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("bench_instructions.py: valgrind is not installed (apt-get install valgrind)")
    srcs = [Path(s).resolve() for s in args.src.split(",")]
    files = corpus_files(Path(args.corpus))
    reader = str(ROOT / "bench" / "positional_reader.py")
    print("copies\tMB\ttree\treader_Gi\tscan_Gi\treport_Gi\tscan/reader\treport/scan", flush=True)
    with tempfile.TemporaryDirectory(prefix="kpiscan-ir-") as t:
        tmp = Path(t)
        for k in args.copies:
            d = replicate(files, k, tmp)
            size = mb(list(d.iterdir()))
            floor = instructions([sys.executable, reader, str(d), str(tmp / "pos.jsonl")], None, tmp, f"pos{k}")
            for i, src in enumerate(srcs):
                kpiscan = [sys.executable, "-m", "kpiscan"]
                scan = instructions([*kpiscan, "scan", str(d), "--out", str(tmp / f"s{k}-{i}")], src, tmp, f"scan{k}-{i}")
                report = instructions([*kpiscan, "report", str(d), "--out", str(tmp / f"r{k}-{i}")], src, tmp, f"report{k}-{i}")
                counts = f"{floor / 1e9:.3f}\t{scan / 1e9:.3f}\t{report / 1e9:.3f}"
                print(f"{k}x\t{size:.2f}\t{src}\t{counts}\t{scan / floor:.2f}\t{report / scan:.2f}", flush=True)


if __name__ == "__main__":
    main()
