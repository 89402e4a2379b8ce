"""The plumbing between the scan and the report (issue 13, report CPU): the records handed over
in this process, the spool of parts, the tabular sinks. Each fast path gives what the plain one
gives, on the records of a real document (corpora/001) and on values a scan rarely makes (a
non-finite float, a cell that reads as a formula)."""
from __future__ import annotations

import csv
import dataclasses
import math
import pickle
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kpiscan import schema
from kpiscan.batch import iter_parts, part_of, part_result, scan_one
from kpiscan.report import PartSpool
from kpiscan.review import DocumentScore, Finding, TableScore, review_all
from kpiscan.write import _Sink, write_csv

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "corpora" / "001_ac55e88fbc470c63.txt"


@pytest.fixture(scope="module")
def scanned():
    return scan_one(DOC, classify=False)


def test_records_handed_over_in_this_process_are_the_decoded_parts(scanned):
    """part_of(records=True) -> part_result: the records the dict round trip gives, field for
    field and type for type (tables without their body rows); iter_parts(records=True) hands
    them over for a file scanned here."""
    decoded = part_result(part_of(scanned))
    kept = part_result(part_of(scan_one(DOC, classify=False), records=True))
    assert kept.tables == decoded.tables and kept.indicators == decoded.indicators
    assert all(t.body == [] for t in kept.tables)
    for a, b in zip(kept.indicators, decoded.indicators):
        assert [type(getattr(a, f.name)) for f in dataclasses.fields(a)] == [type(getattr(b, f.name)) for f in dataclasses.fields(b)]
    [part] = iter_parts([DOC], classify=False, records=True, show_progress=False)
    assert part["n"]["indicators"] == len(decoded.indicators) > 0
    assert part_result(part).indicators == decoded.indicators


def test_the_report_s_scan_skips_the_nothing_lost_net_and_nothing_else(monkeypatch, tmp_path):
    """iter_parts(sweep=False), what report_scan asks: the same tables and indicator records,
    without the net's unplaced-cell unparsed records (corpora/ holds some: the report keeps no
    unparsed record, part_result's "unparsed": []); a cache refuses such parts, at the call; report_scan
    asks no unplaced_cells at all."""
    import kpiscan.pipeline as pipeline
    from kpiscan.report import report_scan

    files = sorted((ROOT / "corpora").glob("*.txt"))
    swept = list(iter_parts(files, classify=False, records=True))
    kept = list(iter_parts(files, classify=False, records=True, sweep=False))
    assert sum(u.reason == "unplaced-cell" for p in swept for u in p["unparsed"]) > 0
    for a, b in zip(swept, kept, strict=True):
        assert a["indicators"] == b["indicators"]
        assert [u for u in a["unparsed"] if u.reason != "unplaced-cell"] == b["unparsed"]
        assert [dataclasses.replace(t, n_unparsed=0) for t in a["tables"]] == [dataclasses.replace(t, n_unparsed=0) for t in b["tables"]]
    with pytest.raises(ValueError, match="may not be cached"):  # at the call, before any part is asked
        iter_parts(files, classify=False, cache_dir=tmp_path / "cache", sweep=False)
    asked: list = []
    monkeypatch.setattr(pipeline, "unplaced_cells", lambda *a, **k: asked.append(a) or [])
    report_scan([DOC], tmp_path / "report", classify=False)
    assert asked == []


def test_the_spool_gives_back_the_records_it_was_given(scanned, tmp_path):
    result = part_result(part_of(scanned))
    result.indicators[0].target.others = [dataclasses.replace(result.indicators[0].target, raw="x", others=[])]
    spool = PartSpool(tmp_path)
    try:
        at = [spool.write(result), spool.write(result)]
        back = list(spool.results())
        assert len(back) == 2 and all(b.tables == result.tables and b.indicators == result.indicators for b in back)
        assert spool.load(at[1]).indicators == result.indicators
    finally:
        spool.close()
    assert not list(tmp_path.iterdir())


def test_the_spool_reads_a_record_s_fields_by_their_names(scanned, tmp_path):
    """PartSpool reads an indicator's fields by their names (schema.field_reader): a record whose
    attribute was deleted and set again (its dict in another order), that holds an extra
    attribute or that lacks one in its dict (its class's default) comes back with every field
    where it was."""
    result = part_result(part_of(scanned))
    moved, extra = dataclasses.replace(result.indicators[0]), dataclasses.replace(result.indicators[1])
    label = moved.label
    del moved.label
    moved.label = label
    extra.note = "kept out"  # type: ignore[attr-defined]
    assert list(vars(moved))[-1] == "label"
    lacking = dataclasses.replace(result.indicators[2])
    del lacking.source  # (its class's default None: what getattr reads)
    assert "source" not in vars(lacking) and lacking.source is None
    for indicators in ([moved, *result.indicators[1:]], [extra, *result.indicators[2:]], [lacking, *result.indicators[3:]],
                       result.indicators):
        spool = PartSpool(tmp_path)
        try:
            spool.write(dataclasses.replace(result, indicators=indicators))
            back = next(iter(spool.results())).indicators
        finally:
            spool.close()
        assert [dataclasses.astuple(i) for i in back] == [dataclasses.astuple(i) for i in indicators]
        assert not hasattr(back[0], "note")


def test_the_spool_writes_an_equal_target_once_and_reads_it_back_shared(scanned, tmp_path, monkeypatch):
    """PartSpool pickles a Target equal to one it wrote before by its number: read back, the
    records that held equal Targets share one, in this part and the next. A Target whose key
    may equal another's written otherwise (a number that is 0 or -0, an int, further targets)
    is written in full and comes back as it was, its own; past the table's bound, all are."""
    import kpiscan.report as report
    from kpiscan.schema import hashable

    result = part_result(part_of(scanned))
    first = result.indicators[0].target
    odd = [dataclasses.replace(first, value=0.0), dataclasses.replace(first, value=-0.0), dataclasses.replace(first, value=1),
           dataclasses.replace(first, low=-0.0), dataclasses.replace(first, others=[dataclasses.replace(first, raw="x")])]
    indicators = [dataclasses.replace(i, target=dataclasses.replace(i.target)) for i in result.indicators]
    indicators += [dataclasses.replace(result.indicators[0], target=t) for t in odd]
    part = dataclasses.replace(result, indicators=indicators)
    groups: dict = {}
    for k, i in enumerate(indicators[:-len(odd)]):
        groups.setdefault(hashable(type(first))(i.target), []).append(k)
    assert max(map(len, groups.values())) > 1  # (a document prints the same value again)
    for bound in (report._SHARED_TARGETS, 2):
        monkeypatch.setattr(report, "_SHARED_TARGETS", bound)
        spool = PartSpool(tmp_path)
        try:
            spool.write(part)
            spool.write(part)
            assert len(spool.targets.made) == min(bound, len(groups) + 1)  # (+ the further target "x", itself shared)
            parts = list(spool.results())
        finally:
            spool.close()
        for back in parts:
            assert [repr(dataclasses.astuple(i)) for i in back.indicators] == [repr(dataclasses.astuple(i)) for i in indicators]
            assert [type(i.target.value) for i in back.indicators] == [type(i.target.value) for i in indicators]
        made = set(map(id, spool.targets.made))
        shared = [ks for ks in groups.values() if id(parts[0].indicators[ks[0]].target) in made]
        assert len(shared) == min(bound, len(groups))
        for ks in shared:  # one object for equal Targets, in both parts
            assert len({id(p.indicators[k].target) for p in parts for k in ks}) == 1
        for n in range(len(indicators) - len(odd), len(indicators)):  # each its own
            assert parts[0].indicators[n].target is not parts[1].indicators[n].target
    with pytest.raises(pickle.UnpicklingError):  # a Target by its number is read back by its spool only
        report._shared_target(0)


def test_the_spool_writes_a_part_s_indicators_as_one_list_of_field_tuples(scanned, tmp_path):
    """PartSpool pickles the indicator records as one list of their fields' tuples (one
    `_records` call rebuilds them, no reduction per record); a list holding a record of another
    class (a subclass here) is pickled record by record and still comes back as it was."""
    import io
    import pickle
    import pickletools

    from kpiscan.model import Indicator
    from kpiscan.report import _by_fields

    result = part_result(part_of(scanned))
    spool = PartSpool(tmp_path)
    try:
        spool.write(result)
        spool.fh.flush()
        def reductions(data: bytes) -> int:
            return [op.name for op, _, _ in pickletools.genops(data)].count("REDUCE")

        per_record = io.BytesIO()  # the part pickled a record at a time, as the spool did before
        pickler = pickle.Pickler(per_record, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _by_fields()  # type: ignore[assignment]
        pickler.dump((result.tables, result.indicators))
        # the Targets' and the tables' own reductions, and one for the list: none per indicator
        assert reductions(spool.path.read_bytes()) == reductions(per_record.getvalue()) - len(result.indicators) + 1

        @dataclasses.dataclass(slots=True)
        class Odd(Indicator):
            pass

        odd = Odd(**{f.name: getattr(result.indicators[0], f.name) for f in dataclasses.fields(Indicator)})
        mixed = dataclasses.replace(result, indicators=[odd, *result.indicators[1:]])
        with pytest.raises((pickle.PicklingError, AttributeError)):  # a local class cannot be pickled by name:
            spool.write(mixed)  # proof it went through the per-record path, not the tuples of Indicator
    finally:
        spool.close()


def _old_flat_row(cls, d, lists):
    """flat_row as the generic loop wrote it before it was compiled (the reference)."""
    import json

    row = {}
    for column, path, meta in schema._flat_plan(cls):
        value = d
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if meta.derived is not None and meta.flat == meta.derived[0]:
            value = schema._DERIVE[meta.derived[2]](value)
        elif meta.type.startswith("list"):
            value = list(value or [])
            if lists == "join":
                value = ";".join(map(str, value))
        elif meta.type == "json":
            value = json.dumps(value, ensure_ascii=False) if value else None
        row[column] = value
    return row


def test_sinks_write_the_flat_rows_of_the_records(scanned, tmp_path):
    """CSV and Parquet sinks of the review records: the rows flat_row gives (non-finite floats
    null in Parquet, also inside JSON columns; CSV cells that read as formulas defused)."""
    review = review_all(scanned.tables, scanned.indicators)
    odd = dataclasses.replace(review.tables[0], score=math.inf, criteria={"完整性": math.nan, "x": 1.5})
    finding = dataclasses.replace(review.findings[0], message="=HYPERLINK(1)", records=["-a", "b"])
    for cls, records in ((Finding, [*review.findings, finding]), (TableScore, [*review.tables, odd]),
                         (DocumentScore, review.documents)):
        dicts = [r.to_dict() for r in records]
        for fmt in ("csv", "parquet"):
            sink = _Sink(tmp_path / f"{cls.__name__}.{fmt}", cls, fmt)
            sink.add(dicts[:1])
            sink.add(dicts[1:])
            sink.close(True)
        # the sink writes its BOM itself, then utf-8: the bytes of the utf-8-sig codec (write_csv's)
        write_csv(dicts, tmp_path / "whole.csv", cls)
        written = (tmp_path / f"{cls.__name__}.csv").read_bytes()
        assert written.startswith(b"\xef\xbb\xbf") and not written.startswith(b"\xef\xbb\xbf" * 2)
        assert written == (tmp_path / "whole.csv").read_bytes()
        with (tmp_path / f"{cls.__name__}.csv").open(encoding="utf-8-sig", newline="") as fh:
            got = list(csv.reader(fh))
        want = [[str(v) if v is not None else "" for v in _old_flat_row(cls, d, "join").values()] for d in dicts]
        want = [["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r", "\0") else v for v in row] for row in want]
        assert got == [schema.flat_columns(cls), *want]
        table = pq.read_table(tmp_path / f"{cls.__name__}.parquet")
        rows = [_old_flat_row(cls, d, "keep") for d in dicts]
        for row in rows:
            for k, v in row.items():
                if isinstance(v, float) and not math.isfinite(v):
                    row[k] = None
                elif isinstance(v, str) and ("NaN" in v or "Infinity" in v) and k == "criteria":
                    row[k] = v.replace("NaN", "null").replace("Infinity", "null")
        pq.write_table(pa.Table.from_pylist(rows, schema=schema.arrow_schema(cls)), tmp_path / "want.parquet")
        assert table.equals(pq.read_table(tmp_path / "want.parquet"), check_metadata=True)
    scores = pq.read_table(tmp_path / "TableScore.parquet").to_pylist()[-1]
    assert scores["score"] is None and scores["criteria"] == '{"完整性": null, "x": 1.5}'
    with (tmp_path / "Finding.csv").open(encoding="utf-8-sig", newline="") as fh:
        last = list(csv.DictReader(fh))[-1]
    assert last["message"] == "'=HYPERLINK(1)" and last["records"] == "'-a;b"


def test_defuse_all_is_defuse_of_each_value():
    """cellsafe.defuse_all (a text's first character looked up in a set) defuses what `defuse`
    (formula_like: startswith each start) does, for every start, empty and one-character texts,
    a start after the first character, a str subclass and values that are not str."""
    from kpiscan.cellsafe import FORMULA_START, defuse, defuse_all

    class Text(str):
        pass

    values = ["", "a", "中文", "'=x", " =x", "＝x", Text("=x"), Text("x"), 1, -1.5, None, True, b"=x", ["=x"],
              *FORMULA_START, *(c + "中" for c in FORMULA_START), *("x" + c for c in FORMULA_START)]
    got = defuse_all(values)
    assert got == [defuse(v) for v in values]
    assert sum(isinstance(v, str) and v.startswith("'") for v in got) == 1 + 1 + 2 * len(FORMULA_START)


def test_defuse_rows_is_defuse_all_of_each_row():
    """cellsafe.defuse_rows (column by column: a column of texts joined and searched once) gives
    defuse_all's rows: a formula's start first in a column's first text, in a later one, after the
    separator inside a text (a false alarm: the column tested cell by cell), columns of texts and
    None, of numbers, of mixed values, a str subclass; rows of different lengths; no rows."""
    from kpiscan.cellsafe import _SEP, FORMULA_START, defuse_all, defuse_rows

    class Text(str):
        pass

    plain = [("a", 1, None, "中文", 1.5, "x;y", ""), ("b", 2, None, "文", -1.0, "", "z")]
    assert defuse_rows(plain) is plain  # nothing formula-like: the rows as they were given
    for start in FORMULA_START:
        for column in range(7):
            for at in range(2):
                rows = [list(r) for r in plain]
                rows[at][column] = start + "中"
                assert list(map(list, defuse_rows(rows))) == list(map(defuse_all, rows)), (start, column, at)
    for odd in ([("a" + _SEP + "=b", "x"), ("c", "y")], [(Text("=x"), 1), (Text("x"), 2)], [("=x", None), (None, "-1")],
                [(1, "=x"), ("=y", 2.5)], [("=x",), ("a", "=b")], [], [(b"=x", ["=x"])]):
        assert list(map(list, defuse_rows(odd))) == list(map(defuse_all, odd)), odd
