"""Chinese texts of the codes the reports show, from lexicons/report_codes.tsv (data, not code).

    zh("vague-direction-word")            -> "只有方向词（…），没有幅度"
    zh("time-indicator-without-date", "finding")  # a code that is both a reason and a finding
    label_name("quantitative")            -> "定量": the label's name alone, its text before "："
    legend()                              -> every row, for the xlsx 说明 sheet and the HTML rubric
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from .. import lexicon

CODES_FILE = "report_codes.tsv"
KINDS = ("label", "reason", "decider", "finding", "half", "criterion")
KIND_ZH = {"label": "标签", "reason": "原因", "decider": "判定方式", "finding": "发现", "half": "半表", "criterion": "准则"}


@dataclass(frozen=True, slots=True)
class CodeText:
    code: str
    kind: str
    zh: str
    criterion: str


@cache
def legend() -> tuple[CodeText, ...]:
    return tuple(CodeText(r["code"], r["kind"], r["zh"], r["criterion"]) for r in lexicon.table(CODES_FILE))


@cache
def _index() -> dict[tuple[str, str], CodeText]:
    return {(c.kind, c.code): c for c in legend()}


def entry(code: str, kind: str | None = None) -> CodeText | None:
    """The row of `code` (of `kind`, else the first kind that has it)."""
    table = _index()
    for k in (kind,) if kind else KINDS:
        if (k, code) in table:
            return table[(k, code)]
    return None


@lru_cache(maxsize=4096)  # codes are a small vocabulary; every row of the workbook and pages asks
def zh(code: str, kind: str | None = None) -> str:
    """The Chinese text of a code; the code itself when the lexicon has no row for it."""
    found = entry(code, kind)
    return found.zh if found else code


@lru_cache(maxsize=64)  # the labels
def label_name(label: str) -> str:
    """A label's Chinese name, its text before "：" ("定量：可核验的数值" -> "定量"): the workbook's 标签 column
    and the pages' label filter show it."""
    return zh(label, "label").split("：")[0]


@lru_cache(maxsize=4096)
def tooltip(code: str, kind: str | None = None) -> str:
    """"中文说明 · 准则" for a title attribute."""
    found = entry(code, kind)
    if found is None:
        return code
    return f"{found.zh} · {found.criterion}" if found.criterion else found.zh
