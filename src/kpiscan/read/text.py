"""Reader for PDF-to-text conversions (.txt, .md): tab-separated cells or markdown pipe tables.

Every source line becomes one `Line` with its 1-based number, whatever it holds, so later stages
can cite it. Markdown separator rows (|---|---|) keep their number but carry no cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..model import Document, Line, new_lines
from ..patterns import cached_compile
from .cells import is_plain, merge_embedded
from .files import load_bytes

_MD_SEPARATOR = cached_compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_MD_HEADING = cached_compile(r"^#{1,6}\s+")
_PIPE_SPLIT = cached_compile(r"(?<!\\)\|")
_BUDGET_YEAR = cached_compile(r"(20\d\d)\s*年度")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_WIDE = (("utf-32-le", 4), ("utf-32-be", 4), ("utf-16-le", 2), ("utf-16-be", 2))
MAX_LINE_CHARS = 1_000_000  # a longer line is kept whole as an unparsed record, not split into cells
MAX_LINES = 200_000  # lines of a document read as table rows; the rest kept as text (kept_as_text)
CHUNK_LINES = 1_000  # lines past MAX_LINES (or a table's MAX_TABLE_ROWS) per unparsed record
LINE_LIMIT = "line-limit"  # the reason of those records


@dataclass
class Decoded:
    """A text file's lines (CR, LF and CRLF line ends all end a line), the encoding, and notes:
    (line, reason, text) of what could not be read as text, kept as unparsed records."""

    lines: list[str]
    encoding: str
    notes: list[tuple[int, str, str]] = field(default_factory=list)


def _split(text: str) -> list[str]:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _wide_encoding(data: bytes) -> str | None:
    """The UTF-16/32 variant of BOM-less bytes holding NULs, when one decodes them to text with
    line ends and (nearly) only printable characters; None: binary."""
    for enc, unit in _WIDE:
        try:
            text = data[: len(data) - len(data) % unit][:65536].decode(enc)
        except UnicodeDecodeError as e:
            if e.start < 65536 - 4:
                continue
            text = e.object[: e.start].decode(enc)
        if not text or "\x00" in text or not ("\n" in text or "\r" in text):
            continue
        if sum(c.isprintable() or c in "\t\r\n" for c in text) >= 0.95 * len(text):
            return enc
    return None


def _truncated_end(err: UnicodeDecodeError, size: int) -> bool:
    """The only bad bytes are an incomplete last character (a file cut in the middle of one)."""
    return err.end >= size and err.start >= size - 4 and any(w in err.reason for w in ("end of data", "incomplete", "truncated"))


def _line_of(data: bytes, offset: int) -> int:
    return len(_split(data[:offset].decode("latin-1")))


def decode_text(data: bytes, path: str) -> Decoded:
    """Decode a text file: a BOM (UTF-8/16/32), else UTF-16/32 recognised by its NULs, else UTF-8,
    else GB18030, else line by line (a file that mixes encodings: each line UTF-8 or GB18030;
    a line neither is read with U+FFFD for its bad bytes and noted). A last character cut off by
    the end of the file is dropped and noted. Binary data (NULs, not UTF-16/32) is an InputError."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is not None:
        data = data[len(next(b for b, e in _BOMS if e == encoding)) :]
    elif b"\x00" in data[:65536]:
        encoding = _wide_encoding(data)
        if encoding is None:
            check_binary(data, path)
    notes: list[tuple[int, str, str]] = []
    candidates = [encoding] if encoding not in (None, "utf-8") else ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return Decoded(_split(data.decode(enc)), enc)
        except UnicodeDecodeError as err:
            if _truncated_end(err, len(data)):
                text = data[: err.start].decode(enc, errors="replace")
                lines = _split(text)
                notes.append(
                    (
                        len(lines),
                        "truncated-character",
                        f"last character cut off by the end of the file ({data[err.start :].hex(' ')}): dropped",
                    )
                )
                return Decoded(lines, enc, notes)
            if enc not in ("utf-8", "gb18030"):  # UTF-16/32 with a bad code unit: keep the rest
                text = data.decode(enc, errors="replace")
                notes.append(
                    (_line_of(data, err.start), "undecodable-line", f"undecodable bytes ({data[err.start : err.end].hex(' ')}) as {enc}")
                )
                return Decoded(_split(text), enc, notes)
    return _decode_lines(data)


def _decode_lines(data: bytes) -> Decoded:
    """Line by line, each line UTF-8 else GB18030 (neither byte 0x0A nor 0x0D occurs inside a
    character of either); a line neither decodes is read with U+FFFD and noted."""
    raw = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    lines, notes, used = [], [], set()
    for number, chunk in enumerate(raw, start=1):
        for enc in ("utf-8", "gb18030"):
            try:
                lines.append(chunk.decode(enc))
                if not chunk.isascii():
                    used.add(enc)
                break
            except UnicodeDecodeError as err:
                if number == len(raw) and _truncated_end(err, len(chunk)):
                    lines.append(chunk[: err.start].decode(enc))
                    notes.append(
                        (
                            number,
                            "truncated-character",
                            f"last character cut off by the end of the file ({chunk[err.start :].hex(' ')}): dropped",
                        )
                    )
                    break
        else:
            text = chunk.decode("utf-8", errors="replace")
            lines.append(text)
            notes.append((number, "undecodable-line", f"neither utf-8 nor gb18030, read with U+FFFD: {text}"))
    return Decoded(lines, "mixed (" + ", ".join(sorted(used) or ["utf-8"]) + ")", notes)


def decode(data: bytes, path: str) -> tuple[str, str]:
    """The whole text and its encoding (`decode_text`, lines joined by LF; notes dropped)."""
    d = decode_text(data, path)
    return "\n".join(d.lines), d.encoding


def check_binary(data: bytes, path: str) -> None:
    head = data[:65536]
    if b"\x00" in head:
        line = head.count(b"\n", 0, head.index(b"\x00")) + 1
        raise InputError(path, "binary file (NUL byte), not a text conversion", line)


def split_cells(text: str) -> tuple[str, ...]:
    """Cells of one line: markdown pipes, else tabs, else the line as one cell (`split_lines`)."""
    return split_lines([text])[0]


def split_lines(texts: list[str]) -> list[tuple[str, ...]]:
    """The cells of each line (`split_cells`), a document's lines in one frame: most lines are
    blank or plain (no pipe, and their pieces `is_plain`), split here; the others by `_cells_of`."""
    out: list[tuple[str, ...]] = []
    add = out.append
    for text in texts:
        if not text:  # a blank line
            add(())
            continue
        if "|" not in text:  # no markdown row (most lines): a plain line's cells are its stripped pieces
            if "\t" in text:
                body = text.rstrip()  # trailing blank cells are dropped anyway
                if not body:
                    add(())
                    continue
                # without a space no piece has whitespace to strip (any other whitespace is unprintable:
                # is_plain fails and the full path reads the line)
                pieces = tuple(map(str.strip, body.split("\t"))) if " " in body else tuple(body.split("\t"))
                plain = "".join(pieces)
            else:
                one = text.strip()
                if one[:1] == "#":
                    one = _MD_HEADING.sub("", one)
                pieces = (one,) if one else ()
                plain = one
            if is_plain(plain):
                add(pieces)
                continue
        add(_cells_of(text))
    return out


def _cells_of(text: str) -> tuple[str, ...]:
    """`split_cells` of a line that is not blank or plain: pipes, tags, entities, space runs."""
    stripped = text.strip()
    if not stripped:  # a blank line (or only tabs): no cells
        return ()
    if stripped.startswith("|") and stripped.count("|") >= 2:
        if _MD_SEPARATOR.match(stripped):
            return ()
        inner = stripped[1:-1] if stripped.endswith("|") else stripped[1:]
        # str.split when no pipe is escaped: every pipe separates
        raw = [c.replace("\\|", "|") for c in _PIPE_SPLIT.split(inner)] if "\\|" in inner else inner.split("|")
    elif "\t" in text:
        raw = text.split("\t")
    else:
        raw = [_MD_HEADING.sub("", stripped) if stripped.startswith("#") else stripped]
    cells = merge_embedded(raw)
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


def budget_year(lines: list[Line]) -> int | None:
    """The document's budget year: the first "20XX年度" in its opening lines (its title)."""
    for line in lines[:400]:
        m = _BUDGET_YEAR.search(line.text) if "年度" in line.text else None
        if m:
            return int(m.group(1))
    return None


def kept_as_text(numbered: list[tuple[int, str]], reason: str = LINE_LIMIT) -> list[tuple[int, str, str]]:
    """Lines not read as table rows, kept whole: (the first line's number, `reason`, the texts of
    CHUNK_LINES lines joined by LF) per CHUNK_LINES lines; blank runs leave no record. Records of
    a thousand lines keep a million-line file's rest in memory as its text, not as a million
    records (nothing is lost: every line's text is in one record)."""
    out = []
    for k in range(0, len(numbered), CHUNK_LINES):
        chunk = numbered[k : k + CHUNK_LINES]
        text = "\n".join(t for _, t in chunk)
        if text.strip():
            out.append((chunk[0][0], reason, text))
    return out


def cap_lines(doc: Document) -> Document:
    """A document of more than MAX_LINES lines: the lines past it are kept as text (notes of
    reason LINE_LIMIT, CHUNK_LINES lines each), not read as table rows. Every reader's document
    passes here (read_document); the text reader caps before splitting cells."""
    if len(doc.lines) > MAX_LINES:
        rest, doc.lines = doc.lines[MAX_LINES:], doc.lines[:MAX_LINES]
        doc.notes = sorted(doc.notes + kept_as_text([(line.number, line.text) for line in rest]))
    return doc


def read_text(path: str | Path) -> Document:
    p = Path(path)
    data = load_bytes(p)
    decoded = decode_text(data, str(p))
    del data
    texts, notes = decoded.lines, decoded.notes
    if len(texts) > MAX_LINES:  # the rest is never split into cells
        notes += kept_as_text(list(enumerate(texts[MAX_LINES:], start=MAX_LINES + 1)))
        del texts[MAX_LINES:]
    if max(map(len, texts), default=0) > MAX_LINE_CHARS:  # such a line is kept whole, as a note
        for i, raw in enumerate(texts):
            if len(raw) > MAX_LINE_CHARS:
                notes.append((i + 1, "line-over-limit", raw))
                texts[i] = ""  # its Line: no text, no cells
    lines = new_lines(texts, split_lines(texts))
    doc = Document(path=str(p), name=p.name, lines=lines, encoding=decoded.encoding, notes=sorted(notes), paged=False)
    doc.year = budget_year(lines)
    return doc
