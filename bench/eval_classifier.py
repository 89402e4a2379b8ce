"""Classifier figures in one run: LODO per-class tables and confusion matrices (model and lexicon
baseline), the lexicon-blind LODO, model size, and speed of `assess` end to end (Targets parsed
from the printed values) and of the model alone.

    python3.11 bench/eval_classifier.py [--gold corpora/gold]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from kpiscan.classify import MODEL_PATH, assess, load_model
from kpiscan.classify.training import evaluation_text, gold_files, read_gold, speed
from kpiscan.model import Indicator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gold", type=Path, default=Path("corpora/gold"))
    args = parser.parse_args()
    examples = read_gold(gold_files(args.gold))
    print(evaluation_text(examples, MODEL_PATH))
    inds = [Indicator(doc=e.doc, table=1, table_line=1, kind="project", project="", period="implementation",
                      level1="", level2=e.item.level2, name=e.item.name, value=e.item.value, line=e.line)
            for e in examples]
    assess(inds[:10])  # load the model and the tokenizer first
    start = time.perf_counter()
    assess(inds)
    elapsed = time.perf_counter() - start
    print(f"assess end to end (parse_value + features + model): {len(inds) / elapsed:,.0f} indicators/s")
    print(f"model alone (Targets parsed): {speed(load_model(), [e.item for e in examples]):,.0f} indicators/s")


if __name__ == "__main__":
    main()
