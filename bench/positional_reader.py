"""The floor for bench_scan.py: a 40-line positional reader of 绩效指标 rows (no kpiscan import).

    python bench/positional_reader.py DIR OUT.jsonl

Reads every .txt/.md under DIR (UTF-8, else GB18030), splits cells (tabs or markdown pipes), and
after a header row holding 三级指标 and 指标值 takes each following row by column position until a
blank line: one JSON record per (三级指标, 指标值) group, levels carried down. What any scan must do
at least: read, decode, split, walk the rows, write JSONL.
"""
import json
import sys
from pathlib import Path


def cells(line: str) -> list[str]:
    s = line.strip()
    parts = s.strip("|").split("|") if s.startswith("|") else line.split("\t")
    return [c.strip() for c in parts]


def rows(text: str, doc: str):
    groups, carry = None, {}
    for number, line in enumerate(text.split("\n"), 1):
        c = cells(line)
        if "三级指标" in c and "指标值" in c:
            groups = [(i - 2, i - 1, i, i + 1) for i, x in enumerate(c) if x == "三级指标"]
            carry = {}
        elif groups and not line.strip():
            groups = None
        elif groups:
            for g, (l1, l2, name, value) in enumerate(groups):
                get = lambda k, c=c: c[k] if 0 <= k < len(c) else ""  # noqa: E731
                for k in (l1, l2):
                    carry[g, k] = get(k) or carry.get((g, k), "")
                if get(name) or get(value):
                    yield {"doc": doc, "line": number, "group": g, "level1": carry[g, l1], "level2": carry[g, l2], "name": get(name), "value": get(value)}  # noqa: E501


def main(src: str, out: str) -> None:
    with open(out, "w", encoding="utf-8") as fh:
        for f in sorted(p for p in Path(src).rglob("*") if p.suffix in (".txt", ".md")):
            data = f.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030", errors="replace")
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows(text, f.name))


if __name__ == "__main__":
    main(*sys.argv[1:3])
