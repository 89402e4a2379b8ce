"""Score extracted indicator records against gold annotations (docs/contracts.md, "How extraction is scored").

A record is the tuple (period, project, name, value), each compared after NFKC and whitespace
removal; records are matched as multisets per document. level2 accuracy is measured on matches.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from .layout import norm

KEY_FIELDS = ("period", "project", "name", "value")


def record_key(record: Mapping) -> tuple[str, ...]:
    return tuple(norm(str(record.get(f) or "")) for f in KEY_FIELDS)


@dataclass
class DocScore:
    doc: str
    gold: int
    predicted: int
    matched: int
    level2_right: int
    missed: list[dict] = field(default_factory=list)
    spurious: list[dict] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def level2_accuracy(self) -> float:
        return self.level2_right / self.matched if self.matched else 0.0


def read_jsonl(paths: Iterable[str | Path]) -> list[dict]:
    records: list[dict] = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh if line.strip())
    return records


def score(gold: list[dict], predicted: list[dict]) -> list[DocScore]:
    """Per-document scores, for every document that has gold records."""
    by_doc_gold: dict[str, list[dict]] = defaultdict(list)
    by_doc_pred: dict[str, list[dict]] = defaultdict(list)
    for r in gold:
        by_doc_gold[r["doc"]].append(r)
    for r in predicted:
        by_doc_pred[r["doc"]].append(r)
    scores = []
    for doc in sorted(by_doc_gold):
        g, p = by_doc_gold[doc], by_doc_pred.get(doc, [])
        pool: dict[tuple, list[dict]] = defaultdict(list)
        for r in p:
            pool[record_key(r)].append(r)
        matched = level2_right = 0
        missed = []
        for r in g:
            bucket = pool.get(record_key(r))
            if bucket:
                # prefer the prediction on the same source line
                bucket.sort(key=lambda x: abs(int(x.get("line") or 0) - int(r.get("line") or 0)))
                hit = bucket.pop(0)
                matched += 1
                level2_right += hit.get("level2") == r.get("level2")
            else:
                missed.append(r)
        spurious = [r for bucket in pool.values() for r in bucket]
        scores.append(DocScore(doc, len(g), len(p), matched, level2_right, missed, spurious))
    return scores

