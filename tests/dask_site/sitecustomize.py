"""Test only (tests/test_file_timeout.py, tests/test_dask_cluster.py): put this directory on the
PYTHONPATH of a process and every interpreter it starts (Dask workers and their scan helpers)
scans a file whose name starts with "burnc" by first burning CPU inside one C call that does not
return to the interpreter for minutes (PBKDF2, OpenSSL): a signal handler cannot run there, so
only a limit enforced from outside the interpreter ends it."""

import hashlib

import kpiscan.batch as _batch

_scan_file = _batch.scan_file


def burn_c(path, *args, **kw):
    from pathlib import Path

    if Path(path).name.startswith("burnc"):
        hashlib.pbkdf2_hmac("sha256", b"k", b"s", 300_000_000)  # ~2 minutes of C on one core
    return _scan_file(path, *args, **kw)


_batch.scan_file = burn_c
