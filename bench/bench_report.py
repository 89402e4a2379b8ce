"""Report cost against scan cost (issue 13, "Report at scale"). Not a test: run it by hand.

    python bench/bench_report.py [--times 1 16] [--corpus corpora] [--baseline-src DIR] [--json OUT]
                                 [--docs 1000]

For each size (the corpus files copied N times under different names) and each source tree (this
checkout's src/, and --baseline-src, e.g. an export of main's src/, for a before/after in the same
run), one fresh interpreter pinned to one core runs, in order:
  1. `run_scan(copies, classify=<classifier available>)`  -> scan CPU s, peak RSS after the scan
  2. `write_report(result, TMP)`                             -> report CPU s, peak RSS after the report
and prints CPU seconds (user+sys, from getrusage), the peak RSS (ru_maxrss) after each step, the
report/scan CPU ratio (target: <= 2 on 16x) and the size of index.html and of the xlsx files.
The review (findings and scores) is part of the report step, as in `kpiscan report`.

--docs N (this tree only): the 1x scan result copied in memory under N document names (no scan),
then reported: the size of index.html and of one page of the document list when the documents
outnumber a page, the report CPU per document and the peak RSS.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
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
from kpiscan.batch import run_scan
from kpiscan.report import write_report
try:
    from kpiscan.classify import MODEL_PATH
    classify = MODEL_PATH.exists()
except ImportError:
    classify = False

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss / 1024

corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
c0, m0 = cpu()
result = run_scan([corpus], classify=classify, show_progress=False)
c1, m1 = cpu()
write_report(result, out)
c2, m2 = cpu()
xlsx = sorted(out.glob("*.xlsx"))
print(json.dumps({
    "classify": classify, "files": len(result.files), "indicators": len(result.indicators),
    "scan_cpu": round(c1 - c0, 2), "report_cpu": round(c2 - c1, 2),
    "rss_start_mib": round(m0), "rss_after_scan_mib": round(m1), "rss_after_report_mib": round(m2),
    "index_kb": round((out / "index.html").stat().st_size / 1024, 1),
    "xlsx_files": len(xlsx), "xlsx_kb": round(sum(p.stat().st_size for p in xlsx) / 1024, 1),
}))
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


def run_one(src: Path, corpus: Path, out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    proc = subprocess.run([sys.executable, "-c", WORKER, str(corpus), str(out)], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"bench worker failed ({src}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    ap.add_argument("--times", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--baseline-src", type=Path, help="another src/ tree to measure in the same run (before)")
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
    trees = [("this", ROOT / "src")] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="kpiscan-bench-report-") as tmp:
        tmp = Path(tmp)
        for times in args.times:
            corpus = replicate(args.corpus, times, tmp / f"x{times}")
            size = sum(p.stat().st_size for p in corpus.iterdir()) / 2**20
            for name, src in trees:
                out = tmp / f"out-{name}-{times}"
                r = run_one(src, corpus, out)
                r.update(tree=name, times=times, mb=round(size, 2),
                         ratio=round(r["report_cpu"] / r["scan_cpu"], 2) if r["scan_cpu"] else None)
                rows.append(r)
                shutil.rmtree(out, ignore_errors=True)
    head = ("tree", "times", "mb", "files", "indicators", "scan_cpu", "report_cpu", "ratio",
            "rss_after_scan_mib", "rss_after_report_mib", "index_kb", "xlsx_files", "xlsx_kb")
    print("\t".join(head))
    for r in rows:
        print("\t".join(str(r[h]) for h in head))
    print(f"classify: {rows[0]['classify']}; CPU s = user+sys of one pinned process; "
          "RSS = peak (ru_maxrss) after that step; ratio = report CPU / scan CPU (target <= 2 at 16x)")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
