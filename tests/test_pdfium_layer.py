"""The pdfium reader's character and path layer (read/pdfium.py `_chars`, `_segments`) calls
pdfium without ctypes' argument conversion (`_bare`). Its results must equal those of the same
calls through pypdfium2's declared bindings, on a rendered disclosure page with everything the
layer handles: CJK and Latin text, real spaces, a diagonal watermark, page numbers, ruling lines,
a portrait page turned by /Rotate 90."""
from __future__ import annotations

import ctypes
import math
from pathlib import Path

import pytest

pdfium = pytest.importorskip("pypdfium2")
pytest.importorskip("reportlab")

import render  # noqa: E402
from kpiscan.read import pdfium as layer  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "corpora"


def _bound_chars(page) -> list[tuple]:
    """Every character pdfium reports, read through the declared bindings."""
    import pypdfium2.raw as c

    textpage = page.get_textpage()
    try:
        tp = textpage.raw
        box = c.FS_RECTF()
        out = []
        for i in range(c.FPDFText_CountChars(tp)):
            c.FPDFText_GetLooseCharBox(tp, i, box)
            out.append((c.FPDFText_GetUnicode(tp, i), c.FPDFText_IsGenerated(tp, i), c.FPDFText_GetCharAngle(tp, i),
                        (box.left, box.bottom, box.right, box.top), c.FPDFText_GetFontSize(tp, i)))
        return out
    finally:
        textpage.close()


def _bound_points(page) -> list[tuple[float, float]]:
    """Every path segment's point in page space, through the declared bindings (the rendering has
    no form objects)."""
    import pypdfium2.raw as c

    x, y = ctypes.c_float(), ctypes.c_float()
    m = c.FS_MATRIX()
    out = []
    for k in range(c.FPDFPage_CountObjects(page.raw)):
        obj = c.FPDFPage_GetObject(page.raw, k)
        if c.FPDFPageObj_GetType(obj) != c.FPDF_PAGEOBJ_PATH:
            continue
        c.FPDFPageObj_GetMatrix(obj, m)
        for j in range(c.FPDFPath_CountSegments(obj)):
            c.FPDFPathSegment_GetPoint(c.FPDFPath_GetPathSegment(obj, j), x, y)
            out.append((m.a * x.value + m.c * y.value + m.e, m.b * x.value + m.d * y.value + m.f))
    return out


def test_bare_calls_read_what_the_bindings_read(tmp_path: Path) -> None:
    lines = (CORPUS / "002_5c711d4843627377.txt").read_text(encoding="utf-8").split("\n")[:120]
    pdf_path = render.render_pdf(lines, tmp_path / "p.pdf", render.Options(rotate_every=2))
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        assert len(pdf) >= 2
        rotations = set()
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                rotations.add(page.get_rotation())
                to_display = layer._display(page)
                chars = layer._chars(page, to_display)
                bound = _bound_chars(page)
                rot = math.radians(page.get_rotation() % 360)
                kept, diagonal = [], []
                for code, generated, angle, (left, bottom, right, top), size in bound:
                    if code < 32 or code in (0xFFFE, 0xFFFF) or generated == 1:
                        continue
                    if angle >= 0 and layer._ANGLE < (angle - rot) % (math.pi / 2) < math.pi / 2 - layer._ANGLE:
                        diagonal.append(chr(code))
                        continue
                    (x0, y0), (x1, y1) = to_display(left, bottom), to_display(right, top)
                    kept.append((chr(code), min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1), size))
                got = [(ch.text, ch.x0, ch.x1, ch.top, ch.bottom, ch.size) for ch in chars]
                assert got == kept  # no fake bold in the rendering: nothing deduplicated
                assert any(ch.text.isdigit() for ch in chars) and any("\u4e00" <= ch.text <= "\u9fff" for ch in chars)
                assert "".join(diagonal).replace(" ", "") == render.WATERMARK.replace(" ", "")

                horizontal, vertical = layer._segments(page, to_display)
                points = _bound_points(page)
                assert points and horizontal and vertical
                # every ruling line ends on a point pdfium reports for the page's paths
                ends = {tuple(round(v, 2) for v in to_display(px, py)) for px, py in points}
                for top, x0, x1 in horizontal:
                    assert {(round(x0, 2), round(top, 2)), (round(x1, 2), round(top, 2))} <= ends
                for left, top0, top1 in vertical:
                    assert {(round(left, 2), round(top0, 2)), (round(left, 2), round(top1, 2))} <= ends
            finally:
                page.close()
        assert rotations == {0, 90}
    finally:
        pdf.close()
