"""The batch layer: result cache and resume, worker processes, Dask, bad files, the scan CLI options."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpiscan.batch as batch
from kpiscan.batch import CACHE_DIRNAME, BatchStats, run_scan
from kpiscan.cli import app
from kpiscan.pipeline import scan, scan_file
from kpiscan.serialize import result_from_dict, result_to_dict

SMALL = ("001_ac55e88fbc470c63.txt", "002_5c711d4843627377.txt")  # the two ~60 KB documents


def snapshot(result) -> dict:
    """Everything a run produces, as plain data (InputErrors compared by their message)."""
    return {
        "files": list(result.files),
        "indicators": result.records(),
        "tables": [t.to_dict() for t in result.tables],
        "unparsed": [u.to_dict() for u in result.unparsed],
        "problems": [str(p) for p in result.problems],
    }


@pytest.fixture()
def docs(tmp_path, corpora) -> Path:
    """A directory with copies of the two small corpus documents (free to modify)."""
    d = tmp_path / "docs"
    d.mkdir()
    for name in SMALL:
        shutil.copy(corpora / name, d / name)
        (d / name).chmod(0o644)
    return d


@pytest.fixture()
def count_scans(monkeypatch):
    """Wrap the scan_file the batch runner calls; the list records every path scanned."""
    calls: list[str] = []

    def counting(path, classify=True, doc=None):
        calls.append(Path(path).name)
        return scan_file(path, classify=classify, doc=doc)

    monkeypatch.setattr(batch, "scan_file", counting)
    return calls


def add_bad_files(d: Path) -> list[str]:
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (d / "notable.txt").write_text("2024年度部门预算公开说明\n一、部门职责\n负责全区的教育工作。\n", encoding="utf-8")
    return ["binary.txt", "empty.txt", "notable.txt"]


# ------------------------------------------------------------------------------- serialization


def test_result_round_trips_through_json(corpora):
    result = scan(corpora, classify=False)
    assert result.indicators and result.tables and result.unparsed
    back = result_from_dict(json.loads(json.dumps(result_to_dict(result), ensure_ascii=False)))
    assert back.tables == result.tables  # every field, body rows and periods included
    assert back.indicators == result.indicators
    assert back.unparsed == result.unparsed
    assert snapshot(back) == snapshot(result)


def test_every_table_and_indicator_field_is_serialized(corpora):
    from dataclasses import fields

    from kpiscan.model import Indicator, TableBlock
    from kpiscan.serialize import table_to_dict

    result = scan_file(corpora / SMALL[0], classify=False)
    renamed = {"table": "index", "table_line": "line"}
    assert {renamed.get(k, k) for k in table_to_dict(result.tables[0])} >= {f.name for f in fields(TableBlock)}
    assert set(result.indicators[0].to_dict()) >= {f.name for f in fields(Indicator)}


def test_labels_round_trip(corpora):
    try:
        result = scan_file(corpora / SMALL[0], classify=True)
    except Exception as err:  # the classifier may not be usable yet (no fitted model)
        pytest.skip(f"classifier not usable: {err}")
    assert any(i.label for i in result.indicators)
    assert result_from_dict(result_to_dict(result)).indicators == result.indicators


def test_problems_round_trip(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = scan_file(tmp_path / "empty.txt")
    assert result.problems
    back = result_from_dict(result_to_dict(result))
    assert [str(p) for p in back.problems] == [str(p) for p in result.problems]
    assert back.problems[0].path == result.problems[0].path and back.problems[0].line == result.problems[0].line


# ------------------------------------------------------------------------------------- caching


def test_resume_loads_from_cache(docs, tmp_path, count_scans):
    cache = tmp_path / "cache"
    first_stats = BatchStats()
    first = run_scan([docs], classify=False, cache_dir=cache, stats=first_stats)
    assert sorted(count_scans) == sorted(SMALL)
    assert (first_stats.cached, first_stats.scanned) == (0, 2)
    assert len(list(cache.glob("*.json"))) == 2

    count_scans.clear()
    stats = BatchStats()
    again = run_scan([docs], classify=False, cache_dir=cache, resume=True, stats=stats)
    assert count_scans == []  # nothing rescanned
    assert (stats.cached, stats.scanned) == (2, 0)
    assert snapshot(again) == snapshot(first)
    assert again.tables == first.tables and again.indicators == first.indicators


def test_without_resume_the_cache_is_written_but_not_read(docs, tmp_path, count_scans):
    cache = tmp_path / "cache"
    run_scan([docs], classify=False, cache_dir=cache)
    count_scans.clear()
    run_scan([docs], classify=False, cache_dir=cache)
    assert sorted(count_scans) == sorted(SMALL)


def test_cache_invalidated_when_the_file_changes(docs, tmp_path, count_scans):
    cache = tmp_path / "cache"
    run_scan([docs], classify=False, cache_dir=cache)
    changed = docs / SMALL[1]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text + "\n", encoding="utf-8")

    count_scans.clear()
    stats = BatchStats()
    result = run_scan([docs], classify=False, cache_dir=cache, resume=True, stats=stats)
    assert count_scans == [SMALL[1]]
    assert (stats.cached, stats.scanned) == (1, 1)
    assert snapshot(result) == snapshot(scan(docs, classify=False))

    count_scans.clear()  # the new version is cached in its turn
    run_scan([docs], classify=False, cache_dir=cache, resume=True)
    assert count_scans == []


def test_cache_keyed_by_classify_flag_and_code(docs, tmp_path, count_scans, monkeypatch):
    cache = tmp_path / "cache"
    run_scan([docs], classify=False, cache_dir=cache)
    count_scans.clear()
    monkeypatch.setattr(batch, "code_fingerprint", lambda: "another-version")
    run_scan([docs], classify=False, cache_dir=cache, resume=True)
    assert sorted(count_scans) == sorted(SMALL)  # code changed: everything rescanned


def test_same_file_named_another_way_is_reported_as_named_now(docs, tmp_path, monkeypatch, count_scans):
    cache = tmp_path / "cache"
    run_scan([docs / SMALL[0]], classify=False, cache_dir=cache)
    monkeypatch.chdir(docs)
    count_scans.clear()
    result = run_scan([Path(SMALL[0])], classify=False, cache_dir=cache, resume=True)
    assert count_scans == []
    assert result.files == [SMALL[0]]


def test_interrupted_run_keeps_finished_files(docs, tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    def interrupted(path, classify=True, doc=None):
        if Path(path).name == SMALL[1]:
            raise KeyboardInterrupt
        return scan_file(path, classify=classify, doc=doc)

    monkeypatch.setattr(batch, "scan_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_scan([docs], classify=False, cache_dir=cache)

    calls: list[str] = []
    monkeypatch.setattr(batch, "scan_file", lambda p, classify=True, doc=None: calls.append(Path(p).name) or scan_file(p, classify, doc))
    stats = BatchStats()
    result = run_scan([docs], classify=False, cache_dir=cache, resume=True, stats=stats)
    assert calls == [SMALL[1]]  # only the file that had not finished
    assert (stats.cached, stats.scanned) == (1, 1)
    assert snapshot(result) == snapshot(scan(docs, classify=False))


def test_failed_files_are_not_cached(docs, tmp_path, count_scans):
    cache = tmp_path / "cache"
    add_bad_files(docs)
    run_scan([docs], classify=False, cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == 2
    count_scans.clear()
    result = run_scan([docs], classify=False, cache_dir=cache, resume=True)
    assert sorted(count_scans) == ["binary.txt", "empty.txt", "notable.txt"]
    assert len({p.path for p in result.problems}) == 3


# ------------------------------------------------------------------------- bad files, failures


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_files_reported_and_the_others_scanned(docs, workers):
    bad = add_bad_files(docs)
    result = run_scan([docs], classify=False, workers=workers)
    assert sorted(Path(p.path).name for p in result.problems) == bad
    assert sorted(Path(f).name for f in result.files) == sorted(bad + list(SMALL))
    assert {i.doc for i in result.indicators} == set(SMALL)
    good = scan([docs / n for n in SMALL], classify=False)
    assert result.records() == good.records()


def test_unexpected_exception_is_a_problem_of_that_file(docs, monkeypatch):
    def broken(path, classify=True, doc=None):
        if Path(path).name == SMALL[0]:
            raise RuntimeError("boom")
        return scan_file(path, classify=classify, doc=doc)

    monkeypatch.setattr(batch, "scan_file", broken)
    result = run_scan([docs], classify=False)
    assert len(result.problems) == 1
    assert "internal error: RuntimeError: boom" in str(result.problems[0])
    assert {i.doc for i in result.indicators} == {SMALL[1]}


# ----------------------------------------------------------------------------- parallel runs


def test_workers_2_equals_serial(corpora):
    serial = run_scan([corpora], classify=False)
    stats = BatchStats()
    parallel = run_scan([corpora], classify=False, workers=2, stats=stats)
    assert stats.mode == "processes"
    assert snapshot(parallel) == snapshot(serial)
    assert parallel.tables == serial.tables and parallel.indicators == serial.indicators


def test_dask_local_cluster_equals_serial(corpora, docs):
    distributed = pytest.importorskip("distributed")
    import logging

    bad = add_bad_files(docs)
    paths = [corpora, docs]
    serial = run_scan(paths, classify=False)
    start = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster, distributed.Client(cluster) as client:
        stats = BatchStats()
        result = run_scan(paths, classify=False, dask=client, stats=stats)
    assert time.perf_counter() - start < 30
    assert stats.mode == "dask" and stats.scanned == len(serial.files)
    assert snapshot(result) == snapshot(serial)  # input order, problems included
    # corpora/gold/*.jsonl are listed as skipped (unsupported type), the bad files as failed
    assert sorted(Path(p.path).name for p in result.problems if p.path not in result.skipped) == bad
    assert sorted(Path(p).suffix for p in result.skipped) == [".jsonl"] * 4


def test_dask_spec_with_cache(docs, tmp_path):
    pytest.importorskip("distributed")
    cache = tmp_path / "cache"
    result = run_scan([docs], classify=False, dask="local:1", cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == 2
    stats = BatchStats()
    again = run_scan([docs], classify=False, dask="local:1", cache_dir=cache, resume=True, stats=stats)
    assert stats.cached == 2 and stats.scanned == 0  # all cached: no cluster started
    assert snapshot(again) == snapshot(result)


def test_import_kpiscan_does_not_import_dask():
    import subprocess
    import sys

    code = "import sys, kpiscan, kpiscan.batch, kpiscan.cli; print([m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------------------------ CLI


def test_cli_scan_resume(docs, tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    first = runner.invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify"])
    assert first.exit_code == 0, first.output
    assert (out / CACHE_DIRNAME).is_dir()
    records = (out / "indicators.jsonl").read_text(encoding="utf-8")

    again = runner.invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify", "--resume"])
    assert again.exit_code == 0, again.output
    assert "(2 from cache)" in again.stderr
    assert (out / "indicators.jsonl").read_text(encoding="utf-8") == records


def test_cli_resume_needs_out(docs):
    result = CliRunner().invoke(app, ["scan", str(docs), "--resume", "--no-classify"])
    assert result.exit_code == 2
    assert "--resume needs --out" in result.stderr


def test_cli_workers_and_dask_give_the_serial_records(docs, tmp_path):
    runner = CliRunner()
    outputs = {}
    for name, extra in {"serial": [], "workers": ["--workers", "2"], "dask": ["--dask", "local:1"]}.items():
        out = tmp_path / name
        res = runner.invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify", *extra])
        assert res.exit_code == 0, res.output
        outputs[name] = (out / "indicators.jsonl").read_text(encoding="utf-8")
    assert outputs["serial"] and outputs["workers"] == outputs["serial"] == outputs["dask"]


def test_cli_bad_files_listed_and_exit_zero(docs, tmp_path):
    add_bad_files(docs)
    res = CliRunner().invoke(app, ["scan", str(docs), "--out", str(tmp_path / "o"), "--no-classify", "--resume"])
    assert res.exit_code == 0
    assert "3 of 5 files had problems" in res.stderr
