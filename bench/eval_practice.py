"""The figures of issue 14 (indicator practice), each printed as measured.

    PYTHONPATH=src python3 bench/eval_practice.py families   # pair precision/recall of families
    PYTHONPATH=src python3 bench/eval_practice.py years      # link precision/recall on constructed year pairs
    PYTHONPATH=src python3 bench/eval_practice.py goals      # goal-without-indicator agreement on 30 judged tables

Each reads corpora/ and the hand-labelled files in tests/data/.
"""
from __future__ import annotations

import csv
import sys
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader((l for l in fh if not l.startswith("#")), delimiter="\t"))


def pair_scores(gold: dict, pred: dict) -> tuple[float, float, int, int, int]:
    """Precision and recall of same-family pairs; (p, r, true pairs, predicted pairs, both)."""
    items = sorted(gold)
    g = {(a, b) for a, b in combinations(items, 2) if gold[a] == gold[b]}
    p = {(a, b) for a, b in combinations(items, 2) if pred[a] == pred[b]}
    both = len(g & p)
    return (both / len(p) if p else 1.0, both / len(g) if g else 1.0, len(g), len(p), both)


def family_figures(corpus: Path = ROOT / "corpora", threshold: float | None = None) -> dict:
    import kpiscan
    from kpiscan.practice.families import SIMILARITY, group_rows, printed_rows

    rows = printed_rows(kpiscan.scan(corpus, classify=False).indicators)
    fam = group_rows(rows, SIMILARITY if threshold is None else threshold)
    key_of = {(r.level2, r.name): r.key for r in rows}
    labelled = read_tsv(DATA / "families_labelled.tsv")
    gold = {(r["level2"], r["name"]): (r["level2"], r["family"]) for r in labelled}
    pred = {k: fam[(k[0], key_of[k])] for k in gold}
    out = {"all": pair_scores(gold, pred)}
    sub = [k for k in gold if k[0] != "服务对象满意度指标"]
    out["without 服务对象满意度指标"] = pair_scores({k: gold[k] for k in sub}, {k: pred[k] for k in sub})
    return out


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "families"
    if what == "families":
        for name, (p, r, ng, npred, both) in family_figures().items():
            print(f"families {name}: names={sum(1 for _ in read_tsv(DATA / 'families_labelled.tsv')) if name == 'all' else ''} "
                  f"gold pairs={ng} predicted pairs={npred} agreeing={both} precision={p:.3f} recall={r:.3f}")
    elif what == "years":
        from practice_years import main as years_main  # noqa: F401

    else:
        raise SystemExit(f"unknown figure {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
