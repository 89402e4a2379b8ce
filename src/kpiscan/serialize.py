"""Plain-JSON round trips for scan results: the batch cache and worker processes use them.

Every `*_from_dict` reads what the matching `to_dict()` of kpiscan.model writes, so that
`x_from_dict(x.to_dict()) == x`. `TableBlock.to_dict()` leaves out the indicator block rows
(`body`); `table_to_dict` adds them, so a cached table is the table the scan produced.

`result_to_dict` / `result_from_dict` carry a whole `ScanResult`, its `InputError`s included
(an `InputError` does not survive pickling, so worker processes send these dicts instead).
"""
from __future__ import annotations

from dataclasses import fields
from typing import Any

from .errors import InputError
from .model import Indicator, Line, TableBlock, Target, Unparsed

FORMAT = 1  # bump when the layout below changes; the cache treats other formats as misses


def target_from_dict(d: dict[str, Any] | None) -> Target | None:
    if d is None:
        return None
    d = dict(d)
    d["per"] = list(d.get("per") or [])
    return Target(**d)


def indicator_from_dict(d: dict[str, Any]) -> Indicator:
    names = {f.name for f in fields(Indicator)}
    d = {k: v for k, v in d.items() if k in names}
    d["target"] = target_from_dict(d.get("target"))
    d["reasons"] = list(d.get("reasons") or [])
    return Indicator(**d)


def unparsed_from_dict(d: dict[str, Any]) -> Unparsed:
    return Unparsed(**d)


def line_to_list(line: Line) -> list:
    out = [line.number, line.text, list(line.cells), line.page]
    return out + [line.confidence] if line.confidence is not None else out


def line_from_list(row: list) -> Line:
    number, text, cells, page, *rest = row
    return Line(number=number, text=text, cells=tuple(cells), page=page, confidence=rest[0] if rest else None)


_TABLE_RENAMED = {"table": "index", "table_line": "line"}  # to_dict() key -> TableBlock field


def table_to_dict(table: TableBlock) -> dict[str, Any]:
    """`TableBlock.to_dict()` plus every field it leaves out (the body rows), so nothing is lost."""
    d = table.to_dict()
    covered = {_TABLE_RENAMED.get(k, k) for k in d}
    for f in fields(TableBlock):
        if f.name not in covered:
            value = getattr(table, f.name)
            d[f.name] = [line_to_list(line) for line in value] if f.name == "body" else value
    return d


def table_from_dict(d: dict[str, Any]) -> TableBlock:
    known = {f.name: f for f in fields(TableBlock)}
    kw = {}
    for key, value in d.items():
        name = _TABLE_RENAMED.get(key, key)
        if name not in known:
            continue  # a computed key of to_dict(), not a field
        if isinstance(known[name].default, tuple) and isinstance(value, list):
            value = tuple(value)  # e.g. periods
        kw[name] = value
    kw["body"] = [line_from_list(row) for row in kw.get("body") or []]
    kw["fields"] = dict(kw.get("fields") or {})
    kw["funds"] = {half: dict(sources) for half, sources in (kw.get("funds") or {}).items()}
    return TableBlock(**kw)


def problem_to_dict(err: InputError) -> dict[str, Any]:
    return {"path": err.path, "line": err.line, "message": err.message}


def problem_from_dict(d: dict[str, Any]) -> InputError:
    return InputError(d["path"], d["message"], d.get("line"))


def result_to_dict(result) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "files": list(result.files),
        "tables": [table_to_dict(t) for t in result.tables],
        "indicators": [i.to_dict() for i in result.indicators],
        "unparsed": [u.to_dict() for u in result.unparsed],
        "problems": [problem_to_dict(p) for p in result.problems],
    }


def result_from_dict(d: dict[str, Any]):
    from .pipeline import ScanResult

    if d.get("format") != FORMAT:
        raise ValueError(f"scan result format {d.get('format')!r}, expected {FORMAT}")
    return ScanResult(
        tables=[table_from_dict(t) for t in d["tables"]],
        indicators=[indicator_from_dict(i) for i in d["indicators"]],
        unparsed=[unparsed_from_dict(u) for u in d["unparsed"]],
        problems=[problem_from_dict(p) for p in d["problems"]],
        files=list(d["files"]),
    )
