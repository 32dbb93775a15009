"""Platform-neutral dialogue core: questions and follow-ups per chat, with bounded memory.

Front ends (console, Telegram, LINE) call :meth:`Dialogue.reply` and only render the Turn's Answer.
"""

import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass

from index.sections import section_key
from index.thai_text import arabic_digits
from retrieval.answer import Answer, ask, cite, define
from retrieval.live import LiveRetriever
from retrieval.search import Hit, Retriever

MAX_CHATS = 10_000
MAX_QUESTION_CHARS = 500

_OTHER = re.compile(r"(?:ขอ)?คำตอบอื่น|ผลอื่น|อันอื่น|มีอีกไหม|ถัดไป$")
_ITEM = re.compile(r"^(?:แล้ว)?\s*ข้อ(?:ที่)?\s*([0-9]+)")
_NEIGHBOUR = re.compile(r"มาตรา(ก่อนหน้า|ก่อน|ถัดไป|ต่อไป)")

WELCOME = ("สวัสดีค่ะ สารบรรณช่วยตอบคำถามจากเอกสารนโยบายรัฐบาลดิจิทัล พร้อมแหล่งอ้างอิง "
           "พิมพ์คำถามได้เลยค่ะ")
NO_PREVIOUS = "ยังไม่มีคำถามก่อนหน้าในแชตนี้ค่ะ ลองพิมพ์คำถามใหม่ได้เลย"
NO_MORE = "ไม่มีคำตอบอื่นจากเอกสารแล้วค่ะ"
EMPTY = "กรุณาพิมพ์คำถามเป็นข้อความค่ะ เช่น “รัฐบาลดิจิทัลคืออะไร”"


@dataclass
class Turn:
    """One answer given in a chat; ``ref`` names it in buttons and postbacks (state stays here)."""

    ref: str
    chat_id: str
    question: str
    skip: int  # results passed over ("another answer" pages through them)
    answer: Answer
    follow_up: bool = False  # resolved against an earlier turn rather than asked afresh


class Dialogue:
    """Answers questions and resolves follow-ups against each chat's previous answer.

    Memory is bounded: the latest ``max_chats`` chats and ``4 * max_chats`` turns are kept; a
    button on a forgotten turn finds nothing and the front end says so.
    """

    def __init__(self, retriever: Retriever | LiveRetriever, k: int = 3, max_chats: int = MAX_CHATS
                 ) -> None:
        self._source = retriever
        self.k = k
        self.max_chats = max_chats
        self._chats: OrderedDict[str, str] = OrderedDict()  # chat id → ref of its latest turn
        self._turns: OrderedDict[str, Turn] = OrderedDict()

    @property
    def retriever(self) -> Retriever:
        """The retriever of the published index (a LiveRetriever switches versions)."""
        source = self._source
        return source.current() if isinstance(source, LiveRetriever) else source

    def reply(self, chat_id: str, text: str) -> Turn | str:
        """A Turn to render, or a short Thai notice (str) when there is nothing to search."""
        text = text.strip()
        if not re.search(r"[ก-๙A-Za-z0-9]", text):
            return EMPTY
        text = text[:MAX_QUESTION_CHARS]
        last = self.last(chat_id)
        retriever = self.retriever  # one index version for the whole reply
        if _OTHER.search(text):
            return self.more(last.ref) if last else NO_PREVIOUS
        if last and not last.answer.abstained:
            if (m := _ITEM.match(arabic_digits(text))) and (item := _item(last.answer, int(m.group(1)))):
                return self._remember(chat_id, last.question, last.skip, item, follow_up=True)
            if (m := _NEIGHBOUR.search(text)) and (
                    near := _neighbour(retriever, last.answer, m.group(1) in ("ก่อนหน้า", "ก่อน"))):
                return self._remember(chat_id, last.question, last.skip, near, follow_up=True)
        return self._remember(chat_id, text, 0, ask(retriever, text, self.k))

    def define(self, chat_id: str, term: str) -> Turn | str:
        """Every document's definition of ``term`` (/define), remembered like an answer so its
        buttons and follow-ups work."""
        term = term.strip()[:MAX_QUESTION_CHARS]
        if not re.search(r"[ก-๙A-Za-z0-9]", term):
            return EMPTY
        return self._remember(chat_id, term, 0, define(self.retriever, term))

    def more(self, ref: str) -> Turn | str:
        """The next results for the question of turn ``ref`` ("คำตอบอื่น")."""
        turn = self.turn(ref)
        if turn is None:
            return NO_PREVIOUS
        skip = turn.skip + self.k
        answer = ask(self.retriever, turn.question, self.k, skip)
        if answer.abstained or not answer.citations:
            return NO_MORE
        return self._remember(turn.chat_id, turn.question, skip, answer, follow_up=True)

    def turn(self, ref: str) -> Turn | None:
        """A remembered turn, or None when it was forgotten (or never existed)."""
        return self._turns.get(ref)

    def last(self, chat_id: str) -> Turn | None:
        """The chat's latest turn."""
        ref = self._chats.get(chat_id)
        return self._turns.get(ref) if ref else None

    def _remember(self, chat_id: str, question: str, skip: int, answer: Answer,
                  follow_up: bool = False) -> Turn:
        turn = Turn(secrets.token_urlsafe(6), chat_id, question, skip, answer, follow_up)
        self._turns[turn.ref] = turn
        self._chats[chat_id] = turn.ref
        self._chats.move_to_end(chat_id)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        while len(self._turns) > 4 * self.max_chats:
            self._turns.popitem(last=False)
        return turn


def _item(previous: Answer, n: int) -> Answer | None:
    """Item ``n`` of the list in the previous answer's passages ("แล้วข้อ 3 ล่ะ")."""
    pattern = re.compile(rf"^(?:[-•*]\s*)?(?:\(\s*{n}\s*\)|{n}[.)])\s*")
    for citation in previous.citations:
        for line in citation.text.split("\n"):
            if pattern.match(arabic_digits(line)):
                return Answer(f"ข้อ {n}", False, line, [citation])
    return None


def _neighbour(retriever: Retriever, previous: Answer, before: bool) -> Answer | None:
    """The section before/after the one cited first in the previous answer."""
    chunks = retriever.index.chunks
    first = previous.citations[0]
    pos = retriever.index.positions.get(first.chunk_id)
    if pos is None:
        return None
    step = -1 if before else 1
    i = pos + step
    while 0 <= i < len(chunks) and chunks[i].doc_id == first.doc_id:
        if chunks[i].section and section_key(chunks[i].section) != section_key(first.section):
            hit = Hit(i, chunks[i], 1.0, 0.0, 0.0)
            return Answer(chunks[i].section or "", False, chunks[i].text,
                          cite(retriever.index, [hit]))
        i += step
    return None
