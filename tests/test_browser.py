"""The HTML report opened in a real headless browser (Debian chromium, scripts/install-browser.sh).

Chromium loads each page from file:// with the network off and prints the DOM after the load
event. The pages record script and resource errors into <body data-js-errors>, and the bundled
script sets data-js-ready="1" when it has run, so the dumped DOM says whether the page rendered,
its stylesheet and script loaded, and no error happened; chromium's own console log on stderr is
checked as well. Filtered views are opened through the page's own URL parameters
(?weak=1, ?q=…), which the bundled script reads into its controls, so the DOM dumped after the
script ran shows what a reviewer sees after ticking the box or typing into the search field.
Screenshots are kept under tmp/artefacts/ (or $KPISCAN_ARTEFACTS); the test prints the path.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

import kpiscan
from kpiscan.report import write_report
from kpiscan.report.html import page_name

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = Path(os.environ.get("KPISCAN_ARTEFACTS", ROOT / "tmp" / "artefacts"))
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (run scripts/install-browser.sh)"),
]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
]
CONSOLE_ERROR = re.compile(r"CONSOLE.*(Uncaught|Error|error)|Failed to load resource|ERR_FILE_NOT_FOUND")
_DOC_LINK = re.compile(r'class="doc-link" href="([^"]+)"')


def chromium(page: Path, profile: Path, *args: str, query: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri() + query],
        capture_output=True, text=True, timeout=90,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory, corpora) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(kpiscan.scan(corpora, classify=False), out)
    return out


@pytest.fixture(scope="module")
def dumps(report, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """The dumped DOM (and stderr) of index.html and every document page, loaded in parallel."""
    pages = [report / "index.html", *sorted((report / "docs").glob("*.html"))]
    profiles = tmp_path_factory.mktemp("profiles")

    def dump(k_page):
        k, page = k_page
        return page.name, chromium(page, profiles / str(k), "--dump-dom", "--virtual-time-budget=3000")

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(dump, enumerate(pages)))


def test_every_page_renders_without_errors(dumps):
    for name, run in dumps.items():
        dom = run.stdout
        assert run.returncode == 0, f"{name}: chromium failed: {run.stderr[-500:]}"
        assert "<body" in dom and "</html>" in dom, f"{name}: no DOM dumped"
        assert 'data-js-errors="0"' in dom, f"{name}: script or resource errors recorded"
        assert 'data-js-ready="1"' in dom, f"{name}: the bundled script did not run"
        console = [line for line in run.stderr.splitlines() if CONSOLE_ERROR.search(line)]
        assert not console, f"{name}: console errors: {console[:3]}"


def test_document_pages_show_every_table(dumps, report, corpora):
    result = kpiscan.scan(corpora, classify=False)
    for doc in sorted({t.doc for t in result.tables}):
        dom = dumps[page_name(doc)].stdout
        n_tables = sum(1 for t in result.tables if t.doc == doc)
        assert dom.count('class="kpi-table"') == n_tables
        assert dom.count('class="indicators"') == n_tables
        assert "实施期目标" in dom and "年度目标" in dom


def test_index_links_resolve_to_document_pages(dumps, report):
    dom = dumps["index.html"].stdout
    links = _DOC_LINK.findall(dom)
    assert len(links) == len(list((report / "docs").glob("*.html"))) == 4
    for link in links:
        assert (report / unquote(link)).is_file(), link
    assert dom.count('<svg class="chart"') == 6


_ROW = re.compile(r'<tr id="t\d+-L\d+" class="([^"]*)"[^>]*>(.*?)</tr>', re.S)


def rows_of(dom: str) -> list[tuple[set[str], str]]:
    """(classes, inner HTML) of every indicator row in a dumped DOM."""
    return [(set(cls.split()), inner) for cls, inner in _ROW.findall(dom)]


def dump(page: Path, profile: Path, query: str = "") -> str:
    run = chromium(page, profile, "--dump-dom", "--virtual-time-budget=3000", query=query)
    assert run.returncode == 0, run.stderr[-500:]
    dom = run.stdout
    assert 'data-js-errors="0"' in dom and 'data-js-ready="1"' in dom
    return dom


def test_weak_only_view_keeps_headers_halves_and_categories(report, tmp_path):
    page = report / "docs" / page_name("001_ac55e88fbc470c63.txt")
    full, weak = dump(page, tmp_path / "p1"), dump(page, tmp_path / "p2", "?weak=1")
    rows = rows_of(weak)
    assert len(rows) == len(rows_of(full)) > 50
    kept = [r for r in rows if "hidden" not in r[0]]
    assert kept and len(kept) < len(rows)
    for classes, _ in rows:  # kept exactly the rows flagged or with a finding
        assert ("hidden" not in classes) == bool(classes & {"weak", "noted"})
    # every table keeps its header rows, both halves' captions, and its heading
    n_tables = full.count('class="kpi-table"')
    assert len(re.findall(r'<table class="indicators">\s*<thead>', weak)) == n_tables
    assert weak.count('class="kpi-table"') == n_tables
    assert weak.count('class="half"') == full.count('class="half"') > 0
    # the category labels show on every kept row (the body class switches the repeated ones on)
    assert re.search(r'<body[^>]*class="[^"]*\bfiltering\b', weak)
    assert all('class="cat' in inner for _, inner in kept)
    assert re.search(r'id="shown"[^>]*>显示 %d / %d 行<' % (len(kept), len(rows)), weak)


def test_search_box_filters_rows(report, tmp_path):
    page = report / "docs" / page_name("000_dc3175b1d97e8850.txt")
    dom = dump(page, tmp_path / "p", "?q=" + quote("满意度"))
    rows = rows_of(dom)
    kept = [inner for classes, inner in rows if "hidden" not in classes]
    gone = [inner for classes, inner in rows if "hidden" in classes]
    assert kept and gone
    assert all("满意度" in inner for inner in kept)
    assert not any("满意度" in re.sub(r"<[^>]+>", "", inner) for inner in gone)


def test_hostile_names_stay_text_in_the_browser(tmp_path):
    from test_report import HOSTILE, constructed_scan

    scan = constructed_scan()
    for i, text in zip(scan.indicators, HOSTILE * 3):
        i.name, i.value = text, text
    out = tmp_path / "out"
    write_report(scan, out)
    dom = dump(out / "docs" / page_name("t.txt"), tmp_path / "p")
    tags: list[tuple[str, list]] = []

    class Elements(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, attrs))

    Elements().feed(dom)
    assert not [t for t, _ in tags if t in ("img", "textarea")], "an injected element was built"
    events = [(t, a) for t, attrs in tags for a, _ in attrs if a.startswith("on")]
    assert not events, events[:3]
    scripts = [a for t, a in tags if t == "script"]
    assert len(scripts) == 2  # the page's own two
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in dom  # shown as text


def test_screenshots_are_drawn_and_kept(report, tmp_path, capsys):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shots = {
        "index.png": (report / "index.html", ""),
        "doc-weak-only.png": (report / "docs" / page_name("001_ac55e88fbc470c63.txt"), "?weak=1"),
    }
    for k, (name, (page, query)) in enumerate(shots.items()):
        shot = ARTEFACTS / name
        shot.unlink(missing_ok=True)
        run = chromium(page, tmp_path / f"profile{k}", f"--screenshot={shot}", "--window-size=1280,1600", query=query)
        assert run.returncode == 0 and shot.exists()
        assert shot.stat().st_size > 20_000  # a blank page is a few kB
    with capsys.disabled():
        print(f"\nscreenshots kept in {ARTEFACTS}: {', '.join(shots)}")
