"""The questions report over a date range, computed in the database: questions and declines per
day, the most asked questions, declined questions grouped by topic, and 👎 feedback with the
passages that were cited.

Days are Thai days (UTC+7, no daylight saving). Aggregation happens in SQL on the indexed ``at``
column so a log of 100,000 questions stays well inside the page budget (benchmarks/bench_web.py).
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from pythainlp.corpus import thai_stopwords
from sqlalchemy import bindparam, text

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
PASSAGE_CHARS = 600  # a cited passage is shown up to this long
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
    sync_question_keys(db)
    first, last = _day_number(start), _day_number(end)
    span = {"d0": first, "d1": last}
    lo, hi = day_range(start, end)
    with db.read() as conn:
        days = {d: (n, a) for d, n, a in conn.execute(text(
            "SELECT day, COUNT(*), SUM(abstained) FROM web_question_keys WHERE day BETWEEN :d0 AND :d1 "
            "GROUP BY day"), span)}
        most = [(q, n) for q, _, n in _top_questions(conn, span, "", TOP)]
        missed = _top_questions(conn, span, "AND abstained = 1", TOPIC_QUESTIONS)
        votes = conn.execute(text(
            "SELECT question, chunk_ids, at FROM feedback WHERE helpful = 0 AND at >= :lo AND at < :hi "
            "ORDER BY at DESC LIMIT :top"), {"lo": lo, "hi": hi, "top": UNHELPFUL}).all()
    per_day = []
    for n in range(last - first + 1):
        asked, declined = days.get(first + n, (0, 0))
        per_day.append(((start + timedelta(days=n)).isoformat(), int(asked), int(declined or 0)))
    return QuestionsReport(
        start, end, sum(p[1] for p in per_day), sum(p[2] for p in per_day), per_day, most,
        topic_groups(missed),
        [Unhelpful(_shown(q), _local(at), _passages(index, ids.split())) for q, ids, at in votes])


def sync_question_keys(db: Database, batch: int = 20_000) -> int:
    """Key the questions logged since the last call (their Thai day and the 64-bit key of their
    normalised text); how many were added. Safe to run from several replicas at once."""
    added = 0
    while True:
        with db.tx() as conn:
            last = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM web_question_keys")).scalar()
            rows = conn.execute(text("SELECT id, at, question, abstained FROM questions WHERE id > :last "
                                     "ORDER BY id LIMIT :n"), {"last": last, "n": batch}).all()
            if not rows:
                return added
            keyed = [(r.id, int((r.at + DAY_OFFSET) // 86400), int(r.abstained), _shown(r.question))
                     for r in rows]
            conn.execute(text("INSERT INTO web_question_keys (id, day, abstained, qkey) "
                              "VALUES (:id, :day, :a, :k) ON CONFLICT (id) DO NOTHING"),
                         [{"id": i, "day": d, "a": a, "k": question_key(q)} for i, d, a, q in keyed])
            texts = {question_key(q): q for *_, q in reversed(keyed)}  # the first asking wins
            known = conn.execute(_SELECT_TEXTS, {"keys": list(texts)}).scalars().all()
            new = [{"k": k, "q": q, "w": " ".join(sorted(content_words(q)))}
                   for k, q in texts.items() if k not in set(known)]
            if new:  # tokenised once per distinct question, not at every view
                conn.execute(text("INSERT INTO web_question_texts (qkey, question, words) "
                                  "VALUES (:k, :q, :w) ON CONFLICT (qkey) DO NOTHING"), new)
        added += len(rows)


def question_key(question: str) -> int:
    """A signed 64-bit key of a question ignoring case and spacing (fits BIGINT on PostgreSQL)."""
    digest = hashlib.blake2b(collapse_spaces(question).lower().encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_SELECT_TEXTS = text("SELECT qkey FROM web_question_texts WHERE qkey IN :keys").bindparams(
    bindparam("keys", expanding=True))
_TEXTS = text("SELECT qkey, question, words FROM web_question_texts WHERE qkey IN :keys").bindparams(
    bindparam("keys", expanding=True))


def _top_questions(conn, span: dict, where: str, top: int) -> list[tuple[str, set[str], int]]:
    """(question, content words, count) of the most frequent questions of the span."""
    rows = conn.execute(text(
        f"SELECT qkey, COUNT(*) AS n FROM web_question_keys WHERE day BETWEEN :d0 AND :d1 {where} "
        "GROUP BY qkey ORDER BY n DESC, qkey LIMIT :top"), {**span, "top": top}).all()
    if not rows:
        return []
    texts = {k: (q, set(w.split())) for k, q, w in conn.execute(_TEXTS, {"keys": [k for k, _ in rows]})}
    return [(*texts.get(k, ("?", set())), n) for k, n in rows]


def _day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def topic_groups(questions: list[tuple[str, set[str], int]], limit: int = TOPICS) -> list[TopicGroup]:
    """Declined (question, content words, count) grouped by their most shared content word: each
    question joins the group of its word that the most declined questions (by count) contain."""
    weight = Counter()
    for _, words, n in questions:
        for w in words:
            weight[w] += n
    groups: dict[str, TopicGroup] = {}
    for q, words, n in questions:
        topic = max(words, key=lambda w: (weight[w], len(w), w), default="") or "อื่น ๆ"
        group = groups.setdefault(topic, TopicGroup(topic, 0))
        group.total += n
        group.questions.append((_shown(q), n))
    return sorted(groups.values(), key=lambda g: (-g.total, g.topic))[:limit]


def csv_rows(db: Database, start: date, end: date, batch: int = 5000) -> Iterator[list[list[str]]]:
    """Every question of the range, oldest first, in batches of rows: time (Thai), platform,
    question, declined, cited passages; a long log never sits in memory."""
    lo, hi = day_range(start, end)
    last_at, last_id = lo - 1, -1
    yield [["time", "platform", "question", "declined", "cited_chunks"]]
    while True:
        with db.read() as conn:
            rows = conn.execute(text(
                "SELECT id, at, platform, question, abstained, chunk_ids FROM questions "
                "WHERE at < :hi AND (at > :at OR (at = :at AND id > :id)) AND at >= :lo "
                "ORDER BY at, id LIMIT :n"), {"lo": lo, "hi": hi, "at": last_at, "id": last_id,
                                              "n": batch}).all()
        yield [[_local(row.at), row.platform, _csv_safe(_shown(row.question)),
                "1" if row.abstained else "0", row.chunk_ids] for row in rows]
        if len(rows) < batch:
            return
        last_at, last_id = rows[-1].at, rows[-1].id


def content_words(question: str) -> set[str]:
    """The words of a question that say what it is about (no stop or question words)."""
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
        passage = chunk.text if len(chunk.text) <= PASSAGE_CHARS else chunk.text[:PASSAGE_CHARS] + " …"
        out.append({"title": doc.title if doc else chunk.doc_id, "section": chunk.section,
                    "text": passage})
    return out


def _shown(question: str) -> str:
    """A logged question as displayed: control characters out, spaces collapsed."""
    return collapse_spaces(_CONTROL.sub(" ", question))


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(THAI_TZ).strftime("%Y-%m-%d %H:%M")
