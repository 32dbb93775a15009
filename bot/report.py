"""The admins' report: most asked questions, questions the documents did not answer, and 👎
feedback with the passages that were cited — so admins see which documents are missing."""

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from index.store import PublishedIndex
from index.thai_text import collapse_spaces

from .state import Database, read_questions, read_unhelpful

TOP = 10
# C0 and C1 controls, DEL, and the bidirectional overrides and isolates that reorder a terminal line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Unhelpful:
    """A 👎 vote: the question and the passages that were shown."""

    question: str
    at: str
    passages: list[dict] = field(default_factory=list)  # {"chunk_id", "title", "section", "text"}


@dataclass
class Report:
    since: str
    questions: int
    most_asked: list[tuple[str, int]]
    abstained: list[tuple[str, int]]
    unhelpful: list[Unhelpful]

    def to_json(self) -> dict:
        return asdict(self)


def build_report(db: Database, since: float, index: PublishedIndex | None = None) -> Report:
    """The report over records since ``since`` (Unix time); passages come from ``index``.
    Questions are as users typed them, with control characters escaped (``\\x1b``), so the report
    is safe to print on a terminal."""
    rows = read_questions(db, since)
    asked = Counter(_key(q) for q, _ in rows)
    missed = Counter(_key(q) for q, abstained in rows if abstained)
    unhelpful = []
    for question, chunk_ids, at in read_unhelpful(db, since):
        passages = []
        for chunk_id in chunk_ids:
            pos = index.positions.get(chunk_id) if index else None
            chunk = index.chunks[pos] if pos is not None else None
            title = index.documents[chunk.doc_id].title if chunk and index else ""
            passages.append({"chunk_id": chunk_id, "title": title,
                             "section": chunk.section if chunk else None,
                             "text": chunk.text if chunk else "(ไม่อยู่ในดัชนีรุ่นปัจจุบันแล้ว)"})
        unhelpful.append(Unhelpful(printable(question), _date(at), passages))
    return Report(_date(since), len(rows), asked.most_common(TOP), missed.most_common(TOP), unhelpful)


def render_report(report: Report, passage_chars: int = 160) -> str:
    """Plain-text report in Thai (for /report and `sarabun report`)."""
    lines = [f"รายงานตั้งแต่ {report.since}: คำถามทั้งหมด {report.questions} ข้อ", "",
             "คำถามที่ถามบ่อย:"]
    lines += [f"  {n}× {q}" for q, n in report.most_asked] or ["  –"]
    lines += ["", "คำถามที่เอกสารไม่มีคำตอบ (ควรเพิ่มเอกสาร):"]
    lines += [f"  {n}× {q}" for q, n in report.abstained] or ["  –"]
    lines += ["", "คำตอบที่ได้ 👎:"]
    for item in report.unhelpful:
        lines.append(f"  • {item.question} ({item.at})")
        for p in item.passages:
            text = collapse_spaces(p["text"])
            text = text if len(text) <= passage_chars else text[:passage_chars] + " …"
            lines.append(f"      [{p['title']} {p['section'] or ''}] {text}")
    if not report.unhelpful:
        lines.append("  –")
    return "\n".join(lines)


def parse_since(value: str) -> float:
    """Unix time of a YYYY-MM-DD date (UTC midnight)."""
    return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (``\\x1b``, ``\\u202e``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _key(question: str) -> str:
    return printable(collapse_spaces(question)).lower()


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")
