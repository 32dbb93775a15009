"""The admins' records: questions asked, 👍/👎 feedback (one vote per user and answer) and the
audit log of document and index operations."""

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text

from .db import Database

if TYPE_CHECKING:
    from ..dialogue import Turn


@dataclass
class Feedback:
    platform: str
    user_id: str
    chat_id: str
    question: str
    chunk_ids: list[str]
    helpful: bool
    turn_ref: str = ""  # the answer voted on; one vote per user and answer
    at: float = 0.0

    @classmethod
    def for_turn(cls, turn: "Turn", platform: str, user_id: str, helpful: bool) -> "Feedback":
        """A vote on ``turn``'s answer, with its question and cited chunk ids."""
        return cls(platform, user_id, turn.chat_id, turn.question,
                   [c.chunk_id for c in turn.answer.citations], helpful, turn.ref)


@dataclass
class AuditEntry:
    actor: str
    action: str
    target: str
    outcome: str
    detail: str = ""
    at: float = 0.0


def record_question(db: Database, platform: str, user_id: str, turn: "Turn",
                    event_key: str | None = None) -> None:
    """Log an answered (or abstained) question for the admins' report (stored as asked; the
    report escapes control characters when it prints). With the webhook event's ``event_key``
    a question is logged once per event, however often the event is answered (a takeover after
    a replica died)."""
    with db.tx() as conn:
        conn.execute(text("INSERT INTO questions (at, platform, user_id, question, abstained, chunk_ids, "
                          "event_key) VALUES (:at, :platform, :user, :question, :abstained, :chunks, "
                          ":key) ON CONFLICT (platform, event_key) DO NOTHING"),
                     {"at": time.time(), "platform": platform, "user": user_id,
                      "question": turn.question, "abstained": int(turn.answer.abstained),
                      "chunks": " ".join(c.chunk_id for c in turn.answer.citations), "key": event_key})


def record_feedback(db: Database, fb: Feedback) -> bool:
    """Store one vote; False when this user already voted on this answer (the first vote stays)."""
    with db.tx() as conn:
        result = conn.execute(
            text("INSERT INTO feedback (at, platform, user_id, chat_id, question, chunk_ids, helpful, "
                 "turn_ref) VALUES (:at, :platform, :user, :chat, :question, :chunks, :helpful, :ref) "
                 "ON CONFLICT (platform, user_id, turn_ref) DO NOTHING"),
            {"at": fb.at or time.time(), "platform": fb.platform, "user": fb.user_id,
             "chat": fb.chat_id, "question": fb.question, "chunks": " ".join(fb.chunk_ids),
             "helpful": int(fb.helpful), "ref": fb.turn_ref})
        return result.rowcount == 1


def record_audit(db: Database, entry: AuditEntry) -> None:
    """Store who did what to the documents or the index, and how it ended."""
    with db.tx() as conn:
        conn.execute(text("INSERT INTO audit (at, actor, action, target, outcome, detail) "
                          "VALUES (:at, :actor, :action, :target, :outcome, :detail)"),
                     {"at": entry.at or time.time(), "actor": entry.actor, "action": entry.action,
                      "target": entry.target, "outcome": entry.outcome, "detail": entry.detail})


def read_audit(db: Database, since: float = 0.0) -> list[AuditEntry]:
    """Audit entries since ``since`` (Unix time), oldest first."""
    with db.read() as conn:
        rows = conn.execute(text("SELECT actor, action, target, outcome, detail, at FROM audit "
                                 "WHERE at >= :since ORDER BY at, id"), {"since": since})
        return [AuditEntry(*row) for row in rows]


def read_questions(db: Database, since: float) -> list[tuple[str, bool]]:
    """(question, abstained) of the questions logged since ``since``."""
    with db.read() as conn:
        rows = conn.execute(text("SELECT question, abstained FROM questions WHERE at >= :since"),
                            {"since": since})
        return [(q, bool(a)) for q, a in rows]


def read_unhelpful(db: Database, since: float) -> list[tuple[str, list[str], float]]:
    """(question, cited chunk ids, time) of the 👎 votes since ``since``, oldest first."""
    with db.read() as conn:
        rows = conn.execute(text("SELECT question, chunk_ids, at FROM feedback "
                                 "WHERE helpful = 0 AND at >= :since ORDER BY at, id"), {"since": since})
        return [(q, ids.split(), at) for q, ids, at in rows]
