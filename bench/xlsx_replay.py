"""The report's workbook alone, replayed: what `XlsxReport` is given in a `kpiscan report`, written
again (issue 13: its add and close counted apart from the rest of the report). Not a test.

    PYTHONPATH=src python bench/xlsx_replay.py capture PATHS OUT FILE
        run `kpiscan report PATHS --out OUT` and pickle every `XlsxReport.add` input (DocFacts),
        the problems and the 指标库 rows into FILE (the records by `report._by_fields`, so they
        come back rebuilt by their class, as the report's spool rebuilds them)
    PYTHONHASHSEED=0 PYTHONPATH=src valgrind --tool=callgrind --dump-before=getsid \\
        --callgrind-out-file=D/cg.%p python bench/xlsx_replay.py replay FILE OUT mark
        write FILE's workbook(s) into OUT under `gcpolicy.long_run`: dump 2 is the adds, dump 3
        the close (dump 1 the loading; without `mark`, their CPU seconds are printed)

Compare OUT's workbook with the report's own member by member (/work/team/xcmp.py compares
directories; docProps/core.xml holds the time it was written).
"""
from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any


def capture(paths: str, out: str, dest: str) -> None:
    from report_stages import run_report  # (bench/: this script's directory)

    import kpiscan.report as report
    import kpiscan.report.xlsx as xlsx

    docs: list[Any] = []
    closing: dict[str, Any] = {}
    add, close = xlsx.XlsxReport.add, xlsx.XlsxReport.close

    def adding(self: Any, d: Any) -> None:
        docs.append(d)
        add(self, d)

    def closed(self: Any, problems: list) -> list[Path]:
        closing.update(problems=problems, library=self.library, rows_per_part=self.rows_per_part)
        return close(self, problems)

    xlsx.XlsxReport.add = adding  # type: ignore[method-assign]
    xlsx.XlsxReport.close = closed  # type: ignore[method-assign]
    run_report(paths, out)
    with open(dest, "wb") as fh:
        pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = report._by_fields()  # type: ignore[assignment]
        pickler.dump((docs, closing))
    print(f"{len(docs)} documents -> {dest}")


def replay(src: str, out: str, mark: bool) -> None:
    import kpiscan.report.xlsx as xlsx
    from kpiscan.gcpolicy import long_run
    from kpiscan.report.html import page_name

    with open(src, "rb") as fh:
        docs, closing = pickle.load(fh)
    times = [time.process_time()]

    def boundary() -> None:
        if mark:
            os.getsid(0)
        times.append(time.process_time())

    with long_run():
        boundary()
        writer = xlsx.XlsxReport(Path(out), page_name, closing["rows_per_part"])
        for d in docs:
            writer.add(d)
        boundary()
        writer.library = closing["library"]
        writer.close(closing["problems"])
        boundary()
    if not mark:
        print(f"add {times[2] - times[1]:.3f} CPU s, close {times[3] - times[2]:.3f} CPU s")


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(*sys.argv[2:5])
    else:
        replay(sys.argv[2], sys.argv[3], sys.argv[4:5] == ["mark"])
