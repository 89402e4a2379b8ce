"""The review and the practice rows against their plain computation on the real rows of corpora/
(sixteenth round, review4: each of these was made cheaper; the findings, scores and rows must
be the ones the plain code gives)."""
from __future__ import annotations

from collections import defaultdict
from string import Formatter

import pytest

import kpiscan
from kpiscan.review import checks, review_all, score
from kpiscan.review import findings as findings_module
from kpiscan.review.checks import Context, Row, category_verdicts, table_context


@pytest.fixture(scope="module")
def scanned(corpora):
    return kpiscan.scan(corpora, classify=True)  # labels, flags and the category model's verdicts


# ----------------------------------------------------------------- the plain computations


def plain_make(code, doc, table, lines, *, period="", magnitude=1.0, records=None, doc_hash=None, **facts):
    """findings.make as it was: each language formatted on its own, the points rounded each time,
    the fields by keyword, lines and records always through a set and a dict."""
    rule = findings_module.rules()[code]
    if "half" in facts:
        facts.setdefault("half_en", findings_module.HALF_EN.get(facts["half"], facts["half"]))
        facts["half"] = findings_module.HALF_ZH.get(facts["half"], facts["half"])
    return findings_module.Finding(
        code=code, severity=rule.severity, criterion=rule.criterion,
        message=f"{rule.message_zh.format(**facts)} / {rule.message_en.format(**facts)}",
        doc=doc, table=table, lines=sorted(set(lines)), period=period, points=round(rule.points * magnitude, 2),
        records=list(dict.fromkeys(records or [])), doc_hash=doc_hash)


def plain_deductions(findings):
    """score.deductions as it was: defaultdicts, every rule of the lexicon in order, each total rounded."""
    total: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for f in findings:
        total[f.code] += f.points
        count[f.code] += 1
    return [score.Deduction(code, rule.criterion, round(min(total[code], rule.cap), 2), count[code])
            for code, rule in findings_module.rules().items() if code in total]


def plain_flagged_share(ctx: Context):
    labelled: dict[int, list[Row]] = defaultdict(list)
    for r in ctx.rows:
        if r.ind.label is not None:
            labelled[r.ind.line].append(r)
    flagged = [rows for rows in labelled.values() if any(r.ind.flagged for r in rows)]
    if not labelled or not flagged:
        return []
    share = len(flagged) / len(labelled)
    return [ctx.finding("flagged-share", [r for rows in flagged for r in rows if r.ind.flagged], magnitude=share,
                        flagged=len(flagged), total=len(labelled), percent=round(100 * share))]


def plain_names(ctx: Context):
    out = []
    for r in ctx.rows:
        ind = r.ind
        if ind.name.strip() and (checks.level2_of(ind.name) or checks.level1_of(ind.name) or r.key in ("指标", "三级指标")):
            out.append(ctx.per_row("name-repeats-category", r))
        if r.money_or_input:
            out.append(ctx.per_row("money-or-input-as-output", r))
    return out


def plain_cost_against_funding(ctx: Context):
    """check_cost_against_funding as it was: each half's rows found anew, total-cost words asked per use."""
    from kpiscan.review.vocab import mentions

    out = []
    for half in ctx.halves:
        funding = ctx.funding(half)
        if not funding:
            continue
        named = "both" if ctx.same_scope and len(ctx.halves) == 2 else half
        costs = [r for r in ctx.rows if r.ind.period == half
                 and r.ind.level2 == "成本指标" and r.is_money and not r.target.per and r.bound is not None]
        facts = dict(half=named, funding=checks.money(funding), period=half if named != "both" else "")
        exceeded = False
        for r in costs:
            bound = r.bound or 0.0
            if bound > funding + checks.MONEY_TOLERANCE:
                out.append(ctx.per_row("cost-exceeds-funding", r, **facts))
                exceeded = True
            elif mentions(r.ind.name, "total_cost") and bound < checks.TOTAL_COST_SHORTFALL * funding:
                out.append(ctx.per_row(
                    "cost-contradicts-funding", r, **facts,
                    why=f"总成本低于资金总额的{checks.TOTAL_COST_SHORTFALL:.0%}",
                    why_en=f"total cost below {checks.TOTAL_COST_SHORTFALL:.0%} of the funding"))
        items = [r for r in costs if not mentions(r.ind.name, "total_cost") and not mentions(r.ind.name, "unit_price")]
        has_total = any(mentions(r.ind.name, "total_cost") for r in costs)
        if not exceeded and not has_total and len(items) >= 2:
            total = sum(r.bound or 0.0 for r in items)
            if total > funding + checks.MONEY_TOLERANCE:
                out.append(ctx.finding("cost-exceeds-funding", items, **facts, value=f"合计 {checks.money(total)}元"))
    return out


def plain_halves(ctx: Context):
    """check_halves as it was (review6): each half's rows by key made anew, every key looked at."""
    if ctx.halves != ["implementation", "annual"]:
        return []
    by_half = {h: {r.key: r for r in ctx.rows if r.ind.period == h} for h in ctx.halves}
    impl, annual = by_half["implementation"], by_half["annual"]
    weight = 1.0 if ctx.same_scope else 0.5
    out = []
    for half, mine, other in (("implementation", impl, annual), ("annual", annual, impl)):
        for key, row in mine.items():
            if key and key not in other:
                out.append(ctx.finding("halves-disagree-only-in-one-half", [row], period=half,
                                       magnitude=weight, name=row.ind.name, half=half))
    if ctx.same_scope:
        for key, left in impl.items():
            right = annual.get(key)
            if right is not None and not (checks.norm(left.ind.value) == checks.norm(right.ind.value) or (
                    left.target.kind != "qualitative" and all(getattr(left.target, f) == getattr(right.target, f) for f in
                                                              ("kind", "op", "value", "low", "high", "unit", "date", "period")))):
                out.append(ctx.finding("halves-disagree-value", [left, right], name=left.ind.name,
                                       value_implementation=left.ind.value, value_annual=right.ind.value))
    return out


def plain_duplicates(ctx: Context):
    """check_duplicates as it was (review6): every table's rows grouped."""
    groups = defaultdict(list)
    for r in ctx.rows:
        if r.key:
            groups[(r.ind.period, r.key)].append(r)
    return [ctx.finding("duplicate-indicator", rows, period=half, name=rows[0].ind.name, count=len(rows))
            for (half, _), rows in groups.items() if len(rows) > 1]


PLAIN = {"check_flagged_share": plain_flagged_share, "check_names": plain_names,
         "check_cost_against_funding": plain_cost_against_funding, "check_halves": plain_halves,
         "check_duplicates": plain_duplicates}


def plain_review(tables, indicators):
    """review_table and score_table of each table on its own (each table's verdicts asked alone,
    its records found among all), with the plain checks and messages above."""
    found, scores = [], []
    for t in tables:
        ctx = table_context(t, indicators)
        ctx.verdicts = None  # check_category_mismatch asks about this table's rows alone
        got = []
        for check in checks.CHECKS:
            plain = PLAIN.get(check.__name__, check)
            got.extend(plain(ctx))
        got = checks.merge_same(got)
        found += got
        scores.append(score.score_table(t, indicators, got))
    return found, scores


# ----------------------------------------------------------------- the tests


def test_review_all_is_the_plain_review_of_each_table(scanned, monkeypatch):
    """review_all (the document's verdicts by position, each half's rows once, names asked once
    per table, one message format) finds and scores what the plain per-table review does on
    every table of corpora/, message for message."""
    review = review_all(scanned.tables, scanned.indicators)
    monkeypatch.setattr(checks, "make", plain_make)
    found, scores = plain_review(scanned.tables, scanned.indicators)
    assert [f.to_dict() for f in review.findings] == [f.to_dict() for f in found]
    assert [s.to_dict() for s in review.tables] == [s.to_dict() for s in scores]
    codes = {f.code for f in found}
    assert {"flagged-share", "name-repeats-category", "category-mismatch", "cost-exceeds-funding",
            "cost-contradicts-funding", "halves-disagree-only-in-one-half", "halves-disagree-value",
            "duplicate-indicator"} <= codes


def test_make_is_the_two_formats_of_every_rule():
    """make's one template ("中文 / English") gives each language's own format, and the points
    of a magnitude 1 are the rounded ones, for every rule of the lexicon."""
    for code, rule in findings_module.rules().items():
        fields = {name: f"<{name}>" for text in (rule.message_zh, rule.message_en)
                  for _, name, _, _ in Formatter().parse(text) if name}
        fields["half"] = "annual"
        for magnitude in (1.0, 0.5, 1 / 3):
            made = findings_module.make(code, "d", 1, [3, 2, 3], magnitude=magnitude, records=["a", "b", "a"], **dict(fields))
            assert made == plain_make(code, "d", 1, [3, 2, 3], magnitude=magnitude, records=["a", "b", "a"], **dict(fields))
        # one line and one record (copied, not through a set and a dict), none, a document's hash
        for lines, records in (([7], ["a"]), ([], None), ([7], [])):
            made = findings_module.make(code, "d", 1, lines, records=records, doc_hash="h", **dict(fields))
            assert made == plain_make(code, "d", 1, lines, records=records, doc_hash="h", **dict(fields))
            assert made.lines is not lines and made.records is not records


def test_make_fills_each_message_as_its_facts_say_through_the_memo():
    """make's memo of messages (findings.filled) gives the plain format whatever came before: 1,
    1.0 and True fill a template differently; the same values under other names, and a fact
    that cannot be a key (a list), are filled anew."""
    made = [findings_module.make("flagged-share", "d", 1, [1], flagged=v, total=10, percent=30)
            for v in (1, 1.0, True, 1, 1.0)]
    assert [m.message.split("/")[0] for m in made] == ["1", "1.0", "True", "1", "1.0"]
    for facts in ({"flagged": 3, "total": 10, "percent": 30}, {"total": 3, "flagged": 10, "percent": 30},
                  {"flagged": [3], "total": 10, "percent": 30}):
        made_one = findings_module.make("flagged-share", "d", 1, [1], **facts)
        assert made_one == plain_make("flagged-share", "d", 1, [1], **facts)


def test_scores_are_the_plain_rounding_and_means(scanned):
    """findings' `rounded` is round (whole numbers kept as they are), score's deductions the plain
    ones, on every table and document of corpora/ and on random scores."""
    import random
    import statistics

    review = review_all(scanned.tables, scanned.indicators)
    for t in review.tables:
        found = review.findings_of(t.doc, t.table)
        assert score.deductions(found) == plain_deductions(found)
        assert all(findings_module.rounded(v, 1) == round(v, 1) for v in t.criteria.values())
    for d in review.documents:
        tables = [t for t in review.tables if t.doc == d.doc]
        assert d.score == round(statistics.mean(t.score for t in tables), 1)
    r = random.Random(13)
    for _ in range(20_000):
        values = [round(r.uniform(0, 100), r.choice((0, 1, 2))) * r.choice((1.0, 0.5, 1 / 3)) for _ in range(r.randint(1, 9))]
        assert all(findings_module.rounded(v, k) == round(v, k) for v in values for k in (1, 2))


def test_category_verdicts_follow_the_pairs_as_the_verdicts_by_key(scanned):
    """category_verdicts gives each asked pair its key's one verdict (repeated keys included: the
    halves of a table), in the pairs' order."""
    asked = [pair for t in scanned.tables for pair in table_context(t, scanned.indicators).asked]
    assert len({key for key, _ in asked}) < len(asked)  # keys asked again
    verdicts = category_verdicts(asked)
    hits = dict(zip((key for key, _ in asked), verdicts or ()))  # each key's verdict
    assert verdicts is not None and len(verdicts) == len(asked)
    assert verdicts == [hits[key] for key, _ in asked]
    assert any(v is not None for v in verdicts)


def test_halves_rows_are_the_rows_of_each_period(scanned):
    for t in scanned.tables[:60]:
        ctx = table_context(t, scanned.indicators)
        for half in ("implementation", "annual", "other"):
            assert ctx.in_half(half) == [r for r in ctx.rows if r.ind.period == half]


def test_printed_rows_are_the_plain_rows_of_corpora(scanned):
    """printed_rows (the row's place read by one attrgetter, a quantity's number, unit and
    dimension read inline) gives the Rows the plain loop over number_of, unit_label and
    dimension gives, on every indicator of corpora/, and from an iterator as from a list."""
    from kpiscan.practice.families import Row as PracticeRow
    from kpiscan.practice.families import dimension, name_keys, number_of, printed_rows, unit_label

    def plain(indicators):
        best: dict[tuple, list] = {}
        for ind in indicators:
            k = (ind.doc, ind.table, ind.line, ind.name)
            entry = best.get(k)
            if entry is None:
                best[k] = [ind, ind.id] if ind.id else [ind]
                continue
            if ind.id:
                entry.append(ind.id)
            if ind.period == "annual" and entry[0].period != "annual":
                entry[0] = ind
        rows = []
        for entry in best.values():
            ind = entry[0]
            if not ind.name.strip():
                continue
            normalised, key, pooled = name_keys(ind.name)
            t = ind.target
            if t is None:
                kind, op, unit, dim = "", None, None, None
            else:
                kind, op = t.kind, t.op
                unit = unit_label(t) if kind == "quantity" else None
                dim = dimension(t.unit) if unit else None
            rows.append(PracticeRow(ind.doc, ind.table, ind.line, ind.level2, ind.name, key, pooled, ind.value, kind, op,
                                    number_of(t), unit, dim, ind.period, tuple(entry[1:]), normalised))
        return rows

    expected = plain(scanned.indicators)
    assert printed_rows(scanned.indicators) == expected
    assert printed_rows(iter(scanned.indicators)) == expected
    assert any(r.unit and "/" in r.unit for r in expected) and any(r.dim for r in expected)
