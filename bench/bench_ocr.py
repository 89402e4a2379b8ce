"""Scanned renderings of corpora/ against the gold: OCR F1, low-confidence share, pages per CPU second.
Not a test: run it by hand (figures of issue 10, scanned part).

    nice python bench/bench_ocr.py [--dpi 200,150] [--pages-per-doc 10] [--docs 000,001]
                                   [--skew 0.5,1.0] [--noise 10] [--work DIR] [--errors N]

The test set. Every corpus document (corpora/NNN_*.txt, gold corpora/gold/NNN.gold.jsonl) is
rendered by tests/render.py as a ruled-table PDF (landscape, every 4th page a portrait page turned
by /Rotate 90, merged label cells, wrapped values, watermark, page numbers; each table's title
block starts a new page, as scans are filed). Its pages are rasterised by pdftoppm at each dpi
(grey; the PDF's unembedded STSong-Light printed with --font, by default Noto Serif CJK SC, a
mainland 宋体 face: left to fontconfig it is Noto Sans CJK JP, whose 门 the recogniser reads as
内), turned by a skew of 0.5 to 1.0 degrees (sign and size drawn per page from a seeded generator)
and given gaussian noise (--noise, grey levels), then wrapped as an image-only PDF (no text layer)
and scanned with kpiscan end to end (read by OCR, segment, extract, values; classify off).

Which pages. The PDF's own text layer is read once (F1 1.000 against the gold), and each gold
record is paired with the text-layer record of the same key (period, project, name, value; in
order where a key repeats), which gives the gold record its page. A table's pages run from the
page of its title block to the page of its last record. Tables are taken at evenly spaced ranks
through the document until at least --pages-per-doc pages are chosen (0: every page holding a
record); then, so that no page shows rows whose table heading lies on a page not scanned, every
table with a record on a chosen page has its pages from its title block on added (repeated until
nothing changes). The pages are scanned in page order as one PDF per document and dpi.

Scoring. The gold is restricted to the records whose paired text-layer record lies on a scanned
page, and the scan's records are scored against it exactly as `kpiscan eval` does (micro F1 over
the documents for the totals). The text layer of the same pages (the pages copied into a PDF that
keeps its text) is scored the same way as a check on the restriction: it should print 1.0000.
"Low-confidence" rows are the rows the scan held back in unparsed (reason "low-confidence", with
page and row); their share is held / (held + records). "kept" is the F1 had the held rows been
kept as records (pipeline.LOW_CONFIDENCE = 0 on the same OCR reading). Speed: pages per CPU second
of this process (time.process_time, all threads) for reading the scanned PDF by OCR and scanning
it; ONNX Runtime runs one thread (the per-core figure).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import render  # noqa: E402
from kpiscan import pipeline  # noqa: E402
from kpiscan.evaluate import read_jsonl, record_key, score  # noqa: E402
from kpiscan.read import read_document  # noqa: E402


def corpus(only: list[str]) -> list[tuple[Path, Path]]:
    out = []
    for txt in sorted((ROOT / "corpora").glob("*.txt")):
        gold = ROOT / "corpora" / "gold" / f"{txt.name[:3]}.gold.jsonl"
        if gold.exists() and (not only or txt.name[:3] in only):
            out.append((txt, gold))
    return out


def gold_pages(pdf: Path, gold: list[dict]) -> tuple[list[int], dict[int, tuple[int, set[int]]]]:
    """The page of every gold record (0: not paired) and, per gold table (table_line), its title
    page and the pages of its records, from the PDF's text layer."""
    doc = read_document(pdf)
    page_of_line = {line.number: line.page for line in doc.lines}
    result = pipeline.scan_document(doc, classify=False)
    pool: dict[tuple, list] = defaultdict(list)
    for ind in sorted(result.indicators, key=lambda i: (i.page or 0, i.row or 0)):
        pool[record_key(ind.to_dict())].append(ind)
    pages, tables = [], {}
    for g in sorted(gold, key=lambda r: int(r["line"])):
        bucket = pool.get(record_key(g))
        ind = bucket.pop(0) if bucket else None
        pages.append(ind.page if ind else 0)
        if ind is not None:
            start, seen = tables.get(g["table_line"], (page_of_line.get(ind.table_line, ind.page), set()))
            tables[g["table_line"]] = (min(start, ind.page), seen | {ind.page})
    # gold was iterated sorted by line: give the pages back in the gold's own order
    order = sorted(range(len(gold)), key=lambda i: int(gold[i]["line"]))
    by_index = [0] * len(gold)
    for rank, i in enumerate(order):
        by_index[i] = pages[rank]
    return by_index, tables


def choose_pages(tables: dict[int, tuple[int, set[int]]], want: int) -> list[int]:
    """Pages holding records, evenly spread through the document, at least `want` pages in all
    (0: every page holding a record), with the title block pages of their tables."""
    spans = [(start, pages) for _t, (start, pages) in sorted(tables.items())]
    holding = sorted({p for _s, pages in spans for p in pages})

    def with_titles(chosen: set[int]) -> set[int]:
        # a table with a record on a chosen page: its pages from its title block to its first
        # record (repeated: a title page may show the last rows of an earlier table)
        while True:
            more = {p for s, pages in spans if pages & chosen for p in range(s, min(pages) + 1)} - chosen
            if not more:
                return chosen
            chosen = chosen | more

    if want <= 0:
        return sorted(with_titles(set(holding)))
    k = 1
    while True:
        picks = {holding[round(i * (len(holding) - 1) / max(k - 1, 1))] for i in range(k)}
        chosen = with_titles(picks)
        if len(chosen) >= want or k >= len(holding):
            return sorted(chosen)
        k += 1


def subset_pdf(pdf: Path, pages: list[int], out: Path) -> Path:
    """The chosen pages copied into a new PDF that keeps the text layer (the check on the gold)."""
    import pypdfium2 as pdfium

    src, dst = pdfium.PdfDocument(str(pdf)), pdfium.PdfDocument.new()
    dst.import_pages(src, [p - 1 for p in pages])
    dst.save(str(out))
    return out


def scanned_pdf(pdf: Path, pages: list[int], dpi: int, work: Path, skew: tuple[float, float],
                noise: float, family: str | None) -> Path:
    import numpy as np

    images: list[Path] = []
    for p in pages:
        outdir = work / f"{dpi}" / f"p{p:03d}"
        rng = np.random.default_rng(1000 + p)
        angle = float(rng.uniform(*skew)) * (1 if rng.random() < 0.5 else -1)
        done = sorted(outdir.glob("p-*.png"))
        images += done or render.rasterise(pdf, outdir, dpi, skew=angle, noise=noise, seed=p, first=p, last=p,
                                            family=family)
    return render.images_to_pdf(images, work / f"scan{dpi}.pdf", dpi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dpi", default="200,150")
    ap.add_argument("--pages-per-doc", type=int, default=10)
    ap.add_argument("--docs", default="", help="comma-separated document numbers (default: all)")
    ap.add_argument("--skew", default="0.5,1.0", help="skew range in degrees (sign drawn per page)")
    ap.add_argument("--noise", type=float, default=10.0, help="gaussian noise, grey levels")
    ap.add_argument("--font", default="Noto Serif CJK SC",
                    help="font poppler prints the PDF's STSong-Light with ('': fontconfig's choice)")
    ap.add_argument("--work", default="", help="keeps renderings and page images between runs")
    ap.add_argument("--errors", type=int, default=0, help="print up to N missed and spurious records")
    args = ap.parse_args()
    skew = tuple(float(x) for x in args.skew.split(","))
    work = Path(args.work or tempfile.mkdtemp(prefix="kpiscan-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    dpis = [int(d) for d in args.dpi.split(",") if d]  # "": the page choice and its check only
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0.0])  # g p m held pages cpu
    print(f"work: {work}; skew {skew[0]}-{skew[1]} deg, noise {args.noise}, font {args.font or 'fontconfig'}")
    for txt, gold_path in corpus([d for d in args.docs.split(",") if d]):
        gold = read_jsonl([gold_path])
        wd = work / txt.stem
        wd.mkdir(exist_ok=True)
        pdf = wd / "text.pdf"
        if not pdf.exists():
            render.render_pdf(txt.read_text(encoding="utf-8").split("\n"), pdf, render.Options(rotate_every=4, page_per_table=True))
        page_of, tables = gold_pages(pdf, gold)
        pages = choose_pages(tables, args.pages_per_doc)
        scope = [g for g, p in zip(gold, page_of) if p in set(pages)]
        unpaired = page_of.count(0)
        check = pipeline.scan_file(subset_pdf(pdf, pages, wd / "subset.pdf"), classify=False)
        ref = score(scope, [dict(r, doc=txt.name) for r in check.records()])[0]
        print(f"{txt.name}: {len(pages)} pages {pages} hold {len(scope)} of {len(gold)} gold records"
              f" ({unpaired} unpaired); text layer of these pages: F1 {ref.f1:.4f} (predicted {ref.predicted}, matched {ref.matched})")
        for dpi in dpis:
            scanned = scanned_pdf(pdf, pages, dpi, wd, skew, args.noise, args.font or None)
            cpu = time.process_time()
            doc = read_document(scanned)
            result = pipeline.scan_document(doc, classify=False)
            cpu = time.process_time() - cpu
            s = score(scope, [dict(r, doc=txt.name) for r in result.records()])[0]
            held = [u for u in result.unparsed if u.reason == "low-confidence"]
            saved, pipeline.LOW_CONFIDENCE = pipeline.LOW_CONFIDENCE, 0.0
            try:
                kept = score(scope, [dict(r, doc=txt.name) for r in pipeline.scan_document(doc, classify=False).records()])[0]
            finally:
                pipeline.LOW_CONFIDENCE = saved
            share = len(held) / max(len(held) + len(result.indicators), 1)
            for key in (f"{dpi}", f"{dpi}/{txt.name[:3]}"):
                t = totals[key]
                t[0] += s.gold; t[1] += s.predicted; t[2] += s.matched  # noqa: E702
                t[3] += len(held); t[4] += len(pages); t[5] += cpu  # noqa: E702
            totals[f"{dpi}/kept"][0] += kept.gold
            totals[f"{dpi}/kept"][1] += kept.predicted
            totals[f"{dpi}/kept"][2] += kept.matched
            print(f"  {dpi} dpi: F1 {s.f1:.4f} (gold {s.gold}, predicted {s.predicted}, matched {s.matched}); "
                  f"low-confidence {len(held)} = {share:.3f}; kept F1 {kept.f1:.4f}; "
                  f"{len(pages)} pages in {cpu:.1f} CPU s = {len(pages) / cpu:.3f} pages/CPU-s")
            for r in (s.missed[: args.errors] if args.errors else []):
                print(f"      missed   {r['period']} | {r['project'][:20]} | {r['name']} | {r['value']}")
            for r in (s.spurious[: args.errors] if args.errors else []):
                print(f"      spurious {r['period']} | {r['project'][:20]} | {r['name']} | {r['value']}"
                      f"  (p{r.get('page')} conf {r.get('confidence')})")
            for u in held[: args.errors] if args.errors else []:
                print(f"      held     p{u.page} r{u.row} conf {u.confidence}: {u.text}")
    print("\ntotals (micro F1 over the documents):")
    for key in sorted(totals):
        g, p, m, held, n, cpu = totals[key]
        prec, rec = (m / p if p else 0.0), (m / g if g else 0.0)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        if key.endswith("/kept"):
            print(f"  {key[:-5]} dpi, held rows kept: F1 {f1:.4f}  gold {g} predicted {p} matched {m}")
            continue
        share = held / max(held + p, 1)
        print(f"  {key} dpi: F1 {f1:.4f}  gold {g} predicted {p} matched {m}  low-confidence {held} = "
              f"{share:.3f}  {n} pages / {cpu:.1f} CPU s = {n / cpu:.3f} pages/CPU-s")


if __name__ == "__main__":
    main()
