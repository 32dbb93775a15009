"""Clean loaded pages: repair Thai, find printed page numbers, drop running headers/footers."""

import re
from collections import Counter

from .documents import LoadedDocument, Page
from .thai_repair import repair_thai

# "หน้า ๑๓", "- 13 -", "๑๓", "Page 13" alone on a line near the top or bottom of a page.
_PAGE_LABEL = re.compile(r"^(?:หน้า|page)?\s*[-–(]?\s*([๐-๙0-9]{1,4})\s*[-–)]?$", re.IGNORECASE)
_DIGITS = re.compile(r"[๐-๙0-9]+")
_EDGE_LINES = 3  # how many lines at each end of a page may be header/footer


def clean_document(doc: LoadedDocument) -> list[Page]:
    """Return the document's pages with repaired text; for paged documents the printed page
    labels are recorded on each page and lines repeating at page edges are removed."""
    pages = [
        Page(repair_thai(p.text.replace("\r\n", "\n").replace("\r", "\n")), p.number, p.printed)
        for p in doc.pages
    ]
    if not doc.paged:
        return pages
    repeated = _repeated_edge_lines(pages)
    cleaned = []
    for page in pages:
        lines = page.text.split("\n")
        printed = page.printed
        keep: list[str] = []
        content: list[str] = []  # the page without its page label, headers kept
        for i, line in enumerate(lines):
            stripped = line.strip()
            at_edge = _is_edge(lines, i)
            label = _PAGE_LABEL.match(stripped) if at_edge else None
            if label:
                printed = printed or label.group(1)
                continue
            content.append(line)
            if at_edge and _shape(stripped) in repeated:
                continue
            keep.append(line)
        # A page made only of "repeated" lines is a page of look-alike content, not headers.
        if not any(line.strip() for line in keep):
            keep = content
        cleaned.append(Page("\n".join(keep), page.number, printed))
    return cleaned


def _is_edge(lines: list[str], i: int) -> bool:
    nonblank = [j for j, line in enumerate(lines) if line.strip()]
    return i in nonblank[:_EDGE_LINES] or i in nonblank[-_EDGE_LINES:]


def _shape(line: str) -> str:
    """A line with its numbers masked, so "เล่ม ๑๓๔ ... หน้า ๑๓" matches on every page."""
    return _DIGITS.sub("#", re.sub(r"\s+", " ", line))


def _repeated_edge_lines(pages: list[Page]) -> set[str]:
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        lines = page.text.split("\n")
        counts.update({_shape(lines[i].strip()) for i in range(len(lines)) if _is_edge(lines, i)})
    return {shape for shape, n in counts.items() if shape and n >= max(3, len(pages) // 2)}
