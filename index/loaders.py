"""Read a document file into pages of raw text (.md/.txt, .pdf, .docx, .html).

Every refusal raises :class:`SkipFile` with a one-line reason an admin can act on.
"""

import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from .documents import LoadedDocument, Page

SUPPORTED_SUFFIXES = (".md", ".txt", ".pdf", ".docx", ".html", ".htm")
META_SUFFIX = ".meta.json"
# A page with fewer characters than this carries no usable text layer.
_MIN_CHARS_PER_PAGE = 20
# libxml2's HTML parser gives up below this many nested elements (without XML_PARSE_HUGE).
HTML_MAX_DEPTH = 255
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


class SkipFile(Exception):
    """The file cannot be indexed; ``str(exc)`` says why in one line."""


def load_document(path: Path, max_bytes: int) -> LoadedDocument:
    """Load ``path`` and merge its metadata (front matter and an optional ``.meta.json``)."""
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
        doc = loader(path.read_bytes())
    except SkipFile:
        raise
    except MemoryError as exc:
        raise SkipFile("file needs more memory than the parser may use") from exc
    except Exception as exc:
        # Parsers of damaged or hostile files raise anything (lxml's XMLSyntaxError, struct
        # errors, ...): one bad file must be skipped, never stop the whole build.
        raise SkipFile(f"corrupt or unreadable {suffix[1:].upper()} file "
                       f"({type(exc).__name__}: {exc})") from exc
    if not any(page.text.strip() for page in doc.pages):
        raise SkipFile("no text in file")
    sidecar = path.with_name(path.name + META_SUFFIX)
    if sidecar.exists():
        try:
            doc.meta.update({k: str(v) for k, v in json.loads(sidecar.read_text("utf-8")).items()})
        except (ValueError, UnicodeDecodeError, AttributeError) as exc:
            raise SkipFile(f"unreadable metadata file {sidecar.name}: {exc}") from exc
    return doc


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


def _load_text(data: bytes) -> LoadedDocument:
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


def _load_pdf(data: bytes) -> LoadedDocument:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise SkipFile("encrypted PDF (password protected)") from exc
        raise SkipFile(f"corrupt or unreadable PDF ({exc})") from exc
    try:
        pages = []
        for i in range(len(pdf)):
            textpage = pdf[i].get_textpage()
            pages.append(Page(textpage.get_text_range(), number=i + 1))
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
    if not pages:
        raise SkipFile("PDF has no pages")
    if sum(len(p.text.strip()) for p in pages) < _MIN_CHARS_PER_PAGE * len(pages):
        raise SkipFile("PDF has no text layer (scanned?); OCR is not supported")
    # Word's print driver puts the source file name into the title; it is not a title.
    meta = {"title": title} if title and not re.search(r"\.(docx?|rtf|pdf)$", title) else {}
    return LoadedDocument(pages=pages, meta=meta, paged=True)


def _load_docx(data: bytes) -> LoadedDocument:
    import io

    from docx2python import docx2python

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


def _load_html(data: bytes) -> LoadedDocument:
    from lxml import etree, html

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
        raise SkipFile(f"HTML nested deeper than {HTML_MAX_DEPTH} levels; its text would be lost")
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


_LOADERS: dict[str, Callable[[bytes], LoadedDocument]] = {
    ".md": _load_text,
    ".txt": _load_text,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".html": _load_html,
    ".htm": _load_html,
}
