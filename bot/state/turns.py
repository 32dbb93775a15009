"""Dialogue state: every answer given (a turn, named by the ref its buttons carry) and each chat's
latest turn, so a follow-up or a button works on whichever replica receives it."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from sqlalchemy import text

from . import codec
from .db import Database
from .expiry import DAY, Every


class _Turn(Protocol):
    ref: str
    chat_id: str


T = TypeVar("T", bound=_Turn)
TURN_TTL = 2 * DAY  # a button or follow-up on an older answer finds nothing


@dataclass
class TurnStore(Generic[T]):
    """Turns of type ``cls`` (a dataclass with ``ref`` and ``chat_id``), kept for ``ttl`` seconds."""

    db: Database
    cls: type[T]
    ttl: float = TURN_TTL
    clock: Callable[[], float] = time.time
    _prune: Every = field(default_factory=Every, repr=False)

    def save(self, turn: T) -> None:
        """Store ``turn`` and make it its chat's latest."""
        now = self.clock()
        with self.db.tx() as conn:
            conn.execute(text("INSERT INTO dialogue_turns (ref, chat_id, at, body) "
                              "VALUES (:ref, :chat, :at, :body)"),
                         {"ref": turn.ref, "chat": turn.chat_id, "at": now, "body": codec.dump(turn)})
            conn.execute(text("INSERT INTO dialogue_chats (chat_id, ref, at) VALUES (:chat, :ref, :at) "
                              "ON CONFLICT (chat_id) DO UPDATE SET ref = excluded.ref, at = excluded.at"),
                         {"chat": turn.chat_id, "ref": turn.ref, "at": now})
        if self._prune.due(now):
            self.prune(now)

    def get(self, ref: str) -> T | None:
        """The turn named ``ref``; None when it expired or never existed."""
        with self.db.read() as conn:
            body = conn.execute(text("SELECT body FROM dialogue_turns WHERE ref = :ref AND at >= :since"),
                                {"ref": ref, "since": self.clock() - self.ttl}).scalar()
        return codec.load(self.cls, body) if body is not None else None

    def last(self, chat_id: str) -> T | None:
        """The chat's latest turn (None when it has none that is still kept)."""
        with self.db.read() as conn:
            body = conn.execute(text(
                "SELECT t.body FROM dialogue_chats c JOIN dialogue_turns t ON t.ref = c.ref "
                "WHERE c.chat_id = :chat AND t.at >= :since"),
                {"chat": chat_id, "since": self.clock() - self.ttl}).scalar()
        return codec.load(self.cls, body) if body is not None else None

    def prune(self, now: float | None = None) -> int:
        """Delete expired turns and chat pointers; how many turns went."""
        since = (self.clock() if now is None else now) - self.ttl
        with self.db.tx() as conn:
            conn.execute(text("DELETE FROM dialogue_chats WHERE at < :since"), {"since": since})
            return conn.execute(text("DELETE FROM dialogue_turns WHERE at < :since"),
                                {"since": since}).rowcount
