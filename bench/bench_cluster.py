"""`cluster_keys` alone (the library's clustering): CPU time and peak memory on N keys.

    PYTHONPATH=src python3 bench/bench_cluster.py --keys 13000,52000,200000
    PYTHONPATH=src python3 bench/bench_cluster.py --corpus /tmp/d64

--keys N: one category of N distinct names made from the names of corpora/ (all categories' plain
keys, seeded): each a real name with one to three changes drawn from the names' own characters,
weighted by use (a 2-3 character prefix as a place or unit, one character replaced, a 1-2
character suffix), counts 1 to 5 (mostly 1), the real name's dimension. --corpus DIR: the keys of
each category of DIR's library, as `kpiscan report DIR` clusters them (its rows scanned here,
in-process, one file after another). Each run is timed in a child process of its own (CPU time
of that process's clustering, its peak RSS from getrusage, which is the process's: loading the
keys may be its peak): --runs R of each, median and range; --traced adds a run of each under
tracemalloc (numpy's arrays included), whose peak is the clustering's own.
--baseline-src SRC times SRC's cluster_keys too, interleaved, and checks the families are equal.
Where the tree has `pair_cosines` (the candidate search), the pairs it summed are counted (and
those at or above SIMILARITY: pairs that are in any exact search's output), to compare the
growth of the time with that of the pairs.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def corpus_keys(paths: list[Path]) -> dict[str, list[tuple[str, int, str | None]]]:
    """Per category the plain (not pooled) keys with their counts and dimensions, as
    LibraryBuilder.library passes them to cluster_keys."""
    from kpiscan.practice.families import LibraryBuilder, file_rows

    builder = LibraryBuilder()
    for path in paths:
        builder.add(file_rows(str(path), path.name)[0])
    return builder.plain_keys()


def synthetic_keys(n: int, seed: int = 10) -> list[tuple[str, int, str | None]]:
    real = [k for keys in corpus_keys(sorted((ROOT / "corpora").glob("*.txt"))).values() for k in keys]
    return varied_keys(real, n, seed)


def varied_keys(real: list[tuple[str, int, str | None]], n: int, seed: int) -> list[tuple[str, int, str | None]]:
    """n distinct keys, each one of `real` (key, count, dimension) with one to three changes
    drawn from the real names' characters (weighted by use): a 2-3 character prefix, one
    character replaced, a 1-2 character suffix; counts 1 to 5, mostly 1; the real one's dimension."""
    chars = Counter(c for name, _, _ in real for c in name)
    alphabet, weights = list(chars), list(chars.values())
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < n:
        name, _, dim = rng.choice(real)
        for change in rng.sample(("prefix", "replace", "suffix"), rng.randint(1, 3)):
            if change == "prefix":
                name = "".join(rng.choices(alphabet, weights, k=rng.randint(2, 3))) + name
            elif change == "replace" and name:
                at = rng.randrange(len(name))
                name = name[:at] + rng.choices(alphabet, weights)[0] + name[at + 1:]
            else:
                name += "".join(rng.choices(alphabet, weights, k=rng.randint(1, 2)))
        if name not in seen:
            seen.add(name)
            out.append((name, rng.choice((1, 1, 1, 1, 2, 2, 3, 5)), dim))
    return out


def child(src: str, keys_file: str) -> None:
    """Cluster each key set of keys_file with src's cluster_keys: CPU s, peak RSS, families."""
    import resource
    import time

    sys.path.insert(0, src)
    from kpiscan.practice import families
    from kpiscan.practice.families import cluster_keys

    sets = pickle.loads(Path(keys_file).read_bytes())
    import numpy  # noqa: F401  (imported before timing, as the report has it)

    looked = [0, 0]  # (key, leader) pairs whose cosine was summed, and those at or above SIMILARITY
    if hasattr(families, "pair_cosines"):
        pair_cosines = families.pair_cosines

        def counted(matrix, rows, cols):
            sims = pair_cosines(matrix, rows, cols)
            looked[0] += len(sims)
            looked[1] += int((sims >= families.SIMILARITY).sum())
            return sims

        families.pair_cosines = counted

    traced = os.environ.get("BENCH_CLUSTER_TRACED") == "1"
    if traced:
        import tracemalloc

        tracemalloc.start()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    leaders = []
    grouped = []
    for keys in sets:
        got = cluster_keys(keys)
        leaders.append(len(set(got.values())))
        grouped.append(sorted(got.items()))
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    digest = __import__("hashlib").sha256(repr(grouped).encode()).hexdigest()[:16]
    print(json.dumps({"cpu": cpu, "peak_mib": peak / 1024, "before_mib": before / 1024, "leaders": leaders, "digest": digest,
                      "pairs": looked, "traced_mib": traced_peak}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", help="comma-separated sizes of synthetic key sets")
    ap.add_argument("--corpus", help="a directory: its categories' keys")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--baseline-src", help="another tree's src, timed interleaved with this one's")
    ap.add_argument("--traced", action="store_true", help="one more run of each under tracemalloc: the clustering's peak")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    sys.path.insert(0, str(ROOT / "src"))
    cases: list[tuple[str, list]] = []
    if args.corpus:
        by_category = corpus_keys(sorted(Path(args.corpus).glob("*.txt")))
        cases.append((f"{args.corpus} ({len(by_category)} categories)", list(by_category.values())))
    for n in [int(x) for x in args.keys.split(",")] if args.keys else []:
        cases.append((f"synthetic {n}", [synthetic_keys(n)]))
    srcs = [("this", str(ROOT / "src"))] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    with tempfile.TemporaryDirectory(prefix="kpiscan-cluster-") as tmp:
        for label, sets in cases:
            keys_file = Path(tmp) / "keys.pkl"
            keys_file.write_bytes(pickle.dumps(sets))
            results: dict[str, list[dict]] = {name: [] for name, _ in srcs}
            for _ in range(args.runs):
                for name, src in srcs:
                    proc = subprocess.run([sys.executable, __file__, "--child", src, str(keys_file)], capture_output=True,
                                          text=True, check=True, env={**os.environ, "PYTHONPATH": src})
                    results[name].append(json.loads(proc.stdout))
            print(f"{label}: {sum(len(s) for s in sets)} keys")
            for name, rs in results.items():
                cpus = [r["cpu"] for r in rs]
                print(f"  {name}: cluster CPU {statistics.median(cpus):.2f} s [{min(cpus):.2f}-{max(cpus):.2f}], "
                      f"peak RSS {max(r['peak_mib'] for r in rs):.0f} MiB (before {rs[0]['before_mib']:.0f}), "
                      f"leaders {sum(rs[0]['leaders'])}, families {rs[0]['digest']}"
                      + (f", pairs summed {rs[0]['pairs'][0]} ({rs[0]['pairs'][1]} >= SIMILARITY)" if rs[0]["pairs"][0] else ""))
            if args.traced:
                for name, src in srcs:
                    proc = subprocess.run([sys.executable, __file__, "--child", src, str(keys_file)], capture_output=True,
                                          text=True, check=True, env={**os.environ, "PYTHONPATH": src, "BENCH_CLUSTER_TRACED": "1"})
                    print(f"  {name}: peak traced memory of the clustering {json.loads(proc.stdout)['traced_mib']:.1f} MiB")
            if len(results) > 1:
                digests = {rs[0]["digest"] for rs in results.values()}
                print("  families " + ("equal" if len(digests) == 1 else "DIFFER"))


if __name__ == "__main__":
    main()
