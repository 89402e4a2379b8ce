"""The 总体目标 of a table split into clauses and matched with its indicators.

Rules, in order:

1. `split_clauses`: both halves' 总体目标 (fields 总体目标_implementation / 总体目标_annual), split
   at 。；;！？ and line breaks, at list numbers ("1、", "（2）") and at commas; a piece with
   fewer than MIN_CLAUSE characters joins the one before it. The same clause printed in both
   halves is kept once.
2. A clause is background, not a promise, when it opens with a context word of
   lexicons/practice_words.tsv ("根据…", "按照…") or holds no content word.
3. Content words: jieba words (kpiscan.tokenize) of two or more characters, not a number, not a
   generic word of practice_words.tsv ("工作", "提高", "确保").
4. A clause and an indicator match when a content word of one occurs in the other's text (the
   indicator's name, and its value when that is words), or when at least BIGRAM_SHARE of the
   clause's content character bigrams occur in it. A clause that matches no indicator but
   restates the project name is measured by the table's output indicators.

Findings: `goal-without-indicator` for a promise no indicator matches (the clause in the
message); `indicator-without-goal` for a 数量指标 (what the project delivers) that matches no
clause, when the table states a goal.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import accumulate, chain, compress, count, repeat
from operator import attrgetter, contains, not_
from typing import Iterable

import regex

from ..layout import norm, text_memo
from ..model import Indicator, TableBlock
from ..review.findings import Finding, make
from .families import practice_words, rows_by_table

GOAL_FIELDS = ("总体目标_implementation", "总体目标_annual", "总体目标")
MIN_CLAUSE = 6
OUTPUT_LEVEL2 = ("数量指标", "质量指标", "时效指标", "成本指标")
BIGRAM_SHARE = 0.5
MAX_CLAUSE_SHOWN = 40
_LIST_NUMBER = r"(?:\d{1,2}[、.．:：](?!\d)|[（(][\d一二三四五六七八九十]{1,2}[)）]|[一二三四五六七八九十]{1,2}、)"
_SPLIT = regex.compile(r"[。；;！!？?\n]+|(?<=\S)(?=" + _LIST_NUMBER + r")|[，,]")
_GOAL_NUMBER = regex.compile(r"目标(?=\d{1,2}[、.．:：])")
_NUMBER_OPEN = regex.compile(r"^" + _LIST_NUMBER)
_DIGITS = regex.compile(r"^[\d.%年月日号万元个次人]+$")


@dataclass
class Clause:
    text: str
    promise: bool
    words: frozenset[str] = field(default_factory=frozenset)
    matched: list[int] = field(default_factory=list)  # lines of the indicators it matches


def split_clauses(text: str) -> list[str]:
    """"对其重点文化产业项目予以支持;促进文化产业…稳步提升,骨干文化企业做强做优做大" ->
    ["对其重点文化产业项目予以支持", "促进文化产业…稳步提升", "骨干文化企业做强做优做大"]."""
    out: list[str] = []
    for piece in _SPLIT.split(_GOAL_NUMBER.sub("", norm(text))):
        piece = _NUMBER_OPEN.sub("", piece).strip("、:：")
        if not piece:
            continue
        if out and len(piece) < MIN_CLAUSE:
            out[-1] += "，" + piece
        else:
            out.append(piece)
    if len(out) > 1 and len(out[0]) < MIN_CLAUSE:
        out[1] = out[0] + "，" + out[1]
        out.pop(0)
    return out


def goal_text(table: TableBlock) -> list[str]:
    seen: dict[str, None] = {}
    for f in GOAL_FIELDS:
        text = table.fields.get(f)
        if text:
            seen.update(dict.fromkeys(_clauses(text)))
    return list(seen)


@text_memo(maxsize=1 << 10)
def _clauses(text: str) -> tuple[str, ...]:
    """`split_clauses` of a goal text, decided once per distinct text (a bounded memo: a table's
    two halves usually print the same 总体目标, and a department's projects share some)."""
    return tuple(split_clauses(text))


@text_memo(maxsize=1 << 12)
def text_bigrams(text: str) -> frozenset[str]:
    """The character bigrams of a normalised indicator text, made once per distinct text (a
    bounded memo: "群众满意度", "按时完成率" and the like recur down a province's tables)."""
    return frozenset([text[i:i + 2] for i in range(len(text) - 1)])


@text_memo(maxsize=1 << 14)
def content_words(text: str) -> frozenset[str]:
    """The words of `text` that can match a goal clause to an indicator (jieba's, two characters
    or more, no generic word, no number). A bounded memo (an indicator's text and a table's
    clauses repeat down a document's tables; unbounded, a province's distinct texts would all
    stay: copies of one corpus, which repeat every text, never showed it)."""
    from ..tokenize import tokens

    generic = _generic()
    return frozenset(w for w in tokens(norm(text)) if len(w) >= 2 and w not in generic and not _DIGITS.match(w))


@cache
def _generic() -> frozenset[str]:
    """The generic words of practice_words.tsv (never a content word)."""
    return frozenset(practice_words("generic"))


def may_share_word(text: str, clause: str, shared: set[str] | frozenset[str]) -> bool:
    """Whether a content word of `text` (normalised) can occur in `clause`, from `shared`, the
    bigrams both hold: such a word is a substring of both of two characters or more, so either a
    shared bigram that is a content word itself (not generic, not a number) or a shared
    trigram. False means no content word of the text is in the clause, whatever jieba cuts
    (`Texts` then leaves the text uncut: about two in three of the cuts it asked for on /tmp/d16
    found no word)."""
    generic = _generic()
    if any(b not in generic and not _DIGITS.match(b) for b in shared):
        return True
    return len(shared) > 1 and any(text[j:j + 3] in clause for j in range(len(text) - 2))


def bigrams(words: frozenset[str]) -> set[str]:
    return {w[i:i + 2] for w in words for i in range(len(w) - 1)}


@text_memo(maxsize=1 << 10)
def _word_bigrams(words: frozenset[str]) -> frozenset[str]:
    """`bigrams` of a clause's content words, made once per distinct clause (a bounded memo: its
    words are `content_words`' of the clause text, and a department's tables repeat their goals)."""
    return frozenset(bigrams(words))


@text_memo(maxsize=1 << 10)
def _clause_grams(clause: str, words: frozenset[str]) -> tuple[frozenset[str], frozenset[str], float, bool]:
    """What `Texts.matching` reads of a clause and its words, made once per distinct clause (a
    bounded memo: a department's tables repeat their goals): the clause's bigrams, its words'
    (`_word_bigrams`), BIGRAM_SHARE of how many those are, and whether the words are the
    clause's own (each of two characters or more, its bigrams the clause's: `content_words`')."""
    in_clause, grams = text_bigrams(clause), _word_bigrams(words)
    return in_clause, grams, BIGRAM_SHARE * len(grams), grams <= in_clause and all(len(w) > 1 for w in words)


def is_promise(text: str, words: frozenset[str]) -> bool:
    return bool(words) and not text.startswith(practice_words("context"))


def indicator_text(row) -> str:
    """What an indicator says: its name, and its value when that is words ("争取国家及省专项资金支持")."""
    return row.name if row.number is not None or row.kind != "qualitative" else f"{row.name} {row.value}"


def matches(clause: str, clause_words: frozenset[str], text: str) -> bool:
    """A shared content word (either one's word inside the other's text: jieba cuts "火灾隐患" and
    "火灾事故" differently), or BIGRAM_SHARE of the clause's content bigrams in `text`."""
    return bool(Texts([norm(text)]).matching(clause, clause_words))


class Texts:
    """The normalised texts of a table's indicators, indexed once for `matches` against each
    goal clause: a clause's own words (`content_words` of it: every word a substring of the
    clause, two characters or more) are looked for only in the texts that share a bigram with
    the clause (a text holding such a word holds its bigrams, so about one text in four is looked
    in on corpora/); other words are found in all the texts joined (str.find, the next search from
    the next text on: one hit per text is enough). Shared bigrams are set intersections
    (a bigram is in a text exactly when it is one of the text's bigrams). A text's own words
    (jieba: `content_words`) are cut only when a clause needs them: for a text that neither
    holds a word of the clause nor shares enough of its bigrams, and whose shared bigrams can
    make a content word (`may_share_word`: a word of two or more characters of the text, found
    in the clause, is a shared non-generic bigram or holds a shared trigram). On corpora/ that
    is about one text in five; every indicator text of a province is another jieba cut
    otherwise. `matching(clause, words)`: the indexes of the texts that `matches` the clause,
    in order."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.words: list[frozenset[str] | None] = [None] * len(keys)  # content_words of each, when cut
        self.grams = list(map(text_bigrams, keys))

    @cached_property
    def joined(self) -> str:
        """The texts joined, for the words of a clause that are not all its own (`matching`)."""
        return "\n".join(self.keys)  # norm leaves no whitespace in a text or a word

    @cached_property
    def starts(self) -> list[int]:
        """Where each text starts in `joined`, and one past the last."""
        return list(accumulate((len(k) + 1 for k in self.keys), initial=0))

    def containing(self, word: str) -> set[int]:
        """The indexes of the texts holding `word`."""
        found: set[int] = set()
        self._add_containing((word,), found)
        return found

    def _add_containing(self, words: Iterable[str], found: set[int]) -> None:
        """Add to `found` the indexes of the texts holding one of `words`."""
        starts, find = self.starts, self.joined.find
        for word in words:
            at = find(word)
            while at >= 0:
                i = bisect_right(starts, at) - 1
                found.add(i)
                at = find(word, starts[i + 1])  # the next text (past the end: -1)

    def _words_in(self, i: int, clause: str, in_clause: frozenset[str]) -> bool:
        """A content word of text `i` in `clause` (whose bigrams are `in_clause`): the text cut
        once, when first asked about a clause that can hold one of its words (`may_share_word`)."""
        words = self.words[i]
        if words is None:
            if not may_share_word(self.keys[i], clause, self.grams[i] & in_clause):
                return False
            words = self.words[i] = content_words(self.keys[i])
        return any(map(contains, repeat(clause), words))

    def matching(self, clause: str, clause_words: frozenset[str]) -> list[int]:
        in_clause, grams, need, own_words = _clause_grams(clause, clause_words)
        if own_words:
            # the clause's words are its own (content_words): a text sharing no bigram with the
            # clause holds none of them and shares none of their bigrams, so it matches by nothing
            keys, own = self.keys, self.grams
            found = []
            for i in compress(count(), map(not_, map(in_clause.isdisjoint, own))):  # (in C: most texts share none)
                if (any(map(contains, repeat(keys[i]), clause_words))  # a clause word in the text
                        or (grams and len(grams & own[i]) >= need) or self._words_in(i, clause, in_clause)):
                    found.append(i)
            return found
        hit: set[int] = set()
        self._add_containing(clause_words, hit)  # a clause word in the text
        return [i for i, own in enumerate(self.grams)
                if i in hit or (grams and len(grams & own) >= need)
                or (not own.isdisjoint(in_clause) and self._words_in(i, clause, in_clause))]  # a text's word in the clause


_LINE_OF = attrgetter("line")
_MATCHED = attrgetter("matched")


def match_goals(table: TableBlock, rows: list) -> list[Clause]:
    """The table's goal clauses, each with the lines of the indicators it matches."""
    clauses = []
    goals = goal_text(table)
    if goals:
        texts = Texts(list(map(norm, map(indicator_text, rows))))
        line_of = list(map(_LINE_OF, rows)).__getitem__  # (the matched texts' lines in C)
    project: Texts | None = None  # the project name, made when a clause matches no indicator
    for text in goals:
        words = content_words(text)
        c = Clause(text=text, promise=is_promise(text, words), words=words)
        c.matched = list(map(line_of, texts.matching(text, words)))
        if not c.matched and rows and (project := project or Texts([norm(table.project)])).matching(text, words):
            # the clause restates the project ("完成…运营费的支付"): the table's outputs measure it
            c.matched = [r.line for r in rows if r.level2 in OUTPUT_LEVEL2] or [rows[0].line]
        clauses.append(c)
    return clauses


def short(text: str) -> str:
    return text if len(text) <= MAX_CLAUSE_SHOWN else text[:MAX_CLAUSE_SHOWN] + "…"


def check_goals(tables: list[TableBlock], indicators: list[Indicator],
                clauses_of: dict[tuple[str, int], list[Clause]] | None = None,
                rows_by: dict[tuple[str, int], list] | None = None) -> list[Finding]:
    """Goal clauses without an indicator, output indicators without a goal. `clauses_of`, when
    given, receives each table's matched clauses (match_goals) by (doc, table), for the page
    that shows them (kpiscan.practice.report.goal_clauses). `rows_by`: the indicators' printed
    rows by table (rows_by_table), when grouped already."""
    if rows_by is None:
        rows_by = rows_by_table(indicators)
    out = []
    for t in tables:
        rows = rows_by.get((t.doc, t.index), [])
        if not rows:
            continue
        clauses = match_goals(t, rows)
        if clauses_of is not None:
            clauses_of[(t.doc, t.index)] = clauses
        if not clauses:
            continue
        for c in clauses:
            if c.promise and not c.matched:
                out.append(make("goal-without-indicator", t.doc, t.index, [t.line], clause=short(c.text)))
        matched_lines = set(chain.from_iterable(map(_MATCHED, clauses)))
        for r in rows:
            if r.level2 == "数量指标" and r.line not in matched_lines:
                out.append(make("indicator-without-goal", t.doc, t.index, [r.line], period=r.period, records=list(r.ids),
                                name=r.name))
    return out


def goals_frame(tables: list[TableBlock], indicators: list[Indicator]):
    """One row per goal clause: doc, table, project, clause, promise, matched indicator names —
    what the document page shows beside the goals."""
    import pandas as pd

    rows_by = rows_by_table(indicators)
    records = []
    for t in tables:
        rows = rows_by.get((t.doc, t.index), [])
        name_of = {r.line: r.name for r in rows}
        for i, c in enumerate(match_goals(t, rows), 1):
            records.append({"doc": t.doc, "table": t.index, "project": t.project, "clause_no": i, "clause": c.text,
                            "promise": c.promise, "matched": [name_of[line] for line in c.matched],
                            "covered": bool(c.matched) or not c.promise})
    return pd.DataFrame.from_records(records, columns=["doc", "table", "project", "clause_no", "clause", "promise",
                                                       "matched", "covered"])
