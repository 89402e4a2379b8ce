"""One schema: every record's to_dict / from_dict / flat columns / Parquet schema / xlsx columns come
from its declaration (kpiscan.schema), and the contracts in docs/contracts.md name every field."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pyarrow as pa
import pytest

from kpiscan import constants, schema
from kpiscan.model import Indicator, TableBlock, Target, Unparsed
from kpiscan.pipeline import scan_file
from kpiscan.review import DocumentScore, Finding, TableScore, review_all

ROOT = Path(__file__).resolve().parents[1]
RECORDS = (Indicator, Target, TableBlock, Unparsed, Finding, TableScore, DocumentScore)


@pytest.fixture(scope="module")
def scanned():
    result = scan_file(ROOT / "corpora" / "002_5c711d4843627377.txt", classify=False)
    return result, review_all(result.tables, result.indicators)


def test_every_record_round_trips(scanned):
    result, review = scanned
    for rec in [*result.indicators, *result.unparsed, *review.findings, *review.tables, *review.documents]:
        assert type(rec).from_dict(rec.to_dict()) == rec
    table = TableBlock.from_dict(result.tables[0].to_dict())
    assert table.periods == result.tables[0].periods and table.funds == result.tables[0].funds


def test_flat_columns_match_the_parquet_schema_and_rows(scanned):
    result, review = scanned
    for cls, recs in ((Indicator, result.indicators), (Finding, review.findings), (TableScore, review.tables)):
        columns = schema.flat_columns(cls)
        assert schema.arrow_schema(cls).names == columns
        table = schema.arrow_table(cls, [r.to_dict() for r in recs])
        assert table.num_rows == len(recs) and table.schema.equals(schema.arrow_schema(cls))


def test_parquet_types_do_not_depend_on_the_data():
    # no range, no per-unit, no date: every such column is still typed (not null)
    one = Indicator("a.txt", 1, 1, "project", "p", "annual", "产出指标", "数量指标", "n", "5人", 2,
                    target=Target("5人", "quantity", "=", 5.0, unit="人"))
    table = schema.arrow_table(Indicator, [one.to_dict()])
    types = dict(zip(table.schema.names, table.schema.types))
    assert types["target_low"] == pa.float64() and types["target_per"] == pa.list_(pa.string())
    assert types["target_day"] == pa.date32() and types["reasons"] == pa.list_(pa.string())
    assert table.schema.metadata[b"kpiscan.schema_version"] == schema.SCHEMA_VERSION.encode()


def test_whole_dates_become_dates_months_stay_text():
    import datetime as dt

    rows = [Target("x", "deadline", date=d).to_dict() for d in ("2024-09-30", "2024-09", None)]
    assert [schema.flat_row(Target, r)["day"] for r in rows] == [dt.date(2024, 9, 30), None, None]
    assert [schema.flat_row(Target, r)["date"] for r in rows] == ["2024-09-30", "2024-09", None]


def test_a_field_added_in_one_line_reaches_every_output():
    @schema.record
    @dataclasses.dataclass(slots=True)
    class Rec(schema.Record):
        name: str
        weight: float | None = None  # declared without metadata: type from the annotation
        tags: list[str] = dataclasses.field(default_factory=list)
        note: str | None = schema.col(None, "string", caption="备注 note", width=20)

    r = Rec("a", 2.5, ["x", "y"], "n")
    assert r.to_dict() == {"name": "a", "weight": 2.5, "tags": ["x", "y"], "note": "n"}
    assert Rec.from_dict(r.to_dict()) == r
    assert schema.arrow_schema(Rec).field("weight").type == pa.float64()
    assert schema.arrow_schema(Rec).field("tags").type == pa.list_(pa.string())
    assert schema.flat_row(Rec, r.to_dict(), lists="join")["tags"] == "x;y"
    assert schema.xlsx_columns(Rec) == [("备注 note", 20, False, "note")]


def test_contracts_name_every_field():
    text = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    named = set(re.findall(r"^\| ([a-z0-9_, ]+) \|", text, re.M))
    named = {n.strip() for row in named for n in row.split(",")}
    for cls in (Indicator, Target):
        keys = {m.key for _, m, _ in schema.plan(cls) if m.key}
        assert keys <= named, f"{cls.__name__}: {keys - named} missing from docs/contracts.md"


def test_closed_vocabularies_hold_on_the_corpus(scanned):
    result, review = scanned
    for i in result.indicators:
        assert i.period in constants.HALVES and i.kind in set(constants.TableKind)
        assert i.level2 in constants.level2_order()
        assert i.target.kind in set(constants.TargetKind)
        assert i.target.op is None or i.target.op in set(constants.Op)
    assert {f.severity for f in review.findings} <= set(constants.Severity)


def test_constants_come_from_the_lexicons():
    assert constants.level2_order()[0] == "数量指标" and len(constants.level2_order()) == 9
    assert constants.fund_keys()[0] == "total" and "单位自筹" in constants.fund_keys()
    assert constants.LABELS == ("quantitative", "temporal", "binary", "vague", "malformed")


def _from_dict_reference(cls, d):
    """from_dict as a plain loop over the declared fields (what the compiled one must do)."""
    kw = {}
    declared = {f.name: f for f in dataclasses.fields(cls)}
    for name, meta, nested in schema.plan(cls):
        if meta.key is None or meta.key not in d:
            continue
        value = d[meta.key]
        if nested is not None and meta.items is not None:
            value = [_from_dict_reference(nested, x) for x in value or []]
        elif nested is not None:
            value = None if value is None else _from_dict_reference(nested, value)
        elif isinstance(value, list) and isinstance(declared[name].default, tuple):
            value = tuple(value)
        elif meta.type.startswith("list") or meta.type == "json":
            value = schema._copy(value) if value is not None else schema._default(declared[name])
        kw[name] = value
    return cls(**kw)


def _typed(x):
    """A value with the type of every part (a tuple is not a list here, as it is for ==)."""
    if dataclasses.is_dataclass(x):
        return type(x), tuple((f.name, _typed(getattr(x, f.name))) for f in dataclasses.fields(x))
    if isinstance(x, (list, tuple)):
        return type(x), tuple(_typed(v) for v in x)
    if isinstance(x, dict):
        return dict, tuple((k, _typed(v)) for k, v in x.items())
    return type(x), x


def test_compiled_from_dict_is_the_field_loop(scanned):
    """The compiled from_dict gives what the plain loop gives, types included, on every record of
    a scanned document and on copies of their dicts with keys left out or set to None."""
    import random

    rng = random.Random(13)
    result, review = scanned
    records = [*result.tables, *result.indicators, *result.unparsed, *review.findings, *review.tables, *review.documents]
    assert records
    for x in records:
        d = x.to_dict()
        for variant in [d] + [{k: (None if rng.random() < 0.15 else v) for k, v in d.items() if rng.random() > 0.2}
                              for _ in range(2)]:
            assert _decoded(schema.from_dict, type(x), variant) == _decoded(_from_dict_reference, type(x), variant)


def _decoded(decode, cls, d):
    try:
        return _typed(decode(cls, d))
    except TypeError:  # a required field left out: both refuse it
        return "TypeError"


def _arrow_same(values, typ) -> bool:
    """schema.arrow_array gives what pa.array gives (the same array, or the same error)."""
    def made(build):
        try:
            return build(values, typ)
        except Exception as error:  # noqa: BLE001 - the error itself is compared
            return type(error)

    want, got = made(pa.array), made(schema.arrow_array)
    if isinstance(want, type):
        return got is want
    return not isinstance(got, type) and got.type == want.type and got.null_count == want.null_count \
        and got.equals(want) and got.to_pylist() == want.to_pylist()


def test_arrow_arrays_from_buffers_are_pa_arrays_on_a_scan(scanned):
    """schema.arrow_array (built from buffers, so that pa.array's pandas check does not import
    pandas) gives pa.array's array for every flat column of the records of a real scan, and
    arrow_rows the table pa.array's columns make."""
    from kpiscan.write import _finite

    result, review = scanned
    for cls, recs in ((Indicator, result.indicators), (TableBlock, result.tables), (Unparsed, result.unparsed),
                      (Finding, review.findings), (TableScore, review.tables), (DocumentScore, review.documents)):
        rows = [schema.flat_values(cls, "keep", _finite)(r.to_dict()) for r in recs]
        fields = list(schema.arrow_schema(cls))
        for k, field in enumerate(fields):
            assert _arrow_same([row[k] for row in rows], field.type), (cls.__name__, field.name)
        want = pa.Table.from_arrays([pa.array([row[k] for row in rows], type=f.type) for k, f in enumerate(fields)],
                                    schema=schema.arrow_schema(cls))
        assert schema.arrow_rows(cls, rows).equals(want)


def test_arrow_arrays_from_buffers_are_pa_arrays_on_random_columns():
    """Random columns of every flat kind, with and without nulls, and of lists of each; what
    arrow_array leaves to pa.array (a value of another type, an int32 out of range, a lone
    surrogate, a datetime for a date) gets pa.array's array or error."""
    import datetime as dt
    import random

    rng = random.Random(7)
    makers = {
        pa.int32(): lambda: rng.randint(-2**31, 2**31 - 1), pa.int64(): lambda: rng.randint(-2**63, 2**63 - 1),
        pa.float64(): lambda: rng.choice([rng.uniform(-1e9, 1e9), 0.0, -0.0, float("inf"), 1e-310]),
        pa.bool_(): lambda: rng.random() < 0.5, pa.date32(): lambda: dt.date.fromordinal(rng.randint(1, 800_000)),
        pa.string(): lambda: "".join(rng.choice("ab 中文\n\"_x0041_") for _ in range(rng.randint(0, 6))),
    }
    for typ, make in list(makers.items()):
        makers[pa.list_(typ)] = lambda make=make: [make() for _ in range(rng.randint(0, 3))]
    for typ, make in makers.items():
        for n in (0, 1, 7, 8, 9, 100):
            for nulls in (0.0, 0.3, 1.0):
                values = [None if rng.random() < nulls else make() for _ in range(n)]
                assert _arrow_same(values, typ), (typ, values)
    odd = [([2**31], pa.int32()), ([True, 1], pa.int64()), ([1, 2.5], pa.float64()), (["\ud800"], pa.string()),
           ([dt.datetime(2024, 1, 2, 3, 4)], pa.date32()), ([1], pa.string()), ([[1, None]], pa.list_(pa.int64())),
           ([(1, 2)], pa.list_(pa.int64())), ([0, 1], pa.bool_())]
    for values, typ in odd:
        assert _arrow_same(values, typ), (typ, values)


def test_flat_value_pairs_are_the_csv_and_parquet_rows(scanned):
    """flat_value_pairs (the report's tabular files: a JSON column's text made once for both)
    gives flat_values's CSV row and its Parquet row, and that Parquet row (a list of plain items
    copied without `clean`) is the row of the record cleaned beforehand: on the review of a real
    scan and on values with floats that are not finite (a JSON column's CSV text keeps NaN, its
    Parquet text has null), empty JSON values, lists of other items and tuples."""
    from kpiscan.write import _finite

    result, review = scanned
    nan, inf = float("nan"), float("inf")
    findings = [r.to_dict() for r in review.findings]
    scores = [r.to_dict() for r in review.tables]
    assert findings and scores
    odd_findings = [{**findings[0], "lines": [1, inf, 2], "records": ("a", "b"), "points": nan},
                    {**findings[0], "lines": [True, None], "records": [None, "x", 3]},
                    {**findings[0], "lines": None, "records": []}, {**findings[0], "lines": [[1.5, nan]]}]
    odd_scores = [{**scores[0], "criteria": {"a": nan, "b": 1.0}, "deductions": []},
                  {**scores[0], "criteria": {}, "deductions": [{"code": "x", "points": -inf}]},
                  {**scores[0], "criteria": nan, "deductions": 0.0}, {**scores[0], "criteria": None, "deductions": (1.0, inf)}]
    cases = [(Finding, findings + odd_findings), (TableScore, scores + odd_scores),
             (DocumentScore, [r.to_dict() for r in review.documents]), (Indicator, [r.to_dict() for r in result.indicators])]
    for cls, dicts in cases:
        pairs, join, keep = (schema.flat_value_pairs(cls, _finite), schema.flat_values(cls, "join"),
                             schema.flat_values(cls, "keep", _finite))
        for d in dicts:
            want = schema.flat_values(cls, "keep")(_finite(d))
            assert repr(keep(d)) == repr(want), d
            assert repr(pairs(d)) == repr((join(d), want)), d
    texts = schema.flat_value_pairs(TableScore, _finite)(odd_scores[0])
    column = schema.flat_columns(TableScore).index("criteria")
    assert (texts[0][column], texts[1][column]) == ('{"a": NaN, "b": 1.0}', '{"a": null, "b": 1.0}')


def test_flat_value_pairs_of_records_are_those_of_their_dicts(scanned):
    """flat_value_pairs(..., records=True) reads a record's fields where the dict path reads its
    to_dict(): the same CSV and Parquet rows for every record of a real scan and its review
    (Indicator: a nested Target, None or with others; TableBlock: renamed keys, tuples), and for
    records whose list or JSON fields are not lists or dicts (a tuple holding NaN: to_dict's copy
    makes it a list, which `_finite` cleans; read as a tuple it would keep the NaN), hold floats
    that are not finite, or are empty. A class whose to_dict is its own is flattened through it
    (write.flat_rows), as is a list holding a record of another class."""
    from collections import Counter

    from kpiscan.review.score import Deduction
    from kpiscan.write import _finite, flat_rows

    result, review = scanned
    nan, inf = float("nan"), float("inf")
    f0, t0, i0 = review.findings[0], review.tables[0], result.indicators[0]
    assert i0.target is not None
    findings = [*review.findings, dataclasses.replace(f0, lines=(1, nan), records=("a", "b"), points=nan),
                dataclasses.replace(f0, lines=[True, None, inf], records=[None, "x", 3]), dataclasses.replace(f0, lines=[])]
    scores = [*review.tables, dataclasses.replace(t0, criteria=Counter(a=nan, b=1.0), deductions=[]),
              dataclasses.replace(t0, criteria={}, score=inf, deductions=[Deduction("x", "y", -inf, 1)]),
              dataclasses.replace(t0, criteria=(1.0, nan))]
    target = dataclasses.replace(i0.target, per=("a",), others=[dataclasses.replace(i0.target, value=nan, others=[])])
    indicators = [*result.indicators, dataclasses.replace(i0, target=None),
                  dataclasses.replace(i0, target=target, reasons=("r", "s"), weight=inf)]
    cases = [(Finding, findings), (TableScore, scores), (DocumentScore, review.documents), (Indicator, indicators),
             (TableBlock, [*result.tables, dataclasses.replace(result.tables[0], periods=("annual",), fields={})])]
    for cls, records in cases:
        assert schema.reads_as_fields(cls), cls
        of_dicts, of_records = schema.flat_value_pairs(cls, _finite), schema.flat_value_pairs(cls, _finite, True)
        for r in records:
            assert repr(of_records(r)) == repr(of_dicts(r.to_dict())), r

    @dataclasses.dataclass(slots=True)
    class Renamed(Finding):
        def to_dict(self):  # a to_dict of its own: not read from the fields
            return {**Finding.to_dict(self), "code": "renamed"}

    assert not schema.reads_as_fields(Renamed)
    odd = Renamed(**{f.name: getattr(f0, f.name) for f in dataclasses.fields(Finding)})
    for records in ([odd], [f0, odd]):
        got = flat_rows(Finding, records, ("csv", "parquet"))
        want = list(map(schema.flat_value_pairs(Finding, _finite), [r.to_dict() for r in records]))
        assert (got["csv"], got["parquet"]) == ([w[0] for w in want], [w[1] for w in want])
        assert got["csv"][-1][0] == "renamed"


def test_field_reader_reads_each_init_field_as_getattr():
    """schema.field_reader(cls) (the report's spool: every indicator record) gives getattr of each
    init field in __init__ order, and the positions of the list fields: on records of each kind,
    one whose attribute lives on its class (deleted from the instance) and one with an extra."""
    from kpiscan.model import Indicator, TableBlock
    from kpiscan.values import parse_value

    target = parse_value("1600人、200人", 2024)
    indicator = Indicator(doc="d", table=1, table_line=2, kind="project", project="p", period="annual", level1="a",
                          level2="b", name="n", value="1600人、200人", line=3, target=target, reasons=["r"])
    lacking = dataclasses.replace(indicator)
    del lacking.label
    lacking.extra = 1  # type: ignore[attr-defined]
    table = TableBlock(doc="d", index=1, line=2, kind="project", title="t")
    for record in (target, indicator, lacking, table):
        declared = [f for f in dataclasses.fields(record) if f.init]
        read, lists = schema.field_reader(type(record))
        assert read(record) == tuple(getattr(record, f.name) for f in declared)
        assert all(a is b for a, b in zip(read(record), (getattr(record, f.name) for f in declared)))
        assert lists == tuple(i for i, f in enumerate(declared) if f.default_factory is list)
    assert schema.field_reader(Indicator)[1] and schema.field_reader(Target)[1]


def test_copier_is_the_init_copy_sharing_no_list():
    """schema.copier(Target) (values.parse._fresh, every value of a scan) gives what
    `Target(*fields)` gives: an equal Target with its attributes in field order (orjson writes a
    record's attributes in that order), written to the same JSON bytes, whose lists (and the
    Targets in `others`, and their lists) are its own; a class it cannot copy is refused."""
    import orjson

    from kpiscan.values import parse_value

    copy = schema.copier(Target)
    read, _ = schema.field_reader(Target)
    texts = ["≥95%", "1600人、200人、30人", "≤400元/人/天", "较上年增长5%", "2024年12月底前", "", "提升"]
    for text in texts:
        t = parse_value(text, 2024)
        c, plain = copy(t), Target(*read(t))
        assert c == t == plain and type(c) is Target
        assert list(vars(c)) == list(vars(plain)) == [f.name for f in dataclasses.fields(Target)]
        assert orjson.dumps(c) == orjson.dumps(plain)
        for mine, theirs in [(c, t), *zip(c.others, t.others)]:
            assert mine is not theirs and mine.per is not theirs.per and mine.others is not theirs.others
    source = parse_value("1600人、200人", 2024)
    many = copy(source)
    many.others[0].value = -1.0
    many.others[0].per.append("x")
    assert source.others[0].value == 200.0 and source.others[0].per == [] and source == parse_value("1600人、200人", 2024)

    @dataclasses.dataclass
    class Later:
        a: int = 0
        b: int = dataclasses.field(default=0, init=False)

    with pytest.raises(TypeError):
        schema.copier(Later)


def test_hashable_is_the_field_loop():
    """schema.hashable(Target) (classify.item.target_key: every record's verdict key) is the plain
    loop over field_reader's fields, lists as tuples and `others` as their own keys, on values of
    every form (a list of targets, a per-unit, a change, a date, empty and qualitative)."""
    from kpiscan.classify.item import target_key
    from kpiscan.values import parse_value

    def plain(target):
        read, lists = schema.field_reader(Target)
        out = list(read(target))
        for i in lists:
            v = out[i]
            out[i] = tuple(plain(x) if isinstance(x, Target) else x for x in v) if v else ()
        return tuple(out)

    texts = ["≥95%", "1600人、200人、30人", "≤400元/人/天", "较上年增长5%", "2024年12月底前", "", "提升", "每季度1次"]
    for text in texts:
        t = parse_value(text, 2024)
        key = schema.hashable(Target)(t)
        assert key == plain(t) == target_key(t) and hash(key) == hash(plain(t))
    assert any(parse_value(text, 2024).others for text in texts) and any(parse_value(text, 2024).per for text in texts)
