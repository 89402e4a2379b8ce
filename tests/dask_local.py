"""A real Dask cluster on localhost, started as a user starts one (docs/batch.md): `dask scheduler
--preload kpiscan.daskworker` and two `dask worker --nthreads 1 --no-nanny --preload
kpiscan.daskworker`, each in its own process group,
in their own working directory. Used by tests/test_dask_cluster.py and bench/bench_scan.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _dask(args: list[str], cwd: Path, pythonpath: list[Path], log: Path | None, prefix: tuple[str, ...] = ()) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    stderr = log.open("wb") if log else subprocess.DEVNULL
    return subprocess.Popen([*prefix, sys.executable, "-m", "dask", *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=stderr, start_new_session=True)


def start_cluster(tmp: Path, procs: list[subprocess.Popen], pythonpath: list[Path] | None = None,
                  logs: bool = False, names: tuple[str, ...] = ("a", "b"), prefix: tuple[str, ...] = (),
                  slow: float = 1) -> tuple[str, dict[str, subprocess.Popen]]:
    """(scheduler address, {name: worker process}) once every worker has joined. The processes
    are appended to `procs` as they start (the scheduler first), so `stop_cluster(procs)` in a
    `finally` stops what started even when the start fails. `prefix`: a command each process runs
    under (bench/bench_instructions.py: valgrind), `slow` times the waits for it to start."""
    pythonpath = pythonpath or [ROOT / "src"]
    cwd = tmp / "w"
    cwd.mkdir(parents=True, exist_ok=True)
    info = tmp / "scheduler.json"
    info.unlink(missing_ok=True)
    log = (lambda name: tmp / f"{name}.log") if logs else (lambda name: None)
    procs.append(_dask(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(info),
                        "--preload", "kpiscan.daskworker"],
                       cwd, pythonpath, log("s"), prefix))
    deadline = time.time() + 90 * slow
    while not info.exists() and time.time() < deadline:
        time.sleep(0.2)
    if not info.exists():
        raise RuntimeError(f"the dask scheduler did not start: {(tmp / 's.log').read_text() if logs else ''}")
    time.sleep(0.3)
    address = json.loads(info.read_text())["address"]
    workers = {}
    for name in names:
        workers[name] = _dask(["worker", "--scheduler-file", str(info), "--nthreads", "1", "--no-nanny", "--no-dashboard",
                               "--name", name, "--death-timeout", str(int(60 * slow)), "--preload", "kpiscan.daskworker"],
                              cwd, pythonpath, log(name), prefix)
        procs.append(workers[name])
    from distributed import Client

    with Client(address, timeout=f"{int(60 * slow)}s") as client:
        client.wait_for_workers(len(names), timeout=120 * slow)
    return address, workers


def stop_cluster(procs: list[subprocess.Popen], timeout: float = 30) -> None:
    """SIGTERM to each process group (workers first), SIGKILL to any that outlives `timeout`."""
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
