"""Scan speed and memory benchmark (issues 2 and 13). Not a test: run it by hand.

    python bench/bench_scan.py [--runs 5] [--corpus corpora] [--profile] [--no-dask] [--json OUT.json]
                               [--sections one_core,startup,growth,workers,scale,dask] [--copies 1,16,64]
                               [--dask-copies 16,64] [--dask-dirs /tmp/d16,/tmp/c16] [--dask-src A/src,B/src] [--dask-workers 2]

Measures on one core (the process and its children pinned to one CPU where the OS allows):
  * `kpiscan scan CORPUS --out TMP` end to end as a subprocess (interpreter start, imports, scan,
    writing the outputs and the resume cache), and the scan alone in-process (`run_scan` +
    `write_outputs`, modules already imported, no cache): MB of input per second and indicators per
    second, classify off and on (on only when the classifier works), median of --runs runs;
  * start-up: `import kpiscan` (fresh interpreter, minus a bare `python -c pass`), the imports a
    scan needs, and the first `parse_value` in a process (compiling the value grammar);
  * how time grows with corpus size: the corpus files copied 1x, 4x, 16x under different names;
  * 1 vs 2 worker processes (and a 2-process Dask LocalCluster) on the 4x corpus (unpinned).
  * scale (issue 13): `kpiscan scan COPIES --out` (classify on, the default) as a subprocess on
    1x/16x/64x copies, CPU seconds and peak RSS of that process (wait4), again with the verdict
    memo off (KPISCAN_CLASSIFY_MEMO=0: what is structural, not repetition; the outputs must be
    byte-identical), side by side in the same run with bench/positional_reader.py (a 40-line positional reader, the floor) on the same
    files: CPU per MB of each and their ratio (target <= 6x), peak RSS against 1x (target <= 1.10);
  * dask (issue 13): the same `scan --out` on the 16x and 64x copies (--dask-copies) through a
    real `dask scheduler` and two `dask worker` processes started here, all three `--preload kpiscan.daskworker` as
    docs/batch.md says (tests/dask_local.py): CPU of client, scheduler, workers and their scan
    helpers (psutil), cold (fresh warmed helpers that have not seen the files) and warm (the same
    helpers again), against the serial scan's CPU of the same round (target < 1.15x), --runs
    rounds interleaved, medians and ranges, and whether the outputs are byte-identical; with
    `--dask-src A/src,B/src` the trees (one cluster each) interleaved round by round, e.g. main's
    tree against this one; the cluster's start (the helpers loading the model) apart. `--dask-dirs`:
    directories scanned as they are (e.g. bench/distinct_copies.py's copies, whose texts do not
    repeat: no copies artefact) besides, or with `--dask-copies ""` instead of, the copies.
    `--dask-workers 1`: one worker (one helper) instead of two, so that no two helpers take turns
    on the one pinned CPU (each evicting the other's model and memos from the caches) and none
    meets a document another has seen: what is left is Dask's transport and per-task work.
    `--dask-unpinned`: the section's processes (serial and cluster) on all CPUs, so that on a quiet
    machine with a core per worker each helper has a core (and its caches) of its own, as on a
    deployed cluster; CPU seconds are still each process's own.
Every time is shown as wall seconds and CPU seconds (user+sys of this process, or of the child for
subprocesses). On a shared machine wall time carries other people's load, so throughput per core
(MB/s, indicators/s) is computed from CPU seconds; the workers table uses wall time (it is about
elapsed time). Target (issue 2): >= 1 MB/s of input per core end to end. When a one-core row is
below that, or with --profile, a cProfile of one warm serial scan lists the hotspots.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from dask_local import start_cluster, stop_cluster  # noqa: E402  (the cluster tests/test_dask_cluster.py starts)

TARGET_MB_S = 1.0


# ------------------------------------------------------------------------------------ timing


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def unpin(cpus: set[int]) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(fn, runs: int, child: bool = False) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of `runs` calls (CPU of this process, or of the
    subprocesses it waited for when `child`)."""
    walls, cpus = [], []
    for _ in range(runs):
        c0 = _children_cpu() if child else time.process_time()
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append((_children_cpu() if child else time.process_time()) - c0)
    return statistics.median(walls), statistics.median(cpus)


# ----------------------------------------------------------------------------------- corpora


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


# ------------------------------------------------------------------------------ the measures


def cli_end_to_end(corpus: Path, classify: bool, runs: int, tmp: Path) -> tuple[float, float]:
    exe = shutil.which("kpiscan")
    cmd = [exe] if exe else [sys.executable, "-m", "kpiscan.cli"]
    cmd += ["scan", str(corpus), "--out", str(tmp / "cli-out")] + ([] if classify else ["--no-classify"])

    def run() -> None:
        shutil.rmtree(tmp / "cli-out", ignore_errors=True)  # no cache from a previous run
        subprocess.run(cmd, check=True, capture_output=True)

    run()  # warm the OS file cache
    return measure(run, runs, child=True)


def in_process(paths: list[Path], classify: bool, runs: int, tmp: Path, workers: int = 1, dask=None):
    """(wall, cpu, indicators) of run_scan + write_outputs, after one warm-up run."""
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
    wall, cpu = measure(run, runs)
    return wall, cpu, box["n"]


def classifier_ready(sample: Path) -> tuple[bool, str]:
    """Whether a scan with classify on works (the classifier may not exist or not be fitted yet)."""
    from kpiscan.batch import scan_one

    try:
        from kpiscan.classify import assess  # noqa: F401
    except Exception as err:
        return False, f"cannot import kpiscan.classify.assess ({type(err).__name__}: {err})"
    broken = [p.message for p in scan_one(sample, classify=True).problems if "internal error" in p.message]
    return (False, broken[0]) if broken else (True, "works")


def startup_costs(runs: int) -> dict[str, tuple[float, float]]:
    """(wall, cpu) seconds, each minus a bare interpreter's."""

    def sub(code: str) -> tuple[float, float]:
        return measure(lambda: subprocess.run([sys.executable, "-c", code], check=True), runs, child=True)

    bare = sub("pass")
    out = {"python -c pass (subtracted below)": bare}
    for label, code in (
        ("import kpiscan", "import kpiscan"),
        ("import kpiscan.pipeline, .batch, .values", "import kpiscan.pipeline, kpiscan.batch, kpiscan.values"),
        ("import kpiscan.cli, .batch (what the CLI loads)", "import kpiscan.cli, kpiscan.batch"),
    ):
        wall, cpu = sub(code)
        out[label] = (wall - bare[0], cpu - bare[1])
    code = (
        "import time, kpiscan.values as v; w = time.perf_counter(); c = time.process_time(); v.parse_value('≥95%'); "
        "print(time.perf_counter() - w, time.process_time() - c)"
    )
    firsts = [
        tuple(map(float, subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()))
        for _ in range(runs)
    ]
    out["first parse_value() in a process (grammar)"] = (
        statistics.median(f[0] for f in firsts),
        statistics.median(f[1] for f in firsts),
    )
    return out


def profile_scan(corpus: Path, classify: bool, top: int = 22) -> str:
    from kpiscan.pipeline import scan

    scan(corpus, classify=classify)  # warm
    prof = cProfile.Profile()
    prof.enable()
    scan(corpus, classify=classify)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    lines = [ln.replace(str(ROOT) + "/", "") for ln in out.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:])


# ------------------------------------------------------------------------------------- main


def run_child(cmd: list[str], **kw) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one subprocess, as GNU time reports them: a child forked
    from this (large) process would inherit this process's peak RSS in its own ru_maxrss."""
    report = Path(tempfile.mkstemp(prefix="kpiscan-time-")[1])
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-q", "-f", "%U %S %M", "-o", str(report), *cmd], capture_output=True, **kw)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    user, system, kib = report.read_text().split()[-3:]
    report.unlink()
    return wall, float(user) + float(system), int(kib) / 1024


def kpiscan_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "kpiscan", *args]


def scale_section(files: list[Path], copies: list[int], tmp: Path, runs: int = 1) -> list[dict]:
    """`kpiscan scan --out` (verdict memo on, and off: KPISCAN_CLASSIFY_MEMO=0) and the positional
    reader on each number of copies, same run, `runs` times interleaved: medians of each command's
    CPU and RSS, and the range of the per-run ratio. The memo's share grows with the copies (a copy
    repeats every item); the memo-off column is the structural cost."""
    size = mb(files)
    positional = str(ROOT / "bench" / "positional_reader.py")
    print(
        f"{'scale: subprocesses, classify on':26} {'MB':>6} {'files':>5} {'cpu s':>7} {'s/MB':>6} {'RSS MiB':>7} {'xRSS1':>5}"
        f" | {'no-memo':>7} {'s/MB':>6} | {'pos cpu':>7} {'pos s/MB':>8} {'pos RSS':>7} | {'ratio':>5} {'no-memo':>7}"
    )
    out, base = [], None
    no_memo = {**os.environ, "KPISCAN_CLASSIFY_MEMO": "0"}
    for k in copies:
        d = replicate(files, k, tmp / "rep")
        m = size * k
        o, o2 = tmp / f"scale-out-{k}", tmp / f"scale-out-nomemo-{k}"
        shutil.rmtree(o, ignore_errors=True)
        shutil.rmtree(o2, ignore_errors=True)
        runs_of: list[tuple[tuple[float, float, float], ...]] = []
        for _ in range(runs):  # the three commands interleaved, each run a fresh output directory
            shutil.rmtree(o, ignore_errors=True)
            shutil.rmtree(o2, ignore_errors=True)
            runs_of.append(
                (
                    run_child(kpiscan_cmd("scan", str(d), "--out", str(o))),
                    run_child(kpiscan_cmd("scan", str(d), "--out", str(o2)), env=no_memo),
                    run_child([sys.executable, positional, str(d), str(tmp / f"pos-{k}.jsonl")]),
                )
            )
        (wall, cpu, rss), (_, cpu0, rss0), (pwall, pcpu, prss) = (
            tuple(statistics.median(r[c][i] for r in runs_of) for i in range(3)) for c in range(3)
        )
        ratios = sorted(r[0][1] / r[2][1] for r in runs_of)
        # the fastest run of each command (noise only adds CPU time: timeit's rule), beside the medians
        fastest = min(r[0][1] for r in runs_of) / min(r[2][1] for r in runs_of)
        base = base or rss
        n = sum(1 for _ in (o / "indicators.jsonl").open(encoding="utf-8"))
        same = all((o / f).read_bytes() == (o2 / f).read_bytes() for f in ("indicators.jsonl", "tables.jsonl", "unparsed.jsonl"))
        if not same:
            raise SystemExit(f"{k}x: the outputs with and without the verdict memo differ")
        r = {
            "copies": k,
            "MB": m,
            "files": len(files) * k,
            "indicators": n,
            "wall": wall,
            "cpu": cpu,
            "cpu_per_MB": cpu / m,
            "peak_rss_MiB": rss,
            "rss_vs_1x": rss / base,
            "no_memo_cpu": cpu0,
            "no_memo_cpu_per_MB": cpu0 / m,
            "no_memo_rss_MiB": rss0,
            "positional_cpu": pcpu,
            "positional_cpu_per_MB": pcpu / m,
            "positional_rss_MiB": prss,
            "ratio": cpu / pcpu,
            "no_memo_ratio": cpu0 / pcpu,
            "outputs_identical": same,
            "runs": runs,
            "ratio_per_run": ratios,
            "ratio_fastest": fastest,
        }
        out.append(r)
        print(
            f"{f'{k}x scan --out':26} {m:6.2f} {len(files) * k:5d} {cpu:7.2f} {cpu / m:6.3f} {rss:7.1f} {rss / base:5.2f}"
            f" | {cpu0:7.2f} {cpu0 / m:6.3f} | {pcpu:7.2f} {pcpu / m:8.3f} {prss:7.1f} | {cpu / pcpu:5.1f} {cpu0 / pcpu:7.1f}"
            + (f"  (per-run ratio {ratios[0]:.1f}-{ratios[-1]:.1f}; fastest runs {fastest:.1f})" if runs > 1 else "")
        )
    print(f"  medians of {runs} interleaved runs; ratio: scan CPU / positional reader CPU on the same files (target <= 6);"
          " no-memo: KPISCAN_CLASSIFY_MEMO=0;"
          " outputs with and without the memo byte-identical")
    return out


def _cpu_by_role(procs: list) -> dict[str, float]:
    """CPU s so far of the scheduler (procs[0]), the dask worker processes and their scan helpers."""
    import psutil

    t = {"scheduler": 0.0, "workers": 0.0, "helpers": 0.0}
    for n, p in enumerate(procs):
        ps = psutil.Process(p.pid)
        for q in [ps, *ps.children(recursive=True)]:
            ct = q.cpu_times()
            role = "scheduler" if n == 0 else "workers" if q.pid == p.pid else "helpers"
            t[role] += ct.user + ct.system
    return t


def _settled(procs: list) -> None:
    """Return once the helpers have stopped using CPU (they have loaded the model and warmed up)."""
    time.sleep(1)
    while True:
        a = _cpu_by_role(procs)["helpers"]
        time.sleep(2)
        if a > 0 and _cpu_by_role(procs)["helpers"] - a < 0.05:
            return


def _start_cluster(tmp: Path, procs: list, src: Path, workers: int = 2) -> str:
    """A scheduler and `workers` workers, `--preload kpiscan.daskworker`, kpiscan from `src` (appended
    to `procs`), ready and idle (the helpers have warmed up); the scheduler address."""
    address, _ = start_cluster(tmp, procs, [src], names=tuple(f"w{n}" for n in range(workers)))
    _settled(procs)
    return address


def _fresh_helpers(dask_worker=None) -> int:
    """Run on each Dask worker (client.run): its scan helpers replaced by new ones (started and
    warmed as at worker start), so that the next run is a cold one (helpers that have not seen
    these files) without restarting the cluster. The number of helpers."""
    import queue

    from kpiscan import scanproc

    pools = []
    while True:
        try:
            pools.append(scanproc._helpers.get_nowait())
        except queue.Empty:
            break
    for pool in pools:
        pool.close(ok=True)
    scanproc.warm_helpers(len(pools) or 1)
    return len(pools)


OUTPUTS = ("indicators.jsonl", "tables.jsonl", "unparsed.jsonl", "problems.jsonl")


def _same(a: Path, b: Path) -> bool:
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in OUTPUTS)


def dask_section(inputs: dict[str, Path], tmp: Path, runs: int = 1, srcs: list[Path] | None = None, workers: int = 2) -> list[dict]:
    """Serial `scan --out` against the same through a real scheduler and two workers started with
    `--preload kpiscan.daskworker` (CPU of every process of the cluster, by role, with psutil),
    for each kpiscan source tree in `srcs` (one cluster each, all up at once) and each input
    directory (`inputs`, by label: "16x" for copies), `runs` rounds interleaved: in each round, for
    each tree (the order turning round by round) and each input, the serial scan, then its helpers replaced
    by fresh warmed ones (`_fresh_helpers`), a cold run and a warm run. Each run's ratio is
    against the serial scan of the same tree, input and round. `workers`: Dask workers (one
    thread and one helper each; 1: no two helpers take turns on the pinned CPU, and no helper
    meets a document another has seen)."""
    from distributed import Client

    srcs = srcs or [ROOT / "src"]
    envs = [{**os.environ, "PYTHONPATH": str(src)} for src in srcs]
    clusters: list[list] = [[] for _ in srcs]
    per: dict[str, list[dict]] = {k: [{"src": str(src), "rounds": []} for src in srcs] for k in inputs}
    reference: dict[str, Path] = {}
    try:
        for t, src in enumerate(srcs):
            address = _start_cluster(tmp / f"cluster-{t}", clusters[t], src, workers)
            started = _cpu_by_role(clusters[t])
            time.sleep(5)  # the idle cluster's CPU per wall second (heartbeats, monitors, event loops)
            started["idle_cpu_per_s"] = (sum(_cpu_by_role(clusters[t]).values()) - sum(started.values())) / 5
            for k in inputs:
                per[k][t].update(address=address, start=started)
        for r in range(runs):
            order = list(range(len(srcs)))
            order = order[r % len(order):] + order[: r % len(order)]
            for t in order:
                for n, (k, d) in enumerate(inputs.items()):
                    _dask_round(r, k, d, srcs[t], envs[t], clusters[t], per[k][t], tmp / f"dask-{t}-{n}", reference, Client)
    finally:
        for procs in clusters:
            stop_cluster(procs)
    return [_dask_report(k, mb(list(d.iterdir())), len(list(d.iterdir())), runs, per[k], workers) for k, d in inputs.items()]


def _dask_round(r: int, k: str, d: Path, src: Path, env: dict, procs: list, p: dict, tmp: Path, reference: dict, Client) -> None:
    """One round of one tree on input `k` (in `d`): the serial scan, fresh helpers, a cold and a
    warm run; appended to p["rounds"]."""
    address = p["address"]
    serial_out = tmp / "serial"
    shutil.rmtree(serial_out, ignore_errors=True)
    _, serial_cpu, _ = run_child(kpiscan_cmd("scan", str(d), "--out", str(serial_out)), env=env)
    if k not in reference:
        reference[k] = tmp.with_name(f"dask-reference-{tmp.name}")
        shutil.copytree(serial_out, reference[k])
    with Client(address, timeout="60s") as client:
        client.run(_fresh_helpers)
    _settled(procs)
    row_: dict = {"serial_cpu": serial_cpu, "serial_identical_to_first_tree": _same(serial_out, reference[k])}
    for label in ("cold", "warm"):
        out = tmp / label
        shutil.rmtree(out, ignore_errors=True)
        before = _cpu_by_role(procs)
        wall, client_cpu, rss = run_child(kpiscan_cmd("scan", str(d), "--out", str(out), "--dask", address), env=env)
        after = _cpu_by_role(procs)
        roles = {role: after[role] - before[role] for role in after}
        total = client_cpu + sum(roles.values())
        row_[label] = {"client": client_cpu, **roles, "total": total, "ratio": total / serial_cpu, "wall": wall,
                       "client_rss_MiB": rss, "identical": _same(serial_out, out)}
    p["rounds"].append(row_)
    c, w = row_["cold"], row_["warm"]
    print(f"  round {r + 1} {k} {src}: serial {serial_cpu:.2f}; cold client {c['client']:.2f} + scheduler "
          f"{c['scheduler']:.2f} + workers {c['workers']:.2f} + helpers {c['helpers']:.2f} = {c['total']:.2f} -> "
          f"{c['ratio']:.3f}x; warm {w['total']:.2f} -> {w['ratio']:.3f}x; identical {c['identical'] and w['identical']}",
          flush=True)


def _dask_report(k: str, size: float, n: int, runs: int, per: list[dict], workers: int = 2) -> dict:
    med = statistics.median
    print(
        f"dask, {k} ({size:.2f} MB, {n} files), a real scheduler + {workers} workers (1 thread each), all --preload "
        f"kpiscan.daskworker; {runs} rounds of (serial, cold, warm) interleaved; medians [range]; CPU s"
    )
    for p in per:
        rounds, s = p["rounds"], p["start"]
        print(f" {p['src']}")
        print("  cluster start (helpers importing kpiscan, loading jieba and the models, warming up): "
              + ", ".join(f"{r} {s[r]:.2f}" for r in ("scheduler", "workers", "helpers"))
              + f"; idle cluster {s['idle_cpu_per_s']:.3f} CPU s per wall s")
        serial = [x["serial_cpu"] for x in rounds]
        print(f"  serial `scan --out`: {med(serial):.2f} [{min(serial):.2f}-{max(serial):.2f}]")
        p["summary"] = {"serial_cpu": med(serial)}
        for label in ("cold", "warm"):
            xs = [x[label] for x in rounds]
            m = {key: med(x[key] for x in xs) for key in ("client", "scheduler", "workers", "helpers", "total", "ratio", "wall")}
            ratios = sorted(x["ratio"] for x in xs)
            own = [x["client"] + x["scheduler"] + x["workers"] for x in xs]
            same = all(x["identical"] for x in xs) and all(x["serial_identical_to_first_tree"] for x in rounds)
            p["summary"][label] = {**m, "ratio_range": [ratios[0], ratios[-1]], "dask_own": med(own), "identical": same}
            print(f"  {label}: client {m['client']:.2f} + scheduler {m['scheduler']:.2f} + workers {m['workers']:.2f} + helpers "
                  f"{m['helpers']:.2f} = {m['total']:.2f}; x serial {m['ratio']:.3f} [{ratios[0]:.3f}-{ratios[-1]:.3f}]; "
                  f"Dask's own (client + scheduler + workers) {med(own):.2f} [{min(own):.2f}-{max(own):.2f}]; wall {m['wall']:.1f} s; "
                  f"outputs byte-identical to serial (and across trees): {same}")
        hc = [x["cold"]["helpers"] - x["warm"]["helpers"] for x in rounds]
        print(f"  helpers cold - warm (first sight of each document in each helper: memo caches, the copies artefact): "
              f"{med(hc):.2f} [{min(hc):.2f}-{max(hc):.2f}]")
    return {"input": k, "MB": size, "files": n, "runs": runs, "workers": workers, "trees": per}


def row(label: str, wall: float, cpu: float, size: float, n: int, extra: str = "") -> str:
    return f"{label:46} {wall:7.3f} {cpu:7.3f} {size / cpu:7.2f} {n / cpu:8.0f}{extra}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    ap.add_argument("--runs", type=int, default=5, help="runs per figure (median); 16x uses min(3, runs)")
    ap.add_argument("--profile", action="store_true", help="always print the cProfile hotspots")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask row")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--sections", default="one_core,startup,growth,workers,scale,dask", help="comma-separated sections to run")
    ap.add_argument("--copies", default="1,16,64", help="copies for the scale section")
    ap.add_argument("--dask-copies", default="16,64", help="copies for the dask section, comma-separated")
    ap.add_argument("--dask-dirs", default="", help="dask section: directories scanned as they are, comma-separated")
    ap.add_argument("--dask-workers", type=int, default=2, help="dask section: workers (one thread each)")
    ap.add_argument("--dask-unpinned", action="store_true",
                    help="dask section: every process on all CPUs (each worker's helper on a core of its own, as deployed)")
    ap.add_argument("--dask-src", help="dask section: kpiscan source trees to compare, comma-separated (default: this tree's src)")
    args = ap.parse_args()
    sections = set(args.sections.split(","))

    all_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    pinned = pin_to_one_core()
    files = corpus_files(args.corpus)
    size = mb(files)
    ok, why = classifier_ready(files[0])
    modes = [False, True] if ok else [False]
    figures: dict = {"corpus": str(args.corpus), "files": len(files), "MB": size, "runs": args.runs}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    print(f"kpiscan scan benchmark: {len(files)} files, {size:.3f} MB in {args.corpus}; median of {args.runs} runs; {pinned}")
    print(f"python {sys.version.split()[0]}; {len(all_cpus) or '?'} CPUs, load average {load:.1f}")
    print("classifier: " + (why if ok else f"NOT USABLE, so classify OFF only ({why})"))
    print()
    head = f"{'wall s':>7} {'cpu s':>7} {'MB/s':>7} {'ind/s':>8}"

    with tempfile.TemporaryDirectory(prefix="kpiscan-bench-") as tmpname:
        tmp = Path(tmpname)

        rows = []
        if "one_core" in sections:
            print(f"{'one core (MB/s, ind/s per CPU second)':46} {head}")
        for classify in modes if "one_core" in sections else []:
            tag = "classify on" if classify else "classify off"
            wall, cpu, n = in_process([args.corpus], classify, args.runs, tmp)
            cwall, ccpu = cli_end_to_end(args.corpus, classify, args.runs, tmp)
            for label, w, c in ((f"scan in-process ({tag})", wall, cpu), (f"`kpiscan scan corpora/ --out` ({tag})", cwall, ccpu)):
                rows.append({"what": label, "wall": w, "cpu": c, "MB_s": size / c, "ind_s": n / c, "indicators": n})
                print(row(label, w, c, size, n))
        figures["one_core"] = rows
        if rows:
            print(f"  {rows[0]['indicators']} indicators; target >= {TARGET_MB_S} MB/s per core")
            print()

        if "scale" in sections:
            figures["scale"] = scale_section(files, [int(c) for c in args.copies.split(",")], tmp, args.runs)
            print()
        if "dask" in sections and not args.no_dask:
            figures["dask"] = dask_main(args, files, all_cpus, tmp)
            print()
        if "startup" in sections:
            startup_section(args, figures)
        if "growth" in sections:
            growth_section(args, files, size, head, figures, tmp)
        if "workers" in sections:
            workers_section(args, all_cpus, files, size, tmp, figures)

    slow = bool(rows) and min(r["MB_s"] for r in rows) < TARGET_MB_S
    if slow or args.profile:
        pin_to_one_core()
        print()
        print(
            ("below 1 MB/s per core in a one-core row; " if slow else "") + "cProfile of one warm serial scan (classify off), by own time:"
        )  # noqa: E501
        print(profile_scan(args.corpus, False))

    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")


def dask_main(args, files: list[Path], all_cpus: set[int], tmp: Path) -> list[dict]:
    """The dask section with the command line's inputs, trees and workers; unpinned with `--dask-unpinned`."""
    srcs = [Path(x).resolve() for x in args.dask_src.split(",")] if args.dask_src else None
    inputs = {f"{c}x": replicate(files, int(c), tmp / "rep") for c in args.dask_copies.split(",") if c}
    inputs.update((d, Path(d).resolve()) for d in args.dask_dirs.split(",") if d)
    if args.dask_unpinned:
        unpin(all_cpus)
        print(f"dask section unpinned: {len(all_cpus) or '?'} CPUs")
    try:
        return dask_section(inputs, tmp, args.runs, srcs, args.dask_workers)
    finally:
        pin_to_one_core()


def startup_section(args, figures) -> None:
    startup = startup_costs(max(args.runs, 9))
    figures["startup"] = {k: {"wall": w, "cpu": c} for k, (w, c) in startup.items()}
    print(f"{'start-up (fresh interpreter, median, ms)':46} {'wall':>7} {'cpu':>7}")
    for k, (w, c) in startup.items():
        print(f"{k:46} {w * 1000:7.1f} {c * 1000:7.1f}")
    print()


def growth_section(args, files, size, head, figures, tmp) -> None:
    print(f"{'corpus size (serial, classify off)':46} {head} {'cpu s/MB':>8}")
    scaling, dirs = [], {}
    for k in (1, 4, 16):
        d = dirs[k] = replicate(files, k, tmp / "rep")
        wall, cpu, n = in_process([d], False, args.runs if k < 16 else min(3, args.runs), tmp)
        m = size * k
        scaling.append({"copies": k, "files": len(files) * k, "MB": m, "wall": wall, "cpu": cpu, "indicators": n})
        print(row(f"{k:2d}x ({len(files) * k} files, {m:.2f} MB) in-process", wall, cpu, m, n, f" {cpu / m:8.3f}"))
    m16, n16 = size * 16, scaling[-1]["indicators"]
    wall, cpu = cli_end_to_end(dirs[16], False, min(3, args.runs), tmp)
    figures["scaling"] = scaling
    figures["cli_16x"] = {"wall": wall, "cpu": cpu, "MB_s": m16 / cpu, "ind_s": n16 / cpu}
    print(row("16x via the CLI, end to end", wall, cpu, m16, n16, f" {cpu / m16:8.3f}"))
    print()


def workers_section(args, all_cpus, files, size, tmp, figures) -> None:
    unpin(all_cpus)
    d4, m4 = replicate(files, 4, tmp / "rep"), size * 4
    print(f"{'workers, 4x corpus (wall-time figures)':46} {'wall s':>7} {'MB/s':>7} {'ind/s':>8} {'speedup':>8}")
    configs = [("1 worker (serial)", 1, None), ("2 worker processes", 2, None)]
    if not args.no_dask:
        configs.append(("Dask LocalCluster, 2 processes (started)", 1, "local:2"))
    par, base = [], None
    for label, workers, spec in configs:
        if spec:
            from kpiscan.batch import dask_client

            client, close = dask_client(spec)
            try:
                wall, _, n = in_process([d4], False, args.runs, tmp, dask=client)
            finally:
                close()
        else:
            wall, _, n = in_process([d4], False, args.runs, tmp, workers=workers)
        base = base or wall
        par.append({"what": label, "wall": wall, "MB_s": m4 / wall, "ind_s": n / wall, "speedup": base / wall})
        print(f"{label:46} {wall:7.3f} {m4 / wall:7.2f} {n / wall:8.0f} {base / wall:8.2f}")
    figures["workers"] = par


if __name__ == "__main__":
    main()
