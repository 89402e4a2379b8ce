"""Classifier cost (issue 13), before/after in one run: CPU time of a first scan, of a scan with
everything loaded, and the import chain the classifier pulls in. Not a test: run it by hand.

    git archive <before-commit> | tar -x -C /tmp/before
    python3 bench/bench_classifier_cost.py --before /tmp/before/src [--after src] [--runs 3]

For each source tree (PYTHONPATH=<tree>), alternating, --runs times, in fresh interpreters:
  * first scan: `python -c "scan corpora/ with the classifier"` as a child process, its CPU time
    (user+sys from getrusage of the children: interpreter, imports, model and jieba loading, scan;
    the two later scans the child times are subtracted);
  * scan CPU: inside the child, after the model and the tokenizer are loaded, one scan of the
    corpus (the per-text memo starts empty: the same texts are not scanned twice), and the same
    scan without the classifier: their difference is what classifying costs; and `assess()` alone
    over the scanned records (memo empty), the classifier isolated from the rest of the scan;
  * peak RSS of the child;
  * import time: `python -X importtime` of `import kpiscan.classify; load_model()` (the sum of the
    top-level imports' cumulative microseconds), and whether sklearn/scipy/pandas got imported.
Medians over the runs. CPU time, not wall time: the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
t0 = time.process_time()
from kpiscan.pipeline import scan
import kpiscan.classify as c
corpus = sys.argv[1]
first = scan(corpus)
t_first = time.process_time() - t0
def clear():
    # everything is loaded now; clear the per-text memos so a timed run reads every text afresh
    for mod, names in (("kpiscan.classify.terms", ("term_hits", "name_cues")),
                       ("kpiscan.classify.rules", ("name_as_value", "_certain_code")),
                       ("kpiscan.tokenize", ("_tokens",))):
        m = sys.modules.get(mod)
        for n in names:
            f = getattr(m, n, None)
            if hasattr(f, "cache_clear"):
                f.cache_clear()
clear()
t1 = time.process_time(); plain = scan(corpus, classify=False); t_plain = time.process_time() - t1
clear()
t3 = time.process_time(); c.assess(first.indicators); t_assess = time.process_time() - t3
clear()
t2 = time.process_time(); again = scan(corpus); t_scan = time.process_time() - t2
assert [i.to_dict() for i in again.indicators] == [i.to_dict() for i in first.indicators]
heavy = sorted(m for m in ("sklearn", "scipy", "pandas", "joblib") if m in sys.modules)
print(json.dumps({"first_in_process": t_first, "scan": t_scan, "scan_no_classify": t_plain, "assess": t_assess,
                  "indicators": len(first.indicators), "heavy": heavy,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

IMPORTS = "import kpiscan.classify as c; c.load_model(); c.classify_one('人数', '3人')"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env.pop("KPISCAN_MODELS", None)
    return env


def run_scan(src: Path, corpus: Path) -> dict[str, float]:
    before = _children_cpu()
    out = subprocess.run([sys.executable, "-c", CHILD, str(corpus)], env=_env(src), check=True,
                         capture_output=True, text=True)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    # the child's CPU minus the two timed scans it ran after the first
    row["first_scan_process"] = _children_cpu() - before - row["scan"] - row["scan_no_classify"] - row["assess"]
    return row


def import_time(src: Path) -> float:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", IMPORTS], env=_env(src), check=True,
                         capture_output=True, text=True)
    total = 0
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.split("|")
        name = parts[2]
        if parts[1].strip().isdigit() and name.startswith(" ") and not name.startswith("  "):
            total += int(parts[1])
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, required=True, help="src/ of the version to compare with")
    parser.add_argument("--after", type=Path, default=ROOT / "src")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    rows: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    imports: dict[str, list[float]] = {k: [] for k in trees}
    for _ in range(args.runs):
        for name, src in trees.items():
            rows[name].append(run_scan(src, args.corpus))
            imports[name].append(import_time(src))
    keys = [("first_scan_process", "first scan, whole process (CPU s)"),
            ("first_in_process", "first scan from `import` (CPU s)"),
            ("scan", "scan, model+jieba loaded (CPU s)"),
            ("scan_no_classify", "scan without classifier (CPU s)"),
            ("classify", "classifier share of the scan (CPU s)"),
            ("assess", "assess() alone over the records (CPU s)"),
            ("rss_mib", "peak RSS (MiB)")]
    for name in trees:
        for r in rows[name]:
            r["classify"] = r["scan"] - r["scan_no_classify"]
    print(f"corpus {args.corpus}: {rows['after'][0]['indicators']} indicators; median of {args.runs} runs, "
          f"before/after alternated")
    print(f"{'':40} {'before':>10} {'after':>10} {'ratio':>7}")
    for key, label in keys:
        b = statistics.median(r[key] for r in rows["before"])
        a = statistics.median(r[key] for r in rows["after"])
        print(f"{label:40} {b:10.3f} {a:10.3f} {b / a if a else float('nan'):7.2f}x")
    b, a = statistics.median(imports["before"]), statistics.median(imports["after"])
    print(f"{'import kpiscan.classify + load_model (s)':40} {b:10.3f} {a:10.3f} {b / a:7.2f}x  (-X importtime)")
    for name in trees:
        print(f"{name}: heavy modules imported by a scan: {rows[name][0]['heavy'] or 'none'}")


if __name__ == "__main__":
    main()
