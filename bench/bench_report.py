"""Report cost and memory against scan cost (issue 13, "Report at scale"). Not a test: run it by hand.

    python bench/bench_report.py [--times 1 16 64] [--corpus corpora] [--baseline-src DIR]
                                 [--baseline-times 1 16] [--runs 3] [--json OUT] [--docs 1000]

For each size (the corpus files copied N times under different names) one fresh interpreter
pinned to one core runs each command as a user would, in the same run:
  - `kpiscan scan COPIES --out TMP`                 (this tree)
  - `kpiscan report COPIES --out TMP`               (this tree: streaming, kpiscan.report.report_scan)
  - `kpiscan report COPIES --out TMP`               (--baseline-src, e.g. a copy of main's src/ from
                                                    before the change, at --baseline-times sizes)
and prints CPU seconds (user+sys, getrusage of that process and of its child processes: `scan`
scans each file in a worker process by default (`--file-timeout`), imports included), the peak
RSS (ru_maxrss) of the process and of its largest child, the report's CPU over the scan's
(`ratio`, target <= 2 at 16x; `extra` = (report - scan) / scan: what the report adds to
scanning; `own_s_per_doc` = (report - scan) / documents: the report's own work per document),
the size of index.html and the number of xlsx parts, and the garbage collector's CPU seconds in
the process (not its children) by generation (`gc_s`: gen0/gen1/gen2, gc.callbacks timing) with the
number of passes (`gc_n`). The bound: peak RSS of `report` at 64x against 1x, and per added document.

--runs N: N interleaved rounds per size (scan, report, then the baseline's scan and report when
--baseline-src runs at that size, then the next round: a slow spell of the machine hits both
trees alike), and a summary per size, command and tree: the median and the range (min-max) of
CPU s, of the ratio (each round's report over the same round's scan of the same tree), of the
GC seconds by generation and of the peak RSS. The machine is noisy (the same report 8.7-14.4
CPU s run to run): quote medians of >= 3 rounds, and the GC seconds, which noise blurs less.

--docs N (this tree only): the 1x scan result copied in memory under N document names (no scan),
then reported with write_report: the size of index.html and of one page of the document list
when the documents outnumber a page, the report CPU per document and the peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, os, resource, sys
from pathlib import Path
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import gc, time
GC_S, GC_N, _gc_t = [0.0, 0.0, 0.0], [0, 0, 0], [0.0]
def _gc_timer(phase, info):  # the collector's CPU seconds in this process, by generation
    if phase == "start":
        _gc_t[0] = time.process_time()
    else:
        GC_S[info["generation"]] += time.process_time() - _gc_t[0]
        GC_N[info["generation"]] += 1
gc.callbacks.append(_gc_timer)
from kpiscan.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
    code = 0
except SystemExit as exit:
    code = exit.code
r = resource.getrusage(resource.RUSAGE_SELF)
c = resource.getrusage(resource.RUSAGE_CHILDREN)  # `scan` scans in worker processes (scanproc, --file-timeout)
print(json.dumps({"code": code, "cpu": round(r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime, 2),
                  "rss_mib": round(r.ru_maxrss / 1024, 1), "child_rss_mib": round(c.ru_maxrss / 1024, 1),
                  "gc_s": [round(s, 3) for s in GC_S], "gc_n": GC_N}))
"""


MANY = r"""
import json, os, resource, sys
from dataclasses import replace
from pathlib import Path
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from kpiscan.batch import run_scan
from kpiscan.report import write_report

corpus, out, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
one = run_scan([corpus], classify=True, show_progress=False)
docs = sorted({t.doc for t in one.tables})

class Scan:
    def __init__(self):
        self.tables, self.indicators, self.problems = [], [], []

scan = Scan()
for k in range(-(-n // len(docs))):
    for t in one.tables:
        scan.tables.append(replace(t, doc=f"copy{k:05d}/{t.doc}"))
    for i in one.indicators:
        scan.indicators.append(replace(i, doc=f"copy{k:05d}/{i.doc}"))
r0 = resource.getrusage(resource.RUSAGE_SELF)
written = write_report(scan, out)
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
lists = written["lists"]
print(json.dumps({
    "docs": len(written["docs"]), "indicators": len(scan.indicators), "report_cpu": round(cpu, 1),
    "cpu_ms_per_doc": round(1000 * cpu / len(written["docs"]), 1),
    "rss_before_report_mib": round(r0.ru_maxrss / 1024), "rss_after_report_mib": round(r1.ru_maxrss / 1024),
    "index_kb": round((out / "index.html").stat().st_size / 1024, 1), "list_pages": len(lists),
    "list_page_kb": round(lists[0].stat().st_size / 1024, 1) if lists else None,
    "xlsx_parts": len(written["xlsx_parts"]),
}))
"""


def replicate(corpus: Path, times: int, dest: Path) -> Path:
    files = sorted(p for p in corpus.iterdir() if p.is_file() and p.suffix in (".txt", ".html", ".htm"))
    dest.mkdir(parents=True, exist_ok=True)
    for k in range(times):
        for f in files:
            shutil.copyfile(f, dest / f"r{k:02d}_{f.name}")
    return dest


def run_cli(src: Path, args: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    proc = subprocess.run([sys.executable, "-c", WORKER, "-q", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"bench worker failed ({src} {args}):\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def outputs(out: Path) -> dict:
    xlsx = sorted(out.glob("*.xlsx"))
    index = out / "index.html"
    return {"docs": len(list((out / "docs").glob("*.html"))) if (out / "docs").is_dir() else None,
            "index_kb": round(index.stat().st_size / 1024, 1) if index.exists() else None,
            "xlsx_parts": len(xlsx)}


HEAD = ("times", "round", "mb", "docs", "command", "tree", "cpu_s", "peak_rss_mib", "child_rss_mib", "ratio", "extra",
        "own_s_per_doc", "gc_s", "gc_n", "index_kb", "xlsx_parts")


def measure(args: argparse.Namespace) -> list[dict]:
    """Each size's rounds, interleaved: this tree's scan and report (and the baseline's), printed as they end."""
    print("\t".join(HEAD), flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kpiscan-bench-report-") as tmp:
        tmp = Path(tmp)
        for times in args.times:
            corpus = replicate(args.corpus, times, tmp / f"x{times}")
            size = sum(p.stat().st_size for p in corpus.iterdir()) / 2**20
            runs = [("scan", "this", ROOT / "src"), ("report", "this", ROOT / "src")]
            if args.baseline_src and times in args.baseline_times:
                runs += [("scan", "baseline", args.baseline_src), ("report", "baseline", args.baseline_src)]
            for round_ in range(1, args.runs + 1):
                scan_cpu: dict[str, float] = {}
                for command, tree, src in runs:
                    out = tmp / f"out-{command}-{tree}-{times}"
                    r = run_cli(src, [command, str(corpus), "--out", str(out)])
                    scan = scan_cpu.get(tree) if command == "report" else None
                    if command == "scan":
                        scan_cpu[tree] = r["cpu"]
                    r.update(times=times, round=round_, mb=round(size, 2), command=command, tree=tree, cpu_s=r["cpu"],
                             peak_rss_mib=r["rss_mib"], ratio=round(r["cpu"] / scan, 2) if scan else None,
                             extra=round((r["cpu"] - scan) / scan, 2) if scan else None,
                             **(outputs(out) if command == "report" else {"docs": len(list(corpus.iterdir())), "index_kb": None,
                                                                         "xlsx_parts": None}))
                    r["own_s_per_doc"] = round((r["cpu"] - scan) / r["docs"], 3) if scan and r.get("docs") else None
                    rows.append(r)
                    print("\t".join(str(r[h]) for h in HEAD), flush=True)
                    shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(corpus, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    ap.add_argument("--times", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--baseline-src", type=Path, help="another src/ tree whose `kpiscan report` is measured in the same run (before)")
    ap.add_argument("--baseline-times", type=int, nargs="+", default=[1, 16], help="the sizes the baseline runs at")
    ap.add_argument("--runs", type=int, default=1, help="interleaved rounds per size; > 1 prints medians and ranges")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--docs", type=int, help="report the 1x scan copied under this many document names")
    args = ap.parse_args()
    if args.docs:
        with tempfile.TemporaryDirectory(prefix="kpiscan-bench-report-") as tmp:
            proc = subprocess.run([sys.executable, "-c", MANY, str(args.corpus), str(Path(tmp) / "out"), str(args.docs)],
                                  capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
                                  cwd=ROOT)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-2000:])
            print(proc.stdout.strip())
        return
    rows = measure(args)
    print("CPU s = user+sys of one process pinned to one core and its children (imports included); peak RSS = its "
          "ru_maxrss, child RSS = its largest child's; "
          "ratio = report CPU / scan --out CPU of the same tree and round (target <= 2 at 16x); extra = (report - scan) / scan; "
          "own_s_per_doc = (report - scan) / documents: the report's own work per document; gc_s, gc_n = the garbage "
          "collector's CPU s and passes by generation (0, 1, 2) in the process, not its children (`scan` scans in a child)")
    if args.runs > 1:
        print(summary(rows))
    print(rss_bound(rows, args.corpus))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


def rss_bound(rows: list[dict], corpus: Path) -> str:
    """Each command's and tree's peak RSS (the process's or its largest child's, whichever is
    larger; median of the rounds) at the largest size over the smallest."""
    n_files = len([p for p in corpus.iterdir() if p.is_file() and p.suffix in (".txt", ".html", ".htm")])
    lines = []
    for command in ("scan", "report"):
        for tree in ("this", "baseline"):
            rss: dict[int, list[float]] = {}
            for r in rows:
                if r["command"] == command and r["tree"] == tree:
                    rss.setdefault(r["times"], []).append(max(r["peak_rss_mib"], r["child_rss_mib"]))
            if len(rss) > 1:
                lo, hi = min(rss), max(rss)
                rss_lo, rss_hi = statistics.median(rss[lo]), statistics.median(rss[hi])
                added = (hi - lo) * n_files
                lines.append(f"{tree}: {command} peak RSS {hi}x / {lo}x: {rss_hi / rss_lo:.3f} ({rss_lo:.1f} -> {rss_hi:.1f} MiB, "
                             f"{rss_hi - rss_lo:+.1f} MiB over {added} more documents: "
                             f"{1024 * (rss_hi - rss_lo) / max(added, 1):.1f} KiB per document)")
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    """Median [min-max] over the rounds of each size, command and tree."""
    def spread(values: list[float], digits: int = 2) -> str:
        return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"

    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["times"], r["command"], r["tree"]), []).append(r)
    lines = ["times\tcommand\ttree\truns\tcpu_s median [range]\tratio median [range]\tgc0_s\tgc1_s\tgc2_s\tgc passes (median)"
             "\tpeak_rss_mib median [range]"]
    for (times, command, tree), rs in groups.items():
        ratios = [r["ratio"] for r in rs if r["ratio"] is not None]
        lines.append("\t".join([
            str(times), command, tree, str(len(rs)), spread([r["cpu_s"] for r in rs]), spread(ratios) if ratios else "-",
            *(spread([r["gc_s"][g] for r in rs], 3) for g in range(3)),
            "/".join(str(statistics.median([r["gc_n"][g] for r in rs])) for g in range(3)),
            spread([r["peak_rss_mib"] for r in rs], 1)]))
    lines += fastest(groups)
    return "\n".join(lines)


def fastest(groups: dict[tuple, list[dict]]) -> list[str]:
    """Report / scan of each size and tree from each command's fastest round (its least CPU s).
    Another process on the host only ever adds CPU time to a run, so the least of N runs is the
    estimate least blurred by the host (timeit's rule); printed beside the medians, not instead."""
    out = []
    for (times, command, tree), rs in groups.items():
        scans = groups.get((times, "scan", tree))
        if command == "report" and scans:
            report_s, scan_s = min(r["cpu_s"] for r in rs), min(r["cpu_s"] for r in scans)
            out.append(f"{times}x {tree}: report / scan of the fastest rounds {report_s:.2f} / {scan_s:.2f} = {report_s / scan_s:.2f}")
    return out


if __name__ == "__main__":
    main()
