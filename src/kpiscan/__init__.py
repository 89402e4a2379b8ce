"""kpiscan: read, segment, normalise, classify and review 绩效目标表 indicators.

Heavy submodules load lazily so that `import kpiscan` stays fast.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "scan": "kpiscan.pipeline",
    "scan_file": "kpiscan.pipeline",
    "ScanResult": "kpiscan.pipeline",
    "parse_value": "kpiscan.values",
    "Target": "kpiscan.model",
    "Indicator": "kpiscan.model",
    "TableBlock": "kpiscan.model",
    "Unparsed": "kpiscan.model",
    "read_document": "kpiscan.read",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kpiscan' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
