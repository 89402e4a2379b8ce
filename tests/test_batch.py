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

    def counting(path, classify=True, doc=None, sweep=True):
        calls.append(Path(path).name)
        return scan_file(path, classify=classify, doc=doc, sweep=sweep)

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


def _interrupted_at(name: str):
    """scan_file, but Ctrl-C arrives while the file `name` is scanned."""

    def interrupted(path, classify=True, doc=None, sweep=True):
        if Path(path).name == name:
            raise KeyboardInterrupt
        return scan_file(path, classify=classify, doc=doc, sweep=sweep)

    return interrupted


def test_interrupted_run_keeps_finished_files(docs, tmp_path, monkeypatch):
    cache = tmp_path / "cache"

    monkeypatch.setattr(batch, "scan_file", _interrupted_at(SMALL[1]))
    with pytest.raises(KeyboardInterrupt):
        run_scan([docs], classify=False, cache_dir=cache)

    calls: list[str] = []
    monkeypatch.setattr(batch, "scan_file",
                        lambda p, classify=True, doc=None, sweep=True: calls.append(Path(p).name) or scan_file(p, classify, doc, sweep))
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
    def broken(path, classify=True, doc=None, sweep=True):
        if Path(path).name == SMALL[0]:
            raise RuntimeError("boom")
        return scan_file(path, classify=classify, doc=doc, sweep=sweep)

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
    assert time.perf_counter() - start < 120  # a shared, loaded machine: generous
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



def test_files_sent_as_bytes_scan_as_from_their_path_from_one_private_directory(docs):
    """A file sent as bytes (a Dask task's) is scanned from a private copy of the same name in one
    directory of the process's own, emptied after each file; its part is the one its path gives."""
    names = sorted(p.name for p in docs.iterdir())
    for name in names + names:  # the same names again: each copy is gone before the next
        path = docs / name
        sent = batch.scan_part(str(path), False, None, path.read_bytes(), str(path), batch.STREAMS, name)
        assert sent == batch.scan_part(str(path), False, None, None, None, batch.STREAMS, name)
        assert list(batch._private_dir().iterdir()) == []
    assert batch._private_dir().parent.name.startswith("kpiscan-")


def test_files_sent_as_bytes_on_two_threads_each_scan_their_own_copy(docs):
    """Two threads sending files of the same name with different bytes: each part is its own
    file's (one private directory a thread; a shared one let a copy be overwritten mid-scan)."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = sorted(docs.iterdir())[:2]

    def sent(path: Path) -> object:
        return batch.scan_part("x.txt", False, None, path.read_bytes(), "x.txt", batch.STREAMS, "x.txt")

    with ThreadPoolExecutor(2) as pool:
        parts = list(pool.map(sent, [a, b] * 4))
    assert parts == [sent(a), sent(b)] * 4 and parts[0] != parts[1]


def test_a_dask_client_imports_none_of_the_scan_modules(docs, tmp_path):
    """`kpiscan scan --dask` lists the files, sends them and writes what the workers scanned: the
    client process imports none of the scan's modules (kpiscan.corpus holds what it needs), nor
    the readers' (a file's bytes: kpiscan.read.files) or regex, and its outputs are the serial scan's."""
    pytest.importorskip("distributed")
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kpiscan.cli import app\n"
        "try:\n"
        f"    app(['scan', {str(docs)!r}, '--out', {str(tmp_path / 'dask')!r}, '--dask', 'local:1'], standalone_mode=False)\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print(sorted(m for m in sys.modules if m.startswith('kpiscan.') and m.split('.')[1] in "
        "('pipeline', 'segment', 'extract', 'layout', 'templates', 'classify', 'values')"
        " or m in ('kpiscan.read.text', 'kpiscan.read.cells', 'regex')))\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip().splitlines()[-1] == "[]"
    runner = CliRunner()
    assert runner.invoke(app, ["scan", str(docs), "--out", str(tmp_path / "serial")]).exit_code == 0
    for name in ("indicators.jsonl", "tables.jsonl", "unparsed.jsonl"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()


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


# ------------------------------------------------------------------------------------ streaming


def test_parts_stream_one_file_at_a_time(docs, count_scans):
    parts = batch.iter_parts([docs], classify=False, show_progress=False)
    first = next(parts)
    assert count_scans == [SMALL[0]]  # the first file's records are out before the second is scanned
    assert first["files"] == [str(docs / SMALL[0])] and first["indicators"]
    assert "body" not in first["tables"][0]  # a part holds what the outputs need, no table bodies
    rest = list(parts)
    assert count_scans == list(SMALL) and len(rest) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_in_flight_files_bounded(tmp_path, corpora, monkeypatch, workers):
    """Parts waiting for an earlier file plus files in flight never exceed the runner's window."""
    d = tmp_path / "many"
    d.mkdir()
    for k in range(12):
        shutil.copy(corpora / SMALL[k % 2], d / f"{k:02d}_{SMALL[k % 2]}")
    seen = []
    original = batch._runner

    def spy(*args, **kw):
        runner, close = original(*args, **kw)
        submit = runner.submit

        def counting(i, path):
            seen.append(i)
            submit(i, path)

        runner.submit = counting
        return runner, close

    monkeypatch.setattr(batch, "_runner", spy)
    parts = batch.iter_parts([d], classify=False, workers=workers, show_progress=False)
    yielded = 0
    for _ in parts:
        yielded += 1
        window = 1 if workers == 1 else 4
        assert len(seen) - yielded <= window
    assert yielded == 12


def test_killed_run_leaves_no_half_written_output(docs, tmp_path, monkeypatch):
    out = tmp_path / "out"

    monkeypatch.setattr(batch, "scan_file", _interrupted_at(SMALL[1]))
    with pytest.raises(KeyboardInterrupt):
        batch.scan_to_outputs([docs], out, classify=False, show_progress=False)
    assert sorted(p.name for p in out.iterdir()) == [CACHE_DIRNAME, batch.LOCK_NAME]  # no output, no temp file


def test_streamed_outputs_equal_the_in_memory_writer(docs, tmp_path, monkeypatch):
    import pandas as pd

    from kpiscan import write

    monkeypatch.setattr(write, "PARQUET_ROW_GROUP", 7)  # several row groups
    result = scan(docs, classify=False)
    for fmt in write.FORMATS:
        streamed = batch.scan_to_outputs([docs], tmp_path / f"s-{fmt}", fmt, classify=False, show_progress=False)
        whole = write.write_outputs(result, tmp_path / f"w-{fmt}", fmt)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            assert pq.ParquetFile(streamed["indicators"]).num_row_groups > 1
            pd.testing.assert_frame_equal(pd.read_parquet(streamed["indicators"]), pd.read_parquet(whole["indicators"]))
            assert len(pd.read_parquet(streamed["indicators"])) == len(result.indicators)
        for key in streamed:
            if str(streamed[key]).endswith(".parquet"):  # row groups differ: compare the data
                pd.testing.assert_frame_equal(pd.read_parquet(streamed[key]), pd.read_parquet(whole[key]))
            else:
                assert streamed[key].read_bytes() == whole[key].read_bytes()


def test_non_finite_numbers_are_never_written_as_bare_infinity():
    from kpiscan.write import json_line

    line = json_line({"value": "1" + "0" * 400, "target": {"value": float("inf"), "low": float("nan"), "per": []}})
    assert "Infinity" not in line and "NaN" not in line
    assert json.loads(line)["target"] == {"value": None, "low": None, "per": []}


def test_second_scan_on_the_same_out_is_refused(docs, tmp_path):
    out = tmp_path / "out"
    with batch.output_lock(out):
        res = CliRunner().invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify"])
    assert res.exit_code == 75
    assert res.stderr.strip().startswith(f"error: {out} is being written by another kpiscan scan (pid ")
    assert not (out / "indicators.jsonl").exists()
    res = CliRunner().invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify"])  # lock released
    assert res.exit_code == 0, res.output


def test_cli_dask_without_the_extra_is_one_line(docs, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    res = CliRunner().invoke(app, ["scan", str(docs), "--dask", "local:1", "--no-classify"])
    assert res.exit_code == 2
    assert res.stderr == "error: --dask needs the optional dependency dask: pip install 'kpiscan[dask]'\n"


def test_cli_dask_env_without_address(docs, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    res = CliRunner().invoke(app, ["scan", str(docs), "--out", str(tmp_path / "o"), "--dask", "env", "--no-classify"])
    assert res.exit_code == 1
    assert res.stderr.strip() == "error: --dask env: DASK_SCHEDULER_ADDRESS is not set (--dask env reads the scheduler address from it)"


def test_lean_client_import_leaves_out_what_a_client_does_not_use():
    """The CLI's `--dask` imports distributed without numpy, jinja2, colorama and curses (each an
    optional import its importer catches); the client still works, and they import as usual after."""
    pytest.importorskip("distributed")
    import os
    import subprocess
    import sys

    code = (
        "import sys, kpiscan.batch as b; d = b.import_distributed(lean=True); "
        "print(sorted(m for m in ('numpy', 'jinja2', 'colorama', 'curses') if m in sys.modules)); "
        "print(callable(d.Client), callable(d.as_completed)); import jinja2; print('jinja2' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(root / "src")}).stdout.split("\n")
    assert out[:3] == ["[]", "True True", "True"]


def test_lost_workers_files_on_stdout_are_one_clear_line_each(docs, monkeypatch):
    """Without --out, a file whose worker process died is reported as one line on stderr and the
    others' records still go to stdout (its part, made by the parent, holds no encoded stream:
    it was written as text and failed with a TypeError traceback)."""
    import os

    real = batch.scan_part

    def dies_on_notes(path, *args, **kw):
        if Path(path).name == "notes.txt":
            os._exit(1)  # the forked worker process dies on this file
        return real(path, *args, **kw)

    (docs / "notes.txt").write_text((docs / SMALL[0]).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(batch, "scan_part", dies_on_notes)
    res = CliRunner().invoke(app, ["scan", str(docs), "--workers", "2", "--no-classify"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    assert f"{docs / 'notes.txt'}: the worker process scanning it died" in res.output
    assert {json.loads(line)["doc"] for line in res.stdout.splitlines() if line.startswith("{")} >= {SMALL[0]}


@pytest.mark.parametrize("options", [{}, {"workers": 2}, {"file_timeout": 60}])
def test_encoded_streams_come_as_utf8_bytes_from_every_runner(docs, options):
    """The streams a scan --out writes as JSONL come as their UTF-8 bytes (orjson's output,
    never decoded) from this process, forked workers and a worker under a time budget alike:
    the outputs and the resume cache write them as they are. They decode to the records the
    file's own scan gives."""
    from kpiscan.write import json_lines

    parts = list(batch.iter_parts([docs], classify=False, show_progress=False, encode=batch.STREAMS, **options))
    assert parts and all(isinstance(p[k], bytes) for p in parts for k in batch.STREAMS if p[k])
    first = next(p for p in parts if p["indicators"])
    result = scan_file(first["files"][0], classify=False)
    assert first["indicators"].decode() == json_lines(result.indicators)


def _code_files_by_definition(root: Path) -> list[tuple[str, bytes]]:
    """code_fingerprint's files as it first read them: sorted(root.rglob("*")), the files, but
    any __pycache__ and *.pyc / *.pyo (by Path.suffix): (path under the root, content)."""
    return [
        (str(f.relative_to(root)), f.read_bytes())
        for f in sorted(root.rglob("*"))
        if f.is_file() and "__pycache__" not in f.relative_to(root).parts and f.suffix not in (".pyc", ".pyo")
    ]


def test_code_fingerprint_reads_the_files_rglob_lists_in_its_order(tmp_path):
    root = tmp_path / "pkg"
    for name in ("a/b.py", "a-b/c.tsv", "a/__pycache__/b.cpython-311.pyc", "z.pyc", "y.pyo", ".pyc", ".hidden",
                 "a/b/c/d.json", "aa.py", "A.py", "__pycache__"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.py").write_text("x")
    (root / "linked").symlink_to(tmp_path / "elsewhere")  # a symlinked directory: not walked, as rglob
    (root / "link.py").symlink_to(root / "aa.py")  # a symlinked file: read, as rglob
    found = [("/".join(parts), Path(path).read_bytes()) for parts, path in sorted(batch._code_files(str(root)))]
    assert found == _code_files_by_definition(root)
    assert [name for name, _ in found][:3] == [".hidden", ".pyc", "A.py"]
    package = Path(batch.__file__).resolve().parent
    assert [("/".join(p), Path(f).read_bytes()) for p, f in sorted(batch._code_files(str(package)))] == (
        _code_files_by_definition(package))
