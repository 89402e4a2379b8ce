"""The files of a scan and what a scan gives: `inputs` (the files under the paths given, in
order, each with its document name and why it is skipped, if it is), `iter_files`, `ScanResult`.

Apart from kpiscan.pipeline (which names them too) so that a process that lists files and writes
what others scanned -- a Dask client (`kpiscan scan --dask`) -- does not import the scan's
modules (segment, extract, layout, templates: ~0.035 CPU s a run).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import Indicator, TableBlock, Unparsed
from .read import supported


@dataclass
class ScanResult:
    tables: list[TableBlock] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file scanned, good or bad
    skipped: list[str] = field(default_factory=list)  # files of a directory not scanned (why: in problems)

    def extend(self, other: "ScanResult") -> None:
        self.tables += other.tables
        self.indicators += other.indicators
        self.unparsed += other.unparsed
        self.problems += other.problems
        self.files += other.files
        self.skipped += other.skipped

    def records(self) -> list[dict[str, Any]]:
        return [i.to_dict() for i in self.indicators]

    def to_frame(self, what: str = "indicators") -> Any:
        """A pandas DataFrame of "indicators" (target fields flattened as target_*), "tables" or
        "unparsed": the columns and types of the Parquet output (docs/contracts.md)."""
        from .write import records_frame

        records: dict[str, list[Any]] = {"indicators": self.indicators, "tables": self.tables, "unparsed": self.unparsed}
        if what not in records:
            raise ValueError(f"to_frame: what must be one of {', '.join(records)}")
        kinds: dict[str, type] = {"indicators": Indicator, "tables": TableBlock, "unparsed": Unparsed}
        return records_frame([r.to_dict() for r in records[what]], kinds[what])


@dataclass(frozen=True)
class Input:
    """One file of a scan: its path, its `doc` name, and why it is skipped (None: scanned)."""

    path: Path
    doc: str
    skipped: str | None = None


def walk(root: Path) -> list[Path]:
    """Every entry under `root` that is not a directory, sorted, whatever its kind (the scan skips
    and lists FIFOs, devices and sockets without opening them). Symlinked directories are followed
    once: a directory reached again (a symlink loop) is not walked again."""
    seen: set[tuple[int, int]] = set()
    found: list[Path] = []
    for top, dirs, names in os.walk(root, followlinks=True):
        st = os.stat(top)
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        found += [Path(top) / n for n in names]
    return sorted(found)


def scan_root(paths: list[Path]) -> Path:
    """The directory document names are relative to: the one directory given, else the deepest
    directory holding every path given (a file counts by its directory)."""
    dirs = [str(p.resolve() if p.is_dir() else p.resolve().parent) for p in paths]
    return Path(os.path.commonpath(dirs)) if dirs else Path.cwd()


def inputs(paths: Iterable[str | Path]) -> list[Input]:
    """The files of a scan, in order: files as named, directories walked recursively (sorted).
    Unsupported files inside a directory are listed as skipped, with why; hidden files and
    directories (".name") are left out."""
    given = [Path(p) for p in paths]
    root = scan_root([p for p in given if p.exists()])
    out: list[Input] = []
    seen: set[Path] = set()

    def resolved(f: Path) -> Path:
        try:
            return f.resolve()
        except (RuntimeError, OSError):  # a symlink loop: scanned (and reported) as named
            return f.absolute()

    def name(f: Path) -> str:
        try:
            return resolved(f).relative_to(root).as_posix()
        except ValueError:  # not under the root (a missing path): as given
            return f.as_posix()

    for p in given:
        files = [p]
        if p.is_dir():
            files = [f for f in walk(p) if not any(part.startswith(".") for part in f.relative_to(p).parts)]
        for f in files:
            key = resolved(f)
            if key in seen:
                continue
            seen.add(key)
            skipped = None
            if p.is_dir() and not supported(f):
                skipped = f"unsupported file type {f.suffix or '(none)'!r}"
            out.append(Input(f, name(f), skipped))
    return out


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files a scan reads (supported files of the directories, and every file named)."""
    for i in inputs(paths):
        if i.skipped is None:
            yield i.path


def skipped_result(i: Input) -> ScanResult:
    return ScanResult(problems=[InputError(str(i.path), i.skipped or "skipped")], skipped=[str(i.path)])
