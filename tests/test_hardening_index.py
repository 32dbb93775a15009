"""Index-side hardening: damaged files skip only themselves, uploads are audited and leave nothing
behind, damaged or tampered index versions are refused, a full disk is reported and cleaned up.
Real files, the real embedder, FAISS and SQLite throughout."""

import io
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest

from bot.admin import Admin
from bot.cli import main as cli
from bot.state import open_database, read_audit, sqlite_url
from index.build import build_index
from index.limits import ParseLimits
from index.loaders import SkipFile, load_document
from index.sandbox import ParseWorker
from index.store import IndexUnavailable, current_version, load_index, publish, write_version
from index.verify import write_manifest
from retrieval.answer import ask
from retrieval.live import LiveRetriever
from retrieval.search import open_retriever

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
    return Admin(docs, index_dir, retriever.embedder, LIMIT,
                 open_database(sqlite_url(tmp_path / "data.sqlite3")))


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


# --- consistent and verified index versions ------------------------------------------------------

QUESTION = "หนังสือราชการอิเล็กทรอนิกส์ต้องเก็บกี่ปี"


def flip_bit(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x04
    path.write_bytes(bytes(data))


def version_files(index_dir: Path) -> list[Path]:
    version = index_dir / "versions" / current_version(index_dir)
    return sorted(p for p in version.rglob("*") if p.is_file())


def test_every_file_of_a_version_is_verified(workdir: tuple[Path, Path], capsys) -> None:
    _, index_dir = workdir
    assert cli(["index", "verify", "--index", str(index_dir)]) == 0
    files = version_files(index_dir)
    names = {p.name for p in files}
    assert {"manifest.json", "manifest.sha256", "chunks.jsonl", "vectors.npy", "offsets.npy"} <= names
    for path in files:
        original = path.read_bytes()
        flip_bit(path)
        capsys.readouterr()
        assert cli(["index", "verify", "--index", str(index_dir)]) == 1, path
        err = capsys.readouterr().err
        assert "rebuild or roll back" in err, (path, err)
        path.write_bytes(original)
    assert cli(["index", "verify", "--index", str(index_dir)]) == 0


def test_follower_keeps_serving_when_the_new_version_is_damaged(
        workdir: tuple[Path, Path], retriever, caplog) -> None:
    docs, index_dir = workdir
    live = LiveRetriever(index_dir, retriever.embedder, interval=0)
    before = live.current().index.version
    (docs / "note.md").write_text("การประชุมทดสอบจัดทุกวันพุธ เวลาเก้าโมงเช้า", "utf-8")
    report = build_index(docs, index_dir, retriever.embedder, LIMIT)
    assert report.published
    flip_bit(index_dir / "versions" / report.version / "vectors.npy")
    assert live.current().index.version == before and live.refused == report.version
    assert any("refused" in r.message and report.version in r.message for r in caplog.records)
    answer = ask(live.current(), QUESTION)
    assert not answer.abstained and answer.citations[0].doc_id == "circular"


def test_publish_refuses_a_version_that_fails_verification(workdir: tuple[Path, Path]) -> None:
    _, index_dir = workdir
    before = current_version(index_dir)
    published = load_index(index_dir)
    bad = "20000101T000000000000Z"
    write_version(index_dir, bad, {**published.manifest, "previous": before}, published.chunks,
                  published.all_vectors(), [["ก"]] * len(published.chunks), published.glossary)
    flip_bit(index_dir / "versions" / bad / "chunks.jsonl")
    with pytest.raises(IndexUnavailable, match="failed verification"):
        publish(index_dir, bad)
    assert current_version(index_dir) == before


def drop_trailing_chunks(index_dir: Path, n: int = 5, reseal: bool = False) -> None:
    """Lose the last ``n`` lines of chunks.jsonl; with ``reseal`` rewrite the checksums too, as a
    faulty writer would, so that only the count check can notice."""
    version = index_dir / "versions" / current_version(index_dir)
    lines = (version / "chunks.jsonl").read_text("utf-8").splitlines(keepends=True)
    (version / "chunks.jsonl").write_text("".join(lines[:-n]), "utf-8")
    if reseal:
        manifest = json.loads((version / "manifest.json").read_text("utf-8"))
        write_manifest(version, {k: v for k, v in manifest.items() if k != "files"})


@pytest.mark.parametrize("reseal", [False, True], ids=["checksums", "counts"])
def test_a_version_that_lost_chunks_is_refused_and_rebuilt(workdir: tuple[Path, Path], retriever,
                                                           reseal: bool) -> None:
    docs, index_dir = workdir
    damaged = current_version(index_dir)
    total = len(load_index(index_dir).chunks)
    drop_trailing_chunks(index_dir, reseal=reseal)
    with pytest.raises(IndexUnavailable, match="rebuild or roll back") as err:
        load_index(index_dir)
    assert ("its offsets say" if reseal else "does not match its checksum") in str(err.value)
    report = build_index(docs, index_dir, retriever.embedder, LIMIT)  # notices, re-embeds all
    assert report.published and report.version != damaged and report.embedded == total
    rebuilt = load_index(index_dir)
    assert len(rebuilt.chunks) == total
    assert not ask(open_retriever(rebuilt, retriever.embedder), QUESTION).abstained


def test_stale_publish_links_are_removed(workdir: tuple[Path, Path], retriever) -> None:
    docs, index_dir = workdir
    stale = index_dir / "current.tmp-999999"
    stale.symlink_to("versions/gone")
    build_index(docs, index_dir, retriever.embedder, LIMIT)
    assert not stale.is_symlink()


def test_full_disk_during_a_build_is_reported_and_cleaned_up(tmp_path: Path, small_docs: Path,
                                                             small_index: Path, retriever) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], check=True,
                       capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"a small tmpfs cannot be mounted here (needs root): {exc}")
    try:
        docs, index_dir = tmp_path / "docs", disk / "index"
        shutil.copytree(small_docs, docs)
        shutil.copytree(small_index, index_dir, symlinks=True)
        before = current_version(index_dir)
        stat = os.statvfs(disk)
        (disk / "filler").write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 64 * 1024))
        (docs / "note.md").write_text("การประชุมทดสอบจัดทุกวันพุธ เวลาเก้าโมงเช้า", "utf-8")
        with pytest.raises(IndexUnavailable, match=r"the disk is full.*free disk space"):
            build_index(docs, index_dir, retriever.embedder, LIMIT)
        assert [p.name for p in (index_dir / "versions").iterdir() if p.name.startswith(".tmp-")] == []
        assert current_version(index_dir) == before
        assert not ask(open_retriever(load_index(index_dir), retriever.embedder), QUESTION).abstained
        (disk / "filler").unlink()
        assert build_index(docs, index_dir, retriever.embedder, LIMIT).published
    finally:  # lazily: the retriever above still maps files of the mount
        subprocess.run(["umount", "--lazy", str(disk)], check=False, timeout=30)


# --- hostile files: parsed in a limited worker process, refused with the limit named -----------

def _docx_with(path: Path, document_xml: bytes | None = None, extra: tuple[str, int] | None = None
               ) -> Path:
    """A real DOCX (python-docx) with its document.xml replaced, or with an extra member of
    ``extra[1]`` MB of spaces (streamed: the test never holds it in memory)."""
    import docx

    whole = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("ข้อ ๑ ให้หน่วยงานจัดเก็บเอกสาร")
    d.save(whole)
    src = zipfile.ZipFile(whole)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            z.writestr(info.filename, document_xml if document_xml and
                       info.filename == "word/document.xml" else data)
        if extra:
            with z.open(extra[0], "w", force_zip64=True) as fh:
                for _ in range(extra[1]):
                    fh.write(b" " * (1 << 20))
    return path


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
          b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")


def _many_pages_pdf(path: Path, pages: int = 3000) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _javascript_pdf(path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    for page in PdfReader(thai_pdf(path.with_name(".plain-js.pdf"), CIRCULAR_PAGES)).pages:
        writer.add_page(page)
    writer.add_open_action(JavaScript("app.alert('hello');"))
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _huge_png(path: Path, side: int = 100_000) -> Path:
    """A tiny PNG file whose header claims side x side pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))
    return path


HOSTILE = [
    # (file name, maker, expected English reason, expected Thai refusal)
    ("bomb.docx", lambda p: _docx_with(p, extra=("word/media/pad.xml", 210)),
     "over the 200 MB limit", "ไฟล์ขยายตัวเกิน 200 MB เมื่อแตกไฟล์"),
    ("squeezed.docx", lambda p: _docx_with(p, extra=("word/media/pad.xml", 30)),
     "over the 100:1 limit", "ไฟล์ถูกบีบอัดมากผิดปกติ"),
    ("laughs.docx", lambda p: _docx_with(p, document_xml=LAUGHS),
     "declares a DTD or entities", "DTD/entity"),
    ("deep.html", lambda p: deep_html(p, depth=100_000), "nested deeper than 255", "ซ้อนกันลึกเกิน 255 ชั้น"),
    ("pages.pdf", _many_pages_pdf, "3000 pages, over the 2000 page limit", "PDF มี 3000 หน้า เกินกำหนด"),
    ("script.pdf", _javascript_pdf, "JavaScript", "PDF มี JavaScript"),
    ("huge.png", _huge_png, "10000 megapixels, over the 60 megapixel limit", "รูปภาพใหญ่เกินกำหนด"),
    ("wide.png", lambda p: _huge_png(p, side=9000), "9000x9000 pixels", "รูปภาพใหญ่เกินกำหนด"),
]


@pytest.mark.parametrize(("name", "make", "reason", "thai"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused_quickly_within_the_memory_cap(tmp_path: Path, name: str, make,
                                                               reason: str, thai: str) -> None:
    path = make(tmp_path / name)
    started = time.monotonic()
    with ParseWorker() as worker:
        with pytest.raises(SkipFile) as refused:
            worker.load(path, 10**8)
        peak = worker.peak_memory_mb()
    assert reason in str(refused.value) and thai in refused.value.thai
    assert time.monotonic() - started < 30 and peak < 1024, (time.monotonic() - started, peak)


def test_worker_overrunning_its_time_is_killed_and_replaced(tmp_path: Path) -> None:
    path = thai_pdf(tmp_path / "circular.pdf", CIRCULAR_PAGES)
    with ParseWorker(ParseLimits(wall_seconds=0)) as worker:
        with pytest.raises(SkipFile, match="took longer than 0 s") as refused:
            worker.load(path, LIMIT)
        assert "อ่านไฟล์นานเกิน" in refused.value.thai
    with ParseWorker() as worker:  # a fresh worker reads it
        assert "สารบรรณอิเล็กทรอนิกส์" in worker.load(path, LIMIT).pages[0].text


def test_worker_memory_cap_refuses_a_file_that_needs_more(tmp_path: Path) -> None:
    page = "".join(f"<p>ข้อ {n} ข้อความทดสอบหน่วยความจำ</p>" for n in range(100_000))  # 9 MB
    (tmp_path / "big.html").write_text(f"<html><body>{page}</body></html>", "utf-8")
    (tmp_path / "small.html").write_text("<p>ข้อความทดสอบขนาดเล็กสำหรับตรวจการอ่าน</p>", "utf-8")
    with ParseWorker(ParseLimits(memory_mb=150)) as worker:  # reading it takes about 120 MB more
        with pytest.raises(SkipFile, match="more than 150 MB of memory") as refused:
            worker.load(tmp_path / "big.html", 10**8)
        assert "หน่วยความจำเกิน 150 MB" in refused.value.thai
        assert "ข้อความทดสอบ" in worker.load(tmp_path / "small.html", LIMIT).pages[0].text


def test_hostile_uploads_are_refused_in_thai_while_questions_are_answered(
        admin: Admin, tmp_path: Path, retriever) -> None:
    live = LiveRetriever(admin.index_dir, retriever.embedder, interval=0)
    files = [(name, make(tmp_path / name).read_bytes(), thai) for name, make, _, thai in HOSTILE]
    results: list = []
    uploads = threading.Thread(target=lambda: results.extend(
        (admin.add_document(name, data, "telegram:1"), thai) for name, data, thai in files))
    uploads.start()
    answered = 0
    while uploads.is_alive() or not answered:
        assert not ask(live.current(), QUESTION).abstained
        answered += 1
    uploads.join()
    assert len(results) == len(HOSTILE)
    for result, thai in results:
        assert not result.ok and thai in result.message, result.message
    assert [e.outcome for e in read_audit(admin.db)] == ["refused"] * len(HOSTILE)
    assert not ask(live.current(), QUESTION).abstained


def test_build_skips_hostile_files_and_publishes_the_rest(tmp_path: Path, retriever) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    thai_pdf(docs / "circular.pdf", CIRCULAR_PAGES)
    for name, make, _, _ in HOSTILE:
        make(docs / name)
    report = build_index(docs, tmp_path / "index", retriever.embedder, 10**8)
    assert report.published and report.added == ["circular"]
    reasons = dict(report.skipped)
    for name, _, reason, _ in HOSTILE:
        assert reason in reasons[name]
