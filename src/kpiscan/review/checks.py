"""The table-level checks of a performance-evaluation reviewer, one function per concern.

Each check takes a `Context` (the table, its indicators with their normalised targets) and returns
findings. `review_table` runs them all. The checks read `Indicator.target` as the pipeline filled
it; an indicator without one (gold records, tests) is normalised here with `parse_value`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import compress
from operator import attrgetter
from typing import Any

import regex

from ..constants import DATED_KINDS, FLAGGED_LABELS, HALVES, Label
from ..layout import fill_of, level1_of, level2_of, norm, text_memo
from ..model import Indicator, TableBlock, Target, assign_ids
from .findings import Finding, make, merge_same
from .vocab import mentions, units_of_kind

RATIO = "%"
SATISFACTION_FLOOR = 80.0
TOTAL_COST_SHORTFALL = 0.9  # a total cost below 90% of the money asked for contradicts it
MONEY_TOLERANCE = 1.0  # 元: rounding of 万元 figures
OPEN_ENDED_YEARS = 10  # 项目期 "99年": a standing project, no end year to check against
_YEAR_IN_TEXT = regex.compile(r"(?<!\d)(20\d\d)(?=年)")
_PROJECT_YEARS = regex.compile(r"(\d+)\s*年")
_TRAILING_PUNCT = regex.compile(r"[。.，,;；:：、]+$")
_KEY = attrgetter("key")


def target_of(ind: Indicator, year: int | None) -> Target:
    """The indicator's Target; computed when the record came without one."""
    if ind.target is not None:
        return ind.target
    if not ind.value.strip():
        return Target(raw=ind.value, kind="empty")
    try:
        from ..values import parse_value
    except ImportError:  # value normalisation not installed: judge the text as qualitative
        return Target(raw=ind.value, kind="qualitative", text=ind.value.strip())
    return parse_value(ind.value, year)


@text_memo(fill_of(1 << 13))
def name_key(name: str) -> str:
    """A name as compared across halves and rows: NFKC, no whitespace, no trailing punctuation.
    A bounded memo of names (both halves of a row print one name, a province repeats them)."""
    return _TRAILING_PUNCT.sub("", norm(name))


def money(amount: float) -> str:
    return f"{amount:,.0f}"


@dataclass(slots=True, init=False)
class Row:
    ind: Indicator
    target: Target
    key: str  # name_key(ind.name), made once: the halves, duplicates and names checks each compare it
    # money or input under 数量指标 (money_or_input_as_output): check_names reports it and
    # check_category_mismatch leaves it out, made once
    money_or_input: bool

    def __init__(self, ind: Indicator, target: Target) -> None:
        # (its own __init__: the dataclass's would call a __post_init__ for the two made fields)
        self.ind = ind
        self.target = target
        self.key = name_key(ind.name)
        self.money_or_input = money_or_input_as_output(self)

    def _number(self, end: str) -> float | None:
        """A quantity's number; for a range ("between") its `end` ("low"/"high")."""
        t = self.target
        if t.kind != "quantity":
            return None
        return getattr(t, end) if t.op == "between" else t.value

    @property
    def bound(self) -> float | None:
        """The number the target commits to: its value, or the upper end of a range."""
        return self._number("high")

    @property
    def floor(self) -> float | None:
        """Its value, or the lower end of a range."""
        return self._number("low")

    @property
    def is_money(self) -> bool:
        return self.target.kind == "quantity" and self.target.unit in units_of_kind("money")


@dataclass
class Context:
    table: TableBlock
    rows: list[Row]
    # the category model's verdict of each pair of `asked`, in its order (category_verdicts),
    # scored with the other tables of its documents (review_all); None: check_category_mismatch
    # scores this table's own
    verdicts: list[tuple[str, float] | None] | None = field(default=None, repr=False)
    # facts of the table that checks read, made once with the context (__post_init__); plain
    # attributes, not cached_property: every table reads them, and its first read (a lock and
    # a Python __get__) cost more than the fact (~1,600 reads per 16 parts of /tmp/c16)
    asked: list[tuple[tuple[Any, ...], Row]] = field(init=False, repr=False)
    halves: list[str] = field(init=False, repr=False)  # the halves it prints, in HALVES order
    _by_half: dict[str, list[Row]] = field(init=False, repr=False)
    # each half's rows by `Row.key` (the last of a key), made in C: check_halves compares the
    # halves' names, check_duplicates tells a half without a repeated name by its size
    keyed: dict[str, dict[str, Row]] = field(init=False, repr=False)
    project_years: int | None = field(init=False, repr=False)
    same_scope: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_half = _rows_by_half(self.rows)
        self.halves = sorted(self._by_half, key=HALVES.index)
        self.keyed = {h: dict(zip(map(_KEY, rows), rows)) for h, rows in self._by_half.items()}
        self.asked = _asked(self.rows)
        m = _PROJECT_YEARS.search(self.table.fields.get("项目期", ""))
        self.project_years = int(m.group(1)) if m else None
        self.same_scope = _same_scope(self.table, self.project_years)

    @property
    def doc(self) -> str:
        return self.table.doc

    def finding(self, code: str, rows: list[Row] | None = None, lines: list[int] | None = None, **kw: Any) -> Finding:
        """A finding about `rows` (their records and lines), or about the table (its first line)."""
        rows = rows or []
        table = self.table
        return make(code, table.doc, table.index, lines or [r.ind.line for r in rows] or [table.line],
                    records=[r.ind.id for r in rows if r.ind.id], doc_hash=table.doc_hash, **kw)

    def per_row(self, code: str, row: Row, **facts: Any) -> Finding:
        """A finding about one row, its name and value in the message: `finding(code, [row], ...)`
        without its two passes over a list of rows (most findings are one row's)."""
        ind, table = row.ind, self.table
        return make(code, table.doc, table.index, [ind.line], records=[ind.id] if ind.id else None,
                    doc_hash=table.doc_hash, name=ind.name, value=ind.value, **facts)

    def in_half(self, half: str) -> list[Row]:
        return self._by_half.get(half, [])

    def funding(self, half: str) -> float | None:
        """The half's 资金总额 in 元; the other half's when the table prints only one."""
        for h in (half, "annual", "implementation"):
            total = self.table.funds.get(h, {}).get("total")
            if total:
                return total
        return None


def _rows_by_half(rows: list[Row]) -> dict[str, list[Row]]:
    """The rows of each half, in order (check_halves and check_cost_against_funding read each
    half's: one pass over the rows, not one per half and check)."""
    out: dict[str, list[Row]] = {}
    for r in rows:
        found = out.get(r.ind.period)
        if found is None:
            out[r.ind.period] = [r]
        else:
            found.append(r)
    return out


def _asked(rows: list[Row]) -> list[tuple[tuple[Any, ...], Row]]:
    """The rows check_category_mismatch asks the category model about (with a value, not
    moved by meaning in the scan, not money or input under 数量指标), each after what the
    model's `suggest` reads of it: (name, value, printed category, the Target's fields)."""
    key_of = _target_key()
    if key_of is None:  # the classifier is not installed: nothing to ask it
        return []
    return [((r.ind.name, r.ind.value, r.ind.level2, key_of(r.target)), r)
            for r in rows if not r.money_or_input and r.ind.value.strip() and r.ind.level2_source != "meaning"]


@cache
def _target_key() -> Callable[[Target], tuple[Any, ...]] | None:
    """classify.item.target_key; None when the classifier is not installed."""
    try:
        from ..classify.item import target_key
    except ImportError:
        return None
    return target_key


def _same_scope(table: TableBlock, project_years: int | None) -> bool:
    """Both halves cover the same money and time, so they should state the same targets."""
    impl = table.funds.get("implementation", {}).get("total")
    annual = table.funds.get("annual", {}).get("total")
    if impl is not None and annual is not None:
        return abs(impl - annual) <= MONEY_TOLERANCE
    return project_years == 1


# ---------------------------------------------------------------- 完整性


def check_categories(ctx: Context) -> list[Finding]:
    if not ctx.rows:
        return [ctx.finding("no-indicators")]
    level1s = {r.ind.level1 for r in ctx.rows}
    level2s = {r.ind.level2 for r in ctx.rows}
    out = []
    if "产出指标" not in level1s and not (level2s & {"数量指标", "质量指标", "时效指标"}):
        out.append(ctx.finding("missing-output-category"))
    if "效益指标" not in level1s:
        out.append(ctx.finding("missing-benefit-category"))
    if "满意度指标" not in level1s:
        out.append(ctx.finding("missing-satisfaction-category"))
    for level2, en in (("成本指标", "cost (成本)"), ("时效指标", "time (时效)")):
        if level2 not in level2s:
            out.append(ctx.finding("missing-cost-or-time-category", category=level2, category_en=en))
    return out


def check_measurable_benefit(ctx: Context) -> list[Finding]:
    """At least one 效益指标 a reviewer can check at year end: labelled quantitative, temporal or
    binary by the classifier (without labels: a quantity or a date). A table whose benefits are
    all vague ("有效提升", "明显改善"), or that has none, promises nothing checkable."""
    if not ctx.rows:
        return []
    benefits = [r for r in ctx.rows if r.ind.level1 == "效益指标"]
    if any(measurable(r) for r in benefits):
        return []
    return [ctx.finding("no-measurable-benefit", benefits, count=len({r.ind.line for r in benefits}))]


def measurable(row: Row) -> bool:
    """The classifier's reading when there is one (not vague, not malformed); else the value's kind."""
    if row.ind.label is not None:
        return row.ind.label not in FLAGGED_LABELS
    return row.target.kind == "quantity" or row.target.kind in DATED_KINDS


def check_halves(ctx: Context) -> list[Finding]:
    """实施期 and 年度 halves of a project table: the same indicators, and (when both cover the same
    money) the same values. Multi-year projects may set smaller annual targets, so a missing row
    there weighs half and a different value is not a finding."""
    if ctx.halves != list(HALVES):
        return []
    impl, annual = ctx.keyed["implementation"], ctx.keyed["annual"]
    weight = 1.0 if ctx.same_scope else 0.5
    out = []
    if impl.keys() != annual.keys():  # (most project tables print the same names in both: no row to look at)
        for half, mine, other in (("implementation", impl, annual), ("annual", annual, impl)):
            for key, row in mine.items():
                if key and key not in other:
                    out.append(ctx.per_row("halves-disagree-only-in-one-half", row, period=half, magnitude=weight, half=half))
    if ctx.same_scope:
        for key, left in impl.items():
            right = annual.get(key)
            if right is not None and not same_target(left, right):
                out.append(ctx.finding("halves-disagree-value", [left, right],
                                       name=left.ind.name, value_implementation=left.ind.value,
                                       value_annual=right.ind.value))
    return out


def same_target(a: Row, b: Row) -> bool:
    if a.ind.value == b.ind.value or norm(a.ind.value) == norm(b.ind.value):  # (most halves print one text)
        return True
    ta, tb = a.target, b.target
    fields = ("kind", "op", "value", "low", "high", "unit", "date", "period")
    return ta.kind != "qualitative" and all(getattr(ta, f) == getattr(tb, f) for f in fields)


# ---------------------------------------------------------------- 适当性


def check_cost_against_funding(ctx: Context) -> list[Finding]:
    out = []
    for half in ctx.halves:
        funding = ctx.funding(half)
        if not funding:
            continue
        costs = [r for r in ctx.in_half(half)
                 if r.ind.level2 == "成本指标" and r.is_money and not r.target.per and r.bound is not None]
        if not costs:  # (every finding names a cost row: no facts to format, no words to look for)
            continue
        # halves covering the same money print the same cost rows: one remark names both halves
        named = "both" if ctx.same_scope and len(ctx.halves) == 2 else half
        facts: dict[str, Any] = dict(half=named, funding=money(funding), period=half if named != "both" else "")
        exceeded = False
        totals = [mentions(r.ind.name, "total_cost") for r in costs]  # (asked once a row)
        for r, total_cost in zip(costs, totals):
            bound = r.bound or 0.0  # costs keep rows with a bound
            if bound > funding + MONEY_TOLERANCE:
                out.append(ctx.per_row("cost-exceeds-funding", r, **facts))
                exceeded = True
            elif total_cost and bound < TOTAL_COST_SHORTFALL * funding:
                out.append(ctx.per_row(
                    "cost-contradicts-funding", r, **facts,
                    why=f"总成本低于资金总额的{TOTAL_COST_SHORTFALL:.0%}",
                    why_en=f"total cost below {TOTAL_COST_SHORTFALL:.0%} of the funding"))
        items = [r for r, total_cost in zip(costs, totals) if not total_cost and not mentions(r.ind.name, "unit_price")]
        has_total = any(totals)
        if not exceeded and not has_total and len(items) >= 2:
            total = sum(r.bound or 0.0 for r in items)
            if total > funding + MONEY_TOLERANCE:
                out.append(ctx.finding("cost-exceeds-funding", items, **facts,
                                       value=f"合计 {money(total)}元"))
    return out


def check_plausible_targets(ctx: Context) -> list[Finding]:
    out = []
    for r in ctx.rows:
        t, ind = r.target, r.ind
        if t.kind != "quantity":
            continue
        if t.unit == RATIO and rate_above_100(t) and not mentions(ind.name, "growth"):
            out.append(ctx.per_row("rate-above-100", r))
        if ind.level1 == "满意度指标" and t.unit == RATIO and r.floor is not None and r.floor < SATISFACTION_FLOOR:
            out.append(ctx.per_row("satisfaction-below-80", r))
        if ind.level2 == "数量指标" and t.unit != RATIO and r.bound == 0:
            out.append(ctx.per_row("zero-count-target", r))
    return out


def rate_above_100(t: Target) -> bool:
    """A share cannot pass 100%; "≥100%" asks for more than all of it."""
    if t.op == "between":
        return (t.high or 0) > 100
    if t.value is None:
        return False
    if t.op in (">=", ">"):
        return t.value >= 100
    return t.op not in ("<=", "<") and t.value > 100


# ---------------------------------------------------------------- 相关性/明确性


def check_measurable_units(ctx: Context) -> list[Finding]:
    """Units a category asks for. One source of truth with the classifier: where it labelled a row,
    its reading decides whether the value is a time (a `temporal` label is dated: "重阳节、春节"),
    and a reason code it gave for the row is raised here too, so a label and a finding never
    disagree."""
    out = []
    money_units = units_of_kind("money")
    for r in ctx.rows:
        t, ind = r.target, r.ind
        if not ind.value.strip():
            continue  # an empty value is the classifier's "malformed", counted in flagged-share
        if "time-indicator-without-date" in ind.reasons or (ind.level2 == "时效指标" and not dated(r)):
            out.append(ctx.per_row("time-indicator-without-date", r))
        if ind.level2 == "成本指标" and t.unit not in money_units:
            out.append(ctx.per_row("cost-indicator-without-money-unit", r))
        if "satisfaction-without-percentage" in ind.reasons or (ind.level1 == "满意度指标" and t.unit != RATIO):
            out.append(ctx.per_row("satisfaction-without-percentage", r))
        if t.baseline is not None:  # "不低于上年", "较上年增长5%": checkable only with that figure
            out.append(ctx.per_row("relative-without-baseline-figure", r, baseline=t.baseline))
    return out


def dated(row: Row) -> bool:
    """The row's value says when: the classifier labelled it temporal, or (whatever the label) its
    Target is a date, deadline, period, frequency or a span of time ("≤30天", "3个工作日")."""
    return row.ind.label == Label.TEMPORAL or has_date(row.target)


def has_date(t: Target) -> bool:
    """A date, deadline, period, frequency, or a span of time ("≤30天", "3个工作日")."""
    return t.kind in DATED_KINDS or (t.kind == "quantity" and t.unit in units_of_kind("time"))


def check_duplicates(ctx: Context) -> list[Finding]:
    # a half whose keys are all distinct (most tables) has no duplicate: told by the size of its
    # keyed rows, before any grouping
    if all(len(ctx.keyed[h]) == len(ctx.in_half(h)) for h in ctx.halves):
        return []
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in ctx.rows:
        if r.key:
            groups[(r.ind.period, r.key)].append(r)
    return [
        ctx.finding("duplicate-indicator", rows, period=half, name=rows[0].ind.name, count=len(rows))
        for (half, _), rows in groups.items()
        if len(rows) > 1
    ]


def check_names(ctx: Context) -> list[Finding]:
    out = []
    repeats: dict[str, bool] = {}  # a name -> whether it repeats a category (both halves print most names)
    for r in ctx.rows:
        name = r.ind.name
        said = repeats.get(name)
        if said is None:
            said = repeats[name] = bool(name.strip() and (level2_of(name) or level1_of(name) or r.key in ("指标", "三级指标")))
        if said:
            out.append(ctx.per_row("name-repeats-category", r))
        if r.money_or_input:
            out.append(ctx.per_row("money-or-input-as-output", r))
    return out


def money_or_input_as_output(r: Row) -> bool:
    return r.ind.level2 == "数量指标" and (r.is_money or mentions(r.ind.name, "input"))


def category_verdicts(asked: list[tuple[tuple[Any, ...], Row]]) -> list[tuple[str, float] | None] | None:
    """`suggest`'s verdict of each of these (key, row) pairs (`Context.asked`), in their order: the
    model asked once about the distinct keys (the two halves of a project table, and the tables
    of a document, print many rows alike; a key's rows are alike in all the verdict reads) its
    verdict memo does not hold (VerdictMemo.answers asks each distinct key once: its first row
    stands for the others); None when the classifier is not installed."""
    if not asked:
        return []
    try:
        from ..classify.category import _available_model, suggest
        from ..classify.memo import VerdictMemo, memo_enabled
    except ImportError:  # the classifier is not installed: nothing to compare with
        return None
    model = _available_model()
    # suggest's verdicts on the items decided already (KPISCAN_CLASSIFY_MEMO=0: this call's only)
    memo = _verdicts().of(model) if model is not None and memo_enabled() else VerdictMemo(0)

    def verdicts(todo: dict[tuple[Any, ...], Row]) -> list[tuple[str, float] | None]:
        return suggest([(r.ind, r.target) for r in todo.values()], model)

    return memo.answers(asked, verdicts)


REVIEW_VERDICTS = 1 << 14  # distinct items whose verdict `category_verdicts` keeps (~0.3 KiB each with the key)


@cache
def _verdicts() -> Any:
    """`suggest`'s verdict of each distinct item `category_verdicts` asked (None is one: the memo
    tells a kept None from an absent key), by its key of `Context.asked` (name, value, printed
    二级指标, the Target's fields: a province repeats its (name, value) pairs, and the verdict
    reads nothing else of a row), for the model that decided it; bounded
    (classify.memo.VerdictMemo), off with KPISCAN_CLASSIFY_MEMO=0. The model's probabilities of
    an item are the same whenever it is asked, so its verdict is too: a hit skips the item's
    probabilities and their reading, a miss is scored by the model itself (the verdict memo
    is the one memo of the review's items: the scan's memo of the model's probabilities,
    classify.category.PROBA_MEMO, held the same items under the same keys behind it)."""
    from ..classify.memo import VerdictMemo

    return VerdictMemo(REVIEW_VERDICTS)


def check_category_mismatch(ctx: Context) -> list[Finding]:
    """A row printed cleanly under one 二级 category that a confident category model files under
    another ("劳务费支付时间 | 4月底前" under 成本指标): 相关性/明确性, whose question is whether each
    indicator sits in the right category; the target itself may be fine (适当性 is about its level).
    Rows the scan already moved by meaning (level2_source "meaning"), and money under 数量指标
    (money-or-input-as-output says it), are not reported again (`Context.asked`). The model's
    verdicts: `ctx.verdicts` when review_all scored the document's tables together, else this table's."""
    if not ctx.asked:
        return []
    verdicts = ctx.verdicts if ctx.verdicts is not None else category_verdicts(ctx.asked)
    # the pairs with a verdict, picked in C (a verdict is a non-empty tuple, no verdict None):
    # a few rows in a hundred have one
    verdicts = verdicts or []
    return [ctx.per_row("category-mismatch", r, level2=r.ind.level2, suggested=hit[0], percent=round(100 * hit[1]))
            for (_, r), hit in zip(compress(ctx.asked, verdicts), filter(None, verdicts))]


def check_flagged_share(ctx: Context) -> list[Finding]:
    """The share of distinct indicators (printed rows: both halves of a row are one indicator)
    labelled vague or malformed; a row counts as flagged when either half is."""
    labelled: dict[int, list[Row]] = {}  # a labelled line -> its flagged rows
    for r in ctx.rows:
        ind = r.ind
        if ind.label is not None:
            rows = labelled.get(ind.line)
            if rows is None:
                rows = labelled[ind.line] = []
            if ind.flagged:
                rows.append(r)
    flagged = [rows for rows in labelled.values() if rows]
    if not flagged:
        return []
    share = len(flagged) / len(labelled)
    return [ctx.finding("flagged-share", [r for rows in flagged for r in rows], magnitude=share,
                        flagged=len(flagged), total=len(labelled), percent=round(100 * share))]


# ---------------------------------------------------------------- 可行性


def check_dates_in_year(ctx: Context) -> list[Finding]:
    year = ctx.table.year
    if not year:
        return []
    out = []
    for r in ctx.rows:
        t = r.target
        if t.kind not in ("date", "deadline") or not t.date:
            continue
        when = int(t.date[:4])
        last = year if r.ind.period == "annual" else last_project_year(ctx, year)
        if when < year:
            where, where_en = "之前", "before"
        elif last is not None and when > last:
            where, where_en = "之后", "after"
        else:
            continue
        out.append(ctx.per_row("date-outside-budget-year", r, date=t.date, year=year, where=where, where_en=where_en))
    for r in ctx.rows:
        name = r.ind.name
        mentioned = _YEAR_IN_TEXT.findall(name) if "年" in name else None  # (a year is one before 年)
        stale = sorted({int(y) for y in mentioned if int(y) < year}) if mentioned else None
        if stale:
            out.append(ctx.per_row("stale-year-in-name", r, mentioned=stale[0], year=year))
    return out


def last_project_year(ctx: Context, year: int) -> int | None:
    """Last year of the implementation period; None when open-ended ("99年")."""
    years = ctx.project_years
    if years is None:
        return year
    return None if years >= OPEN_ENDED_YEARS else year + years - 1


CHECKS = (
    check_categories,
    check_measurable_benefit,
    check_halves,
    check_cost_against_funding,
    check_plausible_targets,
    check_measurable_units,
    check_duplicates,
    check_names,
    check_category_mismatch,
    check_flagged_share,
    check_dates_in_year,
)


def table_context(table: TableBlock, indicators: list[Indicator], only_its_own: bool = False) -> Context:
    """The Context of one table: its records (of `indicators`, those linked to it by (doc,
    table); `only_its_own`: the caller gives no other), ids assigned, each with its Target."""
    mine = indicators if only_its_own else [i for i in indicators if i.doc == table.doc and i.table == table.index]
    assign_ids(mine)
    year = table.year
    return Context(table=table, rows=[Row(i, i.target if i.target is not None else target_of(i, year)) for i in mine])


def review_context(ctx: Context) -> list[Finding]:
    """All findings of the table of `ctx`."""
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(ctx))
    return merge_same(findings)


def review_table(table: TableBlock, indicators: list[Indicator]) -> list[Finding]:
    """All findings of one table. `indicators` may hold other tables' records: only those linked
    to this table by (doc, table) are read."""
    return review_context(table_context(table, indicators))
