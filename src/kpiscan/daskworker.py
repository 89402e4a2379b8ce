"""Dask preload for the workers and the scheduler of a kpiscan cluster:

    dask scheduler --port 8786 --preload kpiscan.daskworker
    dask worker tcp://HOST:8786 --nthreads 1 --preload kpiscan.daskworker

On a worker it starts one scan helper process per worker thread (`scanproc.warm_helpers`): each
imports kpiscan and loads jieba and the model once, there and then, so that the first files of a
run cost what the others do. kpiscan's Dask tasks (`scanproc.run_batch`) scan in these helpers; a
helper that runs past a file's --file-timeout budget (even inside C code) is ended by the kernel
and replaced, and the Dask worker itself goes on. Without the preload the helpers start on the
first task (the first run on a fresh cluster pays the imports and the model in its first files).

On both it makes the process's own periodic work rarer (`quiet`, the table `QUIET`): a kpiscan
worker only waits on its helpers' pipes, so what distributed samples and checks several times a
second (its event loop, its process memory, its stack for the profiler) is CPU the scan does not
get, on every worker, all the time the cluster is up (measured: an idle scheduler and two workers
0.076 -> 0.015 CPU s per wall second). On the scheduler it also spaces the workers' heartbeats
(`slower_heartbeats`: every HEARTBEAT_S seconds, not every 0.5 s).
"""

from __future__ import annotations

from typing import Any

# (periodic callback of a distributed Server, milliseconds between calls; None: stopped), each
# with what it does and why kpiscan can do with less; names as distributed 2024-2026 has them,
# a name a version does not have is skipped.
QUIET: tuple[tuple[str, float | None], ...] = (
    # the event loop's health check (default 20 ms): warns when the loop was blocked for over
    # `distributed.admin.tick.limit` (3 s); once a second still catches that
    ("tick", 1000),
    # the tick's mean interval over a cycle (default 1 s; for the dashboard and the heartbeats'
    # metrics): with a tick a second, a cycle of one tick; over 5 s, the same mean
    ("ticks", 5000),
    # the system monitor (default 500 ms: psutil CPU, memory, network, disk of the process) for
    # the dashboard and the heartbeats' metrics
    ("monitor", 5000),
    # a worker's memory limit check (default 100 ms: psutil RSS of the worker process); the scan's
    # memory is in the helpers, which the limit does not count; the worker's own stays small
    ("memory_monitor", 1000),
    # a worker's statistical profiler (a stack sample of the task threads every 10 ms): the
    # tasks run in the helpers, so it would only ever see a thread waiting on a pipe
    ("profile", None),
    ("profile-cycle", None),
    # the scheduler's two checks of 250 ms (8 of its ~12 wake-ups a second when idle): when it
    # went idle (`idle_since`, and `distributed.scheduler.idle-timeout`, unset: nothing closes)
    # and tasks left waiting without workers (`no-workers-timeout`, unset: the check returns at
    # once); a timeout, where one is set, is seen within a second instead of a quarter
    ("idle-timeout", 1000),
    ("no-workers-timeout", 1000),
)

# Seconds between a worker's heartbeats to the scheduler, at least (`distributed.scheduler.
# heartbeat_interval` gives 0.5 s up to 10 workers, 1 s up to 50, 2 s up to 200): the scheduler
# answers each heartbeat with the interval of the next one, so its preload sets it for every
# worker. A heartbeat carries the worker's metrics (memory, the tasks it runs, its transfer
# bandwidth) for the dashboard and the scheduler's estimates; a kpiscan task is a batch of files
# that lasts seconds, so a 2 s old view of a worker costs nothing. Measured: a heartbeat cost the
# worker ~2-3 ms of CPU (its metrics serialised and sized, the RPC) and the scheduler ~1 ms, with two
# workers ~4 a second. A lost worker is seen when its connection closes, not by missed heartbeats
# (those only end one after `distributed.scheduler.worker-ttl`, 5 minutes, or 10 heartbeats).
HEARTBEAT_S = 2.0


def dask_setup(server: Any) -> None:
    """Called by distributed with the Worker or Scheduler the preload was given to."""
    from distributed import Scheduler, Worker

    quiet(server)
    if isinstance(server, Scheduler):
        slower_heartbeats()
    if isinstance(server, Worker):
        from .scanproc import warm_helpers

        warm_helpers(max(1, int(getattr(server.state, "nthreads", 1) or 1)))


def quiet(server: Any) -> dict[str, float | None]:
    """Apply QUIET to the server's periodic callbacks; what was changed, as applied."""
    callbacks = getattr(server, "periodic_callbacks", {})
    done: dict[str, float | None] = {}
    for name, ms in QUIET:
        callback = callbacks.get(name)
        if callback is None:
            continue
        if ms is None:
            callbacks.pop(name).stop()
        else:
            callback.callback_time = max(callback.callback_time, ms)
        done[name] = ms
    return done


def slower_heartbeats(seconds: float = HEARTBEAT_S) -> float:
    """In a scheduler's process: the heartbeat interval the scheduler gives its workers at least
    `seconds` (HEARTBEAT_S); the interval it gives two workers now."""
    import distributed.scheduler as scheduler

    given = getattr(scheduler.heartbeat_interval, "given", scheduler.heartbeat_interval)

    def interval(n: int) -> float:
        return max(seconds, given(n))

    interval.given = given  # type: ignore[attr-defined]  # the function it wraps (applied once)
    scheduler.heartbeat_interval = interval
    return interval(2)
