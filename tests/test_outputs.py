"""Issue 11, correctness: document identity, record ids, findings on the right half, one Parquet
schema whatever the data (pandas, pyarrow.dataset and DuckDB read a directory of outputs as one
dataset), one reading of measurability, and counts that say what they count."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import kpiscan
from kpiscan.batch import run_scan
from kpiscan.cli import app
from kpiscan.review import review_all

ROOT = Path(__file__).resolve().parents[1]
DOC1 = ROOT / "corpora" / "001_ac55e88fbc470c63.txt"
DOC2 = ROOT / "corpora" / "002_5c711d4843627377.txt"
runner = CliRunner()


@pytest.fixture(scope="module")
def labelled(corpora):
    try:
        result = kpiscan.scan(corpora, classify=True)
    except Exception as err:  # the classifier may be unusable (no fitted model)
        pytest.skip(f"classifier not usable: {err}")
    return result, review_all(result.tables, result.indicators)


# ------------------------------------------------------------------------- identity


def test_same_name_files_in_two_folders_are_two_documents(tmp_path):
    (tmp_path / "2023").mkdir()
    (tmp_path / "2024").mkdir()
    shutil.copy(DOC1, tmp_path / "2023" / "budget.txt")
    shutil.copy(DOC2, tmp_path / "2024" / "budget.txt")
    both = run_scan([tmp_path], classify=False)
    assert sorted({t.doc for t in both.tables}) == ["2023/budget.txt", "2024/budget.txt"]
    assert len({i.doc_hash for i in both.indicators}) == 2
    assert len({i.id for i in both.indicators}) == len(both.indicators)  # ids unique across the two
    review = review_all(both.tables, both.indicators)
    assert [d.doc for d in review.documents] == ["2023/budget.txt", "2024/budget.txt"]
    for folder in ("2023", "2024"):
        alone = run_scan([tmp_path / folder / "budget.txt"], classify=False)
        alone_review = review_all(alone.tables, alone.indicators)
        mine = [s for s in review.tables if s.doc == f"{folder}/budget.txt"]
        assert [(s.table, s.score, s.n_findings) for s in mine] == [
            (s.table, s.score, s.n_findings) for s in alone_review.tables]
        assert review.document(f"{folder}/budget.txt").score == alone_review.documents[0].score
    out = tmp_path / "report"
    res = runner.invoke(app, ["report", str(tmp_path / "2023"), str(tmp_path / "2024"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert len(list((out / "docs").glob("*.html"))) == 2  # two pages, neither overwrites the other


def test_every_record_carries_its_document(corpora):
    result = run_scan([DOC2], classify=False)
    for rec in [*result.tables, *result.indicators, *result.unparsed]:
        assert rec.doc == DOC2.name and rec.doc_hash and len(rec.doc_hash) == 16
    review = review_all(result.tables, result.indicators)
    assert all(f.doc_hash == result.tables[0].doc_hash for f in review.findings)


# ------------------------------------------------------------------------- findings point at records


def test_findings_quote_the_record_they_point_at(labelled):
    """Every finding whose message quotes an indicator's value (or name) points at records that have
    that value (or name): none lands on the other half's indicator of the same line."""
    from kpiscan.review import rules

    result, review = labelled
    by_id = {i.id: i for i in result.indicators}
    checked = 0
    for f in review.findings:
        template, said = rules()[f.code].message_zh, f.message.split(" / ")[0]
        if not f.records or "合计" in said:  # a sum of several rows quotes the sum, not a row
            continue
        field = "value" if "{value}" in template else "name" if "{name}" in template else None
        if field is None:
            continue
        for rid in f.records:
            assert getattr(by_id[rid], field) in said, (f.code, said, rid, by_id[rid].value)
            checked += 1
    assert checked > 100


def test_a_label_and_a_finding_never_disagree(labelled):
    result, review = labelled
    temporal = {i.id for i in result.indicators if i.label == "temporal"}
    for f in review.findings:
        if f.code == "time-indicator-without-date":
            assert not temporal & set(f.records), f.message
    said = {(i.id, r) for i in result.indicators for r in i.reasons}
    raised = {(rid, f.code) for f in review.findings for rid in f.records}
    for rid, code in said:
        if code in ("time-indicator-without-date", "satisfaction-without-percentage"):
            assert (rid, code) in raised


# ------------------------------------------------------------------------- one schema for a directory


def test_a_directory_of_parquet_outputs_reads_as_one_dataset(tmp_path):
    """One file with range targets, one without: the per-file outputs still share one schema."""
    parts = tmp_path / "parts"
    range_doc = tmp_path / "range.txt"
    range_doc.write_text(
        "项目支出绩效目标表\n(2024年度)\n项目名称\t\t道路养护\n主管部门及代码\t\t601-城管局\n"
        "绩效指标\t一级指标\t二级指标\t三级指标\t指标值\t二级指标\t三级指标\t指标值\n"
        "\t产出指标\t数量指标\t养护里程\t10-20公里\t数量指标\t养护里程\t10-20公里\n"
        "负责人：\t\t经办人：\t\t联系电话：\t\t填报日期：\t20240302171549\n", encoding="utf-8")
    for i, doc in enumerate([DOC2, range_doc]):
        res = runner.invoke(app, ["scan", str(doc), "--out", str(parts / f"p{i}"), "--format", "parquet", "--no-classify"])
        assert res.exit_code == 0, res.output
    files = sorted(parts.glob("*/indicators.parquet"))
    import duckdb
    import pandas as pd
    import pyarrow.dataset as ds

    frame = pd.concat([pd.read_parquet(f) for f in files])
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    whole = dataset.to_table()
    con = duckdb.connect()
    n, lows = con.execute(
        f"select count(*), count(target_low) from read_parquet('{parts}/*/indicators.parquet')").fetchone()
    assert len(frame) == whole.num_rows == n == 142
    assert lows == 2  # the range's low end, typed double in both files
    assert str(whole.schema.field("target_low").type) == "double"
    assert {"department", "year", "doc_hash", "id"} <= set(frame.columns)
    assert set(frame["department"]) == {"城管局", *set(frame["department"][frame["doc"] != "range.txt"])}


def test_findings_and_scores_as_frames_and_files(labelled, tmp_path):
    from kpiscan.write import write_review

    result, review = labelled
    findings = review.to_frame("findings")
    assert len(findings) == len(review.findings) and "records" in findings
    assert len(review.to_frame("tables")) == len(result.tables)
    written = write_review(review, tmp_path)
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "table_scores.parquet")) == len(result.tables)
    assert {p.name for p in written} >= {"findings.csv", "document_scores.parquet"}


def test_result_frames(labelled):
    result, _ = labelled
    assert len(result.to_frame("tables")) == len(result.tables)
    with pytest.raises(ValueError):
        result.to_frame("nothing")


# ------------------------------------------------------------------------- counts


def test_scores_count_rows_and_halves(labelled):
    result, review = labelled
    rows = {(i.doc, i.table, i.line) for i in result.indicators}
    assert sum(s.n_rows for s in review.tables) == len(rows) < len(result.indicators)
    assert sum(s.n_indicators for s in review.tables) == len(result.indicators)
    assert sum(d.n_rows for d in review.documents) == len(rows)


def test_records_encode_from_their_own_attributes_as_their_dicts(labelled):
    """Indicator, Target and Unparsed keep their fields in the instance (no __slots__ of their own:
    orjson writes an instance's attributes in one pass, not field by field through the class): the
    JSONL encoded from the records themselves is, record for record, the JSON of their to_dict()
    (the record contract), on every record of corpora/ (a target's others included)."""
    import dataclasses
    import json

    from kpiscan.model import Indicator, Target, Unparsed
    from kpiscan.write import json_line, json_lines

    result, _ = labelled
    for cls in (Indicator, Target, Unparsed):
        assert dataclasses.is_dataclass(cls) and "__slots__" not in vars(cls)
    assert any(i.target is not None and i.target.others for i in result.indicators)
    for records in (result.indicators, result.unparsed):
        encoded = json_lines(records).splitlines(keepends=True)
        assert len(encoded) == len(records) > 0
        for record, line in zip(records, encoded):
            assert line == json_line(record.to_dict())
            assert list(json.loads(line)) == list(vars(record))  # the instance's own attributes, in field order
