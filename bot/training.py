"""Trainers' tools over the dialogue core: quiz rounds and scored sessions per chat.

A round is one generated question; participants answer once each; at reveal (a trainer's button,
a timeout, or the first answer in a private chat) correct answers score a point when the chat has
a session running. State is in memory and bounded, like the dialogue's.
"""

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from retrieval.quiz import QuizQuestion, generate_quiz

from .dialogue import Dialogue

MAX_ROUNDS = 10_000


@dataclass
class QuizRound:
    ref: str
    chat_id: str
    question: QuizQuestion
    answers: dict[str, tuple[str, int]] = field(default_factory=dict)  # user id → (name, choice)
    revealed: bool = False

    def winners(self) -> list[str]:
        """Names of the participants who chose the correct answer, in answer order."""
        return [name for name, choice in self.answers.values() if choice == self.question.answer]


@dataclass
class Score:
    name: str
    points: int = 0


@dataclass
class Training:
    dialogue: Dialogue
    seed: int = 0
    _rounds: OrderedDict[str, QuizRound] = field(default_factory=OrderedDict, repr=False)
    _asked: dict[str, int] = field(default_factory=dict, repr=False)  # chat → rounds so far
    _sessions: dict[str, dict[str, Score]] = field(default_factory=dict, repr=False)  # chat → user →

    def new_round(self, chat_id: str, topic: str = "") -> QuizRound | None:
        """A new question for the chat (None when the documents give none for ``topic``).
        Deterministic: the n-th round of a chat uses seed + n."""
        n = self._asked.get(chat_id, 0)
        self._asked[chat_id] = n + 1
        questions = generate_quiz(self.dialogue.retriever, 1, self.seed + n, topic)
        if not questions:
            return None
        quiz_round = QuizRound(secrets.token_urlsafe(6), chat_id, questions[0])
        self._rounds[quiz_round.ref] = quiz_round
        while len(self._rounds) > MAX_ROUNDS:
            self._rounds.popitem(last=False)
        return quiz_round

    def round(self, ref: str) -> QuizRound | None:
        return self._rounds.get(ref)

    def answer(self, ref: str, user_id: str, name: str, choice: int) -> str:
        """Record a participant's first answer: "ok", "again" (already answered), "closed"
        (revealed) or "stale" (unknown round)."""
        quiz_round = self._rounds.get(ref)
        if quiz_round is None or not 0 <= choice < len(quiz_round.question.choices):
            return "stale"
        if quiz_round.revealed:
            return "closed"
        if user_id in quiz_round.answers:
            return "again"
        quiz_round.answers[user_id] = (name, choice)
        return "ok"

    def reveal(self, ref: str) -> QuizRound | None:
        """Close the round and score it; None when it was already revealed or is unknown."""
        quiz_round = self._rounds.get(ref)
        if quiz_round is None or quiz_round.revealed:
            return None
        quiz_round.revealed = True
        scores = self._sessions.get(quiz_round.chat_id)
        if scores is not None:
            for user_id, (name, choice) in quiz_round.answers.items():
                scores.setdefault(user_id, Score(name)).points += int(choice == quiz_round.question.answer)
        return quiz_round

    def start_session(self, chat_id: str) -> None:
        """Start counting scores in the chat (a new session starts from zero)."""
        self._sessions[chat_id] = {}

    def stop_session(self, chat_id: str) -> list[tuple[str, int]] | None:
        """Stop counting; the final leaderboard, or None when no session was running."""
        board = self.leaderboard(chat_id)
        return board if self._sessions.pop(chat_id, None) is not None else None

    def leaderboard(self, chat_id: str) -> list[tuple[str, int]]:
        """(name, points), best first."""
        scores = self._sessions.get(chat_id, {})
        return sorted(((s.name, s.points) for s in scores.values()), key=lambda t: -t[1])
