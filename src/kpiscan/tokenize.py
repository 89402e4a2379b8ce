"""Chinese tokenising for indicator text: jieba with a user dictionary built from lexicons/,
used directly (`tokens`, what the classifier calls) or through the spaCy `zh` pipeline of
`kpiscan.nlp` (`get_nlp`, `parse_doc`, also reachable from here) whose "kpiscan_values" component
marks each value span with its Target (`doc.spans["values"]`, `span._.target`). spaCy is imported
only when the pipeline is asked for: it costs about a second of start-up.

Nothing here downloads: jieba's bundled dictionary is local. The segmenter is our own
`jieba.Tokenizer` instance, so the user words never leak into other users of the global `jieba`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kpiscan.imports import hidden
from kpiscan.lexicon import path, table


def _import_jieba() -> Any:
    """`import jieba` without setuptools' pkg_resources: jieba imports it only to open its own
    data files and opens them by path when it cannot (as it does where setuptools is not
    installed, Python 3.12's default); importing pkg_resources scans every installed
    distribution, ~0.2-0.3 s of every scanning process's CPU. Only a pkg_resources not imported
    yet is kept out, only while jieba imports."""
    with hidden("pkg_resources"):
        import jieba as found
    return found


if TYPE_CHECKING:
    import jieba
else:
    jieba = _import_jieba()


jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict ..." chatter on stderr

USER_DICT = "jieba_user_dict.txt"

# (lexicon, column) pairs whose words must stay whole
_LEXICON_WORDS = (
    ("categories.tsv", "variant"),
    ("level1.tsv", "variant"),
    ("units.tsv", "alias"),
    ("comparators.tsv", "word"),
    ("qualitative.tsv", "word"),
    ("calendar.tsv", "word"),
    ("periods.tsv", "word"),
    ("relative_years.tsv", "word"),
)


def user_words() -> list[str]:
    """The user dictionary: lexicon words of two or more characters, then jieba_user_dict.txt."""
    words: dict[str, None] = {}
    for name, column in _LEXICON_WORDS:
        for row in table(name):
            word = row.get(column, "")
            if len(word) > 1 and not word.isascii():
                words[word] = None
    with path(USER_DICT).open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                words[line.split()[0]] = None
    return list(words)


def _dictionary_copy() -> Path:
    """Where the JSON copy of jieba's prefix dictionary is kept: beside jieba's own cache, named
    by jieba's version and its dictionary file's size and time (a new jieba makes a new copy)."""
    source = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    st = source.stat()
    key = hashlib.sha1(f"{jieba.__version__}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"kpiscan-jieba-{key}.json"


def _load_dictionary(tokenizer: jieba.Tokenizer) -> None:
    """jieba's prefix dictionary (word -> frequency, and their total) into `tokenizer`, the same
    that `tokenizer.initialize()` builds: from a JSON copy of it when this user wrote one (orjson
    reads it about 4x faster than jieba's marshal cache: ~0.3 s instead of ~1.2 s of a first
    scan's CPU), else by jieba, and the copy written for the next process (atomically). A copy
    that cannot be read or written is skipped: jieba's own load is the fallback."""
    try:
        copy: Path | None = _dictionary_copy()
    except OSError:
        copy = None
    try:
        if copy is not None and (not hasattr(os, "getuid") or copy.stat().st_uid == os.getuid()):
            total, freq = orjson.loads(copy.read_bytes())
            if isinstance(total, int) and isinstance(freq, dict) and freq:
                tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, total, True
                return
    except (OSError, ValueError, TypeError):
        pass
    tokenizer.initialize()
    if copy is None:
        return
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=copy.parent, prefix=copy.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(orjson.dumps([tokenizer.total, tokenizer.FREQ]))
        os.replace(tmp, copy)
    except OSError:  # no writable temp dir: jieba's cache still serves the next process
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@cache
def segmenter() -> jieba.Tokenizer:
    """A private jieba tokenizer holding the user dictionary."""
    tokenizer = jieba.Tokenizer()
    _load_dictionary(tokenizer)
    for word in user_words():
        tokenizer.add_word(word, freq=tokenizer.suggest_freq(word, tune=False))
    return tokenizer


def tokens(text: str) -> list[str]:
    """The words of `text` (whitespace dropped): the fast path, no spaCy. Memoised per text."""
    return list(_tokens(text))


@lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w in segmenter().cut(text, HMM=True) if w.strip())


def preload() -> None:
    """Build the segmenter (jieba's dictionary and the user words, ~0.8 s CPU) now. A parent that
    calls this before forking its workers pays it once; each worker then starts with it loaded."""
    segmenter()


_PIPELINE_NAMES = ("get_nlp", "parse_doc", "mark_values", "VALUES_KEY")


def __getattr__(name: str) -> Any:
    # the spaCy side lives in kpiscan.nlp and loads on first use
    if name in _PIPELINE_NAMES:
        from kpiscan import nlp

        return getattr(nlp, name)
    raise AttributeError(f"module 'kpiscan.tokenize' has no attribute {name!r}")
