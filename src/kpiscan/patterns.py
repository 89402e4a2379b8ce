"""Compiled patterns: `any_of(words)`, one search for a text holding any of these words; and `regex`
patterns compiled once per machine, not once per process: `cached_compile(pattern,
flags, **named_lists)` is `regex.compile(pattern, flags, ignore_unused=True, **named_lists)`, read back
from a file when an earlier process compiled the same pattern with the same lists; `cached_re(pattern,
flags)` the same for `re.compile(pattern, flags)`.

The `regex` module pickles a compiled pattern as its compiled code (copyreg: `_regex.compile`
and the arguments regex's pure-Python parser and optimiser produced), so reading one back skips
that work: the value grammars (kpiscan.values) cost a scanning process ~0.14 s CPU to compile and
~3 ms to read back. The file is `tempfile.gettempdir()/kpiscan-regex-<key>.pickle`, keyed by the
pattern, its flags and named lists, regex's version and default version and Python's version (a
new regex or Python compiles again); written atomically; read only when this user owns it, with an
unpickler that accepts the one global regex's pickles name (`regex._regex.compile`) and nothing
else. A missing, foreign or unreadable file: the pattern is compiled as usual (and written).

`re` pickles a pattern as its text (compiled again when read), so `cached_re` keeps what `re`'s
pure-Python parser and compiler hand `_sre.compile` (flags, code, groups: ints, a dict and a tuple;
no global), keyed as above by `_sre.MAGIC` (the code's format) and Python's version, written only
when the pattern it makes equals re.compile's; `_sre.compile` validates the code it is given.
layout.plain_text's classes (~28,000 code points, each set one by one by `re`'s compiler) cost a
scan's worker ~0.26 G instructions to compile; `plain_text()` in a fresh process, its copy read
back: 40 M (callgrind), most of it building the class texts.

The scan's modules compile their module-level patterns with these too (27 `regex`, 2 `re`): at
import, every scanning process (a scan, a report, a worker started fresh) parsed them in regex's
pure Python, ~30 M instructions; read back, ~5 M.
"""
from __future__ import annotations

import _sre
import contextlib
import hashlib
import io
import os
import pickle
import re
import re._compiler
import re._parser
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


def cache_path(pattern: str, flags: int, named_lists: dict[str, Iterable[str]], engine: str = "regex") -> Path:
    """The file the compiled pattern is kept in (see the module notes for the key); `engine`:
    "regex" (cached_compile) or "re" (cached_re)."""
    key = hashlib.sha256()
    versions = (regex.__version__, str(regex.DEFAULT_VERSION)) if engine == "regex" else ("re", str(_sre.MAGIC))
    for part in (*versions, sys.version, pattern, str(int(flags))):
        key.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for name in sorted(named_lists):
        key.update(name.encode() + b"\1" + "\2".join(sorted(map(str, named_lists[name]))).encode("utf-8", "surrogatepass") + b"\0")
    return Path(tempfile.gettempdir()) / f"kpiscan-{engine}-{key.hexdigest()[:24]}.pickle"


def _load(path: Path) -> Any:
    """What the file holds, unpickled (regex patterns or plain data only); None when it is
    missing, another user's, cut short or foreign."""
    try:
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            return None  # another user's file: not read
        return _PatternUnpickler(io.BytesIO(path.read_bytes())).load()
    except FileNotFoundError:
        return None
    except Exception:  # cut short or foreign (unpickling raises many kinds): compiled again
        return None


def _read(path: Path, pattern: str) -> regex.Pattern[str] | None:
    found = _load(path)
    return found if isinstance(found, regex.Pattern) and found.pattern == pattern else None


def _write(path: Path, compiled: Any) -> None:
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


def cached_re(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile(pattern, flags) (the same code: the patterns compare equal), from the machine's
    copy of its compiled code when there is one (callers keep the result: `functools.cache`)."""
    try:
        path: Path | None = cache_path(pattern, flags, {}, engine="re")
    except (OSError, UnicodeError):
        path = None
    found = _load(path) if path is not None else None
    if isinstance(found, tuple):
        with contextlib.suppress(Exception):  # a foreign tuple: _sre.compile refuses it, compiled again
            read: re.Pattern[str] = _sre.compile(pattern, *found)
            return read
    # re._compiler.compile, keeping the arguments it hands _sre.compile; kept only when the pattern
    # they make is re.compile's (the first process on a machine compiles it twice: another
    # Python's re internals, where this reading of them would differ, are never written)
    made: re.Pattern[str] | None
    try:
        parsed = re._parser.parse(pattern, flags)
        code = list(map(int, re._compiler._code(parsed, flags)))  # (its opcodes are named ints, which do not pickle)
        groupindex = parsed.state.groupdict
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        args = (int(flags | parsed.state.flags), code, parsed.state.groups - 1, dict(groupindex), tuple(indexgroup))
        made = _sre.compile(pattern, *args)
    except Exception:
        made = None
    compiled = re.compile(pattern, flags)
    if made != compiled:
        return compiled
    if path is not None:
        _write(path, args)
    return compiled
