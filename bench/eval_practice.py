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
    from kpiscan.practice.families import SIMILARITY, library_from_rows, printed_rows

    rows = printed_rows(kpiscan.scan(corpus, classify=False).indicators)
    lib = library_from_rows(rows, SIMILARITY if threshold is None else threshold)
    fam = dict(zip(zip(lib.members["level2"], lib.members["key"]), lib.members["family_id"]))
    key_of = {(r.level2, r.name): r.key for r in rows}
    labelled = read_tsv(DATA / "families_labelled.tsv")
    # a labelled name the scan no longer prints under its category (extraction moved on) is left out
    gold = {(r["level2"], r["name"]): (r["level2"], r["family"]) for r in labelled if (r["level2"], r["name"]) in key_of}
    pred = {k: fam[(k[0], key_of[k])] for k in gold}
    out = {"all": pair_scores(gold, pred)}
    out["names"] = (len(gold), len(labelled))
    sub = [k for k in gold if k[0] != "服务对象满意度指标"]
    out["without 服务对象满意度指标"] = pair_scores({k: gold[k] for k in sub}, {k: pred[k] for k in sub})
    return out


def year_figures(corpus: Path = ROOT / "corpora", seeds: range = range(5), min_score: float | None = None) -> dict:
    """Link precision and recall over constructed pairs: every document of the corpus and a
    next-year copy of it per seed (kpiscan.practice.synth), projects of another document mixed in."""
    import kpiscan
    from kpiscan.practice.synth import next_year
    from kpiscan.practice.years import LINK_SCORE, link_projects

    scan = kpiscan.scan(corpus, classify=False)
    docs = sorted({t.doc for t in scan.tables})
    tp = fp = fn = 0
    for doc in docs:
        others = [t for t in scan.tables if t.doc != doc]
        for seed in seeds:
            new_doc = f"{doc}.next{seed}"
            tables, inds, truth = next_year(scan.tables, scan.indicators, doc, new_doc, seed=seed, distractors=others)
            mine = [t for t in scan.tables if t.doc == doc]
            links = link_projects(mine + tables, [i for i in scan.indicators if i.doc == doc] + inds,
                                  min_score=LINK_SCORE if min_score is None else min_score)
            got = {(l.doc_before, l.table_before): (l.doc, l.table) for l in links if l.doc == new_doc}
            tp += sum(1 for k, v in got.items() if truth.get(k) == v)
            fp += sum(1 for k, v in got.items() if truth.get(k) != v)
            fn += sum(1 for k, v in truth.items() if got.get(k) != v)
    return {"pairs": len(docs) * len(seeds), "true links": tp + fn, "predicted": tp + fp, "correct": tp,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}


def goal_figures(corpus: Path = ROOT / "corpora", judged_file: str = "goals_judged.tsv") -> dict:
    """Agreement of goal-without-indicator with the hand judgements of tests/data/goals_judged.tsv:
    a clause agrees when the tool flags it exactly when it was judged a gap."""
    import kpiscan
    from kpiscan.practice.families import printed_rows
    from kpiscan.practice.goals import match_goals

    scan = kpiscan.scan(corpus, classify=False)
    rows: dict = {}
    for r in printed_rows(scan.indicators):
        rows.setdefault((r.doc, r.table), []).append(r)
    judged = read_tsv(DATA / judged_file)
    tables = {(t.doc, t.index): t for t in scan.tables}
    flagged: dict = {}
    for key in {(j["doc"], int(j["table"])) for j in judged}:
        for c in match_goals(tables[key], rows.get(key, [])):
            flagged[(key, c.text)] = c.promise and not c.matched
    agree = tp = fp = fn = missing = 0
    for j in judged:
        got = flagged.get(((j["doc"], int(j["table"])), j["clause"]))
        if got is None:
            missing += 1
            got = False
        gap = j["judgement"] == "gap"
        agree += got == gap
        tp += got and gap
        fp += got and not gap
        fn += gap and not got
    n = len(judged)
    return {"tables": len({(j["doc"], j["table"]) for j in judged}), "clauses": n, "gaps judged": tp + fn,
            "flagged": tp + fp, "agreement": agree / n, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "clauses not found": missing}


def main(argv: list[str]) -> None:
    what = argv[0] if argv else "families"
    if what == "families":
        figures = family_figures()
        found, labelled = figures.pop("names")
        print(f"families: {found} of {labelled} labelled names found in the scan")
        for name, (p, r, ng, npred, both) in figures.items():
            print(f"families {name}: gold pairs={ng} predicted pairs={npred} agreeing={both} precision={p:.3f} recall={r:.3f}")
    elif what == "years":
        f = year_figures()
        print(f"years: {f['pairs']} constructed document pairs, true links={f['true links']} predicted={f['predicted']} "
              f"correct={f['correct']} precision={f['precision']:.3f} recall={f['recall']:.3f}")

    elif what == "goals":
        for name in ("goals_judged.tsv", "goals_judged_heldout.tsv"):
            f = goal_figures(judged_file=name)
            print(f"goals ({name}): " + " ".join(
                f"{k.replace(' ', '_')}={v:.3f}" if isinstance(v, float) else f"{k.replace(' ', '_')}={v}" for k, v in f.items()))
    else:
        raise SystemExit(f"unknown figure {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
