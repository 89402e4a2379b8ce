"""Compiled patterns: `any_of(words)`, one search for a text holding any of these words; and `regex`
patterns compiled once per machine, not once per process: `cached_compile(pattern,
flags, **named_lists)` is `regex.compile(pattern, flags, ignore_unused=True, **named_lists)`, read back
from a file when an earlier process compiled the same pattern with the same lists.

The `regex` module pickles a compiled pattern as its compiled code (copyreg: `_regex.compile`
and the arguments regex's pure-Python parser and optimiser produced), so reading one back skips
that work: the value grammars (kpiscan.values) cost a scanning process ~0.14 s CPU to compile and
~3 ms to read back. The file is `tempfile.gettempdir()/kpiscan-regex-<key>.pickle`, keyed by the
pattern, its flags and named lists, regex's version and default version and Python's version (a
new regex or Python compiles again); written atomically; read only when this user owns it, with an
unpickler that accepts the one global regex's pickles name (`regex._regex.compile`) and nothing
else. A missing, foreign or unreadable file: the pattern is compiled as usual (and written).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import regex


def any_of(words: Iterable[str]) -> re.Pattern[str]:
    """A search for any of `words` in a text, in one pass over it ("(?!)": none, when there is no
    word): the longest first, each escaped (`re`: a plain alternation, faster than `regex`'s)."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered)) if ordered else "(?!)")


_ALLOWED = {("regex._regex", "compile")}  # what a pickled regex.Pattern names


class _PatternUnpickler(pickle.Unpickler):
    """Unpickles a regex Pattern and nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a regex pattern")
        return super().find_class(module, name)


def cache_path(pattern: str, flags: int, named_lists: dict[str, Iterable[str]]) -> Path:
    """The file the compiled pattern is kept in (see the module notes for the key)."""
    key = hashlib.sha256()
    for part in (regex.__version__, str(regex.DEFAULT_VERSION), sys.version, pattern, str(int(flags))):
        key.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name in sorted(named_lists):
        key.update(name.encode() + b"\1" + "\2".join(sorted(map(str, named_lists[name]))).encode("utf-8", "surrogatepass") + b"\0")
    return Path(tempfile.gettempdir()) / f"kpiscan-regex-{key.hexdigest()[:24]}.pickle"


def _read(path: Path, pattern: str) -> regex.Pattern[str] | None:
    try:
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            return None  # another user's file: not read
        found = _PatternUnpickler(io.BytesIO(path.read_bytes())).load()
    except FileNotFoundError:
        return None
    except Exception:  # cut short or foreign (unpickling raises many kinds): compiled again
        return None
    return found if isinstance(found, regex.Pattern) and found.pattern == pattern else None


def _write(path: Path, compiled: regex.Pattern[str]) -> None:
    tmp: str | None = None
    with contextlib.suppress(OSError, pickle.PicklingError):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(compiled, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    if tmp is not None:
        Path(tmp).unlink(missing_ok=True)


def cached_compile(pattern: str, flags: int = 0, **named_lists: Iterable[str]) -> regex.Pattern[str]:
    """regex.compile(pattern, flags, ignore_unused=True, **named_lists), from the machine's copy of
    its compiled code when there is one (callers keep the result: `functools.cache`)."""
    try:
        path: Path | None = cache_path(pattern, flags, named_lists)
    except (OSError, UnicodeError):
        path = None
    if path is not None and (found := _read(path, pattern)) is not None:
        return found
    made = regex.compile(pattern, flags, ignore_unused=True, **named_lists)  # type: ignore[arg-type]  # the lists are keywords
    if path is not None:
        _write(path, made)
    return made
