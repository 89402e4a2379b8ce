"""--file-timeout holds in serial and --workers runs, including when the time goes inside one C call
that never returns to the interpreter (the Dask side: tests/test_dask_cluster.py).

Two kinds of slow file:
  * a real one: one table of 20,000 rows (corpora/001's indicator block repeated), several CPU
    seconds of Python: the soft limit (a CPU timer signal) ends it;
  * a C one: tests/dask_site/sitecustomize.py, on the PYTHONPATH of the scan's process, makes the
    scan of a file named burnc* first spend minutes inside one PBKDF2 call (OpenSSL, no return to
    the interpreter, so no signal handler runs): only the hard limit (RLIMIT_CPU, the kernel ends
    the worker) ends it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpiscan.batch import run_scan
from kpiscan.scanproc import cpu_ceiling, timeout_message
from table_synth import table_text as big_table

ROOT = Path(__file__).resolve().parents[1]
SMALL = ("001_ac55e88fbc470c63.txt", "002_5c711d4843627377.txt")
SITE = ROOT / "tests" / "dask_site"


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "indicators.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture()
def batch_dir(tmp_path, corpora) -> Path:
    """Two ordinary files, one that burns C time, one huge table (slow in Python)."""
    d = tmp_path / "in"
    d.mkdir()
    shutil.copy(corpora / SMALL[0], d / f"a_{SMALL[0]}")
    shutil.copy(corpora / SMALL[1], d / "burnc.txt")
    (d / "big.txt").write_text(big_table(20000), encoding="utf-8")
    shutil.copy(corpora / SMALL[1], d / f"z_{SMALL[1]}")
    return d


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])
def test_file_past_its_budget_in_c_or_python_is_reported_and_the_batch_goes_on(tmp_path, batch_dir, workers):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(SITE)])}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "kpiscan", "scan", str(batch_dir), "--out", str(out), "--no-classify", "--file-timeout", "1"]
    start = time.monotonic()
    proc = subprocess.run([*cmd, "--workers", workers], env=env, capture_output=True, text=True, timeout=300)
    assert time.monotonic() - start < 100  # the C call alone would take minutes
    assert proc.returncode == 0, proc.stderr
    assert f"error: {batch_dir / 'burnc.txt'}: {timeout_message(1)}" in proc.stderr.splitlines()
    assert f"error: {batch_dir / 'big.txt'}: {timeout_message(1)}" in proc.stderr.splitlines()
    # the other files: the same records as a scan of them alone, without any budget
    alone = run_scan([batch_dir / f"a_{SMALL[0]}", batch_dir / f"z_{SMALL[1]}"], classify=False, show_progress=False)
    assert _records(out) == [i.to_dict() for i in alone.indicators]
    assert {r["doc"] for r in _records(out)} == {f"a_{SMALL[0]}", f"z_{SMALL[1]}"}


@pytest.mark.parametrize("workers", [1, 2])
def test_real_slow_table_ends_at_its_budget_in_process_api(tmp_path, corpora, workers):
    (tmp_path / "big.txt").write_text(big_table(20000), encoding="utf-8")
    shutil.copy(corpora / SMALL[0], tmp_path / SMALL[0])
    t0 = time.monotonic()
    result = run_scan([tmp_path], classify=False, workers=workers, file_timeout=1, show_progress=False)
    assert time.monotonic() - t0 < 60
    assert [str(p) for p in result.problems] == [f"{tmp_path / 'big.txt'}: {timeout_message(1)}"]
    assert {i.doc for i in result.indicators} == {SMALL[0]}


def test_cpu_ceiling_ends_a_process_stuck_in_c():
    """The kernel limit alone: a child stuck in one C call is ended by SIGXCPU within its ceiling."""
    code = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]); from kpiscan.scanproc import cpu_ceiling\n"
        "with cpu_ceiling(1):\n    hashlib.pbkdf2_hmac('sha256', b'k', b's', 300_000_000)\n"
    )
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "src")], timeout=120)
    assert proc.returncode < 0 and time.monotonic() - t0 < 60
    with cpu_ceiling(30):  # and restored after: this process is not ended by the limit
        pass
