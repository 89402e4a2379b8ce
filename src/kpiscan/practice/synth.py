"""Constructed year pairs: the scan of one document and a "next year" copy of it, with the true
links, to measure `years.link_projects` (bench/eval_practice.py years).

`next_year` copies every project table of a scan into year + 1 under a new document name and
changes it the way a unit's next disclosure does, with a seeded random generator:

- the project name: years moved on, and with probability RENAME one or two (MAX_EDITS) small edits of EDITS
  (a suffix, a word swapped, a character dropped);
- the annual funds scaled by a factor in FUNDS_RANGE;
- each quantity target moved with probability MOVE (its number times 0.8-1.25);
- each indicator row dropped with probability DROP_ROW, and one row of another table added
  with probability ADD_ROW;
- a table dropped with probability DROP_TABLE (no link expected), and NEW_TABLES projects of
  another document brought in under this department (links not expected).
"""
from __future__ import annotations

import copy
import random
from typing import Sequence

import regex

from ..model import Indicator, TableBlock

RENAME = 0.6
MAX_EDITS = 2
FUNDS_RANGE = (0.6, 1.6)
MOVE = 0.3
DROP_ROW = 0.1
ADD_ROW = 0.3
DROP_TABLE = 0.1
EDITS: tuple[tuple[str, str, str], ...] = (  # (kind, text, replacement)
    ("suffix", "项目", ""),
    ("suffix", "（续）", ""),
    ("replace", "经费", "资金"),
    ("replace", "费用", "费"),
    ("replace", "工作", "业务"),
    ("drop_char", "", ""),
    ("prefix", "年度", ""),
)
_YEAR = regex.compile(r"20\d\d")
_NUMBER = regex.compile(r"\d+(?:\.\d+)?")


def rename(name: str, rng: random.Random) -> str:
    name = _YEAR.sub(lambda m: str(int(m.group()) + 1), name)
    if rng.random() >= RENAME:
        return name
    for _ in range(rng.randint(1, MAX_EDITS)):
        name = edit(name, rng)
    return name


def edit(name: str, rng: random.Random) -> str:
    kind, text, new = EDITS[rng.randrange(len(EDITS))]
    if kind == "suffix":
        return name + text
    if kind == "prefix":
        return text + name
    if kind == "replace" and text in name:
        return name.replace(text, new, 1)
    if kind == "drop_char" and len(name) > 6:
        i = rng.randrange(2, len(name) - 2)
        return name[:i] + name[i + 1:]
    return name + "项目"


def move_value(value: str, rng: random.Random) -> str:
    factor = rng.choice((0.8, 0.9, 1.1, 1.25))

    def scaled(m):
        x = float(m.group()) * factor
        return f"{x:.0f}" if x >= 10 else f"{x:.1f}"

    return _NUMBER.sub(scaled, value, count=1)


def next_year(tables: list[TableBlock], indicators: list[Indicator], doc: str, new_doc: str, seed: int = 0,
              distractors: Sequence[TableBlock] = (), new_tables: int = 3):
    """(tables, indicators, truth) of the copy; truth maps (doc, table) -> (new_doc, table) of the
    projects that were kept."""
    from ..values import parse_value

    rng = random.Random(seed)
    mine = [t for t in tables if t.doc == doc and t.kind == "project"]
    by_table: dict[int, list[Indicator]] = {}
    for ind in indicators:
        if ind.doc == doc:
            by_table.setdefault(ind.table, []).append(ind)
    pool = [ind for ind in indicators if ind.doc == doc]
    out_tables, out_inds, truth = [], [], {}
    index = 0
    sources = [(t, True) for t in mine if rng.random() >= DROP_TABLE]
    extra = [t for t in distractors if t.kind == "project"]
    rng.shuffle(extra)
    dept_fields = {k: mine[0].fields[k] for k in ("主管部门",) if mine and k in mine[0].fields}
    sources += [(t, False) for t in extra[:new_tables]]
    rng.shuffle(sources)
    for t, kept in sources:
        index += 1
        year = (t.year or 2024) + 1 if kept else (mine[0].year or 2024) + 1
        new = copy.deepcopy(t)
        new.doc, new.index, new.year = new_doc, index, year
        new.project = rename(t.project, rng) if kept else t.project
        new.fields = {**t.fields, **dept_fields, "项目名称": new.project}
        factor = rng.uniform(*FUNDS_RANGE)
        new.funds = {h: {k: (v * factor if v is not None else None) for k, v in src.items()} for h, src in t.funds.items()}
        out_tables.append(new)
        rows = by_table.get(t.index, []) if t.doc == doc else [i for i in indicators if i.doc == t.doc and i.table == t.index]
        dropped_lines = {i.line for i in rows if rng.random() < DROP_ROW}
        for ind in rows:
            if ind.line in dropped_lines:
                continue
            moved = copy.deepcopy(ind)
            moved.doc, moved.table, moved.project = new_doc, index, new.project
            if ind.target is not None and ind.target.kind == "quantity" and rng.random() < MOVE:
                moved.value = move_value(ind.value, rng)
                moved.target = parse_value(moved.value, year)
            out_inds.append(moved)
        if pool and rng.random() < ADD_ROW:
            add = copy.deepcopy(rng.choice(pool))
            add.doc, add.table, add.project, add.line = new_doc, index, new.project, 10**6 + index
            out_inds.append(add)
        if kept:
            truth[(t.doc, t.index)] = (new_doc, index)
    return out_tables, out_inds, truth
