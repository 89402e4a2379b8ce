"""The pages' stages (`html.add`, `overview.add`) replayed part by part, for callgrind (issue 13). Not a test.

    PYTHONHASHSEED=0 PYTHONPATH=src python bench/report_pages.py capture PATHS OUT FILE
        runs `kpiscan report PATHS --out OUT` and pickles every DocFacts HtmlReport.add is given
        into FILE, each record as (its class, its init fields' values), so that the replay rebuilds
        it by its __init__ as the report's spool read does (an object unpickled the default way
        holds a combined __dict__, whose attribute reads cost more: a replay of those misleads).
    PYTHONHASHSEED=0 PYTHONPATH=SRC valgrind --tool=callgrind --dump-before=getsid \\
        --callgrind-out-file=D/cg.%p python bench/report_pages.py parts FILE N D/labels
        HtmlReport.add over the first N documents of FILE, then each of its parts alone over the
        same documents (the rows, the table sections, _table_view, _filters, grid, goal_clauses,
        the frame template, the findings) and Overview.add, os.getsid(0) between parts;
        D/labels names the dumps (bench/report_stages.py's `sum D` adds them up).
"""
from __future__ import annotations

import dataclasses
import os
import pickle
import sys
import tempfile
from typing import Any


def capture(paths: str, out: str, file: str) -> None:
    from report_stages import run_report  # (bench/: this script's directory)

    import kpiscan.report.html as html

    names: dict[type, Any] = {}

    def init_fields(cls: type) -> Any:
        if cls not in names:
            fs = dataclasses.fields(cls)
            names[cls] = (all(f.init for f in fs) and not hasattr(cls, "__post_init__")
                          and tuple(f.name for f in fs))
        return names[cls]

    class Pickler(pickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            cls = type(obj)
            if dataclasses.is_dataclass(cls) and not isinstance(obj, type) and init_fields(cls):
                return (cls, tuple(getattr(obj, n) for n in init_fields(cls)))
            return NotImplemented

    with open(file, "wb") as fh:
        pickler = Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
        add = html.HtmlReport.add

        def captured(self: Any, d: Any) -> Any:
            pickler.dump(d)
            pickler.clear_memo()  # a document read back alone, as the spool's parts are
            return add(self, d)

        html.HtmlReport.add = captured  # type: ignore[method-assign]
        run_report(paths, out)


def _load(file: str, n: int) -> list:
    docs: list = []
    with open(file, "rb") as fh:
        while len(docs) < n:
            try:
                docs.append(pickle.load(fh))
            except EOFError:
                break
    return docs


def parts(file: str, n: int, labels_file: str) -> None:
    import kpiscan.report.html as html
    from kpiscan.practice.report import goal_clauses
    from kpiscan.report.facts import Overview

    docs = _load(file, n)
    r = html.HtmlReport(tempfile.mkdtemp(prefix="report_pages."))
    views = [[html._table_view(t) for t in d.tables] for d in docs]
    tables = [t for d in docs for t in d.tables]
    shown = [t for vs in views for t in vs]
    overview = Overview()

    def frames() -> None:
        for d, vs in zip(docs, views):
            r.doc_template.render(doc=d.doc, doc_score=d.score, tables=vs, filters=html._filters(d),
                                  n_indicators=d.n_indicators, collapsed=False, root="../",
                                  tables_html=html._sections_here)

    stages = [
        ("add", lambda: [r.add(d) for d in docs]),
        ("rows", lambda: [html._tbody([], t["table"].index, t["rows"], t["halves"]) for t in shown]),
        ("sections", lambda: [html._sections([], vs, False) for vs in views]),
        ("table_view", lambda: [html._table_view(t) for t in tables]),
        ("filters", lambda: [html._filters(d) for d in docs]),
        ("grid", lambda: [html.grid(t) for t in tables]),
        ("goal_clauses", lambda: [goal_clauses(t.table, t.indicators, t.goals) for t in tables]),
        ("frame", frames),
        ("findings", lambda: [html._findings([], t["table"].index, t["findings"]) for t in shown]),
        ("overview.add", lambda: [overview.add(d) for d in docs]),
    ]
    labels = ["startup"]
    for label, run in stages:
        os.getsid(0)
        labels.append(label)
        run()
    os.getsid(0)
    labels.append("exit")
    r.spool.close()
    r.spool_path.unlink(missing_ok=True)
    with open(labels_file, "w") as fh:
        fh.write("\n".join(labels) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(*sys.argv[2:5])
    else:
        parts(sys.argv[2], int(sys.argv[3]), sys.argv[4])
