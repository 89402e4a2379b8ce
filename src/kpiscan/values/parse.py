"""parse_value: a printed 指标值 -> Target (docs/contracts.md (Target)). Conventions: docs/values.md.

One pass of the compiled grammar finds the first value form in the folded text; the form's
builder below turns the match into a Target. Text with no form is qualitative (or empty).
"""
from __future__ import annotations

from collections.abc import Iterator

from kpiscan.model import Target
from kpiscan.values import numbers
from kpiscan.values.grammar import NUMERIC_FORMS, Groups, compiled, fold, kept_positions, time_marks
from kpiscan.values.vocab import Vocabulary, vocabulary

# The builders, in the order the forms are checked on a match (commonest first).
_BUILDERS: list[tuple[str, object]] = []

# sentence punctuation trimmed from a qualitative value's ends (quotes and brackets stay paired)
_END_PUNCTUATION = " 。.,;:!?、；：\"'"


def parse_value(text: str, year: int | None = None) -> Target:
    """Normalise one printed value. Never raises: unreadable text is qualitative."""
    try:
        return parse_strict(text, year)
    except Exception:  # noqa: BLE001 — the contract is "never raises"; the raw text survives
        raw = text if isinstance(text, str) else repr(text)
        return Target(raw=raw, kind="qualitative", text=raw)


def parse_strict(text: str, year: int | None = None) -> Target:
    """parse_value that lets a builder's error through (for tests and debugging)."""
    folded = fold(text)
    grammar = compiled(NUMERIC_FORMS) if time_marks().isdisjoint(folded) else compiled()
    match = grammar.pattern.search(folded)
    if match is None:
        return _qualitative(text, folded)
    return _build(Groups(match, grammar), text, year)


def find_values(text: str, year: int | None = None) -> Iterator[tuple[int, int, Target]]:
    """Every value form in running text as (start, end, Target), offsets into `text`."""
    folded = fold(text)
    positions = kept_positions(text)
    grammar = compiled()
    for match in grammar.pattern.finditer(folded):
        start, end = positions[match.start()], positions[match.end() - 1] + 1
        try:
            target = _build(Groups(match, grammar), text[start:end], year)
        except Exception:  # noqa: BLE001
            continue
        yield start, end, target


def _build(g: Groups, raw: str, year: int | None) -> Target:
    for name, builder in _BUILDERS:
        if g.matched(name):
            return builder(g, raw, year, vocabulary())
    raise AssertionError(f"grammar matched no known form: {g.match!r}")


# ---------------------------------------------------------------- quantities


_AMOUNT_GROUPS = ("num", "scale", "unit", "cnum", "percent", "permille", "tenths", "hundredths")
_HIGH_GROUPS = tuple(g + "2" for g in _AMOUNT_GROUPS)


def _amount(groups: tuple[str | None, ...], v: Vocabulary) -> tuple[float | None, float, str | None]:
    """(number, scale, unit) of one amount's groups; number None when the amount is absent."""
    num, scale, unit, cnum, percent, permille, tenths, hundredths = groups
    if num:
        return numbers.arabic(num), numbers.scale(scale), v.units[unit] if unit else None
    if cnum:
        return float(numbers.chinese(cnum)), 1.0, v.units[unit]
    if percent:
        return numbers.number(percent), 1.0, "%"
    if permille:
        return numbers.number(permille), 1.0, "‰"
    if tenths:  # 九成 90%, 九成五 95%
        return numbers.number(tenths) * 10 + (numbers.number(hundredths) if hundredths else 0), 1.0, "%"
    return None, 1.0, None


def _has_amount(g: Groups) -> bool:
    return any(g.many(_AMOUNT_GROUPS))


def _as_frequency(target: Target, v: Vocabulary) -> Target:
    """An exact count of occurrences per one cycle ("每月1次", "1月/次") is a frequency: a schedule.
    A bounded count ("≥3次/年", "每年不少于2次") stays a quantity with its per-unit: the target is
    the number, checked against a minimum or maximum."""
    if target.op == "=" and len(target.per) == 1 and v.unit_kinds.get(target.unit or "") == "occurrence":
        period = v.periods.get(target.per[0])
        if period:
            target.kind = "frequency"
            target.period = period
    return target


# one itemgetter call fetches all a quantity needs (named lookups cost 0.25 µs each)
_QUANTITY_GROUPS = ("cmp", "cmp_after", "to", "per", *_AMOUNT_GROUPS)


def _quantity_target(g: Groups, raw: str, v: Vocabulary, per: list[str], cycles: float = 1.0) -> Target:
    before, after, to, last_per, *amount = g.many(_QUANTITY_GROUPS)
    number, scale, unit = _amount(amount, v)
    if last_per:
        per += [v.units[p] for p in g.captures("per")]
    if to is None:
        # a comparator after the number wins: it is the more specific (控制在50万元以内, 达到90%以上)
        op = v.comparators_after[after] if after else v.comparators_before[before] if before else "="
        target = Target(raw, "quantity", op, numbers.clean(number * scale / cycles), unit=unit, per=per)
        return _as_frequency(target, v) if unit in v.occurrence_units else target
    high, high_scale, high_unit = _amount(g.many(_HIGH_GROUPS), v)
    # a range: "10-15万元" — the low end shares the high end's scale and unit unless it has its own
    if scale == 1.0 and unit is None:
        scale = high_scale
    low = numbers.clean(number * scale / cycles)
    high = numbers.clean(high * high_scale / cycles)
    target = Target(raw, "quantity", "between", low=low, high=high, unit=high_unit or unit, per=per)
    return _as_frequency(target, v)


def _quantity(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    return _quantity_target(g, raw, v, [])


# ---------------------------------------------------------------- frequencies


def _cycles(g: Groups) -> float:
    """N in "每四个月" / "3天/次": the cycle spans N periods (1 when unprinted)."""
    n = g("n")
    cycles = numbers.number(n) if n else 1.0
    return cycles or 1.0  # "每0个月" spans no period: read it as unprinted rather than divide by 0


def _every(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    cycle = v.units.get(g("cycle"), g("cycle"))
    n = _cycles(g)
    if _has_amount(g):  # "每月1次", "每年不少于2次", "每人500元", "每四个月支付一次"
        return _quantity_target(g, raw, v, [cycle], cycles=n)
    # "每季度", "按月支付": the cycle alone; "每四个月" implies once per four months
    target = Target(raw=raw, kind="frequency", period=v.periods.get(cycle))
    if n != 1:
        target.op, target.value, target.unit, target.per = "=", numbers.clean(1 / n), "次", [cycle]
    return target


def _every_n(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    count = numbers.number(g("count")) if g("count") else 1.0
    cycle = v.units.get(g("cycle"), g("cycle"))
    return Target(raw=raw, kind="frequency", op="=", value=numbers.clean(count / _cycles(g)), unit="次",
                  per=[cycle], period=v.periods.get(cycle))


def _bare_cycle(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    return Target(raw=raw, kind="frequency", period=v.periods[g("bare_cycle")])


# ---------------------------------------------------------------- dates


def iso(year: int | None, month: int, day: int | None = None) -> str:
    """"2024-07", "2024-06-30"; without a year the ISO 8601 truncated form "--07", "--06-30"."""
    head = f"{year:04d}" if year is not None else "-"
    return f"{head}-{month:02d}" if day is None else f"{head}-{month:02d}-{day:02d}"


def _year_of(g: Groups, year: int | None, v: Vocabulary, suffix: str = "") -> int | None:
    printed = g("y" + suffix)
    if printed:
        return int(printed)
    relative = g("ry" + suffix)
    if relative:
        return year + v.relative_years[relative] if year is not None else None
    return year


def _month(text: str) -> int:
    return int(numbers.number(text))


def _is_deadline(g: Groups) -> bool:
    return bool(g("end") or g("by"))


def _date(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = _year_of(g, year, v)
    month = _month(g("m"))
    day = int(g("d")) if g("d") else None
    if not _is_deadline(g):
        return Target(raw=raw, kind="date", date=iso(y, month, day))
    if g("end"):
        day = None  # 底/末: the month's end
    elif g("part") and day is None:
        day = v.month_parts[g("part")]  # 上旬完成: by the 10th
    return Target(raw=raw, kind="deadline", date=iso(y, month, day))


def _span(raw: str, period: str | None, y: int | None, first: int, last: int,
          last_year: int | None = None) -> Target:
    end_year = y if last_year is None else last_year
    return Target(raw=raw, kind="period", period=period, date=f"{iso(y, first)}/{iso(end_year, last)}")


def _date_range(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y1 = _year_of(g, year, v, "1") if g("y1") or g("ry1") else None
    y2 = _year_of(g, year, v, "2") if g("y2") or g("ry2") else None
    first_year = y1 if y1 is not None else (y2 if y2 is not None else year)
    return _span(raw, None, first_year, _month(g("m1")), _month(g("m2")),
                 y2 if y2 is not None else first_year)


def _years(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    return _span(raw, None, int(g("y1")), 1, 12, int(g("y2")))


def _quarter(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = _year_of(g, year, v)
    last = 3 * _month(g("q"))
    if _is_deadline(g):
        return Target(raw=raw, kind="deadline", date=iso(y, last))
    return _span(raw, "quarter", y, last - 2, last)


def _calendar(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    word = v.calendar[g("word")]
    y = _year_of(g, year, v)
    if g("by") or word.kind == "deadline":
        return Target(raw=raw, kind="deadline", date=iso(y, word.end))
    if word.kind == "date":
        return Target(raw=raw, kind="date", date=iso(y, word.start))
    return _span(raw, word.period, y, word.start, word.end)


def _year(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = int(g("y"))
    if g("by"):
        return Target(raw=raw, kind="deadline", date=iso(y, 12))
    return _span(raw, "year", y, 1, 12)


# ---------------------------------------------------------------- no form


def _qualitative(raw: str, folded: str) -> Target:
    if not any(ch.isalnum() for ch in folded):  # "", "—", "/", "--": no value printed
        return Target(raw=raw, kind="empty")
    cleaned = folded.strip(_END_PUNCTUATION)
    return Target(raw=raw, kind="qualitative", text=vocabulary().qualitative.get(cleaned, cleaned))


_BUILDERS[:] = [
    ("quantity", _quantity),
    ("date", _date),
    ("every", _every),
    ("calendar", _calendar),
    ("year", _year),
    ("iso", _date),
    ("quarter", _quarter),
    ("date_range", _date_range),
    ("years", _years),
    ("every_n", _every_n),
    ("bare_cycle", _bare_cycle),
]
