"""The data that flows through ingestion: loaded pages, document metadata, chunks."""

from dataclasses import dataclass, field


@dataclass
class Page:
    """Text of one page (or the whole text of an unpaged format)."""

    text: str
    number: int | None = None  # 1-based page index in the PDF; None for unpaged formats
    printed: str | None = None  # page label printed on the page, e.g. "๑๓"
    ocr_confidence: float | None = None  # mean OCR word confidence (0-100); None: text layer


@dataclass
class LoadedDocument:
    """What a loader returns: pages plus whatever metadata the file itself declares."""

    pages: list[Page]
    meta: dict[str, str] = field(default_factory=dict)
    paged: bool = False  # True for PDF: lines are layout-wrapped and pages carry numbers


@dataclass
class DocumentInfo:
    """Metadata of an indexed document, as shown in citations and `index status`."""

    doc_id: str
    title: str
    path: str  # relative to the documents directory
    sha256: str
    agency: str = ""
    date: str = ""
    source: str = ""  # URL when known, else the file path
    kind: str = "guideline"  # "act", "guideline" or "news"
    aliases: list[str] = field(default_factory=list)  # other names people use for it
    pages: int | None = None
    chunks: int = 0
    ocr_pages: dict[str, float] = field(default_factory=dict)  # page number → OCR confidence


@dataclass
class Chunk:
    """A citable passage: its text as shown to users plus where it sits in its document."""

    chunk_id: str
    doc_id: str
    text: str
    heading_path: list[str] = field(default_factory=list)
    section: str | None = None  # "มาตรา ๑๕", "ยุทธศาสตร์ที่ 4", "มาตรา ๔ (๑)–(๓)"
    page: int | None = None
    page_end: int | None = None
    printed_page: str | None = None
    lead_in: str = ""  # the sentence introducing a list this chunk continues
    role: str = "body"  # one of ROLES
    unit: str = ""  # title of the Act this passage belongs to when it is not the document's own
    cites: list[str] = field(default_factory=list)  # มาตรา numbers it refers to ("57", "33/1")
    notes: list[str] = field(default_factory=list)  # footnotes annotating it (shown and searched)
    refs: list[str] = field(default_factory=list)  # footnote numbers marked in its text
    ocr: bool = False  # read by OCR from a scanned page or a photo
    ocr_confidence: float | None = None  # lowest OCR confidence (0-100) of its pages


# What a passage is. Only SUBSTANTIVE roles may rank above the others (see retrieval.search).
ROLES = ("section", "definition", "list", "reasons", "body", "boilerplate", "footnote", "metadata")
SUBSTANTIVE = frozenset({"section", "definition", "list", "reasons", "body"})


def index_text(chunk: Chunk, title: str) -> str:
    """Text used for lexical (BM25) matching: the passage with its document title and place in
    the document, so that questions naming the law, chapter or section reach it."""
    context = [chunk.unit or title, *chunk.heading_path]
    if chunk.section:
        context.append(chunk.section)
    if chunk.lead_in:
        context.append(chunk.lead_in)
    return "\n".join([" | ".join(context), chunk.text, *chunk.notes])
