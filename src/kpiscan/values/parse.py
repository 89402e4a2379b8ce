"""parse_value: a printed 指标值 -> Target (DESIGN.md 3.2). Conventions: docs/values.md.

One pass of the compiled grammar finds the first value form in the folded text; the form's
builder below turns the match into a Target. Text with no form is qualitative (or empty).
"""
from __future__ import annotations

from collections.abc import Iterator

import regex

from kpiscan.model import Target
from kpiscan.values import numbers
from kpiscan.values.grammar import compiled, fold, kept_positions
from kpiscan.values.vocab import Vocabulary, vocabulary

# The builders, in the order the forms are checked on a match (commonest first).
_BUILDERS: list[tuple[str, object]] = []

# what is left after stripping these from both ends of a qualitative value is its text
_EDGE_PUNCTUATION = " 。.,，;；、:：!！?？\"'“”‘’()（）[]【】《》<>-—_/\\|"


def parse_value(text: str, year: int | None = None) -> Target:
    """Normalise one printed value. Never raises: unreadable text is qualitative."""
    try:
        folded = fold(text)
        match = compiled().search(folded)
        if match is None:
            return _qualitative(text, folded)
        return _build(match, text, year)
    except Exception:  # noqa: BLE001 — the contract is "never raises"; the raw text survives
        return Target(raw=text if isinstance(text, str) else str(text), kind="qualitative", text=str(text))


def find_values(text: str, year: int | None = None) -> Iterator[tuple[int, int, Target]]:
    """Every value form in running text as (start, end, Target), offsets into `text`."""
    folded = fold(text)
    positions = kept_positions(text)
    for match in compiled().finditer(folded):
        start, end = positions[match.start()], positions[match.end() - 1] + 1
        try:
            target = _build(match, text[start:end], year)
        except Exception:  # noqa: BLE001
            continue
        yield start, end, target


def _build(match: regex.Match, raw: str, year: int | None) -> Target:
    for name, builder in _BUILDERS:
        if match.group(name) is not None:
            return builder(match, raw, year, vocabulary())
    raise AssertionError(f"grammar matched no known form: {match!r}")


# ---------------------------------------------------------------- quantities


def _op(match: regex.Match, v: Vocabulary, default: str | None = "=") -> str | None:
    """A comparator after the number wins: it is the more specific (控制在50万元以内, 达到90%以上)."""
    after = match.group("cmp_after")
    if after:
        return v.comparators_after[after]
    before = match.group("cmp")
    if before:
        return v.comparators_before[before]
    return default


def _amount(match: regex.Match, v: Vocabulary) -> tuple[float, str | None]:
    """The number of a quantity piece in base units, and its unit."""
    if match.group("num"):
        return numbers.arabic(match.group("num")) * numbers.scale(match.group("scale")), _unit(match, v)
    if match.group("cnum"):
        return float(numbers.chinese(match.group("cnum"))), _unit(match, v)
    if match.group("percent"):
        return numbers.number(match.group("percent")), "%"
    if match.group("permille"):
        return numbers.number(match.group("permille")), "‰"
    tenths = numbers.number(match.group("tenths")) * 10  # 九成 90%, 九成五 95%
    hundredths = match.group("hundredths")
    return tenths + (numbers.number(hundredths) if hundredths else 0), "%"


def _has_amount(match: regex.Match) -> bool:
    return any(match.group(g) for g in _AMOUNT_GROUPS)


_AMOUNT_GROUPS = ("num", "cnum", "percent", "permille", "tenths")


def _unit(match: regex.Match, v: Vocabulary) -> str | None:
    alias = match.group("unit")
    return v.units[alias] if alias else None


def _per(match: regex.Match, v: Vocabulary) -> list[str]:
    return [v.units[p] for p in match.captures("per")]


def _as_frequency(target: Target, v: Vocabulary) -> Target:
    """A count of occurrences per one cycle ("≥3次/年", "每月1次") is a frequency."""
    if len(target.per) == 1 and v.unit_kinds.get(target.unit or "") == "occurrence":
        period = v.periods.get(target.per[0])
        if period:
            target.kind = "frequency"
            target.period = period
    return target


def _quantity(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    value, unit = _amount(match, v)
    target = Target(raw=raw, kind="quantity", op=_op(match, v), value=numbers.clean(value), unit=unit,
                    per=_per(match, v))
    return _as_frequency(target, v)


def _range(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    scale = numbers.scale(match.group("scale"))
    # "10-15万元": the low end shares the high end's scale unless it carries its own ("10万-15万")
    low_scale = numbers.scale(match.group("low_scale")) if match.group("low_scale") else scale
    low = numbers.number(match.group("low")) * low_scale
    high = numbers.number(match.group("high")) * scale
    unit = _unit(match, v) or (v.units[match.group("low_unit")] if match.group("low_unit") else None)
    target = Target(raw=raw, kind="quantity", op="between", low=numbers.clean(low), high=numbers.clean(high),
                    unit=unit, per=_per(match, v))
    return _as_frequency(target, v)


# ---------------------------------------------------------------- frequencies


def _cycles(match: regex.Match) -> float:
    """N in "每四个月" / "3天/次": the cycle spans N periods (1 when unprinted)."""
    n = match.group("n")
    return numbers.number(n) if n else 1.0


def _every(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    cycle = v.units.get(match.group("cycle"), match.group("cycle"))
    n = _cycles(match)
    if not _has_amount(match):
        # "每季度", "按月支付": the cycle alone; "每四个月" implies once per four months
        target = Target(raw=raw, kind="frequency", period=v.periods.get(cycle))
        if n != 1:
            target.op, target.value, target.unit, target.per = "=", numbers.clean(1 / n), "次", [cycle]
        return target
    value, unit = _amount(match, v)
    target = Target(raw=raw, kind="quantity", op=_op(match, v), value=numbers.clean(value / n), unit=unit,
                    per=[cycle, *_per(match, v)])
    return _as_frequency(target, v)


def _every_n(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    count = numbers.number(match.group("count")) if match.group("count") else 1.0
    cycle = v.units.get(match.group("cycle"), match.group("cycle"))
    return Target(raw=raw, kind="frequency", op="=", value=numbers.clean(count / _cycles(match)), unit="次",
                  per=[cycle], period=v.periods.get(cycle))


def _bare_cycle(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    return Target(raw=raw, kind="frequency", period=v.periods[match.group("bare_cycle")])


# ---------------------------------------------------------------- dates


def iso(year: int | None, month: int, day: int | None = None) -> str:
    """"2024-07", "2024-06-30"; without a year the ISO 8601 truncated form "--07", "--06-30"."""
    head = f"{year:04d}" if year is not None else "-"
    return f"{head}-{month:02d}" if day is None else f"{head}-{month:02d}-{day:02d}"


def _year_of(match: regex.Match, year: int | None, v: Vocabulary, suffix: str = "") -> int | None:
    printed = match.group("y" + suffix)
    if printed:
        return int(printed)
    relative = match.group("ry" + suffix)
    if relative:
        return year + v.relative_years[relative] if year is not None else None
    return year


def _month(text: str) -> int:
    return int(numbers.number(text))


def _is_deadline(match: regex.Match) -> bool:
    return bool(match.group("end") or match.group("by"))


def _date(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = _year_of(match, year, v)
    month = _month(match.group("m"))
    day = int(match.group("d")) if match.group("d") else None
    if not _is_deadline(match):
        return Target(raw=raw, kind="date", date=iso(y, month, day))
    if match.group("end"):
        day = None  # 底/末: the month's end
    elif match.group("part") and day is None:
        day = v.month_parts[match.group("part")]  # 上旬完成: by the 10th
    return Target(raw=raw, kind="deadline", date=iso(y, month, day))


def _span(raw: str, period: str | None, y: int | None, first: int, last: int,
          last_year: int | None = None) -> Target:
    end_year = y if last_year is None else last_year
    return Target(raw=raw, kind="period", period=period, date=f"{iso(y, first)}/{iso(end_year, last)}")


def _date_range(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    y1 = _year_of(match, year, v, "1") if match.group("y1") or match.group("ry1") else None
    y2 = _year_of(match, year, v, "2") if match.group("y2") or match.group("ry2") else None
    first_year = y1 if y1 is not None else (y2 if y2 is not None else year)
    return _span(raw, None, first_year, _month(match.group("m1")), _month(match.group("m2")),
                 y2 if y2 is not None else first_year)


def _years(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    return _span(raw, None, int(match.group("y1")), 1, 12, int(match.group("y2")))


def _quarter(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = _year_of(match, year, v)
    last = 3 * _month(match.group("q"))
    if _is_deadline(match):
        return Target(raw=raw, kind="deadline", date=iso(y, last))
    return _span(raw, "quarter", y, last - 2, last)


def _calendar(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    word = v.calendar[match.group("word")]
    y = _year_of(match, year, v)
    if match.group("by") or word.kind == "deadline":
        return Target(raw=raw, kind="deadline", date=iso(y, word.end))
    if word.kind == "date":
        return Target(raw=raw, kind="date", date=iso(y, word.start))
    return _span(raw, word.period, y, word.start, word.end)


def _year(match: regex.Match, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = int(match.group("y"))
    if match.group("by"):
        return Target(raw=raw, kind="deadline", date=iso(y, 12))
    return _span(raw, "year", y, 1, 12)


# ---------------------------------------------------------------- no form


def _qualitative(raw: str, folded: str) -> Target:
    cleaned = folded.strip(_EDGE_PUNCTUATION)
    if not cleaned:
        return Target(raw=raw, kind="empty")
    return Target(raw=raw, kind="qualitative", text=vocabulary().qualitative.get(cleaned, cleaned))


_BUILDERS[:] = [
    ("quantity", _quantity),
    ("date", _date),
    ("every", _every),
    ("calendar", _calendar),
    ("year", _year),
    ("range", _range),
    ("iso", _date),
    ("quarter", _quarter),
    ("date_range", _date_range),
    ("years", _years),
    ("every_n", _every_n),
    ("bare_cycle", _bare_cycle),
]
