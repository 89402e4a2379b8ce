"""Report cost against scan cost (issue 13, "Report at scale"). Not a test: run it by hand.

    python bench/bench_report.py [--times 1 16] [--corpus corpora] [--baseline-src DIR] [--json OUT]

For each size (the corpus files copied N times under different names) and each source tree (this
checkout's src/, and --baseline-src, e.g. an export of main's src/, for a before/after in the same
run), one fresh interpreter pinned to one core runs, in order:
  1. `run_scan(copies, classify=<classifier available>)`  -> scan CPU s, peak RSS after the scan
  2. `write_report(result, TMP)`                             -> report CPU s, peak RSS after the report
and prints CPU seconds (user+sys, from getrusage), the peak RSS (ru_maxrss) after each step, the
report/scan CPU ratio (target: <= 2 on 16x) and the size of index.html and of the xlsx files.
The review (findings and scores) is part of the report step, as in `kpiscan report`.
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
    args = ap.parse_args()
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
