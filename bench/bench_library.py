"""`kpiscan library` over a generated corpus of N documents (issue 14 speed figure).

    PYTHONPATH=src python3 bench/bench_library.py --docs 1000 --workers 2

Writes N copies of the corpora/ documents into a temporary directory, each with varied names
(a seeded choice of word swaps applied to the whole text: "满意度"->"满意率", "工作经费"->"业务经费"…,
so indicator and project names differ between copies, and a copy number appended to every
项目名称), then runs `python -m kpiscan library DIR --out OUT` under /usr/bin/time -v and prints its
CPU time (user + sys, the command and its workers) and peak RSS (the largest single process).
"""
from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# word swaps inside names and text; none touches a table caption (数量指标, 年度目标 stay as printed)
SWAPS = [("满意度", "满意率"), ("支付时间", "支付时限"), ("人数", "人次"), ("合格率", "达标率"), ("工作经费", "业务经费"),
         ("完成时间", "完成时限"), ("购置", "采购"), ("培训", "教育培训"), ("运行", "运营"), ("费用", "经费")]
PROJECT = re.compile(r"^(项目名称\t+)([^\t\n]+)", re.M)


def make_corpus(out: Path, n: int, seed: int = 14) -> list[Path]:
    sources = sorted((ROOT / "corpora").glob("*.txt"))
    texts = [s.read_text(encoding="utf-8") for s in sources]
    rng = random.Random(seed)
    written = []
    for i in range(n):
        k = i % len(sources)
        text = texts[k]
        for a, b in rng.sample(SWAPS, 3):
            text = text.replace(a, b)
        text = PROJECT.sub(rf"\g<1>\g<2>{i}", text)
        path = out / f"{i:04d}_{sources[k].stem}.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpiscan-library-") as tmp:
        corpus, out = Path(tmp) / "corpus", Path(tmp) / "out"
        corpus.mkdir()
        files = make_corpus(corpus, args.docs)
        size = sum(f.stat().st_size for f in files)
        print(f"corpus: {len(files)} documents, {size / 2**20:.1f} MiB in {corpus}")
        cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "kpiscan", "library", str(corpus), "--out", str(out),
               "--workers", str(args.workers)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
        stats = dict(re.findall(r"^\s*(.+?): (.+)$", proc.stderr, re.M))
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        for line in proc.stderr.splitlines():
            if "files," in line:
                print(line.strip())
        print(f"{len(errors)} error lines" + (f", the first: {errors[0]}" if errors else ""))
        user, system = float(stats["User time (seconds)"]), float(stats["System time (seconds)"])
        print(f"exit {proc.returncode}; CPU time {user + system:.1f} s (user {user:.1f} + sys {system:.1f}); "
              f"wall {stats['Elapsed (wall clock) time (h:mm:ss or m:ss)']}; "
              f"peak RSS {int(stats['Maximum resident set size (kbytes)']) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
