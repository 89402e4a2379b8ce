"""What a shipped model was trained from, written beside it, and checked when it loads.

`kpiscan train` writes `<model>.manifest.json` next to `<model>.json`:

    {"model", "file", "sha256" (of the model file), "trained_with" (python, scikit-learn, numpy,
     scipy, jieba, kpiscan versions), "parameters", "gold" (file -> sha256), "lexicons" (each lexicon
     file the training read -> sha256), "lodo" (leave-one-document-out figures), "examples"}

At load time `drift(manifest_path)` compares it with what the scan will use: the model file's own
hash, every lexicon it read (a lexicon edited since training means the model now sees other
features) and the jieba version (segmentation feeds the word features). `drift_line` turns the
differences into the one line the loader logs; nothing here raises for drift.
"""
from __future__ import annotations

import hashlib
import json
import logging
import platform
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .. import lexicon

log = logging.getLogger("kpiscan.classify")

LIBRARIES = ("scikit-learn", "numpy", "scipy", "jieba")
RUNTIME_LIBRARIES = ("jieba",)  # the libraries whose version changes what a loaded model sees


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.stem + ".manifest.json")


def _version(dist: str) -> str | None:
    from importlib import metadata  # ~0.013 s to import: at training and where runtime_version needs it

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def runtime_version(dist: str) -> str | None:
    """The version of a RUNTIME_LIBRARIES library the loaded model will use: the imported module's
    `__version__` (a model's load imports jieba; its `__version__` is its distribution's version),
    which spares a scan importing importlib.metadata and its walk over every installed
    distribution (~0.02 s CPU a process); the distribution's metadata when it is not imported."""
    version = getattr(sys.modules.get(dist), "__version__", None)
    return version if isinstance(version, str) else _version(dist)


def versions() -> dict[str, str | None]:
    from .. import __version__

    out: dict[str, str | None] = {"python": platform.python_version(), "kpiscan": __version__}
    out.update({dist: _version(dist) for dist in LIBRARIES})
    return out


def build(model: str, model_path: Path, *, gold: Iterable[Path], lexicons: Iterable[str],
          parameters: Mapping[str, Any], lodo: Mapping[str, Any], examples: int) -> dict[str, Any]:
    return {
        "model": model,
        "file": model_path.name,
        "sha256": sha256(model_path),
        "trained_with": versions(),
        "parameters": dict(parameters),
        "gold": {Path(p).name: sha256(Path(p)) for p in sorted(gold)},
        "lexicons": {name: sha256(lexicon.path(name)) for name in sorted(set(lexicons))},
        "lodo": dict(lodo),
        "examples": examples,
        "retrain": "kpiscan train --gold corpora/gold --out DIR (KPISCAN_MODELS=DIR to use it; "
                   "--force writes into the package)",
    }


def write(manifest: Mapping[str, Any], model_path: Path) -> Path:
    out = manifest_path(model_path)
    out.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out


def drift(model_path: Path) -> list[str]:
    """What differs between the model's manifest and the files and libraries in use now."""
    path = manifest_path(model_path)
    if not path.exists():
        return [f"no manifest ({path.name})"]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        return [f"unreadable manifest {path.name} ({err})"]
    out = []
    if manifest.get("sha256") != sha256(model_path):
        out.append(f"{model_path.name} is not the file the manifest describes")
    changed, missing = [], []
    for name, digest in sorted(manifest.get("lexicons", {}).items()):
        try:
            if sha256(lexicon.path(name)) != digest:
                changed.append(name)
        except FileNotFoundError:
            missing.append(name)
    if changed:
        out.append("lexicons edited since training: " + ", ".join(changed))
    if missing:
        out.append("lexicons missing: " + ", ".join(missing))
    trained = manifest.get("trained_with", {})
    for dist in RUNTIME_LIBRARIES:
        now = runtime_version(dist)
        if trained.get(dist) and now and trained[dist] != now:
            out.append(f"{dist} {now} (trained with {trained[dist]})")
    return out


def drift_line(model: str, model_path: Path, problems: list[str]) -> str:
    return (f"kpiscan: the {model} model ({model_path}) may have drifted: {'; '.join(problems)}; "
            f"retrain with `kpiscan train --out DIR` and set KPISCAN_MODELS=DIR (or add --force to "
            f"replace the packaged model)")


def check(model: str, model_path: Path) -> list[str]:
    """Log the one-line drift warning (never raises); the differences found."""
    problems = drift(model_path)
    if problems:
        log.warning(drift_line(model, model_path, problems))
    return problems
