"""Dask worker preload: `dask worker tcp://HOST:8786 --nthreads 1 --preload kpiscan.daskworker`.

At worker start it starts one scan helper process per worker thread (`scanproc.warm_helpers`):
each imports kpiscan and loads jieba and the model once, there and then, so that the first files
of a run cost what the others do. kpiscan's Dask tasks (`batch.dask_task`) scan in these helpers;
a helper that runs past a file's --file-timeout budget (even inside C code) is ended by the kernel
and replaced, and the Dask worker itself goes on. Without the preload the helpers start on the
first task (the first run on a fresh cluster pays the imports and the model in its first files).
"""

from __future__ import annotations

from typing import Any


def dask_setup(worker: Any) -> None:
    from .scanproc import warm_helpers

    state = getattr(worker, "state", worker)
    warm_helpers(max(1, int(getattr(state, "nthreads", 1) or 1)))
