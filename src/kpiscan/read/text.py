"""Reader for PDF-to-text conversions (.txt, .md): tab-separated cells or markdown pipe tables.

Every source line becomes one `Line` with its 1-based number, whatever it holds, so later stages
can cite it. Markdown separator rows (|---|---|) keep their number but carry no cells.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import regex

from ..errors import InputError
from ..model import Document, Line
from .cells import merge_embedded

_MD_SEPARATOR = regex.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_MD_HEADING = regex.compile(r"^#{1,6}\s+")
_PIPE_SPLIT = regex.compile(r"(?<!\\)\|")
_BUDGET_YEAR = regex.compile(r"(20\d\d)\s*年度")


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM) or GB18030; name the line of a bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gb_error:
            # Report the failure of the encoding that got further: that is the file's likely one.
            worst = max(utf8_error, gb_error, key=lambda e: e.start)
            line = data.count(b"\n", 0, worst.start) + 1
            bad = data[worst.start : worst.start + 4].hex(" ")
            raise InputError(path, f"undecodable bytes ({bad}) as utf-8 or gb18030", line) from None


def check_binary(data: bytes, path: str) -> None:
    head = data[:65536]
    if b"\x00" in head:
        line = head.count(b"\n", 0, head.index(b"\x00")) + 1
        raise InputError(path, "binary file (NUL byte), not a text conversion", line)


def split_cells(text: str) -> tuple[str, ...]:
    """Cells of one line: markdown pipes, else tabs, else the line as one cell."""
    stripped = text.strip()
    if stripped.startswith("|") and stripped.count("|") >= 2:
        if _MD_SEPARATOR.match(stripped):
            return ()
        inner = stripped[1:-1] if stripped.endswith("|") else stripped[1:]
        raw = [c.replace("\\|", "|") for c in _PIPE_SPLIT.split(inner)]
    elif "\t" in text:
        raw = text.split("\t")
    else:
        raw = [_MD_HEADING.sub("", stripped)]
    cells = merge_embedded(raw)
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def budget_year(lines: list[Line]) -> int | None:
    """The document's budget year: the first "20XX年度" in its opening lines (its title)."""
    for line in lines[:400]:
        m = _BUDGET_YEAR.search(line.text)
        if m:
            return int(m.group(1))
    return None


MAX_FILE_BYTES = 512 * 1024 * 1024  # a larger input is refused (no reader could hold it anyway)

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def check_regular(p: Path) -> os.stat_result:
    """The stat of `p` (symlinks followed) when it is a regular file; otherwise an InputError
    saying what it is, so that FIFOs, devices and sockets are skipped and listed, never read (a
    read of /dev/zero or a FIFO would not end)."""
    try:
        st = os.stat(p)
    except OSError as e:
        if e.errno == 40:  # ELOOP
            raise InputError(str(p), "symlink loop: skipped") from None
        if os.path.islink(p):
            raise InputError(str(p), f"broken symlink to {os.readlink(p)}: skipped") from None
        raise InputError(str(p), f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        what = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise InputError(str(p), f"not a regular file ({what}): skipped")
    return st


def load_bytes(p: Path, limit: int | None = None) -> bytes:
    """The file's bytes (the first `limit` only, to sniff a binary format); a file that is not
    regular, unreadable, empty (whitespace only) or over MAX_FILE_BYTES is an InputError."""
    st = check_regular(p)
    if limit is None and st.st_size > MAX_FILE_BYTES:
        raise InputError(str(p), f"file of {st.st_size / 2**20:,.0f} MiB is over the {MAX_FILE_BYTES // 2**20} MiB limit: skipped")
    try:
        with p.open("rb") as fh:
            data = fh.read((MAX_FILE_BYTES if limit is None else limit) + 1)
    except OSError as e:
        raise InputError(str(p), f"cannot read: {e.strerror or e}") from None
    if limit is None and len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise InputError(str(p), f"file is over the {MAX_FILE_BYTES // 2**20} MiB limit: skipped")
    if limit is not None:
        data = data[:limit]
    if not data.strip():
        raise InputError(str(p), "empty file")
    return data


def read_text(path: str | Path) -> Document:
    p = Path(path)
    data = load_bytes(p)
    check_binary(data, str(p))
    text, encoding = decode(data, str(p))
    lines = [
        Line(number=i, text=raw.rstrip("\r"), cells=split_cells(raw.rstrip("\r")))
        for i, raw in enumerate(text.split("\n"), start=1)
    ]
    doc = Document(path=str(p), name=p.name, lines=lines, encoding=encoding)
    doc.year = budget_year(lines)
    return doc
