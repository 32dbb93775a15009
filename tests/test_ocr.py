"""OCR of scanned circulars and photos with the real Tesseract (Thai model), end to end: a page of
known Thai text rendered to an image-only PDF or a skewed, sideways photo is read, repaired,
indexed with its OCR flag and confidence, and answers its question. Skipped, with the reason,
where Tesseract or its Thai model is missing (`.ci/run` installs both)."""

import io
import shutil
from pathlib import Path

import pytest

from bot.admin import Admin, ocr_summary
from bot.state import open_database, sqlite_url
from index.build import build_index
from index.documents import LoadedDocument, Page
from index.loaders import SkipFile
from index.ocr import ENABLE_OCR_THAI, ocr_missing
from index.sandbox import ParseWorker
from index.store import load_index
from retrieval.answer import ask
from retrieval.search import open_retriever

from .conftest import CIRCULAR_PAGES, FIXTURES, thai_pdf

FONT = FIXTURES / "fonts" / "Laksaman.ttf"
SCANNED_CIRCULAR = [
    "หนังสือเวียนสำนักงานทดสอบ ที่ ทส ๐๐๓/๒๕๖๘",
    "เรื่อง การเก็บรักษาเอกสารที่สแกน",
    "ข้อ ๑ ให้เก็บรักษาหนังสือราชการที่สแกนไว้ไม่น้อยกว่าสิบห้าปี",
    "ข้อ ๒ ผู้อำนวยการกองกลางเป็นผู้รับผิดชอบการจัดเก็บเอกสารสแกน",
]
needs_tesseract = pytest.mark.skipif(ocr_missing() is not None,
                                     reason=f"OCR unavailable: {ocr_missing()}")


def render_page(lines: list[str], dpi: int = 300, size_pt: int = 16, angle: float = 0.0,
                noise: float = 0.0, seed: int = 0):
    """An A4 page image (PIL, grayscale) of ``lines`` set in TH Sarabun-like Laksaman with
    proper Thai shaping (Pillow's raqm layout), optionally rotated by ``angle`` degrees and
    sprinkled with ``noise`` (fraction of pixels flipped), as a scanner would produce it."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 72
    page = Image.new("L", (round(595 * scale), round(842 * scale)), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), size=round(size_pt * scale))
    y = 60 * scale
    for line in lines:
        draw.text((55 * scale, y), line, font=font, fill=0)
        y += size_pt * 1.6 * scale
    if angle:
        page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if noise:
        pixels = np.asarray(page).copy()
        flip = np.random.default_rng(seed).random(pixels.shape) < noise
        pixels[flip] = 255 - pixels[flip]
        page = Image.fromarray(pixels)
    return page


def scanned_pdf(path: Path, pages: list[list[str]], dpi: int = 300, **kw) -> Path:
    """An image-only PDF (no text layer), one rendered page image per page."""
    images = [render_page(lines, dpi, **kw) for lines in pages]
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


def test_without_tesseract_a_scan_is_skipped_with_how_to_enable_ocr(tmp_path: Path,
                                                                    monkeypatch) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", [SCANNED_CIRCULAR], dpi=100)
    monkeypatch.setenv("PATH", str(tmp_path))  # the worker finds no tesseract binary
    with ParseWorker() as worker, pytest.raises(SkipFile, match="apt-get install tesseract-ocr "
                                                              "tesseract-ocr-tha") as refused:
        worker.load(path, 10**8)
    assert refused.value.thai == ENABLE_OCR_THAI


def test_low_confidence_pages_are_named_in_the_upload_summary() -> None:
    loaded = LoadedDocument([Page("ก", 1, ocr_confidence=93.0), Page("ข", 2),
                             Page("ค", 3, ocr_confidence=41.2)], paged=True)
    assert ocr_summary(loaded) == "\nอ่านด้วย OCR: 2 หน้า\nหน้า 3: ความมั่นใจ OCR 41% โปรดตรวจสอบ"
    # a poor 300-page scan: the outcome still fits one chat message (Telegram: 4096 characters)
    poor = ocr_summary(LoadedDocument([Page("ก", n, ocr_confidence=40.0) for n in range(1, 301)], paged=True))
    assert "หน้า 30: ความมั่นใจ" in poor and "หน้า 31:" not in poor and len(poor) < 2000
    assert poor.endswith("และอีก 270 หน้าที่ความมั่นใจต่ำกว่า 70% โปรดตรวจสอบ")


@needs_tesseract
def test_only_pages_without_a_text_layer_are_ocrd(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in (thai_pdf(tmp_path / "text.pdf", CIRCULAR_PAGES[:2]),
                 scanned_pdf(tmp_path / "scan.pdf", [SCANNED_CIRCULAR])):
        for page in PdfReader(part).pages:
            writer.add_page(page)
    with (tmp_path / "mixed.pdf").open("wb") as fh:
        writer.write(fh)
    with ParseWorker() as worker:
        doc = worker.load(tmp_path / "mixed.pdf", 10**8)
    assert [p.ocr_confidence is not None for p in doc.pages] == [False, False, True]
    assert doc.pages[2].ocr_confidence > 70
    assert "ไม่น้อยกว่าสิบห้าปี" in doc.pages[2].text


@needs_tesseract
def test_sideways_skewed_photo_is_turned_upright_and_read(tmp_path: Path) -> None:
    photo = render_page(SCANNED_CIRCULAR, dpi=200, angle=1.5).rotate(90, expand=True)
    buf = io.BytesIO()
    photo.convert("RGB").save(buf, "JPEG", quality=85)
    (tmp_path / "photo.jpg").write_bytes(buf.getvalue())
    with ParseWorker() as worker:
        doc = worker.load(tmp_path / "photo.jpg", 10**8)
    (page,) = doc.pages
    assert page.ocr_confidence > 70 and "ผู้อำนวยการกองกลาง" in page.text.replace("ํา", "ำ")


@needs_tesseract
def test_scanned_upload_is_indexed_flagged_and_answers(small_docs: Path, small_index: Path,
                                                       retriever, tmp_path: Path) -> None:
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(small_docs, docs)
    shutil.copytree(small_index, index_dir, symlinks=True)
    admin = Admin(docs, index_dir, retriever.embedder, 10**8,
                  open_database(sqlite_url(tmp_path / "data.sqlite3")))
    data = scanned_pdf(tmp_path / "scan.pdf", [SCANNED_CIRCULAR]).read_bytes()
    result = admin.add_document("หนังสือเวียน สแกน.pdf", data, "telegram:1")
    assert result.ok and "อ่านด้วย OCR: 1 หน้า" in result.message, result.message
    published = load_index(index_dir)
    doc = published.documents["หนังสือเวียน_สแกน"]
    assert list(doc.ocr_pages) == ["1"] and doc.ocr_pages["1"] > 70
    scanned = [c for c in published.chunks if c.doc_id == doc.doc_id and c.role != "metadata"]
    assert scanned and all(c.ocr and c.ocr_confidence == doc.ocr_pages["1"] for c in scanned)
    answer = ask(open_retriever(published, retriever.embedder),
                 "หนังสือราชการที่สแกนต้องเก็บรักษาไว้กี่ปี")
    assert not answer.abstained and answer.citations[0].doc_id == doc.doc_id
    assert "สิบห้าปี" in answer.answer


@needs_tesseract
def test_build_reads_scans_and_skips_nothing(tmp_path: Path, retriever) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    scanned_pdf(docs / "scan.pdf", [SCANNED_CIRCULAR], dpi=300, angle=-1.0, noise=0.002)
    report = build_index(docs, tmp_path / "index", retriever.embedder, 10**8)
    assert report.published and report.added == ["scan"] and not report.skipped


@needs_tesseract
def test_unsure_latin_words_on_a_thai_page_are_reread_as_thai() -> None:
    """On full guideline pages Tesseract's tha+eng read "4 เรื่อง" as "4 as" (68%) and a whole
    Thai line as "i erat ea ma ie pe" (20-50%); which words it misreads depends on the whole
    page, so the first reading is given here (word boxes from the font's real geometry) and
    the second reading is the real Tesseract on the real image. A real English word that reads
    unsure ("Service)" at 13%) must stay: its Thai reading is not made of Thai words. A line of
    short unsure Latin fragments ("AQ YY", the tails of ฐ under the line above) is dropped."""
    from PIL import ImageFont

    from index.ocr import _reread_unsure_latin

    line = "กำหนดแผนงานหลักไว้ จำนวน 4 เรื่อง ได้แก่ (Smart Service)"
    image = render_page([line], dpi=300, noise=0.002)
    font = ImageFont.truetype(str(FONT), size=round(16 * 300 / 72))
    x0, y0 = 55 * 300 / 72, 60 * 300 / 72
    _, top, _, bottom = font.getbbox(line)
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows, read = [header], []
    for n, (word, shown, conf) in enumerate([("กำหนดแผนงานหลักไว้", "กำหนดแผนงานหลักไว้", 93),
                                             ("จำนวน", "จำนวน", 95), ("4", "4", 96),
                                             ("เรื่อง", "as", 40), ("ได้แก่", "ได้แก่", 94),
                                             ("(Smart", "(Smart", 94), ("Service)", "Service)", 13)]):
        left = x0 + font.getlength(line[:line.index(word)])
        rows.append(f"5\t1\t1\t1\t1\t{n + 1}\t{int(left)}\t{int(y0 + top)}\t"
                    f"{int(font.getlength(word))}\t{int(bottom - top)}\t{conf}\t{shown}")
        read.append(shown)
    # The tails of ฐ and the lower vowels read as a line of their own: dropped.
    rows += ["5\t1\t1\t2\t1\t1\t300\t400\t60\t30\t72.6\tAQ", "5\t1\t1\t2\t1\t2\t400\t400\t60\t30\t51.9\tYY"]
    first = " ".join(read) + "\n\nAQ YY\n"
    second = _reread_unsure_latin(image, first, "\n".join(rows) + "\n")
    assert "AQ" not in second and "YY" not in second, second
    assert "as" not in second.split() and ("เรื่อง" in second or "เรือง" in second), second
    assert second.startswith("กำหนดแผนงานหลักไว้ จำนวน 4 "), second
    assert second.rstrip().endswith(" ได้แก่ (Smart Service)"), second
