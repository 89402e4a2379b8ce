"""Table layouts as data: each file in lexicons/templates/ declares one layout of a 绩效目标表.

A template file is a TSV of (what, text, role) rows:
- `layout`: how its periods are laid out: side-by-side (实施期 | 年度 halves in one row), single (one
  value column, 年度), stacked (blocks of rows under 长期/实施期 and 年度 block captions) or flat (a
  system export, one row per indicator, the project in a leading column).
- `footer`: yes when its tables close at a 负责人/填报日期 footer (a table cut off before it is noted).
- `caption`: a caption of the indicator caption row and the role of its column: level1, level2,
  name, value, value-sign, value-number, value-unit, nature, weight, standard, note, org, project,
  budget, goal, skip.
- `block`: a block caption of a stacked layout and the period of the rows under it.

A caption row is read by the template that knows all of its captions (the most of them, when none
knows all) and has as many value columns as its layout has halves. Adding a region's layout is
adding one file (and one fixture under tests/fixtures/layouts/).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from . import lexicon
from .layout import MEMO_TEXTS, fill_of, level1_of, level2_of, norm, text_memo
from .patterns import cached_compile

ROLES = frozenset(
    "level1 level2 name value value-sign value-number value-unit nature weight standard note "
    "org project budget goal skip".split()
)
LAYOUTS = frozenset({"side-by-side", "single", "stacked", "flat"})
# roles whose cells are not part of the name/value reading: pulled out of a row before it is read
SIDE_ROLES = frozenset(
    {"value-sign", "value-number", "value-unit", "nature", "weight", "standard", "note", "org", "project", "budget", "goal", "skip"}
)
VALUE_ROLES = frozenset({"value", "value-number"})
_BRACKETED = cached_compile(r"[(（][^()（）]*[)）]$")


@dataclass(frozen=True)
class Template:
    name: str
    layout: str
    footer: bool
    captions: dict[str, str]  # normalised caption -> role
    blocks: dict[str, str]  # normalised block caption -> period

    @property
    def halves(self) -> int:
        return 2 if self.layout == "side-by-side" else 1


@cache
def templates() -> tuple[Template, ...]:
    """Every template file, in name order; a malformed file is a one-line error naming it."""
    out = []
    for path in sorted((lexicon.lexicon_dir() / "templates").glob("*.tsv")):
        rows = lexicon.table(f"templates/{path.name}")
        layout = next((r["text"] for r in rows if r["what"] == "layout"), "")
        if layout not in LAYOUTS:
            raise ValueError(f"{path}: layout {layout!r} is not one of {sorted(LAYOUTS)}")
        captions = {norm(r["text"]): r["role"] for r in rows if r["what"] == "caption"}
        bad = sorted({r for r in captions.values() if r not in ROLES})
        if bad:
            raise ValueError(f"{path}: unknown column roles {bad}")
        blocks = {norm(r["text"]): r["role"] for r in rows if r["what"] == "block"}
        footer = any(r["what"] == "footer" and r["text"] == "yes" for r in rows)
        out.append(Template(path.stem, layout, footer, captions, blocks))
    return tuple(out)


@cache
def _all_captions() -> dict[str, frozenset[str]]:
    roles: dict[str, set[str]] = {}
    for t in templates():
        for caption, role in t.captions.items():
            roles.setdefault(caption, set()).add(role)
    return {k: frozenset(v) for k, v in roles.items()}


@cache
def block_words() -> frozenset[str]:
    return frozenset(w for t in templates() for w in t.blocks)


@text_memo(fill_of(1 << 12))  # 1,365: corpora/ asks 939 texts a copy (the cells of rows asked _is_caption_row)
def caption_key(cell: str) -> str:
    """The caption as templates list it: NFKC, no spaces; "指标值(包含…)" also without its note;
    "*指标值" also without the required-field mark forms print before a caption."""
    key = norm(cell).rstrip(":").lstrip("*★")
    if key in _all_captions():
        return key
    bare = _BRACKETED.sub("", key)
    return bare if bare in _all_captions() else key


def caption_roles(cell: str) -> frozenset[str]:
    return _all_captions().get(caption_key(cell), frozenset())


def is_caption_row(cells: list[str] | tuple[str, ...]) -> bool:
    """An indicator caption row: 三级指标, or a value caption with a name or 二级 caption
    (一级指标 | 二级指标 | 指标内容 | 指标值, 一级指标 | 二级指标 | 当年预期实现值 …)."""
    joined = "".join(cells)
    if "指" not in joined and "值" not in joined:
        return False  # every caption row has an 指标 or a 值 caption: most rows stop here
    return _is_caption_row(tuple(cells))


# 768: corpora/ asks 649 rows a copy; a row keeps its cells (~0.75 KiB an entry), and a distinct
# document's rows are its own (twelfth round: 1,024 kept 0.82 MiB at d64)
@text_memo(3 * MEMO_TEXTS // 4)
def _is_caption_row(cells: tuple[str, ...]) -> bool:
    # memoised: the segmenter and the extractor ask about the same rows
    captions = _all_captions()
    roles: set[str] = set()
    for c in cells:
        key = caption_key(c)
        if key == "三级指标":
            return True
        hit = captions.get(key)
        if hit:
            roles |= hit
    return bool(roles & VALUE_ROLES) and "level2" in roles and ("name" in roles or any(caption_key(c) == "二级指标" for c in cells))


@dataclass(frozen=True)
class Match:
    template: Template
    columns: dict[int, str]  # column index of the caption row -> role
    unknown: tuple[str, ...]  # captions no template column knows


def match(cells: tuple[str, ...], body_words: frozenset[str] = frozenset()) -> Match:
    """The template that reads a caption row. `body_words` are the normalised single cells of the
    table's rows (a stacked table's block captions may stand on lines of their own)."""
    keyed = [(i, caption_key(c)) for i, c in enumerate(cells) if c]
    # block captions and category labels a converter printed into the caption row are no captions
    keyed = [(i, k) for i, k in keyed if k not in block_words() and not (level1_of(k) or level2_of(k))]
    best: tuple[tuple, Template] | None = None
    for t in templates():
        known = [k for _, k in keyed if k in t.captions]
        values = sum(1 for _, k in keyed if t.captions.get(k) in VALUE_ROLES)
        fits_halves = values == t.halves or (t.halves == 1 and values == 0)
        blocks = any(w in body_words for w in t.blocks)
        score = (fits_halves, len(known) == len(keyed), len(known), blocks, -len(t.captions))
        if best is None or score > best[0]:
            best = (score, t)
    assert best is not None, "no table templates in lexicons/templates/"
    t = best[1]
    columns = {i: t.captions[k] for i, k in keyed if k in t.captions}
    unknown = tuple(k for _, k in keyed if k not in t.captions)
    return Match(t, columns, unknown)
