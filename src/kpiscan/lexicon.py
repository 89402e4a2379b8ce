"""Loading the domain vocabulary in lexicons/ (data, not code).

Every module that needs a word list calls `table(name)`; each file is read once.
The directory is `$KPISCAN_LEXICONS` when set, else the `lexicons/` package data inside kpiscan
(read with importlib.resources, so a wheel install works anywhere).
Files are UTF-8 TSV with a header row; lines starting with '#' are comments.
"""
from __future__ import annotations

import csv
import os
from functools import cache
from importlib.resources import files
from pathlib import Path


def lexicon_dir() -> Path:
    env = os.environ.get("KPISCAN_LEXICONS")
    if env:
        return Path(env)
    # kpiscan is always installed as a directory (never zipped), so the resource is a real path
    return Path(str(files("kpiscan") / "lexicons"))


# every lexicon read in this process, by name: a trained model's manifest lists (and hashes) them
_READ: set[str] = set()


def read_names() -> frozenset[str]:
    """The lexicons this process has read so far."""
    return frozenset(_READ)


def path(name: str) -> Path:
    _READ.add(name)
    p = lexicon_dir() / name
    if not p.exists():
        raise FileNotFoundError(f"lexicon {name!r} not found in {lexicon_dir()} (set KPISCAN_LEXICONS)")
    return p


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of a TSV lexicon as dicts keyed by its header."""
    with path(name).open(encoding="utf-8") as fh:
        rows = (line for line in fh if line.strip() and not line.startswith("#"))
        reader = csv.DictReader(rows, delimiter="\t")
        return tuple({k: (v or "").strip() for k, v in row.items()} for row in reader)

