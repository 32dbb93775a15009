"""Feedback (👍/👎) on answers, kept in SQLite with the question and the cited chunk ids."""

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from .dialogue import Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    question TEXT NOT NULL,
    chunk_ids TEXT NOT NULL,  -- space-separated, in citation order
    helpful INTEGER NOT NULL  -- 1 = 👍, 0 = 👎
)
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


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating when needed) the data database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")  # several bot processes may write at once
    db.execute(_SCHEMA)
    return db


def record_feedback(db: sqlite3.Connection, fb: Feedback) -> None:
    """Store one vote."""
    with db:
        db.execute(
            "INSERT INTO feedback (at, platform, user_id, chat_id, question, chunk_ids, helpful) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (fb.at or time.time(), fb.platform, fb.user_id, fb.chat_id, fb.question,
             " ".join(fb.chunk_ids), int(fb.helpful)))


def read_feedback(db: sqlite3.Connection, since: float = 0.0) -> list[Feedback]:
    """Votes since ``since`` (a Unix time), oldest first."""
    rows = db.execute(
        "SELECT platform, user_id, chat_id, question, chunk_ids, helpful, at FROM feedback "
        "WHERE at >= ? ORDER BY at", (since,))
    return [Feedback(p, u, c, q, ids.split(), bool(h), at) for p, u, c, q, ids, h, at in rows]
