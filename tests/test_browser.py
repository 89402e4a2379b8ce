"""The HTML report opened in a real headless browser (Debian chromium, scripts/install-browser.sh).

Chromium loads each page from file:// with the network off and prints the DOM after the load
event. The pages record script and resource errors into <body data-js-errors>, and the bundled
script sets data-js-ready="1" when it has run, so the dumped DOM says whether the page rendered,
its stylesheet and script loaded, and no error happened; chromium's own console log on stderr is
checked as well.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

import pytest

import kpiscan
from kpiscan.report import write_report
from kpiscan.report.html import page_name

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


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
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
    assert dom.count('<svg class="chart"') == 7  # six charts and the practice family ranges


def test_screenshot_is_drawn(report, tmp_path):
    shot = tmp_path / "index.png"
    run = chromium(report / "index.html", tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1600")
    assert run.returncode == 0 and shot.exists()
    assert shot.stat().st_size > 20_000  # a blank page is a few kB
