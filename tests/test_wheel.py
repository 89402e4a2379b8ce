"""The package installs anywhere: build the wheel from this checkout, install it into a fresh
virtualenv outside the checkout, and run `kpiscan scan` on one corpus file from another directory,
with no KPISCAN_LEXICONS and no PYTHONPATH (lexicons, templates and the model are package data)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "corpora" / "002_5c711d4843627377.txt"


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_scans(tmp_path):
    pytest.importorskip("build")
    src = tmp_path / "src-copy"  # build from a copy: no build/ or egg-info left in the checkout
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", "corpora", "notebooks", "build", "dist", "*.egg-info", "__pycache__", ".kpiscan-cache"))
    dist = tmp_path / "dist"
    built = _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)])
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheel = next(dist.glob("kpiscan-*.whl"))

    venv = tmp_path / "venv"
    # the machine's packages (spaCy, scikit-learn, ...) are reused, so nothing large downloads
    assert _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)]).returncode == 0
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KPISCAN_LEXICONS")}
    inst = _run([str(py), "-m", "pip", "install", "-q", str(wheel)], env=env)
    assert inst.returncode == 0, inst.stderr[-2000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(py), "-c", "import kpiscan; print(kpiscan.__file__, kpiscan.__version__)"], cwd=elsewhere, env=env)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr  # the wheel, not the checkout
    res = _run([str(venv / "bin" / "kpiscan"), "scan", str(DOC)], cwd=elsewhere, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(records) == 140  # the gold of 002 holds 140 records
    assert all(r["label"] for r in records)  # the packaged classifier model loaded
    print(f"wheel {wheel.name}: installed in {venv}; `kpiscan scan {DOC.name}` -> {len(records)} records")
