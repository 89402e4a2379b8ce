"""Scan speed benchmark (issue 2's speed figure). Not a test: run it by hand.

    python bench/bench_scan.py [--runs 5] [--corpus corpora] [--profile] [--json OUT.json]

Measures, on one core (the process and its children pinned to one CPU where the OS allows):
  * `kpiscan scan CORPUS --out TMP` end to end as a subprocess (interpreter start, imports, scan,
    writing), and the scan alone in-process (`kpiscan.batch.run_scan` + `write_outputs`, modules
    already imported): MB of input per second and indicators per second, classify off and on
    (on only when `kpiscan.classify` exists), median of --runs runs;
  * the time of `import kpiscan` (fresh interpreter, minus a bare `python -c pass`), and of importing
    what a scan needs (`kpiscan.pipeline`, `kpiscan.batch`, `kpiscan.values`);
  * 1 vs 2 worker processes (and a 2-process Dask LocalCluster) on the 4x corpus;
  * how time grows with corpus size: the corpus files copied 1x, 4x, 16x under different names.
Target (issue 2): >= 1 MB/s of input per core end to end. When the in-process scan is slower than
that, or with --profile, a cProfile of one serial scan lists the hotspots (file:function).
"""
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MB_S = 1.0


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def unpin(cpus: set[int]) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)


def median_time(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def corpus_files(corpus: Path) -> list[Path]:
    from kpiscan.pipeline import iter_files

    return list(iter_files([corpus]))


def replicate(files: list[Path], times: int, dest: Path) -> Path:
    """`times` copies of every file under different names (r00_<name>, r01_<name>, ...)."""
    d = dest / f"x{times}"
    d.mkdir(parents=True, exist_ok=True)
    for k in range(times):
        for f in files:
            shutil.copyfile(f, d / f"r{k:02d}_{f.name}")
    return d


def mb(files: list[Path]) -> float:
    return sum(f.stat().st_size for f in files) / 1e6


def cli_end_to_end(corpus: Path, classify: bool, runs: int, tmp: Path) -> float:
    exe = shutil.which("kpiscan")
    cmd = [exe] if exe else [sys.executable, "-m", "kpiscan.cli"]
    cmd += ["scan", str(corpus), "--out", str(tmp / "cli-out")] + ([] if classify else ["--no-classify"])

    def run() -> None:
        shutil.rmtree(tmp / "cli-out", ignore_errors=True)  # no cache from a previous run
        subprocess.run(cmd, check=True, capture_output=True)

    run()  # warm the OS file cache
    return median_time(run, runs)[0]


def in_process(paths: list[Path], classify: bool, runs: int, tmp: Path, workers: int = 1, dask=None):
    from kpiscan.batch import run_scan
    from kpiscan.write import write_outputs

    box = {}

    def run() -> None:
        result = run_scan(paths, classify=classify, workers=workers, dask=dask, show_progress=False)
        write_outputs(result, tmp / "inproc-out", "jsonl")
        box["n"] = len(result.indicators)
        broken = [str(p) for p in result.problems if "internal error" in p.message]
        if broken:
            raise SystemExit(f"the scan failed: {broken[0]}")

    run()  # warm-up: imports, lexicons, compiled regexes
    t, _ = median_time(run, runs)
    return t, box["n"]


def classifier_ready() -> bool:
    """True when `kpiscan.classify.assess` can be imported (the classifier may not exist yet)."""
    try:
        from kpiscan.classify import assess  # noqa: F401
    except Exception:
        return False
    return True


def import_times(runs: int) -> dict[str, float]:
    def sub(code: str) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    bare = sub("pass")
    first_value = []
    code = "import time, kpiscan.values as v; t = time.perf_counter(); v.parse_value('≥95%'); print(time.perf_counter() - t)"
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        first_value.append(float(out.strip().splitlines()[-1]))
    return {
        "python -c pass (subtracted below)": bare,
        "import kpiscan": sub("import kpiscan") - bare,
        "import kpiscan.pipeline, .batch, .values": sub("import kpiscan.pipeline, kpiscan.batch, kpiscan.values") - bare,
        "import kpiscan.cli, .batch (the CLI's imports)": sub("import kpiscan.cli, kpiscan.batch") - bare,
        "first parse_value() in a process (grammar)": statistics.median(first_value),
    }


def profile_scan(corpus: Path, classify: bool, top: int = 25) -> str:
    from kpiscan.pipeline import scan

    scan(corpus, classify=classify)  # warm
    prof = cProfile.Profile()
    prof.enable()
    scan(corpus, classify=classify)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    # keep only the table, with paths shortened to the package
    lines = [ln.replace(str(ROOT) + "/", "") for ln in text.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="always print the cProfile hotspots")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask row")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    all_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    pinned = pin_to_one_core()
    files = corpus_files(args.corpus)
    size = mb(files)
    has_classifier = classifier_ready()
    modes = [False, True] if has_classifier else [False]
    figures: dict = {"corpus": str(args.corpus), "files": len(files), "MB": round(size, 3), "runs": args.runs}

    print(f"kpiscan scan benchmark: {len(files)} files, {size:.3f} MB in {args.corpus}; median of {args.runs} runs; {pinned}")
    print(f"python {sys.version.split()[0]}; kpiscan.classify {'present' if has_classifier else 'missing or without assess(): measured with classify OFF only'}")
    print()

    with tempfile.TemporaryDirectory(prefix="kpiscan-bench-") as tmpname:
        tmp = Path(tmpname)

        # ---- end to end, one core
        print(f"{'one core':44} {'seconds':>8} {'MB/s':>7} {'ind/s':>9}")
        rows = []
        for classify in modes:
            tag = "classify on" if classify else "classify off"
            t_scan, n = in_process([args.corpus], classify, args.runs, tmp)
            t_cli = cli_end_to_end(args.corpus, classify, args.runs, tmp)
            for label, t in ((f"scan in-process ({tag})", t_scan), (f"`kpiscan scan corpora/` CLI ({tag})", t_cli)):
                rows.append({"what": label, "seconds": t, "MB_s": size / t, "ind_s": n / t, "indicators": n})
                print(f"{label:44} {t:8.3f} {size / t:7.2f} {n / t:9.0f}")
        figures["one_core"] = rows
        print(f"  ({rows[0]['indicators']} indicators; target >= {TARGET_MB_S} MB/s per core)")
        print()

        # ---- import time
        imports = import_times(max(args.runs, 7))
        figures["imports"] = imports
        print(f"{'start-up costs (fresh interpreter, median)':44} {'ms':>8}")
        for k, v in imports.items():
            print(f"{k:44} {v * 1000:8.1f}")
        print()

        # ---- scaling with corpus size (serial, one core)
        print(f"{'corpus size (serial, classify off)':44} {'seconds':>8} {'MB/s':>7} {'ind/s':>9} {'s/MB':>7}")
        scaling = []
        dirs = {}
        for k in (1, 4, 16):
            d = replicate(files, k, tmp / "rep")
            dirs[k] = d
            runs = args.runs if k < 16 else min(3, args.runs)
            t, n = in_process([d], False, runs, tmp)
            m = size * k
            scaling.append({"copies": k, "files": len(files) * k, "MB": m, "seconds": t, "indicators": n})
            print(f"{f'{k:2d}x  ({len(files) * k} files, {m:.2f} MB)':44} {t:8.3f} {m / t:7.2f} {n / t:9.0f} {t / m:7.3f}")
        figures["scaling"] = scaling
        t16 = cli_end_to_end(dirs[16], False, min(3, args.runs), tmp)
        m16, n16 = size * 16, scaling[-1]["indicators"]
        figures["cli_16x"] = {"seconds": t16, "MB_s": m16 / t16, "ind_s": n16 / t16}
        print(f"{'16x via the CLI, end to end':44} {t16:8.3f} {m16 / t16:7.2f} {n16 / t16:9.0f} {t16 / m16:7.3f}")
        print()

        # ---- 1 vs 2 workers (needs two CPUs)
        unpin(all_cpus)
        d4 = dirs[4]
        m4 = size * 4
        print(f"{'workers on the 4x corpus (classify off)':44} {'seconds':>8} {'MB/s':>7} {'ind/s':>9} {'speedup':>7}")
        par = []
        base = None
        configs = [("1 worker (serial)", dict(workers=1)), ("2 worker processes", dict(workers=2))]
        if not args.no_dask and importlib.util.find_spec("distributed") is not None:
            configs.append(("Dask LocalCluster, 2 processes", dict(dask="local:2")))
        for label, kw in configs:
            if "dask" in kw:
                from kpiscan.batch import dask_client

                client, close = dask_client(kw["dask"])
                try:
                    t, n = in_process([d4], False, args.runs, tmp, dask=client)
                finally:
                    close()
                label += " (cluster up)"
            else:
                t, n = in_process([d4], False, args.runs, tmp, workers=kw["workers"])
            base = base or t
            par.append({"what": label, "seconds": t, "MB_s": m4 / t, "ind_s": n / t, "speedup": base / t})
            print(f"{label:44} {t:8.3f} {m4 / t:7.2f} {n / t:9.0f} {base / t:7.2f}")
        figures["workers"] = par
        print(f"  ({len(all_cpus) or '?'} CPUs available)")
        figures["cpus"] = len(all_cpus)

    slow = min(r["MB_s"] for r in rows) < TARGET_MB_S
    if slow or args.profile:
        pin_to_one_core()
        print()
        print(("below the target of 1 MB/s in some row: " if slow else "") + "cProfile of one warm serial scan (classify off), by own time:")
        print(profile_scan(args.corpus, False))

    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
