"""Platform-neutral dialogue core: questions and follow-ups per chat.

Front ends (console, Telegram, LINE) call :meth:`Dialogue.reply` and only render the Turn's Answer.
Turns are kept in the state database, so a follow-up or a button works on any replica.
"""

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import SQLAlchemyError

from index.thai_text import arabic_digits
from retrieval.answer import Answer, Citation, ask, define
from retrieval.followup import (
    ask_follow_up,
    asked_words,
    asks_without_subject,
    carry,
    in_document,
    item_answer,
    last_list_item,
    list_item_answer,
    names_only,
    neighbour_section,
    ordinal_item,
    subject_words,
    topic_words,
)
from retrieval.intent import asking_phrases, asks_something
from retrieval.live import LiveRetriever
from retrieval.search import Retriever

from .refer import LAST_ITEM, Reference, parse_reference
from .state import Database, TurnStore, memory_database

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500

# "เป้าหมายที่ 4", "ยุทธศาสตร์ที่ 2 ล่ะ": a numbered part the previous answer lists by name.
_ORDINAL = re.compile(r"^(?:แล้ว|ขอ|ส่วน)?\s*((?!มาตรา)[ก-๙]{2,}?)ที่\s*([0-9]+)")
# A follow-up that carries the last question's topic: opening with "แล้ว"/"ถ้า"/"ต้อง…", or
# pointing back ("คณะกรรมการนี้", "ครั้งนั้น") at something the last answer's document holds.
_CARRY = re.compile(r"^(?:แล้ว|แล้วถ้า|ถ้า|งั้น|ส่วน|และ|ต้อง)")
_POINTS_BACK = re.compile(r"นี้|นั้น|ดังกล่าว|ครั้งนั้น|เขา|มัน")
# A thing pointed at ("งานอบรมนี้", "คณะกรรมการดังกล่าว"); "วันนี้", "ตอนนี้", "ทั้งนี้" may point at
# the present or the sentence instead.
_POINTS_AT = re.compile(r"(?<!วัน)(?<!ตอน)(?<!ขณะ)(?<!ปี)(?<!เดือน)(?<!เวลา)(?<!ทั้ง)(?<!ดัง)(?:นี้|นั้น)"
                        r"|ดังกล่าว")
# A question that cannot stand alone: it continues a conversation ("แล้ว…", "งั้น…", "ส่วน…").
_LEANS = re.compile(r"^(?:แล้ว|งั้น|ส่วน)")
MAX_CARRY_CHARS = 60
SHORT_QUESTION = 25  # a question this short leans on the conversation ("โทษเท่าไร", "จัดที่ไหน")
STANDS_ALONE = 4  # subject words with which "แล้ว…", "งั้น…", "ส่วน…" is a question of its own
POINTED_SHARE = 0.5  # of its words the last answer's document must hold for "…นี้" to point at it
NOTHING_TO_FOLLOW = ("ยังไม่มีคำตอบก่อนหน้าให้อ้างถึงค่ะ ลองพิมพ์คำถามแบบเต็ม เช่น "
                     "“พ.ร.บ.คอมพิวเตอร์ มาตรา 14 ว่าอย่างไร”")
NOTHING_AFTER_DECLINE = ("คำถามก่อนหน้าไม่พบคำตอบในเอกสาร จึงไม่มีคำตอบให้อ้างถึงค่ะ "
                         "ลองพิมพ์คำถามใหม่แบบเต็ม โดยระบุชื่อเอกสารหรือเรื่องที่ต้องการ")

WELCOME = ("สวัสดีค่ะ สารบรรณช่วยตอบคำถามจากเอกสารนโยบายรัฐบาลดิจิทัล พร้อมแหล่งอ้างอิง "
           "พิมพ์คำถามได้เลยค่ะ")
NO_PREVIOUS = "ยังไม่มีคำถามก่อนหน้าในแชตนี้ค่ะ ลองพิมพ์คำถามใหม่ได้เลย"
NO_MORE = "ไม่มีคำตอบอื่นจากเอกสารแล้วค่ะ"
NO_NEXT = "ไม่มีมาตราหรือตอนถัดไปแล้วค่ะ ส่วนนี้เป็นส่วนสุดท้ายของเอกสาร"
NO_BEFORE = "ไม่มีมาตราหรือตอนก่อนหน้าแล้วค่ะ ส่วนนี้เป็นส่วนแรกของเอกสาร"
NO_ITEM = "คำตอบก่อนหน้าไม่มีข้อ {n} ค่ะ ลองระบุเลขข้อที่มีในรายการ"
NO_LIST = "คำตอบก่อนหน้าไม่ได้เป็นรายการเป็นข้อ ๆ ค่ะ"
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
    topic: list[str] = field(default_factory=list)  # what the conversation is about (follow-ups carry it)
    item: int = 0  # the number of the list item it showed ("ข้อ 3"), so "ข้อต่อไป" goes on from it
    scope: str = ""  # the document a topic follow-up was searched within ("คำตอบอื่น" stays there)
    outside: str = ""  # the document whose results "คำตอบอื่น" ran out of, and now passes over


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
        nothing = NOTHING_TO_FOLLOW
        if last and last.answer.abstained:
            last, nothing = None, NOTHING_AFTER_DECLINE  # nothing to refer to after a decline
        retriever = self.retriever  # one index version for the whole reply
        if (ref := parse_reference(text)) is not None:
            return self._refer(chat_id, retriever, last, ref) if last else nothing
        ordinal = _ORDINAL.match(arabic_digits(text))
        if ordinal and last and not asked_words(text[ordinal.end():]):
            n = int(ordinal.group(2))  # "เป้าหมายที่ 4", else item 4 of a list "(1) … (4) …"
            found = ordinal_item(retriever, last.answer, ordinal.group(1), n) or \
                list_item_answer(retriever, last.answer, n)
            if found:
                return self._go_on(last, found, item=n)
        # A short or pointing question leans on the conversation when the last answer's document
        # holds its words ("วาระกี่ปี"), otherwise it is a new question ("ราคาทองวันนี้"); one
        # pointing at a thing ("งานอบรมนี้") when the document holds most of them (the user's
        # words may not be the document's: "เปิดงาน" for "เปิดการอบรม").
        leans = len(text) <= SHORT_QUESTION or _POINTS_BACK.search(text)
        held = in_document(retriever, last.answer, text) if last and leans else 0.0
        carries = _CARRY.search(text) or held == 1.0 or (held >= POINTED_SHARE and _POINTS_AT.search(text))
        if last is None and (asks_without_subject(retriever, text)
                             or (_LEANS.match(text) and len(subject_words(text)) < STANDS_ALONE)):
            # "แล้วใครเป็นประธาน", "โทษเท่าไร" with no answer before it; "แล้วถ้าเขียนโปรแกรมไว้ขาย
            # ให้คนเอาไปเจาะระบบล่ะ ผิดไหม" says enough to be asked on its own.
            return nothing
        own = topic_words(retriever, text)
        # A long question carries the topic only when it also points back ("ถ้า…โพสต์แบบนี้ล่ะ ผิดไหม",
        # "…ตามกฎหมายนี้"), not for opening with "ถ้า…" alone.
        points_back = carries and _POINTS_AT.search(text)
        if last and last.answer.citations and (
                (len(text) <= MAX_CARRY_CHARS and (carries or names_only(retriever, text)))
                or (len(text) > MAX_CARRY_CHARS and points_back)):
            # "แล้วคณะกรรมการวินิจฉัยล่ะ", "พรบ คอม ล่ะ" ask nothing of their own: the last question
            # again, about what they name.
            asked = text if asks_something(text) else f"{text} {' '.join(asking_phrases(last.question))}"
            topic = carry(own, last.topic)
            answer = ask_follow_up(retriever, last.answer, asked, own, topic, self.k)
            if not answer.abstained:
                scope = answer.citations[0].doc_id  # the document named, else the last one's
                return self._save(Turn(_new_ref(), chat_id, asked, 0, answer, True, topic, scope=scope))
        return self._save(Turn(_new_ref(), chat_id, text, 0, ask(retriever, text, self.k), topic=own))

    def _refer(self, chat_id: str, retriever: Retriever, last: Turn, ref: Reference) -> Turn | str:
        """The answer a message referring to the last one asks for (see ``bot.refer``)."""
        if ref.kind == "another":
            return self.more(last.ref)
        kind = ref.kind if ref.kind != "step" else ("item" if last.item else "section")
        if kind == "section":
            found = neighbour_section(retriever, last.answer, ref.step < 0)
            if found is None:
                return NO_BEFORE if ref.step < 0 else NO_NEXT
            return self._go_on(last, found)
        if ref.n == LAST_ITEM:
            if (last_item := last_list_item(retriever, last.answer, last.question)) is None:
                return NO_LIST
            n, found = last_item
            return self._go_on(last, found, item=n)
        n = ref.n or last.item + ref.step
        found = item_answer(retriever, last.answer, last.question, n) if n > 0 else None
        if found is None:
            return NO_ITEM.format(n=n)
        return self._go_on(last, found, item=n)

    def define(self, chat_id: str, term: str) -> Turn | str:
        """Every document's definition of ``term`` (/define), remembered like an answer so its
        buttons and follow-ups work."""
        term = term.strip()[:MAX_QUESTION_CHARS]
        if not re.search(r"[ก-๙A-Za-z0-9]", term):
            return EMPTY
        retriever = self.retriever
        return self._save(Turn(_new_ref(), chat_id, term, 0, define(retriever, term),
                               topic=topic_words(retriever, term)))

    def more(self, ref: str) -> Turn | str:
        """The next results for the question of turn ``ref`` ("คำตอบอื่น")."""
        turn = self.turn(ref)
        if turn is None:
            return NO_PREVIOUS
        retriever = self.retriever
        # A topic follow-up's results stay in its document (``scope``), with its topic.
        scope, outside = turn.scope, turn.outside
        topic = " ".join(turn.topic) if scope or outside else ""

        def page(skip: int, scope: str) -> Answer:
            return ask(retriever, turn.question, self.k, skip, within=scope or None, topic=topic)

        # After "ข้อ 7" or "มาตราถัดไป" the turn showed a passage further down the results:
        # another answer starts with one not shown yet.
        shown = {c.chunk_id for c in turn.answer.citations}

        def passed(citation: Citation) -> bool:
            return citation.chunk_id in shown or citation.doc_id == outside

        skip, answer = _next_page(page, turn.skip + self.k, scope, passed)
        if (answer.abstained or not answer.citations) and scope:
            # Its document has nothing more (a short news item): the results outside it.
            scope, outside = "", scope
            skip, answer = _next_page(page, 0, "", passed)
        if answer.abstained or not answer.citations:
            return NO_MORE
        return self._go_on(replace(turn, scope=scope, outside=outside), answer, skip=skip)

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

    def _go_on(self, last: Turn, answer: Answer, item: int = 0, skip: int | None = None) -> Turn:
        """A follow-up turn showing ``answer`` in place of ``last``'s: same question, results page,
        topic and scope, so later follow-ups and "another answer" go on from there."""
        return self._save(replace(last, ref=_new_ref(), answer=answer, follow_up=True, item=item,
                                  skip=last.skip if skip is None else skip))

    def _save(self, turn: Turn) -> Turn:
        try:
            self.turns.save(turn)
        except SQLAlchemyError as exc:  # the answer still goes out; its buttons will say stale
            log.error("dialogue state not saved: %s", exc.__class__.__name__)
        return turn


def _next_page(page: Callable[[int, str], Answer], skip: int, scope: str, passed: Callable[[Citation], bool],
               tries: int = 6) -> tuple[int, Answer]:
    """The first page of results from ``skip`` on whose first source is not ``passed`` over (one
    shown already), looking a few results further each time; the skip it starts at and the page."""
    answer = page(skip, scope)
    for _ in range(tries):
        if answer.abstained or not answer.citations or not passed(answer.citations[0]):
            break
        skip += 1
        answer = page(skip, scope)
    return skip, answer


def _new_ref() -> str:
    return secrets.token_urlsafe(6)
