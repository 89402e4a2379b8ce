"""kpiscan.gcpolicy: the garbage collector's policy of the report loop and the serial scan path.

Each report check runs in a fresh interpreter (the freeze is once per process and process-wide)
on two real files of corpora/: the policy applied (models frozen after the warm-up, the young
threshold raised inside the loop, restored after), off with KPISCAN_GC=0, and the same outputs
either way.
"""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kpiscan import gcpolicy

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
FILES = sorted((ROOT / "corpora").glob("*.txt"))[:2]

PROBE = r"""
import gc, json, sys
from pathlib import Path
import kpiscan.report as report
from kpiscan import gcpolicy

seen = []
review_all = report.review_all
def spy(*args, **kwargs):
    seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
    return review_all(*args, **kwargs)
report.review_all = spy

before = (gc.get_threshold(), gc.get_freeze_count())
report.report_scan([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]), show_progress=False)
print(json.dumps({"before": before, "seen": seen, "after": gc.get_threshold(),
                  "again": gcpolicy.warm_up(), "frozen_after": gc.get_freeze_count()}))
"""


def _probe(out: Path, gc_env: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    env.pop(gcpolicy.ENV, None)
    if gc_env is not None:
        env[gcpolicy.ENV] = gc_env
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out), *map(str, FILES)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    assert len(FILES) == 2
    base = tmp_path_factory.mktemp("gcpolicy")
    return {name: (base / name, _probe(base / name, env)) for name, env in (("on", None), ("off", "0"))}


def test_report_loop_runs_frozen_with_the_young_threshold_then_restores_it(runs):
    _, on = runs["on"]
    (default_threshold, frozen_before) = on["before"]
    assert frozen_before == 0
    assert on["seen"], "review_all was not called: no table reviewed"
    for young, frozen in on["seen"]:
        assert young == max(gcpolicy.YOUNG, default_threshold[0])
        assert frozen > 10_000  # kpiscan's modules, the models and the libraries they import
    assert on["after"] == default_threshold
    assert on["again"] is False  # once per process


def test_kpiscan_gc_0_turns_it_off(runs):
    _, off = runs["off"]
    default_threshold = off["before"][0]
    assert off["seen"] and all(seen == [default_threshold[0], 0] for seen in off["seen"])
    assert off["frozen_after"] == 0 and off["again"] is False


def test_outputs_equal_with_the_policy_on_and_off(runs):
    on, off = runs["on"][0], runs["off"][0]
    names = sorted(p.relative_to(on).as_posix() for p in on.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(off).as_posix() for p in off.rglob("*") if p.is_file())
    assert "index.html" in names and "findings.csv" in names
    for name in names:
        if name.endswith(".xlsx"):
            a, b = zipfile.ZipFile(on / name), zipfile.ZipFile(off / name)
            assert a.namelist() == b.namelist()
            for member in a.namelist():
                if member != "docProps/core.xml":  # the creation time
                    assert a.read(member) == b.read(member), (name, member)
        else:
            assert (on / name).read_bytes() == (off / name).read_bytes(), name


def test_long_run_blocks_nest_and_may_end_in_any_order(monkeypatch):
    monkeypatch.setattr(gcpolicy, "_warmed_in", os.getpid())  # no freeze of the test process
    start = gc.get_threshold()
    try:
        gc.set_threshold(700, *start[1:])
        outer, inner = gcpolicy.long_run(), gcpolicy.long_run()
        outer.__enter__()
        assert gc.get_threshold()[0] == gcpolicy.YOUNG
        inner.__enter__()
        outer.__exit__(None, None, None)  # a generator's runner closed after its caller's block
        assert gc.get_threshold()[0] == gcpolicy.YOUNG
        inner.__exit__(None, None, None)
        assert gc.get_threshold() == (700, *start[1:])
        monkeypatch.setenv(gcpolicy.ENV, "0")
        with gcpolicy.long_run():
            assert gc.get_threshold()[0] == 700
    finally:
        gc.set_threshold(*start)


def test_paused_restores_the_collector():
    assert gc.isenabled()
    with gcpolicy.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), gcpolicy.paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_closed_workbook_part_is_freed_when_the_next_part_opens(tmp_path, monkeypatch):
    """A part's XlsxWriter workbook is a reference cycle holding its links: inside long_run (young
    passes set off far apart, here never) it is freed by collect_dropped when the next part opens,
    not kept until the report ends (a 256x report held every closed part's links)."""
    import weakref

    from kpiscan.report import write_report, xlsx
    from test_report import _docs_scan

    monkeypatch.setattr(gcpolicy, "_warmed_in", os.getpid())  # no process-wide freeze in the test run
    monkeypatch.setattr(gcpolicy, "YOUNG", 10**9)  # no young pass in the block: only collect_dropped
    closed: list[weakref.ref] = []
    alive_after_open: list[int] = []
    close_book, open_part = xlsx.XlsxReport._close_book, xlsx.XlsxReport._open_part

    def spy_close(self, book):
        close_book(self, book)
        if book is not self.first:
            closed.append(weakref.ref(book.wb))

    def spy_open(self):
        open_part(self)
        alive_after_open.append(sum(r() is not None for r in closed))

    monkeypatch.setattr(xlsx.XlsxReport, "_close_book", spy_close)
    monkeypatch.setattr(xlsx.XlsxReport, "_open_part", spy_open)
    with gcpolicy.long_run():
        written = write_report(_docs_scan(7), tmp_path, rows_per_part=20)  # parts 1 (kept), 2, 3, 4
    assert len(written["xlsx_parts"]) == 4
    assert len(closed) >= 2  # parts 2 and 3 closed when 3 and 4 opened (4 closes at the end)
    assert alive_after_open[2:] == [0] * len(alive_after_open[2:])
