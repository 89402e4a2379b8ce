"""Render a PDF-to-text conversion (corpora/*.txt) back into the formats disclosures are published
in: ruled-table PDF, .docx, .xlsx (and, through LibreOffice, .doc and .xls), and page images.

The cells drawn are the text reader's cells (`kpiscan.read.text.split_cells`), so a reader of the
rendering that gives back the same cells gives back the same records; what changes is everything
a reader of the printed form must see through:

* ruled tables whose label columns are merged cells (an empty cell under a label is part of the
  label's cell, up to the sign-off row), with the label vertically centred in its merged cell (the
  cell's last row grown to hold it), so that where a page break cuts the merged cell the label may
  stand on the next page below rows that belong to it (a cell whose label would fit in neither
  part goes to the next page whole);
* tables continued across pages, the indicator caption row repeated on each continuation page;
* narrow value columns, so "≥90%" wraps inside its cell ("≥9" / "0%");
* landscape pages, either as a landscape media box or as a portrait page with /Rotate 90;
* a page number ("- 3 -") under every page and a diagonal watermark across it.

Used by tests/test_read_pages.py and bench/bench_read.py. Nothing here is read by kpiscan itself.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kpiscan.layout import is_footer_row, is_indicator_header
from kpiscan.read.text import split_cells

FONT = "STSong-Light"  # a CID font every PDF reader maps; poppler renders it with a system CJK font
CELL_SIZE, CELL_LEADING = 8.0, 10.0
TEXT_SIZE, TEXT_LEADING = 10.0, 14.0
PAD = 2.0
MARGIN = 36.0
LABEL_COLUMNS = 3  # merged-cell candidates: the leftmost columns (绩效指标 / 一级 / 二级)
WATERMARK = "内部资料 仅供参考"


def embed_font(path: str) -> None:
    """Draw with a TrueType font embedded in the PDF (as office suites do) instead of the
    unembedded STSong-Light, e.g. /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf.
    reportlab embeds the subset of the glyphs drawn."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    global FONT
    name = "Embedded-" + Path(path).stem
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path))
    FONT = name


_FONT_PROBE = "0%≥中年"  # digits, the value signs and CJK: a disclosure's font has them all


def cjk_truetype_font(text: str, out: Path) -> str | None:
    """A TrueType CJK font reportlab can embed, covering `text` and ASCII. reportlab embeds
    TrueType outlines only: a CJK .ttf/.ttc on the machine that covers digits and "≥" is used as
    it is; otherwise Noto Sans CJK SC (scripts/install-office.sh installs it as CFF-outline .ttc) is
    cut down to the characters of `text` and its outlines converted to TrueType quadratics with
    fontTools (cu2qu), written to `out`. (Droid Sans Fallback, the TrueType CJK font LibreOffice
    pulls in, has no Latin digits: drawn with it "2024年" loses its digits.) None when neither is
    there."""
    from fontTools.ttLib import TTFont as Font

    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file", "family", "index"], capture_output=True,
                                text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    entries = []
    for line in listed.splitlines():
        file, _, rest = line.partition(":")
        index = int(rest.rsplit("index=", 1)[1]) if "index=" in rest else 0
        entries.append((file.strip(), index, rest))
    for file, index, _family in sorted(entries):
        font = Font(file, fontNumber=index, lazy=True)
        if "glyf" in font and all(ord(ch) in font.getBestCmap() for ch in _FONT_PROBE):
            return file
    noto = [(f, i) for f, i, family in entries if "Sans CJK SC" in family and "Mono" not in family]
    noto.sort(key=lambda fi: ("Bold" in fi[0], fi[0]))
    if not noto:
        return None
    if out.exists():
        return str(out)
    from fontTools import subset

    font = Font(noto[0][0], fontNumber=noto[0][1])
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set(map(chr, range(32, 127))) | set(_FONT_PROBE))))
    subsetter.subset(font)
    _cff_to_glyf(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    return str(out)


def _cff_to_glyf(font) -> None:
    """Replace a font's CFF outlines by TrueType (quadratic) ones, after fontTools' otf2ttf."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    quadratic = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        quadratic[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = quadratic
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for name in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, name, 0)
    maxp.compile(font)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font.sfntVersion = "\000\001\000\000"


@dataclass
class Options:
    landscape: bool = True  # landscape pages (media box) ...
    rotate_every: int = 0  # ... and every Nth page a portrait page turned by /Rotate 90 (0: never)
    merge_labels: bool = True
    repeat_header: bool = True
    narrow_values: bool = True  # value columns narrow enough to wrap "≥90%"
    watermark: bool = True
    page_numbers: bool = True
    rules_as_rects: bool = False  # cell borders as thin filled rectangles (office-suite style)
    max_rows_per_page: int = 0  # force page breaks inside tables (0: only when the page is full)
    page_per_table: bool = False  # each title block after a table starts a new page (as scans are filed)
    font_file: str = ""  # a TrueType CJK font to embed (subset) instead of the unembedded STSong-Light


@dataclass
class Block:
    kind: str  # "text" or "table"
    rows: list[tuple[str, ...]] = field(default_factory=list)


def blocks(lines: list[str]) -> list[Block]:
    """Runs of table rows (lines with more than one cell) and text lines; blank lines dropped."""
    out: list[Block] = []
    for raw in lines:
        cells = split_cells(raw.rstrip("\r"))
        if not cells:
            continue
        kind = "table" if len(cells) > 1 else "text"
        if kind == "table" and out and out[-1].kind == "table":
            out[-1].rows.append(cells)
        else:
            out.append(Block(kind, [cells]))
    return out


# ------------------------------------------------------------------------------------------ pdf


def _width(text: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, FONT, CELL_SIZE)


def wrap(text: str, width: float, size: float = CELL_SIZE) -> list[str]:
    """Greedy character wrap of `text` into lines no wider than `width` points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not text:
        return []
    lines, current, used = [], "", 0.0
    for ch in text:
        w = stringWidth(ch, FONT, size)
        if current and used + w > width:
            lines.append(current)
            current, used = "", 0.0
            if ch == " ":
                continue
        current += ch
        used += w
    lines.append(current)
    return lines


def _spans(rows: list[tuple[str, ...]], ncols: int, merge: bool) -> dict[tuple[int, int], int]:
    """(row, col) of a label cell -> how many rows its merged cell covers (>1 only)."""
    spans: dict[tuple[int, int], int] = {}
    if not merge:
        return spans
    for c in range(min(LABEL_COLUMNS, ncols - 1)):
        r = 0
        while r < len(rows):
            if c < len(rows[r]) and rows[r][c] and not is_indicator_header([x for x in rows[r] if x]):
                n = 1
                while (
                    r + n < len(rows)
                    and not (c < len(rows[r + n]) and rows[r + n][c])
                    and any(rows[r + n][c + 1 :])
                    and not is_indicator_header([x for x in rows[r + n] if x])
                    and not is_footer_row([x for x in rows[r + n] if x])  # the sign-off row closes the block
                ):
                    n += 1
                if n > 1:
                    spans[(r, c)] = n
                r += n
            else:
                r += 1
    return spans


def _column_widths(rows: list[tuple[str, ...]], ncols: int, usable: float, narrow: bool) -> list[float]:
    natural = [max([_width(r[c]) for r in rows if c < len(r)] + [12.0]) + 2 * PAD for c in range(ncols)]
    widths = [min(n, 200.0) for n in natural]
    if narrow and ncols >= 4:
        # the narrowest-content columns (指标值) are printed narrow: their longer values wrap
        for c in sorted(range(ncols), key=lambda c: natural[c])[: max(1, ncols // 4)]:
            widths[c] = min(widths[c], 4.2 * CELL_SIZE)
    total = sum(widths)
    if total > usable:
        fixed = [w for w in widths if w <= 4.2 * CELL_SIZE + 0.01]
        scale = (usable - sum(fixed)) / max(total - sum(fixed), 1.0)
        widths = [w if w <= 4.2 * CELL_SIZE + 0.01 else max(w * scale, 3 * CELL_SIZE) for w in widths]
    return widths


class _Pdf:
    def __init__(self, path: Path, options: Options) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        self.o = options
        self.c = canvas.Canvas(str(path), pagesize=self._geometry(1)[0])
        self.page = 0
        self.w = self.h = 0.0
        self.y = 0.0
        self.new_page()

    # pages ------------------------------------------------------------------------------------
    def _geometry(self, page: int) -> tuple[tuple[float, float], bool]:
        """(media box size, turned by /Rotate 90) of a page."""
        portrait = (595.28, 841.89)
        if self.o.rotate_every and page % self.o.rotate_every == 0:
            return portrait, True
        return ((portrait[1], portrait[0]) if self.o.landscape else portrait), False

    def new_page(self) -> None:
        size, rotated = self._geometry(self.page + 1)
        if self.page:
            self._finish_page()
            self.c.showPage()
        self.page += 1
        # reportlab writes a page turned by /Rotate 90 with its media box swapped: it is given the
        # displayed size
        self.c.setPageSize((size[1], size[0]) if rotated else size)
        if rotated:
            self.c.setPageRotation(90)
            self.w, self.h = size[1], size[0]
            # draw in display coordinates: user x = W - Y, user y = X
            self.c.transform(0, 1, -1, 0, size[0], 0)
        else:
            self.c.setPageRotation(0)
            self.w, self.h = size
        self.y = self.h - MARGIN
        if self.o.watermark:  # drawn first, under the page's content, as a stamp's background
            c = self.c
            c.saveState()
            c.setFillGray(0.8)
            c.setFont(FONT, 40)
            c.translate(self.w / 2, self.h / 2)
            c.rotate(35)
            c.drawCentredString(0, 0, WATERMARK)
            c.restoreState()

    def _finish_page(self) -> None:
        c = self.c
        if self.o.page_numbers:
            c.setFont(FONT, 9)
            c.drawCentredString(self.w / 2, MARGIN / 2, f"- {self.page} -")

    def save(self) -> None:
        self._finish_page()
        self.c.save()

    @property
    def usable(self) -> float:
        return self.w - 2 * MARGIN

    # text -------------------------------------------------------------------------------------
    def text(self, line: str) -> None:
        for part in wrap(line, self.usable, TEXT_SIZE):
            if self.y - TEXT_LEADING < MARGIN:
                self.new_page()
            self.y -= TEXT_LEADING
            self.c.setFont(FONT, TEXT_SIZE)
            self.c.drawString(MARGIN, self.y + 3, part)
        self.y -= 4

    # tables -----------------------------------------------------------------------------------
    def _rule(self, x0: float, y0: float, x1: float, y1: float) -> None:
        if self.o.rules_as_rects:
            t = 0.5
            if y0 == y1:
                self.c.rect(min(x0, x1), y0 - t / 2, abs(x1 - x0), t, stroke=0, fill=1)
            else:
                self.c.rect(x0 - t / 2, min(y0, y1), t, abs(y1 - y0), stroke=0, fill=1)
        else:
            self.c.line(x0, y0, x1, y1)

    def table(self, rows: list[tuple[str, ...]]) -> None:
        ncols = max(len(r) for r in rows)
        widths = _column_widths(rows, ncols, self.usable, self.o.narrow_values)
        xs = [MARGIN]
        for w in widths:
            xs.append(xs[-1] + w)
        spans = _spans(rows, ncols, self.o.merge_labels)
        covered = {(r + k, c): (r, c) for (r, c), n in spans.items() for k in range(n)}
        wrapped = [
            [wrap(r[c] if c < len(r) else "", widths[c] - 2 * PAD) for c in range(ncols)] for r in rows
        ]
        heights = [
            max([CELL_LEADING * len(wrapped[i][c]) for c in range(ncols) if (i, c) not in covered] + [CELL_LEADING])
            + 2 * PAD
            for i in range(len(rows))
        ]
        for (r, col), n in spans.items():  # a merged cell grows its last row to hold its label
            need = CELL_LEADING * len(wrapped[r][col]) + 2 * PAD - sum(heights[r : r + n])
            if need > 0:
                heights[r + n - 1] += need
        header = next((i for i, r in enumerate(rows) if is_indicator_header([x for x in r if x])), None)
        # lay the rows out on pages: (page number, row index, top y)
        placed: list[tuple[int, int, float]] = []
        rows_here = 0
        self.y -= 4
        for i, h in enumerate(heights):
            full = self.o.max_rows_per_page and rows_here >= self.o.max_rows_per_page
            if self.y - h < MARGIN + 12 or full:
                # a merged cell whose label would fit in neither part goes to the new page whole
                # (no printer draws a label over the rules of the rows below it)
                first = min((r for (r, col), n in spans.items() if r < i < r + n
                             and CELL_LEADING * len(wrapped[r][col]) + 2 * PAD
                             > max(sum(heights[r:i]), sum(heights[i : r + n]))
                             and any(p[1] < r and p[1] != header for p in placed)), default=i)
                self._draw(rows, wrapped, xs, spans, covered, [p for p in placed if p[1] < first], heights)
                placed = []
                self.new_page()
                rows_here = 0
                if self.o.repeat_header and header is not None and header < first:
                    self._place(header, heights, placed)
                for k in range(first, i):
                    self._place(k, heights, placed)
                    rows_here += 1
            self._place(i, heights, placed)
            rows_here += 1
        self._draw(rows, wrapped, xs, spans, covered, placed, heights)
        self.y -= 6

    def _place(self, i: int, heights: list[float], placed: list[tuple[int, int, float]]) -> None:
        placed.append((self.page, i, self.y))
        self.y -= heights[i]

    def _draw(self, rows, wrapped, xs, spans, covered, placed, heights) -> None:
        """Draw the rows placed on the current page: rules around (parts of) merged cells, texts."""
        if not placed:
            return
        c = self.c
        c.setLineWidth(0.5)
        ncols = len(xs) - 1
        order = [i for _p, i, _y in placed]
        top = {i: y for _p, i, y in placed}
        bottom_y = placed[-1][2] - heights[placed[-1][1]]
        # horizontal rules: the top of the part, the bottom, and between rows unless merged
        self._rule(xs[0], placed[0][2], xs[-1], placed[0][2])
        self._rule(xs[0], bottom_y, xs[-1], bottom_y)
        for a, b in zip(order, order[1:]):
            y = top[b]
            for col in range(ncols):
                same = covered.get((a, col)) is not None and covered.get((a, col)) == covered.get((b, col))
                if not same:
                    self._rule(xs[col], y, xs[col + 1], y)
        for x in xs:
            self._rule(x, placed[0][2], x, bottom_y)
        # texts: a merged cell's label centred in the whole merged cell, drawn on the page where
        # that centre falls (placed within the part of the cell on that page)
        c.setFont(FONT, CELL_SIZE)
        for i in order:
            for col in range(ncols):
                lines = wrapped[i][col]
                if lines and (i, col) not in covered:
                    y_top = top[i] - (heights[i] - len(lines) * CELL_LEADING) / 2
                    self._lines(lines, xs[col], y_top)
        for (r, col), n in spans.items():
            part = [i for i in order if r <= i < r + n]
            if not part or not wrapped[r][col]:
                continue
            before = sum(heights[r : part[0]])  # the merged cell's height on earlier pages
            centre = sum(heights[r : r + n]) / 2 - before
            part_h = sum(heights[i] for i in part)
            last = part[-1] == r + n - 1
            if 0 <= centre < part_h or (last and centre >= part_h):
                block = len(wrapped[r][col]) * CELL_LEADING
                offset = max(min(centre - block / 2, part_h - block - PAD), PAD)
                self._lines(wrapped[r][col], xs[col], top[part[0]] - offset)

    def _lines(self, lines: list[str], x: float, y_top: float) -> None:
        for k, text in enumerate(lines):
            self.c.drawString(x + PAD, y_top - (k + 1) * CELL_LEADING + 2.5, text)


def render_pdf(lines: list[str], path: Path, options: Options | None = None) -> Path:
    """Draw the text conversion's lines as a printed disclosure (see the module docstring)."""
    global FONT
    options = options or Options()
    unembedded = FONT
    if options.font_file:
        embed_font(options.font_file)
    try:
        pdf = _Pdf(Path(path), options)
        previous = None
        for block in blocks(lines):
            if options.page_per_table and block.kind == "text" and previous == "table":
                pdf.new_page()
            previous = block.kind
            if block.kind == "text":
                pdf.text(block.rows[0][0])
            else:
                pdf.table(block.rows)
        pdf.save()
    finally:
        FONT = unembedded
    return Path(path)


# ------------------------------------------------------------------------------- docx and xlsx


def render_docx(lines: list[str], path: Path, merge: bool = True) -> Path:
    """Paragraphs and Word tables; label cells merged down over the empty cells below (vMerge) and
    a row's trailing empty cells merged into its last filled cell (gridSpan)."""
    from docx import Document as Docx

    d = Docx()
    for block in blocks(lines):
        if block.kind == "text":
            d.add_paragraph(block.rows[0][0])
        else:
            _docx_table(d, block.rows, merge)
    d.save(str(path))
    return Path(path)


def _docx_table(d, rows: list[tuple[str, ...]], merge: bool) -> None:
    from docx.shared import Cm

    ncols = max(len(r) for r in rows)
    table = d.add_table(rows=len(rows), cols=ncols)
    table.style = "Table Grid"
    for column in table.columns:  # explicit widths, as Word writes them
        for cell in column.cells:
            cell.width = Cm(16.0 / ncols)
    for i, r in enumerate(rows):
        for c, text in enumerate(r):
            if text:
                table.cell(i, c).text = text
    spans = _spans(rows, ncols, merge)
    for (i, c), n in spans.items():
        table.cell(i, c).merge(table.cell(i + n - 1, c))
    if not merge:
        return
    for i, r in enumerate(rows):
        covered = any(a <= i < a + n and c >= len(r) - 1 for (a, c), n in spans.items())
        if 1 < len(r) < ncols and not covered:
            table.cell(i, len(r) - 1).merge(table.cell(i, ncols - 1))


def render_xlsx(lines: list[str], path: Path, merge: bool = True) -> Path:
    """One sheet, one row per text line (blank lines kept as empty rows), label cells merged."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    rows: list[tuple[str, ...]] = [split_cells(raw.rstrip("\r")) for raw in lines]
    for r in rows:
        ws.append(list(r))
    if merge:
        # merge within runs of table rows, as the PDF does
        start = 0
        while start < len(rows):
            if len(rows[start]) <= 1:
                start += 1
                continue
            end = start
            while end < len(rows) and len(rows[end]) > 1:
                end += 1
            run = rows[start:end]
            for (i, c), n in _spans(run, max(len(r) for r in run), True).items():
                ws.merge_cells(start_row=start + i + 1, start_column=c + 1, end_row=start + i + n, end_column=c + 1)
            start = end
    wb.save(path)
    return Path(path)


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, fmt: str, outdir: Path) -> Path:
    """LibreOffice headless conversion (docx -> doc, xlsx -> xls). A .docx goes through .odt on
    its way to .doc: LibreOffice 7.4 writes python-docx's tables straight to .doc as bare text."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)

    def run(src: Path, target: str, where: Path) -> None:
        subprocess.run(
            [exe, "--headless", "--norestore", f"-env:UserInstallation=file://{outdir}/.lo-profile",
             "--convert-to", target, "--outdir", str(where), str(src)],
            check=True, capture_output=True, timeout=300,
        )

    if fmt == "doc" and path.suffix == ".docx":
        run(path, "odt", outdir / ".odt")
        run(outdir / ".odt" / (path.stem + ".odt"), "doc:MS Word 97", outdir)
    else:
        run(path, fmt, outdir)
    return outdir / (path.stem + "." + fmt)


# ------------------------------------------------------------------------------------- images


def rasterise(pdf: Path, outdir: Path, dpi: int, skew: float = 0.0, noise: float = 0.0,
              seed: int = 0, first: int | None = None, last: int | None = None,
              family: str | None = None) -> list[Path]:
    """Page images of a PDF as a scanner gives them: pdftoppm at `dpi`, turned by `skew` degrees,
    with gaussian noise of standard deviation `noise` (grey levels). `family`: the installed font
    (fontconfig name) poppler prints the unembedded STSong-Light with, e.g. "Noto Serif CJK SC" as
    a mainland 宋体 prints (left to fontconfig, it may take a Japanese or Traditional glyph form:
    Noto Sans CJK JP draws 门 with an upright dot)."""
    import os

    import cv2
    import numpy as np

    outdir.mkdir(parents=True, exist_ok=True)
    cmd = ["pdftoppm", "-r", str(dpi), "-gray", "-png"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    env = None
    if family:
        conf = outdir / "fonts.conf"
        conf.write_text(
            '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
            + "".join(
                f'<match target="pattern"><test name="family"><string>{name}</string></test>'
                f'<edit name="family" mode="prepend" binding="strong"><string>{family}</string></edit></match>'
                for name in ("STSong", "STSong-Light")
            )
            + "</fontconfig>",
            encoding="utf-8",
        )
        env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    subprocess.run([*cmd, str(pdf), str(outdir / "p")], check=True, capture_output=True, timeout=600, env=env)
    rng = np.random.default_rng(seed)
    pages = sorted(outdir.glob("p-*.png"))
    for p in pages:
        img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if skew:
            h, w = img.shape
            m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
            img = cv2.warpAffine(img, m, (w, h), borderValue=255, flags=cv2.INTER_LINEAR)
        if noise:
            img = np.clip(img.astype(np.float32) + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(p), img)
    return pages


def images_to_pdf(images: list[Path], path: Path, dpi: int) -> Path:
    """A scanned PDF: one page per image, no text layer."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for img in images:
        reader = ImageReader(str(img))
        w, h = reader.getSize()
        pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
        c.setPageSize((pw, ph))
        c.drawImage(reader, 0, 0, pw, ph)
        c.showPage()
    c.save()
    return Path(path)
