"""Training and evaluating the classifier on the gold files (`kpiscan train [--evaluate]`).

Evaluation is leave-one-document-out: each gold document is labelled by a model fitted on the
others, and by the lexicon-only baseline on the same rows; scores pool the four held-out folds.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .item import Item, item_of
from .rules import FLAGGED, LABELS, baseline
from .terms import masked, term_hits

if TYPE_CHECKING:
    from .estimator import MeasurabilityClassifier
    from .scoring import RuledDecisions

RANDOM_STATE = 0


@dataclass(frozen=True, slots=True)
class Example:
    doc: str
    line: int
    item: Item
    label: str


def read_gold(paths: Iterable[Path]) -> list[Example]:
    from ..evaluate import read_jsonl

    return [
        Example(r["doc"], r["line"], item_of(r["name"], r["value"], r.get("level2")), r["label"])
        for r in read_jsonl(sorted(paths))
    ]


def gold_files(gold_dir: Path) -> list[Path]:
    files = sorted(Path(gold_dir).glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no gold files (*.jsonl) in {gold_dir}")
    return files


def fit(examples: Sequence[Example]) -> MeasurabilityClassifier:
    from .estimator import MeasurabilityClassifier

    return MeasurabilityClassifier(random_state=RANDOM_STATE).fit([e.item for e in examples], [e.label for e in examples])


def save(model: Any, out: Path) -> int:
    """Write the fitted model's arrays and vocabularies as JSON (classify.linear); its size in bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model.export(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return out.stat().st_size


def lodo_figures(examples: Sequence[Example]) -> dict[str, float]:
    """The plain leave-one-document-out figures the manifest records."""
    model_scores, base_scores, _ = leave_one_document_out(examples)
    return {
        "model_macro_f1": round(model_scores.macro_f1(), 4), "model_flagged_f1": round(model_scores.flagged_f1(), 4),
        "baseline_macro_f1": round(base_scores.macro_f1(), 4),
        "baseline_flagged_f1": round(base_scores.flagged_f1(), 4),
        "documents": len({e.doc for e in examples}),
    }


def train(gold_dir: Path, out_dir: Path) -> tuple[Any, Path, list[Example]]:
    """Fit on every gold file of `gold_dir`, write out_dir/measurability.json and its manifest
    (versions, gold and lexicon hashes, parameters, LODO figures); (model, path, examples)."""
    from .. import lexicon
    from . import MODEL_FILE
    from .manifest import build, write

    files = gold_files(gold_dir)
    examples = read_gold(files)
    model = fit(examples)
    path = Path(out_dir) / MODEL_FILE
    save(model, path)
    figures = lodo_figures(examples)
    params = {k: v for k, v in model.get_params().items()}
    write(build("measurability", path, gold=files, lexicons=lexicon.read_names(), parameters=params,
                lodo=figures, examples=len(examples)), path)
    return model, path, examples


@dataclass
class Scores:
    name: str
    gold: list[str]
    predicted: list[str]

    def report(self) -> str:
        from sklearn.metrics import classification_report

        return str(classification_report(self.gold, self.predicted, labels=list(LABELS), digits=3, zero_division=0))

    def confusion(self) -> str:
        from sklearn.metrics import confusion_matrix

        m = confusion_matrix(self.gold, self.predicted, labels=list(LABELS))
        head = "gold \\ predicted".ljust(18) + "".join(f"{lab[:12]:>13}" for lab in LABELS)
        rows = [f"{lab:18}" + "".join(f"{n:13d}" for n in row) for lab, row in zip(LABELS, m)]
        return "\n".join([head, *rows])

    def macro_f1(self) -> float:
        from sklearn.metrics import f1_score

        return float(f1_score(self.gold, self.predicted, labels=list(LABELS), average="macro", zero_division=0))

    def flagged_f1(self) -> float:
        from sklearn.metrics import f1_score

        return float(f1_score([g in FLAGGED for g in self.gold], [p in FLAGGED for p in self.predicted]))


def unseen_terms(train: Sequence[Example], test: Sequence[Example], keep_strongest: bool = False) -> frozenset[str]:
    """Lexicon terms that the held-out values use but no training value does.

    keep_strongest: keep the strength-3 terms (the rubric's own words — 合格, 提升, 及时 … — and
    words that can only be a direction or praise), which a lexicon written without any corpus has.
    """
    def used(examples: Sequence[Example]) -> set[str]:
        return {t.text for e in examples for t in term_hits(e.item.value).terms
                if not (keep_strongest and t.strength >= 3)}

    return frozenset(used(test) - used(train))


def leave_one_document_out(
    examples: Sequence[Example], lexicon_blind: bool = False, keep_strongest: bool = False
) -> tuple[Scores, Scores, list[tuple[Example, str, str]]]:
    """(model scores, baseline scores, errors as (example, model label, baseline label)).

    lexicon_blind: in each fold, the lexicons also lose the terms only the held-out document uses
    (as if they had been written from the training documents alone): how both fare on words the
    lexicons do not know, which is what documents we do not have will bring.
    """
    docs = sorted({e.doc for e in examples})
    gold, model_pred, base_pred, errors = [], [], [], []
    for doc in docs:
        train = [e for e in examples if e.doc != doc]
        test = [e for e in examples if e.doc == doc]
        mask = unseen_terms(train, test, keep_strongest) if lexicon_blind else frozenset()
        with masked(mask):
            predicted = fit(train).predict([e.item for e in test])
            base = [baseline(e.item)[0] for e in test]
        for e, m, b in zip(test, predicted, base):
            gold.append(e.label)
            model_pred.append(str(m))
            base_pred.append(b)
            if m != e.label or b != e.label:
                errors.append((e, str(m), b))
    return Scores("model", gold, model_pred), Scores("baseline", gold, base_pred), errors


def speed(model: RuledDecisions, items: Sequence[Item], repeat: int = 3) -> float:
    """Indicators per second of model.decide (Targets already parsed), best of `repeat`."""
    model.decide(items[:10])  # warm up the tokenizer
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        model.decide(items)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def evaluation_text(examples: Sequence[Example], model_path: Path | None = None) -> str:
    model_scores, base_scores, errors = leave_one_document_out(examples)
    docs = sorted({e.doc for e in examples})
    lines = [f"leave-one-document-out over {len(docs)} documents, {len(examples)} gold indicators", ""]
    for s in (model_scores, base_scores):
        lines += [f"== {s.name}", s.report(), s.confusion(), "",
                  f"{s.name}: macro-F1 {s.macro_f1():.3f}   flagged-F1 {s.flagged_f1():.3f}", ""]
    lines.append(f"held-out errors (model / baseline): {len(errors)} rows")
    for e, m, b in errors:
        lines.append(f"  {e.doc[:3]} line {e.line:>5}  gold {e.label:12} model {m:12} baseline {b:12} "
                     f"{e.item.name} | {e.item.value}")
    blind_model, blind_base, _ = leave_one_document_out(examples, lexicon_blind=True)
    lines.append("\nlexicon-blind LODO (each fold's lexicons lose the terms only its held-out document uses):")
    for s in (blind_model, blind_base):
        lines.append(f"  {s.name:9} macro-F1 {s.macro_f1():.3f}   flagged-F1 {s.flagged_f1():.3f}")
    kept_model, kept_base, _ = leave_one_document_out(examples, lexicon_blind=True, keep_strongest=True)
    lines.append("lexicon-blind, but the rubric's own words (strength 3) kept:")
    for s in (kept_model, kept_base):
        lines.append(f"  {s.name:9} macro-F1 {s.macro_f1():.3f}   flagged-F1 {s.flagged_f1():.3f}")
    if model_path is not None and model_path.exists():
        lines.append(f"\nmodel file {model_path}: {model_path.stat().st_size / 1024:.1f} KiB on disk")
    return "\n".join(lines)
