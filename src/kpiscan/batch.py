"""Running the scan over many files, streaming: each file's records go to the outputs as soon as
it is done, in input order, and the runner keeps counts, not results.

    scan_to_outputs(paths, out, fmt="jsonl", classify=True, workers=1, resume=False, dask=None,
                    stats=None, file_timeout=None, dask_files="send")   # -> {stream: path}
    iter_parts(paths, ...)   # -> one "part" (plain dict) per file, input order
    run_scan(paths, ...)     # -> ScanResult in memory (library use, `kpiscan report`, `eval`)

A part is what the outputs need of one file and nothing more: {"format", "files", "problems", "n"
(counts), "tables" (TableBlock.to_dict(), no body rows), "indicators" (records), "unparsed"}. Each
of the three streams is a list of dicts, or, when `encode` names it, its JSONL already encoded in
UTF-8 (by the worker, Dask task or this process that scanned it, or read from the cache: written
as it is, never decoded and encoded again). Workers and Dask tasks return parts; the parent writes them and
forgets them.

Bounded: at most `window` files are in flight or waiting for an earlier file to finish (2 per
worker, at least 4), so memory does not grow with the corpus and a Dask client holds a bounded
number of futures (each released once written).

Cache: with `cache_dir`, each file's part is written there (a JSON line, then its streams' JSONL
text as written to the outputs) as soon as it is done, so Ctrl-C keeps the finished files. With
`resume=True` a file whose entry matches is loaded instead of scanned. An entry matches when the
file's resolved path, size and content hash (sha1), the kpiscan version, a fingerprint of the
kpiscan code and lexicons (their content), the `classify` flag and the cache format are all the
same. Files that failed (no tables, only problems) are not cached.

Failures: `scan_file` reports bad input as `InputError`s in `problems`. An unexpected exception
inside the scan of one file (a bug) is also reported as a problem of that file, "internal error:
<Type>: <message> (at file:line in function)"; a file that runs past `file_timeout` CPU seconds is
reported and skipped, in every mode and even inside C code (files then scan in worker processes
under a kernel CPU limit: `scanproc`); a worker process that dies costs only the file it held.

Dask (`dask="tcp://host:8786"`, `"env"` (DASK_SCHEDULER_ADDRESS), `"local"`, `"local:N"` or a
`distributed.Client`): `dask_files="send"` ships each file's bytes to the worker (no shared
filesystem needed); `"shared"` sends absolute paths, checked up front on every worker. Each Dask
worker scans in helper processes (`dask worker --preload kpiscan.daskworker` starts them with the
model loaded). dask is imported only here, only when asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any, Iterable, Iterator

from .corpus import Input, ScanResult, inputs, skipped_result
from .errors import InputError
from .read.files import check_regular, load_bytes
from .serialize import FORMAT, problem_from_dict, problem_to_dict, result_from_dict

CACHE_DIRNAME = ".kpiscan-cache"
CACHE_FORMAT = 4  # entries hold parts (no table bodies), streams as JSONL in UTF-8, sizes in bytes; bump when the layout changes
LOCK_NAME = ".kpiscan.lock"
DASK_FILES = ("send", "shared")


@dataclass
class BatchStats:
    """What a run did: filled in when passed as `stats=`."""

    files: int = 0
    cached: int = 0  # loaded from the cache
    scanned: int = 0  # scanned in this run
    seconds: float = 0.0
    mode: str = "serial"  # serial / processes / dask
    tables: int = 0
    indicators: int = 0
    unparsed: int = 0
    rows: int = 0  # printed indicator rows (a row of a two-half table is two records)
    problems: list[InputError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files of a directory not scanned (why: in problems)

    def count(self, part: dict) -> None:
        self.skipped += part.get("skipped", [])
        self.tables += part["n"]["tables"]
        self.indicators += part["n"]["indicators"]
        self.unparsed += part["n"]["unparsed"]
        self.rows += part["n"].get("rows", 0)
        self.problems += [problem_from_dict(p) for p in part["problems"]]


# ------------------------------------------------------------------------------------- parts


STREAMS = ("indicators", "tables", "unparsed")


_ROW_OF = attrgetter("doc", "table", "line")  # the printed row an indicator was read from


def part_of(result: ScanResult, encode: Iterable[str] = (), records: bool = False) -> dict[str, Any]:
    """What the outputs need of one file's ScanResult, as plain data (pickles, JSON-encodes);
    the streams named in `encode` as JSONL in its UTF-8 bytes, encoded straight from the records
    (no list of dicts in between: a file of a million rows holds one form at a time), what the
    outputs and the cache write, so that no process on the way decodes and encodes it again
    (`write.json_lines`; text only where a lone surrogate cannot be encoded). `records`: the
    other streams as the records themselves, for a reader
    in this process (`part_result` takes them as they are): the result's tables lose their body
    rows, as a part's tables do."""
    from .write import json_lines

    part: dict[str, Any] = {
        "format": FORMAT,
        "files": list(result.files),
        "skipped": list(result.skipped),
        "problems": [problem_to_dict(p) for p in result.problems],
        "n": {
            "tables": len(result.tables),
            "indicators": len(result.indicators),
            "unparsed": len(result.unparsed),
            "rows": len(set(map(_ROW_OF, result.indicators))),
        },
    }
    if records:
        for t in result.tables:
            t.body = []
    for k, items in (("tables", result.tables), ("indicators", result.indicators), ("unparsed", result.unparsed)):
        part[k] = json_lines(items, utf8=True) if k in encode else list(items) if records else [x.to_dict() for x in items]
    return part


def _are_records(stream: Any) -> bool:
    """A part's stream holds the records themselves (`part_of(records=True)`), not dicts or text."""
    return isinstance(stream, list) and bool(stream) and not isinstance(stream[0], dict)


def stream_jsonl(part: dict, k: str) -> str | bytes:
    """Stream `k` of a part as JSONL: its text, or its UTF-8 bytes when it came as bytes."""
    from .write import json_line, json_lines

    v = part[k]
    if _are_records(v):
        return json_lines(v)
    return v if isinstance(v, (str, bytes)) else "".join(json_line(r) for r in v)


def stream_records(part: dict, k: str) -> list[dict]:
    """Stream `k` of a part as records."""
    from .write import jsonl_records

    v = part[k]
    if _are_records(v):
        return [x.to_dict() for x in v]
    return jsonl_records(v) if isinstance(v, (str, bytes)) else v


def part_result(part: dict) -> ScanResult:
    """A part as a ScanResult (tables without body rows); streams of records taken as they are."""
    kept = {k: part[k] for k in STREAMS if _are_records(part[k])}
    result = result_from_dict({**part, **{k: [] if k in kept else stream_records(part, k) for k in STREAMS}})
    for k, v in kept.items():
        setattr(result, k, v)
    result.skipped = list(part.get("skipped") or [])
    return result


def problem_part(path: str | Path, message: str, line: int | None = None) -> dict[str, Any]:
    return part_of(ScanResult(problems=[InputError(str(path), message, line)], files=[str(path)]))


def _renamed(part: dict, old: str, new: str) -> dict:
    """The part with file path `old` reported as `new` (a file named another way, or a copy)."""
    if old != new:
        part["files"] = [new if f == old else f for f in part["files"]]
        for p in part["problems"]:
            if p["path"] == old:
                p["path"] = new
    return part


# ----------------------------------------------------------------------------------------- cache


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha1 over the content of the kpiscan package files and the lexicons (first 16 hex digits):
    each file's path under its root and its content's sha1, in path order (`_code_files`)."""
    from . import __version__
    from .lexicon import lexicon_dir

    h = hashlib.sha1(__version__.encode())
    for root in (Path(__file__).resolve().parent, lexicon_dir()):
        if not root.is_dir():
            continue
        for parts, path in sorted(_code_files(str(root))):
            h.update("/".join(parts).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(hashlib.sha1(fh.read()).digest())
    return h.hexdigest()[:16]


def _code_files(top: str, parts: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path parts under the root, path) of the files `code_fingerprint` reads: what
    sorted(root.rglob("*")) lists that is a file (symlinked directories not walked), but any
    __pycache__ and *.pyc / *.pyo (Path.suffix's). os.scandir's entries, not Path objects: the
    same files, hashed in the same order, in a third of the CPU (every scan --out computes it)."""
    try:
        with os.scandir(top) as found:
            entries = list(found)
    except PermissionError:  # as rglob: an unreadable directory is left out
        return
    for entry in entries:
        name = entry.name
        if name == "__pycache__":
            continue
        if entry.is_dir() and not entry.is_symlink():
            yield from _code_files(entry.path, (*parts, name))
        elif entry.is_file() and not (name.endswith((".pyc", ".pyo")) and name.rfind(".") > 0):
            yield (*parts, name), entry.path


def _file_sha1(path: Path) -> str:
    h = hashlib.sha1()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class ScanCache:
    """One JSON file per input file (named by its resolved path and the classify flag)."""

    def __init__(self, directory: str | Path, classify: bool = True) -> None:
        from . import __version__

        self.dir = Path(directory)
        self.classify = classify
        self.version = __version__
        self.code = code_fingerprint()

    def _entry(self, path: Path) -> Path:
        name = f"{path.resolve()}\0{int(self.classify)}"
        return self.dir / f"{hashlib.sha1(name.encode()).hexdigest()[:24]}.json"

    def key(self, path: Path, doc: str | None = None) -> dict[str, Any] | None:
        """The key the file has now (and the `doc` name it is scanned under); None when it is not
        a regular file or cannot be read (the scan will report that)."""
        try:
            check_regular(path)
            size = path.stat().st_size
            digest = _file_sha1(path)
        except (OSError, InputError):
            return None
        return {
            "path": str(path.resolve()),
            "doc": doc,
            "size": size,
            "sha1": digest,
            "version": self.version,
            "code": self.code,
            "classify": self.classify,
            "format": CACHE_FORMAT,
        }

    def load(self, path: Path, key: dict[str, Any] | None) -> dict | None:
        if key is None:
            return None
        try:
            with self._entry(path).open("rb") as fh:
                entry = json.loads(fh.readline())
                if entry.get("key") != key:
                    return None
                part, sizes, data = entry["part"], entry["sizes"], fh.read()
            if sum(sizes.values()) != len(data):
                return None  # cut short
            at = 0
            for k in STREAMS:  # kept as UTF-8 bytes: the outputs write them as they are
                part[k], at = data[at : at + sizes[k]], at + sizes[k]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, stale, or unreadable: scan again
        return _renamed(part, entry.get("given"), str(path))

    def store(self, path: Path, key: dict[str, Any] | None, part: dict[str, Any]) -> bool:
        """Write the entry atomically; False when not cached (failed file, unreadable key). An
        entry is one JSON line (the key, the part without its streams, each stream's length in
        bytes) and then the streams' JSONL in UTF-8 as it is (encoded once, for the outputs and
        the cache)."""
        if key is None or not part["n"]["tables"]:
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self._entry(path)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        streams = {k: _utf8(stream_jsonl(part, k)) for k in STREAMS}
        head = {
            "key": key,
            "given": str(path),
            "part": {k: v for k, v in part.items() if k not in STREAMS},
            "sizes": {k: len(v) for k, v in streams.items()},
        }
        with tmp.open("wb") as fh:
            fh.write(json.dumps(head).encode() + b"\n")
            for k in STREAMS:
                fh.write(streams[k])
        os.replace(tmp, target)
        return True


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


# ------------------------------------------------------------------------------------ one file


class FileTimeout(BaseException):
    """Raised inside a scan that ran past its time budget (a BaseException, so that no stage's
    `except Exception` swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Raise FileTimeout in this thread after `seconds` of CPU time of this process (user +
    system: the file's own cost, whatever the machine's load; ITIMER_PROF). Main thread of a
    Unix process only; elsewhere no limit is enforced."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds is None:
        yield
        return

    def expired(signum, frame):
        raise FileTimeout

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    return f" (at {Path(f.filename).name}:{f.lineno} in {f.name})"


def scan_file(path: str | Path, classify: bool = True, doc: str | None = None, sweep: bool = True) -> ScanResult:
    """`pipeline.scan_file`, its module imported on the first call: the scan's modules are imported
    by the processes that scan, not by one that only lists files and writes what others scanned
    (a Dask client)."""
    from .pipeline import scan_file as scan

    return scan(path, classify=classify, doc=doc, sweep=sweep)


def scan_one(path: str | Path, classify: bool = True, timeout: float | None = None, doc: str | None = None,
             sweep: bool = True) -> ScanResult:
    """`scan_file`, with an unexpected exception or a run past `timeout` seconds turned into a
    problem of this file."""
    try:
        with time_limit(timeout):
            return scan_file(path, classify=classify, doc=doc, sweep=sweep)
    except FileTimeout:
        from .scanproc import timeout_message

        message = timeout_message(timeout or 0)
    except Exception as err:  # a bug in a stage: report it for this file, go on with the others
        message = f"internal error: {type(err).__name__}: {err}{_where(err)}"
    return ScanResult(problems=[InputError(str(path), message)], files=[str(path)])


def scan_part(
    path: str,
    classify: bool = True,
    timeout: float | None = None,
    data: bytes | None = None,
    given: str | None = None,
    encode: tuple[str, ...] = (),
    doc: str | None = None,
    records: bool = False,
    sweep: bool = True,
) -> dict:
    """The task workers and Dask run: one file's part (`encode`: the streams to send as JSONL,
    in UTF-8; `doc`: the name of the document in its records; `records`: the
    other streams as records, for this process: see `part_of`; `sweep=False`: no nothing-lost
    net, for a reader that keeps no unparsed record: `pipeline.scan_document`). With `data`, the file's bytes are scanned from a
    private temporary copy of the same name (a worker without the input filesystem); the part
    names the file `given` (as the user named it) either way."""
    given = given if given is not None else str(path)
    if data is None:
        return _renamed(part_of(scan_one(path, classify, timeout, doc, sweep), encode, records), str(path), given)
    copy = _private_dir() / Path(given).name
    try:
        copy.write_bytes(data)
        return _renamed(part_of(scan_one(copy, classify, timeout, doc or Path(given).name, sweep), encode, records), str(copy), given)
    finally:
        copy.unlink(missing_ok=True)


_private: dict[int, tempfile.TemporaryDirectory] = {}


def _private_dir() -> Path:
    """A directory of this thread's own (in one made on first use by its process and removed when
    the process exits) for the private copies of files sent as bytes, one at a time: a temporary
    directory made and removed for each file cost ~0.33 ms more a file (a Dask helper's 64 files
    at 16x: ~0.02 CPU s). By thread, so that two threads of a process calling scan_part with
    files of the same name do not write the same copy."""
    pid = os.getpid()  # a forked process makes its own
    if pid not in _private:
        _private[pid] = tempfile.TemporaryDirectory(prefix="kpiscan-")
    mine = Path(_private[pid].name) / str(threading.get_ident())
    mine.mkdir(exist_ok=True)
    return mine


def _worker_init(die_with_parent: bool = True) -> None:
    """Worker processes: Ctrl-C is the parent's to handle, and they die with their parent (the
    thread that started them, on Linux: so not for helpers started from a Dask task's thread)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if die_with_parent and sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() == 1:  # the parent died before the line above
            os._exit(1)


# ------------------------------------------------------------------------------------ progress


def _stderr_is_terminal() -> bool:
    """Whether a progress bar on stderr is seen: rich draws none into a pipe or a file (it wrote
    one empty line there), and importing and running it cost such a run ~0.03 CPU s."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def _progress():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[cached]} cached · {task.fields[scanned]} scanned"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


class _Tracker:
    def __init__(self, total: int, stats: BatchStats, show: bool) -> None:
        self.stats = stats
        self.progress = _progress() if show else None
        self.task = self.progress.add_task("scanning", total=total, cached=0, scanned=0) if self.progress else None

    def __enter__(self) -> "_Tracker":
        if self.progress:
            self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.stop()

    def done(self, cached: bool) -> None:
        if cached:
            self.stats.cached += 1
        else:
            self.stats.scanned += 1
        if self.progress:
            self.progress.update(self.task, advance=1, cached=self.stats.cached, scanned=self.stats.scanned)


# ---------------------------------------------------------------------------------- the runners
# A runner takes files (submit) and hands back finished parts (wait: at least one, blocking).


class _Runner:
    window = 1  # files in flight or finished and waiting for an earlier one

    def room(self, held: int) -> bool:
        """Whether another file may be submitted while `held` are in flight or waiting."""
        return held < self.window


class _Serial(_Runner):
    """In this process (no --file-timeout: nothing to enforce); `records`: parts of records
    (`part_of`), for a reader in this process; `sweep`: see `scan_part`."""

    def __init__(self, classify: bool, timeout: float | None, encode: tuple[str, ...], records: bool = False,
                 sweep: bool = True) -> None:
        from .gcpolicy import long_run, warm_models

        self.classify, self.timeout, self.encode, self.records, self.sweep = classify, timeout, encode, records, sweep
        self.queue: deque[tuple[int, Input]] = deque()
        # the garbage collector's policy for the loop (kpiscan.gcpolicy), until close
        self.policy = contextlib.ExitStack()
        self.policy.enter_context(long_run(load=warm_models if classify else None))

    def submit(self, i: int, inp: Input) -> None:
        self.queue.append((i, inp))

    def wait(self) -> list[tuple[int, dict]]:
        i, inp = self.queue.popleft()
        return [(i, scan_part(str(inp.path), self.classify, self.timeout, encode=self.encode, doc=inp.doc, records=self.records,
                                 sweep=self.sweep))]

    def close(self, ok: bool) -> None:
        self.policy.close()


class _Processes(_Runner):
    """Worker processes forked from this one (`scanproc.ScanPool`): one with --file-timeout and no
    --workers (the budget holds even inside C code: the worker is ended, this process goes on),
    N with --workers N. A worker that dies or runs past a file's budget costs that file only."""

    def __init__(self, workers: int, classify: bool, timeout: float | None, encode: tuple[str, ...]) -> None:
        from .scanproc import ScanPool

        self.classify, self.timeout, self.encode = classify, timeout, encode
        self.window = 1 if workers == 1 else max(4, 2 * workers)
        from . import pipeline  # noqa: F401  (the scan's modules, imported once here: forked workers start with them)

        if classify:  # load the model and jieba once here: forked workers start with them
            from .classify import preload

            with contextlib.suppress(FileNotFoundError):  # no model: each file reports it
                preload(whole_dictionary=workers > 1)  # one worker reads the parts its texts need
        import multiprocessing

        from .gcpolicy import warm_up

        # what this process holds now (modules, models) frozen before the fork: the workers' full
        # collection at their warm-up walks only what they load themselves (no copy-on-write of
        # every inherited object's page), and this process's exit does not walk it either
        warm_up(collect=False)
        self.pool = ScanPool(workers, start="fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")

    def submit(self, i: int, inp: Input) -> None:
        self.pool.submit(i, (str(inp.path), self.classify, self.timeout, None, None, self.encode, inp.doc))

    def wait(self) -> list[tuple[int, dict]]:
        return self.pool.wait()

    def close(self, ok: bool) -> None:
        self.pool.close(ok)


def dask_address(spec: str) -> str:
    """The scheduler address of --dask: "env" reads DASK_SCHEDULER_ADDRESS."""
    if spec == "env":
        address = os.environ.get("DASK_SCHEDULER_ADDRESS", "").strip()
        if not address:
            raise ValueError("DASK_SCHEDULER_ADDRESS is not set (--dask env reads the scheduler address from it)")
        return address
    return spec


@contextlib.contextmanager
def _lean_imports():
    """While a client process imports distributed, two things it does not need left out (measured
    at 16x: ~0.09 of the client's ~1.2 CPU s): dask's configuration files (dask.yaml, distributed.yaml,
    and any user file) parsed by libyaml, PyYAML's C implementation of the same safe loader, where
    PyYAML has it (0.002 instead of 0.022 CPU s for the two packaged files, the same data); and
    numpy (~0.07 s), when this process has not imported it, which distributed imports only to
    allocate receive buffers without zeroing them (without it: a bytearray; the client's messages
    are batches of parts of a few MB). Also left out, each an optional import its importer
    catches (`except ImportError`), for what a command-line client never shows: jinja2 (dask's
    HTML reprs for notebooks, `dask.widgets`: ~0.014 CPU s) and colorama and curses (tornado's
    coloured log formatter, which dask does not use: ~0.003)."""
    from .imports import hidden

    safe_load = None
    try:
        import yaml

        if getattr(yaml, "__with_libyaml__", False):
            safe_load = yaml.safe_load
            yaml.safe_load = lambda stream: yaml.load(stream, Loader=yaml.CSafeLoader)  # type: ignore[assignment]
    except ImportError:  # no PyYAML: distributed's import says so
        pass
    try:
        with hidden("numpy", "jinja2", "colorama", "curses"):
            yield
    finally:
        if safe_load is not None:
            yaml.safe_load = safe_load


def import_distributed(lean: bool = False) -> Any:
    """The distributed package (ImportError without the dask extra). `lean`: for a process that is
    only a client (the CLI's `--dask`), imported without what a client does not use
    (`_lean_imports`; a failure that way is retried the ordinary way), and then what the process
    holds (kpiscan's modules, distributed, tornado, asyncio: it lives until the process ends) put
    out of the garbage collector's sight (gc.freeze), so that neither the collections during the
    run nor the interpreter's exit walk it again (measured at 16x: the client's exit, after its
    atexit handlers, 0.22-0.29 -> 0.05-0.09 CPU s)."""
    if lean and "distributed" not in sys.modules:
        with contextlib.suppress(ImportError), _lean_imports():
            import distributed
    import distributed

    if lean:
        from .gcpolicy import warm_up

        warm_up(collect=False)  # no gc.collect() first: the imports leave no garbage (measured: 0 freed, 0.03 CPU s)
    return distributed


def dask_client(spec: str):
    """(client, close) for "local", "local:N" (a LocalCluster of N worker processes, one thread
    each; N defaults to the CPU count), "env" or a scheduler address."""
    import logging

    from dask.distributed import Client, LocalCluster

    if spec == "local" or spec.startswith("local:"):
        n = int(spec.split(":", 1)[1]) if ":" in spec else (os.cpu_count() or 1)
        if n < 1:
            raise ValueError(f"--dask {spec}: the number of workers must be at least 1")
        preload = ["kpiscan.daskworker"]  # as on a real cluster: helpers warm at worker start, both quietened
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR,
                               preload=preload, scheduler_kwargs={"preload": preload})
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close
    client = Client(dask_address(spec), timeout="20s")
    return client, client.close


def _sees(paths: list[str]) -> list[tuple[str, int]]:
    """Run on each Dask worker: (path, size) of the given absolute paths, -1 when not readable."""
    out = []
    for p in paths:
        try:
            with open(p, "rb") as fh:
                fh.read(1)
            out.append((p, os.path.getsize(p)))
        except OSError:
            out.append((p, -1))
    return out


def check_shared(client, files: list[Path]) -> None:
    """Every worker reads a sample of the input files at their absolute paths, with the same
    size; else one ValueError naming the worker and the file."""
    sample = sorted({str(f.absolute()) for f in files[:1] + files[-1:]})
    local = {p: os.path.getsize(p) for p in sample}
    for worker, seen in client.run(_sees, sample).items():
        for p, size in seen:
            if size != local[p]:
                raise ValueError(
                    f"worker {worker} cannot read {p} (--dask-files shared needs the inputs on a filesystem "
                    "every worker mounts at the same path; use --dask-files send to ship the bytes instead)"
                )


# Files go to Dask in batches, one task each, so that the scheduler's, the worker's and the
# client's cost per task (~10 ms of CPU between them, measured) is paid once per batch, not per
# file: a batch is closed at BATCH_FILES files or at `batch_bytes` of input (a larger file goes
# alone), where `batch_bytes` is the corpus' size spread over BATCH_ROUNDS tasks per worker thread
# (so that a small corpus still keeps every worker busy), within BATCH_BYTES.
BATCH_FILES = 64
BATCH_BYTES = (128 << 10, 4 << 20)
BATCH_ROUNDS = 4


def batch_bytes(files: list[Path], threads: int) -> int:
    """The input bytes at which a batch is closed, for these files on `threads` worker threads."""
    total = 0
    for f in files:
        with contextlib.suppress(OSError):
            total += f.stat().st_size
    low, high = BATCH_BYTES
    return int(min(high, max(low, total / (BATCH_ROUNDS * max(1, threads)))))


class _Dask(_Runner):
    """Files sent in batches (one task each), at most `tasks` tasks in flight, each future released
    once read. Dask reruns the tasks of a lost worker elsewhere; a task that fails anyway
    (KilledWorker after repeated losses) is reported as a problem of each of its files."""

    def __init__(self, client, classify: bool, timeout: float | None, files: str, encode: tuple[str, ...], paths: list[Path]) -> None:
        from dask.distributed import as_completed

        self.client, self.classify, self.timeout, self.files, self.encode = client, classify, timeout, files, encode
        threads = sum(client.nthreads().values())
        self.tasks = max(4, 2 * threads)  # in flight
        self.window = self.tasks * BATCH_FILES  # files in flight or finished and waiting for an earlier one
        self.limit = batch_bytes(paths, threads)
        self.done = as_completed()
        self.index: dict[str, list[tuple[int, Path]]] = {}  # future key -> its files
        self.batch: list[tuple[int, Path, tuple]] = []  # the open batch
        self.size = 0  # its input bytes
        self.local: deque = deque()  # files that failed before submission (unreadable here)

    def room(self, held: int) -> bool:
        return held < self.window and (bool(self.batch) or len(self.index) < self.tasks)

    def submit(self, i: int, inp: Input) -> None:
        path = inp.path
        if self.files == "send":
            try:
                data = load_bytes(path)
            except InputError as err:  # unreadable here: reported as the serial scan would
                self.local.append((i, part_of(ScanResult(problems=[err], files=[str(path)]), self.encode)))
                return
            size = len(data)
            args: tuple = (str(path), self.classify, self.timeout, data, str(path), self.encode, inp.doc)
        else:
            size = 0
            with contextlib.suppress(OSError):
                size = path.stat().st_size
            args = (str(path.absolute()), self.classify, self.timeout, None, str(path), self.encode, inp.doc)
        if self.batch and self.size + size > self.limit:
            self._flush()
        self.batch.append((i, path, args))
        self.size += size
        if len(self.batch) >= BATCH_FILES or self.size >= self.limit:
            self._flush()

    def _flush(self) -> None:
        from .scanproc import run_batch

        fut = self.client.submit(run_batch, [args for _, _, args in self.batch], pure=False)
        self.index[fut.key] = [(i, path) for i, path, _ in self.batch]
        self.done.add(fut)
        self.batch, self.size = [], 0

    def wait(self) -> list[tuple[int, dict]]:
        if self.local:
            return [self.local.popleft()]
        if self.batch:
            self._flush()
        fut = next(self.done)
        files = self.index.pop(fut.key)
        try:
            parts = [pickle.loads(b) for b in fut.result()]
        except Exception as err:
            parts = [problem_part(path, f"the Dask task failed: {type(err).__name__}: {err}") for _, path in files]
        fut.release()
        return [(i, part) for (i, _), part in zip(files, parts)]

    def close(self, ok: bool) -> None:
        self.batch = []
        if not ok:
            futures = list(self.done.futures)
            if futures:
                self.client.cancel(futures)


def _runner(
    dask, workers: int, n: int, classify: bool, timeout: float | None, dask_files: str, files: list[Path], stats: BatchStats, encode,
    records: bool = False, sweep: bool = True,
):
    """(runner, close) for the run asked for (`records`, `sweep`: the serial runner's, `_Serial`)."""
    if dask is not None:
        if dask_files not in DASK_FILES:
            raise ValueError(f"--dask-files must be one of {', '.join(DASK_FILES)}")
        client, close = dask_client(dask) if isinstance(dask, str) else (dask, None)
        try:
            if dask_files == "shared":
                check_shared(client, files)
            stats.mode = "dask"
            return _Dask(client, classify, timeout, dask_files, encode, files), close
        except BaseException:
            if close:
                close()
            raise
    if workers > 1 and n > 1:
        stats.mode = "processes"
        return _Processes(min(workers, n), classify, timeout, encode), None
    if timeout:  # one worker process, so that a file stuck in C code can be ended
        return _Processes(1, classify, timeout, encode), None
    return _Serial(classify, timeout, encode, records, sweep), None


def _cache(cache_dir: str | Path | None, classify: bool, sweep: bool) -> ScanCache | None:
    """iter_parts' cache: none without `cache_dir`; a part scanned without the nothing-lost net
    (sweep=False) is not whole, and is never cached."""
    if cache_dir is None:
        return None
    if not sweep:
        raise ValueError("iter_parts: sweep=False makes parts without their unplaced cells; they may not be cached")
    return ScanCache(cache_dir, classify)


def iter_parts(
    paths: Iterable[str | Path],
    classify: bool = True,
    workers: int = 1,
    cache_dir: str | Path | None = None,
    resume: bool = False,
    dask: Any = None,
    stats: BatchStats | None = None,
    show_progress: bool | None = None,
    file_timeout: float | None = None,
    dask_files: str = "send",
    encode: tuple[str, ...] = (),
    records: bool = False,
    sweep: bool = True,
) -> Iterator[dict]:
    """One part per file under `paths`, in input order, as each is done; see the module notes.

    `cache_dir`: write each file's part there; `resume`: load matching entries instead of
    scanning. `dask`: an address, "env", "local[:N]" or a Client (takes precedence over
    `workers`). `encode`: the streams sent as JSONL, in its UTF-8 bytes (what the outputs and the
    cache write; text only where a lone surrogate cannot be encoded). `records`: the other
    streams of the files scanned in this process as the records themselves (no dicts made to be
    decoded again: for `part_result`; worker, Dask and cached parts are as they come). `sweep=False`:
    the files scanned in this process without the nothing-lost net (no unplaced-cell unparsed
    records: for a reader that keeps none, `kpiscan report`; never with a cache, whose parts
    must be whole). `stats`: a BatchStats to fill in (counts). A progress bar on stderr when more
    than one file and stderr is a terminal (or as told).
    """
    # a combination that may not be (a cache of parts without the net) fails here, at the call,
    # not at the first part asked
    cache = _cache(cache_dir, classify, sweep)
    return _parts(paths, classify, workers, cache, resume, dask, stats, show_progress, file_timeout, dask_files, encode, records,
                  sweep)


def _parts(
    paths: Iterable[str | Path],
    classify: bool,
    workers: int,
    cache: ScanCache | None,
    resume: bool,
    dask: Any,
    stats: BatchStats | None,
    show_progress: bool | None,
    file_timeout: float | None,
    dask_files: str,
    encode: tuple[str, ...],
    records: bool,
    sweep: bool,
) -> Iterator[dict]:
    """iter_parts' generator, its cache made."""
    start = time.perf_counter()
    stats = stats if stats is not None else BatchStats()
    given: list[Input] = inputs(paths)
    files = [i.path for i in given]
    stats.files = sum(1 for i in given if not i.skipped)
    show = len(files) > 1 and _stderr_is_terminal() if show_progress is None else show_progress
    keys: dict[int, dict | None] = {}
    ready: dict[int, dict] = {}  # finished parts waiting for an earlier file
    runner, close, inflight, nxt = None, None, 0, 0
    ok = False
    with _Tracker(stats.files, stats, show) as tracker:
        try:
            for i, f in enumerate(files):
                key = cache.key(f, given[i].doc) if cache and not given[i].skipped else None
                hit = cache.load(f, key) if cache and resume else None
                if given[i].skipped:  # listed in problems with why; nothing to scan
                    ready[i] = part_of(skipped_result(given[i]), encode)
                elif hit is not None:
                    ready[i] = hit
                    tracker.done(cached=True)
                else:
                    if runner is None:  # started on the first file to scan: none when all are cached
                        runner, close = _runner(dask, workers, len(files), classify, file_timeout, dask_files, files, stats, tuple(encode),
                                                records, sweep)
                    keys[i] = key
                    runner.submit(i, given[i])
                    inflight += 1
                while True:
                    while nxt in ready:
                        part = ready.pop(nxt)
                        stats.count(part)
                        yield part
                        nxt += 1
                    if inflight == 0 or runner is None or runner.room(inflight + len(ready)) and i + 1 < len(files):
                        break
                    for j, part in runner.wait():
                        inflight -= 1
                        if cache:
                            cache.store(files[j], keys.pop(j), part)
                        ready[j] = part
                        tracker.done(cached=False)
            ok = True
        finally:
            if runner is not None:
                runner.close(ok)
            if close is not None:
                close()
            stats.seconds = time.perf_counter() - start


def run_scan(paths: Iterable[str | Path], classify: bool = True, **options: Any) -> ScanResult:
    """Every file under `paths` scanned into one ScanResult in memory, in input order (tables
    without their body rows); options as `iter_parts`."""
    result = ScanResult()
    for part in iter_parts(paths, classify=classify, **{"records": True, **options}):
        result.extend(part_result(part))
    return result


# ----------------------------------------------------------------------------------- outputs


class OutputLocked(Exception):
    """Another scan is writing the same output directory."""


@contextlib.contextmanager
def output_lock(out: Path):
    """Hold an exclusive lock on OUT/.kpiscan.lock for the run (released when the process ends,
    however it ends); OutputLocked when another process holds it."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fh = open(path, "a+")
    try:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not a Unix: no lock
            pass
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise OutputLocked(
                f"{out} is being written by another kpiscan scan (pid {holder}); wait for it to end or use another --out"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


def scan_to_outputs(
    paths: Iterable[str | Path],
    out: str | Path | None,
    fmt: str = "jsonl",
    resume: bool = False,
    stats: BatchStats | None = None,
    **options: Any,
) -> dict[str, Path]:
    """Scan and write indicators.<fmt>, tables.jsonl and unparsed.jsonl in `out` as the files
    finish (the resume cache in OUT/.kpiscan-cache), holding the lock on `out` for the run; or,
    with `out=None`, the indicator records as JSONL on stdout. Returns what was written."""
    from .write import OutputWriter, write_encoded

    stats = stats if stats is not None else BatchStats()
    if out is None:
        for part in iter_parts(paths, stats=stats, encode=("indicators",), **options):
            write_encoded(sys.stdout, stream_jsonl(part, "indicators"))  # (a part made here, a lost worker's file, holds dicts)
        return {}
    out = Path(out)
    # the workers encode what is written as JSONL; CSV and Parquet need the records as dicts
    encode = STREAMS if fmt == "jsonl" else ("tables", "unparsed")
    with output_lock(out), OutputWriter(out, fmt) as writer:
        for part in iter_parts(paths, cache_dir=out / CACHE_DIRNAME, resume=resume, stats=stats, encode=encode, **options):
            writer.add({**part, **{k: stream_jsonl(part, k) if k in encode else stream_records(part, k) for k in STREAMS}})
    return writer.written
