"""Every bad input of issue 15, run through `kpiscan scan FILE --out OUT --no-classify`: its exit
code, its one-line message and what was kept. Writes docs/bad-inputs.md (the doc is this script's
output; tests/test_bad_inputs_doc.py re-runs a few cases and checks the doc says what they do).

    PYTHONPATH=src python bench/bad_inputs.py [--only "NAME;NAME"] [--write docs/bad-inputs.md]

(with --only and --write, the other rows of the doc are kept as they are: a re-run of a few cases)

Each case is built from real text of corpora/001 (one project table: 聘用律师费, and the whole
document) or from a few bytes, in a fresh temporary directory; the scan runs there in a new
process, so the message names the file as given (a relative path).
"""

from __future__ import annotations

import argparse
import collections
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from table_synth import table_lines, table_text  # noqa: E402  (the table the hardening tests scan)


def _write(tmp: Path, name: str, data: bytes | str) -> list[str]:
    (tmp / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return [name]


def _link(tmp: Path, name: str, target: str) -> list[str]:
    (tmp / name).symlink_to(target)
    return [name]


def _fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "pipe.txt")
    return ["pipe.txt"]


def _one_line(encoding: str) -> Callable[[Path], list[str]]:
    """The table with one indicator row written in another encoding."""

    def build(tmp: Path) -> list[str]:
        lines = table_lines()
        k = next(i for i, line in enumerate(lines) if "市场经济秩序" in line)
        data = [line.encode("utf-8") for line in lines]
        data[k] = lines[k].encode(encoding)
        return _write(tmp, f"{encoding}-line.txt", b"\n".join(data))

    return build


def _latin1_line(tmp: Path) -> list[str]:
    lines = [line.encode("utf-8") for line in table_lines()]
    lines.insert(9, "Rapport annuel\tcafé\tdéjà vu".encode("latin-1"))
    return _write(tmp, "latin1-line.txt", b"\n".join(lines))


def _cut_char(tmp: Path) -> list[str]:
    data = table_text().rstrip("\n").encode("utf-8")
    return _write(tmp, "cut-char.txt", data + "指".encode("utf-8")[:2])


def _formula(tmp: Path) -> list[str]:
    text = table_text().replace("\t委托代理费案件\t", "\t=HYPERLINK(\"http://x\",\"委托代理费案件\")\t", 1)
    text = text.replace("\t市场经济秩序\t", "\t@SUM(A1:A9)\t", 1)
    return _write(tmp, "formula.txt", text)


def _huge_number(tmp: Path) -> list[str]:
    return _write(tmp, "huge-number.txt", table_text().replace("\t2件\t", "\t1" + "0" * 320 + "\t", 1))


def _huge_line(tmp: Path) -> list[str]:
    lines = table_lines()
    lines.insert(10, "\t".join(["长"] * 600_000))  # 1.2 million characters
    return _write(tmp, "huge-line.txt", "\n".join(lines))


def _huge_table(tmp: Path) -> list[str]:
    from kpiscan.pipeline import MAX_TABLE_ROWS

    return _write(tmp, "huge-table.txt", table_text(MAX_TABLE_ROWS + 100))


def _many_lines(tmp: Path) -> list[str]:
    from kpiscan.read.text import MAX_LINES

    lines = table_lines()
    filler = ["\t"] * (MAX_LINES - len(lines))
    notes = [f"说明\t第{i}行" for i in range(3000)]
    return _write(tmp, "many-lines.txt", "\n".join(lines + filler + notes))


def _cut_at_end(tmp: Path) -> list[str]:
    lines = table_lines()
    return _write(tmp, "cut-at-end.txt", "\n".join(lines[: len(lines) - 8]))


def _cut_then_again(tmp: Path) -> list[str]:
    lines = table_lines()
    return _write(tmp, "cut-then-again.txt", "\n".join(lines[: len(lines) - 8] + [""] + lines[1:]))


_NS = "http://schemas.openxmlformats.org"
_MAIN = f"{_NS}/spreadsheetml/2006/main"
_CT = f"{_NS}/package/2006/content-types"
_PREL = f"{_NS}/package/2006/relationships"
_OREL = f"{_NS}/officeDocument/2006/relationships"
_OFF = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8"?>'


def _xlsx(tmp: Path, name: str, parts: dict[str, bytes | str], deflate: bool = True) -> list[str]:
    base = {
        "[Content_Types].xml": f'{_XML}<Types xmlns="{_CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OFF}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OFF}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OFF}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'{_XML}<Relationships xmlns="{_PREL}">'
        f'<Relationship Id="rId1" Type="{_OREL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_OREL}">'
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{_XML}<Relationships xmlns="{_PREL}">'
        f'<Relationship Id="rId1" Type="{_OREL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_OREL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'{_XML}<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t></t></si></sst>',
    }
    base.update(parts)
    with zipfile.ZipFile(tmp / name, "w", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        for k, v in base.items():
            z.writestr(k, v)
    return [name]


_SHEET_HEAD = f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"


def _col(c: int) -> str:
    s, c = "", c + 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _empty_cells(tmp: Path) -> list[str]:
    """1,000 rows of 1,000 cells, each the shared string "" (a million empty-string cells)."""
    cols = [_col(c) for c in range(1000)]
    rows = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>0</v></c>' for c in cols) + "</row>" for r in range(1, 1001)
    )
    return _xlsx(tmp, "empty-cells.xlsx", {"xl/worksheets/sheet1.xml": _SHEET_HEAD + rows + _SHEET_TAIL})


def _zip_bomb(tmp: Path) -> list[str]:
    """A sheet of 1 GiB of spaces that deflates to about 1 MB."""
    name = "zip-bomb.xlsx"
    _xlsx(tmp, name, {})
    with zipfile.ZipFile(tmp / name) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(tmp / name, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in parts.items():
            z.writestr(k, v)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET_HEAD.encode())
            chunk = b" " * (1 << 20)
            for _ in range(1024):
                fh.write(chunk)
            fh.write(_SHEET_TAIL.encode())
    return [name]


def _entity_bomb(tmp: Path) -> list[str]:
    laughs = "".join(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 10))
    sst = (
        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY l0 "lol">{laughs}]>'
        f'<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>&l9;</t></si></sst>'
    )
    sheet = _SHEET_HEAD + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + _SHEET_TAIL
    return _xlsx(tmp, "entity-bomb.xlsx", {"xl/sharedStrings.xml": sst, "xl/worksheets/sheet1.xml": sheet})


@dataclass
class Case:
    name: str  # the row label of the doc
    build: Callable[[Path], list[str]]  # makes the input in a temporary directory; the scan's arguments
    args: tuple[str, ...] = ()  # more arguments of `kpiscan scan`
    lock: bool = False  # hold OUT's lock while the scan runs (another scan writing it)


CASES = [
    Case("empty file", lambda t: _write(t, "empty.txt", b"")),
    Case("whitespace only", lambda t: _write(t, "blank.txt", b" \n\t\r\n")),
    Case("binary (NUL bytes, not UTF-16/32)", lambda t: _write(t, "binary.txt", b"%PDF?\nabc\x00\x01\x02\xff")),
    Case("text with no table", lambda t: _write(t, "notable.txt", "2024年部门预算\n一、部门职责\n")),
    Case("unsupported type", lambda t: _write(t, "archive.zip", b"PK\x05\x06" + b"\0" * 18)),
    Case("missing file", lambda t: ["nope.txt"]),
    Case("FIFO (named pipe)", _fifo),
    Case("symlink to /dev/zero", lambda t: _link(t, "zero.txt", "/dev/zero")),
    Case("symlink to /dev/urandom", lambda t: _link(t, "random.md", "/dev/urandom")),
    Case("broken symlink", lambda t: _link(t, "gone.txt", "nowhere.txt")),
    Case("symlink loop", lambda t: _link(t, "self.txt", "self.txt")),
    Case("one GB18030 line in a UTF-8 file", _one_line("gb18030")),
    Case("one Latin-1 line in a UTF-8 file", _latin1_line),
    Case("GB18030 file", lambda t: _write(t, "gb18030.txt", table_text().encode("gb18030"))),
    Case("UTF-16 with BOM", lambda t: _write(t, "utf16-bom.txt", table_text().encode("utf-16"))),
    Case("UTF-16-LE without BOM", lambda t: _write(t, "utf16.txt", table_text().encode("utf-16-le"))),
    Case("UTF-32-BE without BOM", lambda t: _write(t, "utf32.txt", table_text().encode("utf-32-be"))),
    Case("CR-only line ends", lambda t: _write(t, "cr.txt", table_text().replace("\n", "\r"))),
    Case("CRLF line ends", lambda t: _write(t, "crlf.txt", table_text().replace("\n", "\r\n"))),
    Case("last character cut in half", _cut_char),
    Case("table cut off by the end of the file", _cut_at_end),
    Case("table cut off, its 项目名称 starting again", _cut_then_again),
    Case("--out locked by another scan", lambda t: _write(t, "table.txt", table_text()), lock=True),
    Case("names beginning with = or @ (CSV output)", _formula, ("--format", "csv")),
    Case("a number of 321 digits", _huge_number),
    Case("a line of 1.2 million characters", _huge_line),
    Case("a table of MAX_TABLE_ROWS + 100 rows", _huge_table),
    Case("a file of more than MAX_LINES lines", _many_lines),
    Case("xlsx of a million empty-string cells", _empty_cells),
    Case("xlsx zip bomb (1 GiB sheet, ~1 MB zipped)", _zip_bomb),
    Case("xlsx XML entity bomb (billion laughs)", _entity_bomb),
    Case("not an xlsx (text named .xlsx)", lambda t: _write(t, "fake.xlsx", "not a workbook\n")),
    Case("not a PDF (text named .pdf)", lambda t: _write(t, "fake.pdf", "%PDF-1.4\nnot really\n")),
]


@dataclass
class Outcome:
    exit: int
    message: str  # the first error/skipped line of stderr, or "–"
    kept: str  # what the outputs hold
    cpu: float


def _kept(out: Path) -> str:
    """Records written: indicators, unparsed by reason; CSV cells beginning with a quote; numbers
    written as null."""
    parts = []
    for name in ("indicators.jsonl", "indicators.csv"):
        f = out / name
        if f.exists():
            text = f.read_text(encoding="utf-8-sig")
            if name.endswith(".jsonl"):
                rows = [json.loads(line) for line in text.splitlines() if line.strip()]  # fails on bare NaN/Infinity
                parts.append(f"{len(rows)} indicator records")
                huge = [r for r in rows if len(r.get("value") or "") > 300]
                parts += [
                    f"value {r['value'][:6]}… (321 digits) kept as text, target.value {json.dumps((r.get('target') or {}).get('value'))}"
                    for r in huge[:1]
                ]
            else:
                import csv
                import io

                rows = list(csv.reader(io.StringIO(text)))
                parts.append(f"{len(rows) - 1} indicator rows in CSV")
                quoted = sorted({c for r in rows for c in r if c.startswith("'=") or c.startswith("'@")})
                parts += [f"cell written as `{c[:22]}…`" for c in quoted]
    f = out / "unparsed.jsonl"
    if f.exists():
        lines = f.read_text(encoding="utf-8").splitlines()
        reasons = collections.Counter(json.loads(line)["reason"].split(":")[0] for line in lines if line.strip())
        parts += [f"unparsed `{r}` ×{n}" for r, n in sorted(reasons.items())]
    return "; ".join(parts) or "–"


def run(case: Case) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="kpiscan-bad-") as tmp:
        tmp_path = Path(tmp)
        args = case.build(tmp_path)
        out = tmp_path / "out"
        cmd = [sys.executable, "-m", "kpiscan", "scan", *args, "--out", "out", "--no-classify", *case.args]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        lock = None
        if case.lock:
            out.mkdir()
            lock = open(out / ".kpiscan.lock", "w")
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.write(str(os.getpid()))
            lock.flush()
        before = os.times()
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=900)
        finally:
            if lock is not None:
                lock.close()
        after = os.times()
        cpu = after.children_user + after.children_system - before.children_user - before.children_system
        lines = [line for line in proc.stderr.splitlines() if line.startswith(("error:", "skipped:"))]
        message = lines[0].replace(str(os.getpid()), "PID") if lines else "–"
        if len(lines) > 1:
            message += f" (+{len(lines) - 1} more)"
        if "Traceback" in proc.stderr:
            message = "TRACEBACK: " + proc.stderr.strip().splitlines()[-1]
        return Outcome(proc.returncode, message, _kept(out) if out.exists() and not case.lock else "–", cpu)


HEAD = """# Bad inputs: what `kpiscan scan` says and keeps

Generated by `PYTHONPATH=src python bench/bad_inputs.py --write docs/bad-inputs.md` (do not edit by
hand: re-run it); `tests/test_bad_inputs_doc.py` re-runs some cases and checks this table says what
they do. Each input is built from real text of corpora/001 (the table 聘用律师费) or a few bytes, in
a fresh directory, and scanned alone with `kpiscan scan FILE --out out --no-classify` in a new
process. A single file with any problem exits 1 (its records so far are still written); in a
directory run the same lines are printed and the exit code is 0 unless every file failed (or
`--strict`). Limits: `read.text.MAX_LINE_CHARS` {max_line:,} characters a line,
`read.text.MAX_LINES` {max_lines:,} lines a document, `pipeline.MAX_TABLE_ROWS` {max_rows:,} rows a
table, `read.files.MAX_FILE_BYTES` {max_bytes} MiB a file; past a line or table limit the rest is
kept as text, {chunk:,} lines an unparsed record, never dropped.

| input | exit | message (stderr, first line) | kept (records written) | CPU s |
|---|---|---|---|---|
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def parse_rows(text: str) -> dict[str, str]:
    """input -> its whole row of the doc's table (kept when only some cases run again)."""
    return {line.strip("|").split(" | ")[0].strip().replace("\\|", "|"): line for line in text.splitlines() if _is_row(line)}


def _is_row(line: str) -> bool:
    return line.startswith("| ") and not line.startswith(("| input", "|---"))


def table(outcomes: list[tuple[Case, Outcome]], old: dict[str, str] | None = None) -> str:
    from kpiscan.pipeline import MAX_TABLE_ROWS
    from kpiscan.read.files import MAX_FILE_BYTES
    from kpiscan.read.text import CHUNK_LINES, MAX_LINE_CHARS, MAX_LINES

    head = HEAD.format(
        max_line=MAX_LINE_CHARS, max_lines=MAX_LINES, max_rows=MAX_TABLE_ROWS, max_bytes=MAX_FILE_BYTES // 2**20, chunk=CHUNK_LINES
    )
    new = {
        c.name: f"| {_cell(c.name)} | {o.exit} | `{_cell(o.message)}` | {_cell(o.kept)} | {o.cpu:.1f} |" if o.message != "–"
        else f"| {_cell(c.name)} | {o.exit} | – | {_cell(o.kept)} | {o.cpu:.1f} |"
        for c, o in outcomes
    }
    rows = [new.get(c.name) or (old or {}).get(c.name) for c in CASES]
    return head + "\n".join(r for r in rows if r) + "\n"


def parse_doc(text: str) -> dict[str, tuple[int, str]]:
    """input -> (exit, message) of the doc's table."""
    out = {}
    for line in text.splitlines():
        if not _is_row(line):
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        out[cells[0].replace("\\|", "|")] = (int(cells[1]), cells[2].strip("`").replace("\\|", "|"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="case names separated by ; (default: all)")
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    chosen = [c for c in CASES if not args.only or c.name in args.only.split(";")]
    outcomes = []
    for case in chosen:
        o = run(case)
        print(f"{case.name}: exit {o.exit}: {o.message} | {o.kept} | {o.cpu:.1f} CPU s", flush=True)
        outcomes.append((case, o))
    if args.write:
        old = parse_rows(args.write.read_text(encoding="utf-8")) if args.only and args.write.exists() else None
        args.write.write_text(table(outcomes, old), encoding="utf-8")


if __name__ == "__main__":
    main()
