"""Running the scan over many files: a progress bar on stderr, and worker processes."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable

from .pipeline import ScanResult, iter_files, scan_file


def _progress():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def run_scan(paths: Iterable[str | Path], classify: bool = True, workers: int = 1) -> ScanResult:
    """Scan every file under `paths`, in order; a progress bar when there is more than one file."""
    files = list(iter_files(paths))
    result = ScanResult()
    show = len(files) > 1
    progress = _progress() if show else None
    task = progress.add_task("scanning", total=len(files)) if progress else None
    if progress:
        progress.start()
    try:
        if workers > 1 and len(files) > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for part in pool.map(scan_file, files, [classify] * len(files)):
                    result.extend(part)
                    if progress:
                        progress.advance(task)
        else:
            for f in files:
                result.extend(scan_file(f, classify=classify))
                if progress:
                    progress.advance(task)
    finally:
        if progress:
            progress.stop()
    return result
