"""Where `kpiscan report PATHS --out OUT` spends its work, stage by stage (issue 13). Not a test.

    PYTHONPATH=src python bench/report_stages.py time PATHS OUT
        CPU s (process_time) of each stage, its own (stages nest: a stage's time leaves out the
        stages it calls), and its share.
    PYTHONHASHSEED=0 PYTHONPATH=src valgrind --tool=callgrind --dump-before=getsid \\
        --callgrind-out-file=D/cg.%p python bench/report_stages.py mark PATHS OUT D/labels
    python bench/report_stages.py sum D
        the same table in instructions: in `mark` mode each stage boundary calls os.getsid(0),
        before which callgrind dumps its counters; D/labels names the stage each dump belongs to.

Stages: the in-process scan (iter_parts' parts), decoding a part, the spool (write, read), the
practice corpus (add, finish: the library; findings), the review, the workbook (add, close),
the pages (add, close), the overview, the tabular sinks (add, close), the library rows; "startup"
is everything else (imports, the writers' set-up, the loops).
"""
from __future__ import annotations

import collections
import inspect
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable


def run_report(paths: str, out: str) -> None:
    """`kpiscan report PATHS --out OUT` in this process, as the CLI runs it (its exit code ignored):
    for the benches that wrap a stage's method first (this one, report_pages.py, xlsx_replay.py)."""
    from kpiscan.cli import main as cli

    sys.argv = ["kpiscan", "report", paths, "--out", out]
    try:
        cli()
    except SystemExit:
        pass


def _table(own: dict[str, float], unit: str) -> None:
    total = sum(own.values())
    for k, v in sorted(own.items(), key=lambda kv: -kv[1]):
        print(f"{k:20s} {v:9.3f} {unit} {100 * v / total:5.1f}%")
    print(f"{'total':20s} {total:9.3f} {unit}")


def dumps_by_stage(d: Path, unit: float) -> dict[str, float]:
    """The callgrind dumps of a `mark` run (D/cg.PID[.N], in dump order; D/labels names the stage
    of each dump, what follows the last is "exit"), summed per stage, in `unit` instructions.
    bench/scan_stage_instructions.py sums its dumps with it too."""
    labels = (d / "labels").read_text().splitlines()

    def number(f: Path) -> int:
        m = re.search(r"cg\.\d+(?:\.(\d+))?$", f.name)
        return int(m.group(1)) if m and m.group(1) else 1 << 30

    files = sorted((f for f in d.glob("cg.*") if re.search(r"cg\.\d+(\.\d+)?$", f.name)), key=number)
    own: dict[str, float] = collections.Counter()
    for k, f in enumerate(files):
        text = f.read_text(errors="replace")
        found = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        own[labels[k] if k < len(labels) else "exit"] += int(found.group(1)) / unit if found else 0
    return own


def summed(d: Path) -> None:
    """The callgrind dumps of a `mark` run, summed per stage (G instructions)."""
    _table(dumps_by_stage(d, 1e9), "G")


def staging(boundary: Callable[[], None], stack: list[str]) -> Callable[[str, Callable[..., Any]], Callable[..., Any]]:
    """wrap(label, fn): `fn` run as the stage `label` (on top of `stack` while it runs), with a
    `boundary()` before and after it, so that what ran since the last boundary is the stage on top's
    own work. bench/scan_stage_instructions.py wraps the scan's stages with it too."""
    def wrap(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def staged(*a: Any, **kw: Any) -> Any:
            boundary()
            stack.append(label)
            try:
                return fn(*a, **kw)
            finally:
                boundary()
                stack.pop()
        return staged

    return wrap


def main() -> None:
    mode = sys.argv[1]
    if mode == "sum":
        summed(Path(sys.argv[2]))
        return
    paths, out = sys.argv[2], sys.argv[3]
    labels_file = Path(sys.argv[4] if len(sys.argv) > 4 else "labels")
    labels: list[str] = []
    stack = ["startup"]
    own: dict[str, float] = {}
    last = [time.process_time()]

    import kpiscan.batch as batch
    import kpiscan.practice.report as practice_report
    import kpiscan.practice.stream as stream
    import kpiscan.report as report
    import kpiscan.report.facts as facts
    import kpiscan.report.html as html
    import kpiscan.report.xlsx as xlsx
    import kpiscan.write as write

    def boundary() -> None:  # what ran since the last boundary belongs to the stage on top
        if mode == "mark":
            labels.append(stack[-1])
            os.getsid(0)
        else:
            t = time.process_time()
            own[stack[-1]] = own.get(stack[-1], 0.0) + t - last[0]
            last[0] = t

    wrap = staging(boundary, stack)

    def wrap_iter(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def staged(*a: Any, **kw: Any) -> Any:
            it = fn(*a, **kw)
            while True:
                boundary()
                stack.append(label)
                try:
                    x = next(it)
                except StopIteration:
                    return
                finally:
                    boundary()
                    stack.pop()
                yield x
        return staged

    batch.iter_parts = wrap_iter("scan", batch.iter_parts)
    batch.part_result = wrap("scan.part_result", batch.part_result)
    report.warm_models = wrap("models.load", report.warm_models)
    report.PartSpool.write = wrap("spool.write", report.PartSpool.write)  # type: ignore[method-assign]
    read = inspect.getattr_static(report.PartSpool, "_read")  # (a staticmethod in trees before flow8's)
    spool_read = wrap("spool.read", report.PartSpool._read)
    report.PartSpool._read = staticmethod(spool_read) if isinstance(read, staticmethod) else spool_read  # type: ignore[method-assign]
    stream.PracticeCorpus.add = wrap("practice.add", stream.PracticeCorpus.add)  # type: ignore[method-assign]
    stream.PracticeCorpus.finish = wrap("practice.finish", stream.PracticeCorpus.finish)  # type: ignore[method-assign]
    stream.PracticeCorpus.findings = wrap("practice.findings", stream.PracticeCorpus.findings)  # type: ignore[method-assign]
    report.review_all = wrap("review", report.review_all)
    report.documents = wrap_iter("facts.documents", report.documents)
    report.ReportWriter.add = wrap("writer.add-rest", report.ReportWriter.add)  # type: ignore[method-assign]
    report.ReportWriter.close = wrap("writer.close-rest", report.ReportWriter.close)  # type: ignore[method-assign]
    xlsx.XlsxReport.add = wrap("xlsx.add", xlsx.XlsxReport.add)  # type: ignore[method-assign]
    xlsx.XlsxReport.close = wrap("xlsx.close", xlsx.XlsxReport.close)  # type: ignore[method-assign]
    html.HtmlReport.add = wrap("html.add", html.HtmlReport.add)  # type: ignore[method-assign]
    html.HtmlReport.close = wrap("html.close", html.HtmlReport.close)  # type: ignore[method-assign]
    facts.Overview.add = wrap("overview.add", facts.Overview.add)  # type: ignore[method-assign]
    # the tabular sinks' add: the review's records flattened and appended (ReportWriter's own step)
    report.ReportWriter._add_tabular = wrap("sinks.add", report.ReportWriter._add_tabular)  # type: ignore[method-assign]
    write._Sink.add = wrap("sinks.add", write._Sink.add)  # type: ignore[method-assign]
    write._Sink.close = wrap("sinks.close", write._Sink.close)  # type: ignore[method-assign]
    practice_report.family_ranges_svg = wrap("library.svg", practice_report.family_ranges_svg)
    practice_report.library_rows = wrap("library.rows", practice_report.library_rows)

    run_report(paths, out)
    boundary()
    if mode == "mark":
        labels_file.write_text("\n".join(labels) + "\n")
    else:
        _table(own, "s")


if __name__ == "__main__":
    main()
