"""parse_value: a printed 指标值 -> Target (docs/contracts.md (Target)). Conventions: docs/values.md.

One pass of the compiled grammar finds the first value form in the folded text; the form's
builder below turns the match into a Target. Text with no form is qualitative (or empty).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache

import regex

from kpiscan.layout import text_memo
from kpiscan.model import Target
from kpiscan.patterns import cached_compile
from kpiscan.schema import copier
from kpiscan.values import numbers
from kpiscan.values.grammar import (
    NUMERIC_FORMS,
    RELATIVE_FORMS,
    Grammar,
    Groups,
    against_pattern,
    compiled,
    fold,
    kept_positions,
    numbered_forms,
    prefix_pattern,
    time_marks,
)
from kpiscan.values.vocab import Vocabulary, vocabulary

Builder = Callable[[Groups, str, "int | None", Vocabulary], Target]

# The builders, in the order the forms are checked on a match (commonest first).
_BUILDERS: list[tuple[str, Builder]] = []

# what may stand between two targets printed in one cell: a list mark, then a short label
# ("1600人、200人", "本科500元/月、硕士2000元/月", "6月前、10月前")
_LIST_MARKS = "、,;"
_LIST_GAP = cached_compile(r"[、,;]\p{Han}{0,8}")

# sentence punctuation trimmed from a qualitative value's ends (quotes and brackets stay paired)
_END_PUNCTUATION = " 。.,;:!?、；：\"'"


def parse_value(text: str, year: int | None = None) -> Target:
    """Normalise one printed value. Never raises: unreadable text is qualitative."""
    try:
        return parse_strict(text, year)
    except Exception:  # noqa: BLE001 — the contract is "never raises"; the raw text survives
        raw = text if isinstance(text, str) else repr(text)
        return Target(raw=raw, kind="qualitative", text=raw)


def parse_value_memo(text: str, year: int | None = None) -> Target:
    """parse_value through a bounded per-process memo (issue 13: a province prints the same
    values again and again, "100%", "≥95%", "2024年12月"): the same Target, a fresh copy each
    call (a caller may change its own). A text memo (layout.text_memo): with
    KPISCAN_CLASSIFY_MEMO=0 it is emptied before each document, which still prints its own values
    again and again (corpora/: 1,910 values, 516 distinct within their documents)."""
    if not isinstance(text, str):
        return parse_value(text, year)
    return _fresh(_memo_parse(text, year))


@text_memo()
def _memo_parse(text: str, year: int | None) -> Target:
    return parse_value(text, year)


def _fresh(target: Target) -> Target:
    """A copy of `target` that shares no list with it (schema.copier: a Target is copied for every
    value of a scan)."""
    copy: Target = _copy_target(target)
    return copy


_copy_target = copier(Target)


def parse_strict(text: str, year: int | None = None) -> Target:
    """parse_value that lets a builder's error through (for tests and debugging)."""
    folded = fold(text)
    numeric, numbered, _ = _grammars()
    grammar = numeric if time_marks().isdisjoint(folded) else numbered
    match = grammar.pattern.search(folded)
    if match is None:
        return _without_number(text, folded, year)
    try:
        start, end = match.span()
        if start:  # rare: something stands before the value
            return _after_text(grammar, match, text, folded, year)
        target = _build(Groups(match, grammar), text, year)
        if end != len(folded) and folded[end] in _LIST_MARKS:
            target.others = _others(grammar, text, folded, end, year)
        return target
    except numbers.NumberTooLarge:  # "1" and 400 zeros: no float holds it, so the text is kept
        return _qualitative(text, folded)


def _after_text(grammar: Grammar, match: regex.Match[str], text: str, folded: str, year: int | None) -> Target:
    """A value form that does not start the text: a year that is a baseline ("较|2023年增长5%") is
    skipped; a quantity reads its change, baseline and per-unit before it."""
    while _is_baseline_year(Groups(match, grammar), folded):
        found = grammar.pattern.search(folded, match.end())
        if found is None:
            return _without_number(text, folded, year)
        match = found
    target = _build(Groups(match, grammar), text, year)
    if target.kind in _PREFIXED_KINDS:
        _read_prefix(target, folded, match.start(), vocabulary(), year)
    end = match.end()
    if end != len(folded) and folded[end] in _LIST_MARKS:
        target.others = _others(grammar, text, folded, end, year)
    return target


def _without_number(text: str, folded: str, year: int | None) -> Target:
    """No numbered form: a relative target, an unfilled template, or words."""
    if not folded:
        return Target(raw=text, kind="empty")
    # every relative target names a baseline: the first-character test, then the word itself
    if not _baseline_starts().isdisjoint(folded) and _baseline_word().search(folded) is not None:
        grammar = _grammars()[2]
        match = grammar.pattern.search(folded)
        if match is not None:
            return _build(Groups(match, grammar), text, year)
    return _placeholder(text, folded) or _qualitative(text, folded)


@cache
def _baseline_starts() -> frozenset[str]:
    return frozenset(word[0] for word in vocabulary().baseline_words["baseline"])


@cache
def _baseline_word() -> regex.Pattern[str]:
    """Any baseline word (上年, 全省平均水平, 同比): the relative form's one required part."""
    return cached_compile(r"\L<baseline>", baseline=list(vocabulary().baseline_words["baseline"]))


def _is_baseline_year(g: Groups, folded: str) -> bool:
    return g.matched("year") and against_pattern().match(folded, 0, g.match.start()) is not None


# the kinds a change, a baseline or a per-unit printed before the number belongs to
_PREFIXED_KINDS = frozenset({"quantity", "frequency"})


def _read_prefix(target: Target, folded: str, start: int, v: Vocabulary, year: int | None, stop: int = 0) -> int:
    """Read what stands right before a quantity's amount, backwards: a change and its baseline
    ("较上年增长|5%", "同比下降|10%以上"), a per-unit and a comparator ("不超过人均|5000元",
    "人均|不超过5000元"). Returns where the prefix starts (`start` when there is none)."""
    match = prefix_pattern().match(folded, stop, start)
    if match is None or match.start() == start:
        return start
    base, base_year, change, cmp, avg = match.group("base", "base_year", "chg", "cmp", "avg")
    if avg:
        target.per.insert(0, v.units[avg])
    if cmp and target.op == "=":  # "不超过人均|5000元"
        target.op = v.comparators_before[cmp]
    if change:
        target.change = v.changes[change]
        if base:
            target.baseline = v.baseline_words["baseline"][base]
        elif base_year and year is not None and int(base_year) == year - 1:  # 较2023年 in a 2024 table
            target.baseline = "previous-year"
    return int(match.start())


def _others(grammar: Grammar, text: str, folded: str, end: int, year: int | None) -> list[Target]:
    """The further targets of a cell after the first, each one list mark and a short label apart."""
    found: list[Target] = []
    positions: list[int] | None = None
    while end < len(folded):
        match = grammar.pattern.search(folded, end)
        if match is None or not _LIST_GAP.fullmatch(folded, end, match.start()):
            break
        positions = positions or kept_positions(text)
        raw = text[positions[match.start()]:positions[match.end() - 1] + 1]
        found.append(_build(Groups(match, grammar), raw, year))
        end = match.end()
    return found


@cache
def _grammars() -> tuple[Grammar, Grammar, Grammar]:
    """parse_value's grammars: the numeric fast path, every form with a number, relative."""
    return compiled(NUMERIC_FORMS), compiled(numbered_forms()), compiled(RELATIVE_FORMS)


def find_values(text: str, year: int | None = None) -> Iterator[tuple[int, int, Target]]:
    """Every value form in running text as (start, end, Target), offsets into `text`.

    A quantity's span includes the change, baseline and per-unit read before it ("较上年增长5%")."""
    folded = fold(text)
    positions = kept_positions(text)
    v = vocabulary()
    last_end = 0
    for grammar, match in _matches(folded):
        first = match.start()
        try:
            target = _build(Groups(match, grammar), "", year)
            if first > last_end and target.kind in _PREFIXED_KINDS:
                first = _read_prefix(target, folded, first, v, year, last_end)
        except Exception:  # noqa: BLE001
            continue
        last_end = match.end()
        start, end = positions[first], positions[match.end() - 1] + 1
        target.raw = text[start:end]
        yield start, end, target


def _matches(folded: str) -> Iterator[tuple[Grammar, regex.Match[str]]]:
    """The matches of every form, left to right, as one pattern of all forms would find them
    (at each position a numbered form before `relative`), from parse_value's two grammars: a
    process that classifies then compiles no third grammar (the one of all forms: 0.3 s)."""
    _, numbered, relative = _grammars()
    pos = 0
    while pos <= len(folded):
        found = numbered.pattern.search(folded, pos)
        other = relative.pattern.search(folded, pos)  # no endpos: it would cut the lookaheads short
        if other is not None and (found is None or other.start() < found.start()):
            found, grammar = other, relative
        elif found is not None:
            grammar = numbered
        else:
            return
        yield grammar, found
        pos = found.end() if found.end() > found.start() else found.end() + 1


# per grammar (keyed by the id of its group index, cached for the process): the forms it has, in
# _BUILDERS order, as (position in Match.groups(), builder): one tuple index per form tried
_DISPATCH: dict[int, tuple[dict[str, int], list[tuple[int, Builder]]]] = {}


def _build(g: Groups, raw: str, year: int | None) -> Target:
    index = g.index
    entry = _DISPATCH.get(id(index))
    if entry is None or entry[0] is not index:
        entry = _DISPATCH[id(index)] = (index, [(index[name], b) for name, b in _BUILDERS if name in index])
    order = entry[1]
    values = g.values
    for i, builder in order:
        if values[i] is not None:
            return builder(g, raw, year, vocabulary())
    raise AssertionError(f"grammar matched no known form: {g.match!r}")


# ---------------------------------------------------------------- quantities


_AMOUNT_GROUPS = ("num", "scale", "unit", "cnum", "percent", "permille", "tenths", "hundredths")
_HIGH_GROUPS = tuple(g + "2" for g in _AMOUNT_GROUPS)


def _amount(groups: Sequence[str | None], v: Vocabulary) -> tuple[float | None, float, str | None]:
    """(number, scale, unit) of one amount's groups; number None when the amount is absent."""
    num, scale, unit, cnum, percent, permille, tenths, hundredths = groups
    if num:
        return numbers.arabic(num), numbers.scale(scale), v.units[unit] if unit else None
    if cnum:  # a Chinese numeral always has its unit ("三次")
        return numbers.chinese(cnum), 1.0, v.units[unit] if unit else None
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


def _op(v: Vocabulary, before: str | None, after: str | None) -> str | None:
    """A comparator after the number wins: it is the more specific (控制在50万元以内, 达到90%以上)."""
    return v.comparators_after[after] if after else v.comparators_before[before] if before else None


def _quantity_target(g: Groups, raw: str, v: Vocabulary, per: list[str], cycles: float = 1.0) -> Target:
    before, after, to, last_per, *amount = g.many(_QUANTITY_GROUPS)
    number, scale, unit = _amount(amount, v)
    if number is None:  # the grammar always matches an amount here
        raise AssertionError(f"quantity without an amount: {raw!r}")
    if last_per:
        per += [v.units[p] for p in g.captures("per")]
    if to is None:
        # a comparator after the number wins: it is the more specific (控制在50万元以内, 达到90%以上)
        op = v.comparators_after[after] if after else v.comparators_before[before] if before else "="
        target = Target(raw, "quantity", op, numbers.clean(number * scale / cycles), unit=unit, per=per)
        return _as_frequency(target, v) if unit in v.occurrence_units else target
    else:
        high, high_scale, high_unit = _amount(g.many(_HIGH_GROUPS), v)
        if high is None:
            raise AssertionError(f"range without a high end: {raw!r}")
        # a range: "10-15万元" — the low end shares the high end's scale and unit unless it has its own
        if scale == 1.0 and unit is None:
            scale = high_scale
        low = numbers.clean(number * scale / cycles)
        target = _as_frequency(Target(raw, "quantity", "between", low=low, high=numbers.clean(high * high_scale / cycles),
                                      unit=high_unit or unit, per=per), v)
    return target


def _quantity(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    return _quantity_target(g, raw, v, [])


# ---------------------------------------------------------------- frequencies


def _cycles(g: Groups) -> float:
    """N in "每四个月" / "3天/次": the cycle spans N periods (1 when unprinted)."""
    n = g("n")
    cycles = numbers.number(n) if n else 1.0
    return cycles or 1.0  # "每0个月" spans no period: read it as unprinted rather than divide by 0


def _every(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    cycle = v.units.get(g.text("cycle"), g.text("cycle"))
    n = _cycles(g)
    if _has_amount(g):  # "每月1次", "每年不少于2次", "每人500元", "每四个月支付一次", "每人每月500元"
        second = g("cycle2")
        return _quantity_target(g, raw, v, [cycle, v.units[second]] if second else [cycle], cycles=n)
    # "每季度", "按月支付": the cycle alone; "每四个月" implies once per four months
    target = Target(raw=raw, kind="frequency", period=v.periods.get(cycle))
    if n != 1:
        target.op, target.value, target.unit, target.per = "=", numbers.clean(1 / n), "次", [cycle]
    return target


def _every_n(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    counted = g("count")
    count = numbers.number(counted) if counted else 1.0
    cycle = v.units.get(g.text("cycle"), g.text("cycle"))
    return Target(raw=raw, kind="frequency", op="=", value=numbers.clean(count / _cycles(g)), unit="次",
                  per=[cycle], period=v.periods.get(cycle))


def _bare_cycle(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    return Target(raw=raw, kind="frequency", period=v.periods[g.text("bare_cycle")])


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
    month = _month(g.text("m"))
    printed_day = g("d")
    day = int(printed_day) if printed_day else None
    if not _is_deadline(g):
        return Target(raw=raw, kind="date", date=iso(y, month, day))
    part = g("part")
    if g("end"):
        day = None  # 底/末: the month's end
    elif part and day is None:
        day = v.month_parts[part]  # 上旬完成: by the 10th
    return Target(raw=raw, kind="deadline", date=iso(y, month, day))


def _span(raw: str, period: str | None, y: int | None, first: int, last: int,
          last_year: int | None = None) -> Target:
    end_year = y if last_year is None else last_year
    return Target(raw=raw, kind="period", period=period, date=f"{iso(y, first)}/{iso(end_year, last)}")


def _date_range(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y1 = _year_of(g, year, v, "1") if g("y1") or g("ry1") else None
    y2 = _year_of(g, year, v, "2") if g("y2") or g("ry2") else None
    first_year = y1 if y1 is not None else (y2 if y2 is not None else year)
    return _span(raw, None, first_year, _month(g.text("m1")), _month(g.text("m2")),
                 y2 if y2 is not None else first_year)


def _iso(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    """"2024.12" a date; "2023.07-2024.01" a period 2023-07/2024-01 ("2024.1.1-2024.12.31": days kept)."""
    if not g.matched("y2"):
        return _date(g, raw, year, v)
    d1, d2 = g("d"), g("d2")
    first = iso(int(g.text("y")), _month(g.text("m")), int(d1) if d1 and d2 else None)
    last = iso(int(g.text("y2")), _month(g.text("m2")), int(d2) if d1 and d2 else None)
    return Target(raw=raw, kind="period", date=f"{first}/{last}")


def _years(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    return _span(raw, None, int(g.text("y1")), 1, 12, int(g.text("y2")))


def _quarter(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = _year_of(g, year, v)
    last = 3 * _month(g.text("q"))
    if _is_deadline(g):
        return Target(raw=raw, kind="deadline", date=iso(y, last))
    return _span(raw, "quarter", y, last - 2, last)


def _calendar(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    word = v.calendar[g.text("word")]
    y = _year_of(g, year, v)
    if g("by") or word.kind == "deadline":
        return Target(raw=raw, kind="deadline", date=iso(y, word.end))
    if word.kind == "date":
        return Target(raw=raw, kind="date", date=iso(y, word.start))
    return _span(raw, word.period, y, word.start, word.end)


def _named_day(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    """"国庆节" -> date YYYY-10-01; "国庆节前" -> deadline YYYY-10 (the month of the day)."""
    y = _year_of(g, year, v)
    month, day = v.named_days[g.text("named")]
    if g("by"):
        return Target(raw=raw, kind="deadline", date=iso(y, month))
    return Target(raw=raw, kind="date", date=iso(y, month, day))


def _year(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    y = int(g.text("y"))
    if g("by"):
        return Target(raw=raw, kind="deadline", date=iso(y, 12))
    return _span(raw, "year", y, 1, 12)


# ---------------------------------------------------------------- relative


def _relative(g: Groups, raw: str, year: int | None, v: Vocabulary) -> Target:
    """"不低于上年" -> >= previous-year; "较上年有所提高" -> > previous-year, increase."""
    change = v.changes.get(g("chg") or "")
    op = _op(v, g("cmp"), g("cmp_after")) or (">" if change == "increase" else "<")
    return Target(raw=raw, kind="relative", op=op, change=change,
                  baseline=v.baseline_words["baseline"][g.text("base")])


# ---------------------------------------------------------------- no form


# An unfilled template: a comparator, digits left as ** or XX, a scale and a unit, and no number:
# "万亩", "≧ %", "（%）", "≥ 万元", "≥**人次", "**元/人·月", "年 月 日".
_BLANK_DIGITS = "*×xX_…?#"


@cache
def _placeholder_pattern() -> regex.Pattern[str]:
    v = vocabulary()
    scales = "".join(v.scales)
    return cached_compile(
        rf"(?P<cmp>\L<cmp_before>)?[{regex.escape(_BLANK_DIGITS)}]*\(?[{scales}]*"
        r"(?:(?P<unit>\L<unit>)(?:[/·](?P<per>\L<unit>)|(?P<more>\L<unit>))*)?\)?(?P<cmp_after>\L<cmp_after>)?",
        cmp_before=list(v.comparators_before), cmp_after=list(v.comparators_after), unit=list(v.units))


@cache
def _placeholder_characters() -> frozenset[str]:
    v = vocabulary()
    words = [*v.comparators_before, *v.comparators_after, *v.units, *v.scales, "()/·", _BLANK_DIGITS]
    return frozenset("".join(words))


def _placeholder(raw: str, folded: str) -> Target | None:
    """kind "empty" with the template's op, unit and per-units: a value the unit filled in but never
    a number ("万亩" is not 10000 亩); a date template ("年月日") keeps no unit."""
    if not _placeholder_characters().issuperset(folded):  # the quick test: a word ("提升") is no template
        return None
    match = _placeholder_pattern().fullmatch(folded)
    if match is None or not (match.group("unit", "cmp", "cmp_after") != (None, None, None)
                             or any(ch in _BLANK_DIGITS for ch in folded)):
        return None  # scale characters alone ("十", "万万") are no template
    v = vocabulary()
    unit = match.group("unit")
    if match.captures("more"):
        return Target(raw=raw, kind="empty")
    return Target(raw=raw, kind="empty", op=_op(v, match.group("cmp"), match.group("cmp_after")),
                  unit=v.units[unit] if unit else None, per=[v.units[p] for p in match.captures("per")])


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
    ("iso", _iso),
    ("quarter", _quarter),
    ("date_range", _date_range),
    ("years", _years),
    ("every_n", _every_n),
    ("bare_cycle", _bare_cycle),
    ("relative", _relative),
    ("one_cycle", _every),
    ("named_day", _named_day),
]
