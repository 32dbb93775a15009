"""Render an Answer as plain text (console chat and `sarabun ask`)."""

from index.store import PublishedIndex
from retrieval.abstain import HOW_TO, NAMED_FACTS
from retrieval.answer import Answer, Citation

ABSTAIN = "ขออภัยค่ะ ไม่พบคำตอบของคำถามนี้ในเอกสารที่มีอยู่ จึงไม่ขอเดาคำตอบ"
SUGGEST = "เอกสารที่ใกล้เคียงกับคำถามนี้:"
NOT_IN_COLLECTION = "“{name}” ไม่อยู่ในคลังเอกสารของสารบรรณค่ะ"
UNSTATED = "เอกสารที่เกี่ยวข้องไม่ได้ระบุ{what}ที่ถามไว้ค่ะ"
DATED = "เอกสารในคลังเป็นข้อมูล ณ วันที่เผยแพร่ จึงไม่มีข้อมูลล่าสุดหรือปัจจุบันค่ะ"
REPHRASE = "ลองพิมพ์ใหม่ให้มีวรรณยุกต์ครบ ระบุชื่อเต็มของ พ.ร.บ. หรือเลขมาตรา หรือพิมพ์ /sources เพื่อดูรายชื่อเอกสารค่ะ"


def decline_lines(answer: Answer) -> list[str]:
    """A decline: that nothing was found (and what, when the question names it), the documents
    nearest to the question, and how to rephrase. Shared by every front end."""
    lines = [ABSTAIN]
    if answer.not_found:
        lines.append(NOT_IN_COLLECTION.format(name=answer.not_found))
    elif answer.unstated:
        named = answer.unstated in NAMED_FACTS or answer.unstated == HOW_TO
        what = answer.unstated if named else f"จำนวน{answer.unstated}"
        lines.append(UNSTATED.format(what=what))
    elif answer.evidence is not None and answer.evidence.now:  # "ตอนนี้", "ล่าสุด", "ปีที่แล้ว"
        lines.append(DATED)
    if answer.suggestions:
        lines.append(SUGGEST)
        lines += [f"  • {s}" for s in answer.suggestions]
    lines.append(REPHRASE)
    return lines


def utf16_len(text: str) -> int:
    """Length as chat platforms count it (characters outside the BMP, e.g. emoji, count twice)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, ending in " …" when cut."""
    if utf16_len(text) <= limit:
        return text
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit - 2:
            return text[:i] + " …"
    return text


def excerpt(c: Citation, limit: int) -> str:
    """The cited text within ``limit`` UTF-16 units: whole when it fits, else from the passage the
    search found (a citation shows its whole section, and the part that answers may come late)."""
    if utf16_len(c.text) <= limit:
        return c.text
    return clip(("… " if c.focus else "") + c.text[c.focus:], limit)


def citation_line(c: Citation) -> str:
    """"title · section · page" for a numbered source list."""
    parts = [c.title]
    if c.section:
        parts.append(c.section)
    if c.page is not None:
        page = f"หน้า {c.page}"
        if c.printed_page:
            page += f" (เลขหน้าที่พิมพ์ {c.printed_page})"
        parts.append(page)
    if c.ocr:  # a scan: the reader should know the quote may hold OCR errors
        parts.append("อ่านด้วย OCR" + (f" ({c.ocr_confidence:.0f}%)" if c.ocr_confidence is not None else ""))
    return " · ".join(parts)


def document_lines(index: PublishedIndex) -> list[str]:
    """"title (date)" for every document in the index, by title (/sources)."""
    docs = sorted(index.documents.values(), key=lambda d: d.title)
    return [d.title + (f" ({d.date})" if d.date else "") for d in docs]


def render_answer(answer: Answer | str, passages: bool = False) -> str:
    """Plain-text reply: the answer, then numbered sources (with passages when asked)."""
    if isinstance(answer, str):
        return answer
    if answer.abstained:
        return "\n".join(decline_lines(answer))
    lines = [answer.answer, "", "แหล่งอ้างอิง:"]
    for c in answer.citations:
        lines.append(f"[{c.rank}] {citation_line(c)}")
        if c.source:
            lines.append(f"    {c.source}")
        if passages:
            lines += [f"    > {line}" for line in c.text.split("\n")]
    return "\n".join(lines)
