"""A seeded mutation fuzzer over corpora/ (issue 15), used by tests/test_fuzz.py and on demand:

    PYTHONPATH=src:tests python tests/fuzz_corpora.py --mutants 10000 --seed 1 [--budget 3600] [--start K]

(--start K: the mutants K, K+1, ... of the seed's sequence, so one sequence can run in shards.)

Each mutant is a window of a corpus document (20 to 400 lines around a table; every tenth mutant
the whole document) with 1 to 4 mutations: bytes flipped, inserted or deleted; a line duplicated,
dropped, swapped, re-encoded as GB18030 or Latin-1, cut in the middle of a character, given CR
line ends; cells split, merged or emptied; a 项目名称 line repeated; the file cut anywhere. Each is
scanned (classify off) with a time limit and checked:

  * no exception escapes `scan_file` and no "internal error" problem comes back;
  * time per KB is bounded (MAX_MS_PER_KB of CPU, after a floor for tiny inputs);
  * nothing lost: every non-empty cell of every table is in a record, a header field or an
    unparsed record (tests/nothing_lost.py).

Prints the counts: inputs, exceptions, hangs, slow, cells unaccounted for.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from kpiscan.batch import FileTimeout, time_limit
from kpiscan.errors import InputError
from kpiscan.pipeline import scan_document
from kpiscan.read import read_document
from nothing_lost import unaccounted

ROOT = Path(__file__).resolve().parents[1]
HANG_SECONDS = 20.0
MAX_MS_PER_KB = 25.0  # CPU per KB of input, beyond FLOOR_S
FLOOR_S = 0.5


@dataclass
class Counts:
    inputs: int = 0
    exceptions: int = 0
    hangs: int = 0
    slow: int = 0
    unaccounted: int = 0
    cells_checked_inputs: int = 0  # mutants that still had tables to check
    examples: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"inputs {self.inputs}, exceptions {self.exceptions}, hangs {self.hangs}, slow {self.slow}, "
            f"cells unaccounted {self.unaccounted} (in {self.cells_checked_inputs} mutants with tables)"
        )


# ------------------------------------------------------------------------------------ mutations


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def flip(rng, data):
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]


def insert_bytes(rng, data):
    i = rng.randrange(len(data) + 1)
    junk = rng.choice(
        [
            b"\xff",
            b"\xe9",
            b"\x81\x30",
            b"\xe4\xb8",
            b"\t",
            b"|",
            b"\r",
            b"<td>",
            b"&amp;",
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))),
        ]
    )
    return data[:i] + junk + data[i:]


def delete_bytes(rng, data):
    if not data:
        return data
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randrange(1, 64) :]


def cut(rng, data):
    return data[: rng.randrange(len(data) + 1)]


def dup_line(rng, data):
    ls = _lines(data)
    i = rng.randrange(len(ls))
    ls[i:i] = [ls[i]] * rng.randrange(1, 4)
    return b"\n".join(ls)


def drop_line(rng, data):
    ls = _lines(data)
    del ls[rng.randrange(len(ls))]
    return b"\n".join(ls)


def swap_lines(rng, data):
    ls = _lines(data)
    i, j = rng.randrange(len(ls)), rng.randrange(len(ls))
    ls[i], ls[j] = ls[j], ls[i]
    return b"\n".join(ls)


def reencode_line(rng, data):
    ls = _lines(data)
    i = rng.randrange(len(ls))
    try:
        text = ls[i].decode("utf-8")
        ls[i] = text.encode(rng.choice(["gb18030", "latin-1", "utf-16-le"]), errors="replace")
    except UnicodeError:
        pass
    return b"\n".join(ls)


def cr_ends(rng, data):
    return data.replace(b"\n", rng.choice([b"\r", b"\r\n"]))


def split_cell(rng, data):
    ls = _lines(data)
    i = rng.randrange(len(ls))
    cells = ls[i].split(b"\t")
    k = rng.randrange(len(cells))
    try:
        text = cells[k].decode("utf-8")
    except UnicodeError:
        return data
    j = rng.randrange(len(text) + 1)
    cells[k : k + 1] = [text[:j].encode(), text[j:].encode()]
    ls[i] = b"\t".join(cells)
    return b"\n".join(ls)


def merge_cells(rng, data):
    ls = _lines(data)
    i = rng.randrange(len(ls))
    cells = ls[i].split(b"\t")
    if len(cells) > 1:
        k = rng.randrange(len(cells) - 1)
        cells[k : k + 2] = [cells[k] + rng.choice([b"", b" ", b"\n"]) + cells[k + 1]]
    ls[i] = b"\t".join(cells)
    return b"\n".join(ls)


def empty_cell(rng, data):
    ls = _lines(data)
    i = rng.randrange(len(ls))
    cells = ls[i].split(b"\t")
    cells[rng.randrange(len(cells))] = b""
    ls[i] = b"\t".join(cells)
    return b"\n".join(ls)


def repeat_project_line(rng, data):
    ls = _lines(data)
    heads = [k for k, line in enumerate(ls) if line.startswith("项目名称".encode())]
    if heads:
        line = ls[rng.choice(heads)]
        ls.insert(rng.randrange(len(ls) + 1), line)
    return b"\n".join(ls)


MUTATIONS = [
    flip,
    insert_bytes,
    delete_bytes,
    cut,
    dup_line,
    drop_line,
    swap_lines,
    reencode_line,
    cr_ends,
    split_cell,
    merge_cells,
    empty_cell,
    repeat_project_line,
]


# ------------------------------------------------------------------------------------- the run


def corpus() -> list[tuple[str, bytes]]:
    return [(f.name, f.read_bytes()) for f in sorted((ROOT / "corpora").glob("*.txt"))]


def window(rng, data: bytes) -> bytes:
    """A run of lines around a table of the document (or the whole document, one time in ten)."""
    if rng.random() < 0.1:
        return data
    ls = _lines(data)
    anchors = [k for k, line in enumerate(ls) if "绩效".encode() in line] or [0]
    a = rng.choice(anchors)
    start = max(0, a - rng.randrange(0, 60))
    return b"\n".join(ls[start : start + rng.randrange(20, 400)])


def mutant(rng, docs) -> tuple[str, bytes]:
    name, data = rng.choice(docs)
    data = window(rng, data)
    for _ in range(rng.randrange(1, 5)):
        data = rng.choice(MUTATIONS)(rng, data)
    return name, data


def check(path: Path, counts: Counts, label: str) -> None:
    counts.inputs += 1
    size_kb = max(path.stat().st_size / 1024, 0.001)
    start = time.process_time()
    try:
        with time_limit(HANG_SECONDS):
            try:
                doc = read_document(path)
                result = scan_document(doc, classify=False)
            except InputError:
                doc, result = None, None
    except FileTimeout:
        counts.hangs += 1
        counts.examples.append(f"hang: {label}")
        return
    except Exception as err:  # what must never happen
        counts.exceptions += 1
        counts.examples.append(f"exception {type(err).__name__}: {err}: {label}")
        return
    cpu = time.process_time() - start
    if cpu > FLOOR_S + MAX_MS_PER_KB * size_kb / 1000:
        counts.slow += 1
        counts.examples.append(f"slow {cpu:.2f} s for {size_kb:.1f} KB: {label}")
    if result is not None and result.tables:
        counts.cells_checked_inputs += 1
        lost = unaccounted(doc, result)
        if lost:
            counts.unaccounted += len(lost)
            counts.examples.append(f"lost {lost[:3]}: {label}")


def run(
    seed: int, mutants: int, budget_s: float | None = None, keep: Path | None = None, progress: int = 0, start: int = 0
) -> Counts:
    """Scan `mutants` mutants (or as many as fit in `budget_s` seconds of wall time), from the
    `start`th of the seed's sequence (the ones before are drawn, not scanned)."""
    rng = random.Random(seed)
    docs = corpus()
    counts = Counts()
    first, began = start, time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kpiscan-fuzz-") as tmp:
        for k in range(first + mutants):
            name, data = mutant(rng, docs)
            if k < first:
                continue
            if budget_s is not None and time.monotonic() - began > budget_s:
                break
            path = Path(tmp) / f"m{k:06d}_{name}"
            path.write_bytes(data)
            before = len(counts.examples)
            check(path, counts, f"seed {seed} mutant {k} of {name}")
            if keep is not None and len(counts.examples) > before:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / path.name).write_bytes(data)
            path.unlink()
            if progress and (k + 1 - first) % progress == 0:
                print(f"after {k + 1 - first} (mutants {first}..{k}): {counts.line()}", flush=True)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mutants", type=int, default=10_000)
    ap.add_argument("--budget", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--keep", type=Path, default=None, help="write failing mutants here")
    ap.add_argument("--start", type=int, default=0, help="begin at this mutant of the seed's sequence")
    args = ap.parse_args()
    start = time.monotonic()
    cpu = time.process_time()
    counts = run(args.seed, args.mutants, args.budget, args.keep, progress=500, start=args.start)
    print(counts.line())
    print(f"{time.monotonic() - start:.0f} s wall, {time.process_time() - cpu:.0f} s CPU")
    for e in counts.examples[:20]:
        print("  ", e)


if __name__ == "__main__":
    main()
