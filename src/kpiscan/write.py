"""Writers for scan results: JSONL (nested, the contract of DESIGN.md 3.1), CSV and Parquet (flat)."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Iterable

from .cellsafe import defuse
from .model import Target

RECORD_FIELDS = (
    "doc", "table", "table_line", "kind", "project", "period", "level1", "level2",
    "name", "name_raw", "value", "line",
)
TARGET_FIELDS = tuple(f"target_{f}" for f in Target.__dataclass_fields__)
LABEL_FIELDS = ("label", "flagged", "reasons")
FLAT_COLUMNS = RECORD_FIELDS + TARGET_FIELDS + LABEL_FIELDS
FORMATS = ("jsonl", "csv", "parquet")


def flat_record(record: dict) -> dict:
    """One indicator record with the Target spread into target_* columns; lists as "a;b"."""
    out = {k: record.get(k) for k in RECORD_FIELDS + LABEL_FIELDS}
    target = record.get("target") or {}
    for name in Target.__dataclass_fields__:
        out[f"target_{name}"] = target.get(name)
    out["target_per"] = ";".join(target.get("per") or []) or None
    out["reasons"] = ";".join(record.get("reasons") or [])
    return out


def write_jsonl(records: Iterable[dict], fh: IO[str]) -> None:
    for r in records:
        fh.write(json.dumps(r, ensure_ascii=False))
        fh.write("\n")


def write_csv(records: Iterable[dict], path: Path) -> None:
    # utf-8-sig so that Excel opens the Chinese text correctly; text cells defused (cellsafe)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FLAT_COLUMNS))
        writer.writeheader()
        writer.writerows({k: defuse(v) for k, v in flat_record(r).items()} for r in records)


def records_frame(records: Iterable[dict]):
    """The records as a pandas DataFrame, one flat row each (the CSV/Parquet columns)."""
    import pandas as pd

    return pd.DataFrame([flat_record(r) for r in records], columns=list(FLAT_COLUMNS))


def write_parquet(records: list[dict], path: Path) -> None:
    records_frame(records).to_parquet(path, index=False)


def write_outputs(result, out: Path, fmt: str = "jsonl") -> dict[str, Path]:
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
