"""Dask worker preload: `dask worker tcp://HOST:8786 --nthreads 1 --preload kpiscan.daskworker`.

At worker start it starts one scan helper process per worker thread (`scanproc.warm_helpers`):
each imports kpiscan and loads jieba and the model once, there and then, so that the first files
of a run cost what the others do. kpiscan's Dask tasks (`batch.dask_task`) scan in these helpers;
a helper that runs past a file's --file-timeout budget (even inside C code) is ended by the kernel
and replaced, and the Dask worker itself goes on. Without the preload the helpers start on the
first task (the first run on a fresh cluster pays the imports and the model in its first files).
It also stops the worker's statistical profiler (`quiet_profiler`).
"""

from __future__ import annotations

from typing import Any


def dask_setup(worker: Any) -> None:
    from .scanproc import warm_helpers

    state = getattr(worker, "state", worker)
    warm_helpers(max(1, int(getattr(state, "nthreads", 1) or 1)))
    quiet_profiler(worker)


def quiet_profiler(worker: Any) -> None:
    """Stop the worker's statistical profiler (a stack sample of the task threads every 10 ms,
    for the dashboard): kpiscan's tasks run in the helpers, so it would only ever see a thread
    waiting on a pipe, and its wake-ups are CPU the scan does not get."""
    for name in ("profile", "profile-cycle"):
        callback = getattr(worker, "periodic_callbacks", {}).pop(name, None)
        if callback is not None:
            callback.stop()
