"""Writers for scan results: JSONL (nested, the record contracts of docs/contracts.md), CSV and
Parquet (flat). The flat columns and the Parquet schema are derived from the record declarations
(kpiscan.schema): the same columns and types whatever the data."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any, Iterable

from . import schema
from .cellsafe import defuse
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
    # utf-8-sig so that Excel opens the Chinese text correctly; text cells defused (kpiscan.cellsafe)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=schema.flat_columns(cls))
        writer.writeheader()
        writer.writerows({k: defuse(v) for k, v in schema.flat_row(cls, r, lists="join").items()} for r in records)


def records_frame(records: Iterable[dict[str, Any]], cls: type = Indicator) -> Any:
    """The records as a pandas DataFrame, one flat row each (the Parquet columns and types)."""
    return schema.frame(cls, list(records))


def write_parquet(records: list[dict[str, Any]], path: Path, cls: type = Indicator) -> None:
    import pyarrow.parquet as pq

    pq.write_table(schema.arrow_table(cls, records), path)


def write_records(dicts: list[dict[str, Any]], cls: type, path: Path, fmt: str) -> Path:
    """`to_dict()` dicts of one record type as path (jsonl nested; csv and parquet flat)."""
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            write_jsonl(dicts, fh)
    elif fmt == "csv":
        write_csv(dicts, path, cls)
    elif fmt == "parquet":
        write_parquet(dicts, path, cls)
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return path


def write_outputs(result: Any, out: Path, fmt: str = "jsonl") -> dict[str, Path]:
    """indicators.<fmt>, tables.<fmt>, unparsed.<fmt> and problems.jsonl in `out` (tables.jsonl
    and unparsed.jsonl, nested, whatever the format); returns what was written."""
    from .model import TableBlock, Unparsed
    from .serialize import problem_to_dict

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {"indicators": write_records(result.records(), Indicator, out / f"indicators.{fmt}", fmt)}
    for name, cls, records in (("tables", TableBlock, result.tables), ("unparsed", Unparsed, result.unparsed)):
        dicts = [r.to_dict() for r in records]
        written[name] = write_records(dicts, cls, out / f"{name}.jsonl", "jsonl")
        if fmt != "jsonl":
            written[f"{name}.{fmt}"] = write_records(dicts, cls, out / f"{name}.{fmt}", fmt)
    skipped = set(getattr(result, "skipped", []))
    problems = [dict(problem_to_dict(p), skipped=p.path in skipped) for p in result.problems]
    written["problems"] = write_records(problems, dict, out / "problems.jsonl", "jsonl")
    return written


def write_review(review: Any, out: Path, formats: tuple[str, ...] = ("parquet", "csv")) -> list[Path]:
    """findings, table_scores and document_scores of a `Review` in `out`, as Parquet and CSV."""
    from .review import DocumentScore, Finding, TableScore

    written = []
    for name, cls, records in (("findings", Finding, review.findings), ("table_scores", TableScore, review.tables),
                               ("document_scores", DocumentScore, review.documents)):
        dicts = [r.to_dict() for r in records]
        for fmt in formats:
            written.append(write_records(dicts, cls, out / f"{name}.{fmt}", fmt))
    return written
