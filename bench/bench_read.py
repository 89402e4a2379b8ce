"""Readers against the gold: corpora/ rendered as PDF, DOCX, XLSX, XLS, DOC and scanned pages.
Not a test: run it by hand (figures of issue 10).

    python bench/bench_read.py [--formats pdf,docx,xlsx,xls,doc,scan] [--engines pdfium,pdfplumber]
                               [--dpi 200,150] [--scan-pages N] [--work DIR]

For every corpus document (corpora/NNN_*.txt with gold corpora/gold/NNN.gold.jsonl) the text is
rendered by tests/render.py into each format, scanned with kpiscan (classify off: the readers are
measured, not the classifier), and its records scored against the gold exactly as `kpiscan eval`
does (the rendering's records are scored under the text file's name). PDF speed is pages per CPU
second of this process for `scan_file` end to end (read, segment, extract, values), per engine, in
one run. Scans: the PDFs rasterised by pdftoppm at each dpi with a 0.4 degree skew and noise,
wrapped as image-only PDFs, read by OCR; the first --scan-pages pages holding indicator tables of
each document (all pages when 0). Format "pdf-lo": the .docx rendering printed to PDF by
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
    ap.add_argument("--formats", default="pdf,docx,xlsx,xls,doc")
    ap.add_argument("--engines", default="pdfium,pdfplumber")
    ap.add_argument("--dpi", default="200,150")
    ap.add_argument("--scan-pages", type=int, default=0)
    ap.add_argument("--work", default="")
    ap.add_argument("--docs", default="")
    args = ap.parse_args()
    formats = args.formats.split(",")
    work = Path(args.work or tempfile.mkdtemp(prefix="kpiscan-read-"))
    work.mkdir(parents=True, exist_ok=True)
    docs = [d for d in corpus() if not args.docs or d[0].name[:3] in args.docs.split(",")]
    totals: dict[str, list[int]] = {}

    def add(key: str, g: int, p: int, m: int) -> None:
        t = totals.setdefault(key, [0, 0, 0])
        t[0] += g
        t[1] += p
        t[2] += m

    pages_cpu: dict[str, list[float]] = {}
    for txt, gold in docs:
        lines = txt.read_text(encoding="utf-8").split("\n")
        print(f"{txt.name}:")
        made = renderings(lines, txt.stem, formats, work)
        for fmt in [f for f in formats if f in made]:
            measure(fmt, made[fmt], txt, gold, args.engines.split(","), add, pages_cpu)
        if "scan" in formats:
            scan(made["pdf"], txt, gold, work, args, add)
    print("\ntotals (micro F1 over the documents):")
    for key, (g, p, m) in totals.items():
        prec, rec = (m / p if p else 0.0), (m / g if g else 0.0)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        print(f"  {key}: F1 {f1:.4f}  gold {g} predicted {p} matched {m}")
    for engine, (n, cpu) in pages_cpu.items():
        print(f"  pdf pages/s per core [{engine}]: {n:.0f} pages / {cpu:.2f} CPU s = {n / cpu:.1f}")


def renderings(lines: list[str], stem: str, formats: list[str], work: Path) -> dict[str, Path]:
    made: dict[str, Path] = {}
    if "pdf" in formats or "scan" in formats:
        made["pdf"] = render.render_pdf(lines, work / f"{stem}.pdf", render.Options(rotate_every=4))
    if "docx" in formats or "doc" in formats or "pdf-lo" in formats:
        made["docx"] = render.render_docx(lines, work / f"{stem}.docx")
    if "xlsx" in formats or "xls" in formats:
        made["xlsx"] = render.render_xlsx(lines, work / f"{stem}.xlsx")
    if "pdf-lo" in formats:
        # the .docx printed to PDF by LibreOffice: embedded fonts, rows split across pages
        made["pdf-lo"] = render.convert(made["docx"], "pdf", work / "lo")
    if "doc" in formats:
        made["doc"] = render.convert(made["docx"], "doc", work / "doc")
    if "xls" in formats:
        made["xls"] = render.convert(made["xlsx"], "xls", work / "xls")
    return made


def measure(fmt: str, path: Path, txt: Path, gold: Path, engines: list[str], add, pages_cpu) -> None:
    """F1 of one rendering; for PDFs per engine, with pages per CPU second."""
    import kpiscan.read.pdf as pdf

    if fmt not in ("pdf", "pdf-lo"):
        f1, g, p, m, (cpu, _r) = f1_of(path, txt, gold)
        add(fmt, g, p, m)
        print(f"  {fmt}: F1 {f1:.4f} (gold {g}, predicted {p}, matched {m}); {cpu:.2f} CPU s")
        return
    import pypdfium2

    n_pages = len(pypdfium2.PdfDocument(str(path)))
    for engine in engines:
        pdf.ENGINE = engine
        f1, g, p, m, (cpu, _r) = f1_of(path, txt, gold)
        add(f"{fmt}/{engine}", g, p, m)
        pc = pages_cpu.setdefault(f"{fmt}/{engine}", [0.0, 0.0])
        pc[0] += n_pages
        pc[1] += cpu
        print(f"  {fmt}[{engine}]: F1 {f1:.4f} (gold {g}, predicted {p}, matched {m}); "
              f"{n_pages} pages in {cpu:.2f} CPU s = {n_pages / cpu:.1f} pages/s")
    pdf.ENGINE = engines[0]


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
