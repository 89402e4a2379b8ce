"""A file's bytes and kind, without reading it as a document: what a process that only hands
files on needs (a Dask client reads and ships each file, `kpiscan.batch`), apart from the readers'
parsing modules and the regular expressions they compile at import (measured: `kpiscan.read.text`
and `read.cells` with `regex`, ~0.03 CPU s of a Dask client's start). Every reader takes them from here."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError

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
            # read what stat says (a read of MAX_FILE_BYTES would allocate that much up front)
            data = fh.read((min(st.st_size, MAX_FILE_BYTES) if limit is None else limit) + 1)
            if limit is None and len(data) > st.st_size:  # it grew since: read on, bounded
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as e:
        raise InputError(str(p), f"cannot read: {e.strerror or e}") from None
    if limit is None and len(data) > MAX_FILE_BYTES:  # it grew while being read
        raise InputError(str(p), f"file is over the {MAX_FILE_BYTES // 2**20} MiB limit: skipped")
    if limit is not None:
        data = data[:limit]
    if not data.strip():
        raise InputError(str(p), "empty file")
    return data
