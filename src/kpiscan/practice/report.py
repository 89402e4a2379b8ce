"""What the reports show of indicator practice, for the report writers to lay out:

- `library_rows(indicators)`: the "指标库 Library" sheet of the reviewer workbook;
- `family_ranges_svg(indicators)`: the overview chart of target distributions per family;
- `goal_clauses(table, indicators)`: the goal clauses shown beside the 总体目标 on a document page.

The library is the scan's own when it holds at least MIN_DOCS documents, else the built-in one
(made from corpora/) restricted to the families the scan's indicators belong to.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from ..model import Indicator, TableBlock
from .families import Library, build_library, builtin_library, printed_rows, sheet_rows
from .goals import match_goals

MIN_DOCS = 5
CHART_FAMILIES = 12


def library_for(indicators: list[Indicator]) -> Library:
    docs = {i.doc for i in indicators}
    return build_library(indicators) if len(docs) >= MIN_DOCS else builtin_library()


def families_of_scan(indicators: list[Indicator], library: Library) -> set[str]:
    return {f for f in (library.family_of(r.level2, r.name, r.dim) for r in printed_rows(indicators)) if f}


def library_rows(indicators: list[Indicator], library: Library | None = None, families: set[str] | None = None) -> list[dict]:
    """The workbook sheet: one row per family and unit (families.sheet_rows: members joined,
    quantiles) with `in_scan`, the families of this scan's indicators first (`families`: those,
    when already known)."""
    library = library if library is not None else library_for(indicators)
    mine = families if families is not None else families_of_scan(indicators, library)
    rows = [{"in_scan": r["family_id"] in mine, **r} for r in sheet_rows(library)]
    rows.sort(key=lambda r: (not r["in_scan"], -r["count"]))
    return rows


def family_ranges_svg(indicators: list[Indicator], library: Library | None = None, top: int = CHART_FAMILIES,
                      width: int = 620, families: set[str] | None = None) -> Markup:
    """Rate targets (%) of the most common families: q10-q90 as a line, q25-q75 as a box, the
    median as a tick, with the number of targets; inline SVG, no script. `families`: the
    families of the scan's indicators, when already known."""
    library = library if library is not None else library_for(indicators)
    mine = families if families is not None else families_of_scan(indicators, library)
    rows = _most_targets([r for r in library.family_rows if r["unit"] == "%" and r["n_targets"] >= 3
                          and r["family_id"] in mine], top)
    lo = min(50.0, float(min(r["q10"] for r in rows))) if rows else 50.0
    label_w, bar_h, gap = 200, 14, 8
    span = width - label_w - 60

    def x(v: float) -> float:
        return label_w + span * (float(v) - lo) / (100.0 - lo if 100.0 > lo else 1.0)

    body = []
    for n, r in enumerate(rows):
        y = n * (bar_h + gap)
        mid = y + bar_h / 2
        q10, q25, q50, q75, q90, n_targets = r["q10"], r["q25"], r["q50"], r["q75"], r["q90"], r["n_targets"]
        title = escape(f"{r['family_id']}: q10 {q10:g}% · q25 {q25:g}% · median {q50:g}% · q75 {q75:g}% · "
                       f"q90 {q90:g}% ({n_targets} targets)")
        body.append(
            f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{escape(r["family"][:14])}</text>'
            f'<g><title>{title}</title>'
            f'<line x1="{x(q10):.1f}" y1="{mid}" x2="{x(q90):.1f}" y2="{mid}" stroke="#1f4e79"/>'
            f'<rect x="{x(q25):.1f}" y="{y}" width="{max(1.5, x(q75) - x(q25)):.1f}" height="{bar_h}" '
            f'fill="#9ec5e8" stroke="#1f4e79"/>'
            f'<line x1="{x(q50):.1f}" y1="{y}" x2="{x(q50):.1f}" y2="{y + bar_h}" stroke="#c62828" stroke-width="2"/></g>'
            f'<text x="{width - 50}" y="{y + 11}">n={n_targets}</text>'
        )
    axis_y = len(rows) * (bar_h + gap) + 4
    for tick in (lo, (lo + 100) / 2, 100):
        body.append(f'<text x="{x(tick):.1f}" y="{axis_y + 10}" text-anchor="middle">{tick:g}%</text>')
    height = axis_y + 16
    return Markup(
        f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="\'Noto Sans CJK SC\',\'Microsoft YaHei\',sans-serif" font-size="12">'
        f'<title>rate targets per indicator family</title>{"".join(body)}</svg>'
    )


def _most_targets(rows: list[dict], top: int) -> list[dict]:
    """The `top` rows with the most targets, in the order pandas' `sort_values("n_targets",
    ascending=False).head(top)` gives them (the chart's order before): its default sort is
    numpy's quicksort, not stable, so ties come in the order numpy's argsort of the reversed
    counts gives (pandas.core.sorting.nargsort's steps, on the same int64 array)."""
    import numpy as np

    items = np.asarray([r["n_targets"] for r in rows], dtype=np.int64)
    order = np.arange(len(items))[::-1][items[::-1].argsort(kind="quicksort")][::-1]
    return [rows[k] for k in order[:top].tolist()]


def goal_clauses(table: TableBlock, indicators: list[Indicator], clauses: list | None = None) -> list[dict]:
    """Each goal clause with the names of the indicators that measure it ([] and promise: a gap).
    `clauses`: the table's match_goals, when already matched (check_goals' `clauses_of`)."""
    mine = [i for i in indicators if i.doc == table.doc and i.table == table.index]
    if clauses is None:
        clauses = match_goals(table, printed_rows(mine))
    # each line's name as printed_rows names its Row (the last distinct name printed on it), without
    # making the Rows again: a page asks this of every table
    name_of = {line: name for line, name in dict.fromkeys((i.line, i.name) for i in mine if i.name.strip())}
    return [{"clause": c.text, "promise": c.promise, "indicators": list(dict.fromkeys(name_of[l] for l in c.matched))}
            for c in clauses]
