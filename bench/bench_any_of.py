"""The word searches of layout.title_kind and extract._cue_reading, as they were built with `regex`
(before cd215af), and as patterns.any_of builds them (`re`; review.vocab.mentions' search, shown
last, was `re` already), over every cell of corpora/: CPU of the searches alone, min of 5 interleaved passes, and
the same answers. Not a test.

    PYTHONPATH=src taskset -c 0 python bench/bench_any_of.py
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import regex

from kpiscan.extract import _cues
from kpiscan.layout import layout_words, norm
from kpiscan.patterns import any_of
from kpiscan.review.vocab import review_words

CORPUS = Path(__file__).resolve().parents[1] / "corpora"


def as_before(words: Iterable[str]) -> regex.Pattern[str]:
    ordered = sorted(set(words), key=len, reverse=True)
    return regex.compile("|".join(map(regex.escape, ordered)) if ordered else "(?!)")


def main() -> None:
    texts = [norm(cell) for f in sorted(CORPUS.glob("*.txt")) for line in f.read_text(encoding="utf-8").splitlines()
             for cell in line.split("\t") if cell.strip()]
    sets = {
        "title words": [w for role in ("title_department", "title_project", "title_suffix") for w in layout_words(role)],
        "cues": [cue for rows in _cues().values() for _, cue, _ in rows],
        "review words (input)": list(review_words("input")),
    }
    for name, words in sets.items():
        before, now = as_before(words), any_of(words)
        assert all(bool(before.search(t)) == bool(now.search(t)) for t in texts)
        best = [1e9, 1e9]
        for _ in range(5):
            for k, pattern in enumerate((before, now)):
                start = time.process_time()
                for t in texts:
                    pattern.search(t)
                best[k] = min(best[k], time.process_time() - start)
        print(f"{name}: {len(texts)} cells, regex {best[0] * 1e3:.1f} ms, any_of (re) {best[1] * 1e3:.1f} ms; same answers")


if __name__ == "__main__":
    main()
