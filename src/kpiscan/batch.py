"""Running the scan over many files: a progress bar, worker processes or a Dask cluster, and a
per-file result cache so that an interrupted run resumes where it stopped.

    run_scan(paths, classify=True, workers=1, cache_dir=None, resume=False, dask=None, stats=None)

Results always come back in input order (`pipeline.inputs` order), whichever way the files were run.

Cache: with `cache_dir`, the result of every file scanned is written there as JSON
(`kpiscan.serialize`) as soon as it is done, so Ctrl-C keeps the finished files. With
`resume=True` a file whose entry matches is loaded instead of scanned. An entry matches when the
file's resolved path, size and content hash (sha1), the kpiscan version, a fingerprint of the
kpiscan code and lexicons (their content), and the `classify` flag are all the same. Files that
failed (no tables, only problems) are not cached: they are cheap to retry and the cause may be gone.

Failures: `scan_file` reports bad input as `InputError`s in `problems`. An unexpected exception
inside the scan of one file (a bug) is also reported as a problem of that file,
"internal error: <Type>: <message> (at file:line in function)", so one file cannot stop a batch.

Dask (`dask="tcp://host:8786"`, `"local"`, `"local:N"` or a `distributed.Client`): one task per file
(`client.map`), gathered with `as_completed`. dask is imported only here, only when asked for.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError
from .pipeline import Input, ScanResult, inputs, scan_file, skipped_result
from .serialize import FORMAT, result_from_dict, result_to_dict

CACHE_DIRNAME = ".kpiscan-cache"


@dataclass
class BatchStats:
    """What a `run_scan` did: filled in when passed as `stats=`."""

    files: int = 0
    cached: int = 0  # loaded from the cache
    scanned: int = 0  # scanned in this run
    seconds: float = 0.0
    mode: str = "serial"  # serial / processes / dask


# ----------------------------------------------------------------------------------------- cache


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha1 over the content of the kpiscan package files and the lexicons (first 16 hex digits)."""
    from . import __version__
    from .lexicon import lexicon_dir

    h = hashlib.sha1(__version__.encode())
    for root in (Path(__file__).resolve().parent, lexicon_dir()):
        if not root.is_dir():
            continue
        for f in sorted(root.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo"):
                h.update(str(f.relative_to(root)).encode() + b"\0")
                h.update(hashlib.sha1(f.read_bytes()).digest())
    return h.hexdigest()[:16]


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
        """The key the file has now (and the `doc` name it is scanned under); None when it cannot
        be read (the scan will report that)."""
        try:
            size = path.stat().st_size
            digest = _file_sha1(path)
        except OSError:
            return None
        return {
            "path": str(path.resolve()),
            "doc": doc,
            "size": size,
            "sha1": digest,
            "version": self.version,
            "code": self.code,
            "classify": self.classify,
            "format": FORMAT,
        }

    def load(self, path: Path, key: dict[str, Any] | None) -> ScanResult | None:
        if key is None:
            return None
        try:
            entry = json.loads(self._entry(path).read_text(encoding="utf-8"))
            if entry.get("key") != key:
                return None
            result = result_from_dict(entry["result"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, stale, or unreadable: scan again
        given, now = entry.get("given"), str(path)
        if given != now:  # the same file named another way (relative/absolute): report it as named now
            result.files = [now if f == given else f for f in result.files]
            for p in result.problems:
                if p.path == given:
                    p.path = now
        return result

    def store(self, path: Path, key: dict[str, Any] | None, data: dict[str, Any]) -> bool:
        """Write the entry atomically; False when not cached (failed file, unreadable key)."""
        if key is None or not data["tables"]:
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self._entry(path)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"key": key, "given": str(path), "result": data}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
        return True


# ------------------------------------------------------------------------------------ one file


def _where(err: BaseException) -> str:
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return ""
    f = frames[-1]
    return f" (at {Path(f.filename).name}:{f.lineno} in {f.name})"


def scan_one(path: str | Path, classify: bool = True, doc: str | None = None) -> ScanResult:
    """`scan_file`, with an unexpected exception turned into a problem of this file."""
    try:
        return scan_file(path, classify=classify, doc=doc)
    except Exception as err:  # a bug in a stage: report it for this file, go on with the others
        message = f"internal error: {type(err).__name__}: {err}{_where(err)}"
        return ScanResult(problems=[InputError(str(path), message)], files=[str(path)])


def scan_one_dict(path: str | Path, classify: bool = True, doc: str | None = None) -> dict[str, Any]:
    """`scan_one` as plain data: what worker processes and Dask tasks return (InputError does not
    pickle, and a dict is what the cache stores anyway)."""
    return result_to_dict(scan_one(path, classify=classify, doc=doc))


def _ignore_sigint() -> None:  # worker processes: Ctrl-C is the parent's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ------------------------------------------------------------------------------------ progress


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


def _run_serial(todo, classify, finish):
    for i, f, doc in todo:
        finish(i, scan_one(f, classify=classify, doc=doc))


def _run_processes(todo, classify, finish, workers):
    if classify:  # load the model and jieba once here: forked workers start with them
        from .classify import preload

        with contextlib.suppress(FileNotFoundError):  # no model: each file reports it
            preload()
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    try:
        pending = {pool.submit(scan_one_dict, f, classify, doc): i for i, f, doc in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                finish(pending.pop(fut), fut.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def dask_client(spec):
    """(client, close) for "local", "local:N" (a LocalCluster of N worker processes, one thread
    each; N defaults to the CPU count) or a scheduler address."""
    import logging

    from dask.distributed import Client, LocalCluster

    if spec == "local" or spec.startswith("local:"):
        n = int(spec.split(":", 1)[1]) if ":" in spec else (os.cpu_count() or 1)
        if n < 1:
            raise ValueError(f"--dask {spec}: the number of workers must be at least 1")
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close
    client = Client(spec)
    return client, client.close


def _run_dask(todo, classify, finish, dask):
    from dask.distributed import as_completed

    if isinstance(dask, str):
        client, close = dask_client(dask)
    else:
        client, close = dask, None
    try:
        futures = client.map(
            scan_one_dict, [f for _, f, _ in todo], [classify] * len(todo), [doc for _, _, doc in todo], pure=False
        )
        index = {fut.key: i for fut, (i, _, _) in zip(futures, todo)}
        try:
            for fut in as_completed(futures):
                finish(index[fut.key], fut.result())
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if close:
            close()


def run_scan(
    paths: Iterable[str | Path],
    classify: bool = True,
    workers: int = 1,
    cache_dir: str | Path | None = None,
    resume: bool = False,
    dask: Any = None,
    stats: BatchStats | None = None,
    show_progress: bool | None = None,
) -> ScanResult:
    """Scan every file under `paths`, results in input order; see the module notes.

    `cache_dir`: write each file's result there; `resume`: load matching entries instead of
    scanning. `dask`: an address, "local[:N]" or a Client (takes precedence over `workers`).
    `stats`: a BatchStats to fill in. A progress bar on stderr when more than one file (or as told).
    """
    start = time.perf_counter()
    stats = stats if stats is not None else BatchStats()
    given: list[Input] = inputs(paths)
    files = [i.path for i in given]
    stats.files = len(files)
    cache = ScanCache(cache_dir, classify) if cache_dir is not None else None
    keys: list[dict[str, Any] | None] = [
        cache.key(i.path, i.doc) if cache and not i.skipped else None for i in given
    ]
    parts: list[ScanResult | None] = [None] * len(files)
    show = len(files) > 1 if show_progress is None else show_progress

    with _Tracker(sum(1 for i in given if not i.skipped), stats, show) as tracker:
        todo = []
        for i, f in enumerate(files):
            if given[i].skipped:  # listed in problems with why; nothing to scan
                parts[i] = skipped_result(given[i])
                continue
            hit = cache.load(f, keys[i]) if cache and resume else None
            if hit is not None:
                parts[i] = hit
                tracker.done(cached=True)
            else:
                todo.append((i, f, given[i].doc))

        def finish(i: int, part: ScanResult | dict) -> None:
            # serial runs hand over the ScanResult, workers and Dask tasks its dict
            if cache:
                data = part if isinstance(part, dict) else result_to_dict(part)
                cache.store(files[i], keys[i], data)
            parts[i] = result_from_dict(part) if isinstance(part, dict) else part
            tracker.done(cached=False)

        if todo and dask is not None:
            stats.mode = "dask"
            _run_dask(todo, classify, finish, dask)
        elif workers > 1 and len(todo) > 1:
            stats.mode = "processes"
            _run_processes(todo, classify, finish, min(workers, len(todo)))
        else:
            _run_serial(todo, classify, finish)

    result = ScanResult()
    for part in parts:
        assert part is not None  # every file was either loaded or scanned
        result.extend(part)
    stats.seconds = time.perf_counter() - start
    return result
