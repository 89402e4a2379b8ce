"""Files scanned in child processes under a CPU budget (`--file-timeout`), so that a file stuck
anywhere -- Python code, or a C call that never returns to the interpreter (pdfium on a hostile
page, a decoder, a parser) -- costs its budget and no more, and the batch goes on.

Two limits per file, both in CPU seconds of the process that scans it:
  * soft: ITIMER_PROF at the budget raises FileTimeout wherever Python next runs
    (`batch.time_limit`); the worker reports the file and takes the next one;
  * hard: RLIMIT_CPU at the budget plus a grace: the kernel ends the worker with SIGXCPU even
    inside a C call that never returns; the parent reports the file "timed out" and starts a new
    worker for the rest. Where `resource` is missing (Windows) the parent kills a worker after the
    budget plus the grace in wall seconds.

    pool = ScanPool(workers, start="fork")   # fork: workers inherit the parent's loaded model
    pool.submit(key, args)                   # args: batch.scan_part's (path, classify, timeout, ...)
    pool.wait() -> [(key, part), ...]        # at least one
    pool.close(ok)

`start="spawn"`: each worker is a fresh `python -m kpiscan.scanproc` (a Dask worker's helper: no
fork of a threaded process, no multiprocessing daemon rules). `run_batch` is kpiscan's Dask task:
`run_task` for each of its files, the scan in one of this process's helpers (started by
`kpiscan.daskworker` at worker start).
"""

from __future__ import annotations

import contextlib
import math
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection, wait
from typing import Any

from . import gcpolicy

DIED = "the worker process scanning it died (killed or out of memory)"


def grace(budget: float) -> float:
    """Seconds between the soft and the hard limit: time for Python to unwind after the soft one."""
    return 1.0 + 0.05 * budget


def timeout_message(budget: float) -> str:
    return f"timed out after {budget:g} s (--file-timeout, CPU seconds): skipped, no records written for it"


@contextlib.contextmanager
def cpu_ceiling(seconds: float | None):
    """The kernel ends this process (SIGXCPU) once it has used `seconds` more CPU seconds
    (RLIMIT_CPU, whole seconds, rounded up); the previous limit is restored after."""
    try:
        import resource
    except ImportError:
        resource = None  # type: ignore[assignment]
    if not seconds or resource is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    use = resource.getrusage(resource.RUSAGE_SELF)
    limit = math.ceil(use.ru_utime + use.ru_stime + seconds)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _hard_limits() -> bool:
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return hasattr(signal, "SIGXCPU")


def serve(conn: Connection, load: bool, die_with_parent: bool) -> None:
    """A worker's loop: scan each task received, send its part back; ends on EOF or None."""
    from .batch import _worker_init

    _worker_init(die_with_parent)
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))  # no core file on SIGXCPU
    if load:
        warm()
    # What the process holds now (the model, jieba's dictionary, the lexicons, compiled patterns:
    # loaded here or inherited from the parent) lives as long as it does: frozen out of the garbage
    # collector's sight, and the loop run with kpiscan.gcpolicy's thresholds (measured: a helper's
    # collections over 32 files of the 16x corpus 0.12-0.27 -> 0.03-0.11 CPU s with the freeze).
    # A forked worker freezes what it inherited without collecting it first: that collection
    # would walk and free the parent's objects, not all of which survive a fork (gcpolicy).
    with gcpolicy.long_run(collect=load):
        _serve_loop(conn)


def _serve_loop(conn: Connection) -> None:
    from .batch import scan_part

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        budget = task[2]
        with cpu_ceiling(budget + grace(budget) if budget else None):
            part = scan_part(*task)
        conn.send(part)


# One small real table (湖北, 武汉市青山区教育局, 项目支出绩效目标表 2020; the rows of
# tests/fixtures/layouts/real_hubei_qingshan_side_by_side/input.txt, whose SOURCE cites the page), one
# tuple of cells a line: what `warm` scans once in a fresh helper.
WARM_ROWS: tuple[tuple[str, ...], ...] = (
    ('项目支出绩效目标表',),
    ('2020年度)',),
    ('项目名称', '教育系统基础设施建设和设备购置'),
    ('主管部门及编码', '[015001]武汉市青山区教育局', '实施单位', '武汉市青山区教育局'),
    ('项目属性', '基础建设、修缮类', '项目起止时间', '202001-202012'),
    ('项目资金', '资金总额', '10000万元', '当年资金总额:', '10000万元'),
    ('', '其中:财政拨款', '10000万元', '其中:当年财政拨款', '10000万元'),
    ('', '其他资金', ' ', '当年其他资金', ' '),
    ('总体目标', '中期目标', '年度目标'),
    ('', '优化教育布局,推进教育领域综合改革全面提升育人质量实现基础教育持续发展', '按工作计划完成教育局重点项目建设经费预算安排'),
    ('绩效项目指标表',),
    ('一级指标', '二级指标(长期)', '三级指标(长期)', '指标值(长期)', '二级指标(年度)', '三级指标(年度)', '指标值(年度)'),
    ('产出指标', '数量指标', ' ', ' ', '数量指标', '重点建设工程安排数量', '2'),
    ('产出指标', '质量指标', ' ', ' ', '质量指标', '重点建设工程验收合格率', '100%'),
    ('产出指标', '成本指标', ' ', ' ', '成本指标', '建设项目成本', '参照政府采购成本控制'),
    ('产出指标', '时效指标', ' ', ' ', '时效指标', '重点建设工程按期完成率', '100%'),
    ('效益指标', '可持续影响指标', ' ', ' ', '可持续影响指标', '基础教育巩固提高情况', '巩固提高'),
    ('效益指标', '社会效益指标', ' ', ' ', '社会效益指标', '基础教育学校办学条件', '持续改善'),
    ('满意度指标', '服务对象满意度指标', ' ', ' ', '服务对象满意度指标', '学生、家长、社会满意度', '≥90%'),
    ('附件:',),
)
# Value strings the table above has no form of, whose patterns compile on first use (a change
# before the number, a template's blank digits): rows 656 and 695 of tests/specs/values.tsv.
WARM_VALUES = ("较上年增长5%", "≥**人次")


def warm() -> None:
    """Pay a fresh process's one-time costs now, not in its first files: the models and all of
    jieba's dictionary (`gcpolicy.warm_models`), the value patterns
    (WARM_VALUES), then one scan of WARM_ROWS for what the first scan of a process pays whatever
    the file (the value grammar's compilation, lazy imports, the lexicons and templates, the JSONL
    encoders), the way a Dask task scans a file. Measured:
    the first file of a helper cost ~0.35 CPU s more than later ones after the preload alone."""
    from .batch import STREAMS, scan_part
    from .values import parse_value

    # a helper lives for many files (a Dask worker's, for the whole cluster's life): it reads all
    # of jieba's dictionary now, not the parts each new text needs during the runs
    gcpolicy.warm_models(whole_dictionary=True)
    for value in WARM_VALUES:
        parse_value(value)
    # as a Dask task scans a file (`batch._Dask`): its bytes, from a private copy, and the streams
    # encoded as UTF-8 JSONL (which imports the writers and runs their encoders once)
    sample = ("\n".join("\t".join(row) for row in WARM_ROWS) + "\n").encode()
    scan_part("warm.txt", True, None, sample, "warm.txt", STREAMS)


class _Worker:
    """One worker process and the parent's end of its connection."""

    def __init__(self, start: str, die_with_parent: bool) -> None:
        self.start = start
        if start == "fork":
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
            self.conn, theirs = ctx.Pipe()
            self.proc: Any = ctx.Process(target=serve, args=(theirs, False, die_with_parent), daemon=True)
            self.proc.start()
            theirs.close()
        else:
            ours, theirs_s = socket.socketpair()
            fd = theirs_s.fileno()
            cmd = [sys.executable, "-m", "kpiscan.scanproc", str(fd), "1" if die_with_parent else "0"]
            self.proc = subprocess.Popen(cmd, pass_fds=(fd,), stdin=subprocess.DEVNULL, close_fds=True)
            theirs_s.close()
            self.conn = Connection(ours.detach())
        self.overdue = False

    def exit_code(self) -> int | None:
        """The exit code once ended (negative: the signal that ended it)."""
        if self.start == "fork":
            self.proc.join(10)
            return self.proc.exitcode
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError, AttributeError):
            self.proc.kill()
        self.conn.close()
        self.exit_code()

    def stop(self) -> None:
        """Ask an idle worker to end (it exits on None or EOF)."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.conn.close()
        if self.exit_code() is None:
            self.kill()


class ScanPool:
    """`workers` processes, one file each at a time; a worker that runs past a file's budget or
    dies costs that file only (reported as a problem of it) and is replaced."""

    def __init__(self, workers: int, start: str = "fork", die_with_parent: bool = True, raw: bool = False) -> None:
        """`raw`: parts are handed back as the pickled bytes the worker sent (passed on unread)."""
        self.size, self.start, self.die_with_parent, self.raw = workers, start, die_with_parent, raw
        self.idle: list[_Worker] = []
        self.busy: dict[Connection, tuple[_Worker, Any, tuple, float]] = {}
        self.queue: deque[tuple[Any, tuple]] = deque()
        self.hard = _hard_limits()

    def warm(self) -> None:
        """Start every worker now (a spawned worker imports kpiscan and loads the model at once)."""
        while len(self.idle) + len(self.busy) < self.size:
            self.idle.append(_Worker(self.start, self.die_with_parent))

    def submit(self, key: Any, args: tuple) -> None:
        self.queue.append((key, args))
        self._dispatch()

    def _dispatch(self) -> None:
        while self.queue and (self.idle or len(self.busy) < self.size):
            w = self.idle.pop() if self.idle else _Worker(self.start, self.die_with_parent)
            key, args = self.queue.popleft()
            try:
                w.conn.send(args)
            except OSError:  # died while idle: its EOF is read below, as a death during the file
                pass
            self.busy[w.conn] = (w, key, args, time.monotonic())

    def _lost(self, w: _Worker, args: tuple) -> dict:
        from .batch import problem_part

        w.conn.close()
        code = w.exit_code()
        budget = args[2]
        timed_out = w.overdue or (budget and hasattr(signal, "SIGXCPU") and code == -signal.SIGXCPU)
        return problem_part(args[4] if args[4] is not None else args[0], timeout_message(budget) if timed_out else DIED)

    def _deadline(self) -> float | None:
        """Seconds to the next wall-clock deadline (only without kernel CPU limits)."""
        if self.hard:
            return None
        ends = [t + a[2] + grace(a[2]) for _, _, a, t in self.busy.values() if a[2]]
        return max(0.0, min(ends) - time.monotonic()) if ends else None

    def wait(self) -> list[tuple[Any, Any]]:
        out: list[tuple[Any, Any]] = []
        while not out:
            if not self.busy:
                raise RuntimeError("ScanPool.wait with nothing submitted")
            for ready in wait(list(self.busy), self._deadline()):
                w, key, args, _ = self.busy.pop(ready)  # type: ignore[call-overload]
                try:
                    data = w.conn.recv_bytes()
                    part = data if self.raw else pickle.loads(data)
                except (EOFError, OSError):
                    part = self._lost(w, args)
                    part = pickle.dumps(part) if self.raw else part
                else:
                    self.idle.append(w)
                out.append((key, part))
            if not self.hard:
                now = time.monotonic()
                for w, _, args, t in list(self.busy.values()):
                    if args[2] and now > t + args[2] + grace(args[2]):
                        w.overdue = True
                        w.proc.kill()  # its EOF comes next round
            self._dispatch()
        return out

    def close(self, ok: bool = True) -> None:
        self.queue.clear()
        for w, *_ in self.busy.values():
            w.kill()
        self.busy.clear()
        for w in self.idle:
            w.stop() if ok else w.kill()
        self.idle.clear()


# --------------------------------------------------------------------------- Dask worker side

_helpers: "queue.SimpleQueue[ScanPool]" = queue.SimpleQueue()


def warm_helpers(n: int) -> None:
    """Start `n` helper processes now (each imports kpiscan and loads the model once), from the
    thread that lives as long as the worker (they die with it)."""
    main = threading.current_thread() is threading.main_thread()
    for _ in range(n):
        pool = ScanPool(1, start="spawn", die_with_parent=main, raw=True)
        pool.warm()
        _helpers.put(pool)


def run_task(args: tuple) -> bytes:
    """`batch.scan_part(*args)` in one of this process's helpers (started on first use when no
    preload started them), as the pickled bytes the helper sent (this process does not unpickle
    and pickle them again); the helper is replaced when it ran past the budget or died."""
    try:
        pool = _helpers.get_nowait()
    except queue.Empty:
        pool = ScanPool(1, start="spawn", die_with_parent=False, raw=True)
    try:
        pool.submit(0, args)
        ((_, part),) = pool.wait()
    except BaseException:
        pool.close(ok=False)
        raise
    _helpers.put(pool)
    return part


def run_batch(batch: list[tuple]) -> list[bytes]:
    """A Dask task (`batch._Dask`): `run_task` for each file of the batch, one after the other.
    It lives here, not in kpiscan.batch, so that a Dask worker imports only this light module
    (the scan's modules are imported by its helpers)."""
    return [run_task(args) for args in batch]


if __name__ == "__main__":  # a spawned worker: python -m kpiscan.scanproc FD DIE_WITH_PARENT
    serve(Connection(int(sys.argv[1])), load=True, die_with_parent=sys.argv[2] == "1")
