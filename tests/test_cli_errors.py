"""The command line on user errors: one line, a non-zero exit, never a traceback; --version,
-q/--verbose, --strict, --out checked before any work, skipped files listed, no stale pages."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpiscan import __version__
from kpiscan.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "corpora" / "002_5c711d4843627377.txt"
runner = CliRunner()


def bad_calls(tmp: Path) -> list[list[str]]:
    a_file = tmp / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    not_json = tmp / "pred.jsonl"
    not_json.write_text("{not json\n", encoding="utf-8")
    return [
        ["scan"], ["scan", str(tmp / "missing.txt")], ["scan", str(DOC), "--out", str(a_file)],
        ["scan", str(DOC), "--out", str(a_file / "sub")], ["scan", str(DOC), "--format", "parquet"],
        ["scan", str(DOC), "--format", "xml"], ["scan", str(DOC), "--workers", "0"], ["scan", str(DOC), "--resume"],
        ["eval", str(tmp / "missing.jsonl")], ["eval", str(not_json)], ["eval", "--gold", str(tmp / "none.jsonl")],
        ["eval", "--corpus", str(tmp / "nowhere")],
        ["value"], ["value", "5人", "--year", "soon"],
        ["report", str(DOC)], ["report", str(DOC), "--out", str(a_file)], ["report", str(tmp / "missing"), "--out", str(tmp / "r")],
        ["train", "--gold", str(tmp / "nowhere")],
        ["classify"], ["classify", "--name", "x"],
        ["nosuchcommand"], ["--nosuchoption"],
    ]


def test_every_command_fails_cleanly_on_bad_arguments(tmp_path):
    for args in bad_calls(tmp_path):
        res = runner.invoke(app, args)
        assert res.exit_code != 0, (args, res.output)
        assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception))
        assert "Traceback" not in res.output, (args, res.output)
        errors = [line for line in res.stderr.splitlines() if line.startswith("error")]
        assert len(errors) <= 2 or args[0] == "report", (args, res.stderr)


def test_out_is_checked_before_any_work(tmp_path, monkeypatch):
    import kpiscan.batch

    monkeypatch.setattr(kpiscan.batch, "run_scan", lambda *a, **k: pytest.fail("scanned before checking --out"))
    a_file = tmp_path / "f"
    a_file.write_text("", encoding="utf-8")
    res = runner.invoke(app, ["scan", str(DOC), "--out", str(a_file)])
    assert res.exit_code == 2 and res.stderr.strip() == f"error: --out {a_file}: exists and is not a directory"


def test_version_and_quiet():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"kpiscan {__version__}"


def test_quiet_and_verbose(tmp_path):
    quiet = runner.invoke(app, ["-q", "scan", str(DOC), "--out", str(tmp_path / "q"), "--no-classify"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    loud = runner.invoke(app, ["--verbose", "scan", str(DOC), "--out", str(tmp_path / "v"), "--no-classify"])
    assert "indicator rows" in loud.stderr and "wrote " in loud.stderr


def test_skipped_files_are_listed_and_strict_fails(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DOC, docs / "a.txt")
    (docs / "old.zip").write_bytes(b"PK\x03\x04")  # no reader takes .zip (.doc is read since issue 10)
    (docs / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    res = runner.invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify"])
    assert res.exit_code == 0, res.output
    assert f"skipped: {docs / 'old.zip'}: unsupported file type '.zip'" in res.stderr
    assert f"error: {docs / 'empty.txt'}: empty file" in res.stderr
    problems = (out / "problems.jsonl").read_text(encoding="utf-8")
    assert "old.zip" in problems and "empty.txt" in problems
    strict = runner.invoke(app, ["scan", str(docs), "--out", str(out), "--no-classify", "--strict"])
    assert strict.exit_code == 1


def test_a_directory_of_unsupported_files_is_an_error(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"x")  # .doc and .xls are read since issue 10
    (tmp_path / "b.exe").write_bytes(b"x")
    res = runner.invoke(app, ["scan", str(tmp_path), "--no-classify"])
    assert res.exit_code == 1 and "error: no file to scan (2 skipped)" in res.stderr


def test_report_again_leaves_no_stale_pages(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    shutil.copy(DOC, one / "first.txt")
    shutil.copy(DOC, two / "second.txt")
    out = tmp_path / "out"
    assert runner.invoke(app, ["report", str(one), "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, ["report", str(two), "--out", str(out)]).exit_code == 0
    assert [p.name for p in (out / "docs").glob("*.html")] == ["second.txt.html"]
    for name in ("findings.parquet", "table_scores.csv", "document_scores.parquet"):
        assert (out / name).exists()
