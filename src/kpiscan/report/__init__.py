"""Reviewer and batch reports of a scan: DIR/kpiscan-review.xlsx (-2, -3, … parts at scale),
DIR/index.html, DIR/docs/<doc>.html.

    written = write_report(scan_result, Path("out"))   # reviews the scan, writes everything

`write_report` takes anything with `.tables` and `.indicators` (a `ScanResult`; `.problems` when
it has them), and an optional ready `Review` (else it runs `review_all`). Records are grouped by
document and table once (facts.documents) and each document is written to the workbook and its
page before the next: besides the scan and its review, the report holds one document's rows and
the running totals of the overview.
"""
from __future__ import annotations

from pathlib import Path

from ..review import Review, review_all
from .facts import DocFacts, Overview, documents
from .html import INDEX_PAGE_DOCS, HtmlReport, page_name
from .xlsx import ROWS_PER_PART, XLSX_NAME, XlsxReport


def write_report(result, out: Path, review: Review | None = None, rows_per_part: int = ROWS_PER_PART,
                 page_docs: int = INDEX_PAGE_DOCS) -> dict[str, object]:
    """Review the scan (unless `review` is given) and write the xlsx and HTML reports into `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    review = review or review_all(result.tables, result.indicators)
    problems = list(getattr(result, "problems", []))
    html = HtmlReport(out, page_docs)
    xlsx = XlsxReport(out, page_name, rows_per_part)
    overview = Overview()
    for d in documents(result.tables, result.indicators, review):
        xlsx.add(d)
        html.add(d)
        overview.add(d)
    parts = xlsx.close(problems)
    for old in out.glob(XLSX_NAME.replace(".xlsx", "-*.xlsx")):
        if old not in parts:
            old.unlink()  # a part of an earlier, larger report into the same directory
    written: dict[str, object] = {"xlsx": parts[0], "xlsx_parts": parts}
    written.update(html.close(overview, problems))
    written["review"] = review
    return written


__all__ = ["DocFacts", "Overview", "XLSX_NAME", "documents", "write_report"]
