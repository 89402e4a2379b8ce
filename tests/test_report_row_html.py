# ruff: noqa: E501  (the old template block is kept verbatim, its lines as long as they were)
"""report.html.tbody_html and findings_html write the same bytes as the template blocks they
replaced (issue 13: the pages' per-row cost): the old jinja blocks, kept here, rendered with the
report's environment."""
from __future__ import annotations

from dataclasses import replace

import pytest

import kpiscan
from kpiscan.report import html

OLD_ROW_BLOCK = """<tbody>
    {% for row in t.rows %}
      <tr id="t{{ table.index }}-L{{ row.line }}" class="ind{% if row.weak %} weak{% elif row.noted %} noted{% endif %}" data-labels="{{ row.labels }}" data-level2="{{ row.level2 }}" data-codes="{{ row.all_codes }}">
        <td class="line"><a href="#t{{ table.index }}-L{{ row.line }}">{{ row.line }}</a>{% if row.page %}<div class="muted">第{{ row.page }}页</div>{% endif %}</td>
        <td class="cat{% if not row.show_level1 %} rep{% endif %}"><span>{{ row.level1 }}</span></td>
        <td class="cat{% if not row.show_level2 %} rep{% endif %}"><span>{{ row.level2 }}</span></td>
        {% for h in t.halves %}{% set ind = row.halves.get(h) %}
          {% if ind %}
          <td class="name{% if ind.flagged %} flagged{% endif %}">{{ ind.name }}{% if ind.name_raw %}<div class="muted">印作 {{ ind.name_raw }}</div>{% endif %}</td>
          <td class="value{% if ind.flagged %} flagged{% endif %}">{{ ind.value }}{% if ind.label %} <span class="label {{ ind.label }}" title="{{ tip(ind.label, 'label') }}">{{ ind.label }}</span>{% endif %}</td>
          <td class="why">{% for r in ind.reasons %}<span class="reason" title="{{ tip(r) }}">{{ r }}</span> {% endfor %}{% for c in row.codes.get(h, []) %}<span class="code" title="{{ tip(c, 'finding') }}">{{ c }}</span> {% endfor %}</td>
          {% else %}<td class="empty"></td><td class="empty"></td><td class="empty"></td>{% endif %}
        {% endfor %}
      </tr>
    {% endfor %}
    </tbody>"""
NEW_ROW_BLOCK = "{{ tbody_html(table.index, t.rows, t.halves) }}"

OLD_FINDINGS_BLOCK = """  {% if t.findings %}
  <h3>发现 Findings ({{ t.findings | length }})</h3>
  <ul class="findings">
  {% for f in t.findings %}
    <li class="{{ f.severity }}"><span class="sev">{{ f.severity }}</span> <span class="crit" title="{{ zh(f.criterion, 'criterion') }}">{{ f.criterion }}</span>
      <code class="code" title="{{ tip(f.code, 'finding') }}">{{ f.code }}</code> {{ f.message }}
      {% if f.period %}<span class="muted">（{{ half_zh(f.period) }}）</span>{% endif %}
      <span class="lines">{% for l in f.lines %}<a href="#t{{ table.index }}-L{{ l }}">{{ l }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</span>
      <span class="muted">−{{ '%g' % f.points }}</span></li>
  {% endfor %}
  </ul>
  {% else %}
  <p class="muted">无发现 · no findings</p>
  {% endif %}
</details>"""
NEW_FINDINGS_BLOCK = """  {{ findings_html(table.index, t.findings) }}
</details>"""

# a table's head on its page: header fields (and year), funds, goal clauses, texts
OLD_HEAD_BLOCKS = """      <table class="fields">
        {% for key, value in t.header %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}
        {% if table.year %}<tr><th>预算年度</th><td>{{ table.year }}</td></tr>{% endif %}
      </table>
        <tr><th>资金（元）</th>{% if t.funds_impl %}<th>实施期</th>{% endif %}<th>年度</th></tr>
        {% for name, impl, annual in t.funds %}<tr><th>{{ name }}</th>{% if t.funds_impl %}<td class="n">{{ impl | money }}</td>{% endif %}<td class="n">{{ annual | money }}</td></tr>{% endfor %}
      </table>
  <ul class="goal-clauses">{% for c in t.goal_clauses %}
    <li class="{{ 'covered' if c.indicators else ('gap' if c.promise else 'context') }}">{{ c.clause }} → {% if c.indicators %}{{ c.indicators | join('、') }}{% elif c.promise %}<strong>没有对应指标 · no indicator</strong>{% else %}背景 · context{% endif %}</li>{% endfor %}
  </ul>
    <table class="fields">{% for key, value in t.texts %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>{% endfor %}</table>"""
NEW_HEAD_BLOCKS = """      <table class="fields">
{{ fields_html(t.header) }}      </table>
        <tr><th>资金（元）</th>{% if t.funds_impl %}<th>实施期</th>{% endif %}<th>年度</th></tr>
{{ funds_html(t.funds, t.funds_impl) }}      </table>
  <ul class="goal-clauses">{{ clauses_html(t.goal_clauses) }}  </ul>
    <table class="fields">{{ fields_html(t.texts) }}</table>"""

OLD_SCORE_MACRO = """{# the score box of a table or document: total, one bar per criterion, the deductions #}
{% macro score_box(score, deductions=None) %}
<div class="score {% if score.score >= 90 %}good{% elif score.score >= 75 %}fair{% else %}poor{% endif %}">
  <div class="total"><span class="num">{{ '%g' % score.score }}</span><span class="of">/100</span></div>
  <table class="criteria">
  {% for c, weight in criteria().items() %}
    <tr><th title="{{ zh(c, 'criterion') }} · {{ criteria_en[c] }}">{{ c }}</th>
      <td><span class="meter"><span style="width: {{ (100 * score.criteria[c] / weight) | round(0) }}%"></span></span></td>
      <td class="n">{{ '%g' % score.criteria[c] }}/{{ '%g' % weight }}</td></tr>
  {% endfor %}
  </table>
  {% if deductions %}
  <ul class="deductions">
    {% for d in deductions %}<li><code class="code" title="{{ tip(d.code, 'finding') }}">{{ d.code }}</code> −{{ '%g' % d.points }} <span class="muted">({{ d.criterion }}, ×{{ d.count }})</span></li>{% endfor %}
  </ul>
  {% endif %}
</div>
{% endmacro %}"""


@pytest.fixture(scope="module")
def scanned(corpora):
    return kpiscan.scan(corpora / "000_dc3175b1d97e8850.txt", classify=True)


def render(block, table, rows, halves, findings=(), **view):
    env = html._env()
    env.autoescape = True
    env.filters["money"] = html.money  # the old blocks' filter
    return env.from_string(block).render(table=table, t={"rows": rows, "halves": halves, "findings": list(findings), **view})


@pytest.mark.parametrize("which", ["first", "two halves"])
def test_tbody_html_same_bytes_as_the_template(scanned, which):
    both = {"implementation", "annual"}
    table = scanned.tables[0] if which == "first" else next(
        t for t in scanned.tables if {i.period for i in scanned.indicators if i.table == t.index} >= both)
    mine = [i for i in scanned.indicators if i.table == table.index]
    assert len(mine) > 10 and any(i.label for i in mine) and any(i.reasons for i in mine)
    # what corpora/ does not print: a page, a printed name, characters to escape, a missing half
    odd = [replace(mine[0], name='<b>"A&B"</b>', name_raw="原'印'", page=3, value="≥<95>%"), *mine[1:]]
    if which == "two halves":  # a row whose halves differ in label and reasons (their order on the row)
        k = next(k for k, i in enumerate(odd) if k and i.line == odd[0].line)
        odd[0] = replace(odd[0], label="vague", reasons=["R-b", "R-a"], flagged=True)
        odd[k] = replace(odd[k], label="quantitative", reasons=["R-a", "R-c"], flagged=False)
    for inds in (mine, odd, [i for i in odd if i.period == "annual"]):
        coded = {i.id: ["E-x&<", "W1"][: i.line % 3] for i in inds}
        rows = html.grid(type("T", (), {"indicators": inds, "codes_by_record": lambda self, coded=coded: coded})())
        assert any(r.codes for r in rows) and (any(len(r.halves) == 2 for r in rows) or inds is not mine or which == "first")
        for halves in (["implementation", "annual"], ["annual"]):
            old = render(OLD_ROW_BLOCK, table, rows, halves)
            assert render(NEW_ROW_BLOCK, table, rows, halves) == old
            assert "&lt;b&gt;&#34;A&amp;B&#34;" in old or inds is mine or odd[0].period not in halves or odd[0] not in inds


@pytest.mark.parametrize("text", ["", "绩效目标", '<b>"A&B"</b>', "原'印'", "≥<95>%&amp;", 95, None, 2.5])
def test_esc_is_markupsafe_escape(text):
    from markupsafe import escape
    assert html.esc(text) == str(escape(text))


@pytest.mark.parametrize("amount", [None, 0, 3, -1234.5, 0.001, 1e20, float("nan"), float("inf"), float("-inf")])
def test_money_has_nothing_to_escape(amount):
    """funds_html writes money's text unescaped: it must be what the template's autoescape wrote."""
    assert html.esc(html.money(amount)) == html.money(amount)


def test_findings_html_same_bytes_as_the_template(scanned):
    from dataclasses import replace as copy

    from kpiscan.review import review_all
    found = review_all(scanned.tables, scanned.indicators).findings
    table = scanned.tables[0]
    mine = found  # the document's findings, printed under one table
    assert len(mine) > 3 and any(f.period for f in mine) and any(len(f.lines) > 1 for f in mine)
    # what corpora/ does not print: characters to escape in a message and a code, a fractional deduction
    odd = [copy(mine[0], message='<i>"≥95%" & \'B\'</i>', code="x&<y>", points=0.25), *mine[1:]]
    for findings in (mine, odd, []):
        old = render(OLD_FINDINGS_BLOCK, table, [], [], findings)
        assert render(NEW_FINDINGS_BLOCK, table, [], [], findings) == old
        assert "&lt;i&gt;&#34;≥95%&#34; &amp; &#39;B&#39;" in old or findings is not odd


def test_goal_clauses_name_lines_as_printed_rows(scanned):
    """A page's goal clauses (matched already by the practice findings) name each matched line as
    printed_rows names its Row, without making the Rows again."""
    from kpiscan.practice.families import printed_rows
    from kpiscan.practice.goals import match_goals
    from kpiscan.practice.report import goal_clauses
    named = 0
    for table in scanned.tables:
        rows = printed_rows([i for i in scanned.indicators if i.table == table.index])
        clauses = match_goals(table, rows)
        name_of = {r.line: r.name for r in rows}
        expected = [list(dict.fromkeys(name_of[line] for line in c.matched)) for c in clauses]
        got = goal_clauses(table, scanned.indicators, clauses)
        assert [g["indicators"] for g in got] == expected
        assert goal_clauses(table, scanned.indicators) == got  # matched here or handed over: the same
        named += sum(map(len, expected))
    assert named > 20


def test_table_head_same_bytes_as_the_template(scanned):
    from dataclasses import replace as copy

    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    # what corpora/ does not print: characters to escape, a missing amount, a table without a year,
    # a promise with no indicator, a clause that is context
    odd = copy(doc.tables[0], table=copy(doc.tables[0].table, year=None, fields={
        **doc.tables[0].table.fields, "项目名称": '<a href="x">A&B</a>', "项目概况": "原'印'"}))
    odd.table.funds = {"annual": {"total": 1234.5}, "implementation": {"total": None, "fiscal": 0.25}}
    views = [html._table_view(t) for t in (*doc.tables, odd)]
    views[-1]["goal_clauses"] = [{"clause": "完成<年度>任务", "promise": True, "indicators": []},
                                 {"clause": "背景 & 说明", "promise": False, "indicators": []},
                                 {"clause": "保障\"运行\"", "promise": True, "indicators": ["A&B", "C"]}]
    kinds = set()
    for v in views:
        assert v["header"] and v["funds"]
        kinds |= {"impl" if v["funds_impl"] else "annual", *(c["promise"] for c in v["goal_clauses"])}
        year = [("预算年度", v["table"].year)] if v["table"].year else []
        view = {k: x for k, x in v.items() if k not in ("table", "rows", "halves", "findings")}
        old = render(OLD_HEAD_BLOCKS, v["table"], [], [], **{**view, "header": v["header"][: len(v["header"]) - len(year)]})
        assert render(NEW_HEAD_BLOCKS, v["table"], [], [], **view) == old
    assert kinds >= {"impl", "annual", True, False}
    assert "&lt;a href=&#34;x&#34;&gt;A&amp;B&lt;/a&gt;" in old and "1,234.5" in old


def test_score_html_same_bytes_as_the_macro(scanned):
    from dataclasses import replace as copy

    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    scores = [t.score for t in doc.tables if t.score]
    assert len({s.score >= 90 for s in scores} | {75 <= s.score < 90 for s in scores}) == 2
    assert any(s.deductions for s in scores)
    # what corpora/ does not score: a poor table, fractional points, a code to escape
    d = scores[0].deductions[0] if scores[0].deductions else next(s for s in scores if s.deductions).deductions[0]
    odd = copy(scores[0], score=12.5, deductions=[copy(d, code="a<b>&'c'", points=2.25)])
    # rows and deductions kept by value and type (_criterion_row, _deduction_item): a zero's sign,
    # an int or a bool where a float or an int was, written as each is
    first = next(iter(scores[0].criteria))
    signed = [copy(scores[0], criteria={**scores[0].criteria, first: got}, deductions=[copy(d, points=points, count=n)])
              for got, points, n in ((0.0, 0.0, 1), (-0.0, -0.0, True), (0, 1.0, 1), (0.0, 1.0, True), (-0.0, -0.0, 1))]
    env = html._env()
    macro = env.from_string(OLD_SCORE_MACRO + "{{ score_box(s, s.deductions) }}|{{ score_box(s) }}")
    for s in (*scores, doc.score, odd, *signed, *scores):
        assert f"{html.score_html(s, getattr(s, 'deductions', None))}|{html.score_html(s)}" == macro.render(s=s)
    assert "a&lt;b&gt;&amp;&#39;c&#39;" in macro.render(s=odd)
    assert ">-0/" in macro.render(s=signed[1]) and "−-0 " in macro.render(s=signed[1]) and "×True" in macro.render(s=signed[3])


OLD_BADGE_AND_HEADS = """<h2>
    {% if t.score %}<span class="badge {% if t.score.score >= 90 %}good{% elif t.score.score >= 75 %}fair{% else %}poor{% endif %}">{{ '%g' % t.score.score }}</span>{% endif %}</h2>
      <tr><th rowspan="2">源行</th>
        {% for h in t.halves %}<th colspan="3" class="half">{{ half_zh(h) }}</th>{% endfor %}</tr>
      <tr>{% for h in t.halves %}<th>三级指标</th><th>指标值</th><th>原因 · 发现</th>{% endfor %}</tr>"""
NEW_BADGE_AND_HEADS = """<h2>
    {% if t.score %}{{ badge_html(t.score) }}{% endif %}</h2>
      <tr><th rowspan="2">源行</th>
        {% if t.halves %}{{ half_heads(t.halves) }}{% endif %}</tr>
      <tr>{{ half_columns(t.halves) }}</tr>"""


def test_badge_and_half_headings_same_bytes_as_the_template(scanned):
    from dataclasses import replace as copy

    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    scores = [t.score for t in doc.tables if t.score]
    seen = ""
    for score in (*scores, copy(scores[0], score=12.5), None):
        for halves in (["implementation", "annual"], ["annual"], ["annual", "implementation"]):
            view = {"score": score}
            old = render(OLD_BADGE_AND_HEADS, doc.tables[0].table, [], halves, **view)
            assert render(NEW_BADGE_AND_HEADS, doc.tables[0].table, [], halves, **view) == old
            seen += old
    assert all(f'class="badge {band}"' in seen for band in ("good", "fair", "poor")) and "实施期" in seen


# a document page's table of contents and table sections, as templates/doc.html's loops wrote them
OLD_TABLES_BLOCKS = """    <ol class="toc">
    {% for t in tables %}
      <li><a href="#t{{ t.table.index }}">{{ t.table.project or t.table.title }}</a>
        {% if t.score %}{{ badge_html(t.score) }}{% endif %}</li>
    {% endfor %}
    </ol>
</div>

{% for t in tables %}
{% set table = t.table %}
<section class="kpi-table" id="t{{ table.index }}" data-table="{{ table.index }}">
<details class="fold"{% if not collapsed %} open{% endif %}>
  <summary><h2><span class="muted">表 {{ table.index }} · {{ '项目' if table.kind == 'project' else '部门整体' }} · 第{{ table.line }}行 · {{ t.n_indicators }} 个指标{% if t.n_flagged %} · {{ t.n_flagged }} 存疑{% endif %}</span><br>{{ table.project or table.title }}
    {% if t.score %}{{ badge_html(t.score) }}{% endif %}</h2></summary>
  <div class="table-head">
    <div>
      <table class="fields">
{{ fields_html(t.header) }}      </table>
      {% if t.funds %}
      <table class="funds">
        <tr><th>资金（元）</th>{% if t.funds_impl %}<th>实施期</th>{% endif %}<th>年度</th></tr>
{{ funds_html(t.funds, t.funds_impl) }}      </table>
      {% endif %}
    </div>
    {% if t.score %}{{ score_html(t.score, t.score.deductions) }}{% endif %}
  </div>
  {% if t.goals[0] or t.goals[1] %}
  <table class="goals">
    <tr>{% if table.kind == 'project' %}<th>总体目标 · 实施期目标</th>{% endif %}<th>{{ '总体目标 · 年度目标' if table.kind == 'project' else '年度绩效目标' }}</th></tr>
    <tr>{% if table.kind == 'project' %}<td>{{ t.goals[0] }}</td>{% endif %}<td>{{ t.goals[1] }}</td></tr>
  </table>
  {% if t.goal_clauses %}
  <ul class="goal-clauses">{{ clauses_html(t.goal_clauses) }}  </ul>
  {% endif %}
  {% endif %}
  {% if t.texts %}
  <details><summary>项目概况等 · project description</summary>
    <table class="fields">{{ fields_html(t.texts) }}</table>
  </details>
  {% endif %}

  <table class="indicators">
    <thead>
      <tr><th rowspan="2">源行</th><th rowspan="2">一级指标</th><th rowspan="2">二级指标</th>
        {% if t.halves %}{{ half_heads(t.halves) }}{% endif %}</tr>
      <tr>{{ half_columns(t.halves) }}</tr>
    </thead>
    {{ tbody_html(table.index, t.rows, t.halves) }}
  </table>
  <p class="none muted" hidden>没有符合筛选条件的行 · no row matches the filters</p>

  {{ findings_html(table.index, t.findings) }}
</details>
</section>
{% endfor %}

<details>"""
NEW_TABLES_BLOCKS = """    <ol class="toc">
{{ toc_html(tables) }}    </ol>
</div>

{{ tables_html(tables, collapsed) }}
<details>"""


def test_tables_html_same_bytes_as_the_template(scanned):
    from dataclasses import replace as copy

    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    views = [html._table_view(t) for t in doc.tables]
    assert {v["table"].kind for v in views} >= {"project"} and any(v["n_flagged"] for v in views)
    # what corpora/ does not print: a department table without a score, funds or flagged rows,
    # with only an annual goal and characters to escape in its title and goal
    first = views[0]
    odd = {**first, "table": copy(first["table"], kind="department", project="", title='<b>"部门"&</b>', index=99),
           "score": None, "funds": [], "n_flagged": 0, "goals": ("", "完成<年度>任务 & '保障'"), "goal_clauses": [],
           "texts": []}
    env = html._env()
    old_block, new_block = env.from_string(OLD_TABLES_BLOCKS), env.from_string(NEW_TABLES_BLOCKS)
    for tables in (views, [odd], [*views[:2], odd], []):
        for collapsed in (False, True):
            old = old_block.render(tables=tables, collapsed=collapsed)
            assert new_block.render(tables=tables, collapsed=collapsed) == old
    assert "&lt;b&gt;&#34;部门&#34;&amp;&lt;/b&gt;" in old_block.render(tables=[odd], collapsed=False)


def test_page_joined_around_its_sections_same_bytes_as_the_template(scanned, tmp_path, monkeypatch):
    """HtmlReport.add joins the table sections into the rendered page itself: the page is the
    template rendered whole, tables_html included (folded and open)."""
    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    report = html.HtmlReport(tmp_path)
    for fold_above in (html.COLLAPSE_ABOVE, 0):
        monkeypatch.setattr(html, "COLLAPSE_ABOVE", fold_above)
        page = report.add(doc).read_text(encoding="utf-8")
        tables = [html._table_view(t) for t in doc.tables]
        whole = report.doc_template.render(doc=doc.doc, doc_score=doc.score, tables=tables, filters=html._filters(doc),
                                           n_indicators=doc.n_indicators, collapsed=doc.n_indicators > fold_above,
                                           root="../")
        assert page == whole and "\x00" not in page
        assert ('<details class="fold" open>' in page) is (doc.n_indicators <= fold_above)
    report.spool.close()


OLD_FILTER_OPTIONS = """  <select id="f-label" aria-label="标签"><option value="">全部标签 all labels</option>
    {% for l in filters.labels %}<option value="{{ l }}" title="{{ tip(l, 'label') }}">{{ zh(l, 'label').split('：')[0] }} {{ l }}</option>{% endfor %}</select>
  <select id="f-level2" aria-label="二级指标"><option value="">全部二级指标</option>
    {% for l in filters.level2 %}<option value="{{ l }}">{{ l }}</option>{% endfor %}</select>
  <select id="f-code" aria-label="代码"><option value="">全部原因/发现代码</option>
    {% for c in filters.codes %}<option value="{{ c }}" title="{{ tip(c) }}">{{ c }} · {{ zh(c) }}</option>{% endfor %}</select>"""
NEW_FILTER_OPTIONS = """  <select id="f-label" aria-label="标签"><option value="">全部标签 all labels</option>
{{ options_html(filters.labels, 'label') }}</select>
  <select id="f-level2" aria-label="二级指标"><option value="">全部二级指标</option>
{{ options_html(filters.level2, 'level2') }}</select>
  <select id="f-code" aria-label="代码"><option value="">全部原因/发现代码</option>
{{ options_html(filters.codes, 'code') }}</select>"""


def test_filter_options_same_bytes_as_the_template(scanned):
    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    filters = html._filters(doc)
    assert filters["labels"] and filters["level2"] and len(filters["codes"]) > 5
    # what corpora/ does not print: a 二级指标 and a code to escape, a code without a lexicon row
    odd = {"labels": [], "level2": ['"效益"<指标>&'], "codes": ["x&<y>", "no-such-code"]}
    env = html._env()
    for f in (filters, odd):
        old = env.from_string(OLD_FILTER_OPTIONS).render(filters=f)
        assert env.from_string(NEW_FILTER_OPTIONS).render(filters=f) == old
    assert "&#34;效益&#34;&lt;指标&gt;&amp;" in old and "x&amp;&lt;y&gt;" in old


def test_pages_templates_compiled_once_per_machine_and_read_back_alike(scanned, tmp_path, monkeypatch):
    """The pages' templates are compiled by jinja2 once per machine (its FileSystemBytecodeCache,
    in the user's temporary directory): a second report reads their code back without compiling
    them, and renders the same page as templates compiled afresh."""
    import tempfile

    from jinja2 import Environment

    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    pages = []
    compiled: list[str | None] = []
    real_compile = Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return real_compile(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", counting)
    for run in ("cold", "warm"):
        compiled.clear()
        report = html.HtmlReport(tmp_path / run)
        pages.append(report.add(doc).read_text(encoding="utf-8"))
        report.spool.close()
        if run == "cold":
            assert {"base.html", "doc.html", "_rubric.html"} <= set(compiled)
            assert list((tmp_path / "tmp").glob("_jinja2-cache-*/__jinja2_*.cache"))
        else:
            assert compiled == []
    assert pages[0] == pages[1] and "<html" in pages[0]


@pytest.mark.parametrize("trouble", ["no cache directory", "a full disk"])
def test_pages_written_alike_when_the_templates_cache_cannot_be_kept(scanned, tmp_path, monkeypatch, trouble):
    """A temporary directory where jinja2 cannot make its cache directory (here a file in its
    place), or a disk that refuses the cache's files: the report writes the same page, its
    templates compiled in the process, and says nothing."""
    import tempfile

    from kpiscan.report.facts import documents
    from kpiscan.review import review_all
    [doc] = documents(scanned.tables, scanned.indicators, review_all(scanned.tables, scanned.indicators))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "fresh"))
    (tmp_path / "fresh").mkdir()
    report = html.HtmlReport(tmp_path / "kept")
    kept = report.add(doc).read_text(encoding="utf-8")
    report.spool.close()
    if trouble == "no cache directory":
        (tmp_path / "file").write_text("not a directory")
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "file"))
        assert html._bytecode_cache() is None
    else:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "full"))
        (tmp_path / "full").mkdir()

        def full(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(tempfile, "NamedTemporaryFile", full)
        assert html._bytecode_cache() is not None
    report = html.HtmlReport(tmp_path / "troubled")
    assert report.add(doc).read_text(encoding="utf-8") == kept
    report.spool.close()


def test_a_pages_tail_encoded_once_follows_a_changed_tail(tmp_path):
    """HtmlReport keeps the last page's text after its sections encoded: another text is encoded anew."""
    r = html.HtmlReport(tmp_path)
    try:
        for tail in ("评分规则 · rubric", "评分规则 · rubric", "other", "", "评分规则 · rubric"):
            assert r._encoded_tail(tail) == tail.encode()
    finally:
        r.spool.close()
