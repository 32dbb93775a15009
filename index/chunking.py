"""Structure-aware chunking of cleaned pages into citable passages.

Lines are first joined into logical lines (a wrapped PDF line or a Krisdika text line belongs to
the line before it unless it starts a heading, section, list item or definition). Logical lines
are grouped by section (มาตรา, ข้อ, ยุทธศาสตร์ที่, headings) and packed into chunks that stay
under ``max_chars``, keeping a list's lead-in sentence with the first items.
"""

import re
from dataclasses import dataclass, field

from .documents import Chunk, Page
from .thai_text import collapse_spaces

MAX_CHARS = 800

_NUM = r"[๐-๙0-9]+"
_LETTERS = "กขคงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"  # item letters in order (without ฃ, ฅ)
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$")
_CHAPTER = re.compile(rf"^(?:หมวด|ส่วนที่|บทที่|ภาค)\s*{_NUM}(?:\s|$)|^(?:บทเฉพาะกาล|ภาคผนวก)\s*$")
_SECTION = re.compile(rf"^(มาตรา|ข้อ|ยุทธศาสตร์ที่)\s*({_NUM}(?:/{_NUM})?(?:\s*(?:ทวิ|ตรี|จัตวา))?)")
# A wrapped line that starts inside a list of references ("มาตรา ๗ มาตรา ๘ … หรือมาตรา ๑๑ ต้องระวาง
# โทษ…") is not a section's heading.
_CITES_ON = re.compile(r"\s*(?:และ|หรือ)?\s*(?:มาตรา|วรรค)")
ITEM_LABEL = re.compile(rf"^(?:[-•*]\s*)?(\(\s*(?:{_NUM}|[ก-ฮ])\s*\)|{_NUM}[.)])(?=\s|$|[^\s๐-๙0-9.])")
_DEFINITION = re.compile(r"^“[^”]{1,80}”\s*หมายความว่า")
_MEANS = re.compile(r"^หมายความว่า")
LEAD_IN = re.compile(r"(ดังต่อไปนี้|ได้แก่|ประกอบด้วย|ดังนี้|อาทิ|คือ|[:：])\s*$")
_FOOTNOTE_REF = re.compile(r"(?<=\S)\[([๐-๙0-9]+)\]")
_THAI_LETTER = re.compile(r"[ก-ฮะ-ฺเ-ๅ็-๎]")


@dataclass
class _Line:
    text: str
    kind: str  # "heading" | "section" | "item" | "para"
    page: int | None
    printed: str | None
    label: str | None = None  # section or item label
    refs: list[str] = field(default_factory=list)  # footnote numbers marked on the line


@dataclass
class _Group:
    heading_path: list[str]
    section: str | None
    lines: list[_Line] = field(default_factory=list)


def chunk_pages(pages: list[Page], doc_id: str, paged: bool, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Split a cleaned document into chunks that know their heading path, section and page."""
    chunks: list[Chunk] = []
    for group in _group(_logical_lines(pages, paged)):
        for piece in _pack(group, max_chars):
            piece.chunk_id = f"{doc_id}#{len(chunks)}"
            piece.doc_id = doc_id
            chunks.append(piece)
    return chunks


def _kind(line: str) -> tuple[str, str | None]:
    if m := _MD_HEADING.match(line):
        return "heading", m.group(1).strip("* ")
    if _CHAPTER.match(line) and len(line) <= 80:
        return "heading", None
    if (m := _SECTION.match(line)) and not _CITES_ON.match(line, m.end()):
        return "section", f"{m.group(1)} {collapse_spaces(m.group(2))}"
    if m := ITEM_LABEL.match(line):
        return "item", m.group(1).replace(" ", "")
    if _DEFINITION.match(line):
        return "item", None
    return "para", None


def _joiner(left: str, right: str, paged: bool, left_raw: str) -> str:
    # A PDF wraps Thai lines anywhere; a space exists only when the line ended with one.
    if paged and not left_raw[-1:].isspace() and _THAI_LETTER.match(right[:1] or " ") and \
            _THAI_LETTER.match(left[-1:] or " "):
        return ""
    return " "


def _logical_lines(pages: list[Page], paged: bool) -> list[_Line]:
    raw: list[tuple[str, str, Page]] = []
    refs: dict[int, list[str]] = {}  # raw line → footnote numbers marked on it
    for page in pages:
        for line in page.text.split("\n"):
            if found := _FOOTNOTE_REF.findall(line):
                refs[len(raw)] = found
            raw.append((line, collapse_spaces(_FOOTNOTE_REF.sub("", line)), page))
    # Paragraph-per-line texts (news items) have no blank lines; their lines never wrap.
    blank = sum(1 for r in raw if not r[1])
    wraps = paged or blank >= 0.05 * len(raw)
    out: list[_Line] = []
    open_line = False  # whether the last logical line may still be continued
    prev_raw = ""
    i = 0
    while i < len(raw):
        line_raw, line, page = raw[i]
        marked = refs.get(i, [])
        i += 1
        if not line:
            open_line = False
            continue
        # Krisdika texts put the section number on its own line: "มาตรา\n๑".
        if line in ("มาตรา", "ข้อ") and i < len(raw) and re.match(rf"^{_NUM}", raw[i][1]):
            line = f"{line} {raw[i][1]}"
            marked = marked + refs.get(i, [])
            i += 1
        kind, label = _kind(line)
        next_text = raw[i][1] if i < len(raw) else ""
        if kind == "para" and _MEANS.match(next_text) and len(line) <= 60:
            kind = "item"  # a defined term on its own line, its definition on the next
        if kind == "para" and open_line and wraps and out:
            last = out[-1]
            last.text += _joiner(last.text, line, paged, prev_raw) + line
            last.refs += marked
        elif kind == "heading" and open_line and out and out[-1].kind == "heading" and not label:
            out[-1].text += " " + line
            out[-1].refs += marked
        else:
            out.append(_Line(line, kind, page.number, page.printed, label, list(marked)))
        prev_raw = line_raw
        open_line = True
    # A chapter heading's name often sits on the next line ("หมวด ๑" / "บททั่วไป").
    merged: list[_Line] = []
    for line in out:
        if merged and merged[-1].kind == "heading" and merged[-1].label is None and \
                line.kind == "para" and len(merged[-1].text) <= 20 and len(line.text) <= 60:
            merged[-1].text += " " + line.text
            merged[-1].refs += line.refs
            continue
        merged.append(line)
    return merged


def _group(lines: list[_Line]) -> list[_Group]:
    groups: list[_Group] = []
    path: list[str] = []
    levels: list[int] = []
    current = _Group([], None)
    for line in lines:
        if line.kind == "heading":
            level = len(line.text) - len(line.text.lstrip("#")) if line.text.startswith("#") else 7
            title = line.label or line.text
            while levels and levels[-1] >= level:
                levels.pop()
                path.pop()
            path.append(title)
            levels.append(level)
            if current.lines:
                groups.append(current)
            current = _Group(list(path), None)
            continue
        if line.kind == "section":
            if current.lines:
                groups.append(current)
            current = _Group(list(path), line.label)
        current.lines.append(line)
    if current.lines:
        groups.append(current)
    return groups


def _split_long(text: str, max_chars: int) -> list[str]:
    """Split an over-long line at spaces (Thai phrase boundaries) into pieces ≤ max_chars."""
    pieces: list[str] = []
    while len(text) > max_chars:
        # Aim for equal pieces so no tiny tail is left over.
        target = len(text) // -(-len(text) // max_chars)
        cut = text.rfind(" ", target // 2, target + (max_chars - target) // 2)
        if cut <= 0:
            cut = target
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def _pack(group: _Group, max_chars: int) -> list[Chunk]:
    units: list[_Line] = []
    for line in group.lines:
        for n, piece in enumerate(_split_long(line.text, max_chars)):
            units.append(_Line(piece, line.kind, line.page, line.printed, line.label,
                               line.refs if n == 0 else []))
    chunks: list[Chunk] = []
    current: list[_Line] = []
    lead_in = ""

    def size(lines: list[_Line]) -> int:
        return sum(len(u.text) + 1 for u in lines)

    def flush() -> None:
        nonlocal current
        if current:
            chunks.append(_make_chunk(group, current, lead_in if chunks else ""))
        current = []

    for n, unit in enumerate(units):
        following = units[n + 1] if n + 1 < len(units) else None
        is_lead_in = bool(LEAD_IN.search(unit.text)) and following is not None and \
            following.kind == "item"
        needed = len(unit.text) + 1 + (len(following.text) + 1 if is_lead_in and following else 0)
        if current and size(current) + needed > max_chars:
            flush()
        if is_lead_in:
            lead_in = _tail(unit.text, 200)
        current.append(unit)
    flush()
    if len(chunks) > 1:
        for chunk in chunks:
            chunk.section = _label_with_items(group.section, chunk)
    return chunks


def continues_list(previous: Chunk, chunk: Chunk) -> bool:
    """Whether ``chunk`` carries on a list from ``previous``: a long list is split over chunks
    that each repeat its lead-in (the first holds the lead-in line itself)."""
    return bool(chunk.lead_in) and chunk.doc_id == previous.doc_id and (
        chunk.lead_in == previous.lead_in or chunk.lead_in in previous.text)


def _tail(text: str, limit: int) -> str:
    """The last words of ``text`` within ``limit`` characters, cut at a space."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    return tail[tail.find(" ") + 1 :]


def _make_chunk(group: _Group, lines: list[_Line], lead_in: str) -> Chunk:
    pages = [u.page for u in lines if u.page is not None]
    return Chunk(
        chunk_id="",
        doc_id="",
        text="\n".join(u.text for u in lines),
        heading_path=group.heading_path,
        section=group.section,
        page=pages[0] if pages else None,
        page_end=pages[-1] if pages else None,
        printed_page=lines[0].printed,
        lead_in=lead_in,
        refs=[r for u in lines for r in u.refs],
    )


def _label_with_items(section: str | None, chunk: Chunk) -> str | None:
    """For a section split over chunks, name the items a chunk holds: "มาตรา ๖ (๓)–(๕)". The
    range runs through the items numbered on from the first one; a sub-list restarting at (๑) or
    a wrapped line opening on a reference ("(๑) ถึง (๕) …") does not end it."""
    labels = [m.group(1).replace(" ", "") for line in chunk.text.split("\n") if (m := ITEM_LABEL.match(line))]
    if not labels:
        return section
    last, (kind, number) = labels[0], _item_number(labels[0])
    for label in labels[1:]:
        if _item_number(label) == (kind, number + 1):
            last, number = label, number + 1
    items = labels[0] if last == labels[0] else f"{labels[0]}–{last}"
    return f"{section} {items}" if section else items


def _item_number(label: str) -> tuple[str, int]:
    """The kind and number of an item label: ("digit", 12) for "(๑๒)", ("letter", 3) for "(ค)" by
    the order of the alphabet; items of one kind follow each other."""
    digits = re.sub(r"\D", "", label)  # Thai digits are decimal digits to re and int()
    if digits:
        return "digit", int(digits)
    letter = re.search(r"[ก-ฮ]", label)
    return "letter", _LETTERS.index(letter.group()) + 1 if letter and letter.group() in _LETTERS else -1
