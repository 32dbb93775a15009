"""Platform-neutral dialogue core: questions and follow-ups per chat, with bounded memory.

Front ends (console, Telegram, LINE) call :meth:`Dialogue.reply` and only render the Answer.
"""

import re
from collections import OrderedDict
from dataclasses import dataclass

from index.sections import section_key
from index.thai_text import arabic_digits
from retrieval.answer import Answer, ask, cite
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
class _ChatState:
    question: str
    skip: int
    answer: Answer


class Dialogue:
    """Answers questions and resolves follow-ups against each chat's previous answer."""

    def __init__(self, retriever: Retriever, k: int = 3, max_chats: int = MAX_CHATS) -> None:
        self.retriever = retriever
        self.k = k
        self.max_chats = max_chats
        self._chats: OrderedDict[str, _ChatState] = OrderedDict()

    def reply(self, chat_id: str, text: str) -> Answer | str:
        """An Answer to render, or a short Thai notice (str) when there is nothing to search."""
        text = text.strip()
        if not re.search(r"[ก-๙A-Za-z0-9]", text):
            return EMPTY
        text = text[:MAX_QUESTION_CHARS]
        state = self._chats.get(chat_id)
        digits = arabic_digits(text)
        if _OTHER.search(text):
            if state is None:
                return NO_PREVIOUS
            answer = ask(self.retriever, state.question, self.k, state.skip + self.k)
            if answer.abstained or not answer.citations:
                return NO_MORE
            self._remember(chat_id, _ChatState(state.question, state.skip + self.k, answer))
            return answer
        if state and not state.answer.abstained and (m := _ITEM.match(digits)):
            answer = self._item(state.answer, int(m.group(1)))
            if answer:
                return answer
        if state and not state.answer.abstained and (m := _NEIGHBOUR.search(text)):
            answer = self._neighbour(state.answer, m.group(1) in ("ก่อนหน้า", "ก่อน"))
            if answer:
                self._remember(chat_id, _ChatState(state.question, state.skip, answer))
                return answer
        answer = ask(self.retriever, text, self.k)
        self._remember(chat_id, _ChatState(text, 0, answer))
        return answer

    def _remember(self, chat_id: str, state: _ChatState) -> None:
        self._chats[chat_id] = state
        self._chats.move_to_end(chat_id)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)

    def _item(self, previous: Answer, n: int) -> Answer | None:
        """Item ``n`` of the list in the previous answer's passages ("แล้วข้อ 3 ล่ะ")."""
        pattern = re.compile(rf"^(?:[-•*]\s*)?(?:\(\s*{n}\s*\)|{n}[.)])\s*")
        for citation in previous.citations:
            for line in citation.text.split("\n"):
                if pattern.match(arabic_digits(line)):
                    return Answer(f"ข้อ {n}", False, line, [citation])
        return None

    def _neighbour(self, previous: Answer, before: bool) -> Answer | None:
        """The section before/after the one cited first in the previous answer."""
        chunks = self.retriever.index.chunks
        first = previous.citations[0]
        pos = next((i for i, c in enumerate(chunks) if c.chunk_id == first.chunk_id), None)
        if pos is None:
            return None
        step = -1 if before else 1
        i = pos + step
        while 0 <= i < len(chunks) and chunks[i].doc_id == first.doc_id:
            if chunks[i].section and section_key(chunks[i].section) != section_key(first.section):
                hit = Hit(i, chunks[i], 1.0, 0.0, 0.0)
                return Answer(chunks[i].section or "", False, chunks[i].text,
                              cite(self.retriever.index, [hit]))
            i += step
        return None
