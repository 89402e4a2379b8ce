"""Chinese tokenising for indicator text: jieba with a user dictionary built from lexicons/,
used directly (`tokens`, what the classifier calls) or through the spaCy `zh` pipeline of
`kpiscan.nlp` (`get_nlp`, `parse_doc`, also reachable from here) whose "kpiscan_values" component
marks each value span with its Target (`doc.spans["values"]`, `span._.target`). spaCy is imported
only when the pipeline is asked for: it costs about a second of start-up.

Nothing here downloads: jieba's bundled dictionary is local. The segmenter is our own
`jieba.Tokenizer` instance, so the user words never leak into other users of the global `jieba`.
"""
from __future__ import annotations

import array
import contextlib
import hashlib
import logging
import marshal
import mmap
import os
import struct
import tempfile
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpiscan.imports import hidden
from kpiscan.layout import MEMO_TEXTS
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
strdecode = jieba.strdecode

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


SHELF_FORMAT = 3
SHELF_MAGIC = f"kpiscan-jieba-shelf/{SHELF_FORMAT}\n".encode()  # the shelf file's first bytes
_LENGTH = struct.Struct("<Q")


def _shelf_path() -> Path:
    """Where the shelf of jieba's prefix dictionary is kept: beside jieba's own cache, named by
    jieba's version and its dictionary file's size and time (a new jieba makes a new shelf)."""
    source = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    st = source.stat()
    key = hashlib.sha1(f"{jieba.__version__}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"kpiscan-jieba-{key}.{SHELF_FORMAT}.shelf"


Where = tuple[int, int]  # (offset, length) in a shelf's groups


@dataclass(frozen=True, slots=True)
class Groups:
    """Where one character's groups are in a shelf, by their second character."""

    start: int
    seconds: str  # the groups' second characters, in file order
    ends: memoryview  # each group's end, from `start`

    def get(self, second: str) -> Where | None:
        i = self.seconds.find(second)
        if i < 0:
            return None
        low = self.ends[i - 1] if i else 0
        return self.start + low, self.ends[i] - low


class Shelf:
    """jieba's prefix dictionary (word -> frequency, and their total) in one file, grouped by the
    entries' first two characters so that a process reads only the groups its texts lead to:

        SHELF_MAGIC, header length (8 bytes, little-endian), header = marshal (total, size of the
        groups, {character: where its record is}), then the groups and records (marshal each):
        a group ("\\n".join(words), [frequency, ...]): the entries of two or more characters
        starting with the same two characters, in jieba's order; a character's record (its own
        entry's frequency or None, where its groups start, the second characters of its groups
        as one string, the ends of its groups as native unsigned 32-bit ints: the groups of one
        character follow one another, in the order of that string).

    The file is mapped read-only (a forked worker shares it with its parent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            size = len(SHELF_MAGIC) + _LENGTH.size
            if self._map[: len(SHELF_MAGIC)] != SHELF_MAGIC:
                raise ValueError("not a kpiscan jieba shelf")
            (length,) = _LENGTH.unpack(self._map[len(SHELF_MAGIC) : size])
            total, groups, index = marshal.loads(self._map[size : size + length])
            self._base = size + length
            if not isinstance(total, int) or not isinstance(index, dict) or self._base + groups != len(self._map):
                raise ValueError("a cut-short or foreign shelf")
        except BaseException:
            self._map.close()
            raise
        self.total: int = total
        self.index: dict[str, Where] = index

    def read(self, where: Where) -> Any:
        start = self._base + where[0]
        return marshal.loads(self._map[start : start + where[1]])

    def record(self, char: str) -> tuple[int | None, Groups | None]:
        """A character's own frequency (None: not an entry) and its groups (None: none)."""
        where = self.index.get(char)
        if where is None:
            return None, None
        own, start, seconds, ends = self.read(where)
        return own, Groups(start, seconds, memoryview(ends).cast("I"))

    def fill(self, where: Where, freq: dict[str, int]) -> None:
        """One group into `freq`."""
        words, counts = self.read(where)
        freq.update(zip(words.split("\n"), counts))

    @staticmethod
    def write(path: Path, freq: dict[str, int], total: int) -> None:
        """Write `freq` and `total` as a shelf at `path` (atomically: a temporary file renamed)."""
        own: dict[str, int] = {}
        grouped: dict[str, dict[str, tuple[list[str], list[int]]]] = {}
        for word, count in freq.items():
            if "\n" in word or not word:
                raise ValueError(f"cannot shelve the word {word!r}")
            if len(word) == 1:
                own[word] = count
                grouped.setdefault(word, {})
                continue
            words, counts = grouped.setdefault(word[0], {}).setdefault(word[1], ([], []))
            words.append(word)
            counts.append(count)
        index: dict[str, Where] = {}
        blobs: list[bytes] = []
        offset = 0

        def put(blob: bytes) -> Where:
            nonlocal offset
            blobs.append(blob)
            offset += len(blob)
            return offset - len(blob), len(blob)

        for char, seconds in grouped.items():
            start, ends = offset, array.array("I")
            for words, counts in seconds.values():
                put(marshal.dumps(("\n".join(words), counts)))
                ends.append(offset - start)
            index[char] = put(marshal.dumps((own.get(char), start, "".join(seconds), ends.tobytes())))
        header = marshal.dumps((total, offset, index))
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(SHELF_MAGIC + _LENGTH.pack(len(header)) + header)
                fh.writelines(blobs)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _open_shelf() -> Shelf | jieba.Tokenizer:
    """The shelf this user wrote; when it is missing or unreadable, jieba's own load (a Tokenizer
    holding the whole dictionary, ~1 s CPU) and the shelf written from it for the next process
    (skipped when it cannot be written: no writable temp dir). Another user's file is not read."""
    try:
        path: Path | None = _shelf_path()
    except OSError:
        path = None
    if path is not None:
        try:
            if not hasattr(os, "getuid") or path.stat().st_uid == os.getuid():
                return Shelf(path)
            path = None  # another user's file: not read, not replaced
        except (OSError, ValueError, TypeError, EOFError):
            pass  # missing, cut short or foreign: written (again) below
    full = jieba.Tokenizer()
    full.initialize()
    if path is not None:
        with contextlib.suppress(OSError, ValueError):
            Shelf.write(path, full.FREQ, full.total)
    return full


class Segmenter(jieba.Tokenizer):
    """A jieba Tokenizer whose prefix dictionary is read from the shelf as the texts need it: every
    FREQ lookup jieba makes while cutting a text is a piece of that text (get_DAG's fragments,
    calc's and the HMM's spans), so it is one of the text's characters or starts with one of its
    pairs of adjacent characters; a user word's entries are its prefixes. Those characters' and
    pairs' entries are read before jieba cuts a text (`get_DAG`) or adds a word (`add_word`,
    `suggest_freq`): FREQ then holds what jieba's own initialize builds for every key it is asked
    about, and the cut is the same (the same user words added in the same order). A process reads
    the part of the ~500,000 entries its texts lead to instead of all of them (~0.2 s CPU and
    ~40 MiB): the user words' 3,829, a scan of corpora/ 18,150. Made from a jieba Tokenizer
    instead (no shelf could be read), it holds that one's whole dictionary."""

    def __init__(self, source: Shelf | jieba.Tokenizer) -> None:
        super().__init__()
        self._shelf = source if isinstance(source, Shelf) else None
        self._loaded: set[str] = set()  # characters and pairs whose entries are in FREQ
        self._groups: dict[str, Groups | None] = {}  # a read character's groups
        self._lock = threading.Lock()
        if isinstance(source, Shelf):
            self.FREQ, self.total = {}, source.total
        else:
            self.FREQ, self.total = source.FREQ, source.total
        self.initialized = True

    def need(self, text: str) -> None:
        """Read the entries of `text`'s characters and pairs that are not read yet."""
        if self._shelf is None:
            return
        keys = set(text)
        keys.update([text[k : k + 2] for k in range(len(text) - 1)])
        if self._loaded.issuperset(keys):
            return
        with self._lock:
            self._read(sorted(keys - self._loaded, key=len))  # characters before their pairs

    def _read(self, keys: list[str]) -> None:
        shelf = self._shelf
        if shelf is None:
            return
        try:
            for key in keys:
                if len(key) == 1:
                    own, self._groups[key] = shelf.record(key)
                    if own is not None:
                        self.FREQ[key] = own
                else:
                    groups = self._groups[key[0]]
                    where = groups.get(key[1]) if groups is not None else None
                    if where is not None:
                        shelf.fill(where, self.FREQ)
                self._loaded.add(key)
        except (ValueError, TypeError, EOFError, IndexError, KeyError):  # cut short: jieba's own load
            full = jieba.Tokenizer()
            full.initialize()
            loaded = self._loaded
            self.FREQ.update((w, f) for w, f in full.FREQ.items() if w[:2] not in loaded)
            self._shelf = None

    def need_all(self) -> None:
        """Read every entry (a parent that forks several workers reads them once for all)."""
        shelf = self._shelf
        if shelf is None:
            return
        with self._lock:
            self._read(sorted(set(shelf.index) - self._loaded))
            self._read(sorted({c + second for c, groups in self._groups.items() if groups for second in groups.seconds} - self._loaded))

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802 (jieba's name)
        self.need(sentence)
        return super().get_DAG(sentence)

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        self.need(strdecode(word))
        super().add_word(word, freq, tag)

    def suggest_freq(self, segment: Any, tune: bool = False) -> int:
        self.need(strdecode(segment) if isinstance(segment, (str, bytes)) else "".join(map(strdecode, segment)))
        return super().suggest_freq(segment, tune)


def _user_freqs_path(shelf: Shelf, words: list[str]) -> Path:
    """Where the user words' frequencies over `shelf` are kept: beside it, named by the shelf's
    file and the words in order (other lexicons or another jieba: another file)."""
    key = hashlib.sha1("\0".join([shelf.path.name, *words]).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return shelf.path.with_name(f"kpiscan-jieba-user-{key}.{SHELF_FORMAT}.freqs")


def _read_user_freqs(path: Path, n: int) -> list[int] | None:
    """The n frequencies the file holds (marshal, a list of ints); None when it is missing, another
    user's, cut short or foreign."""
    try:
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            return None
        freqs = marshal.loads(path.read_bytes())
    except (OSError, ValueError, TypeError, EOFError):
        return None
    if isinstance(freqs, list) and len(freqs) == n and all(type(f) is int for f in freqs):
        return freqs
    return None


def _write_user_freqs(path: Path, freqs: list[int]) -> None:
    """Write the frequencies atomically (a temporary file renamed); nothing when it cannot."""
    tmp: str | None = None
    with contextlib.suppress(OSError):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(marshal.dumps(freqs))
        os.replace(tmp, path)
        tmp = None
    if tmp is not None:
        Path(tmp).unlink(missing_ok=True)


@cache
def segmenter() -> Segmenter:
    """A private jieba tokenizer holding the user dictionary: each user word added, in order, with
    the frequency jieba suggests for it (`suggest_freq`, a cut of the word over the entries and
    words added before it). Over a shelf those frequencies are the same in every process, so the
    first process keeps them in a file beside the shelf and the next adds the words with them
    (suggest_freq only reads: the words' entries are read by add_word as by it, the segmenter is
    the same; ~28 M instructions of every scanning process's start, of ~48 M)."""
    source = _open_shelf()
    tokenizer = Segmenter(source)
    words = user_words()
    path = _user_freqs_path(source, words) if isinstance(source, Shelf) else None
    freqs = _read_user_freqs(path, len(words)) if path is not None else None
    if freqs is not None:
        for word, freq in zip(words, freqs):
            tokenizer.add_word(word, freq=freq)
        return tokenizer
    freqs = []
    for word in words:
        freqs.append(tokenizer.suggest_freq(word, tune=False))
        tokenizer.add_word(word, freq=freqs[-1])
    if path is not None and tokenizer._shelf is source:  # (not after a fall back to jieba's own load)
        _write_user_freqs(path, freqs)
    return tokenizer


def tokens(text: str) -> list[str]:
    """The words of `text` (whitespace dropped): the fast path, no spaCy. Memoised per text."""
    return list(_tokens(text))


@lru_cache(maxsize=MEMO_TEXTS)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w in segmenter().cut(text, HMM=True) if w.strip())


def preload(whole: bool = False) -> None:
    """Build the segmenter (the shelf opened, the user words added) now; `whole`: read all of
    jieba's dictionary too (~0.2 s CPU), for a parent that forks several workers: it pays it once
    and each worker starts with it read. Otherwise each process reads the parts its texts need."""
    tokenizer = segmenter()
    if whole:
        tokenizer.need_all()


_PIPELINE_NAMES = ("get_nlp", "parse_doc", "mark_values", "VALUES_KEY")


def __getattr__(name: str) -> Any:
    # the spaCy side lives in kpiscan.nlp and loads on first use
    if name in _PIPELINE_NAMES:
        from kpiscan import nlp

        return getattr(nlp, name)
    raise AttributeError(f"module 'kpiscan.tokenize' has no attribute {name!r}")
