"""Writers for scan results: JSONL (nested, the record contracts of docs/contracts.md), CSV and
Parquet (flat). The flat columns and the Parquet schema are derived from the record declarations
(kpiscan.schema): the same columns and types whatever the data."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any, Iterable

from . import schema
from .model import Indicator

FLAT_COLUMNS = tuple(schema.flat_columns(Indicator))
FORMATS = ("jsonl", "csv", "parquet")


def flat_record(record: dict[str, Any]) -> dict[str, Any]:
    """One indicator record with the Target spread into target_* columns; lists as "a;b" (CSV)."""
    return schema.flat_row(Indicator, record, lists="join")


def write_jsonl(records: Iterable[dict[str, Any]], fh: IO[str]) -> None:
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False))
        fh.write("\n")


def write_csv(records: Iterable[dict[str, Any]], path: Path, cls: type = Indicator) -> None:
    # utf-8-sig so that Excel opens the Chinese text correctly
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=schema.flat_columns(cls))
        writer.writeheader()
        writer.writerows(schema.flat_row(cls, r, lists="join") for r in records)


def records_frame(records: Iterable[dict[str, Any]], cls: type = Indicator) -> Any:
    """The records as a pandas DataFrame, one flat row each (the Parquet columns and types)."""
    return schema.frame(cls, list(records))


def write_parquet(records: list[dict[str, Any]], path: Path, cls: type = Indicator) -> None:
    import pyarrow.parquet as pq

    pq.write_table(schema.arrow_table(cls, records), path)


def write_outputs(result: Any, out: Path, fmt: str = "jsonl") -> dict[str, Path]:
    """indicators.<fmt>, tables.jsonl and unparsed.jsonl in `out`; returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    records = result.records()
    written: dict[str, Path] = {}
    target = out / f"indicators.{fmt}"
    if fmt == "jsonl":
        with target.open("w", encoding="utf-8") as fh:
            write_jsonl(records, fh)
    elif fmt == "csv":
        write_csv(records, target)
    elif fmt == "parquet":
        write_parquet(records, target)
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    written["indicators"] = target
    with (out / "tables.jsonl").open("w", encoding="utf-8") as fh:
        write_jsonl((t.to_dict() for t in result.tables), fh)
    written["tables"] = out / "tables.jsonl"
    with (out / "unparsed.jsonl").open("w", encoding="utf-8") as fh:
        write_jsonl((u.to_dict() for u in result.unparsed), fh)
    written["unparsed"] = out / "unparsed.jsonl"
    return written
