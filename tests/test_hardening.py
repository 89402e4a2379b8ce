"""Hostile inputs (issue 15): special files, symlink loops, time budgets, huge tables, partial
encodings, workers that must die with their parent."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpiscan
import kpiscan.batch as batch
import kpiscan.pipeline as pipeline
from kpiscan.batch import run_scan
from kpiscan.cli import app
from kpiscan.pipeline import scan_file

ROOT = Path(__file__).resolve().parents[1]
SMALL = "001_ac55e88fbc470c63.txt"


def big_table(rows: int) -> str:
    """One project table of corpora/001 with its indicator block repeated to `rows` rows (names
    numbered so that no two rows are the same)."""
    src = (ROOT / "corpora" / SMALL).read_text(encoding="utf-8").split("\n")
    h = next(i for i, line in enumerate(src) if line.startswith("绩效指标\t一级指标"))
    f = next(i for i in range(h, h + 40) if src[i].startswith("负责人"))
    t = next(i for i in range(h, 0, -1) if src[i].startswith("项目名称"))
    block, body = src[h + 1 : f], []
    for i in range(rows):
        cells = block[i % len(block)].split("\t")
        for c in (3, 6):
            if len(cells) > c and cells[c]:
                cells[c] += str(i // len(block))
        body.append("\t".join(cells))
    return "\n".join(["2024年度部门预算", *src[t - 4 : h + 1], *body, src[f], ""])


def test_special_files_skipped_and_listed(tmp_path, corpora):
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    shutil.copy(corpora / SMALL, d / SMALL)
    os.mkfifo(d / "pipe.txt")
    (d / "zero.txt").symlink_to("/dev/zero")
    (d / "random.md").symlink_to("/dev/urandom")
    (d / "gone.txt").symlink_to(d / "nowhere.txt")
    (d / "sub" / "loop").symlink_to(d)  # a directory loop: walked once
    (d / "self.txt").symlink_to(d / "self.txt")
    start = time.monotonic()
    res = CliRunner().invoke(app, ["scan", str(d), "--out", str(tmp_path / "out"), "--no-classify"])
    assert time.monotonic() - start < 60
    assert res.exit_code == 0, res.output
    errors = sorted(line for line in res.stderr.splitlines() if line.startswith("error:"))
    assert errors == sorted(
        [
            f"error: {d / 'gone.txt'}: broken symlink to {d / 'nowhere.txt'}: skipped",
            f"error: {d / 'pipe.txt'}: not a regular file (a FIFO (named pipe)): skipped",
            f"error: {d / 'random.md'}: not a regular file (a character device): skipped",
            f"error: {d / 'self.txt'}: symlink loop: skipped",
            f"error: {d / 'zero.txt'}: not a regular file (a character device): skipped",
        ]
    )
    assert "5 of 6 files had problems" in res.stderr
    assert (tmp_path / "out" / "indicators.jsonl").read_text(encoding="utf-8").count(SMALL) > 100


def test_library_scan_of_a_symlink_to_dev_zero_is_a_problem_not_memory_error(tmp_path):
    (tmp_path / "z.txt").symlink_to("/dev/zero")
    result = kpiscan.scan(tmp_path / "z.txt")
    assert [str(p) for p in result.problems] == [f"{tmp_path / 'z.txt'}: not a regular file (a character device): skipped"]


def _slow(path, classify=True, doc=None):
    if Path(path).name.startswith("slow"):
        end = time.process_time() + 30
        while time.process_time() < end:  # busy: the budget counts CPU time
            pass
    return scan_file(path, classify=classify, doc=doc)


@pytest.mark.parametrize("workers", [1, 2])
def test_file_timeout_reports_the_file_and_goes_on(tmp_path, corpora, monkeypatch, workers):
    shutil.copy(corpora / SMALL, tmp_path / "slow.txt")
    shutil.copy(corpora / SMALL, tmp_path / SMALL)
    monkeypatch.setattr(batch, "scan_file", _slow)
    start = time.monotonic()
    result = run_scan([tmp_path], classify=False, workers=workers, file_timeout=1, show_progress=False)
    assert time.monotonic() - start < 120
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'slow.txt'}: timed out after 1 s (--file-timeout, CPU seconds): skipped, no records written for it"
    ]
    assert {i.doc for i in result.indicators} == {SMALL}


def test_workers_die_with_their_parent(tmp_path, corpora):
    psutil = pytest.importorskip("psutil")
    for k in range(4):
        shutil.copy(corpora / SMALL, tmp_path / f"slow{k}.txt")
    code = textwrap.dedent(
        f"""
        import time, kpiscan.batch as b
        from kpiscan.pipeline import scan_file
        def slow(path, classify=True, doc=None):
            time.sleep(120)
        b.scan_file = slow
        b.run_scan([{str(tmp_path)!r}], classify=False, workers=2, show_progress=False)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        deadline = time.monotonic() + 60
        children = []
        while time.monotonic() < deadline and len(children) < 2:
            time.sleep(0.3)
            children = psutil.Process(parent.pid).children(recursive=True)
        assert len(children) >= 2
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=20)
        gone, alive = psutil.wait_procs(children, timeout=20)
        assert alive == []
    finally:
        if parent.poll() is None:
            parent.kill()


def test_time_linear_in_table_rows(tmp_path):
    """One table: 8x the rows costs about 8x the time (quadratic would be 64x)."""
    sizes = {}
    for rows in (1000, 8000):
        f = tmp_path / f"t{rows}.txt"
        f.write_text(big_table(rows), encoding="utf-8")
        scan_file(f, classify=False)  # warm
        t = time.process_time()
        result = scan_file(f, classify=False)
        sizes[rows] = time.process_time() - t
        assert not result.problems and len(result.tables) == 1
        assert len(result.indicators) >= rows
    assert sizes[8000] / sizes[1000] < 8 * 2


def test_rows_past_the_table_limit_kept_as_unparsed(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_TABLE_ROWS", 20)
    f = tmp_path / "t.txt"
    f.write_text(big_table(50), encoding="utf-8")
    result = scan_file(f, classify=False)
    cut = [u for u in result.unparsed if u.reason.startswith("table-row-limit")]
    assert len(cut) == 31 and all(u.table == 1 for u in cut)  # 51 body rows: the caption row and 50
    assert result.tables[0].n_unparsed == 31
    assert max(i.line for i in result.indicators) < min(u.line for u in cut)


def test_undecodable_line_in_a_table_is_an_unparsed_record_the_rest_read(tmp_path):
    text = big_table(9).split("\n")
    row = next(i for i, line in enumerate(text) if "\t市场经济秩序" in line)
    data = [line.encode("utf-8") for line in text]
    data[row] = data[row].replace("市场".encode("utf-8"), b"\xff\xfe")
    f = tmp_path / "t.txt"
    f.write_bytes(b"\n".join(data))
    result = scan_file(f, classify=False)
    notes = [u for u in result.unparsed if u.reason == "undecodable-line"]
    assert [(u.line, u.table) for u in notes] == [(row + 1, 1)]
    assert len(result.indicators) >= 14  # the other rows read


def test_a_garbled_amount_is_kept_as_text_not_silently_read(tmp_path):
    """Found by the fuzzer (seed 1 mutant 3407, seed 2 mutant 1376): an amount with a stray symbol
    was read as the clean number and its printed text was nowhere; now it is an unparsed cell."""
    f = tmp_path / "t.txt"
    f.write_text(big_table(9).replace("\t200,000\t", "\t200&,000\t", 1), encoding="utf-8")
    result = scan_file(f, classify=False)
    assert "200&,000" in {u.text for u in result.unparsed}
