"""Statute structure: units of a statute file, chunk roles, footnotes and the section reference graph.

A Council of State (Krisdika) text holds more than one Act: the main Act, then each amending Act
with its own sections ("มาตรา ๒" of the (ฉบับที่ ๒) Act is not มาตรา ๒ of the main Act), each
followed by its reasons (หมายเหตุ :- เหตุผลในการประกาศใช้ …), then the editors' sign-off and the
numbered footnotes ("[๓] มาตรา ๔ นิยามคำว่า … เพิ่มโดย …"). This module splits such a file into
its units before chunking, so every chunk knows its Act and its role, footnotes travel with the
section they annotate, and the boilerplate (enactment formula, countersignature) is marked so that
search never ranks it above a substantive section.
"""

import re
from dataclasses import dataclass

from .chunking import ITEM_LABEL, MAX_CHARS, chunk_pages
from .documents import Chunk, Page
from .thai_text import arabic_digits, collapse_spaces

STATUTE_PREFIX = re.compile(r"^(?:พระราชบัญญัติ|พระราชกำหนด|พระราชกฤษฎีกา|ประมวลกฎหมาย)")
REASONS_LABEL = "เหตุผลในการประกาศใช้"

_NUM = r"[๐-๙0-9]+"
_FOOTNOTE_START = re.compile(rf"^\[({_NUM})\]\s*(.*)$")
_REASONS = re.compile(r"^หมายเหตุ\s*(?::-|$)")
_UNIT_TITLE = re.compile(r"^\*?(?:พระราชบัญญัติ|พระราชกำหนด|พระราชกฤษฎีกา|ประกาศ|คำสั่ง)")
_TITLE_END = re.compile(rf"\[{_NUM}\]\s*$")
_COUNTERSIGN = re.compile(r"^ผู้รับสนอง(?:พระบรม|พระ)?ราชโองการ")
_EDITOR = re.compile(r"^[^\s/]+(?:\s+[^\s/]+)?/(?:ตรวจ|แก้ไข|ปรับปรุง|ผู้จัดทำ|จัดทำ|เพิ่มเติม)\s*$")
_FIRST_SECTION = re.compile(r"^มาตรา\s*(?:๑|1)(?![๐-๙0-9/])")
_CITE = re.compile(r"มาตรา\s*([0-9]+(?:/[0-9]+)?)"
                   r"((?:\s*(?:,|และ|หรือ|ถึง)\s*(?:มาตรา\s*)?[0-9]+(?:/[0-9]+)?)*)")
_MORE_CITES = re.compile(r"[0-9]+(?:/[0-9]+)?")
_DEFINES = re.compile(r"หมายความว่า|หมายถึง")


@dataclass
class Segment:
    """A stretch of a statute file with one role and one Act."""

    text: str
    role: str  # "section" (the Act's body), "reasons" or "boilerplate"
    unit: str  # the Act's title ("" for the document's own Act)


def is_statute(title: str, text: str) -> bool:
    """Whether a document is a statute: titled like one, with sections."""
    return bool(STATUTE_PREFIX.match(title)) and len(re.findall(r"(?m)^\s*มาตรา", text)) >= 3


def chunk_document(pages: list[Page], doc_id: str, paged: bool, title: str, kind: str) -> list[Chunk]:
    """Chunk a cleaned document and record each chunk's role, Act, footnotes and references."""
    text = "\n".join(p.text for p in pages)
    if kind != "act" or paged or not is_statute(title, text):
        chunks = chunk_pages(pages, doc_id, paged)
        for chunk in chunks:
            chunk.role = _role(chunk, kind)
        if kind == "act":  # a paged statute (Gazette PDF): the preamble before มาตรา ๑ is boilerplate
            for chunk in chunks:
                if chunk.section:
                    break
                chunk.role = "boilerplate"
            _link(chunks)
        return chunks
    body, footnotes = _split_footnotes(text)
    chunks = []
    for segment in split_statute(body):
        # Reasons are one argument: kept whole up to twice the usual size, so they answer at once.
        limit = 2 * MAX_CHARS if segment.role == "reasons" else MAX_CHARS
        for chunk in chunk_pages([Page(segment.text)], doc_id, paged=False, max_chars=limit):
            chunk.unit = segment.unit
            chunk.role = segment.role if segment.role != "section" else _role(chunk, kind)
            if segment.role == "reasons":
                chunk.section = REASONS_LABEL
            chunk.chunk_id = f"{doc_id}#{len(chunks)}"
            chunks.append(chunk)
    for chunk in chunks:
        chunk.notes = [footnotes[r] for r in chunk.refs if r in footnotes]
    _link(chunks)
    return chunks


def split_statute(text: str) -> list[Segment]:
    """The units of a statute text without its footnotes: preamble, main Act, countersignature,
    reasons, then each amending Act (title, sections) with its reasons. Editors' sign-off lines
    are dropped."""
    lines = text.split("\n")
    segments: list[Segment] = []
    buffer: list[str] = []
    role, unit = "boilerplate", ""  # the enactment formula comes first

    def flush() -> None:
        if any(line.strip() for line in buffer):
            segments.append(Segment("\n".join(buffer), role, unit))
        buffer.clear()

    in_body_of_amendments = False  # past the main Act's reasons: titles may start new units
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if role == "boilerplate" and not segments and _FIRST_SECTION.match(
                line + " " + (lines[i + 1].strip() if i + 1 < len(lines) else "")):
            flush()
            role = "section"
        elif _COUNTERSIGN.match(line):
            flush()
            role = "boilerplate"
        elif _REASONS.match(line):
            flush()
            role, in_body_of_amendments = "reasons", True
        elif _EDITOR.match(line):
            flush()
            role = "editor"
        elif in_body_of_amendments and _UNIT_TITLE.match(line) and (end := _title_end(lines, i)):
            flush()
            unit = collapse_spaces(re.sub(rf"\[{_NUM}\]", "", " ".join(lines[i:end + 1]))).lstrip("*")
            role = "section"
            i = end + 1
            continue
        if role != "editor":
            buffer.append(lines[i])
        i += 1
    flush()
    return segments


def _title_end(lines: list[str], start: int) -> int | None:
    """The line closing a unit title that starts at ``start`` (it carries the footnote mark)."""
    for j in range(start, min(start + 4, len(lines))):
        if _TITLE_END.search(lines[j]):
            return j
        if j > start and not lines[j].strip():
            return None
    return None


def _split_footnotes(text: str) -> tuple[str, dict[str, str]]:
    """The text before the footnotes, and each footnote's text by its number (Thai digits as
    marked in the text)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines)
                  if (m := _FOOTNOTE_START.match(line.strip())) and arabic_digits(m.group(1)) == "1"), None)
    if start is None:
        return text, {}
    notes: dict[str, list[str]] = {}
    current = None
    for line in lines[start:]:
        if m := _FOOTNOTE_START.match(line.strip()):
            current = m.group(1)
            notes[current] = [m.group(2)]
        elif current is not None:
            notes[current].append(line)
    return "\n".join(lines[:start]), {k: collapse_spaces(" ".join(v)) for k, v in notes.items()}


def _role(chunk: Chunk, kind: str) -> str:
    lines = chunk.text.split("\n")
    if kind == "act" and chunk.section and chunk.section.startswith("มาตรา"):
        return "definition" if sum(bool(_DEFINES.search(x)) for x in lines) >= 2 else "section"
    if sum(bool(ITEM_LABEL.match(x)) for x in lines) >= 2:
        return "list"
    return "body"


def cited_sections(chunk: Chunk) -> list[str]:
    """มาตรา numbers the chunk's text refers to, other than its own ("ตามมาตรา ๕๗" → "57")."""
    own = arabic_digits(chunk.section or "").split(" ")[1:2]
    found: list[str] = []
    for m in _CITE.finditer(arabic_digits(chunk.text)):
        for number in [m.group(1), *_MORE_CITES.findall(m.group(2))]:
            if number not in own and number not in found:
                found.append(number)
    return found


def _link(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        if chunk.role in ("section", "definition", "list"):
            chunk.cites = cited_sections(chunk)
