"""Importing a package without an optional module it would pull in and does not need here
(`hidden`): jieba without setuptools' pkg_resources (kpiscan.tokenize), a Dask client's
distributed without numpy (kpiscan.batch)."""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator


@contextlib.contextmanager
def hidden(*names: str) -> Iterator[None]:
    """Inside the block `import NAME` raises ImportError, as if NAME were not installed, for each
    NAME this process has not imported yet; after it, NAME imports as usual again."""
    hide = [name for name in names if name not in sys.modules]
    for name in hide:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` -> ImportError
    try:
        yield
    finally:
        for name in hide:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
