"""scanproc's helpers: a warmed-up helper pays no one-time cost in its first file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# In a fresh interpreter: warm(), then the first file of a Dask task (a corpus document's bytes
# scanned and its streams encoded as UTF-8 JSONL, as `_Dask` asks), counting the regex
# compilations, the kpiscan modules imported and the entries of jieba's dictionary read during that
# scan (all one-time costs).
PROBE = """
import json, sys, regex
from kpiscan.scanproc import warm
from kpiscan.batch import STREAMS, scan_part
from kpiscan.tokenize import segmenter
warm()
entries = len(segmenter().FREQ)
compiled, original = [], regex.compile
def counting(pattern, *a, **kw):
    compiled.append(str(pattern)[:60])
    return original(pattern, *a, **kw)
regex.compile = counting
before = set(sys.modules)
data = open(sys.argv[1], "rb").read()
part = scan_part(sys.argv[1], True, 600.0, data, sys.argv[1], STREAMS)
print(json.dumps({"compiled": compiled, "imported": sorted(m for m in set(sys.modules) - before if m.startswith("kpiscan")),
                  "dictionary_read": len(segmenter().FREQ) - entries,
                  "indicators": part["n"]["indicators"], "problems": part["problems"]}))
"""


def test_warm_helper_first_file_compiles_and_imports_nothing(corpora):
    doc = corpora / "000_dc3175b1d97e8850.txt"  # a department table too: the level2 category model
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(doc)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout)
    assert seen["indicators"] > 100 and seen["problems"] == []
    assert seen["compiled"] == [] and seen["imported"] == []
    assert seen["dictionary_read"] == 0  # a helper reads all of jieba's dictionary when it warms


@pytest.mark.slow
def test_forked_worker_survives_a_parent_that_read_parquet(tmp_path):
    """A process that read Parquet with pandas, pyarrow.dataset and duckdb after its first scan
    (as a notebook does) then scans again through a forked worker: the worker froze what it
    inherited without collecting it. When its warm-up collected, it died of SIGSEGV walking the
    parent's objects and every file was "the worker process scanning it died" (this pair of
    tests, in this order, in one process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "tests/test_outputs.py::test_a_directory_of_parquet_outputs_reads_as_one_dataset",
         "tests/test_cli_scan.py::test_scan_one_file_prints_jsonl"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:]
    assert out.stdout.startswith("..")  # both ran and passed
