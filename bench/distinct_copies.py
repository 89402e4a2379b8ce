"""Copies of a corpus whose indicator names differ copy by copy. Not a test: a bench input.

    python bench/distinct_copies.py CORPUS DEST --copies 16

The scale benches copy corpora/ N times under new names, so every copy repeats every text: each
memo keyed on a text hits from the second copy on, and anything kept per distinct text (a memo
without a bound, the library's per-name aggregates) never grows past the first copy. A province
repeats many indicators but not all of them. Here copy k of each file has every indicator name
the scan finds in it (kpiscan's own records of the file: its line and name) marked with k, in
heavenly-stem digits after 项 ("项乙丙" for 12: no digit, no unit, no layout word), on its own line
only; values, levels, headers and the rest of the text are the file's. So the names (and the
texts made from them) are distinct across copies while the layout and values repeat: between
plain copies (every text repeated) and KPISCAN_CLASSIFY_MEMO=0 (nothing shared between
documents). The copies scan to about as many records as plain copies (16 of corpora/: 30,512
indicator records against 30,560: a marked name can end a row another way).
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

DIGITS = "甲乙丙丁戊己庚辛壬癸"


def mark(k: int) -> str:
    return "项" + "".join(DIGITS[int(d)] for d in str(k))


def names_by_line(path: Path) -> dict[int, list[str]]:
    from kpiscan.batch import scan_one

    found: dict[int, list[str]] = defaultdict(list)
    for record in scan_one(path, classify=False).indicators:
        if record.name and record.name not in found[record.line]:
            found[record.line].append(record.name)
    return found


def distinct_copy(text: str, names: dict[int, list[str]], k: int) -> str:
    lines = text.split("\n")
    for number, these in names.items():
        line = lines[number - 1]
        for name in sorted(these, key=len, reverse=True):
            line = line.replace(name, name + mark(k), 1)
        lines[number - 1] = line
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("dest")
    ap.add_argument("--copies", type=int, default=16)
    args = ap.parse_args()
    from kpiscan.pipeline import iter_files

    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    files = [f for f in iter_files([Path(args.corpus)]) if f.suffix in (".txt", ".md")]
    if not files:
        sys.exit(f"{args.corpus}: no .txt or .md file")
    for f in files:
        data = f.read_bytes()
        text = data.decode("utf-8-sig")
        names = names_by_line(f)
        for k in range(args.copies):
            (dest / f"d{k:03d}_{f.name}").write_text(distinct_copy(text, names, k), encoding="utf-8")


if __name__ == "__main__":
    main()
