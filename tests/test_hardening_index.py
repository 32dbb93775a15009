"""Index-side hardening: damaged files skip only themselves, uploads are audited and leave nothing
behind, damaged or tampered index versions are refused, a full disk is reported and cleaned up.
Real files, the real embedder, FAISS and SQLite throughout."""

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from bot.admin import Admin
from bot.records import connect, read_audit
from index.build import build_index
from index.loaders import SkipFile, load_document

from .conftest import CIRCULAR_PAGES, thai_pdf

LIMIT = 10**7


def cut_docx(path: Path) -> Path:
    """A real DOCX whose word/document.xml is cut in half (lxml raises XMLSyntaxError)."""
    import docx

    doc = docx.Document()
    for n in range(1, 6):
        doc.add_paragraph(f"ข้อ {n} ให้หน่วยงานจัดเก็บเอกสารที่ได้รับอย่างเป็นระบบและตรวจสอบได้")
    whole = io.BytesIO()
    doc.save(whole)
    src = zipfile.ZipFile(whole)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info)
            z.writestr(info, data[: len(data) // 2] if info.filename == "word/document.xml" else data)
    path.write_bytes(out.getvalue())
    return path


def deep_html(path: Path, depth: int = 300) -> Path:
    path.write_text("<html><body>" + "<div>" * depth + "ข้อความที่ซ้อนลึก" + "</div>" * depth
                    + "<p>ท้ายเอกสาร</p></body></html>", "utf-8")
    return path


@pytest.fixture
def admin(small_docs: Path, small_index: Path, retriever, tmp_path: Path) -> Admin:
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(small_docs, docs)
    shutil.copytree(small_index, index_dir, symlinks=True)
    return Admin(docs, index_dir, retriever.embedder, LIMIT, connect(tmp_path / "data.sqlite3"))


def test_damaged_docx_beside_a_valid_pdf_skips_only_the_docx(tmp_path: Path, retriever) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    thai_pdf(docs / "circular.pdf", CIRCULAR_PAGES)
    cut_docx(docs / "damaged.docx")
    report = build_index(docs, tmp_path / "index", retriever.embedder, LIMIT)
    assert report.published and report.added == ["circular"]
    (name, reason), = report.skipped
    assert name == "damaged.docx" and "XMLSyntaxError" in reason


def test_html_nested_too_deep_is_refused_not_cut(tmp_path: Path) -> None:
    with pytest.raises(SkipFile, match="nested deeper than 255 levels"):
        load_document(deep_html(tmp_path / "deep.html"), LIMIT)
    shallow = load_document(deep_html(tmp_path / "ok.html", depth=100), LIMIT)
    assert "ท้ายเอกสาร" in shallow.pages[0].text


@pytest.mark.parametrize(("name", "why"), [
    ("README.md", "สงวนไว้"),
    ("readme.MD", "สงวนไว้"),
    ("LICENSE", "สงวนไว้"),
    (".hidden.md", "ไฟล์ซ่อน"),
    ("circular.pdf.meta.json", "สงวนไว้"),
    ("../../etc/passwd.txt", "/"),
    ("a\x00b.pdf", "NUL"),
    ("ก" * 300 + ".pdf", "ยาวเกิน"),
])
def test_reserved_and_unsafe_upload_names_are_refused_and_audited(admin: Admin, name: str,
                                                                    why: str) -> None:
    before = sorted(p.name for p in admin.docs_dir.iterdir())
    result = admin.add_document(name, "ข้อความทดสอบ".encode(), "telegram:1")
    assert not result.ok and why in result.message
    assert sorted(p.name for p in admin.docs_dir.iterdir()) == before
    (entry,) = read_audit(admin.db)
    assert (entry.action, entry.outcome) == ("upload", "refused") and "\x00" not in entry.target


def test_damaged_upload_is_refused_audited_and_not_stored(admin: Admin, tmp_path: Path) -> None:
    data = cut_docx(tmp_path / "x.docx").read_bytes()
    before = sorted(p.name for p in admin.docs_dir.iterdir())
    result = admin.add_document("ระเบียบ.docx", data, "telegram:1")
    assert not result.ok and "XMLSyntaxError" in result.message
    assert sorted(p.name for p in admin.docs_dir.iterdir()) == before
    (entry,) = read_audit(admin.db)
    assert (entry.target, entry.outcome) == ("ระเบียบ.docx", "refused")


def test_failing_build_is_audited_as_error_and_leaves_no_file(admin: Admin, tmp_path: Path) -> None:
    admin.index_dir = tmp_path / "not-a-directory"
    admin.index_dir.write_text("a file where the index directory should be")
    before = sorted(p.name for p in admin.docs_dir.iterdir())
    result = admin.add_document("new.md", "ศูนย์ข้อมูลทดสอบเปิดทุกวันจันทร์".encode(), "telegram:1")
    assert not result.ok and "ไม่สำเร็จ" in result.message
    assert sorted(p.name for p in admin.docs_dir.iterdir()) == before
    (entry,) = read_audit(admin.db)
    assert (entry.target, entry.outcome) == ("new.md", "error")
