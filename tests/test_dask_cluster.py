"""Dask on a real cluster: a `dask scheduler` and two `dask worker --preload kpiscan.daskworker`
processes on localhost, started here as a user would start them (their own working directory,
kpiscan importable from this tree), one of them killed in the middle of a run. Their PYTHONPATH
also holds tests/dask_site, whose sitecustomize makes the scan of a file named burnc* spend
minutes inside one C call (see tests/test_file_timeout.py): --file-timeout must end it there."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

import kpiscan.batch as batch
from dask_local import start_cluster, stop_cluster
from kpiscan.batch import BatchStats, iter_parts
from kpiscan.scanproc import timeout_message
from table_synth import table_text as big_table

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("001_ac55e88fbc470c63.txt", "002_5c711d4843627377.txt")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, {name: worker process}); stopped at the end, by pid."""
    tmp = tmp_path_factory.mktemp("cluster")
    procs: list = []
    try:
        yield start_cluster(tmp, procs, [ROOT / "src", ROOT / "tests" / "dask_site"], logs=True)
    finally:
        stop_cluster(procs, timeout=20)


@pytest.fixture()
def many(tmp_path, corpora) -> Path:
    d = tmp_path / "many"
    d.mkdir()
    for k in range(16):
        shutil.copy(corpora / SMALL[k % 2], d / f"{k:02d}_{SMALL[k % 2]}")
    (d / "empty.txt").write_bytes(b"")
    return d


def test_records_identical_to_serial_with_relative_paths_and_env_address(cluster, many, monkeypatch):
    address, _ = cluster
    monkeypatch.chdir(many.parent)  # relative paths: the workers run in another directory
    serial = list(iter_parts(["many"], classify=False, show_progress=False))
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
    for files in ("send", "shared"):
        stats = BatchStats()
        parts = list(iter_parts(["many"], classify=False, dask="env", dask_files=files, stats=stats, show_progress=False))
        assert stats.mode == "dask" and stats.scanned == 17
        assert parts == serial, files
        assert [str(p) for p in stats.problems] == ["many/empty.txt: empty file"]


def test_shared_files_checked_up_front_with_one_clear_error():
    class Client:  # what client.run answers when a worker does not mount the inputs
        def run(self, fn, paths):
            return {"tcp://10.0.0.7:4242": [(p, -1) for p in paths]}

    f = ROOT / "corpora" / SMALL[0]
    with pytest.raises(ValueError) as err:
        batch.check_shared(Client(), [f])
    assert str(err.value).startswith(f"worker tcp://10.0.0.7:4242 cannot read {f} (--dask-files shared needs")


def test_file_timeout_ends_a_file_stuck_in_c_and_the_workers_go_on(cluster, many):
    """A file stuck in one C call and a huge table (slow in Python), 1 CPU s each: both reported
    as timed out, every other file identical to serial, both workers still there."""
    address, _ = cluster
    serial = list(iter_parts([many], classify=False, show_progress=False))
    shutil.copy(many / f"00_{SMALL[0]}", many / "burnc.txt")
    (many / "big.txt").write_text(big_table(20000), encoding="utf-8")
    with distributed.Client(address) as client:
        start = time.monotonic()
        parts = list(iter_parts([many], classify=False, dask=client, file_timeout=1, show_progress=False))
        assert time.monotonic() - start < 120  # the C call alone takes minutes
        assert len(client.nthreads()) == 2
    timed_out = {Path(p["files"][0]).name: p["problems"] for p in parts if Path(p["files"][0]).name in ("burnc.txt", "big.txt")}
    assert timed_out == {n: [{"path": str(many / n), "message": timeout_message(1), "line": None}] for n in ("burnc.txt", "big.txt")}
    assert [p for p in parts if Path(p["files"][0]).name not in timed_out] == serial


def test_a_worker_killed_mid_run_costs_nothing(cluster, many):
    address, workers = cluster
    serial = list(iter_parts([many], classify=False, show_progress=False))
    with distributed.Client(address) as client:
        parts, killed = [], False
        for part in iter_parts([many], classify=False, dask=client, show_progress=False):
            parts.append(part)
            if not killed:  # the first file is back: both workers hold files in flight
                os.kill(workers["a"].pid, signal.SIGKILL)
                workers["a"].wait(timeout=20)
                killed = True
        assert killed and len(parts) == len(serial)
    assert parts == serial  # complete and identical: the lost worker's files ran on the other


def test_files_go_in_batches_and_the_preload_quietens_the_cluster(cluster, many):
    """Fewer tasks than files (each a batch of consecutive files), still enough for both workers;
    the preload made the scheduler's and the workers' periodic work rarer and stopped the
    workers' profiler (kpiscan.daskworker.QUIET), and the scheduler spaced the workers'
    heartbeats (HEARTBEAT_S, not distributed's 0.5 s for a few workers)."""
    from kpiscan.daskworker import HEARTBEAT_S, QUIET

    address, _ = cluster
    serial = list(iter_parts([many], classify=False, show_progress=False))
    with distributed.Client(address) as client:
        batches: list[int] = []
        submit = client.submit

        def counting(fn, batch, **kw):
            batches.append(len(batch))
            return submit(fn, batch, **kw)

        client.submit = counting
        parts = list(iter_parts([many], classify=False, dask=client, show_progress=False))
        workers = client.run(lambda dask_worker: {k: c.callback_time for k, c in dask_worker.periodic_callbacks.items()})
        scheduler = client.run_on_scheduler(lambda dask_scheduler: {k: c.callback_time for k, c in
                                                                    dask_scheduler.periodic_callbacks.items()})
    assert parts == serial
    assert sum(batches) == 16 and 4 <= len(batches) < 16 and max(batches) > 1  # empty.txt: reported by the client
    quiet = dict(QUIET)
    for times in [scheduler, *workers.values()]:
        assert times["tick"] >= quiet["tick"] and times["monitor"] >= quiet["monitor"] and times["ticks"] >= quiet["ticks"]
    assert scheduler["idle-timeout"] >= quiet["idle-timeout"] and scheduler["no-workers-timeout"] >= quiet["no-workers-timeout"]
    for times in workers.values():
        assert times["memory_monitor"] >= quiet["memory_monitor"] and "profile" not in times
        assert times["heartbeat"] == HEARTBEAT_S * 1000


def test_outputs_written_from_the_workers_utf8_bytes_identical_to_serial(cluster, many, tmp_path):
    """`scan --out` through the cluster (JSONL and CSV, then --resume from its cache) writes the
    same bytes as the serial scan; the encoded streams reach the client as UTF-8 bytes (what the
    outputs and the cache write), not as text it decodes and encodes again."""
    address, _ = cluster
    text = (ROOT / "corpora" / SMALL[0]).read_text(encoding="utf-8")
    (many / "mixed.txt").write_text(text + "\n注：附件 ≥95% “引号” \U0001f600\n", encoding="utf-8")
    seen: list[type] = []
    real = batch.iter_parts

    def spying(*args, **kw):
        for part in real(*args, **kw):
            seen.extend(type(part[k]) for k in kw["encode"] if part["n"]["tables"])
            yield part

    for fmt in ("jsonl", "csv"):
        serial, dask, again = (tmp_path / f"{run}-{fmt}" for run in ("serial", "dask", "again"))
        batch.scan_to_outputs([many], serial, fmt, classify=False, show_progress=False)
        batch.iter_parts = spying
        try:
            batch.scan_to_outputs([many], dask, fmt, classify=False, dask=address, show_progress=False)
            assert seen and set(seen) == {bytes}, fmt
            shutil.copytree(dask / batch.CACHE_DIRNAME, again / batch.CACHE_DIRNAME)
            stats = BatchStats()
            batch.scan_to_outputs([many], again, fmt, classify=False, dask=address, resume=True, stats=stats, show_progress=False)
        finally:
            batch.iter_parts = real
        assert stats.cached == stats.files - 1  # all but empty.txt (a failed file is not cached)
        names = sorted(f.name for f in serial.iterdir() if f.is_file() and not f.name.startswith("."))
        assert names == sorted(f.name for f in dask.iterdir() if f.is_file() and not f.name.startswith("."))
        for name in names:
            assert (dask / name).read_bytes() == (serial / name).read_bytes(), (fmt, name)
            assert (again / name).read_bytes() == (serial / name).read_bytes(), (fmt, name)
