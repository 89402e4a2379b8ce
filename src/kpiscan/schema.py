"""One declaration per record type: the dataclass fields of kpiscan.model (and the review records)
carry their own output metadata, and everything else is derived from it.

    weight: float | None = col(None, "float64", caption="权重 weight", width=7)

declares a field once: its JSON key (`to_dict`), its flat column (CSV / Parquet / DataFrame), its
Parquet type and its xlsx caption and width. A field declared without `col(...)` still works: its
key and flat column are its name and its Parquet type follows its annotation (str -> string,
int -> int64, float -> float64, bool -> bool, list[str] -> list<string>), so adding an optional
field to a record is one line.

Derived, per record class (`@record` puts the first two on the class):
    to_dict() / from_dict(d)      the nested JSON shape (docs/contracts.md); from_dict(to_dict(x)) == x
    flat_columns(cls)             the flat column names, in order (a nested record spread with a prefix)
    flat_row(cls, d, lists=...)   one to_dict() dict as a flat row
    arrow_schema(cls)             the explicit, versioned pyarrow schema of the flat rows
    xlsx_columns(cls)             (caption, width, wrap, flat column) of the fields that have a caption
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import sys
from dataclasses import MISSING, Field, dataclass, fields
from functools import cache
from itertools import chain, repeat
from operator import is_, is_not
from typing import Any, Callable, Iterable, Sequence, TypeVar

SCHEMA_VERSION = "1"  # bump when a flat column changes type or meaning (not when one is added)
META = "kpiscan"


@dataclass(frozen=True, slots=True)
class Col:
    """Output metadata of one field. `key=None`: not in to_dict (e.g. a table's body rows);
    `flat=None`: no flat column; `flat_prefix`: a nested record spread as prefix+its columns;
    `type`: a Parquet type name ("string", "int32", "int64", "float64", "bool", "date32",
    "list<string>", "list<int64>", "json": a dict stored as a JSON string)."""

    key: str | None = ""  # "" = the field's name
    flat: str | None = ""  # "" = the key
    type: str = ""  # "" = from the annotation
    caption: str | None = None
    width: int = 10
    wrap: bool = False
    flat_prefix: str | None = None
    derived: tuple[str, str, str] | None = None  # (column, type, how): an extra typed column, e.g. a date
    items: str | None = None  # a list of records of this class (same module): to_dict'ed, flat as JSON


def col(default: Any = MISSING, type: str = "", *, key: str | None = "", flat: str | None = "",
        caption: str | None = None, width: int = 10, wrap: bool = False, factory: Callable[[], Any] | None = None,
        flat_prefix: str | None = None, derived: tuple[str, str, str] | None = None, items: str | None = None) -> Any:
    """A dataclass field with its output metadata (see `Col`)."""
    meta = {META: Col(key, flat, type, caption, width, wrap, flat_prefix, derived, items)}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


_ANNOTATION_TYPES = (
    ("list[str]", "list<string>"), ("list[int]", "list<int64>"), ("tuple[str", "list<string>"),
    ("dict", "json"), ("bool", "bool"), ("float", "float64"), ("int", "int64"), ("str", "string"),
)


def _meta(f: Field[Any]) -> Col:
    c: Col = f.metadata.get(META) or Col()
    key = f.name if c.key == "" else c.key
    flat = key if c.flat == "" else c.flat
    kind = c.type
    if not kind:
        ann = str(f.type).replace(" ", "")
        kind = next((t for pattern, t in _ANNOTATION_TYPES if ann.startswith(pattern) or f"|{pattern}" in ann), "string")
    return Col(key, flat, kind, c.caption, c.width, c.wrap, c.flat_prefix, c.derived, c.items)


@cache
def plan(cls: type) -> tuple[tuple[str, Col, type | None], ...]:
    """(field name, its metadata, its nested record class or None) per field, in field order."""
    out = []
    for f in fields(cls):
        meta = _meta(f)
        nested = None
        module = sys.modules[cls.__module__]
        if meta.flat_prefix is not None:
            nested = getattr(module, str(f.type).split("|")[0].strip())
        elif meta.items is not None:  # a list of records; of its own class (Target.others) too
            nested = cls if meta.items == cls.__name__ else getattr(module, meta.items)
        out.append((f.name, meta, nested))
    return tuple(out)


# ------------------------------------------------------------------------------------ to/from dict


def compiled(lines: Sequence[str] | str, where: str, namespace: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The one function `lines` define (its source, or its lines), compiled with `namespace` as its
    globals; `where` names it in a traceback ("<kpiscan.schema copier of Target>"). The generators
    of this module (and the workbook's tail reader) make their functions by it."""
    src = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
    name = src[len("def "):src.index("(")]
    namespace = {} if namespace is None else namespace
    exec(compile(src, where, "exec"), namespace)
    fn: Callable[..., Any] = namespace[name]
    return fn


@cache
def field_reader(cls: type) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[int, ...]]:
    """All of a record's init fields in one call (in __init__ order, so `cls(*read(x))` copies x),
    and the positions of its list fields. A compiled function, each field read as `x.name`
    (its specialised attribute read: an attrgetter's getattr of each name costs ~2.5x on a
    record's inline values, and the report's spool reads every indicator record)."""
    declared = [f for f in fields(cls) if f.init]
    lists = tuple(i for i, f in enumerate(declared) if f.default_factory is list)
    src = "def read_fields(x):\n    return (" + "".join(f"x.{f.name}, " for f in declared) + ")\n"
    return compiled(src, f"<kpiscan.schema field_reader of {cls.__name__}>"), lists


@cache
def copier(cls: type) -> Callable[[Any], Any]:
    """A compiled copy of a record that shares no list with it: its fields stored one by one in
    field order, as the dataclass's __init__ stores them (the same attributes in the same order:
    an equal record, written alike), each list field as a new list, a list of nested records
    (Target.others) as their copies. Made without __init__: `cls(*field_reader(cls)[0](x))` binds
    every field as an argument, ~1.5x the instructions, and a Target is copied for every value of
    a scan (values.parse._fresh). For a dataclass of init fields only, without __post_init__, whose
    other fields are not records (they are shared, as `cls(*fields)` shares them)."""
    declared = fields(cls)
    if not all(f.init for f in declared) or hasattr(cls, "__post_init__"):
        raise TypeError(f"copier: {cls.__name__} has a field outside __init__ or a __post_init__")
    items = {name: nested for name, meta, nested in plan(cls) if meta.items is not None}
    body = ["def copy_of(x):", "    new = _new(cls)"]
    for f in declared:
        if f.default_factory is list:
            each = f"[copy_of(y) if isinstance(y, cls) else y for y in x.{f.name}]" if items.get(f.name) is cls else f"list(x.{f.name})"
            body.append(f"    new.{f.name} = {each} if x.{f.name} else []")
        else:
            body.append(f"    new.{f.name} = x.{f.name}")
    body.append("    return new")
    return compiled(body, f"<kpiscan.schema copier of {cls.__name__}>", {"cls": cls, "_new": object.__new__})


@cache
def hashable(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A compiled reading of a record's init fields, in field order, as one hashable tuple: a list
    field as a tuple, a list of nested records of its own class (Target.others) as their tuples.
    One frame that reads each field (`field_reader` and a loop over the list fields cost ~3x): the
    classifier keys every record by its Target's (classify.item.target_key)."""
    items = {name: nested for name, meta, nested in plan(cls) if meta.items is not None}
    parts = []
    for f in (f for f in fields(cls) if f.init):
        if f.default_factory is list:
            each = f"[key_of(y) if isinstance(y, cls) else y for y in x.{f.name}]" if items.get(f.name) is cls else f"x.{f.name}"
            parts.append(f"(tuple({each}) if x.{f.name} else ())")
        else:
            parts.append(f"x.{f.name}")
    src = "def key_of(x):\n    return (" + ", ".join(parts) + ",)\n"
    return compiled(src, f"<kpiscan.schema hashable of {cls.__name__}>", {"cls": cls})


def _copy(value: Any) -> Any:
    """A fresh container: lists and tuples as lists, dicts (one level of nested dicts) copied."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        return {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
    return value


def _make_to_dict(cls: type) -> Callable[[Any], dict[str, Any]]:
    """A compiled `to_dict` (a generated function: a generic loop is ~3x slower on 10^5 records)."""
    parts = []
    for name, meta, nested in plan(cls):
        if meta.key is None:
            continue
        if nested is not None and meta.items is not None:
            expr = f"[x.to_dict() for x in self.{name}]"
        elif nested is not None:
            expr = f"(None if self.{name} is None else self.{name}.to_dict())"
        elif meta.type.startswith("list") or meta.type == "json":
            expr = f"_copy(self.{name})"
        else:
            expr = f"self.{name}"
        parts.append(f"{meta.key!r}: {expr}")
    src = "def to_dict(self):\n    return {" + ", ".join(parts) + "}\n"
    fn = compiled(src, f"<kpiscan.schema to_dict of {cls.__name__}>", {"_copy": _copy})
    fn.__doc__ = f"The {cls.__name__} as plain JSON data (keys: docs/contracts.md)."
    return fn


@cache
def encodes_as_fields(cls: type) -> bool:
    """True when `to_dict()` is the record's own fields under their own names, in field order
    (none renamed or left out; nested records alike): an encoder that writes a dataclass's fields
    (orjson) then writes the to_dict() JSON from the record itself (Indicator, Unparsed; not
    TableBlock, whose `index` is written as "table" and whose body rows are left out)."""
    return all(meta.key == name and (nested is None or nested is cls or encodes_as_fields(nested)) for name, meta, nested in plan(cls))


def _default(f: Field[Any]) -> Any:
    return f.default_factory() if callable(f.default_factory) else f.default


def from_dict(cls: Any, d: dict[str, Any] | None) -> Any:
    """The record `to_dict()` wrote (unknown keys ignored, missing keys take their defaults)."""
    if d is None:
        return None
    return _make_from_dict(cls)(d)


@cache
def _make_from_dict(cls: type) -> Callable[[dict[str, Any]], Any]:
    """A compiled `from_dict` of `cls` (a generated function, as `_make_to_dict`: the report and
    the cache decode every record of a scan). Per field whose key is in the dict: a nested record
    decoded (a list of them item by item), a list where the default is a tuple made a tuple,
    a list or JSON field copied (None: the field's default), any other value taken as it is."""
    declared = {f.name: f for f in fields(cls)}
    namespace: dict[str, Any] = {"cls": cls, "_copy": _copy, "_default": _default, "from_dict": from_dict}
    body = ["def from_dict_of(d):", "    kw = {}"]
    for k, (name, meta, nested) in enumerate(plan(cls)):
        if meta.key is None:
            continue
        namespace[f"f{k}"], namespace[f"n{k}"] = declared[name], nested
        body += [f"    if {meta.key!r} in d:", f"        v = d[{meta.key!r}]"]
        if nested is not None and meta.items is not None:
            body.append(f"        v = [from_dict(n{k}, x) for x in v or []]")
        elif nested is not None:
            body.append(f"        v = from_dict(n{k}, v)")
        else:
            steps = []
            if isinstance(declared[name].default, tuple):
                steps.append(("isinstance(v, list)", "tuple(v)"))
            if meta.type.startswith("list") or meta.type == "json":
                steps.append(("True", f"_copy(v) if v is not None else _default(f{k})"))
            for n, (test, make) in enumerate(steps):
                body += [f"        {'if' if n == 0 else 'elif'} {test}:", f"            v = {make}"]
        body.append(f"        kw[{name!r}] = v")
    body.append("    return cls(**kw)")
    return compiled(body, f"<kpiscan.schema from_dict of {cls.__name__}>", namespace)


class Record:
    """Base of the declared records: `to_dict()` and `from_dict(d)` derived from the fields."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON data (keys: docs/contracts.md)."""
        return _make_to_dict(type(self))(self)  # @record replaces this with the compiled function

    @classmethod
    def from_dict(cls: type[R], d: dict[str, Any]) -> R:
        """The record `to_dict()` wrote; `from_dict(x.to_dict()) == x`."""
        out: R = from_dict(cls, d)
        return out


R = TypeVar("R", bound=Record)


def record(cls: type[R]) -> type[R]:
    """Compile the dataclass's `to_dict` (apply above @dataclass)."""
    setattr(cls, "to_dict", _make_to_dict(cls))  # noqa: B010 (a method replaced on the class)
    return cls


# ------------------------------------------------------------------------------------ flat rows


@cache
def _flat_plan(cls: type) -> tuple[tuple[str, tuple[str, ...], Col], ...]:
    """(flat column, path of to_dict keys to its value, metadata) per flat column."""
    out: list[tuple[str, tuple[str, ...], Col]] = []
    for _name, meta, nested in plan(cls):
        if meta.key is None or meta.flat is None:
            continue
        if nested is not None and meta.items is None:
            for column, path, sub in _flat_plan(nested):
                out.append((f"{meta.flat_prefix}{column}", (meta.key, *path), sub))
        else:
            out.append((meta.flat, (meta.key,), meta))
            if meta.derived is not None:
                column, kind, _how = meta.derived
                out.append((column, (meta.key,), Col(meta.key, column, kind, derived=meta.derived)))
    return tuple(out)


def flat_columns(cls: type) -> list[str]:
    return [c for c, _, _ in _flat_plan(cls)]


def _whole_date(text: Any) -> _dt.date | None:
    """"2024-09-30" -> date; "2024-09" (a month, not a day) and anything else -> None."""
    if not isinstance(text, str) or len(text) != 10:
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


_DERIVE: dict[str, Callable[[Any], Any]] = {"whole-date": _whole_date}


def flat_row(cls: type, d: dict[str, Any], lists: str = "keep") -> dict[str, Any]:
    """One `to_dict()` dict as a flat row. lists="keep": lists stay lists, dicts become JSON text
    (Parquet, DataFrames); lists="join": "a;b" text, empty as "" (CSV)."""
    return dict(zip(_flat_names(cls), flat_values(cls, lists)(d)))


@cache
def _flat_names(cls: type) -> tuple[str, ...]:
    return tuple(flat_columns(cls))


@cache
def flat_values(cls: type, lists: str = "keep", clean: Callable[[Any], Any] | None = None) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """`flat_row`'s values as a tuple, in `flat_columns` order: a compiled function (as `to_dict`;
    the CSV and Parquet writers flatten every record). A value's path of keys is followed
    through dicts only (anything else on the way: None). `clean`: applied to each value read
    that is not a str, an int or None, before it is flattened (as if to the dict beforehand), but
    for a list of only str, int and None items, which `clean` must keep as they are (as
    write._finite does): such a list is copied without a call."""
    return _flat_function(cls, ((lists, clean),))  # type: ignore[return-value]


@cache
def flat_value_pairs(cls: type, clean: Callable[[Any], Any],
                     records: bool = False) -> Callable[[Any], tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(`flat_values(cls, "join")(d)`, `flat_values(cls, "keep", clean)(d)`) of a record in one
    call: its CSV and Parquet rows. A JSON column's text is made once for both when it is the
    same for both, as for every value that holds no float that is not finite (JSON's strict
    encoding, allow_nan=False, takes it); `clean` must keep every finite value as it is (as
    write._finite does). `records`: of the record itself, not its `to_dict()` (the same pair;
    only for a class that `reads_as_fields`): its fields read where the dict's keys were, with
    what to_dict does to them (a list of nested records to_dict'ed, a list or JSON field that
    is not a list or dict made one as to_dict's copy makes it), and no dict made and dropped."""
    return _flat_function(cls, (("join", None), ("keep", clean)), records)  # type: ignore[return-value]


@cache
def reads_as_fields(cls: type) -> bool:
    """True when a record's `to_dict()` is schema's compiled one (and so is that of each nested
    record spread into its flat columns): its flat values can be read from its fields
    (`flat_value_pairs(..., records=True)`)."""
    code = getattr(getattr(cls, "to_dict", None), "__code__", None)
    return code is not None and code.co_filename == f"<kpiscan.schema to_dict of {cls.__name__}>" and all(
        reads_as_fields(nested) for _, meta, nested in plan(cls) if nested is not None and meta.items is None)


@cache
def _flat_fields(cls: type) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Per flat column (as _flat_plan): the path of field names to its value, and what to_dict
    does to that field ("items": to_dict of each, "copy": _copy, "": nothing)."""
    out: list[tuple[tuple[str, ...], str]] = []
    for name, meta, nested in plan(cls):
        if meta.key is None or meta.flat is None:
            continue
        if nested is not None and meta.items is None:
            out.extend(((name, *path), how) for path, how in _flat_fields(nested))
            continue
        how = "items" if nested is not None else "copy" if meta.type.startswith("list") or meta.type == "json" else ""
        out.append(((name,), how))
        if meta.derived is not None:
            out.append(((name,), how))
    return tuple(out)


def _json_pair(v: Any, clean: Callable[[Any], Any], dumps: Callable[[Any], str], strict: Callable[[Any], str]) -> tuple[Any, Any]:
    """A JSON column's (CSV, Parquet) texts, as flat_values's "join" and "keep" with `clean` make them."""
    if not v:
        return None, None  # (clean keeps a falsy value falsy: {} [] 0 0.0 False "")
    try:
        text = strict(v)
    except ValueError:  # a float that is not finite (or a circular value): each as flat_values makes it
        kept = v if v is None or v.__class__ is str or v.__class__ is int else clean(v)
        return dumps(v), (dumps(kept) if kept else None)
    return text, text


def _flat_function(cls: type, modes: tuple[tuple[str, Callable[[Any], Any] | None], ...],
                   records: bool = False) -> Callable[[Any], Any]:
    """flat_values's compiled function for one (lists, clean) mode; for two, flat_value_pairs's
    (`records`: of the record's fields, see there)."""
    import json

    # json.dumps(v, ensure_ascii=False) without making an encoder per call
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    namespace: dict[str, Any] = {"_dumps": dumps, "_EMPTY": {}, "_json_pair": _json_pair,
                                 "_plain": frozenset((str, int, type(None))).issuperset, "_copy": _copy}
    for k, (_lists, clean) in enumerate(modes):
        namespace[f"_clean{k}"] = clean
    if len(modes) == 2:
        namespace["_strict"] = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    body = ["def flat_values_of(d):"]
    paths: dict[tuple[str, ...], str] = {(): "d"}
    items: list[list[str]] = [[] for _ in modes]
    for column, ((_column, path, meta), (names, how)) in enumerate(zip(_flat_plan(cls), _flat_fields(cls))):
        read = _field_read(body, paths, names, how) if records else _key_read(body, paths, path)
        if len(modes) == 2 and not read.isidentifier():
            body.append(f"    x{column} = {read}")  # read once for both rows
            read = f"x{column}"
        derived = meta.derived is not None and meta.flat == meta.derived[0]
        if len(modes) == 2 and meta.type == "json" and not derived:
            body.append(f"    j{column} = _json_pair({read}, _clean1, _dumps, _strict)")
            items[0].append(f"j{column}[0]")
            items[1].append(f"j{column}[1]")
            continue
        for k, (lists, clean) in enumerate(modes):
            items[k].append(_flat_expr(meta, read, lists, f"_clean{k}" if clean is not None else None, namespace))
    rows = ["(" + "".join(f"{x}, " for x in row) + ")" for row in items]
    body.append("    return " + (rows[0] if len(rows) == 1 else f"({rows[0]}, {rows[1]})"))
    name = "flat_values" if len(modes) == 1 else "flat_value_pairs"
    return compiled(body, f"<kpiscan.schema {name} of {cls.__name__}>", namespace)


def _key_read(body: list[str], paths: dict[tuple[str, ...], str], path: tuple[str, ...]) -> str:
    """The expression of a value in a to_dict() dict (the nested dicts on the way put in `body`
    once each)."""
    for n in range(1, len(path)):
        if path[:n] not in paths:
            name = paths[path[:n]] = f"n{len(paths)}"
            body += [f"    {name} = {paths[path[:n - 1]]}.get({path[n - 1]!r})",
                     f"    {name} = {name} if isinstance({name}, dict) else _EMPTY"]
    return f"{paths[path[:-1]]}.get({path[-1]!r})"


def _field_read(body: list[str], paths: dict[tuple[str, ...], str], path: tuple[str, ...], how: str) -> str:
    """The expression of a record's field as its to_dict() holds it (`how`: _flat_fields'; the
    nested records on the way put in `body` once each: a record or None, None at the end)."""
    for n in range(1, len(path)):
        if path[:n] not in paths:
            parent = paths[path[:n - 1]]
            name = paths[path[:n]] = f"n{len(paths)}"
            body.append(f"    {name} = {parent}.{path[n - 1]}" if n == 1 else
                        f"    {name} = None if {parent} is None else {parent}.{path[n - 1]}")
    read = f"{paths[path[:-1]]}.{path[-1]}"
    if how == "items":
        read = f"[x.to_dict() for x in {read}]"
    elif how == "copy":  # (a list or dict as it is: read only, the same as to_dict's copy)
        read = f"(c if (c := {read}).__class__ is list or c.__class__ is dict else _copy(c))"
    return read if len(path) == 1 else f"(None if {paths[path[:-1]]} is None else {read})"


def _flat_expr(meta: Col, read: str, lists: str, clean: str | None, namespace: dict[str, Any]) -> str:
    """The expression of one flat value (`read`: the expression of the value in its dict)."""
    if clean is not None and meta.type.startswith("list") and lists != "join" and meta.derived is None:
        # a list of str, int and None items (a finding's lines and records) as it is: one C pass
        # over its items' types, not `clean` (which keeps every such item) and its copy
        kept = f"(v if v is None or v.__class__ is str or v.__class__ is int else {clean}(v))"
        return f"(list(v) if (v := {read}).__class__ is list and _plain(map(type, v)) else list({kept} or []))"
    value = read
    if clean is not None:
        value = f"(v if (v := {value}) is None or v.__class__ is str or v.__class__ is int else {clean}(v))"
    if meta.derived is not None and meta.flat == meta.derived[0]:
        namespace[f"_derive_{meta.derived[2]}".replace("-", "_")] = _DERIVE[meta.derived[2]]
        return f"_derive_{meta.derived[2].replace('-', '_')}({value})"
    if meta.type.startswith("list"):
        return f'";".join(map(str, {value} or []))' if lists == "join" else f"list({value} or [])"
    if meta.type == "json":
        return f"(_dumps(v) if (v := {value}) else None)"
    return value


# ------------------------------------------------------------------------------------ Parquet, xlsx


def arrow_type(name: str) -> Any:
    import pyarrow as pa

    simple = {
        "string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64(),
        "bool": pa.bool_(), "date32": pa.date32(), "json": pa.string(),
    }
    if name.startswith("list<") and name.endswith(">"):
        return pa.list_(arrow_type(name[5:-1]))
    return simple[name]


def arrow_schema(cls: type, name: str | None = None) -> Any:
    """The explicit pyarrow schema of the flat rows of `cls`: the same whatever the data (a column
    of nulls keeps its type), with the schema name and version in its metadata."""
    import pyarrow as pa

    return pa.schema(
        [pa.field(column, arrow_type(meta.type)) for column, _, meta in _flat_plan(cls)],
        metadata={"kpiscan.record": name or cls.__name__, "kpiscan.schema_version": SCHEMA_VERSION},
    )


def xlsx_columns(cls: type) -> list[tuple[str, int, bool, str]]:
    """(caption, width, wrap, flat column) of every flat column whose field has a caption."""
    return [(meta.caption, meta.width, meta.wrap, column) for column, _, meta in _flat_plan(cls) if meta.caption]


def arrow_table(cls: type, dicts: list[dict[str, Any]], name: str | None = None) -> Any:
    """The `to_dict()` dicts as a pyarrow Table with `arrow_schema(cls)`."""
    return arrow_rows(cls, list(map(flat_values(cls), dicts)), name)


def arrow_rows(cls: type, rows: list[tuple[Any, ...]], name: str | None = None) -> Any:
    """Flat rows (`flat_values(cls)` tuples) as a pyarrow Table with `arrow_schema(cls)`: one typed
    Arrow array per column (as pa.Table.from_pylist with the schema converts them)."""
    import pyarrow as pa

    schema = arrow_schema(cls, name)
    columns = list(zip(*rows)) if rows else [()] * len(schema)
    return pa.Table.from_arrays([arrow_array(c, f.type) for c, f in zip(columns, schema)], schema=schema)


def arrow_array(values: Sequence[Any], typ: Any) -> Any:
    """`pa.array(values, type=typ)`, built from its buffers where the column is one of the flat
    rows' plain kinds (string, int32, int64, float64, bool, date32, a list of those; values of exactly
    that Python type or None), else by pa.array itself (dates, a value of another type: its
    conversion and its errors). pa.array of a Python sequence first asks whether it is a pandas
    object, which imports pandas (~0.25 CPU s, all that `kpiscan report` and a Parquet scan used
    pandas for). The same arrays (tests/test_schema_arrow.py compares them with pa.array's)."""
    import pyarrow as pa

    try:
        made = _from_buffers(values, typ)
    except (AttributeError, OverflowError, TypeError, ValueError, UnicodeError, pa.ArrowException):
        made = None
    return made if made is not None else pa.array(values, type=typ)


_EPOCH_DAY = _dt.date(1970, 1, 1).toordinal()


def _from_buffers(values: Sequence[Any], typ: Any) -> Any:
    """`arrow_array` from buffers; None for a type or value it leaves to pa.array."""
    import pyarrow as pa

    kinds = set(map(type, values))
    has_nulls = _NONE_TYPE in kinds  # (None the one value of its type: no `None in values`, a
    kinds.discard(_NONE_TYPE)        # comparison of every value with None)
    name = "list" if isinstance(typ, pa.ListType) else str(typ)
    found = _BUILDERS.get(name)
    if found is None or not kinds <= {found[0]}:
        return None
    valid = list(map(is_not, values, repeat(None))) if has_nulls else None  # (the flags in C, not a loop a value)
    nulls = valid.count(False) if valid is not None else 0
    return found[1](values, typ, _bits(valid) if valid is not None else None, nulls)


_NONE_TYPE = type(None)


def _numbers(dtype: str) -> Callable[..., Any]:
    """An int32/int64/float64 column: its values as a numpy array of `dtype`, 0 where null (numpy's
    conversion of each value; array.array's parsed each value's argument: ~2x the instructions;
    out of range: OverflowError, and the column goes to pa.array)."""
    def build(values: Sequence[Any], typ: Any, bitmap: Any, nulls: int) -> Any:
        import numpy as np
        import pyarrow as pa

        wide = "float64" if dtype == "float64" else "int64"  # (numpy < 2 wraps an int past int32: it is checked)
        data = np.fromiter([0 if v is None else v for v in values] if nulls else values, dtype=wide, count=len(values))
        if dtype == "int32":
            if len(data) and (data.min() < -_INT32_MAX - 1 or data.max() > _INT32_MAX):
                raise OverflowError("a value past int32")
            data = data.astype(np.int32)
        return pa.Array.from_buffers(typ, len(values), [bitmap, pa.py_buffer(data)], null_count=nulls)
    return build


_INT32_MAX = 2 ** 31 - 1


def _offsets(lengths: Iterable[int], n: int) -> Any:
    """An Arrow int32 offsets buffer: 0, then the running sums of the `n` lengths (in numpy, in
    int64: a sum past int32 raises OverflowError, and the column goes to pa.array)."""
    import numpy as np
    import pyarrow as pa

    sums = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(lengths, dtype=np.int64, count=n), out=sums[1:])
    if sums[-1] > _INT32_MAX:
        raise OverflowError("offsets past int32")
    return pa.py_buffer(sums.astype(np.int32))


def _dates(values: Sequence[Any], typ: Any, bitmap: Any, nulls: int) -> Any:
    """A date32 column: days since 1970-01-01 (exactly dates: a datetime is pa.array's)."""
    import array

    import pyarrow as pa

    days = array.array("i", [0 if v is None else v.toordinal() - _EPOCH_DAY for v in values])
    return pa.Array.from_buffers(typ, len(values), [bitmap, pa.py_buffer(days)], null_count=nulls)


def _bools(values: Sequence[Any], typ: Any, bitmap: Any, nulls: int) -> Any:
    import pyarrow as pa

    return pa.Array.from_buffers(typ, len(values), [bitmap, _bits(list(map(is_, values, repeat(True))))], null_count=nulls)


def _strings(values: Sequence[Any], typ: Any, bitmap: Any, nulls: int) -> Any:
    """A string column: its values' UTF-8 joined and their offsets (each value encoded once, in
    C: pyarrow's StringBuilder converted each through a Python-level call; a lone surrogate
    raises, and the column goes to pa.array)."""
    import pyarrow as pa

    encoded = list(map(str.encode, ["" if v is None else v for v in values] if nulls else values))
    offsets = _offsets(map(len, encoded), len(values))
    return pa.Array.from_buffers(typ, len(values), [bitmap, offsets, pa.py_buffer(b"".join(encoded))], null_count=nulls)


def _lists(values: Sequence[Any], typ: Any, bitmap: Any, nulls: int) -> Any:
    """A list column: its offsets and its items' column (itself from buffers)."""
    import pyarrow as pa

    lists = [() if v is None else v for v in values] if nulls else values
    child = _from_buffers(list(chain.from_iterable(lists)), typ.value_type)
    if child is None:
        return None
    return pa.Array.from_buffers(typ, len(values), [bitmap, _offsets(map(len, lists), len(values))], null_count=nulls,
                                 children=[child])


# Arrow type -> (the one Python type its values may have besides None, its builder)
_BUILDERS: dict[str, tuple[type, Callable[..., Any]]] = {
    "int32": (int, _numbers("int32")),
    "int64": (int, _numbers("int64")),
    "double": (float, _numbers("float64")),
    "date32[day]": (_dt.date, _dates),
    "bool": (bool, _bools),
    "string": (str, _strings),
    "list": (list, _lists),
}


_BIT_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _bits(flags: list[bool]) -> Any:
    """An Arrow bitmap (least significant bit first) of these flags (bools: their bytes 0 and 1
    made the digits of one binary number, in C)."""
    import pyarrow as pa

    number = int(bytes(reversed(flags)).translate(_BIT_DIGITS) or b"0", 2)
    return pa.py_buffer(number.to_bytes((len(flags) + 7) // 8, "little"))


def frame(cls: type, dicts: list[dict[str, Any]]) -> Any:
    """The `to_dict()` dicts as a pandas DataFrame, one flat row each, typed as in the schema."""
    return arrow_table(cls, dicts).to_pandas()
