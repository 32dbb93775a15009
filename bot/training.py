"""Trainers' tools over the dialogue core: quiz rounds and scored sessions per chat.

A round is one generated question; participants answer once each; at reveal (a trainer's button,
a timeout, or the first answer in a private chat) correct answers score a point when the chat has
a session running. Rounds, answers and scores live in the state database (see bot/state/quiz.py),
so any replica can take an answer and a round is scored once; they expire, so nothing grows
without limit.
"""

import secrets
from dataclasses import dataclass, field

from retrieval.quiz import generate_quiz

from .dialogue import Dialogue
from .state import Database, QuizRound, QuizStore

__all__ = ["QuizRound", "Training"]


@dataclass
class Training:
    dialogue: Dialogue
    db: Database | None = None  # default: the dialogue's database
    seed: int = 0
    store: QuizStore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.store = QuizStore(self.db if self.db is not None else self.dialogue.db)

    def new_round(self, chat_id: str, topic: str = "") -> QuizRound | None:
        """A new question for the chat (None when the documents give none for ``topic``).
        Deterministic: the n-th round of a chat uses seed + n."""
        n = self.store.next_number(chat_id)
        questions = generate_quiz(self.dialogue.retriever, 1, self.seed + n, topic)
        if not questions:
            return None
        quiz_round = QuizRound(secrets.token_urlsafe(6), chat_id, questions[0])
        self.store.add(quiz_round)
        return quiz_round

    def round(self, ref: str) -> QuizRound | None:
        """The round with the answers so far; None when unknown or expired."""
        return self.store.get(ref)

    def answer(self, ref: str, user_id: str, name: str, choice: int) -> str:
        """Record a participant's first answer: "ok", "again" (already answered), "closed"
        (revealed) or "stale" (unknown round)."""
        return self.store.answer(ref, user_id, name, choice)

    def reveal(self, ref: str) -> QuizRound | None:
        """Close the round and score it; None when it was already revealed or is unknown."""
        return self.store.reveal(ref)

    def start_session(self, chat_id: str) -> None:
        """Start counting scores in the chat (a new session starts from zero)."""
        self.store.start_session(chat_id)

    def stop_session(self, chat_id: str) -> list[tuple[str, int]] | None:
        """Stop counting; the final leaderboard, or None when no session was running."""
        return self.store.stop_session(chat_id)

    def leaderboard(self, chat_id: str) -> list[tuple[str, int]]:
        """(name, points), best first."""
        return self.store.leaderboard(chat_id)
