"""The "nothing lost" checker (issue 15): every non-empty cell of every table ends in an indicator
record, a header field (or fund amount), an unparsed record, or is one of the table's printed
captions (the layout vocabulary: header captions, column headers, footer captions, categories).

    unaccounted(doc, result) -> [(line, cell)]   # empty when nothing is lost

Matching is on `layout.norm` forms: a cell counts as kept when its text is inside one of the
table's kept texts (a field value that spans merged cells, a name completed from a wrapped line),
or is a caption of the vocabulary or a prefix of one (a caption cut short by a narrow column).
Punctuation aside, a cell counts only when it is a whole kept text or holds LOOSE characters or
more: "000" of a cell ",000" is not kept because "200,000" or a date holds three zeros, and a fund
amount counts only when the cell is printed as a number.
"""
from __future__ import annotations

from functools import cache

import regex

from kpiscan import lexicon
from kpiscan.layout import norm

_NUMBER = regex.compile(r"^[-+]?(\d{1,3}([,，]\d{3})+|\d+)(\.\d+)?$")
LOOSE = 4
_PUNCT = regex.compile(r"[\p{P}\p{S}]+")


@cache
def vocabulary() -> frozenset[str]:
    words = set()
    for name, column in (
        ("header_fields.tsv", "caption"),
        ("table_layout.tsv", "text"),
        ("level1.tsv", "variant"),
        ("categories.tsv", "variant"),
    ):
        words |= {norm(r[column]) for r in lexicon.table(name)}
    return frozenset(w for w in words if w)


def _bare(text: str) -> str:
    return _PUNCT.sub("", norm(text))


def _caption(n: str, vocab: frozenset[str]) -> bool:
    bare = _bare(n)
    return not bare or any(bare == _bare(v) or (len(bare) >= 2 and _bare(v).startswith(bare)) or bare.startswith(_bare(v)) for v in vocab)


def unaccounted(doc, result) -> list[tuple[int, str]]:
    """(line, cell) of every non-empty table cell found in no record, field or unparsed text."""
    vocab = vocabulary()
    lost = []
    by_table: dict[int, list[str]] = {}
    for i in result.indicators:
        by_table.setdefault(i.table, []).extend(
            x for x in (i.name, i.name_raw, i.value, i.level1, i.level2, i.target.raw if i.target else None) if x
        )
    for u in result.unparsed:
        by_table.setdefault(u.table, []).append(u.text)
    lines = doc.lines
    for t in result.tables:
        kept = [t.title, t.project, *t.fields, *t.fields.values(), *by_table.get(t.index, [])]
        blob = "\0".join(norm(x) for x in kept if x)
        bare = [_bare(x) for x in kept if x]
        bare_blob, whole = "\0".join(bare), set(bare)
        amounts = {v for half in t.funds.values() for v in half.values() if v is not None}
        for line in lines:
            if not (t.line <= line.number <= max(t.end_line, t.line)):
                continue
            for cell in line.cells:
                n = norm(cell)
                b = _bare(n)
                if not n or n in blob or b in whole or (len(b) >= LOOSE and b in bare_blob) or _caption(n, vocab):
                    continue
                if _NUMBER.match(n) and float(n.replace(",", "").replace("，", "")) in amounts:
                    continue
                lost.append((line.number, cell))
    return lost
