"""Category by meaning (issue 12), figures in one run. Not a test: run it by hand.

    python3 bench/eval_category.py [--corpus corpora] [--model src/kpiscan/models/category.json]

* level2 accuracy of the scan on the gold documents without and with the meaning step
  (classify.category.reassign_level2), leave-one-document-out: for each document the category
  model is fitted on the other documents' gold (plus the lexicon words) and the pass runs on the
  held-out document with it; every row the pass moves is listed (rule, before -> after, gold);
* the same with the shipped model (trained on all four documents: optimistic, for reference);
* the model alone: LODO accuracy of its argmax on the gold rows' level2;
* the review's category-mismatch finding on the hand-labelled set tests/fixtures/category_mismatch.tsv
  (shipped model): precision and recall, each flagged row listed.

    python3 bench/eval_category.py --mismatch-only     (the last figure alone, quick)
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

from kpiscan.classify import category
from kpiscan.classify.linear import LinearModel
from kpiscan.evaluate import read_jsonl, record_key, score
from kpiscan.model import Indicator
from kpiscan.pipeline import scan_file
from kpiscan.values import parse_value

MISMATCH_SET = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "category_mismatch.tsv"


def mismatch_precision(path: Path = MISMATCH_SET) -> None:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader((ln for ln in fh if not ln.startswith("#")), delimiter="\t"))
    pairs = [(Indicator(doc="set", table=1, table_line=1, kind="project", project="", period="annual", level1="",
                        level2=r["level2"], name=r["name"], value=r["value"], line=k + 1), parse_value(r["value"], 2025))
             for k, r in enumerate(rows)]
    hits = category.suggest(pairs)
    flagged = [(r, h) for r, h in zip(rows, hits) if h is not None]
    right = [r for r, h in flagged if r["mismatch"] == "yes" and h[0] == r["belongs"]]
    for r, h in flagged:
        ok = "right" if r in right else "WRONG"
        print(f"  {ok:5} {r['name']} | {r['value']} printed {r['level2']} -> {h[0]} (p {h[1]:.3f}; hand: {r['mismatch']})")
    wanted = sum(r["mismatch"] == "yes" for r in rows)
    print(f"category-mismatch on {path.name} ({len(rows)} rows, {wanted} hand-labelled mismatches): "
          f"{len(flagged)} flagged, {len(right)} right: precision {len(right) / max(1, len(flagged)):.3f}, "
          f"recall {len(right) / max(1, wanted):.3f}")


def _fold_model(examples: list[category.Example], doc: str) -> category.CategoryModel:
    pipeline = category.fit([e for e in examples if e.doc != doc])
    return category.CategoryModel(LinearModel(category.export(pipeline), category.INPUTS, category.words))


def _gold_of(gold: list[dict], doc: str) -> dict[tuple[str, ...], list[dict]]:
    out: dict[tuple[str, ...], list[dict]] = {}
    for r in gold:
        if r["doc"] == doc:
            out.setdefault(record_key(r), []).append(r)
    return out


def run(corpus: Path, models: dict[str, category.CategoryModel | None], gold: list[dict]) -> tuple[int, int, int]:
    """(matched, right without the step, right with it) over the gold documents; moves printed."""
    before, after = [], []
    for doc in sorted({r["doc"] for r in gold}):
        result = scan_file(corpus / doc, classify=False, by_meaning=False)
        model = models.get(doc) or models.get("*")
        new, done = category.moves(result.indicators, result.tables, model)
        by_key = _gold_of(gold, doc)
        for m in done:
            ind = result.indicators[m.index]
            g = next((r for r in by_key.get(record_key(ind.to_dict()), []) if r["line"] == ind.line), None)
            verdict = "?" if g is None else ("right" if g["level2"] == m.after else
                                             "was right" if g["level2"] == m.before else "still wrong")
            print(f"  {doc[:3]} line {ind.line:>5} {ind.period[:4]:4} {m.rule:24} {m.before} -> {m.after} "
                  f"(p {m.proba:.2f}; gold {g['level2'] if g else '?'}: {verdict})  {ind.name} | {ind.value}")
        before += [i.to_dict() for i in result.indicators]
        after += [i.to_dict() for i in new]
    b, a = score(gold, before), score(gold, after)
    return sum(s.matched for s in b), sum(s.level2_right for s in b), sum(s.level2_right for s in a)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path("corpora"))
    parser.add_argument("--model", type=Path, default=None, help="the shipped model (default: packaged)")
    parser.add_argument("--mismatch-only", action="store_true", help="only the category-mismatch precision")
    args = parser.parse_args()
    if args.mismatch_only:
        mismatch_precision()
        return
    gold_files = sorted((args.corpus / "gold").glob("*.jsonl"))
    gold = read_jsonl(gold_files)
    examples = category.read_examples(gold_files)
    docs = sorted({r["doc"] for r in gold})
    print("leave-one-document-out (each document's pass uses a model fitted on the other documents):")
    folds: dict[str, category.CategoryModel | None] = {doc: _fold_model(examples, doc) for doc in docs}
    n, b, a = run(args.corpus, folds, gold)
    print(f"level2 accuracy without the meaning step {b}/{n} = {b / n:.4f}; with it {a}/{n} = {a / n:.4f}")
    shipped = category.load_category_model(args.model)
    print("\nshipped model (trained on all documents, in-sample):")
    n, b, a = run(args.corpus, {"*": shipped}, gold)
    print(f"level2 accuracy without the meaning step {b}/{n} = {b / n:.4f}; with it {a}/{n} = {a / n:.4f}")
    print(f"\nmodel alone, LODO accuracy on the gold rows' level2: {category.lodo_accuracy(examples):.4f}\n")
    mismatch_precision()


if __name__ == "__main__":
    main()
