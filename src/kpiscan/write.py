"""Writers for scan results: JSONL (nested, the record contracts of docs/contracts.md), CSV and
Parquet (flat). The flat columns and the Parquet schema are derived from the record declarations
(kpiscan.schema): the same columns and types whatever the data.

`OutputWriter` streams: each file's part (its tables, indicator records and unparsed rows) is
appended as soon as it is done, so a batch holds one file's records at a time. Outputs are
written to hidden temporary files in the output directory and renamed into place when the run
ends, so a killed run never leaves a half-written file under a final name. Parquet is one file
written in row groups of `PARQUET_ROW_GROUP` rows with the schema's fixed Arrow schema.
"""
from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import IO, Any, Iterable

from . import schema
from .model import Indicator

FLAT_COLUMNS = tuple(schema.flat_columns(Indicator))
FORMATS = ("jsonl", "csv", "parquet")


def flat_record(record: dict[str, Any]) -> dict[str, Any]:
    """One indicator record with the Target spread into target_* columns; lists as "a;b" (CSV)."""
    return schema.flat_row(Indicator, record, lists="join")


def _finite(obj: Any) -> Any:
    """`obj` with every float that is not finite (inf, nan) replaced by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def json_line(record: dict) -> str:
    """One record as strict JSON (no bare Infinity/NaN: a non-finite number is written as null;
    its printed text stays in `value` and `target.raw`) and a newline."""
    try:
        return _ENCODE(record) + "\n"
    except ValueError:
        return _ENCODE(_finite(record)) + "\n"


def write_jsonl(records: Iterable[dict[str, Any]], fh: IO[str]) -> None:
    for r in records:
        fh.write(json_line(r))


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


PARQUET_ROW_GROUP = 50_000


class OutputWriter:
    """indicators.<fmt>, tables.jsonl and unparsed.jsonl in `out`, appended part by part.

        with OutputWriter(out, "jsonl") as w:
            w.add({"indicators": [...], "tables": [...], "unparsed": [...]})   # dicts, per file
        w.written   # {"indicators": out/indicators.jsonl, ...}, renamed into place on success

    Nothing is renamed into place when the block ends with an exception: the temporary files are
    removed and the previous outputs (if any) stay as they were.
    """

    STREAMS = ("indicators", "tables", "unparsed")

    def __init__(self, out: Path, fmt: str = "jsonl", names: dict[str, str] | None = None, only=STREAMS) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        self.out, self.fmt = Path(out), fmt
        names = {"indicators": f"indicators.{fmt}", "tables": "tables.jsonl", "unparsed": "unparsed.jsonl", **(names or {})}
        self.final = {k: self.out / names[k] for k in only}
        self.tmp = {k: p.with_name(f".{p.name}.{os.getpid()}.tmp") for k, p in self.final.items()}
        self.written: dict[str, Path] = {}
        self._fh: dict[str, Any] = {}
        self._csv = None
        self._pq = None
        self._rows: list[dict] = []

    def __enter__(self) -> "OutputWriter":
        self.out.mkdir(parents=True, exist_ok=True)
        for k, tmp in self.tmp.items():
            if k == "indicators" and self.fmt == "parquet":
                continue
            # utf-8-sig so that Excel opens the Chinese text of the CSV correctly
            enc = "utf-8-sig" if k == "indicators" and self.fmt == "csv" else "utf-8"
            self._fh[k] = tmp.open("w", encoding=enc, newline="" if enc == "utf-8-sig" else None)
        if "indicators" in self.tmp and self.fmt == "csv":
            self._csv = csv.DictWriter(self._fh["indicators"], fieldnames=list(FLAT_COLUMNS))
            self._csv.writeheader()
        if "indicators" in self.tmp and self.fmt == "parquet":
            import pyarrow.parquet as pq

            self._pq = pq.ParquetWriter(self.tmp["indicators"], schema.arrow_schema(Indicator))
        return self

    def add(self, part: dict) -> None:
        """Append one part: any of its "indicators", "tables", "unparsed": lists of dicts, or
        JSONL text already encoded (json_line) for the streams written as JSONL."""
        for k in ("tables", "unparsed"):
            if k in self._fh:
                self._write_jsonl(k, part.get(k) or ())
        records = part.get("indicators") or ()
        if "indicators" not in self.tmp:
            return
        if self.fmt == "jsonl":
            self._write_jsonl("indicators", records)
        elif self.fmt == "csv":
            self._csv.writerows(flat_record(r) for r in records)
        else:
            self._rows.extend(_finite(r) for r in records)
            if len(self._rows) >= PARQUET_ROW_GROUP:
                self._flush_parquet()

    def _write_jsonl(self, k: str, records: str | Iterable[dict]) -> None:
        if isinstance(records, str):
            self._fh[k].write(records)
        else:
            self._fh[k].writelines(json_line(r) for r in records)

    def _flush_parquet(self) -> None:
        self._pq.write_table(schema.arrow_table(Indicator, self._rows))
        self._rows = []

    def close(self, ok: bool = True) -> dict[str, Path]:
        try:
            if self._pq is not None:
                if ok and self._rows:
                    self._flush_parquet()
                self._pq.close()
            for fh in self._fh.values():
                fh.close()
        finally:
            self._pq, self._fh = None, {}
            for k, tmp in self.tmp.items():
                if ok:
                    os.replace(tmp, self.final[k])
                    self.written[k] = self.final[k]
                else:
                    tmp.unlink(missing_ok=True)
        return self.written

    def __exit__(self, exc_type, *exc) -> None:
        self.close(ok=exc_type is None)


def write_outputs(result: Any, out: Path, fmt: str = "jsonl") -> dict[str, Path]:
    """indicators.<fmt>, tables.jsonl and unparsed.jsonl in `out` for a ScanResult in memory;
    returns what was written."""
    with OutputWriter(out, fmt) as w:
        w.add(
            {
                "indicators": result.records(),
                "tables": [t.to_dict() for t in result.tables],
                "unparsed": [u.to_dict() for u in result.unparsed],
            }
        )
    return w.written
