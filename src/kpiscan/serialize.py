"""Plain-JSON round trips for scan results: the batch cache and worker processes use them.

Every `*_from_dict` reads what the matching `to_dict()` of kpiscan.model writes, so that
`x_from_dict(x.to_dict()) == x` (each is the record's schema-derived `from_dict`, kpiscan.schema).
`TableBlock.to_dict()` leaves out the indicator block rows
(`body`); `table_to_dict` adds them, so a cached table is the table the scan produced.

`result_to_dict` / `result_from_dict` carry a whole `ScanResult`, its `InputError`s included
(an `InputError` does not survive pickling, so worker processes send these dicts instead).
"""
from __future__ import annotations

from typing import Any

from .errors import InputError
from .model import Indicator, Line, TableBlock, Target, Unparsed

FORMAT = 2  # bump when the layout below changes; the cache treats other formats as misses


def target_from_dict(d: dict[str, Any] | None) -> Target | None:
    return None if d is None else Target.from_dict(d)


def indicator_from_dict(d: dict[str, Any]) -> Indicator:
    return Indicator.from_dict(d)


def unparsed_from_dict(d: dict[str, Any]) -> Unparsed:
    return Unparsed.from_dict(d)


def line_to_list(line: Line) -> list[Any]:
    out: list[Any] = [line.number, line.text, list(line.cells), line.page]
    return out + [line.confidence] if line.confidence is not None else out


def line_from_list(row: list[Any]) -> Line:
    number, text, cells, page, *rest = row
    return Line(number=number, text=text, cells=tuple(cells), page=page, confidence=rest[0] if rest else None)


def table_to_dict(table: TableBlock) -> dict[str, Any]:
    """`TableBlock.to_dict()` plus the body rows it leaves out, so nothing is lost."""
    d = table.to_dict()
    d["body"] = [line_to_list(line) for line in table.body]
    return d


def table_from_dict(d: dict[str, Any]) -> TableBlock:
    table = TableBlock.from_dict(d)
    table.body = [line_from_list(row) for row in d.get("body") or []]
    return table


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
    from .corpus import ScanResult

    if d.get("format") != FORMAT:
        raise ValueError(f"scan result format {d.get('format')!r}, expected {FORMAT}")
    return ScanResult(
        tables=[table_from_dict(t) for t in d["tables"]],
        indicators=[indicator_from_dict(i) for i in d["indicators"]],
        unparsed=[unparsed_from_dict(u) for u in d["unparsed"]],
        problems=[problem_from_dict(p) for p in d["problems"]],
        files=list(d["files"]),
    )
