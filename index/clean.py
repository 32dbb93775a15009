"""Clean loaded pages: repair Thai, find printed page numbers, drop running headers/footers and
web-page furniture (a lone "พิมพ์", the page's date line, a headline printed twice)."""

import re
from collections import Counter

from .documents import LoadedDocument, Page
from .thai_repair import repair_thai

# "หน้า ๑๓", "- 13 -", "๑๓", "Page 13" alone on a line near the top or bottom of a page.
_PAGE_LABEL = re.compile(r"^(?:หน้า|page)?\s*[-–(]?\s*([๐-๙0-9]{1,4})\s*[-–)]?$", re.IGNORECASE)
_DIGITS = re.compile(r"[๐-๙0-9]+")
_EDGE_LINES = 3  # how many lines at each end of a page may be header/footer
_MONTHS = ("มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|"
           "พฤศจิกายน|ธันวาคม")
# Lines of a saved web page that are its furniture, not its text: buttons, and the date stamp
# ("วันอังคารที่ 28 กุมภาพันธ์ 2566", "28/02/2566") standing alone above the headline.
_FURNITURE = re.compile(
    rf"^(?:พิมพ์|print|แชร์|share|กลับหน้าหลัก|ย้อนกลับ"
    rf"|วัน\S{{3,9}}ที่\s*[๐-๙0-9]{{1,2}}\s*(?:{_MONTHS})\s*(?:พ\.ศ\.\s*)?[๐-๙0-9]{{4}}"
    rf"|[๐-๙0-9]{{1,2}}/[๐-๙0-9]{{1,2}}/[๐-๙0-9]{{4}})$",
    re.IGNORECASE)
_FURNITURE_LINES = 8  # furniture sits above the article: only the first lines are checked
_HEADLINE_CHARS = 20  # a line this long printed twice in a row is a repeated headline


def clean_document(doc: LoadedDocument) -> list[Page]:
    """Return the document's pages with repaired text; for paged documents the printed page
    labels are recorded on each page and lines repeating at page edges are removed."""
    pages = [
        Page(repair_thai(p.text.replace("\r\n", "\n").replace("\r", "\n")), p.number, p.printed)
        for p in doc.pages
    ]
    if pages:
        pages[0] = Page(_without_furniture(pages[0].text), pages[0].number, pages[0].printed)
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


def _without_furniture(text: str) -> str:
    """``text`` without web-page furniture among its first lines, and without a headline printed
    twice: a line that the next one repeats whole (the same line, or the lead paragraph that
    starts with the headline) is dropped, and so is the headline repeated below the lead."""
    keep: list[str] = []
    nonblank = 0
    for line in text.split("\n"):
        stripped = " ".join(line.split())
        if stripped:
            nonblank += 1
            if nonblank <= _FURNITURE_LINES and _FURNITURE.match(stripped):
                continue
            if nonblank <= _FURNITURE_LINES and len(stripped) >= _HEADLINE_CHARS and any(
                    " ".join(k.split()) == stripped for k in keep):
                continue  # the headline again, below the lead
            last = next((i for i in range(len(keep) - 1, -1, -1) if keep[i].strip()), None)
            previous = " ".join(keep[last].split()) if last is not None else ""
            if len(previous) >= _HEADLINE_CHARS and stripped.startswith(previous):
                del keep[last]
        keep.append(line)
    return "\n".join(keep)


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
