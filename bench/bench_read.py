"""Readers against the gold: corpora/ rendered as PDF, DOCX, XLSX, XLS, DOC and scanned pages.
Not a test: run it by hand (figures of issue 10).

    python bench/bench_read.py [--formats pdf-emb,pdf,pdf-lo,docx,xlsx,xls,doc,scan]
                               [--engines pdfium,pdfium@597cf30,pdfplumber,docling-parse,docling-parse-native]
                               [--repeat 3] [--slow-repeat 1] [--cjk-font FILE] [--reuse-lo]
                               [--dpi 200,150] [--scan-pages N] [--work DIR]

For every corpus document (corpora/NNN_*.txt with gold corpora/gold/NNN.gold.jsonl) the text is
rendered by tests/render.py into each format, scanned with kpiscan (classify off for the non-PDF
formats: the readers are measured, not the classifier), and its records scored against the gold exactly as `kpiscan eval`
does (the rendering's records are scored under the text file's name). PDF speed (bench/pdf_speed.py):
pages per CPU second of this process end to end (`scan_file` with the classifier, as `kpiscan scan`
after start-up), reader only, and chars + lines only, per engine, before and after, in one run; a
PDF's F1 per engine is scored on the records of its first end-to-end run. PDF renderings:
"pdf-emb" draws with a CJK TrueType font embedded as a subset (as real disclosures are: office
suites embed their fonts; --cjk-font, default `render.cjk_truetype_font`), "pdf" with the
unembedded STSong-Light (worst case: pdfium looks for a substitute font on every page). Scans: the
PDFs rasterised by pdftoppm at each dpi with a 0.4 degree skew and noise, wrapped as image-only
PDFs, read by OCR; the first --scan-pages pages holding indicator tables of each document (all
pages when 0). Format "pdf-lo": the .docx rendering printed to PDF by
LibreOffice (embedded fonts, table rows split across pages), both engines.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import pdf_speed  # noqa: E402

import render  # noqa: E402
from kpiscan.evaluate import read_jsonl, score  # noqa: E402
from kpiscan.pipeline import scan_file  # noqa: E402


def corpus() -> list[tuple[Path, Path]]:
    out = []
    for txt in sorted((ROOT / "corpora").glob("*.txt")):
        gold = ROOT / "corpora" / "gold" / f"{txt.name[:3]}.gold.jsonl"
        if gold.exists():
            out.append((txt, gold))
    return out


def f1_of(path: Path, txt: Path, gold: Path) -> tuple[float, int, int, int, object]:
    cpu = time.process_time()
    result = scan_file(path, classify=False)
    cpu = time.process_time() - cpu
    if result.problems:
        print(f"    problems: {[str(p) for p in result.problems][:3]}")
    records = [dict(r, doc=txt.name) for r in result.records()]
    s = score(read_jsonl([gold]), records)[0]
    return s.f1, s.gold, s.predicted, s.matched, (cpu, result)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--formats", default="pdf-emb,pdf,docx,xlsx,xls,doc")
    ap.add_argument("--engines", default=f"pdfium,pdfium@{pdf_speed.BEFORE},pdfplumber,docling-parse,docling-parse-native")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per PDF (the minimum is kept)")
    ap.add_argument("--slow-repeat", type=int, default=1, help="the same for pdfplumber and docling-parse")
    ap.add_argument("--cjk-font", default="", help="TrueType CJK font embedded in the pdf-emb rendering")
    ap.add_argument("--reuse-lo", action="store_true",
                    help="use the LibreOffice-printed PDFs already in --work/lo (printing the long .docx "
                         "renderings takes minutes)")
    ap.add_argument("--dpi", default="200,150")
    ap.add_argument("--scan-pages", type=int, default=0)
    ap.add_argument("--work", default="")
    ap.add_argument("--docs", default="")
    args = ap.parse_args()
    formats = args.formats.split(",")
    work = Path(args.work or tempfile.mkdtemp(prefix="kpiscan-read-"))
    work.mkdir(parents=True, exist_ok=True)
    docs = [d for d in corpus() if not args.docs or d[0].name[:3] in args.docs.split(",")]
    if "pdf-emb" in formats:
        text = "".join(txt.read_text(encoding="utf-8") for txt, _gold in docs) + render.WATERMARK
        args.cjk_font = args.cjk_font or render.cjk_truetype_font(text, work / "cjk-font.ttf") or ""
        if not args.cjk_font:
            print("pdf-emb: no CJK font reportlab can embed on this machine (TrueType outlines needed): skipped")
            formats.remove("pdf-emb")
        else:
            print(f"pdf-emb: CJK font embedded (subset): {args.cjk_font}")
    engines = [e for e in args.engines.split(",") if pdf_speed.available(e)]
    print(f"PDF engines: {', '.join(engines)} (not installed: {set(args.engines.split(',')) - set(engines) or 'none'})")
    speed = pdf_speed.Speed(args.repeat, args.slow_repeat)
    totals: dict[str, list[int]] = {}

    def add(key: str, g: int, p: int, m: int) -> None:
        t = totals.setdefault(key, [0, 0, 0])
        t[0] += g
        t[1] += p
        t[2] += m

    for txt, gold in docs:
        lines = txt.read_text(encoding="utf-8").split("\n")
        print(f"{txt.name}:")
        made = renderings(lines, txt.stem, formats, work, args.cjk_font, args.reuse_lo)
        for fmt in [f for f in formats if f in made]:
            measure(fmt, made[fmt], txt, gold, engines, add, speed)
        if "scan" in formats:
            scan(made["pdf"], txt, gold, work, args, add)
    print("\ntotals (micro F1 over the documents):")
    for key, (g, p, m) in totals.items():
        prec, rec = (m / p if p else 0.0), (m / g if g else 0.0)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        print(f"  {key}: F1 {f1:.4f}  gold {g} predicted {p} matched {m}")
    if speed.cpu:
        f1 = {}
        for key, (g, p, m) in totals.items():
            prec, rec = (m / p if p else 0.0), (m / g if g else 0.0)
            f1[key] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        speed.report({f: PDF_LABELS[f] for f in PDF_LABELS if f in formats}, f1)


PDF_LABELS = {
    "pdf-emb": "reportlab rendering, CJK font embedded (subset), as real disclosures",
    "pdf": "reportlab rendering, CJK font NOT embedded: worst case (pdfium substitutes a system font on every page)",
    "pdf-lo": "the .docx rendering printed to PDF by LibreOffice (fonts embedded, rows split across pages)",
}


def renderings(lines: list[str], stem: str, formats: list[str], work: Path, cjk_font: str = "",
               reuse_lo: bool = False) -> dict[str, Path]:
    made: dict[str, Path] = {}
    lo = work / "lo" / f"{stem}.pdf"
    reuse_lo = reuse_lo and "pdf-lo" in formats and lo.exists()
    if "pdf" in formats or "scan" in formats:
        made["pdf"] = render.render_pdf(lines, work / f"{stem}.pdf", render.Options(rotate_every=4))
    if "pdf-emb" in formats:
        made["pdf-emb"] = render.render_pdf(
            lines, work / f"{stem}-emb.pdf", render.Options(rotate_every=4, font_file=cjk_font)
        )
    if "docx" in formats or "doc" in formats or ("pdf-lo" in formats and not reuse_lo):
        made["docx"] = render.render_docx(lines, work / f"{stem}.docx")
    if "xlsx" in formats or "xls" in formats:
        made["xlsx"] = render.render_xlsx(lines, work / f"{stem}.xlsx")
    if "pdf-lo" in formats:
        # the .docx printed to PDF by LibreOffice: embedded fonts, rows split across pages
        made["pdf-lo"] = lo if reuse_lo else render.convert(made["docx"], "pdf", work / "lo")
    if "doc" in formats:
        made["doc"] = render.convert(made["docx"], "doc", work / "doc")
    if "xls" in formats:
        made["xls"] = render.convert(made["xlsx"], "xls", work / "xls")
    return made


def measure(fmt: str, path: Path, txt: Path, gold: Path, engines: list[str], add, speed) -> None:
    """F1 of one rendering; for PDFs per engine, with pages per CPU second (bench/pdf_speed.py)."""
    if fmt not in PDF_LABELS:
        f1, g, p, m, (cpu, _r) = f1_of(path, txt, gold)
        add(fmt, g, p, m)
        print(f"  {fmt}: F1 {f1:.4f} (gold {g}, predicted {p}, matched {m}); {cpu:.2f} CPU s")
        return
    speed.warm_up(path, engines)
    results = speed.measure(fmt, path, engines)
    for engine, result in results.items():
        if result.problems:
            print(f"    problems: {[str(p) for p in result.problems][:3]}")
        records = [dict(r, doc=txt.name) for r in result.records()]
        s = score(read_jsonl([gold]), records)[0]
        add(f"{fmt}/{engine}", s.gold, s.predicted, s.matched)
        print(f"  {fmt}[{engine}]: F1 {s.f1:.4f} (gold {s.gold}, predicted {s.predicted}, matched {s.matched})")


def scan(pdf_path: Path, txt: Path, gold: Path, work: Path, args, add) -> None:
    """OCR F1 at each dpi on rasterised pages (see the module docstring)."""
    import pypdfium2

    n = len(pypdfium2.PdfDocument(str(pdf_path)))
    pages = list(range(1, n + 1))
    if args.scan_pages:
        # the pages holding the indicator tables (and their headers) of the document
        from kpiscan.read import read_document

        doc = read_document(pdf_path)
        # from the first page with a 绩效目标表 title on: its table's header and indicator rows
        first = min((l.page for l in doc.lines if "绩效目标" in l.text and len(l.cells) == 1), default=1)
        pages = list(range(first, min(first + args.scan_pages, n + 1)))
    for dpi in [int(d) for d in args.dpi.split(",")]:
        outdir = work / f"{txt.stem}-{dpi}"
        images: list[Path] = []
        for p in pages:
            images += render.rasterise(pdf_path, outdir / f"p{p}", dpi, skew=0.4, noise=12.0, seed=p,
                                       first=p, last=p)
        scanned = render.images_to_pdf(images, outdir / f"{txt.stem}.pdf", dpi)
        cpu = time.process_time()
        result = scan_file(scanned, classify=False)
        cpu = time.process_time() - cpu
        records = [dict(r, doc=txt.name) for r in result.records()]
        gold_records = read_jsonl([gold])
        if args.scan_pages:
            # score against the gold rows of the pages scanned: the text layer tells which they are
            from kpiscan.read import read_document

            doc = read_document(pdf_path)
            texts = {l.text for l in doc.lines if l.page in pages}
            keep = {r["name"] for r in gold_records if any(r["name"] in t for t in texts)}
            gold_records = [r for r in gold_records if r["name"] in keep]
        s = score(gold_records, records)[0] if gold_records else None
        low = [u for u in result.unparsed if u.reason == "low-confidence"]
        share = len(low) / max(len(low) + len(result.indicators), 1)
        if s is not None:
            add(f"scan{dpi}", s.gold, s.predicted, s.matched)
            print(f"  scan {dpi} dpi: F1 {s.f1:.4f} (gold {s.gold}, predicted {s.predicted}, "
                  f"matched {s.matched}); low-confidence {len(low)} = {share:.3f} of rows; "
                  f"{len(images)} pages in {cpu:.1f} CPU s = {len(images) / cpu:.2f} pages/s")


if __name__ == "__main__":
    main()
