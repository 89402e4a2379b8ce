"""Issue 13's scan / reader gap in estimated cycles, not only instructions. Not a test.

    python bench/bench_cycles.py [--corpus /tmp/c4] [--src A/src,B/src] [--ll BYTES] [--top 25]

Runs `kpiscan scan CORPUS --out TMP` (per --src tree) and bench/positional_reader.py over the same
files once each under callgrind with its cache and branch simulation (`--cache-sim=yes
--branch-sim=yes`; PYTHONHASHSEED=0; the scan's forked worker counted once, as
bench_instructions.py counts it: `--dump-before=_Fork`) and prints, per process and in all, the
instructions and an estimate of the cycles they cost:

    cycles = Ir + 10 (I1mr + D1mr + D1mw) + 100 (ILmr + DLmr + DLmw) + 10 Bcm + 20 Bim

(L1 misses 10 cycles, last-level misses 100, a mispredicted conditional branch 10, an indirect
one 20), the cycles per instruction (CPI) it gives and each term's share; with --top N also the N
C functions of the scan's worker that cost the most estimated cycles. Valgrind reads this host's
L3 as a 256 MiB direct-mapped last level (no misses to speak of); `--ll 1048576` simulates the
1 MiB L2 as the last level instead. Callgrind's branch predictors are simple (a 2-bit counter per
branch, the last target of each indirect jump): a real CPU's history-based predictors do far
better on a loop as regular as the reader's, which this estimate cannot show.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENTS = "Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim".split()


def cycles(d: dict[str, int]) -> int:
    """The estimate above, from one process's (or function's) event counts."""
    return (d["Ir"] + 10 * (d["I1mr"] + d["D1mr"] + d["D1mw"]) + 100 * (d["ILmr"] + d["DLmr"] + d["DLmw"])
            + 10 * d["Bcm"] + 20 * d["Bim"])


def summary(path: Path) -> dict[str, int]:
    for line in path.open(errors="replace"):
        if line.startswith("summary:"):
            return dict(zip(EVENTS, map(int, line.split()[1:])))
    return dict.fromkeys(EVENTS, 0)


def self_costs(path: Path) -> dict[str, dict[str, int]]:
    """Each function's own events (not its callees'), recursion levels (`'2`) folded together."""
    names: dict[str, str] = {}
    costs: dict[str, list[int]] = collections.defaultdict(lambda: [0] * len(EVENTS))

    def name(rest: str) -> str:
        m = re.match(r"\((\d+)\)(?:\s+(.*))?", rest)
        if not m:
            return rest
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), m.group(1))

    fn, skip = "?", False
    for line in path.open(errors="replace"):
        if line.startswith("fn="):
            fn, skip = re.sub(r"'\d+$", "", name(line[3:].strip())), False
        elif line.startswith("cfn="):
            name(line[4:].strip())
        elif line.startswith("calls="):
            skip = True  # the next cost line is the call's inclusive cost
        elif line[:1].isdigit() or line[:1] in "+-*":
            if skip:
                skip = False
                continue
            for i, v in enumerate(line.split()[1:]):
                costs[fn][i] += int(v)
    return {f: dict(zip(EVENTS, c)) for f, c in costs.items()}


def row(label: str, d: dict[str, int]) -> str:
    c = cycles(d)
    share = lambda n: f"{100 * n / c:4.1f}%"  # noqa: E731
    return (f"{label:28s} Ir {d['Ir'] / 1e6:8.1f} M  cycles {c / 1e6:8.1f} M  CPI {c / max(d['Ir'], 1):.2f}  "
            f"L1 {share(10 * (d['I1mr'] + d['D1mr'] + d['D1mw']))}  LL {share(100 * (d['ILmr'] + d['DLmr'] + d['DLmw']))}  "
            f"cond {share(10 * d['Bcm'])} ({100 * d['Bcm'] / max(d['Bc'], 1):.1f}% missed)  "
            f"ind {share(20 * d['Bim'])} ({100 * d['Bim'] / max(d['Bi'], 1):.0f}% missed)")


def run(label: str, cmd: list[str], src: Path | None, tmp: Path, ll: int | None) -> list[Path]:
    out = tmp / label
    out.mkdir()
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    extra = [f"--LL={ll},8,64"] if ll else []
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--cache-sim=yes", "--branch-sim=yes", *extra, "--trace-children=yes",
                           "--dump-before=_Fork", f"--callgrind-out-file={out}/cg.%p", *cmd], env=env, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"{label}: exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-1500:]}")
    return sorted(p for p in out.glob("cg.*") if summary(p)["Ir"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/tmp/c4")
    ap.add_argument("--src", default=str(ROOT / "src"), help="comma-separated kpiscan source trees (byte-compiled)")
    ap.add_argument("--ll", type=int, default=None, help="the simulated last level's size in bytes (1048576: the L2)")
    ap.add_argument("--top", type=int, default=0, help="the scan worker's N costliest C functions")
    args = ap.parse_args()
    py = "/root/.pyenv/versions/3.11.7/bin/python" if Path("/root/.pyenv/versions/3.11.7/bin/python").exists() else sys.executable
    with tempfile.TemporaryDirectory(prefix="kpiscan-cycles-") as t:
        tmp = Path(t)
        runs = [("reader", [py, str(ROOT / "bench" / "positional_reader.py"), args.corpus, str(tmp / "reader.jsonl")], None)]
        runs += [(f"scan{i}", [py, "-m", "kpiscan", "scan", args.corpus, "--out", str(tmp / f"out{i}")], Path(s))
                 for i, s in enumerate(args.src.split(","))]
        for label, cmd, src in runs:
            files = run(label, cmd, src, tmp, args.ll)
            total = dict.fromkeys(EVENTS, 0)
            for f in files:
                d = summary(f)
                total = {k: total[k] + d[k] for k in EVENTS}
                print(row(f"  {label} {f.name}", d))
            print(row(f"{label} {src or ''}"[:28], total))
            if args.top and label != "reader":
                worker = max(files, key=lambda f: summary(f)["Ir"])
                costs = self_costs(worker)
                whole = cycles(summary(worker))
                for fn, d in sorted(costs.items(), key=lambda kv: -cycles(kv[1]))[: args.top]:
                    print(f"    {100 * cycles(d) / whole:5.1f}% cycles {100 * d['Ir'] / max(summary(worker)['Ir'], 1):5.1f}% Ir "
                          f"CPI {cycles(d) / max(d['Ir'], 1):5.2f}  {fn[:80]}")


if __name__ == "__main__":
    main()
