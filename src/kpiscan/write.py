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
from itertools import repeat
from operator import is_, itemgetter
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Sequence

import orjson

from . import schema
from .cellsafe import defuse_all, defuse_rows
from .model import Indicator

FLAT_COLUMNS = tuple(schema.flat_columns(Indicator))
FORMATS = ("jsonl", "csv", "parquet")


def flat_record(record: dict[str, Any]) -> dict[str, Any]:
    """One indicator record with the Target spread into target_* columns; lists as "a;b" (CSV)."""
    return schema.flat_row(Indicator, record, lists="join")


_PLAIN = frozenset((str, int, bool, type(None)))  # what holds no float: kept as it is, without a call


_INF = math.inf


def _finite(obj: Any) -> Any:
    """`obj` with every float that is not finite (inf, nan) replaced by None, recursively (a
    plain float between -inf and inf, as most are, kept without a call: a table score's
    criteria and deductions hold a dozen)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: v if v.__class__ in _PLAIN or (v.__class__ is float and -_INF < v < _INF) else _finite(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [v if v.__class__ in _PLAIN or (v.__class__ is float and -_INF < v < _INF) else _finite(v) for v in obj]
    return obj


_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def json_line(record: dict) -> str:
    """One record as strict JSON in UTF-8 (no bare Infinity/NaN: a non-finite number is written as
    null; its printed text stays in `value` and `target.raw`) and a newline. Encoded by orjson
    (compact, keys in order, non-finite floats as null); what orjson refuses (an integer past 64
    bits, a key that is not a string, a lone surrogate) by the standard library, to the same JSON."""
    try:
        return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE).decode()
    except TypeError:  # orjson.JSONEncodeError
        pass
    try:
        return _ENCODE(record) + "\n"
    except ValueError:
        return _ENCODE(_finite(record)) + "\n"


def json_lines(records: Sequence[Any], utf8: bool = False) -> Any:
    """Records (of one class) as JSONL, `json_line(r.to_dict())` each: encoded straight from the
    records when their class's to_dict is its fields (schema.encodes_as_fields), else through
    to_dict. `utf8`: as its UTF-8 bytes (orjson's own output, not decoded) where it has them;
    text where it cannot be encoded (a lone surrogate: the writer reports it as it would)."""
    cls: type = type(records[0]) if records else dict
    # (the class of every record asked in C: no generator's step a record)
    direct = bool(records) and schema.encodes_as_fields(cls) and all(map(is_, map(type, records), repeat(cls)))
    if direct or (utf8 and records):
        # orjson's lines, from the records themselves or through to_dict (a TableBlock: as UTF-8
        # bytes only, not decoded to the text json_line gives and encoded back; ~1 KB a line)
        try:
            data = b"".join(orjson.dumps(r if direct else r.to_dict(), option=orjson.OPT_APPEND_NEWLINE) for r in records)
            return data if utf8 else data.decode()
        except TypeError:  # orjson.JSONEncodeError: what it refuses goes through json_line
            pass
    text = "".join(json_line(r.to_dict()) for r in records)
    if utf8:
        try:
            return text.encode()
        except UnicodeEncodeError:
            pass
    return text


def jsonl_records(jsonl: str | bytes) -> list[dict[str, Any]]:
    """JSONL already encoded, as text or as its UTF-8 bytes, read back as records (JSON escapes
    every newline inside a record)."""
    end = b"\n" if isinstance(jsonl, bytes) else "\n"
    return [json.loads(line) for line in jsonl.split(end) if line]  # type: ignore[arg-type]


def write_encoded(fh: IO[str], jsonl: str | bytes) -> None:
    """JSONL already encoded, as text or as its UTF-8 bytes, written to the text file `fh`: the
    bytes as they are, to its binary buffer after the text written before them, where the text
    mode writes "\\n" as it is (else decoded: text mode writes os.linesep)."""
    raw = getattr(fh, "buffer", None) if os.linesep == "\n" else None
    if isinstance(jsonl, bytes) and raw is not None:
        fh.flush()
        raw.write(jsonl)
    else:
        fh.write(jsonl.decode() if isinstance(jsonl, bytes) else jsonl)


def write_jsonl(records: Iterable[dict[str, Any]], fh: IO[str]) -> None:
    for r in records:
        fh.write(json_line(r))


def write_csv(records: Iterable[dict[str, Any]], path: Path, cls: type = Indicator) -> None:
    # utf-8-sig so that Excel opens the Chinese text correctly; text cells defused (kpiscan.cellsafe)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(schema.flat_columns(cls))
        flat = schema.flat_values(cls, "join")
        writer.writerows(defuse_all(flat(r)) for r in records)


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


def flat_rows(cls: type, records: Sequence[Any], formats: Iterable[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Records of one type as the flat rows of each format's `_Sink` ("csv", "parquet"): for
    both, each record flattened once (schema.flat_value_pairs: a JSON column's text made once
    for the two files), from its fields when they are all of `cls` and it `reads_as_fields`
    (the same rows, no `to_dict()` dict made and dropped a record), else from its to_dict()."""
    wanted = set(formats)
    direct = schema.reads_as_fields(cls) and all(map(is_, map(type, records), repeat(cls)))
    if wanted == {"csv", "parquet"}:
        pairs = list(map(schema.flat_value_pairs(cls, _finite, direct), records if direct else [r.to_dict() for r in records]))
        return {"csv": list(map(_FIRST, pairs)), "parquet": list(map(_SECOND, pairs))}
    dicts = [r.to_dict() for r in records]
    return {fmt: list(map(_flat_values(cls, fmt), dicts)) for fmt in wanted}


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _flat_values(cls: type, fmt: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A record's flat values for its CSV file (lists joined) or Parquet file (lists kept, no float
    that is not finite: null)."""
    return schema.flat_values(cls, "join") if fmt == "csv" else schema.flat_values(cls, "keep", _finite)


PARQUET_ROW_GROUP = 50_000


class _Sink:
    """One output file of one record type, appended to: JSONL (nested; already encoded text is
    written as is), CSV or Parquet (flat rows of the schema, Parquet in row groups)."""

    def __init__(self, path: Path, cls: type, fmt: str) -> None:
        self.final, self.cls, self.fmt = path, cls, fmt
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.rows: list[tuple[Any, ...]] = []
        self.fh: Any = None
        self.csv: Any = None
        self.pq: Any = None
        if fmt == "parquet":
            import pyarrow.parquet as pq

            self.pq = pq.ParquetWriter(self.tmp, schema.arrow_schema(cls))
        else:
            # CSV with a BOM (utf-8-sig) so that Excel opens the Chinese text correctly: the BOM
            # written first, then plain utf-8 (TextIOWrapper encodes utf-8 in C; the utf-8-sig
            # codec is called in Python for every row the csv writer writes)
            self.fh = self.tmp.open("w", encoding="utf-8", newline="" if fmt == "csv" else None)
            if fmt == "csv":
                self.fh.write("\ufeff")
                self.csv = csv.writer(self.fh)
                self.csv.writerow(schema.flat_columns(self.cls))

    def add(self, records: str | bytes | Iterable[dict[str, Any]]) -> None:
        if self.fmt == "jsonl":
            write_encoded(self.fh, records if isinstance(records, (str, bytes)) else "".join(json_line(r) for r in records))
            return
        if isinstance(records, (str, bytes)):
            records = jsonl_records(records)
        # CSV, Parquet: a record's flat values (schema.flat_values), in the order of the header /
        # schema; Parquet: no float that is not finite (inf, nan: null). Compiled here, on the first
        # dicts: the report's sinks are given rows already flat (add_rows) and never compile it
        self.add_rows(map(_flat_values(self.cls, self.fmt), records))

    def add_rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Records already flattened for this file (CSV, Parquet: `flat_rows`)."""
        if self.fmt == "csv":
            # text cells defused against formula injection, as write_csv (kpiscan.cellsafe)
            self.csv.writerows(defuse_rows(rows if isinstance(rows, list) else list(rows)))
        else:
            self.rows.extend(rows)
            if len(self.rows) >= PARQUET_ROW_GROUP:
                self.flush()

    def flush(self) -> None:
        """The rows held as one row group."""
        self.pq.write_table(schema.arrow_rows(self.cls, self.rows))
        self.rows = []

    def close(self, ok: bool) -> None:
        try:
            if self.pq is not None:
                if ok and self.rows:
                    self.flush()
                self.pq.close()
            if self.fh is not None:
                self.fh.close()
        finally:
            if ok:
                os.replace(self.tmp, self.final)
            else:
                self.tmp.unlink(missing_ok=True)


class OutputWriter:
    """The scan outputs in `out`, appended part by part (one part per input file):
    indicators.<fmt>, tables.jsonl, unparsed.jsonl (and tables.<fmt>, unparsed.<fmt> when fmt is
    not jsonl), problems.jsonl (each with `skipped`).

        with OutputWriter(out, "jsonl") as w:
            w.add({"indicators": [...], "tables": [...], "unparsed": [...], "problems": [...], "skipped": [...]})
        w.written   # {"indicators": out/indicators.jsonl, ...}, renamed into place on success

    A stream is a list of `to_dict()` dicts or its JSONL text already encoded (`json_line`), as
    text or as its UTF-8 bytes.
    Nothing is renamed into place when the block ends with an exception: the temporary files are
    removed and the previous outputs (if any) stay as they were.
    """

    def __init__(self, out: Path, fmt: str = "jsonl") -> None:
        from .model import TableBlock, Unparsed

        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        self.out, self.fmt = Path(out), fmt
        self.plan: list[tuple[str, str, type, str]] = [("indicators", "indicators", Indicator, fmt)]
        for name, cls in (("tables", TableBlock), ("unparsed", Unparsed)):
            self.plan.append((name, name, cls, "jsonl"))
            if fmt != "jsonl":
                self.plan.append((f"{name}.{fmt}", name, cls, fmt))
        self.plan.append(("problems", "problems", dict, "jsonl"))
        self.sinks: dict[str, _Sink] = {}
        self.written: dict[str, Path] = {}

    def __enter__(self) -> "OutputWriter":
        self.out.mkdir(parents=True, exist_ok=True)
        for key, stream, cls, fmt in self.plan:
            self.sinks[key] = _Sink(self.out / f"{stream}.{fmt}", cls, fmt)
        return self

    def add(self, part: dict[str, Any]) -> None:
        skipped = set(part.get("skipped") or ())
        problems = [dict(p, skipped=p["path"] in skipped) for p in part.get("problems") or ()]
        for key, stream, _cls, _fmt in self.plan:
            records = problems if stream == "problems" else part.get(stream) or ()
            if records:
                self.sinks[key].add(records)

    def close(self, ok: bool = True) -> dict[str, Path]:
        for key, sink in self.sinks.items():
            sink.close(ok)
            if ok:
                self.written[key] = sink.final
        self.sinks = {}
        return self.written

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.close(ok=exc_type is None)


def write_outputs(result: Any, out: Path, fmt: str = "jsonl") -> dict[str, Path]:
    """The outputs of `OutputWriter` for a ScanResult in memory; returns what was written."""
    from .serialize import problem_to_dict

    with OutputWriter(out, fmt) as w:
        w.add(
            {
                "indicators": result.records(),
                "tables": [t.to_dict() for t in result.tables],
                "unparsed": [u.to_dict() for u in result.unparsed],
                "problems": [problem_to_dict(p) for p in result.problems],
                "skipped": list(getattr(result, "skipped", [])),
            }
        )
    return w.written


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
