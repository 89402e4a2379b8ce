"""The 二级 category an indicator belongs to by its meaning (name, value and parsed Target).

A multinomial logistic regression over category words and character n-grams (no jieba), trained
with scikit-learn by `kpiscan train` on the gold of corpora/ plus the category words of
lexicons/category_words.tsv and exported as arrays like the measurability model
(models/category.json + category.manifest.json), gives P(level2 | name, value, Target). It is used
two ways:

* `reassign_level2(indicators, tables)`, a pass after extraction (pipeline.scan_document): where
  the printed labels around a row are inconsistent (RULES below, in order), the row goes to the
  category its meaning and its neighbours support; where the print is clean, the print wins.
  Moved rows get `level2_source = "meaning"`.
* `suggest([(ind, target), ...])`, read by the review's `category-mismatch` check: the category a confident
  model puts a cleanly printed row in, when it is not the printed one.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from .. import lexicon
from ..constants import DATED_KINDS
from ..layout import level2_of, norm
from ..model import Indicator, TableBlock, Target
from .item import Item, item_key, item_of, unit_kind
from .linear import FloatArray, Inputs, LinearModel
from .memo import VerdictMemo, memo_enabled
from .terms import name_cues

WORDS_FILE = "category_words.tsv"
CONFLICTS_FILE = "category_conflicts.tsv"
MODEL_FILE = "category.json"


MOVE_PROBA = 0.8  # a suspect row moves when the model gives its new category at least this; for
# labels dumped on a row (the row must carry one of them) the probability is taken among those labels
MISMATCH_PROBA = 0.9  # review: the model is this sure of another category ...
MISMATCH_PRINTED = 0.02  # ... and gives the printed one at most this


# ------------------------------------------------------------------------------------ features


@cache
def category_words() -> tuple[tuple[str, str, str], ...]:
    """(level2, field, word) rows of the lexicon, words normalised."""
    return tuple((r["level2"], r["field"], norm(r["word"])) for r in lexicon.table(WORDS_FILE))


def shape(target: Target) -> str:
    """dated / money / ratio / count / ... / qualitative / empty: what kind of thing the value is."""
    if target.kind in DATED_KINDS:
        return "dated"
    if target.kind == "quantity":
        kind = unit_kind(target)
        return {"ratio": "ratio", "money": "money"}.get(kind, kind or "number")
    return target.kind


@cache
def _word_index() -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """The name and the value words of category_words by their first character: (name's,
    value's), each character -> the words' positions in category_words. A text can hold only
    the words that start with one of its characters, so `_word_features` tests those, not all."""
    out: tuple[dict[str, list[int]], dict[str, list[int]]] = (defaultdict(list), defaultdict(list))
    for k, (_, field, word) in enumerate(category_words()):
        if field in ("name", "value"):
            assert word, "category_words: an empty word"  # would be in every text
            out[field == "value"][word[0]].append(k)
    return {c: tuple(v) for c, v in out[0].items()}, {c: tuple(v) for c, v in out[1].items()}


@cache
def _kind_unit_words() -> tuple[tuple[str, str, str], ...]:
    """The rows of category_words about the Target's kind and unit kind, in order."""
    return tuple(r for r in category_words() if r[1] in ("kind", "unit"))


# asked once an item, by the PROBA_MEMO's misses: its hits are an item's (name, value) asked again
# under another level2 or Target within one call (none in a scan of corpora/ or copies of it)
@lru_cache(maxsize=1 << 6)
def _word_features(name: str, value: str) -> tuple[tuple[str, float], ...]:
    """Category words in the name and the value (and name cues), in category_words' order: the
    words starting with one of the texts' characters tested (`_word_index`), the others cannot
    be in them."""
    out: dict[str, float] = {}
    key_name, key_value = norm(name), norm(value)
    by_name, by_value = _word_index()
    tested = {k for c in set(key_name) for k in by_name.get(c, ())}
    tested.update(k for c in set(key_value) for k in by_value.get(c, ()))
    named = _word_feature_names()
    for k in sorted(tested):
        in_name, word, word_feature, votes_feature = named[k]
        if word in (key_name if in_name else key_value):
            out[word_feature] = 1.0
            out[votes_feature] = out.get(votes_feature, 0.0) + 1.0
    for cue in name_cues(name):
        out[f"cue={cue}"] = 1.0
    return tuple(out.items())


@cache
def _word_feature_names() -> tuple[tuple[bool, str, str, str], ...]:
    """Per row of category_words: (a name word, the word, its feature "{field}_word={word}", its
    vote "{field}_votes={level2}"), the names made once."""
    return tuple((field == "name", word, f"{field}_word={word}", f"{field}_votes={level2}")
                 for level2, field, word in category_words())


def category_features(item: Item) -> dict[str, float | str]:
    """Category words of name and value, name cues, the Target's kind, unit kind and shape."""
    votes: dict[str, float] = dict(_word_features(item.name, item.value))
    if not item.value:
        return dict(votes)  # a training row made of a lexicon word alone
    t = item.target
    kind_of_unit = unit_kind(t)
    for level2, field, word in _kind_unit_words():
        if (field == "kind" and word == t.kind) or (field == "unit" and word == kind_of_unit):
            votes[f"{field}_votes={level2}"] = votes.get(f"{field}_votes={level2}", 0.0) + 1.0
    out: dict[str, float | str] = dict(votes)
    # string features as DictVectorizer names them ("kind=quantity": 1.0, see features.domain_features)
    out[f"kind={t.kind}"] = 1.0
    out[f"shape={shape(t)}"] = 1.0
    if t.kind == "quantity":
        out[f"op={t.op or '='}"] = 1.0
        out["has_per"] = float(bool(t.per))
    return out


def category_dicts(items: Sequence[Item]) -> list[dict[str, float | str]]:
    return [category_features(i) for i in items]


def name_texts(items: Sequence[Item]) -> list[str]:
    return [norm(i.name) for i in items]


def value_texts(items: Sequence[Item]) -> list[str]:
    return [norm(i.value) for i in items]


INPUTS: Inputs = {"category_dicts": category_dicts, "name_texts": name_texts, "value_texts": value_texts}


def _words(text: str) -> list[str]:
    from ..tokenize import tokens

    return tokens(text)


# ------------------------------------------------------------------------------------ the model


class CategoryModel:
    """P(level2 | name, value, Target) from the exported arrays."""

    def __init__(self, linear: LinearModel) -> None:
        self.linear = linear
        self.classes: tuple[str, ...] = linear.classes

    @classmethod
    def load(cls, path: Path) -> CategoryModel:
        return cls(LinearModel.load(path, INPUTS, _words))

    def proba(self, items: Sequence[Item]) -> FloatArray:
        if not items:
            return np.zeros((0, len(self.classes)))
        return self.linear.proba(list(items))


@cache
def load_category_model(path: Path | None = None) -> CategoryModel:
    """The shipped (or $KPISCAN_MODELS) category model, read once; its manifest checked."""
    from . import load_checked

    return load_checked("category", "category model", MODEL_FILE, CategoryModel.load, path)


def _available_model() -> CategoryModel | None:
    """The category model, or None (logged once) when it cannot be read: the print is kept."""
    from .linear import ModelFileError
    from .manifest import log

    try:
        return load_category_model()
    except (FileNotFoundError, ModelFileError) as err:
        if not _UNAVAILABLE:
            log.warning("kpiscan: level2 by meaning skipped, printed labels kept: %s", err)
            _UNAVAILABLE.append(str(err))
        return None


_UNAVAILABLE: list[str] = []


def build_pipeline(random_state: int = 0) -> Any:
    """The scikit-learn pipeline the category model is fitted with (training only)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    def texts(func: Callable[..., Any]) -> Any:
        return FunctionTransformer(func, validate=False)

    union = FeatureUnion([
        ("category", make_pipeline(texts(category_dicts), DictVectorizer())),
        # characters, not jieba words: the pass runs on every scan (also without the classifier),
        # and character n-grams spare it jieba's dictionary (~1 s CPU per process)
        ("name_chars", make_pipeline(texts(name_texts), TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True))),
        ("value_chars", make_pipeline(texts(value_texts), TfidfVectorizer(
            analyzer="char", ngram_range=(1, 2), min_df=2, sublinear_tf=True))),
    ])
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000, random_state=random_state)
    return Pipeline([("features", union), ("model", model)])


def words(text: str) -> list[str]:
    """jieba words (the tokenizer the exported word blocks name)."""
    return _words(text)


@dataclass(frozen=True, slots=True)
class Example:
    doc: str
    item: Item
    level2: str


def read_examples(paths: Iterable[Path]) -> list[Example]:
    """Gold rows as (name, value, Target) -> level2; the gold's level2 is the category by meaning."""
    from ..evaluate import read_jsonl

    return [Example(r["doc"], item_of(r["name"], r["value"]), r["level2"]) for r in read_jsonl(sorted(paths))]


def lexicon_examples() -> list[Example]:
    """One training row per name or value word of category_words.tsv."""
    out = []
    for level2, field, word in category_words():
        if field == "name":
            out.append(Example("", Item(word, "", "", Target(raw="", kind="empty")), level2))
        elif field == "value":
            out.append(Example("", item_of("", word), level2))
    return out


def fit(examples: Sequence[Example]) -> Any:
    rows = list(examples) + lexicon_examples()
    return build_pipeline().fit([e.item for e in rows], [e.level2 for e in rows])


def export(pipeline: Any) -> dict[str, Any]:
    from .export import export_pipeline

    return export_pipeline(pipeline)


def lodo_accuracy(examples: Sequence[Example]) -> float:
    """Leave-one-document-out accuracy of the model alone on the gold rows' level2."""
    right = 0
    for doc in sorted({e.doc for e in examples}):
        test = [e for e in examples if e.doc == doc]
        model = fit([e for e in examples if e.doc != doc])
        predicted = model.predict([e.item for e in test])
        right += sum(p == e.level2 for p, e in zip(predicted, test))
    return right / len(examples)


def train(gold_dir: Path, out_dir: Path) -> tuple[Path, int]:
    """Fit on the gold of gold_dir and the lexicon words; write out_dir/category.json and its manifest."""
    from .manifest import build, write
    from .training import gold_files

    files = gold_files(gold_dir)
    examples = read_examples(files)
    pipeline = fit(examples)
    path = Path(out_dir) / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(export(pipeline), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    params = {k: v for k, v in pipeline.steps[-1][1].get_params().items()}
    figures = {"model_level2_accuracy": round(lodo_accuracy(examples), 4), "documents": len({e.doc for e in examples})}
    write(build("category", path, gold=files, lexicons=lexicon.read_names(), parameters=params, lodo=figures,
                examples=len(examples)), path)
    return path, len(examples)


# ------------------------------------------------------------------------------------ the pass


@cache
def conflicts() -> frozenset[tuple[str, str]]:
    """(level2, shape) pairs where the value contradicts the printed label."""
    return frozenset((r["level2"], r["shape"]) for r in lexicon.table(CONFLICTS_FILE))


@cache
def kind_defined() -> frozenset[str]:
    """The categories whose label a value's kind can contradict (category_conflicts.tsv)."""
    return frozenset(level2 for level2, _ in conflicts())


@cache
def conflicting_shapes() -> dict[str, frozenset[str]]:
    """conflicts() by category: level2 -> the shapes its value contradicts (kind_defined's only)."""
    out: dict[str, set[str]] = defaultdict(set)
    for level2, value_shape in conflicts():
        out[level2].add(value_shape)
    return {level2: frozenset(shapes) for level2, shapes in out.items()}


@dataclass(slots=True)
class Row:
    """One indicator of a half, with what its table prints around it (one is made for every
    record of a scan: not frozen, whose __init__ costs twice as much; not a NamedTuple, made in
    C at ~400 instructions less but each of the rules' reads of its fields ~115 more)."""

    index: int  # into the indicator list
    line: int
    line_labels: tuple[str, ...]  # the 二级 labels printed on its source line, left to right
    label_columns: tuple[int, ...]  # the cells those labels stand in
    level1_column: int | None  # the table's 一级指标 column (its header row), when it has one
    halves: int  # how many halves (实施期/年度) the table prints


_bare_row = object.__new__  # _bare_row(Row): a Row with no slot set yet (_halves sets them all)
_NO_LABELS: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())


def _labels(cells: Sequence[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    # a cell that is only a 一级 (效益指标) is not a 二级 label; 成本指标 and 满意度指标 can be both.
    # Every cell looked up in C; a line without a label (most rows: labels carry down) is told
    # without a comprehension (an empty cell is never a label)
    found = list(map(level2_of, cells))
    if not any(found):
        return _NO_LABELS
    # the labels and their cells in one loop in this frame (a generator's step a cell cost ~2x)
    labels: tuple[str, ...] = ()
    at: tuple[int, ...] = ()
    for i, hit in enumerate(found):
        if hit and cells[i]:
            labels += (hit[0],)
            at += (i,)
    return labels, at


def _level1_column(table: TableBlock) -> int | None:
    for line in table.body:
        keys = [norm(c) for c in line.cells]
        if "一级指标" in keys and "二级指标" in keys:
            return keys.index("一级指标")
    return None


# A rule reads a row, its half (rows in line order), the row's position there and the records as
# they stand (earlier rows may have moved); True when the row's printed label is not to be trusted.
Test = Callable[[Row, list[Row], int, list[Indicator]], bool]


def label_contradicts_value(row: Row, half: list[Row], pos: int, current: list[Indicator]) -> bool:
    """"劳务费支付时间 | 4月底前" under 成本指标: the value's shape contradicts the label
    (category_conflicts.tsv)."""
    ind = current[row.index]
    # (only a category a value's kind can contradict has a conflict: most rows' shape is not asked)
    shapes = conflicting_shapes().get(ind.level2)
    return shapes is not None and ind.target is not None and shape(ind.target) in shapes


def labels_dumped_on_row(row: Row, half: list[Row], pos: int, current: list[Indicator]) -> bool:
    """"效益指标 | 经济效益 | | 经济效益 | | 社会效益 | 平台安全稳定运行 | 稳定": the line prints more
    二级 labels than the table has halves, and not all the same (a converter dumped the labels of
    empty categories on it)."""
    return len(row.line_labels) > row.halves and len(set(row.line_labels)) > 1


def label_out_of_column(row: Row, half: list[Row], pos: int, current: list[Indicator]) -> bool:
    """"| 成本指标 | 企业按协议提交资料完备,符合 | 符合 |" between 质量 and 时效 rows: the row's only
    二级 label stands in the table's 一级指标 column, where no other row of the half has its only one."""
    # (a line's label columns are distinct positions (_labels): "only that column" is this tuple)
    only = (row.level1_column,)
    if row.level1_column is None or row.label_columns != only:
        return False
    others = [r for r in half if r is not row and r.label_columns]
    return bool(others) and all(r.label_columns != only for r in others)


def label_left_above(row: Row, half: list[Row], pos: int, current: list[Indicator]) -> bool:
    """"成本指标 | 劳务费支付时间 | 4月底前" then "经济效率 | 购买辅助人员项目实施成本 | ≤477.9万元":
    the row above printed a label its own row does not carry (it was read under another
    category), so the labels of this stretch sit one row off; the label left over may be this
    row's."""
    if pos == 0:
        return False
    above = half[pos - 1]
    return bool(above.line_labels) and current[above.index].level2 not in above.line_labels


RULES: tuple[tuple[str, Test], ...] = (
    ("label-contradicts-value", label_contradicts_value),
    ("labels-dumped-on-row", labels_dumped_on_row),
    ("label-out-of-column", label_out_of_column),
    ("label-left-above", label_left_above),
)


def _first_rule(row: Row, half: list[Row], pos: int, current: list[Indicator]) -> str | None:
    """The name of the first of RULES that holds for the row; None when its label is trusted."""
    for name, test in RULES:
        if test(row, half, pos, current):
            return name
    return None


def _candidates(rule: str, row: Row, half: list[Row], pos: int, current: list[Indicator]) -> set[str]:
    """Where a suspect row may go: the labels printed on its line when they were dumped there; the
    label left over above it; else the categories its neighbours (the half's rows within two
    lines) carry or its line prints, without the label its value contradicts."""
    mine = current[row.index].level2
    if rule == "labels-dumped-on-row":
        return set(row.line_labels)
    if rule == "label-left-above":
        return set(half[pos - 1].line_labels) | {mine}
    # the half is sorted by line: its rows within two lines stand next to pos
    lo = pos
    while lo > 0 and half[lo - 1].line >= row.line - 2:
        lo -= 1
    hi = pos + 1
    while hi < len(half) and half[hi].line <= row.line + 2:
        hi += 1
    near = {current[r.index].level2 for r in half[lo:hi] if r is not row}
    allowed = near | set(row.line_labels) | {mine}
    return allowed - {mine} if rule == "label-contradicts-value" else allowed


# a table's (body cells by line, 一级指标 column, number of halves, labels by line, halves by period)
_TableRows = tuple[dict[int, tuple[str, ...]], int | None, int,
                   dict[int, tuple[tuple[str, ...], tuple[int, ...]]], dict[str, list[Row]]]


def _halves(indicators: Sequence[Indicator], tables: Sequence[TableBlock]) -> list[list[Row]]:
    by_table = {(t.doc, t.index): t for t in tables}
    # each table's body rows by line (the first row printed on a line), its 一级指标 column, its
    # halves, its lines' labels as they are asked (a line's once: its halves' records share it)
    # and its halves' rows by period, built once and looked up when the records reach another
    # table (a table's records come together: one look-up a table, not a record)
    of_table: dict[tuple[str, int], _TableRows] = {
        key: ({ln.number: ln.cells for ln in reversed(t.body)}, _level1_column(t), len(t.periods), {}, {})
        for key, t in by_table.items()}
    halves: list[list[Row]] = []  # in the order of their first records
    at_doc: str | None = None
    at_index = 0
    found = None
    for k, ind in enumerate(indicators):
        doc, index, line = ind.doc, ind.table, ind.line
        if index != at_index or doc != at_doc:
            at_doc, at_index = doc, index
            found = of_table.get((doc, index))
        if found is None:
            continue
        rows, level1_column, n_halves, labels_of, by_period = found
        labels = labels_of.get(line)
        if labels is None:
            labels = labels_of[line] = _labels(rows.get(line, ()))
        # (made bare and its slots stored here, as model.new_lines: no __init__ frame a record)
        row = _bare_row(Row)
        row.index = k
        row.line = line
        row.line_labels, row.label_columns = labels
        row.level1_column = level1_column
        row.halves = n_halves
        half = by_period.get(ind.period)
        if half is None:
            half = by_period[ind.period] = []
            halves.append(half)
        half.append(row)
    # a half's rows by line; rows of one line stay in record order (the sort is stable and each
    # half's rows were added in record order: the order of (line, index))
    return [sorted(h, key=_LINE) for h in halves]


_LINE = attrgetter("line")  # a Row's line (the sort key, read in C)


@dataclass(frozen=True)
class Move:
    index: int
    rule: str
    before: str
    after: str
    proba: float


# item_key -> the category model's probabilities of one suspect row, as the bytes of its float64
# row (`proba_row` reads them back: 105 bytes an entry, not the 312 of a row's array and the
# (1, 9) array it is a view of). A scan asks a few a document (corpora/: 18 distinct in 32 rows; a
# distinct document adds ~4.5): SCAN_PROBA, 7 copies' worth (twelfth round: at 1 << 15 a scan of
# d64 kept all its 1,152, 0.94 MiB, and would go on to ~28 MiB). The report's review keeps its
# verdicts by the same items (review.checks.category_verdicts) and asks the model itself, not this memo
SCAN_PROBA = 1 << 7
PROBA_MEMO: VerdictMemo[bytes] = VerdictMemo(SCAN_PROBA)


def kept_row(p: FloatArray) -> bytes:
    """A row of probabilities as PROBA_MEMO keeps it: the bytes of its float64 values."""
    return np.asarray(p, dtype=np.float64).tobytes()


def proba_row(kept: bytes) -> FloatArray:
    """A PROBA_MEMO entry as the row of probabilities it was made from (float64, read-only)."""
    return np.frombuffer(kept, dtype=np.float64)


def memo_proba(model: CategoryModel, keyed: Sequence[tuple[tuple[object, ...], Item]]) -> list[FloatArray]:
    """model.proba of these (item_key, item) pairs, each distinct key scored once, through the bounded
    PROBA_MEMO unless KPISCAN_CLASSIFY_MEMO=0 (a province repeats its suspect rows; the model scores
    each row on its own, so the same numbers either way). The scan asks one item at a time
    (`_proba_of`)."""
    memo = PROBA_MEMO.of(model) if memo_enabled() else VerdictMemo[bytes](0)
    return memo.answers(keyed, lambda missing: model.proba(list(missing.values())), kept_row, proba_row)


def _proba_of(model: CategoryModel, item: Item) -> FloatArray:
    """model.proba of one item, through the memo (`memo_proba`)."""
    return memo_proba(model, [(item_key(item), item)])[0]


def moves(indicators: Sequence[Indicator], tables: Sequence[TableBlock],
          model: CategoryModel | None = None) -> tuple[list[Indicator], list[Move]]:
    """(the records after the pass, what moved and by which rule): see reassign_level2."""
    current = list(indicators)
    done: list[Move] = []
    for half in _halves(indicators, tables):
        for pos, row in enumerate(half):
            rule = _first_rule(row, half, pos, current)
            if rule is None:
                continue
            ind = current[row.index]
            model = model or _available_model()
            if model is None:
                return current, done
            p = _proba_of(model, item_of(ind.name, ind.value, None, None, ind.target))
            scored = [(float(p[model.classes.index(c)]), c)
                      for c in _candidates(rule, row, half, pos, current) if c in model.classes]
            if not scored:
                continue
            if rule == "labels-dumped-on-row":
                total = sum(x for x, _ in scored) or 1.0
                scored = [(x / total, c) for x, c in scored]
            best_p, best = max(scored)
            if best == ind.level2 or best_p < MOVE_PROBA:
                continue
            level1 = _level1_for(best, [current[r.index] for r in half], ind.line, ind.level1)
            current[row.index] = replace(ind, level2=best, level1=level1, level2_source="meaning")
            done.append(Move(row.index, rule, ind.level2, best, best_p))
    return current, done


def reassign_level2(indicators: Sequence[Indicator], tables: Sequence[TableBlock],
                    model: CategoryModel | None = None) -> list[Indicator]:
    """The indicators after extraction, each row whose printed label its table makes suspect
    (RULES, first match) moved to the category its meaning and neighbours support (the candidate
    the model gives at least MOVE_PROBA); clean rows keep their print. A new list: the records
    passed in are not modified. The model loads only when some row is suspect."""
    return moves(indicators, tables, model)[0]


def _level1_for(level2: str, half: list[Indicator], near: int, default: str) -> str:
    """The 一级 the half files `level2` under (the nearest such row), else the category's own
    一级 (categories.tsv), else `default`."""
    same = [i for i in half if i.level2 == level2]
    if same:
        return min(same, key=lambda i: abs(i.line - near)).level1
    canonical = level2_of(level2)
    return canonical[1] if canonical else default


def suggest(rows: Sequence[tuple[Indicator, Target]], model: CategoryModel | None = None
            ) -> list[tuple[str, float] | None]:
    """Per (indicator, its Target): (category, probability) when a confident model files it under
    another category than the printed one, P(other) >= MISMATCH_PROBA and P(printed) <=
    MISMATCH_PRINTED, and one of the two is a category the value's kind defines (those of
    category_conflicts.tsv: 时效, 成本, 服务对象满意度). A count under 社会效益 that the model calls
    数量 is not reported: output and benefit indicators share numbers, and the model cannot tell
    an output from an outcome by its unit. None otherwise (also when the model cannot be read)."""
    model = model or _available_model()
    if model is None or not rows:
        return [None] * len(rows)
    proba = model.proba([item_of(ind.name, ind.value, None, None, target) for ind, target in rows])
    classes, defined_by_kind = model.classes, kind_defined()
    table = np.asarray(proba, dtype=np.float64)  # (a model's memo gives a list of rows)
    # all rows at once: the argmax of each (the first highest, as p.argmax()) and the rows as
    # Python floats (float64 -> float is exact: the same comparisons and values as float(p[j]))
    column: dict[str, int] = {}
    for k, c in enumerate(classes):
        column.setdefault(c, k)  # (classes.index: the first)
    out: list[tuple[str, float] | None] = []
    for (ind, _), p, j in zip(rows, table.tolist(), table.argmax(axis=1).tolist()):
        best, level2 = classes[j], ind.level2
        at = column.get(level2)
        if (at is not None and best != level2 and (level2 in defined_by_kind or best in defined_by_kind)
                and p[j] >= MISMATCH_PROBA and p[at] <= MISMATCH_PRINTED):
            out.append((best, p[j]))
        else:
            out.append(None)
    return out

