"""Limits on untrusted document files, checked before a parser sees them.

Every refusal is a :class:`SkipFile` naming the limit that was broken, in English for the build
report and logs and in Thai for the admin who sent the file.
"""

import io
import re
import zipfile
from dataclasses import dataclass

MB = 1_000_000
HTML_MAX_DEPTH = 255  # libxml2's HTML parser drops deeper elements (without XML_PARSE_HUGE)


class SkipFile(Exception):
    """The file cannot be indexed; ``str(exc)`` says why in one line, ``thai`` says it in Thai."""

    def __init__(self, reason: str, thai: str = "") -> None:
        super().__init__(reason)
        self.thai = thai or reason


@dataclass(frozen=True)
class ParseLimits:
    """What one untrusted file may cost. The defaults fit real circulars and Acts with room to
    spare; a file over any of them is refused with the limit named."""

    unzipped_mb: int = 200  # total uncompressed size of a DOCX (ZIP) archive
    zip_ratio: int = 100  # uncompressed : compressed, over the archive (Word files: 3-20)
    pdf_pages: int = 2000
    ocr_pages: int = 300  # scanned pages OCR'd in one file
    page_megapixels: int = 60  # one page rendered for OCR (A4 at 300 dpi: 8.7)
    image_megapixels: int = 60  # a photo (a 48 MP phone camera fits)
    html_mb: int = 10
    memory_mb: int = 1024  # address space of the parsing process (RLIMIT_AS)
    cpu_seconds: int = 120  # CPU time of the parsing process per file (RLIMIT_CPU)
    wall_seconds: int = 120  # wall-clock time per file, or per OCR'd page while OCR runs


DEFAULT_LIMITS = ParseLimits()


# Declarations that let XML expand entities or read external files; no DOCX part needs them.
# A JavaScript action in an uncompressed object ("/S /JavaScript", "/JS (…)"); specific enough
# never to match by chance inside compressed streams.
_PDF_SCRIPT = re.compile(rb"/S\s*/JavaScript\b|/JS\s*[(<]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DTD_WIDE = [re.compile(re.escape(word.encode(enc)), re.IGNORECASE)
             for word in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-16-le", "utf-16-be")]


def check_zip(data: bytes, limits: ParseLimits, kind: str = "DOCX") -> None:
    """Refuse an archive that unpacks too large or too compressed, or whose XML declares a DTD,
    before any XML is parsed. The sizes come from the central directory: reading never
    returns more than a member's declared size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SkipFile(f"corrupt or unreadable {kind} ({exc})") from exc
    total = sum(m.file_size for m in members)
    if total > limits.unzipped_mb * MB:
        raise SkipFile(f"{kind} expands to {total / MB:.0f} MB when unzipped, over the "
                       f"{limits.unzipped_mb} MB limit",
                       f"ไฟล์ขยายตัวเกิน {limits.unzipped_mb} MB เมื่อแตกไฟล์")
    packed = max(1, sum(m.compress_size for m in members))
    if total > MB and total / packed > limits.zip_ratio:
        raise SkipFile(f"{kind} is compressed {total / packed:.0f}:1, over the "
                       f"{limits.zip_ratio}:1 limit (a zip bomb?)",
                       f"ไฟล์ถูกบีบอัดมากผิดปกติ ({total / packed:.0f}:1 เกินกำหนด "
                       f"{limits.zip_ratio}:1)")
    for member in members:
        if member.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, member):
            raise SkipFile(f"{kind} part {member.filename} declares a DTD or entities "
                           "(not allowed: entity expansion, external files)",
                           "ไฟล์มีการประกาศ DTD/entity ใน XML ซึ่งไม่อนุญาต")


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    try:
        with archive.open(member) as fh:
            while block := fh.read(MB):
                window = tail + block
                if _DTD.search(window) or any(p.search(window) for p in _DTD_WIDE):
                    return True
                tail = block[-32:]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise SkipFile(f"corrupt or unreadable DOCX part {member.filename} ({exc})") from exc
    return False


def check_pdf(pdf, data: bytes, limits: ParseLimits) -> None:
    """Refuse a PDF (an open ``pypdfium2.PdfDocument``) with too many pages or with JavaScript."""
    import pypdfium2.raw as pdfium_c

    pages = len(pdf)
    if pages > limits.pdf_pages:
        raise SkipFile(f"PDF has {pages} pages, over the {limits.pdf_pages} page limit",
                       f"PDF มี {pages} หน้า เกินกำหนด {limits.pdf_pages} หน้า")
    # Nothing here runs scripts, but a circular never needs them: a PDF carrying them is suspect.
    if pdfium_c.FPDFDoc_GetJavaScriptActionCount(pdf.raw) > 0 or _PDF_SCRIPT.search(data):
        raise SkipFile("PDF contains JavaScript", "PDF มี JavaScript ฝังอยู่ จึงไม่รับไฟล์นี้")


def check_pixels(width: int, height: int, limit_mp: int, what: str, thai_what: str) -> None:
    """Refuse an image or a rendered page over ``limit_mp`` megapixels."""
    if width * height > limit_mp * MB:
        raise SkipFile(f"{what} is {width}x{height} pixels ({width * height / MB:.0f} megapixels), "
                       f"over the {limit_mp} megapixel limit",
                       f"{thai_what}ใหญ่เกินกำหนด ({width}×{height} พิกเซล เกิน {limit_mp} ล้านพิกเซล)")


def check_html(data: bytes, limits: ParseLimits) -> None:
    """Refuse HTML over the size limit (depth is checked while parsing)."""
    if len(data) > limits.html_mb * MB:
        raise SkipFile(f"HTML is {len(data) / MB:.1f} MB, over the {limits.html_mb} MB limit",
                       f"ไฟล์ HTML ใหญ่เกิน {limits.html_mb} MB")
