"""The admins' report: most asked questions, questions the documents did not answer, and 👎
feedback with the passages that were cited — so admins see which documents are missing."""

import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from index.store import PublishedIndex
from index.thai_text import collapse_spaces

TOP = 10


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


def build_report(db: sqlite3.Connection, since: float, index: PublishedIndex | None = None) -> Report:
    """The report over records since ``since`` (Unix time); passages come from ``index``."""
    rows = db.execute("SELECT question, abstained FROM questions WHERE at >= ?", (since,)).fetchall()
    asked = Counter(_key(q) for q, _ in rows)
    missed = Counter(_key(q) for q, abstained in rows if abstained)
    chunks = {c.chunk_id: c for c in index.chunks} if index else {}
    unhelpful = []
    for question, chunk_ids, at in db.execute(
            "SELECT question, chunk_ids, at FROM feedback WHERE helpful = 0 AND at >= ? ORDER BY at",
            (since,)):
        passages = []
        for chunk_id in chunk_ids.split():
            chunk = chunks.get(chunk_id)
            title = index.documents[chunk.doc_id].title if chunk and index else ""
            passages.append({"chunk_id": chunk_id, "title": title,
                             "section": chunk.section if chunk else None,
                             "text": chunk.text if chunk else "(ไม่อยู่ในดัชนีรุ่นปัจจุบันแล้ว)"})
        unhelpful.append(Unhelpful(question, _date(at), passages))
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


def _key(question: str) -> str:
    return collapse_spaces(question).lower()


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")
