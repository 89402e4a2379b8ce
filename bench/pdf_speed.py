"""PDF speed for bench/bench_read.py (issue 10): pages per CPU second of the PDF engines, side by
side in one process, at three levels:

* end to end: `scan_file(path)` as `kpiscan scan file.pdf` runs it after start-up: read -> segment
  -> extract -> values -> level 2 by meaning -> classify (writing the outputs is not included);
* reader: `read_document(path)` (the PDF's rows as numbered Lines);
* chars + lines: only the engine's extraction layer, every page's characters with their boxes and
  its ruling lines / shapes as Python objects. The only level at which docling-parse, which gives
  characters and shapes but not our rows, can be set beside the others.

Engines: "pdfium" (the reader in this checkout), "pdfium@<commit>" (read/pdfium.py of an earlier
commit, loaded from git beside it: the "before"), "pdfplumber" (the former engine),
"docling-parse" (chars + lines level only; also its native decode alone, without building Python
objects). Start-up (imports, the classifier's models, jieba's dictionary, pdfium's and pdfminer's
first document) is excluded: every engine scans one PDF once before anything is timed, and that
CPU time is printed apart. Each file is timed `repeat` times, the engines interleaved, and the
minimum CPU time is kept (the machine is shared: the minimum is the least disturbed run).
"""
from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "597cf30"  # main before the fast char/path layer (issue 10's "before")
RECORD_ENGINES = ("pdfium", f"pdfium@{BEFORE}", "pdfplumber")  # engines giving records
_before: dict[str, Any] = {}


def load_before(commit: str) -> Any | None:
    """read/pdfium.py as it was at `commit`, imported as kpiscan.read._pdfium_<commit> (so its
    relative imports resolve to this checkout's package); None when git cannot show it."""
    if commit in _before:
        return _before[commit]
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:src/kpiscan/read/pdfium.py"],
            check=True, capture_output=True, text=True, timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError) as e:
        print(f"  (pdfium@{commit} not available: {e})")
        _before[commit] = None
        return None
    name = f"kpiscan.read._pdfium_{commit}"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    module.__package__ = "kpiscan.read"
    exec(compile(source, f"<{commit}:src/kpiscan/read/pdfium.py>", "exec"), module.__dict__)
    sys.modules[name] = module
    _before[commit] = module
    return module


@contextlib.contextmanager
def engine(name: str) -> Iterator[None]:
    """kpiscan reads PDFs with engine `name` inside the block."""
    import kpiscan.read.pdf as pdf
    import kpiscan.read.pdfium as pdfium

    saved_engine, saved_pages = pdf.ENGINE, pdfium.pages
    if name.startswith("pdfium@"):
        before = load_before(name.split("@", 1)[1])
        if before is None:
            raise RuntimeError(f"{name} is not available")
        pdf.ENGINE, pdfium.pages = "pdfium", before.pages
    else:
        pdf.ENGINE = name
    try:
        yield
    finally:
        pdf.ENGINE, pdfium.pages = saved_engine, saved_pages


def available(name: str) -> bool:
    if name.startswith("pdfium@"):
        return load_before(name.split("@", 1)[1]) is not None
    if name.startswith("docling-parse"):
        return importlib.util.find_spec("docling_parse") is not None
    return importlib.util.find_spec("pypdfium2" if name == "pdfium" else name) is not None


def n_pages(path: Path) -> int:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def cpu_of(fn: Any, *args: Any) -> tuple[float, Any]:
    cpu = time.process_time()
    out = fn(*args)
    return time.process_time() - cpu, out


def scan_cpu(path: Path, name: str) -> tuple[float, Any]:
    """CPU seconds of `kpiscan scan` of one PDF after start-up (classify on), and its result."""
    from kpiscan.pipeline import scan_file

    with engine(name):
        return cpu_of(scan_file, path)


def reader_cpu(path: Path, name: str) -> float:
    from kpiscan.read import read_document

    with engine(name):
        return cpu_of(read_document, path)[0]


def layer_cpu(path: Path, name: str) -> float:
    """CPU seconds of the engine's extraction layer alone over all pages (module docstring)."""
    return cpu_of(_LAYERS[name.split("@")[0]], path, name)[0]


def _pdfium_layer(path: Path, name: str) -> int:
    import pypdfium2

    module = load_before(name.split("@", 1)[1]) if "@" in name else None
    if module is None:
        import kpiscan.read.pdfium as module
    pdf = pypdfium2.PdfDocument(str(path))
    n = 0
    try:
        for i in range(len(pdf)):
            page = pdf[i]
            try:
                to_display = module._display(page)
                n += len(module._chars(page, to_display)) + sum(map(len, module._segments(page, to_display)))
            finally:
                page.close()
    finally:
        pdf.close()
    return n


def _plumber_layer(path: Path, name: str) -> int:
    import pdfplumber

    n = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            n += len(page.chars) + len(page.lines) + len(page.rects) + len(page.curves)
            page.close()
    return n


def _docling_layer(path: Path, name: str) -> int:
    """docling-parse's char cells and shapes: materialised as Python objects ("docling-parse"), or
    decoded natively only ("docling-parse-native", nothing usable comes back: its floor)."""
    from docling_parse.pdf_parser import ContentConfig, ContentLevel, DoclingPdfParser

    level = ContentLevel.COMPUTE if name.endswith("-native") else ContentLevel.COMPUTE_AND_MATERIALIZE
    config = ContentConfig(
        char_cells_content_level=level, shapes_content_level=level,
        word_cells_content_level=ContentLevel.SKIP, line_cells_content_level=ContentLevel.SKIP,
        bitmaps_content_level=ContentLevel.SKIP, include_bitmap_bytes=False,
    )
    doc = DoclingPdfParser().load(str(path))
    n = 0
    try:
        for _no, page in doc.iterate_pages(content_config=config):
            n += len(page.char_cells) + len(page.shapes)
    finally:
        doc.unload()
    return n


_LAYERS = {"pdfium": _pdfium_layer, "pdfplumber": _plumber_layer, "docling-parse": _docling_layer,
           "docling-parse-native": _docling_layer}


class Speed:
    """CPU seconds per (rendering, engine, level), summed over files of the minimum per file."""

    def __init__(self, repeat: int, slow_repeat: int) -> None:
        self.repeat, self.slow_repeat = repeat, slow_repeat
        self.cpu: dict[tuple[str, str, str], float] = {}
        self.pages: dict[tuple[str, str], int] = {}
        self.startup: dict[str, float] = {}

    def warm_up(self, path: Path, engines: list[str]) -> None:
        """One scan per engine before anything is timed (start-up, excluded; printed apart)."""
        for name in engines:
            if name in self.startup:
                continue
            if name.startswith("docling-parse"):
                self.startup[name] = cpu_of(layer_cpu, path, name)[0]
            else:
                self.startup[name] = scan_cpu(path, name)[0]

    def measure(self, fmt: str, path: Path, engines: list[str]) -> dict[str, Any]:
        """Time one rendering with every engine; returns the scan result of each record engine
        (the first run's, for F1)."""
        pages = n_pages(path)
        results: dict[str, Any] = {}
        best: dict[tuple[str, str], float] = {}
        for k in range(max(self.repeat, self.slow_repeat)):
            for name in engines:
                slow = name == "pdfplumber" or name.startswith("docling-parse")
                if k >= (self.slow_repeat if slow else self.repeat):
                    continue
                levels: list[tuple[str, float]] = []
                if name in RECORD_ENGINES:
                    cpu, result = scan_cpu(path, name)
                    results.setdefault(name, result)
                    levels += [("end-to-end", cpu), ("reader", reader_cpu(path, name))]
                levels.append(("chars+lines", layer_cpu(path, name)))
                for level, cpu in levels:
                    key = (name, level)
                    best[key] = min(best.get(key, cpu), cpu)
        for (name, level), cpu in best.items():
            self.cpu[(fmt, name, level)] = self.cpu.get((fmt, name, level), 0.0) + cpu
        for name in dict.fromkeys(name for name, _level in best):
            self.pages[(fmt, name)] = self.pages.get((fmt, name), 0) + pages
        line = ", ".join(
            f"{name} {pages / best[(name, 'end-to-end')]:.1f}/{pages / best[(name, 'reader')]:.1f}"
            for name in engines if (name, "end-to-end") in best
        )
        print(f"    {fmt}: {pages} pages; pages/s end-to-end/reader: {line}")
        return results

    def report(self, labels: dict[str, str], f1: dict[str, float]) -> None:
        print("\nPDF pages per CPU second, one core (CPU time of this process; per file the minimum of "
              f"{self.repeat} runs, pdfplumber and docling-parse {self.slow_repeat}; start-up excluded):")
        for name, cpu in self.startup.items():
            print(f"  start-up excluded [{name}]: first scan {cpu:.2f} CPU s (imports, models, first document)")
        print(f"  {'rendering':<8} {'engine':<22} {'pages':>5} {'F1':>7} {'end-to-end':>11} {'reader':>8} {'chars+lines':>12}")
        for fmt in labels:
            for name in dict.fromkeys(n for f, n, _l in self.cpu if f == fmt):
                pages = self.pages.get((fmt, name), 0)
                rates = [self.cpu.get((fmt, name, level)) for level in ("end-to-end", "reader", "chars+lines")]
                e2e, reader, layer = [f"{pages / cpu:.1f}" if cpu else "-" for cpu in rates]
                score = f1.get(f"{fmt}/{name}")
                print(f"  {fmt:<8} {name:<22} {pages:>5} {(f'{score:.4f}' if score is not None else '-'):>7} "
                      f"{e2e:>11} {reader:>8} {layer:>12}")
        for fmt, label in labels.items():
            print(f"  {fmt}: {label}")
