"""Loaders on real files: generated Thai PDF/DOCX/HTML, the Royal Gazette PDF, bad input."""

from pathlib import Path

import pytest

from index.chunking import MAX_CHARS, chunk_pages
from index.clean import clean_document
from index.documents import Page
from index.loaders import SkipFile, load_document
from index.sections import in_order_recall, section_numbers

from .conftest import CIRCULAR_PAGES, FIXTURES, GAZETTE, thai_pdf

LIMIT = 10**7


def test_pdf_pages_and_printed_numbers(tmp_path: Path) -> None:
    doc = load_document(thai_pdf(tmp_path / "c.pdf", CIRCULAR_PAGES, title="หนังสือเวียน"), LIMIT)
    pages = clean_document(doc)
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.printed for p in pages] == ["๑", "๒", "๓"]
    # the running header repeats on every page and is removed
    assert all("ที่ ทส ๐๐๑/๒๕๖๗" not in p.text for p in pages[1:])
    assert doc.meta["title"] == "หนังสือเวียน"
    chunks = chunk_pages(pages, "c", doc.paged)
    labels = [c.section for c in chunks]
    assert "ข้อ ๓" in labels and "ข้อ ๕" in labels
    assert next(c for c in chunks if c.section == "ข้อ ๓").page == 2


def test_gazette_sections_in_reading_order() -> None:
    doc = load_document(GAZETTE, LIMIT)
    chunks = chunk_pages(clean_document(doc), "gazette", doc.paged)
    reference = section_numbers((FIXTURES / "public_procurement_act_2560.txt").read_text("utf-8"))
    found = section_numbers("\n".join(c.text for c in chunks))
    assert in_order_recall(found, reference) >= 0.99
    assert not any("\u0e4d\u0e32" in c.text for c in chunks)  # no decomposed sara am left
    first = next(c for c in chunks if c.section == "มาตรา ๑")
    assert (first.page, first.printed_page) == (1, "๑๓")
    assert max(len(c.text) for c in chunks) <= MAX_CHARS


def test_docx_keeps_list_labels(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "แนวทางทดสอบ"
    d.add_paragraph("การพัฒนาทักษะดิจิทัลมีหลักการ ดังนี้")
    d.add_paragraph("(1) เรียนรู้ตลอดชีวิต")
    d.add_paragraph("(2) ใช้ข้อมูลในการตัดสินใจ")
    d.save(tmp_path / "g.docx")
    doc = load_document(tmp_path / "g.docx", LIMIT)
    assert doc.meta["title"] == "แนวทางทดสอบ"
    chunks = chunk_pages(clean_document(doc), "g", doc.paged)
    assert "(2) ใช้ข้อมูลในการตัดสินใจ" in chunks[0].text
    assert chunks[0].text.startswith("การพัฒนาทักษะดิจิทัล")  # lead-in stays with its list


def test_html_numbers_ordered_lists(tmp_path: Path) -> None:
    page = ("<html><head><title>ประกาศ</title><script>x=1</script></head><body>"
            "<h1>เป้าหมาย</h1><p>เป้าหมายมีดังนี้</p><ol><li>บริการดี</li><li>โปร่งใส</li></ol>"
            "</body></html>")
    (tmp_path / "p.html").write_text(page, "utf-8")
    doc = load_document(tmp_path / "p.html", LIMIT)
    text = clean_document(doc)[0].text
    assert "(2) โปร่งใส" in text and "x=1" not in text
    assert chunk_pages(clean_document(doc), "p", False)[0].heading_path == ["เป้าหมาย"]


def _encrypted(path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = thai_pdf(path.with_name("plain.pdf"), CIRCULAR_PAGES)
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _scanned(path: Path) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)  # an "image" of a page, no text layer
    c.showPage()
    c.save()
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: _write(p / "empty.txt", b""), "empty file"),
        (lambda p: _write(p / "blank.md", b"   \n\n "), "no text"),
        (lambda p: _write(p / "sheet.xlsx", b"PK\x03\x04data"), "unsupported file type"),
        (lambda p: _encrypted(p / "locked.pdf"), "encrypted PDF"),
        (lambda p: _write(p / "broken.pdf", b"%PDF-1.4\n1 0 obj garbage"), "corrupt"),
        (lambda p: _scanned(p / "scan.pdf"), "no text layer"),
        (lambda p: _write(p / "image.txt", bytes(range(256)) * 40), "binary data"),
        (lambda p: _write(p / "fake.docx", b"not a zip at all"), "corrupt or unreadable DOCX"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, make, reason: str) -> None:
    path = make(tmp_path)
    with pytest.raises(SkipFile, match=reason):
        load_document(path, LIMIT)


def test_size_limit(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.txt", "ข้อความ ".encode() * 1000)
    with pytest.raises(SkipFile, match="over the"):
        load_document(path, max_bytes=1000)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_wrapped_line_of_references_is_not_a_section_heading() -> None:
    """A Krisdika text wraps "… ตามมาตรา ๕ มาตรา ๖ / มาตรา ๗ มาตรา ๘ หรือมาตรา ๑๑ ต้องระวางโทษ …":
    the second line starts with "มาตรา ๗" but is the rest of มาตรา ๑๓, penalty included."""
    text = "\n".join(["มาตรา ๑๒ ", "ผู้ใดกระทำความผิดตามมาตรา ๕ ต้องระวางโทษจำคุกไม่เกินสามปี", " ",
                      "มาตรา ๑๓ ", "ผู้ใดจำหน่ายชุดคำสั่งเพื่อใช้กระทำความผิดตามมาตรา ๕ มาตรา ๖",
                      "มาตรา ๗ มาตรา ๘ หรือมาตรา ๑๑ ต้องระวางโทษจำคุกไม่เกินหนึ่งปี", " ",
                      "มาตรา ๑๔  ผู้ใดกระทำความผิดที่ระบุไว้ดังต่อไปนี้ ต้องระวางโทษจำคุกไม่เกินห้าปี"])
    chunks = chunk_pages([Page(text)], "act", paged=False)
    assert [c.section for c in chunks] == ["มาตรา ๑๒", "มาตรา ๑๓", "มาตรา ๑๔"]
    assert "ต้องระวางโทษจำคุกไม่เกินหนึ่งปี" in chunks[1].text
