"""Read a document file into pages of raw text (.md/.txt, .pdf, .docx, .html).

Every refusal raises :class:`SkipFile` with a one-line reason an admin can act on. Files come
from anyone who can upload: the limits in :mod:`index.limits` are checked before parsing, and
:mod:`index.sandbox` runs this module in a separate, resource-limited process.
"""

import json
import logging
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from .documents import LoadedDocument, Page
from .limits import (
    DEFAULT_LIMITS,
    HTML_MAX_DEPTH,
    MB,
    ParseLimits,
    SkipFile,
    check_html,
    check_pdf,
    check_pixels,
    check_zip,
)
from .ocr import DPI, ENABLE_OCR, ENABLE_OCR_THAI, ocr_image, ocr_missing

# Called after each OCR'd page, so the sandbox knows a long OCR run is still making progress.
OnPage = Callable[[int], None]

SUPPORTED_SUFFIXES = (".md", ".txt", ".pdf", ".docx", ".html", ".htm", ".jpg", ".jpeg", ".png")
META_SUFFIX = ".meta.json"
# A page with fewer characters than this carries no usable text layer.
_MIN_CHARS_PER_PAGE = 20
log = logging.getLogger(__name__)
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


__all__ = ["META_SUFFIX", "SUPPORTED_SUFFIXES", "SkipFile", "load_document", "read_sidecar"]


def load_document(path: Path, max_bytes: int, limits: ParseLimits = DEFAULT_LIMITS,
                  on_page: OnPage | None = None) -> LoadedDocument:
    """Load ``path`` with the metadata the file itself declares (front matter, PDF title).
    Scanned PDF pages and photos are read by OCR when Tesseract is installed."""
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise SkipFile(f"unsupported file type '{suffix or path.name}'")
    size = path.stat().st_size
    if size == 0:
        raise SkipFile("empty file")
    if size > max_bytes:
        raise SkipFile(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
    try:
        doc = loader(path.read_bytes(), limits, on_page or (lambda _page: None))
    except SkipFile:
        raise
    except MemoryError as exc:
        raise SkipFile(f"file needs more than {limits.memory_mb} MB of memory to read",
                       f"ไฟล์ต้องใช้หน่วยความจำเกิน {limits.memory_mb} MB") from exc
    except Exception as exc:
        # Parsers of damaged or hostile files raise anything (lxml's XMLSyntaxError, struct
        # errors, ...): one bad file must be skipped, never stop the whole build.
        raise SkipFile(f"corrupt or unreadable {suffix[1:].upper()} file "
                       f"({type(exc).__name__}: {exc})") from exc
    if not any(page.text.strip() for page in doc.pages):
        raise SkipFile("no text in file")
    return doc


def read_sidecar(path: Path) -> dict[str, str]:
    """Metadata from the optional ``<file>.meta.json`` next to ``path`` (empty when absent)."""
    sidecar = path.with_name(path.name + META_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        return {k: str(v) for k, v in json.loads(sidecar.read_text("utf-8")).items()}
    except (ValueError, UnicodeDecodeError, AttributeError) as exc:
        raise SkipFile(f"unreadable metadata file {sidecar.name}: {exc}") from exc


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise SkipFile("binary data, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp874")  # TIS-620 family, still common for Thai circulars
        except UnicodeDecodeError as exc:
            raise SkipFile("binary data, not UTF-8 or TIS-620 text") from exc
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\r\n\t\f")
    if controls > 0.01 * min(len(text), 8192):
        raise SkipFile("binary data, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_text(data: bytes, limits: ParseLimits, on_page: OnPage) -> LoadedDocument:
    text = _decode_text(data)
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip()] = value.strip().strip('"')
        text = text[match.end() :]
    return LoadedDocument(pages=[Page(text)], meta=meta)


def _load_pdf(data: bytes, limits: ParseLimits, on_page: OnPage) -> LoadedDocument:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise SkipFile("encrypted PDF (password protected)") from exc
        raise SkipFile(f"corrupt or unreadable PDF ({exc})") from exc
    try:
        check_pdf(pdf, data, limits)
        pages = []
        scanned = []  # pages without a usable text layer that carry an image: OCR them
        for i in range(len(pdf)):
            page = pdf[i]
            pages.append(Page(page.get_textpage().get_text_range(), number=i + 1))
            if len(pages[-1].text.strip()) < _MIN_CHARS_PER_PAGE and any(
                    True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,))):
                scanned.append(i)
        missing = ocr_missing() if scanned else None
        if scanned and not missing:
            _ocr_pages(pdf, pages, scanned, limits, on_page)
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
    if not pages:
        raise SkipFile("PDF has no pages")
    if sum(len(p.text.strip()) for p in pages) < _MIN_CHARS_PER_PAGE * len(pages):
        if missing:
            raise SkipFile(f"PDF has no text layer (scanned); to read it by OCR, {ENABLE_OCR}",
                           ENABLE_OCR_THAI)
        raise SkipFile("PDF has no text layer, and OCR found no text in it" if scanned
                       else "PDF has no text layer and no scanned page images")
    if missing:
        log.warning("%d scanned pages left out: %s", len(scanned), missing)
    # Word's print driver puts the source file name into the title; it is not a title.
    meta = {"title": title} if title and not re.search(r"\.(docx?|rtf|pdf)$", title) else {}
    return LoadedDocument(pages=pages, meta=meta, paged=True)


def _ocr_pages(pdf, pages: list[Page], scanned: list[int], limits: ParseLimits,
               on_page: OnPage) -> None:
    """Replace the text of the ``scanned`` pages with what OCR reads on them at 300 dpi."""
    if len(scanned) > limits.ocr_pages:
        raise SkipFile(f"PDF has {len(scanned)} scanned pages, over the {limits.ocr_pages} page "
                       "OCR limit", f"PDF มีหน้าสแกน {len(scanned)} หน้า เกินกำหนด "
                       f"{limits.ocr_pages} หน้าสำหรับ OCR")
    scale = DPI / 72
    for i in scanned:
        width, height = pdf[i].get_size()
        check_pixels(round(width * scale), round(height * scale), limits.page_megapixels,
                     f"page {i + 1} at {DPI} dpi", f"หน้า {i + 1} ")
        read = ocr_image(pdf[i].render(scale=scale, grayscale=True).to_pil())
        pages[i] = Page(read.text, number=i + 1, ocr_confidence=read.confidence)
        on_page(i + 1)


def _load_image(data: bytes, limits: ParseLimits, on_page: OnPage) -> LoadedDocument:
    """A photo or scan of a page (JPG/PNG): one OCR'd page, turned upright by its EXIF
    orientation before Tesseract's own orientation check and deskew."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        # Our limit, with the size named, instead of Pillow's generic decompression-bomb error.
        check_pixels(*image.size, limits.image_megapixels, "image", "รูปภาพ")
        if missing := ocr_missing():
            raise SkipFile(f"a photo can only be read by OCR: {missing}", ENABLE_OCR_THAI)
        image = ImageOps.exif_transpose(image)
        image.load()
    except Image.DecompressionBombError as exc:  # far over Pillow's own limit, even before ours
        pixels = int(re.search(r"\((\d+) pixels\)", str(exc)).group(1))
        raise SkipFile(f"image is {pixels / MB:.0f} megapixels, over the {limits.image_megapixels} "
                       "megapixel limit", f"รูปภาพใหญ่เกินกำหนด ({pixels / MB:.0f} ล้านพิกเซล เกิน "
                       f"{limits.image_megapixels} ล้านพิกเซล)") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise SkipFile(f"corrupt or unreadable image ({exc})") from exc
    read = ocr_image(image)
    on_page(1)
    return LoadedDocument(pages=[Page(read.text, number=1, ocr_confidence=read.confidence)],
                          paged=True)


def _load_docx(data: bytes, limits: ParseLimits, on_page: OnPage) -> LoadedDocument:
    import io

    from docx2python import docx2python

    check_zip(data, limits)

    try:
        with docx2python(io.BytesIO(data)) as docx:
            text = docx.text
            title = (docx.core_properties.get("title") or "").strip()
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SkipFile(f"corrupt or unreadable DOCX ({exc})") from exc
    # docx2python renders list labels as "1)\t"; keep them, drop the tab.
    text = re.sub(r"^(\S{1,6})\t", r"\1 ", text, flags=re.MULTILINE)
    return LoadedDocument(pages=[Page(text)], meta={"title": title} if title else {})


_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
               "article", "blockquote", "pre", "table", "ul", "ol", "dd", "dt"}


def _load_html(data: bytes, limits: ParseLimits, on_page: OnPage) -> LoadedDocument:
    from lxml import etree, html

    check_html(data, limits)

    if b"\x00" in data[:8192]:
        raise SkipFile("binary data, not HTML")
    try:
        data.decode("utf-8")
        encoding: str | None = "utf-8"
    except UnicodeDecodeError:
        encoding = None  # let lxml read the page's own charset declaration
    parser = html.HTMLParser(encoding=encoding)
    try:
        root = html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise SkipFile(f"unreadable HTML ({exc})") from exc
    # libxml2 stops at 256 levels and drops everything deeper without raising: refuse instead.
    if any(e.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT for e in parser.error_log):
        raise SkipFile(f"HTML nested deeper than {HTML_MAX_DEPTH} levels; its text would be lost",
                       f"HTML ซ้อนกันลึกเกิน {HTML_MAX_DEPTH} ชั้น ข้อความส่วนลึกจะหายไป")
    titles = root.xpath("//title/text()")
    for bad in root.xpath("//head|//script|//style|//nav|//header|//footer|//noscript"):
        bad.drop_tree()
    for ol in root.iter("ol"):
        for n, li in enumerate(ol.findall("li"), start=1):
            li.text = f"({n}) " + (li.text or "")
    for level in range(1, 7):
        for h in root.iter(f"h{level}"):
            h.text = "#" * level + " " + (h.text or "")
    parts: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _BLOCK_TAGS:
            parts.append("\n\n")
        if el.text:
            parts.append(el.text)
        if el.tail:
            parts.append(el.tail)
    text = re.sub(r"[ \t]*\n[ \t\n]*\n", "\n\n", "".join(parts)).strip()
    return LoadedDocument(pages=[Page(text)], meta={"title": titles[0].strip()} if titles else {})


_LOADERS: dict[str, Callable[[bytes, ParseLimits, OnPage], LoadedDocument]] = {
    ".md": _load_text,
    ".txt": _load_text,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".html": _load_html,
    ".htm": _load_html,
    ".jpg": _load_image,
    ".jpeg": _load_image,
    ".png": _load_image,
}
