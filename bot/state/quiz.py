"""Quiz rounds, answers and training-session scores, shared by replicas.

A round is revealed (and scored) by exactly one caller: the one whose update flips its
``revealed`` flag. Rounds and their answers expire after a day, sessions after two days without a
round, so nothing grows without limit.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from . import codec
from .db import Database
from .expiry import DAY, Every

ROUND_TTL = DAY
SESSION_TTL = 2 * DAY
COUNTER_TTL = 30 * DAY

if TYPE_CHECKING:
    from retrieval.quiz import QuizQuestion


@dataclass
class QuizRound:
    ref: str
    chat_id: str
    question: "QuizQuestion"
    answers: dict[str, tuple[str, int]] = field(default_factory=dict)  # user id → (name, choice)
    revealed: bool = False

    def winners(self) -> list[str]:
        """Names of the participants who chose the correct answer, in answer order."""
        return [name for name, choice in self.answers.values() if choice == self.question.answer]


@dataclass
class QuizStore:
    db: Database
    clock: Callable[[], float] = time.time
    _prune: Every = field(default_factory=Every, repr=False)

    def next_number(self, chat_id: str) -> int:
        """How many rounds the chat had before this one (0, 1, 2, …), counted across replicas."""
        now = self.clock()
        with self.db.tx() as conn:
            asked = conn.execute(text(
                "INSERT INTO quiz_counters (chat_id, asked, at) VALUES (:chat, 1, :now) "
                "ON CONFLICT (chat_id) DO UPDATE SET asked = quiz_counters.asked + 1, at = excluded.at "
                "RETURNING asked"), {"chat": chat_id, "now": now}).scalar_one()
        return asked - 1

    def add(self, quiz_round: QuizRound) -> None:
        """Store a new round."""
        now = self.clock()
        with self.db.tx() as conn:
            conn.execute(text("INSERT INTO quiz_rounds (ref, chat_id, at, body, revealed) "
                              "VALUES (:ref, :chat, :at, :body, 0)"),
                         {"ref": quiz_round.ref, "chat": quiz_round.chat_id, "at": now,
                          "body": codec.dump(quiz_round.question)})
        if self._prune.due(now):
            self.prune(now)

    def get(self, ref: str) -> QuizRound | None:
        """The round with its answers so far; None when unknown or expired."""
        with self.db.read() as conn:
            return self._load(conn, ref)

    def answer(self, ref: str, user_id: str, name: str, choice: int) -> str:
        """Record a participant's first answer: "ok", "again" (already answered), "closed"
        (revealed) or "stale" (unknown round or choice)."""
        lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE
        with self.db.tx() as conn:
            row = conn.execute(text("SELECT revealed, body FROM quiz_rounds "
                                    f"WHERE ref = :ref AND at >= :since{lock}"),
                               {"ref": ref, "since": self.clock() - ROUND_TTL}).first()
            if row is None or not 0 <= choice < len(_question(row.body).choices):
                return "stale"
            if row.revealed:
                return "closed"
            added = conn.execute(text("INSERT INTO quiz_answers (ref, user_id, name, choice, at) "
                                      "VALUES (:ref, :user, :name, :choice, :at) "
                                      "ON CONFLICT (ref, user_id) DO NOTHING"),
                                 {"ref": ref, "user": user_id, "name": name, "choice": choice,
                                  "at": self.clock()}).rowcount
        return "ok" if added else "again"

    def reveal(self, ref: str) -> QuizRound | None:
        """Close the round and add its points to the chat's running session; None when it was
        already revealed (here or on another replica) or is unknown."""
        now = self.clock()
        with self.db.tx() as conn:
            flipped = conn.execute(text("UPDATE quiz_rounds SET revealed = 1 "
                                        "WHERE ref = :ref AND revealed = 0 AND at >= :since"),
                                   {"ref": ref, "since": now - ROUND_TTL}).rowcount
            if flipped != 1:
                return None
            quiz_round = self._load(conn, ref)
            session = conn.execute(text("UPDATE training_sessions SET at = :now WHERE chat_id = :chat"),
                                   {"now": now, "chat": quiz_round.chat_id}).rowcount
            if session:
                for user_id, (name, choice) in quiz_round.answers.items():
                    conn.execute(text(
                        "INSERT INTO session_scores (chat_id, user_id, name, points, at) "
                        "VALUES (:chat, :user, :name, :points, :at) ON CONFLICT (chat_id, user_id) "
                        "DO UPDATE SET points = session_scores.points + excluded.points, "
                        "name = excluded.name"),
                        {"chat": quiz_round.chat_id, "user": user_id, "name": name, "at": now,
                         "points": int(choice == quiz_round.question.answer)})
        return quiz_round

    def start_session(self, chat_id: str) -> None:
        """Start counting scores in the chat (a new session starts from zero)."""
        now = self.clock()
        with self.db.tx() as conn:
            conn.execute(text("DELETE FROM session_scores WHERE chat_id = :chat"), {"chat": chat_id})
            conn.execute(text("INSERT INTO training_sessions (chat_id, started, at) "
                              "VALUES (:chat, :now, :now) ON CONFLICT (chat_id) "
                              "DO UPDATE SET started = excluded.started, at = excluded.at"),
                         {"chat": chat_id, "now": now})

    def stop_session(self, chat_id: str) -> list[tuple[str, int]] | None:
        """Stop counting; the final leaderboard, or None when no session was running."""
        with self.db.tx() as conn:
            board = self._board(conn, chat_id)
            stopped = conn.execute(text("DELETE FROM training_sessions "
                                        "WHERE chat_id = :chat AND at >= :since"),
                                   {"chat": chat_id, "since": self.clock() - SESSION_TTL}).rowcount
            conn.execute(text("DELETE FROM session_scores WHERE chat_id = :chat"), {"chat": chat_id})
        return board if stopped else None

    def leaderboard(self, chat_id: str) -> list[tuple[str, int]]:
        """(name, points) of the running session, best first (ties in order of first answer)."""
        with self.db.read() as conn:
            return self._board(conn, chat_id)

    def prune(self, now: float | None = None) -> None:
        """Delete expired rounds with their answers, idle sessions with their scores, old counters."""
        now = self.clock() if now is None else now
        with self.db.tx() as conn:
            conn.execute(text("DELETE FROM quiz_answers WHERE ref IN "
                              "(SELECT ref FROM quiz_rounds WHERE at < :since)"), {"since": now - ROUND_TTL})
            conn.execute(text("DELETE FROM quiz_rounds WHERE at < :since"), {"since": now - ROUND_TTL})
            conn.execute(text("DELETE FROM session_scores WHERE chat_id IN "
                              "(SELECT chat_id FROM training_sessions WHERE at < :since)"),
                         {"since": now - SESSION_TTL})
            conn.execute(text("DELETE FROM training_sessions WHERE at < :since"),
                         {"since": now - SESSION_TTL})
            conn.execute(text("DELETE FROM quiz_counters WHERE at < :since"), {"since": now - COUNTER_TTL})

    def _load(self, conn: Connection, ref: str) -> QuizRound | None:
        row = conn.execute(text("SELECT chat_id, body, revealed FROM quiz_rounds "
                                "WHERE ref = :ref AND at >= :since"),
                           {"ref": ref, "since": self.clock() - ROUND_TTL}).first()
        if row is None:
            return None
        answers = conn.execute(text("SELECT user_id, name, choice FROM quiz_answers WHERE ref = :ref "
                                    "ORDER BY at, user_id"), {"ref": ref})
        return QuizRound(ref, row.chat_id, _question(row.body),
                         {u: (n, c) for u, n, c in answers}, bool(row.revealed))

    def _board(self, conn: Connection, chat_id: str) -> list[tuple[str, int]]:
        session = conn.execute(text("SELECT 1 FROM training_sessions WHERE chat_id = :chat AND at >= :since"),
                               {"chat": chat_id, "since": self.clock() - SESSION_TTL}).first()
        if session is None:
            return []
        rows = conn.execute(text("SELECT name, points FROM session_scores WHERE chat_id = :chat "
                                 "ORDER BY points DESC, at, user_id"), {"chat": chat_id})
        return [(name, points) for name, points in rows]


def _question(body: str) -> "QuizQuestion":
    from retrieval.quiz import QuizQuestion  # here: `sarabun db …` need not load the retrieval stack

    return codec.load(QuizQuestion, body)
