"""PDF pages read with pdfium (pypdfium2): characters with their boxes, and the ruling lines of the
tables from the page's path objects. About twenty times less CPU than pdfplumber's pure-Python
layout work for the same rows (bench/bench_read.py).

Everything is placed in display coordinates (x to the right, `top` downwards, as the page is shown
after its /Rotate), so a landscape table printed on a portrait page turned by /Rotate 90 reads as on
a landscape page.

Tables. Path segments that are horizontal or vertical and at least 2 pt long are ruling lines
(stroked lines, or the thin filled rectangles office suites draw); their positions are snapped
together within `SNAP` points and collinear pieces joined. Lines that touch make one table. Its
column edges are the x of its vertical lines and its row edges the y of its horizontal lines; two
neighbouring grid cells with no ruling line between them are one merged cell. A merged cell's text
belongs to its top-left grid cell (so a label centred in a tall merged cell stands on the merged
cell's first row, as in the text conversions), the other grid cells read "". A merged cell cut by a
page break is two cells, one on each page; when its label, centred in the whole cell, is printed on
the new page, it goes back to the cell's first row (`_carry_labels`). A row that a page break split
(office suites let a row break across pages) is one row again (`_continues`).

Characters. A character whose baseline is turned by an angle that is not a multiple of 90 degrees
(a diagonal watermark) is dropped; so are whitespace and characters pdfium generates (a hyphen
ending a line, which pdfium marks as 0x02, is the printed "-"). A character
printed twice at the same place (fake bold) counts once. Inside a cell, characters are grouped into
lines by their vertical centre; a line that runs up to the cell's right edge was wrapped by the
cell's width, so the next line continues it without a space ("≥9" / "0%" -> "≥90%"); other line
breaks follow `cells.unwrap_cell` (dropped between CJK characters, a space otherwise). Outside the
tables, characters make text lines split into cells at gaps wider than about one character, as
with pdfplumber (`pdf._split_text_line`).
"""
from __future__ import annotations

import ctypes
import functools
import math
from bisect import bisect_right
from pathlib import Path
from typing import Any, Iterator

from .cells import unwrap_cell

SNAP = 3.0  # points: ruling lines closer than this are one line
MIN_RULE = 2.0  # points: shorter path segments are not ruling lines
_AXIS = 1.0  # points: a segment whose ends differ less than this in y (x) is horizontal (vertical)
_ANGLE = math.radians(2)

Row = tuple[float, float, tuple[str, ...]]


class _Char:
    __slots__ = ("text", "x0", "x1", "top", "bottom", "size")

    def __init__(self, text: str, x0: float, x1: float, top: float, bottom: float, size: float):
        self.text, self.x0, self.x1, self.top, self.bottom, self.size = text, x0, x1, top, bottom, size

    def __getitem__(self, key: str) -> Any:  # read like pdfplumber's char dicts
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def pages(path: Path) -> Iterator[tuple[int, list[Row] | None]]:
    """(page number, rows) of every page; rows is None for a page without characters. A table row
    that a page break split (office suites let a row break across pages) is joined back (see
    `_continues`); a merged cell's label printed on the next page goes back to the cell's first
    row (see `_carry_labels`)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        n = len(pdf)
        if n == 0:
            from ..errors import InputError

            raise InputError(str(path), "PDF has no pages")
        held: tuple[int, list[Row] | None, _Ends | None] | None = None
        for i in range(n):
            page = pdf[i]
            try:
                rows, ends = page_rows(page)
            finally:
                page.close()
            if held is not None:
                if held[2] is not None and ends is not None and rows is not None and held[1] is not None:
                    if not _join_split_row(held[1], held[2], rows, ends):
                        _carry_labels(held[1], held[2], rows, ends)
                yield held[0], held[1]
            held = (i + 1, rows, ends)
        if held is not None:
            yield held[0], held[1]
    finally:
        pdf.close()


class _Ends:
    """Where a page's tables end and begin: the bottom-most table row (its index in the page's
    rows, column edges, cells, and per cell its last printed line's last character and the room
    left after it before the cell's right edge) and the top-most one (index, column edges, cells,
    and per cell its first printed line)."""

    __slots__ = ("last", "first", "bottom", "top")

    def __init__(self) -> None:
        # the bottom-most and top-most tables: the table, its grid rows -> index in the page's rows,
        # and the characters of its merged cells by anchor (grid row, grid column)
        self.bottom: tuple[_Table, dict[int, int], dict[tuple[int, int], list[_Char]]] | None = None
        self.top: tuple[_Table, dict[int, int], dict[tuple[int, int], list[_Char]]] | None = None
        self.last: tuple[int, list[tuple[float, float]], list[str], list[tuple[_Char, float, float] | None]] | None = None
        self.first: tuple[int, list[tuple[float, float]], list[str], list[list[_Char] | None]] | None = None


def _columns(spans_a: list[tuple[float, float]], spans_b: list[tuple[float, float]]) -> list[int] | None:
    """For each grid column of a table row continued on a new page (`spans_b`: per grid column
    the left and right edges of the cell covering it), the grid column of the row on the page
    before (`spans_a`) whose cell has the same edges; None unless the two rows have the same cells
    (the two parts of a row split by a page break have the same vertical borders, though each page's
    grid may draw fewer or more column edges than the other)."""
    def same(p: tuple[float, float], q: tuple[float, float]) -> bool:
        return abs(p[0] - q[0]) <= SNAP and abs(p[1] - q[1]) <= SNAP

    out: list[int] = []
    for span in spans_b:
        k = next((k for k, other in enumerate(spans_a) if same(span, other)), None)
        if k is None:
            return None
        out.append(k)
    if not all(any(same(other, spans_b[c]) for c in range(len(spans_b))) for other in spans_a):
        return None
    return out


def _continues(last: tuple[int, list[tuple[float, float]], list[str], list[tuple[_Char, float, float] | None]],
               first: tuple[int, list[tuple[float, float]], list[str], list[list[_Char] | None]]) -> list[int] | None:
    """The first table row of a page continues the last table row of the page before (an office
    suite let the row break across the pages) when the two rows have the same cells (`_columns`)
    and the new row has text only in cells whose text on the old page was still running when the
    page ended: its last line is full (`_full`) and reaches the bottom of the cell (no room for
    another line below it). Returns the column map of `_columns`, else None."""
    _i, spans_a, cells_a, tails = last
    _j, spans_b, cells_b, heads = first
    cols = _columns(spans_a, spans_b)
    if cols is None:
        return None
    filled = [(cols[c], heads[c]) for c, text in enumerate(cells_b) if text]
    if not filled:
        return None
    for k, head in filled:
        tail = tails[k]
        if not cells_a[k] or tail is None or not head:
            return None
        end, right_room, below = tail
        if below >= end.bottom - end.top or not _full(end, right_room, head):
            return None  # another line would have fitted below or after the cell's last one
    return cols


def _join_split_row(rows_a: list[Row], ends_a: _Ends, rows_b: list[Row], ends_b: _Ends) -> bool:
    from .pdf import _trim

    if ends_a.last is None or ends_b.first is None:
        return False
    cols = _continues(ends_a.last, ends_b.first)
    if cols is None:
        return False
    i, _xs, cells_a, tails = ends_a.last
    j, _xs_b, cells_b, heads = ends_b.first
    joined = list(cells_a)
    for c, b in enumerate(cells_b):
        k, tail, head = cols[c], tails[cols[c]], heads[c]
        if b and tail is not None and head:
            joined[k] = joined[k] + b  # every such cell ends in a full line (`_continues`)
    top, x0, _cells = rows_a[i]
    rows_a[i] = (top, x0, _trim(joined))
    rows_b[j] = (rows_b[j][0], rows_b[j][1], ())  # emptied: dropped by the reader
    return True


def _carry_labels(rows_a: list[Row], ends_a: _Ends, rows_b: list[Row], ends_b: _Ends) -> None:
    """A merged cell cut by a page break whose label, centred in the whole cell, is printed on the
    new page: its label goes back to the cell's first row on the page before, where the text
    conversions have it, so the rows printed before the label take it.

    The cell's part at the bottom of the old page's table has no text; the first row of the new
    page's table after the repeated caption rows has a cell with the same left and right edges
    whose text is not centred in its part (for the whole cell of height hA + hB centred, the text's
    middle is (hB - hA) / 2 below the part's top, or the text is pushed down to the part's top, or,
    when the cell runs on to a third page, below the part's middle; in a cell that starts on the
    new page it is hB / 2 below, within a quarter line); and the table centres its cells' text vertically (`_centred`: where cells are
    top-aligned, a label stands at the top of its cell, on the old page)."""
    from ..layout import is_indicator_header
    from .pdf import _trim

    if ends_a.bottom is None or ends_b.top is None or ends_b.first is None:
        return
    ta, index_a, chars_a = ends_a.bottom
    tb, index_b, chars_b = ends_b.top
    seen = {cells for _t, _x, cells in rows_a}
    rb = next(
        (r for r in sorted(index_b) if rows_b[index_b[r]][2] not in seen
         and not is_indicator_header([c for c in rows_b[index_b[r]][2] if c])),
        None,
    )
    if rb is None or not _centred(tb, chars_b):
        return
    ra = ta.rows - 1
    for c in range(ta.cols):
        r0a, c0a, right_a = ta.cell[ra * ta.cols + c]
        if c != c0a or (r0a, c0a) in chars_a:
            continue  # not the cell's first column, or the cell has text on the old page
        cb = bisect_right(tb.xs, ta.xs[c0a] + SNAP) - 1
        if cb < 0 or cb >= tb.cols or abs(tb.xs[cb] - ta.xs[c0a]) > SNAP:
            continue
        r0b, c0b, right_b = tb.cell[rb * tb.cols + cb]
        label = chars_b.get((rb, cb))
        if (r0b, c0b) != (rb, cb) or abs(right_b - right_a) > SNAP or not label:
            continue
        end_b = rb
        while end_b + 1 < tb.rows and tb.cell[(end_b + 1) * tb.cols + cb][:2] == (rb, cb):
            end_b += 1
        h_b = tb.ys[end_b + 1] - tb.ys[rb]
        middle = (min(ch.top for ch in label) + max(ch.bottom for ch in label)) / 2 - tb.ys[rb]
        off = middle - h_b / 2
        if abs(off) < 0.25 * max(ch.bottom - ch.top for ch in label) or (off > 0 and end_b < tb.rows - 1):
            continue  # centred in its own part: a cell that starts on the new page
        target = next((index_a[r] for r in range(r0a, ra + 1) if r in index_a), None)
        if target is None:
            continue
        j = index_b[rb]
        cells_b = list(rows_b[j][2])
        if c0b >= len(cells_b) or not cells_b[c0b]:
            continue
        top, x0, cells = rows_a[target]
        cells_a = list(cells) + [""] * (c0a + 1 - len(cells))
        cells_a[c0a] = cells_b[c0b]
        rows_a[target] = (top, x0, _trim(cells_a))
        cells_b[c0b] = ""
        rows_b[j] = (rows_b[j][0], rows_b[j][1], _trim(cells_b))


def _centred(table: _Table, anchors: dict[tuple[int, int], list[_Char]]) -> bool:
    """Whether the table centres text vertically in its cells: of its one-row cells with room for
    another line, more have their text nearer the row's middle than its top."""
    votes = 0
    for (r, c), chars in anchors.items():
        if r + 1 < table.rows and table.cell[(r + 1) * table.cols + c][:2] == (r, c):
            continue  # a cell spanning rows
        top, bottom = min(ch.top for ch in chars), max(ch.bottom for ch in chars)
        y0, y1 = table.ys[r], table.ys[r + 1]
        if (y1 - y0) - (bottom - top) < bottom - top:
            continue  # the text fills its row: no telling
        votes += 1 if abs((top + bottom) / 2 - (y0 + y1) / 2) < top - y0 else -1
    return votes > 0


# ----------------------------------------------------------------------------------- geometry


def _display(page: Any) -> Any:
    """A function mapping user-space (x, y) to display (x, top) for this page's rotation."""
    left, bottom, right, top = page.get_bbox()
    rot = page.get_rotation() % 360
    if rot == 90:
        return lambda x, y: (y - bottom, x - left)
    if rot == 180:
        return lambda x, y: (right - x, y - bottom)
    if rot == 270:
        return lambda x, y: (top - y, right - x)
    return lambda x, y: (x - left, top - y)


class _Handle(ctypes.c_void_p):
    """A pdfium handle returned by a `_bare` function: kept as a pointer (a plain c_void_p result
    would come back as an int, which ctypes would pass on as a 32-bit C int)."""


def _bare(func: Any, restype: Any) -> Any:
    """pypdfium2's binding `func` called without ctypes' per-argument conversion (argtypes) and
    without releasing the GIL (PYFUNCTYPE): half the cost of a call, which is most of the reader's
    time when called for every character and path segment. The caller passes C types: handles
    (pointers), Python ints for C ints, byref() for out-parameters."""
    address = ctypes.cast(func, ctypes.c_void_p).value
    if address is None:
        raise RuntimeError(f"pdfium has no {func.__name__}")
    f = ctypes.PYFUNCTYPE(restype)(address)
    f.argtypes = None  # type: ignore[assignment]  # no conversion: see above
    return f


@functools.cache
def _api() -> Any:
    """The pdfium functions called per character, page object and path segment, as `_bare`."""
    import types

    import pypdfium2.raw as c

    i, f, d, h = ctypes.c_int, ctypes.c_float, ctypes.c_double, _Handle
    return types.SimpleNamespace(
        count_chars=_bare(c.FPDFText_CountChars, i),
        unicode=_bare(c.FPDFText_GetUnicode, ctypes.c_uint),
        is_generated=_bare(c.FPDFText_IsGenerated, i),
        angle=_bare(c.FPDFText_GetCharAngle, f),
        loose_box=_bare(c.FPDFText_GetLooseCharBox, i),
        font_size=_bare(c.FPDFText_GetFontSize, d),
        count_objects=_bare(c.FPDFPage_CountObjects, i),
        get_object=_bare(c.FPDFPage_GetObject, h),
        object_type=_bare(c.FPDFPageObj_GetType, i),
        matrix=_bare(c.FPDFPageObj_GetMatrix, i),
        form_count=_bare(c.FPDFFormObj_CountObjects, i),
        form_object=_bare(c.FPDFFormObj_GetObject, h),
        count_segments=_bare(c.FPDFPath_CountSegments, i),
        segment=_bare(c.FPDFPath_GetPathSegment, h),
        point=_bare(c.FPDFPathSegment_GetPoint, i),
        segment_type=_bare(c.FPDFPathSegment_GetType, i),
        segment_close=_bare(c.FPDFPathSegment_GetClose, i),
        PATH=c.FPDF_PAGEOBJ_PATH,
        FORM=c.FPDF_PAGEOBJ_FORM,
        MOVETO=c.FPDF_SEGMENT_MOVETO,
        RECTF=c.FS_RECTF,
        MATRIX=c.FS_MATRIX,
    )


def _chars(page: Any, to_display: Any) -> list[_Char]:
    """The page's characters. Four pdfium calls per character (`_api`); pdfium generates only
    spaces and line ends (line ends are dropped as control characters), so only a space is asked
    whether it was generated."""
    api = _api()
    unicode, is_generated, char_angle, loose_box, font_size = (
        api.unicode, api.is_generated, api.angle, api.loose_box, api.font_size
    )
    textpage = page.get_textpage()
    try:
        tp = textpage.raw
        n = api.count_chars(tp)
        rot = math.radians(page.get_rotation() % 360)
        quarter = math.pi / 2
        box = api.RECTF()
        pbox = ctypes.byref(box)
        out: list[_Char] = []
        seen: set[tuple[str, int, int]] = set()
        for i in range(n):
            code = unicode(tp, i)
            if code == 2:
                code = 0x2D  # pdfium's mark for a hyphen ending a line: the printed "-"
            if code <= 32:
                if code < 32 or is_generated(tp, i) == 1:
                    continue  # line ends and the spaces pdfium puts in by itself
            elif code == 0xFFFE or code == 0xFFFF:
                continue
            angle = char_angle(tp, i)
            if angle >= 0:
                off = (angle - rot) % quarter
                if _ANGLE < off < quarter - _ANGLE:
                    continue  # a diagonal watermark
            # the loose box (advance width, ascent to descent): a glyph's tight box would put "一"
            # on a line of its own and open gaps around "、"
            loose_box(tp, i, pbox)
            x0, y0 = to_display(box.left, box.bottom)
            x1, y1 = to_display(box.right, box.top)
            if x0 > x1:
                x0, x1 = x1, x0
            if y0 > y1:
                y0, y1 = y1, y0
            text = " " if code == 0xA0 or code == 0x3000 else chr(code)
            key = (text, round(x0), round(y0))
            if key in seen:
                continue  # fake bold: the same character printed again over itself
            seen.add(key)
            size = font_size(tp, i) or (y1 - y0) or 1.0
            out.append(_Char(text, x0, x1, y0, y1, size))
        return out
    finally:
        textpage.close()


def _segments(page: Any, to_display: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (top, x0, x1) and vertical (x, top0, top1) ruling-line segments of the page."""
    api = _api()
    object_type, matrix, count_segments, segment, point, segment_type, segment_close = (
        api.object_type, api.matrix, api.count_segments, api.segment, api.point, api.segment_type,
        api.segment_close,
    )
    PATH, FORM, MOVETO = api.PATH, api.FORM, api.MOVETO
    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    px, py = ctypes.byref(x), ctypes.byref(y)
    m = api.MATRIX()
    pm = ctypes.byref(m)

    def walk(objects: list[Any], parent: tuple[float, ...]) -> None:
        for obj in objects:
            kind = object_type(obj)
            if kind != PATH and kind != FORM:
                continue  # text, images, shadings
            matrix(obj, pm)
            mat = _compose((m.a, m.b, m.c, m.d, m.e, m.f), parent)
            if kind == FORM:
                k = api.form_count(obj)
                walk([api.form_object(obj, ctypes.c_ulong(j)) for j in range(k)], mat)
                continue
            a, b, cc, d, e, f = mat
            start = prev = None
            for j in range(count_segments(obj)):
                seg = segment(obj, j)
                point(seg, px, py)
                pt = to_display(a * x.value + cc * y.value + e, b * x.value + d * y.value + f)
                if segment_type(seg) == MOVETO:
                    start = prev = pt
                    continue
                if prev is not None:
                    _add(prev, pt, horizontal, vertical)
                prev = pt
                if segment_close(seg) and start is not None:
                    _add(pt, start, horizontal, vertical)
                    prev = start

    page_raw = page.raw
    count = api.count_objects(page_raw)
    walk([api.get_object(page_raw, i) for i in range(count)], (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
    return horizontal, vertical


def _compose(m: tuple[float, ...], parent: tuple[float, ...]) -> tuple[float, ...]:
    """The matrix `m` (object in its parent's space) followed by `parent` (parent in page space)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = parent
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _add(p: tuple[float, float], q: tuple[float, float], horizontal: list, vertical: list) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) < _AXIS and abs(x1 - x0) >= MIN_RULE:
        horizontal.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x1 - x0) < _AXIS and abs(y1 - y0) >= MIN_RULE:
        vertical.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def _snap(values: list[float], snap: float = SNAP) -> dict[float, float]:
    """Each value -> the mean of its cluster (values within SNAP of their neighbour)."""
    out: dict[float, float] = {}
    cluster: list[float] = []
    for v in sorted(set(values)):
        if cluster and v - cluster[-1] > snap:
            mean = sum(cluster) / len(cluster)
            out.update((u, mean) for u in cluster)
            cluster = []
        cluster.append(v)
    if cluster:
        mean = sum(cluster) / len(cluster)
        out.update((u, mean) for u in cluster)
    return out


def _join(segments: list[tuple[float, float, float]], snap: float = SNAP) -> list[tuple[float, float, float]]:
    """Collinear segments (same snapped position) that overlap or nearly touch, joined."""
    out: list[tuple[float, float, float]] = []
    for pos, a, b in sorted(segments):
        if out and out[-1][0] == pos and a <= out[-1][2] + snap:
            out[-1] = (pos, out[-1][1], max(out[-1][2], b))
        else:
            out.append((pos, a, b))
    return out


def _merged_cells(xs: list[float], ys: list[float], horizontal: list, vertical: list, snap: float) -> Any:
    """Union-find over the grid cells (row * cols + col): neighbours with no rule between them
    are joined. Returns the `find` function giving each grid cell's representative."""
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def ruled(segments: list, a: float, b: float) -> bool:
        return any(s[1] <= a + snap and s[2] >= b - snap for s in segments)

    by_x: dict[float, list] = {}
    for v in vertical:
        by_x.setdefault(v[0], []).append(v)
    by_y: dict[float, list] = {}
    for h in horizontal:
        by_y.setdefault(h[0], []).append(h)
    for r in range(rows):
        for col in range(cols):
            i = r * cols + col
            if col + 1 < cols and not ruled(by_x.get(xs[col + 1], []), ys[r], ys[r + 1]):
                parent[find(i + 1)] = find(i)
            if r + 1 < rows and not ruled(by_y.get(ys[r + 1], []), xs[col], xs[col + 1]):
                parent[find(i + cols)] = find(i)
    return find


class _Table:
    """A ruled table: its grid edges and, per grid cell, the merged cell it belongs to."""

    def __init__(self, horizontal: list, vertical: list, snap: float = SNAP) -> None:
        self.xs = sorted({v[0] for v in vertical})
        self.ys = sorted({h[0] for h in horizontal})
        self.bbox = (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])
        rows, cols = len(self.ys) - 1, len(self.xs) - 1
        find = _merged_cells(self.xs, self.ys, horizontal, vertical, snap)
        self.rows, self.cols = rows, cols
        groups: dict[int, list[int]] = {}
        for i in range(rows * cols):
            groups.setdefault(find(i), []).append(i)
        # every grid cell -> (anchor row, anchor col, right edge of the merged cell)
        self.cell: list[tuple[int, int, float]] = [(0, 0, 0.0)] * (rows * cols)
        for members in groups.values():
            r0 = min(i // cols for i in members)
            c0 = min(i % cols for i in members if i // cols == r0)
            right = self.xs[max(i % cols for i in members) + 1]
            for i in members:
                self.cell[i] = (r0, c0, right)

    def spans(self, row: int) -> list[tuple[float, float]]:
        """Per grid column of `row`, the left and right edges of the (merged) cell covering it."""
        return [(self.xs[c0], right) for _r0, c0, right in self.cell[row * self.cols : (row + 1) * self.cols]]

    def locate(self, x: float, y: float) -> tuple[int, int, float] | None:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return None
        col = min(max(bisect_right(self.xs, x) - 1, 0), self.cols - 1)
        row = min(max(bisect_right(self.ys, y) - 1, 0), self.rows - 1)
        return self.cell[row * self.cols + col]


def tables(horizontal: list, vertical: list, snap: float = SNAP) -> list[_Table]:
    """The ruled tables drawn by horizontal (y, x0, x1) and vertical (x, y0, y1) line segments."""
    ys = _snap([h[0] for h in horizontal], snap)
    xs = _snap([v[0] for v in vertical], snap)
    horizontal = _join([(ys[p], a, b) for p, a, b in horizontal], snap)
    vertical = _join([(xs[p], a, b) for p, a, b in vertical], snap)
    # the lines that touch one another make one table
    n = len(horizontal) + len(vertical)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (hy, hx0, hx1) in enumerate(horizontal):
        for j, (vx, vy0, vy1) in enumerate(vertical):
            if hx0 - snap <= vx <= hx1 + snap and vy0 - snap <= hy <= vy1 + snap:
                parent[find(len(horizontal) + j)] = find(i)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(horizontal):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vertical):
        groups.setdefault(find(len(horizontal) + j), ([], []))[1].append(v)
    return [
        _Table(hs, vs, snap)
        for hs, vs in groups.values()
        if len({h[0] for h in hs}) >= 2 and len({v[0] for v in vs}) >= 2
    ]


# ----------------------------------------------------------------------------------------- text


def _lines(chars: list[_Char]) -> list[list[_Char]]:
    """Characters grouped into printed lines (top to bottom), each sorted left to right."""
    lines: list[list[_Char]] = []
    bounds: list[tuple[float, float]] = []
    for ch in sorted(chars, key=lambda ch: (ch.top + ch.bottom) / 2):
        mid = (ch.top + ch.bottom) / 2
        if lines and bounds[-1][0] <= mid <= bounds[-1][1]:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            bounds.append((ch.top, ch.bottom))
    for line in lines:
        line.sort(key=lambda ch: ch.x0)
    return lines


def _cjk(text: str) -> bool:
    return "\u2e80" <= text <= "\u9fff" or "\uf900" <= text <= "\ufaff" or "\uff00" <= text <= "\uffef"


def _line_text(line: list[_Char]) -> str:
    """A printed line's text: a gap wider than a quarter of the font size is a word space, but
    between a CJK and a Latin character only a gap over half of it (office suites set a quarter
    em of Asian/Western spacing there: "2023 年" is printed, "2023年" was written)."""
    out: list[str] = []
    prev: _Char | None = None
    for ch in line:
        size = max(prev.size, ch.size, 1.0) if prev is not None else 1.0
        factor = 0.5 if prev is not None and _cjk(prev.text) != _cjk(ch.text) else 0.25
        if prev is not None and ch.x0 - prev.x1 > factor * size and prev.text != " ":
            out.append(" ")
        out.append(ch.text)
        prev = ch
    return "".join(out)


# characters a line never starts with (closing brackets and punctuation, "/", "%", hyphens: UAX #14
# classes CL, CP, EX, IS, NS, SY, PO, HY): a line break falls before the character they follow
_NO_START = frozenset("，。、；：？！）》」』】〕〉,.;:?!)]}%‰℃/-－·…～\u201d\u2019")
# characters a line never ends with (opening brackets, UAX #14 OP; and "/", which office suites
# keep with the characters around it: "元/吨", "人/天")
_NO_END = frozenset("（《「『【〔〈([{/\u201c\u2018")


def _unit(line: list[_Char]) -> float:
    """Width of a printed line's first unbreakable run: its first character with the characters
    a line break cannot fall before or after ("元/吨" of "元/吨", "2150" of "2150元")."""
    k = 1
    while k < len(line):
        prev, ch = line[k - 1].text, line[k].text
        if ch in _NO_START or prev in _NO_END or (prev != " " and ch != " " and not _cjk(prev) and not _cjk(ch)):
            k += 1
        else:
            break
    return line[k - 1].x1 - line[0].x0


def _full(last: _Char, room: float, nxt: list[_Char]) -> bool:
    """Whether a printed line ending with `last`, `room` points before its cell's right edge, was
    wrapped by the cell's width before the line `nxt`: the next line's first unbreakable run
    (`_unit`) would not have fitted, allowing for the cell's padding; or it ends with a hyphen or an
    opening bracket, after which a line breaks inside a word. Between two Latin characters
    a line breaks at a space, unless a word alone overfills it: there only the next character
    counts."""
    if last.text in _NO_END or last.text in "-‐–":
        return True  # a line broken after a hyphen or "/" breaks inside a word: no space was there
    first = nxt[0]
    need = first.x1 - first.x0 if not _cjk(last.text) and not _cjk(first.text) else _unit(nxt)
    return room < need + 0.6 * max(first.size, 1.0)


def _cell_text(chars: list[_Char], right: float, bottom: float) -> tuple[str, tuple[_Char, float, float], list[_Char]]:
    """A cell's text, its lines joined (see the module docstring for the wrapped-line rule); its
    last line's last character with the room left after it before the cell's right edge and the
    room left below the line before the cell's bottom edge; and its first line (`_Ends`)."""
    lines = _lines(chars)
    parts: list[str] = []
    for k, line in enumerate(lines):
        parts.append(_line_text(line))
        if k + 1 < len(lines):
            parts.append("" if _full(line[-1], right - line[-1].x1, lines[k + 1]) else "\n")
    last = lines[-1][-1]
    below = bottom - max(ch.bottom for ch in lines[-1])
    return unwrap_cell("".join(parts)), (last, right - last.x1, below), lines[0]


def _table_rows(found: list[_Table], in_cells: dict[tuple[int, int, int], list[_Char]],
                rights: dict[tuple[int, int, int], float], rows: list[Row], ends: _Ends) -> float | None:
    """Append the tables' non-empty rows to `rows`, fill `ends`; the top of the top-most row."""
    from .pdf import _trim

    top_row = bottom_row = None
    for t, table in enumerate(found):
        index: dict[int, int] = {}
        anchors = {(r, c): chs for (tt, r, c), chs in in_cells.items() if tt == t}
        if ends.top is None or table.ys[0] < ends.top[0].ys[0]:
            ends.top = (table, index, anchors)
        if ends.bottom is None or table.ys[-1] > ends.bottom[0].ys[-1]:
            ends.bottom = (table, index, anchors)
        for r in range(table.rows):
            read = [
                _cell_text(in_cells[(t, r, col)], rights[(t, r, col)], table.ys[r + 1]) if (t, r, col) in in_cells else None
                for col in range(table.cols)
            ]
            cells = [cell[0] if cell else "" for cell in read]
            trimmed = _trim(list(cells))
            if not trimmed:
                continue
            index[r] = len(rows)
            rows.append((table.ys[r], table.xs[0], trimmed))
            if top_row is None or table.ys[r] < top_row:
                top_row = table.ys[r]
                ends.first = (len(rows) - 1, table.spans(r), cells, [cell[2] if cell else None for cell in read])
            if bottom_row is None or table.ys[r] > bottom_row:
                bottom_row = table.ys[r]
                ends.last = (len(rows) - 1, table.spans(r), cells, [cell[1] if cell else None for cell in read])
    return top_row


def page_rows(page: Any) -> tuple[list[Row] | None, _Ends | None]:
    """(top, x0, cells) of the page's table rows and outside text lines, unsorted, and where its
    tables end and begin (`_Ends`)."""
    from .pdf import _split_text_line, _trim

    to_display = _display(page)
    chars = _chars(page, to_display)
    if not chars:
        return None, None
    found = tables(*_segments(page, to_display))
    outside: list[_Char] = []
    in_cells: dict[tuple[int, int, int], list[_Char]] = {}
    rights: dict[tuple[int, int, int], float] = {}
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
        for t, table in enumerate(found):
            hit = table.locate(cx, cy)
            if hit is not None:
                key = (t, hit[0], hit[1])
                in_cells.setdefault(key, []).append(ch)
                rights[key] = hit[2]
                break
        else:
            outside.append(ch)
    rows: list[Row] = []
    ends = _Ends()
    top_row = _table_rows(found, in_cells, rights, rows, ends)
    for line in _lines(outside):
        cells = _split_text_line(line)  # type: ignore[arg-type]  # _Char reads like pdfplumber's dicts
        top = min(ch.top for ch in line)
        rows.append((top, line[0].x0, _trim(cells)))
        if top_row is not None and top < top_row:
            ends.first = ends.top = None  # text above the first table: the page does not go on with a row
    return rows, ends
