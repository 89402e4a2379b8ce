"""The measurability classifier: rubric rules, the shipped model, the API and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kpiscan.classify import LABELS, MODEL_PATH, Verdict, assess, baseline_assess, classify_one
from kpiscan.classify.item import item_of
from kpiscan.classify.rules import baseline, certain
from kpiscan.classify.terms import name_cues, term_hits
from kpiscan.model import Indicator

GOLD = Path(__file__).resolve().parents[1] / "corpora" / "gold"


def indicator(name: str, value: str, level2: str = "数量指标", **kw) -> Indicator:
    return Indicator(doc="t.txt", table=1, table_line=1, kind="project", project="p", period="implementation",
                     level1="产出指标", level2=level2, name=name, value=value, line=1, **kw)


# ---------------------------------------------------------------- rubric cases


@pytest.mark.parametrize(
    "name, value, level2, label, reason",
    [
        ("培训人数", "", "数量指标", "malformed", "missing-value"),
        ("可持续", "可持续", "可持续影响指标", "malformed", "value-repeats-name"),
        ("带动就业", "社会效益指标", "社会效益指标", "malformed", "value-repeats-category"),
        ("2024全年", "2024年", "时效指标", "malformed", "name-is-a-period"),
        ("服务水平", "提升", "社会效益指标", "vague", "vague-direction-word"),
        ("资金使用及时率", "及时", "时效指标", "vague", "time-indicator-without-date"),
        ("群众满意度", "满意", "服务对象满意度指标", "vague", "satisfaction-without-percentage"),
        ("验收合格率", "≥95%", "质量指标", "quantitative", "checkable-number"),
        ("巡逻费用", "50人次/天", "成本指标", "quantitative", "unit-mismatch-for-category"),
        ("完成时间", "2024年9月", "时效指标", "temporal", "concrete-date"),
        ("支付时间", "每季度", "时效指标", "temporal", "frequency"),
        ("慰问时间", "重阳节、春节", "时效指标", "temporal", "anchored-to-a-day"),
        ("工程质量", "合格", "质量指标", "binary", "verifiable-state-word"),
    ],
)
def test_rubric_cases(name, value, level2, label, reason):
    for verdict in (classify_one(name, value, level2), baseline_assess([indicator(name, value, level2)])[0]):
        assert verdict.label == label, (verdict, name, value)
        assert reason in verdict.reasons
        assert verdict.flagged == (label in ("vague", "malformed"))


def test_certain_rules_say_rule_decided():
    verdict = classify_one("培训人数", "")
    assert verdict.reasons == ["missing-value", "decided-by-rule"] and verdict.proba is None
    verdict = classify_one("服务水平", "提升", "社会效益指标")
    assert verdict.reasons[-1] == "decided-by-model" and 0.5 < verdict.proba <= 1.0


def test_name_that_is_a_deadline_phrase_is_not_malformed():
    # gold: "2024年度内完成 | 2024年" is temporal (a deadline read together with the value)
    assert certain(item_of("2024年度内完成", "2024年", "时效指标")) is None


def test_longest_term_wins_across_lists():
    assert [t.text for t in term_hits("可持续").terms] == ["可持续"]  # binary, not the vague 持续
    assert term_hits("及时完成").strongest("binary") is not None
    assert term_hits("有效解决").strength("vague") > term_hits("有效解决").strength("binary")
    assert term_hits("有无").terms == ()  # one-character yes/no words count only as the whole value


def test_name_cues():
    assert {"rate", "timeliness"} <= name_cues("资金使用及时率")
    assert "time" in name_cues("办公设备购置时间")
    assert "cost" in name_cues("项目运行总成本")
    assert "satisfaction" in name_cues("服务对象满意度")


# ---------------------------------------------------------------- API


def test_assess_is_pure_and_uses_a_filled_target():
    from kpiscan.values import parse_value

    ind = indicator("办公设备购置时间", "12月末", "时效指标", target=parse_value("12月末", 2024))
    before = ind.to_dict()
    verdicts = assess([ind], year=2024)
    assert ind.to_dict() == before
    assert isinstance(verdicts[0], Verdict) and verdicts[0].label == "temporal"
    # a given target is used as is: a quantity Target makes the model read a number
    forced = replace(ind, target=parse_value("≥3个"))
    assert assess([forced])[0].label == "quantitative"
    assert assess([]) == []


def _gold_records(limit_per_doc: int = 120) -> list[dict]:
    out = []
    for path in sorted(GOLD.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.open(encoding="utf-8")]
        out += rows[::max(1, len(rows) // limit_per_doc)]
    return out


def test_assess_on_gold_sample_is_accurate():
    records = _gold_records()
    inds = [indicator(r["name"], r["value"], r["level2"]) for r in records]
    verdicts = assess(inds)
    accuracy = np.mean([v.label == r["label"] for v, r in zip(verdicts, records)])
    flagged = np.mean([v.flagged == (r["label"] in ("vague", "malformed")) for v, r in zip(verdicts, records)])
    assert accuracy >= 0.97 and flagged >= 0.98, (accuracy, flagged)


def test_predict_proba_shape_and_rows_sum_to_one():
    from kpiscan.classify import load_model

    model = load_model()
    items = [item_of("培训人数", "≥50人"), item_of("培训人数", ""), item_of("服务水平", "提升")]
    proba = model.predict_proba(items)
    assert proba.shape == (3, len(LABELS))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == list(LABELS)
    assert list(model.predict(items)) == ["quantitative", "malformed", "vague"]


def test_small_model_fits_and_predicts():
    from kpiscan.classify.estimator import MeasurabilityClassifier

    data = [("培训人数", "≥50人", "quantitative"), ("完成时间", "2024年9月", "temporal"),
            ("工程质量", "合格", "binary"), ("服务水平", "提升", "vague"), ("成本", "", "malformed")] * 3
    X = [item_of(n, v) for n, v, _ in data]
    model = MeasurabilityClassifier(lexicon_dropout=0.0).fit(X, [lab for _, _, lab in data])
    assert list(model.predict(X[:5])) == [lab for _, _, lab in data[:5]]


def test_baseline_is_lexicon_only():
    label, reasons = baseline(item_of("服务水平", "提升"))
    assert label == "vague" and reasons[-1] == "decided-by-lexicon"


# ---------------------------------------------------------------- packaging and CLI


def test_model_is_shipped_small():
    assert MODEL_PATH.exists()
    assert MODEL_PATH.stat().st_size < 1_000_000


def test_model_loads_lazily_and_scores_without_sklearn():
    code = (
        "import sys, kpiscan, kpiscan.classify\n"
        "assert kpiscan.classify.load_model.cache_info().currsize == 0\n"
        "assert kpiscan.classify.classify_one('人数', '3人').label == 'quantitative'\n"
        "heavy = sorted(m for m in ('sklearn', 'scipy', 'joblib', 'pandas') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _fitted_and_exported(examples):
    from kpiscan.classify import features
    from kpiscan.classify.linear import LinearModel
    from kpiscan.classify.scoring import INPUTS, ArrayClassifier
    from kpiscan.classify.training import fit

    model = fit(examples)
    return model, ArrayClassifier(LinearModel(json.loads(json.dumps(model.export())), INPUTS, features.words))


def test_exported_arrays_give_the_fitted_probabilities():
    """The JSON export scored with numpy gives scikit-learn's probabilities, bit for bit, on gold
    items (the model is fitted on a sample to stay quick; the slow test does the full corpus)."""
    from kpiscan.classify.training import gold_files, read_gold

    examples = read_gold(gold_files(GOLD))
    fitted, exported = _fitted_and_exported(examples[::6])
    items = [e.item for e in examples[1::3]]
    assert np.array_equal(fitted.model_proba(items), exported.model_proba(items))
    assert fitted.decide(items) == exported.decide(items)
    # one item at a time (scored in Python floats, not as a batch's arrays): the same numbers
    one_by_one = np.vstack([exported.model_proba([item]) for item in items[:200]])
    assert np.array_equal(one_by_one, fitted.model_proba(items[:200]))


def test_manifest_matches_the_shipped_model_and_names_an_edited_lexicon(tmp_path, monkeypatch, caplog):
    import shutil

    from kpiscan import lexicon
    from kpiscan.classify.manifest import check, drift, manifest_path

    manifest = json.loads(manifest_path(MODEL_PATH).read_text(encoding="utf-8"))
    assert {"trained_with", "gold", "lexicons", "parameters", "lodo", "sha256"} <= set(manifest)
    assert "vague_terms.tsv" in manifest["lexicons"] and manifest["trained_with"]["scikit-learn"]
    assert drift(MODEL_PATH) == []
    copy = tmp_path / "lexicons"
    shutil.copytree(lexicon.lexicon_dir(), copy)
    with (copy / "vague_terms.tsv").open("a", encoding="utf-8") as fh:
        fh.write("含混其词\t3\thedge\tpart\n")
    monkeypatch.setenv("KPISCAN_LEXICONS", str(copy))
    with caplog.at_level("WARNING", logger="kpiscan.classify"):
        problems = check("measurability", MODEL_PATH)
    assert problems == ["lexicons edited since training: vague_terms.tsv"]
    (line,) = [r.getMessage() for r in caplog.records]
    assert "\n" not in line and "vague_terms.tsv" in line and "kpiscan train --out" in line


def test_runtime_version_is_the_distributions_and_drift_names_another_jieba(tmp_path):
    """The jieba version the drift check reads from the imported module is its distribution's
    (importlib.metadata), and a manifest trained with another jieba is reported."""
    import shutil
    from importlib import metadata

    import jieba

    from kpiscan.classify.manifest import drift, manifest_path, runtime_version

    assert runtime_version("jieba") == jieba.__version__ == metadata.version("jieba")
    model = tmp_path / MODEL_PATH.name
    shutil.copy(MODEL_PATH, model)
    manifest = json.loads(manifest_path(MODEL_PATH).read_text(encoding="utf-8"))
    manifest["trained_with"]["jieba"] = "0.0.1"
    manifest_path(model).write_text(json.dumps(manifest), encoding="utf-8")
    assert drift(model) == [f"jieba {jieba.__version__} (trained with 0.0.1)"]


def test_train_refuses_to_overwrite_the_packaged_model(tmp_path):
    from typer.testing import CliRunner

    from kpiscan.classify import PACKAGED_MODELS
    from kpiscan.cli import app

    before = MODEL_PATH.read_bytes()
    for args in (["train"], ["train", "--out", str(PACKAGED_MODELS)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code != 0 and ("--force" in result.output)
    assert MODEL_PATH.read_bytes() == before


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_model(tmp_path):
    """`kpiscan train --out DIR` on corpora/gold writes a model that labels every gold item as the
    shipped model does, its probabilities within 1e-6 (lbfgs under another BLAS thread count may
    move the last bits), and whose exported arrays give the scikit-learn pipeline's probabilities
    exactly."""
    from typer.testing import CliRunner

    from kpiscan.classify.scoring import ArrayClassifier
    from kpiscan.classify.training import gold_files, read_gold
    from kpiscan.cli import app

    result = CliRunner().invoke(app, ["train", "--gold", str(GOLD), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    items = [e.item for e in read_gold(gold_files(GOLD))]
    retrained, shipped = ArrayClassifier.load(tmp_path / MODEL_PATH.name), ArrayClassifier.load(MODEL_PATH)
    new, old = retrained.model_proba(items), shipped.model_proba(items)
    np.testing.assert_allclose(new, old, rtol=0, atol=1e-6)
    assert [d[0] for d in retrained.decide(items)] == [d[0] for d in shipped.decide(items)]
    fitted, exported = _fitted_and_exported(read_gold(gold_files(GOLD)))
    assert np.array_equal(fitted.model_proba(items), exported.model_proba(items))


def test_cli_classify():
    from typer.testing import CliRunner

    from kpiscan.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["classify", "--name", "服务水平", "--value", "提升", "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    assert verdict["label"] == "vague" and verdict["flagged"] is True
    result = runner.invoke(app, ["classify", "--name", "培训人数", "--value", "≥50人"])
    assert result.exit_code == 0 and result.output.startswith("quantitative\tok")


@pytest.mark.parametrize(
    "name,value,level2,label",
    [
        ("项目验收", "一次性通过", "质量指标", "binary"),  # 一次性 is not a count
        ("服务质量", "优质高效", "质量指标", "vague"),
        ("运行成本", "控制在预算内", "成本指标", "binary"),
        ("城市形象", "明显改观", "社会效益指标", "vague"),
        ("设备运行", "完好", "质量指标", "binary"),
    ],
)
def test_words_beyond_the_development_corpus(name, value, level2, label):
    assert classify_one(name, value, level2, year=2024).label == label
