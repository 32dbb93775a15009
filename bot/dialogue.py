"""Platform-neutral dialogue core: questions and follow-ups per chat.

Front ends (console, Telegram, LINE) call :meth:`Dialogue.reply` and only render the Turn's Answer.
Turns are kept in the state database, so a follow-up or a button works on any replica.
"""

import logging
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from index.documents import SUBSTANTIVE
from index.sections import section_key
from index.thai_text import arabic_digits
from retrieval.answer import Answer, ask, cite, define
from retrieval.compose import list_item
from retrieval.intent import asks_consequence, intents
from retrieval.live import LiveRetriever
from retrieval.search import Hit, Retriever

from .state import Database, TurnStore, memory_database

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500

_OTHER = re.compile(r"(?:ขอ)?คำตอบอื่น|ผลอื่น|อันอื่น|มีอีกไหม|มีอีกมั้ย|ผลลัพธ์ถัดไป")
_ITEM = re.compile(r"^(?:แล้ว|ขอ|ขยายความ|อธิบาย|รายละเอียด)?\s*ข้อ(?:ที่)?\s*([0-9]+)")
_NEIGHBOUR = re.compile(r"มาตรา\s*(ก่อนหน้า|ก่อนหนา|ก่อน|ถัดไป|ถัดมา|ต่อไป|หน้า)")
# A follow-up that carries the last question's topic: short, opening with "แล้ว"/"ถ้า"/"ต้อง…".
_CARRY = re.compile(r"^(?:แล้ว|แล้วถ้า|ถ้า|งั้น|ส่วน|และ|ต้อง)|นี้|นั้น|ดังกล่าว|ครั้งนั้น|เขา|มัน")
# A question that cannot stand alone: it continues a conversation ("แล้ว…", "งั้น…", "ส่วน…").
_LEANS = re.compile(r"^(?:แล้ว|งั้น|ส่วน)")
MAX_CARRY_CHARS = 60
SHORT_QUESTION = 25  # a question this short leans on the conversation ("โทษเท่าไร", "จัดที่ไหน")
NOTHING_TO_FOLLOW = ("ยังไม่มีคำตอบก่อนหน้าให้อ้างถึงค่ะ ลองพิมพ์คำถามแบบเต็ม เช่น "
                     "“พ.ร.บ.คอมพิวเตอร์ มาตรา 14 ว่าอย่างไร”")

WELCOME = ("สวัสดีค่ะ สารบรรณช่วยตอบคำถามจากเอกสารนโยบายรัฐบาลดิจิทัล พร้อมแหล่งอ้างอิง "
           "พิมพ์คำถามได้เลยค่ะ")
NO_PREVIOUS = "ยังไม่มีคำถามก่อนหน้าในแชตนี้ค่ะ ลองพิมพ์คำถามใหม่ได้เลย"
NO_MORE = "ไม่มีคำตอบอื่นจากเอกสารแล้วค่ะ"
NO_NEIGHBOUR = "ไม่มีมาตราถัดไปหรือก่อนหน้าในเอกสารนี้แล้วค่ะ"
NO_ITEM = "คำตอบก่อนหน้าไม่มีข้อ {n} ค่ะ ลองระบุเลขข้อที่มีในรายการ"
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

    Turns live in ``state`` (the shared database; a private in-memory one when None) and expire
    after ``turns.ttl``; a button on an expired turn finds nothing and the front end says so.
    """

    def __init__(self, retriever: Retriever | LiveRetriever, k: int = 3, state: Database | None = None
                 ) -> None:
        self._source = retriever
        self.k = k
        self.db = state if state is not None else memory_database()
        self.turns: TurnStore[Turn] = TurnStore(self.db, Turn)

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
        if last and last.answer.abstained:
            last = None  # nothing to refer to after a decline
        retriever = self.retriever  # one index version for the whole reply
        item = _ITEM.match(arabic_digits(text))
        neighbour = _NEIGHBOUR.search(text)
        if neighbour:
            if last is None:
                return NOTHING_TO_FOLLOW
            near = _neighbour(retriever, last.answer, neighbour.group(1).startswith("ก่อน"))
            if near is None:
                return NO_NEIGHBOUR
            return self._remember(chat_id, last.question, last.skip, near, follow_up=True)
        if _OTHER.search(text):
            return self.more(last.ref) if last else NOTHING_TO_FOLLOW
        if item:
            if last is None:
                return NOTHING_TO_FOLLOW
            found = _item(retriever, last.answer, int(item.group(1)))
            if found is None:
                return NO_ITEM.format(n=item.group(1))
            return self._remember(chat_id, last.question, last.skip, found, follow_up=True)
        carries = _CARRY.search(text) or len(text) <= SHORT_QUESTION
        if last is None and _LEANS.match(text):
            return NOTHING_TO_FOLLOW  # "แล้วใครเป็นประธาน" with no answer before it
        if last and last.answer.citations and carries and len(text) <= MAX_CARRY_CHARS:
            first = last.answer.citations[0]
            consequence = asks_consequence(text, intents(text))  # "แล้วถ้าไม่ทำ โทษเท่าไร"
            answer = ask(retriever, text, self.k, within=first.doc_id,
                         section=_section_number(first.section) if consequence else None,
                         near=first.chunk_id)
            if not answer.abstained:
                return self._remember(chat_id, text, 0, answer, follow_up=True)
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
        try:
            return self.turns.get(ref)
        except SQLAlchemyError as exc:  # answer as if forgotten rather than not at all
            log.error("dialogue state unavailable: %s", exc.__class__.__name__)
            return None

    def last(self, chat_id: str) -> Turn | None:
        """The chat's latest turn."""
        try:
            return self.turns.last(chat_id)
        except SQLAlchemyError as exc:
            log.error("dialogue state unavailable: %s", exc.__class__.__name__)
            return None

    def _remember(self, chat_id: str, question: str, skip: int, answer: Answer,
                  follow_up: bool = False) -> Turn:
        turn = Turn(secrets.token_urlsafe(6), chat_id, question, skip, answer, follow_up)
        try:
            self.turns.save(turn)
        except SQLAlchemyError as exc:  # the answer still goes out; its buttons will say stale
            log.error("dialogue state not saved: %s", exc.__class__.__name__)
        return turn


def _item(retriever: Retriever, previous: Answer, n: int) -> Answer | None:
    """Item ``n`` of the list in the previous answer ("แล้วข้อ 3 ล่ะ"): in the whole section its
    first passage belongs to (a list runs over several passages, and the answer may shorten its
    items), then in its text and its passages (lists written inline, "(1) … (2) …")."""
    index = retriever.index
    sources: list[tuple[str, list]] = []
    if previous.citations and (pos := index.positions.get(previous.citations[0].chunk_id)) is not None:
        for i in _same_section(index.chunks, pos):
            sources.append((index.chunks[i].text, cite(index, [Hit(i, index.chunks[i], 1.0, 0.0, 0.0)])))
    sources += [(previous.answer, previous.citations[:1])] + [(c.text, [c]) for c in previous.citations]
    for text, citations in sources:
        if found := list_item(text, n):
            return Answer(f"ข้อ {n}", False, found, citations)
    return None


def _same_section(chunks: list, pos: int) -> list[int]:
    """Rows of the passages of the มาตรา (or other labelled section) the passage at ``pos`` is
    part of, in order; just ``pos`` when it has no section."""
    here = chunks[pos]
    key = section_key(here.section)
    if key is None:
        return [pos]

    def same(i: int) -> bool:
        return (chunks[i].doc_id == here.doc_id and chunks[i].unit == here.unit
                and section_key(chunks[i].section) == key)

    first = last = pos
    while first > 0 and same(first - 1):
        first -= 1
    while last + 1 < len(chunks) and same(last + 1):
        last += 1
    return list(range(first, last + 1))


def _section_number(label: str | None) -> str | None:
    key = section_key(label)
    return key[1] if key and key[0] == "มาตรา" else None


def _neighbour(retriever: Retriever, previous: Answer, before: bool) -> Answer | None:
    """The section before/after the one cited first in the previous answer, from its start, within
    the same Act of the same document."""
    chunks = retriever.index.chunks
    first = previous.citations[0]
    pos = retriever.index.positions.get(first.chunk_id)
    if pos is None:
        return None
    here = chunks[pos]
    step = -1 if before else 1
    i = pos + step
    while 0 <= i < len(chunks) and chunks[i].doc_id == here.doc_id:
        chunk = chunks[i]
        if chunk.unit == here.unit and chunk.section and chunk.role in SUBSTANTIVE and \
                section_key(chunk.section) != section_key(here.section):
            i = _same_section(chunks, i)[0]  # a long section: start at its beginning
            hit = Hit(i, chunks[i], 1.0, 0.0, 0.0)
            return Answer(chunks[i].section or "", False, chunks[i].text, cite(retriever.index, [hit]))
        i += step
    return None
