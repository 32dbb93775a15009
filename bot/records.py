"""What the bot keeps in SQLite: questions asked, 👍/👎 feedback and the admin audit log.

One file (``SARABUN_DATA_DB``) in WAL mode, so several bot processes can write to it at once.
"""

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .dialogue import Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    question TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    chunk_ids TEXT NOT NULL          -- space-separated, in citation order
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    question TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,
    helpful INTEGER NOT NULL         -- 1 = 👍, 0 = 👎
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,             -- "telegram:<user id>", "cli"
    action TEXT NOT NULL,            -- upload, remove, reindex, rollback
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,           -- ok, refused, failed
    detail TEXT NOT NULL
);
"""


@dataclass
class Feedback:
    platform: str
    user_id: str
    chat_id: str
    question: str
    chunk_ids: list[str]
    helpful: bool
    at: float = 0.0

    @classmethod
    def for_turn(cls, turn: Turn, platform: str, user_id: str, helpful: bool) -> "Feedback":
        """A vote on ``turn``'s answer, with its question and cited chunk ids."""
        return cls(platform, user_id, turn.chat_id, turn.question,
                   [c.chunk_id for c in turn.answer.citations], helpful)


@dataclass
class AuditEntry:
    actor: str
    action: str
    target: str
    outcome: str
    detail: str = ""
    at: float = 0.0


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when needed) the data database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA)
    return db


def record_question(db: sqlite3.Connection, platform: str, user_id: str, turn: Turn) -> None:
    """Log an answered (or abstained) question for the admins' report."""
    with db:
        db.execute("INSERT INTO questions (at, platform, user_id, question, abstained, chunk_ids) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (time.time(), platform, user_id, turn.question, int(turn.answer.abstained),
                    " ".join(c.chunk_id for c in turn.answer.citations)))


def record_feedback(db: sqlite3.Connection, fb: Feedback) -> None:
    """Store one vote."""
    with db:
        db.execute(
            "INSERT INTO feedback (at, platform, user_id, chat_id, question, chunk_ids, helpful) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (fb.at or time.time(), fb.platform, fb.user_id, fb.chat_id, fb.question,
             " ".join(fb.chunk_ids), int(fb.helpful)))


def record_audit(db: sqlite3.Connection, entry: AuditEntry) -> None:
    """Store who did what to the documents or the index, and how it ended."""
    with db:
        db.execute("INSERT INTO audit (at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
                   (entry.at or time.time(), entry.actor, entry.action, entry.target, entry.outcome,
                    entry.detail))


def read_audit(db: sqlite3.Connection, since: float = 0.0) -> list[AuditEntry]:
    """Audit entries since ``since`` (Unix time), oldest first."""
    rows = db.execute("SELECT actor, action, target, outcome, detail, at FROM audit WHERE at >= ? "
                      "ORDER BY at, id", (since,))
    return [AuditEntry(*row) for row in rows]
