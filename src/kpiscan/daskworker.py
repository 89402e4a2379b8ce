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
0.076 -> 0.015 CPU s per wall second).
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
)


def dask_setup(server: Any) -> None:
    """Called by distributed with the Worker or Scheduler the preload was given to."""
    from distributed import Worker

    quiet(server)
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
