"""The questions report over a date range, computed in the database: questions and declines per
day, the most asked questions, declined questions grouped by topic, and 👎 feedback with the
passages that were cited.

Days are Thai days (UTC+7, no daylight saving). Aggregation happens in SQL on the indexed ``at``
column so a log of 100,000 questions stays well inside the page budget (benchmarks/bench_web.py).
"""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from pythainlp.corpus import thai_stopwords
from sqlalchemy import text

from index.store import PublishedIndex
from index.thai_text import collapse_spaces
from index.tokens import word_tokens

from ..state import Database

THAI_TZ = timezone(timedelta(hours=7))
DAY_OFFSET = 7 * 3600  # seconds added to Unix time to count days in Thai time
TOP = 10
TOPIC_QUESTIONS = 300  # distinct declined questions grouped into topics
TOPICS = 12
UNHELPFUL = 50
# Words that say what kind of question it is, not what it is about.
_QUESTION_WORDS = frozenset([
    "อะไร", "อย่างไร", "ไหม", "ได้ไหม", "ยังไง", "เท่าไร", "เท่าไหร่", "กี่", "ใคร", "ที่ไหน",
    "เมื่อไร", "เมื่อไหร่", "ทำไม", "บ้าง", "คือ", "หมายถึง", "ต้อง", "ได้", "หรือ", "ไม่", "ขอ",
    "ถาม", "การ", "ความ", "ให้", "มี", "ของ"
])
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class TopicGroup:
    topic: str
    total: int
    questions: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Unhelpful:
    question: str
    at: str
    passages: list[dict] = field(default_factory=list)  # {"title", "section", "text"}


@dataclass
class QuestionsReport:
    start: date
    end: date
    total: int
    declined: int
    per_day: list[tuple[str, int, int]]  # (YYYY-MM-DD, questions, declined), every day of the range
    most_asked: list[tuple[str, int]]
    topics: list[TopicGroup]
    unhelpful: list[Unhelpful]

    @property
    def decline_rate(self) -> float:
        return self.declined / self.total if self.total else 0.0


def day_range(start: date, end: date) -> tuple[float, float]:
    """Unix times of the first and after the last second of Thai days ``start``..``end``."""
    lo = datetime.combine(start, datetime.min.time(), THAI_TZ).timestamp()
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), THAI_TZ).timestamp()
    return lo, hi


def thai_today() -> date:
    return datetime.now(THAI_TZ).date()


def build_questions_report(db: Database, start: date, end: date, index: PublishedIndex | None
                           ) -> QuestionsReport:
    """The report for Thai days ``start``..``end`` (inclusive)."""
    lo, hi = day_range(start, end)
    span = {"lo": lo, "hi": hi}
    day = f"CAST((at + {DAY_OFFSET}) / 86400 AS INTEGER)"
    with db.read() as conn:
        days = {d: (n, a) for d, n, a in conn.execute(text(
            f"SELECT {day} AS d, COUNT(*), SUM(abstained) FROM questions "
            "WHERE at >= :lo AND at < :hi GROUP BY d"), span)}
        most = conn.execute(text(
            "SELECT LOWER(TRIM(question)) AS q, COUNT(*) AS n FROM questions WHERE at >= :lo AND at < :hi "
            "GROUP BY q ORDER BY n DESC, q LIMIT :top"), {**span, "top": TOP}).all()
        missed = conn.execute(text(
            "SELECT LOWER(TRIM(question)) AS q, COUNT(*) AS n FROM questions "
            "WHERE at >= :lo AND at < :hi AND abstained = 1 "
            "GROUP BY q ORDER BY n DESC, q LIMIT :top"), {**span, "top": TOPIC_QUESTIONS}).all()
        votes = conn.execute(text(
            "SELECT question, chunk_ids, at FROM feedback WHERE helpful = 0 AND at >= :lo AND at < :hi "
            "ORDER BY at DESC LIMIT :top"), {**span, "top": UNHELPFUL}).all()
    per_day = []
    first = (start - date(1970, 1, 1)).days
    for n in range((end - start).days + 1):
        asked, declined = days.get(first + n, (0, 0))
        per_day.append(((start + timedelta(days=n)).isoformat(), int(asked), int(declined or 0)))
    return QuestionsReport(
        start, end, sum(p[1] for p in per_day), sum(p[2] for p in per_day), per_day,
        [(_shown(q), n) for q, n in most], topic_groups([(q, n) for q, n in missed]),
        [Unhelpful(_shown(q), _local(at), _passages(index, ids.split())) for q, ids, at in votes])


def topic_groups(questions: list[tuple[str, int]], limit: int = TOPICS) -> list[TopicGroup]:
    """Declined questions grouped by their most shared content word: each question joins the
    group of its word that the most declined questions (weighted by count) contain."""
    words = {q: _content_words(q) for q, _ in questions}
    weight = Counter()
    for q, n in questions:
        for w in words[q]:
            weight[w] += n
    groups: dict[str, TopicGroup] = {}
    for q, n in questions:
        topic = max(words[q], key=lambda w: (weight[w], len(w), w), default="") or "อื่น ๆ"
        group = groups.setdefault(topic, TopicGroup(topic, 0))
        group.total += n
        group.questions.append((_shown(q), n))
    return sorted(groups.values(), key=lambda g: (-g.total, g.topic))[:limit]


def csv_rows(db: Database, start: date, end: date, batch: int = 2000) -> Iterator[list[str]]:
    """Every question of the range, oldest first: time (Thai), platform, question, declined,
    cited passages; fetched in batches so a long log never sits in memory."""
    lo, hi = day_range(start, end)
    last_at, last_id = lo - 1, -1
    yield ["time", "platform", "question", "declined", "cited_chunks"]
    while True:
        with db.read() as conn:
            rows = conn.execute(text(
                "SELECT id, at, platform, question, abstained, chunk_ids FROM questions "
                "WHERE at < :hi AND (at > :at OR (at = :at AND id > :id)) AND at >= :lo "
                "ORDER BY at, id LIMIT :n"), {"lo": lo, "hi": hi, "at": last_at, "id": last_id,
                                              "n": batch}).all()
        for row in rows:
            yield [_local(row.at), row.platform, _csv_safe(_shown(row.question)),
                   "1" if row.abstained else "0", row.chunk_ids]
        if len(rows) < batch:
            return
        last_at, last_id = rows[-1].at, rows[-1].id


def _content_words(question: str) -> set[str]:
    stop = thai_stopwords()
    return {w for w in word_tokens(question)
            if len(w) > 1 and not w.isdigit() and w not in stop and w not in _QUESTION_WORDS}


def _passages(index: PublishedIndex | None, chunk_ids: list[str]) -> list[dict]:
    out = []
    for chunk_id in chunk_ids:
        pos = index.positions.get(chunk_id) if index else None
        if pos is None:
            out.append({"title": "", "section": None, "text": "(ไม่อยู่ในดัชนีรุ่นปัจจุบันแล้ว)"})
            continue
        chunk = index.chunks[pos]
        doc = index.documents.get(chunk.doc_id)
        out.append({"title": doc.title if doc else chunk.doc_id, "section": chunk.section,
                    "text": chunk.text})
    return out


def _shown(question: str) -> str:
    """A logged question as displayed: control characters out, spaces collapsed."""
    return collapse_spaces(_CONTROL.sub(" ", question))


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(THAI_TZ).strftime("%Y-%m-%d %H:%M")
