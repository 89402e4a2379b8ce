"""Cell text clean-up shared by every reader.

PDF-to-text converters leave HTML in cells: paragraph tags around long text (<p>…</p>), bold
(<b>), and sometimes a whole copy of the neighbouring cells as embedded <td>…</td>/<th>…</th>
pieces ("质量指标 <td>验收合格率</td> <td>100%</td>"). Tags are removed; embedded cells are returned
separately so the caller can tell a duplicate of the next cells from new content.
"""
from __future__ import annotations

import html

import regex

from ..patterns import cached_compile

_SPACE = cached_compile(r"\s+")
_TAG = cached_compile(r"</?[a-zA-Z][^<>]*>")
# An embedded cell opens with <td …> or <th …>; its text runs to the next tag.
_SUBCELL_OPEN = cached_compile(r"<t[dh](?:\s[^<>]*)?>", regex.IGNORECASE)
_CJK = r"\p{Han}\p{Block=CJK_Symbols_and_Punctuation}\p{Block=Halfwidth_and_Fullwidth_Forms}"
# a line break between two CJK characters is the cell wrapping a word, not a space
_CJK_BREAK = cached_compile(rf"(?<=[{_CJK}])[ \t]*\n\s*(?=[{_CJK}])")


def is_plain(text: str) -> bool:
    """No tag, entity, whitespace run or control/wide space: `clean_cell` of the text (of each
    piece of it, split anywhere) is its strip. Most cells and most rows are plain."""
    return "<" not in text and "&" not in text and "  " not in text and text.isprintable()


def clean_cell(text: str) -> str:
    """Remove tags and entities, collapse whitespace runs to one space, trim."""
    if text.isspace() or not text:
        return ""
    if is_plain(text):  # quick path, most cells
        return text.strip()
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


def split_embedded(text: str) -> tuple[str, list[str]]:
    """Split a cell into its own text and the texts of embedded <td>/<th> cells.

    "质量指标 <td>验收合格率</td> <td>100%</td>" -> ("质量指标", ["验收合格率", "100%"]).
    Nested or unclosed pieces are flattened in order; empty embedded cells are kept as "".
    """
    pieces = _SUBCELL_OPEN.split(text)
    if len(pieces) == 1:
        return clean_cell(text), []
    return clean_cell(pieces[0]), [clean_cell(p) for p in pieces[1:]]


def merge_embedded(cells: list[str]) -> list[str]:
    """Resolve embedded cells across a row.

    Where the embedded texts repeat the cells that follow (the usual converter artefact) they are
    dropped; otherwise they are spliced in as cells of their own, so no text is lost.
    """
    stripped = list(map(str.strip, cells))
    joined = "".join(stripped)
    if "<" not in joined:
        if is_plain(joined):
            # the common row: clean_cell of each cell is its strip (one test for the row, not one a
            # cell; whitespace at a cell's ends, also a run or a wide space, goes with the strip)
            return stripped
        return [clean_cell(c) if c else "" for c in cells]
    out: list[str] = []
    for i, raw in enumerate(cells):
        own, embedded = split_embedded(raw)
        out.append(own)
        wanted = [e for e in embedded if e]
        if not wanted:
            continue
        following = [c for c in (clean_cell(x) for x in cells[i + 1 :]) if c]
        if following[: len(wanted)] != wanted:
            out.extend(wanted)
    return out


def unwrap_cell(text: str | None) -> str:
    """A table cell's text: None -> "", line breaks inside CJK text removed, then `clean_cell`."""
    if not text:
        return ""
    if "\n" in text:
        text = _CJK_BREAK.sub("", text)
    return clean_cell(text)
