"""Benchmark kpiscan.values.parse_value against JioNLP on the same inputs (not a test).

    python bench/bench_values.py [--calls 100000] [--year 2024] [--before REV]

Speed: values per CPU second (one core) over every distinct value of corpora/gold/*.jsonl, repeated to at least
--calls calls. parse_value has no result cache (only the compiled grammar is cached), so every
call does the full work. JioNLP runs over the same distinct inputs: parse_money, parse_time and
ner.extract_money each on every input, and "jionlp (best of 3)" = what a user would do: try
parse_money, then parse_time, then extract_money, and keep the first answer.

--before REV (a git revision, e.g. main or HEAD~3): the parse_value of that revision is loaded
beside this one (its src/kpiscan copied to a temporary package `kpiscan_before`, with its own
lexicons) and the two are timed in 10 alternating rounds in this one process, best round of each:
the before/after figures of a change, on the same machine load. It also times, in fresh
interpreters (alternating, median of --compile-runs), what compiling the grammar costs: the first
parse_value of a process, and the first find_values after it (what a scan with the classifier
compiles: name_as_value reads names with find_values).

Accuracy: the rows of tests/specs/values.tsv marked bench=1 (hand-checked; the one file of value
cases the tests read too), scored on kind, op, value, unit, per, date and period (a row is right
when all of them are right; an empty cell expects None). JioNLP answers are mapped to the same fields as kindly as
possible (money -> quantity in 元, "blur+" -> ">=", a time point -> date, a span from the time
base -> deadline, other spans -> period, a time_period -> frequency); it has no count units,
percentages or per-units, so it cannot get those rows.
Without jionlp installed, the JioNLP columns say why and the rest still runs.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import io
import json
import logging
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from kpiscan.values import parse_value

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "specs" / "values.tsv"
FIELDS = ("kind", "op", "value", "unit", "per", "date", "period")


def corpus_values() -> list[str]:
    values = {json.loads(line)["value"] for f in glob.glob(str(ROOT / "corpora/gold/*.jsonl")) for line in open(f, encoding="utf-8")}
    return sorted(values)


def subset() -> list[dict[str, str]]:
    """The spec rows of the shared subset, with the input text as "text"."""
    with SPEC.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t",
                              quoting=csv.QUOTE_NONE)
        return [{**r, "text": r["raw"]} for r in rows if r["bench"] == "1"]


# ---------------------------------------------------------------- speed


def rate(fn, inputs: list[str], min_calls: int) -> float:
    """Calls per CPU second of fn over inputs, repeated until at least min_calls calls.

    CPU time (time.process_time) of this one single-threaded process, so that other work on a
    shared machine does not count against either parser; wall time is close on an idle machine.
    """
    rounds = max(1, -(-min_calls // len(inputs)))
    start = time.process_time()
    for _ in range(rounds):
        for text in inputs:
            fn(text)
    return rounds * len(inputs) / (time.process_time() - start)


def load_before(rev: str, into: Path):
    """parse_value of git revision `rev`, imported as the package kpiscan_before."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src/kpiscan"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    package = into / "kpiscan_before"
    (into / "src" / "kpiscan").rename(package)
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("kpiscan.", "kpiscan_before.").replace('files("kpiscan")', 'files("kpiscan_before")'),
                          encoding="utf-8")
    sys.path.insert(0, str(into))
    from kpiscan_before.values import parse_value as before  # type: ignore[import-not-found]

    return before


_FIRST_CALLS = """
import sys, time
sys.path.insert(0, sys.argv[1])
from {package}.values import parse_value, find_values
from {package}.values.vocab import vocabulary
vocabulary()
t0 = time.process_time(); parse_value("≥95%", 2024); t1 = time.process_time()
list(find_values("2024全年")); t2 = time.process_time()
print(t1 - t0, t2 - t1)
"""


def first_calls(package: str, path: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Median CPU seconds of the first parse_value and then the first find_values of a fresh
    process (the lexicons read before the clock starts), per package, runs alternating."""
    times: dict[str, list[tuple[float, float]]] = {}
    for _ in range(runs):
        for name, (pkg, where) in {"before": (package, path), "after": ("kpiscan", ROOT / "src")}.items():
            out = subprocess.run([sys.executable, "-c", _FIRST_CALLS.format(package=pkg), str(where)], check=True,
                                 capture_output=True, text=True).stdout.split()
            times.setdefault(name, []).append((float(out[0]), float(out[1])))
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    return {k: (med([a for a, _ in v]), med([b for _, b in v])) for k, v in times.items()}


def interleaved(fns: dict, inputs: list, min_calls: int, rounds: int = 10) -> dict[str, float]:
    """Best calls per CPU second of each fn, timed in alternating rounds of min_calls/rounds calls."""
    best = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = max(best[name], rate(fn, inputs, max(1, min_calls // rounds)))
    return best


# ---------------------------------------------------------------- JioNLP adapter


def load_jionlp():
    """(module, None) or (None, the reason it is unusable)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            import jionlp  # prints a banner on import
        return jionlp, None
    except Exception as exc:  # noqa: BLE001 — report exactly what failed
        return None, f"{type(exc).__name__}: {exc}"


_BLUR = {"accurate": "=", "blur": "~", "blur+": ">=", "blur-": "<="}


def _quiet(fn, *args, **kwargs):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 — JioNLP raises ValueError on anything it cannot read
        return None


def _money(detail: dict) -> dict:
    unit = "元" if detail.get("case") == "元" else detail.get("case")
    num = detail["num"]
    if isinstance(num, list):  # a range "10-15万元"
        return {"kind": "quantity", "op": "between", "low": float(num[0]), "high": float(num[1]), "unit": unit, "per": []}
    return {"kind": "quantity", "op": _BLUR.get(detail.get("definition"), "="), "value": float(num), "unit": unit, "per": []}


_SPAN_PERIOD = {3: "quarter", 6: "halfyear", 12: "year"}


def _months(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:7]) - int(start[5:7]) + 1


def _time(result: dict, year: int) -> dict:
    """A JioNLP time answer as Target fields: one day or month -> date, a span from the time base
    with a blurred start -> deadline at its end, a longer span -> period, a time_period -> frequency."""
    kind, value = result.get("type"), result.get("time")
    if kind in ("time_point", "time_span"):
        start, end = value
        if start[:10] == end[:10]:
            return {"kind": "date", "date": start[:10]}
        months = _months(start, end)
        if kind == "time_span" and result.get("definition") == "blur" and start.startswith(f"{year}-01-01"):
            return {"kind": "deadline", "date": end[:10] if end[8:10] not in ("28", "29", "30", "31") else end[:7]}
        if months == 1:
            return {"kind": "date", "date": start[:7]}
        return {"kind": "period", "date": f"{start[:7]}/{end[:7]}", "period": _SPAN_PERIOD.get(months)}
    if kind == "time_period":
        delta = (value or {}).get("delta") or {}
        months = delta.get("month", 0) + 12 * delta.get("year", 0)
        if months in _SPAN_PERIOD and len(delta) == 1:
            return {"kind": "frequency", "period": {3: "quarter", 6: "halfyear", 12: "year"}[months]}
        if delta == {"month": 1}:
            return {"kind": "frequency", "period": "month"}
        if delta in ({"day": 1}, {"week": 1}):
            return {"kind": "frequency", "period": next(iter(delta))}
    return {"kind": str(kind)}


def jionlp_answer(jio, text: str, year: int) -> dict | None:
    """The first of parse_money, parse_time, extract_money that reads `text`, as Target fields."""
    money = _quiet(jio.parse_money, text)
    if money:
        return _money(money)
    parsed = _quiet(jio.parse_time, text, time_base={"year": year, "month": 1, "day": 1})
    if parsed:
        return _time(parsed, year)
    found = _quiet(jio.ner.extract_money, text)
    if found:
        return _money(found[0]["detail"])
    return None


# ---------------------------------------------------------------- accuracy


def expected(row: dict[str, str]) -> dict:
    want: dict = {}
    for field in FIELDS:
        cell = row[field]
        if field == "per":
            want["per"] = [p for p in cell.split(",") if p]
        else:
            want[field] = (float(cell) if field == "value" else cell) if cell else None
    return want


def right(answer: dict | None, want: dict) -> bool:
    if answer is None:
        return False
    for field, value in want.items():
        got = answer.get(field)
        if field == "per":
            if list(got or []) != value:
                return False
        elif field == "value" and value is not None:
            if got is None or abs(float(got) - value) > 1e-6 * max(1.0, abs(value)):
                return False
        elif got != value:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="minimum kpiscan calls (default 100000)")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--show", action="store_true", help="list the subset rows each parser gets wrong")
    parser.add_argument("--before", metavar="REV", help="also time parse_value of this git revision, interleaved")
    parser.add_argument("--compile-runs", type=int, default=5, help="fresh processes per tree for the compile times")
    args = parser.parse_args()
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            before = load_before(args.before, Path(tmp))
            inputs = corpus_values()
            before("warm up", args.year)
            parse_value("warm up", args.year)
            best = interleaved({f"before ({args.before})": lambda t: before(t, args.year),
                                "after (this tree)": lambda t: parse_value(t, args.year)}, inputs, args.calls)
            print(f"parse_value, values per CPU second, best of 10 alternating rounds over {len(inputs)} distinct "
                  f"corpus values, {args.calls:,} calls each:")
            for name, value in best.items():
                print(f"  {name:24} {value:10,.0f}")
            compile_times = first_calls("kpiscan_before", Path(tmp), args.compile_runs)
            print(f"grammar compile, CPU s in a fresh process (median of {args.compile_runs}, alternating):")
            print(f"  {'':24} {'1st parse_value':>15} {'then 1st find_values':>21}")
            for name, (first, find) in compile_times.items():
                label = f"before ({args.before})" if name == "before" else "after (this tree)"
                print(f"  {label:24} {first:15.3f} {find:21.3f}")
        return

    inputs = corpus_values()
    rows = subset()
    print(f"inputs: {len(inputs)} distinct values from corpora/gold/*.jsonl; subset: {len(rows)} hand-checked rows")
    parse_value("warm up", args.year)  # compile the grammar outside the timing

    ours = rate(lambda t: parse_value(t, args.year), inputs, args.calls)
    calls = max(1, -(-args.calls // len(inputs))) * len(inputs)
    ours_right = [right(parse_value(r["text"], args.year).to_dict(), expected(r)) for r in rows]
    print(f"{'parser':34} {'values/s':>10} {'subset accuracy':>16}")
    print(f"{'kpiscan parse_value (no cache)':34} {ours:10,.0f} {sum(ours_right):>9}/{len(rows)} {sum(ours_right) / len(rows):5.1%}"
          f"   ({calls:,} calls)")

    jio, why = load_jionlp()
    logging.disable(logging.ERROR)  # JioNLP logs a traceback for every string it cannot read
    if jio is None:
        print(f"{'jionlp':34} {'n/a':>10} {'n/a':>16}   jionlp unusable: {why}")
        return
    _quiet(jio.parse_time, "2024年7月")  # JioNLP loads its dictionaries lazily
    _quiet(jio.parse_money, "100元")
    _quiet(jio.ner.extract_money, "100元")
    for name, fn in (
        ("jionlp.parse_money", lambda t: _quiet(jio.parse_money, t)),
        ("jionlp.parse_time", lambda t: _quiet(jio.parse_time, t, time_base={"year": args.year, "month": 1, "day": 1})),
        ("jionlp.ner.extract_money", lambda t: _quiet(jio.ner.extract_money, t)),
    ):
        print(f"{name:34} {rate(fn, inputs, len(inputs)):10,.0f} {'':>16}   ({len(inputs):,} calls)")
    theirs = rate(lambda t: jionlp_answer(jio, t, args.year), inputs, len(inputs))
    theirs_right = [right(jionlp_answer(jio, r["text"], args.year), expected(r)) for r in rows]
    print(f"{'jionlp (best of 3)':34} {theirs:10,.0f} {sum(theirs_right):>9}/{len(rows)} {sum(theirs_right) / len(rows):5.1%}"
          f"   ({len(inputs):,} calls)")
    print(f"speed ratio kpiscan/jionlp(best of 3): {ours / theirs:,.0f}x")
    if args.show:
        for row, a, b in zip(rows, ours_right, theirs_right):
            if not (a and b):
                print(f"  {'ok ' if a else 'BAD'} kpiscan  {'ok ' if b else 'BAD'} jionlp  {row['text']}"
                      f"  -> jionlp: {jionlp_answer(jio, row['text'], args.year)}")


if __name__ == "__main__":
    sys.exit(main())
