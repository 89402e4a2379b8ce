"""Reviewer and batch reports of a scan: DIR/kpiscan-review.xlsx, DIR/index.html, DIR/docs/<doc>.html.

    written = write_report(scan_result, Path("out"))   # reviews the scan, writes everything

`write_report` takes anything with `.tables` and `.indicators` (a `ScanResult`), and an optional
ready `Review` (else it runs `review_all`).
"""
from __future__ import annotations

from pathlib import Path

from ..review import Review, review_all
from .facts import Facts, gather

XLSX_NAME = "kpiscan-review.xlsx"


def write_report(result, out: Path, review: Review | None = None) -> dict[str, object]:
    """Review the scan (unless `review` is given) and write the xlsx and HTML reports into `out`."""
    from .html import write_html
    from .xlsx import write_xlsx

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in (out / "docs").glob("*.html"):  # pages of an earlier run: only this run's stay
        stale.unlink()
    review = review or review_all(result.tables, result.indicators)
    facts = gather(result.tables, result.indicators, review)
    problems = [str(p) for p in getattr(result, "problems", [])]
    written: dict[str, object] = {"xlsx": write_xlsx(facts, out / XLSX_NAME)}
    written.update(write_html(facts, out, problems))
    written["review"] = review
    return written


__all__ = ["Facts", "XLSX_NAME", "gather", "write_report"]
