"""How much of corpora/gold/*.jsonl parse_value reads as a value (not a test).

    python bench/value_coverage.py [--year 2024]

Prints the share of values (all records, and distinct texts) whose Target kind is not
"qualitative" (empty cells count separately), the count per kind, and every value that fell to
"qualitative" although it contains a digit: the list to drive down by improving the grammar.
"""
from __future__ import annotations

import argparse
import glob
import json
from collections import Counter
from pathlib import Path

from kpiscan.values import parse_value

ROOT = Path(__file__).resolve().parents[1]


def gold_values() -> list[str]:
    return [json.loads(line)["value"] for f in sorted(glob.glob(str(ROOT / "corpora/gold/*.jsonl")))
            for line in open(f, encoding="utf-8")]


def coverage(values: list[str], year: int | None) -> tuple[Counter, list[str]]:
    """(records per kind, distinct digit-bearing values that parsed as qualitative)."""
    kinds: Counter = Counter()
    missed: dict[str, None] = {}
    for text in values:
        kind = parse_value(text, year).kind
        kinds[kind] += 1
        if kind == "qualitative" and any(ch.isdigit() for ch in text):
            missed[text] = None
    return kinds, list(missed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()
    values = gold_values()
    kinds, missed = coverage(values, args.year)
    distinct_kinds, _ = coverage(sorted(set(values)), args.year)
    for label, counts in (("records", kinds), ("distinct values", distinct_kinds)):
        total = sum(counts.values())
        read = total - counts["qualitative"] - counts["empty"]
        print(f"{label:16} {total:5d}  non-qualitative {read:5d} = {read / total:6.1%}"
              f"  (of non-empty: {read / (total - counts['empty']):6.1%})  empty {counts['empty']}")
    print("per kind (records):", ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(f"qualitative although containing a digit: {len(missed)}")
    for text in missed:
        print(f"  {text}")


if __name__ == "__main__":
    main()
