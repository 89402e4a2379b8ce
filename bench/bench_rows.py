"""Time per row of one huge table (issue 15). Not a test: run it by hand.

    python bench/bench_rows.py [--rows 500,2000,8000,32000,100000] [--million]

One project table of corpora/001 with its indicator block repeated to N rows (names numbered so
no two rows are the same), scanned by `kpiscan scan FILE --out` in a fresh process (classify off
and on up to --classify-max rows): CPU seconds, CPU per row and peak RSS (GNU time). --million
also scans a table of 1,000,000 rows, a file of 1,000,000 name-only rows and an .xlsx of 1,000,000
empty-string cells (bench/bad_inputs.py builds it); past read.text.MAX_LINES lines and
pipeline.MAX_TABLE_ROWS rows of a table the rest is kept as text (the summary's unparsed count).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from table_synth import table_text  # noqa: E402  (the table the hardening tests scan)


def run(path: Path, out: Path, classify: bool) -> tuple[float, float, str]:
    """(CPU s, peak RSS MiB, summary line) of `kpiscan scan path --out out` in a fresh process."""
    shutil.rmtree(out, ignore_errors=True)
    report = out.with_suffix(".time")
    cmd = [sys.executable, "-m", "kpiscan", "scan", str(path), "--out", str(out), "--file-timeout", "0"] + (
        [] if classify else ["--no-classify"]
    )
    proc = subprocess.run(["/usr/bin/time", "-q", "-f", "%U %S %M", "-o", str(report), *cmd], capture_output=True, text=True)
    user, system, kib = report.read_text().split()[-3:]
    summary = [line.split(" -> ")[0] for line in proc.stderr.splitlines() if " files" in line or "error" in line]
    return float(user) + float(system), int(kib) / 1024, (summary[-1] if summary else proc.stderr.strip()[-200:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="500,2000,8000,32000,100000")
    ap.add_argument("--classify-max", type=int, default=8000, help="also classify on up to this many rows")
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpiscan-rows-") as tmp:
        tmp = Path(tmp)
        base = {}
        for classify in (False, True):  # the fixed cost of a process: a table of 9 rows
            f = tmp / "t9.txt"
            f.write_text(table_text(9), encoding="utf-8")
            base[classify] = run(f, tmp / "out", classify)[0]
        print(f"fixed cost (a 9-row table): {base[False]:.2f} CPU s classify off, {base[True]:.2f} on; net = cpu - fixed")
        print(f"{'rows':>9} {'MB':>6} {'classify':>8} {'cpu s':>8} {'net ms/row':>10} {'RSS MiB':>8}  summary")
        sizes = [int(n) for n in args.rows.split(",")]
        cases = [(n, False, False) for n in sizes] + [(n, True, False) for n in sizes if n <= args.classify_max]
        if args.million:
            cases += [(1_000_000, False, False), (1_000_000, False, True), (1_000_000, False, "xlsx")]
        for n, classify, names_only in cases:
            f = tmp / f"t{n}{'n' if names_only else ''}.txt"
            if names_only == "xlsx":
                from bad_inputs import _empty_cells

                f = tmp / _empty_cells(tmp)[0]
            elif not f.exists():
                f.write_text(table_text(n, names_only), encoding="utf-8")
            cpu, rss, summary = run(f, tmp / "out", classify)
            label = f"{n:9,d}" + {False: "", True: " names", "xlsx": " empty xlsx cells"}[names_only]
            net = (cpu - base[classify]) / n * 1000
            print(f"{label:>9} {f.stat().st_size / 1e6:6.1f} {'on' if classify else 'off':>8} {cpu:8.2f} {net:10.3f} {rss:8.1f}  {summary}")


if __name__ == "__main__":
    main()
