"""`kpiscan scan` and `kpiscan eval` end to end through the command line."""
import json

from typer.testing import CliRunner

from kpiscan.cli import app

runner = CliRunner()
TABLE = (
    "晋城市市级预算部门（单位）项目支出绩效目标表\n(2024年度)\n"
    "项目名称\t\t聘用律师费\n主管部门及代码\t\t604-侯马经济开发区\n"
    "绩效指标\t一级指标\t二级指标\t三级指标\t指标值\t二级指标\t三级指标\t指标值\n"
    "\t产出指标\t数量指标\t委托代理费案件\t2件\t数量指标\t委托代理费案件\t2件\n"
    "负责人：\t\t经办人：\t\t联系电话：\t\t填报日期：\t20240302171549\n"
)


def test_scan_one_file_prints_jsonl(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(TABLE, encoding="utf-8")
    res = runner.invoke(app, ["scan", str(f), "--no-classify"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["period"], r["name"], r["value"], r["line"]) for r in rows] == [
        ("implementation", "委托代理费案件", "2件", 6),
        ("annual", "委托代理费案件", "2件", 6),
    ]
    assert rows[0]["target"]["value"] == 2 and rows[0]["doc"] == "a.txt"


def test_bad_single_file_exits_nonzero_with_one_line(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    res = runner.invoke(app, ["scan", str(f), "--no-classify"])
    assert res.exit_code == 1
    assert res.stderr.strip() == f"error: {f}: empty file"
    assert "Traceback" not in res.output


def test_directory_goes_past_bad_files_and_writes_outputs(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "good.txt").write_text(TABLE, encoding="utf-8")
    (docs / "bad.txt").write_bytes(b"\x00\x01binary")
    (docs / "notes.txt").write_text("第一部分 概况\n", encoding="utf-8")
    out = tmp_path / "out"
    for fmt in ("jsonl", "csv", "parquet"):
        res = runner.invoke(app, ["scan", str(docs), "--out", str(out), "--format", fmt, "--no-classify"])
        assert res.exit_code == 0, res.output
        assert (out / f"indicators.{fmt}").exists()
    assert "bad.txt:1: binary file" in res.stderr and "notes.txt: no 绩效目标表" in res.stderr
    assert "2 of 3 files had problems" in res.stderr
    tables = [json.loads(x) for x in (out / "tables.jsonl").read_text(encoding="utf-8").splitlines()]
    assert tables[0]["project"] == "聘用律师费" and tables[0]["n_indicators"] == 2
    import pandas as pd

    frame = pd.read_parquet(out / "indicators.parquet")
    assert list(frame["name"]) == ["委托代理费案件", "委托代理费案件"]
    assert list(frame["target_unit"]) == ["件", "件"]


def test_unknown_format_is_refused(tmp_path):
    res = runner.invoke(app, ["scan", str(tmp_path), "--format", "xml"])
    assert res.exit_code == 2 and "--format" in res.stderr


def test_eval_prints_per_document_scores(corpora):
    res = runner.invoke(app, ["eval", "--corpus", str(corpora)])
    assert res.exit_code == 0, res.output
    lines = {line.split()[0]: line.split() for line in res.stdout.splitlines()[1:]}
    f1 = float(lines["002_5c711d4843627377.txt"][5])
    assert f1 >= 0.98


def test_a_scan_s_command_line_imports_no_pydantic(tmp_path):
    """`kpiscan scan FILE --out OUT --workers 1 --format jsonl` through the console entry point:
    the installed typer reads the options without pydantic (typer 0.29 coerced every value, the
    defaults too, through pydantic: ~0.2 CPU s a command; pyproject.toml keeps typer below it),
    and a bad value still gets typer's message."""
    import subprocess
    import sys
    from pathlib import Path

    f = tmp_path / "a.txt"
    f.write_text(TABLE, encoding="utf-8")
    code = ("import sys\nfrom kpiscan.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
            "print('pydantic' in sys.modules, code)\n")
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {"PYTHONPATH": src, "PATH": "/usr/bin:/bin"}
    args = ["scan", str(f), "--out", str(tmp_path / "o"), "--workers", "1", "--format", "jsonl"]
    run = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    assert run.stdout.split() == ["False", "0"], run.stderr
    assert (tmp_path / "o" / "indicators.jsonl").read_text(encoding="utf-8").count("委托代理费案件") == 2
    bad = subprocess.run([sys.executable, "-c", code, "scan", str(f), "--workers", "0"], env=env, capture_output=True, text=True)
    assert "Invalid value for '--workers'" in bad.stderr and bad.stdout.split()[-1] == "2"
