"""Issue 13's two CPU ratios counted in instructions, which the host's noise cannot blur. Not a test.

    python bench/bench_instructions.py [--corpus corpora] [--copies 4 16] [--src A/src,B/src]
    python bench/bench_instructions.py --dask /tmp/d16,/tmp/c16 [--only serial|cluster] [--warm] [--idle 60] [--keep DIR]

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

--dask DIRS: issue 13's "CPU overhead of Dask vs serial" in instructions (`dask_counts`): per
directory, serial `kpiscan scan DIR --out` counted as above, and `kpiscan scan DIR --out --dask`
against a real scheduler and two workers (`--preload kpiscan.daskworker`, as bench_scan.py's dask
section starts them) each under callgrind with their scan helpers: the client counted whole (its
start and its import of distributed, as the serial scan's start is), the cluster from its idle,
warmed-up state (zeroed with callgrind_control -z once the helpers have loaded the model) to the
run's end (-d), so the cluster's start is not counted, as the timed bench leaves it apart.
What a cluster does per wall second with nothing to do (heartbeats, ticks, monitors, the client's
polls) is counted for as long as valgrind makes the run last (~50x the native wall): it is
measured in the same cluster (a client that connects and sleeps 0 and --idle seconds) and taken
off as `busy`; at a native wall of W s it adds back rate x W. Outputs (all four streams) checked
byte-identical to a serial run.
The cluster's start (each process from its exec to the helpers warmed up and idle) is counted by
role too, from a dump before the runs' zero; --keep DIR keeps every callgrind file (callgrind_annotate).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_scan import _same, _settled, corpus_files, mb, replicate, start_cluster, stop_cluster  # noqa: E402


def callgrind(out: Path) -> list[str]:
    """The valgrind command every counted process runs under, its files in `out` (cg.PID[.N])."""
    return ["valgrind", "--tool=callgrind", "--trace-children=yes", "--dump-before=_Fork", "--callgrind-out-file=" + str(out / "cg.%p")]


def file_total(f: Path) -> int:
    """The instructions (Ir) one callgrind file (a dump or a part) holds."""
    for line in f.read_text(errors="replace").splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return 0


def instructions(cmd: list[str], src: Path | None, tmp: Path, label: str) -> int:
    """Instructions (Ir) of `cmd` and every process it starts, counted by callgrind, each once: the
    counters are dumped (a part file of their own) and zeroed before every fork, so a forked
    child's file does not count again what its parent ran before the fork."""
    out = tmp / f"cg-{label}"
    out.mkdir()
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run([*callgrind(out), *cmd], env=env, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"{label}: {' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-1500:]}")
    total = sum(file_total(f) for f in out.glob("cg.*"))
    if not KEEP:
        shutil.rmtree(out)
    return total


KEEP = False  # --keep: the callgrind files stay (for callgrind_annotate)


# A client that connects as `kpiscan scan --dask` does, waits argv[2] seconds and leaves: run for 0
# and for --idle seconds, the difference is what the cluster and a connected client cost per wall
# second with nothing to do (heartbeats, the event loops' ticks, monitors, the client's
# scheduler-info polls), which a run under valgrind pays ~50x longer than natively.
SLEEPER = """import sys, time
from kpiscan.batch import dask_client, import_distributed
import_distributed(lean=True)
client, close = dask_client(sys.argv[1])
time.sleep(float(sys.argv[2]))
close()
"""


class CountedCluster:
    """A real `dask scheduler` and two `dask worker --nthreads 1 --no-nanny`, all three `--preload
    kpiscan.daskworker` (tests/dask_local.py, as bench_scan.py's dask section starts them), each
    under callgrind with `--trace-children=yes`, so the scan helpers each worker starts are counted
    too. `window(cmd)` zeroes every process's counters (callgrind_control -z), runs the client cmd
    under callgrind (counted whole, as `instructions`), dumps the cluster's counters (-d): the
    instructions of the client and of the cluster meanwhile, by role, from the part files the dump
    wrote."""

    def __init__(self, src: Path, tmp: Path) -> None:
        self.src, self.tmp, self.out = src, tmp, tmp / "cg-cluster"
        self.out.mkdir(parents=True)
        self.procs: list[subprocess.Popen] = []
        self.started: dict[str, int] = {}

    def start(self) -> str:
        """Started, every helper warmed up (the model loaded, one table scanned) and idle; the
        scheduler's address. `started`: the instructions of the start by role (each process's
        interpreter start, imports, preload; the helpers' model and warm-up), from a dump (-d)."""
        address, _ = start_cluster(self.tmp, self.procs, [self.src], prefix=tuple(callgrind(self.out)), slow=10)
        _settled(self.procs)
        self.started = self.dump(self.roles(), set())
        return address

    def dump(self, roles: dict[int, str], before: set[Path]) -> dict[str, int]:
        """Every cluster process's counters dumped (-d): the instructions of the part files not in
        `before`, by role."""
        for pid in roles:
            subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
        counts = {"scheduler": 0, "workers": 0, "helpers": 0}
        for f in set(self.out.iterdir()) - before:
            counts[roles.get(int(f.name.split(".")[1]), "helpers")] += file_total(f)
        return counts

    def stop(self) -> None:
        stop_cluster(self.procs, timeout=120)

    def roles(self) -> dict[int, str]:
        import psutil

        roles = {}
        for n, p in enumerate(self.procs):
            roles[p.pid] = "scheduler" if n == 0 else "workers"
            for q in psutil.Process(p.pid).children(recursive=True):
                roles[q.pid] = "helpers"
        return roles

    def window(self, cmd: list[str], label: str) -> tuple[dict[str, int], float]:
        """({role: instructions}, wall s): the client `cmd`'s and the cluster's while it runs."""
        roles = self.roles()
        before = set(self.out.iterdir())
        for pid in roles:
            subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
        t0 = time.perf_counter()
        client = instructions(cmd, self.src, self.tmp, label)
        wall = time.perf_counter() - t0
        return {"client": client, **self.dump(roles, before)}, wall


def dask_counts(dirs: list[Path], src: Path, tmp: Path, serial: bool, dask: bool, warm: bool, idle_s: float) -> None:
    """For each directory: serial `kpiscan scan DIR --out` counted as main() counts it (if
    `serial`), and the same through a fresh CountedCluster (if `dask`): the client counted whole, the cluster
    from its warmed-up idle state to the end of the run (cold: the helpers have not seen the files;
    `warm`: a second run on the same helpers). Also per cluster: its idle rate (instructions per
    wall second with a client connected and nothing to do), measured as two SLEEPER clients' windows
    (0 and idle_s seconds) apart, and each run's count less that rate times the run's wall under
    valgrind (`busy`): what the run did, not how long valgrind made it last. Outputs checked
    byte-identical (bench_scan.OUTPUTS, the four streams) to a serial run of the same tree outside valgrind."""
    py = sys.executable
    os.environ["PYTHONHASHSEED"] = "0"  # the cluster's processes (dask_local passes this environment on)
    env = dict(os.environ, PYTHONPATH=str(src))
    print("dir\tfiles\tMB\trun\tserial_Gi\tclient\tscheduler\tworkers\thelpers\ttotal_Gi\twall_vg_s\tidle_Mi/s"
          "\tbusy_Gi\tdask_own_busy\ttotal/serial\tbusy/serial\tidentical", flush=True)
    for i, d in enumerate(dirs):
        files = sorted(p for p in d.iterdir() if p.is_file())
        ref = tmp / f"ref{i}"
        subprocess.run([py, "-m", "kpiscan", "scan", str(d), "--out", str(ref)], env=env, check=True, capture_output=True)
        s_ir = instructions([py, "-m", "kpiscan", "scan", str(d), "--out", str(tmp / f"s{i}")], src, tmp, f"serial{i}") if serial else 0
        if serial:
            print(f"{d}\tserial `scan --out`: {s_ir / 1e9:.3f} G, outputs identical: {_same(ref, tmp / f's{i}')}", flush=True)
        if not dask:
            continue
        cluster = CountedCluster(src, tmp / f"cluster{i}")
        try:
            address = cluster.start()
            print(f"{d}\tcluster start (from exec to warmed up and idle), G: "
                  + ", ".join(f"{role} {n / 1e9:.3f}" for role, n in cluster.started.items()), flush=True)
            rate = 0.0  # --idle 0: not measured (busy = total)
            if idle_s > 0:
                idle = {}
                for wait in (0, idle_s):
                    counts, wall = cluster.window([py, "-c", SLEEPER, address, str(wait)], f"idle{wait}")
                    idle[wait] = (sum(counts.values()), wall)
                    print(f"{d}\tsleeper {wait:g} s: {wall:.0f} s under valgrind, G: "
                          + ", ".join(f"{role} {n / 1e9:.3f}" for role, n in counts.items()), flush=True)
                rate = (idle[idle_s][0] - idle[0][0]) / (idle[idle_s][1] - idle[0][1])
                print(f"{d}\tidle cluster + connected client: {rate / 1e6:.2f} M instructions per wall s "
                      f"(sleeper windows {idle[0][1]:.0f} s "
                      f"{idle[0][0] / 1e9:.3f} G and {idle[idle_s][1]:.0f} s {idle[idle_s][0] / 1e9:.3f} G)", flush=True)
            for run in ("cold", "warm") if warm else ("cold",):
                out = tmp / f"dask{i}-{run}"
                counts, wall = cluster.window([py, "-m", "kpiscan", "scan", str(d), "--out", str(out), "--dask", address], run)
                total = sum(counts.values())
                busy = total - rate * wall
                own = busy - counts["helpers"]
                ratios = f"{total / s_ir:.3f}\t{busy / s_ir:.3f}" if serial else "-\t-"
                print(f"{d}\t{len(files)}\t{mb(files):.2f}\t{run}\t{s_ir / 1e9:.3f}\t{counts['client'] / 1e9:.3f}\t"
                      f"{counts['scheduler'] / 1e9:.3f}\t{counts['workers'] / 1e9:.3f}\t{counts['helpers'] / 1e9:.3f}\t"
                      f"{total / 1e9:.3f}\t{wall:.0f}\t{rate / 1e6:.2f}\t{busy / 1e9:.3f}\t{own / 1e9:.3f}\t{ratios}\t"
                      f"{_same(ref, out)}", flush=True)
        finally:
            cluster.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT / "corpora"))
    ap.add_argument("--copies", type=int, nargs="+", default=[4, 16])
    ap.add_argument("--src", default=str(ROOT / "src"), help="comma-separated kpiscan source trees")
    ap.add_argument("--dask", help="comma-separated input directories: Dask against serial, counted (dask_counts)")
    ap.add_argument("--only", choices=("serial", "cluster"), help="--dask: only the serial scans, or only the clusters")
    ap.add_argument("--warm", action="store_true", help="--dask: a second (warm) run on the same helpers")
    ap.add_argument("--idle", type=float, default=60, help="--dask: seconds of the longer idle window (0: not measured)")
    ap.add_argument("--keep", help="a directory for the callgrind files, kept (default: a temporary one, removed)")
    args = ap.parse_args()
    global KEEP
    KEEP = bool(args.keep)
    if shutil.which("valgrind") is None:
        raise SystemExit("bench_instructions.py: valgrind is not installed (apt-get install valgrind)")
    srcs = [Path(s).resolve() for s in args.src.split(",")]
    if args.dask:
        with tempfile.TemporaryDirectory(prefix="kpiscan-ir-dask-") as t:
            where = Path(args.keep) if args.keep else Path(t)
            where.mkdir(parents=True, exist_ok=True)
            dask_counts([Path(x).resolve() for x in args.dask.split(",")], srcs[0], where, args.only != "cluster", args.only != "serial",
                        args.warm, args.idle)
        return
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
