"""Multiple-choice questions generated from the documents, each with the passage that answers it.

Two kinds, both checkable against their cited passage:
- definition: "“X” หมายความว่าอย่างไร" — the choices are meanings; distractors are the meanings of
  other terms (the same document's first), never a meaning any document gives X;
- list item: "… ข้อ (3) คือข้อใด" — the choices are items of the same numbered list, so the
  distractors are siblings that are wrong for the position asked;
- date: a sentence with its date blanked out; distractors are other dates in the documents that
  the cited passage does not contain.

Generation is deterministic for a seed.
"""

import random
import re
from dataclasses import dataclass

from index.chunking import continues_list
from index.documents import Chunk
from index.store import PublishedIndex
from index.thai_text import arabic_digits, compact

from .answer import Citation, cite
from .query import parse_query
from .search import Hit, Retriever

CHOICES = 4
MAX_CHOICE_CHARS = 120
_ITEM = re.compile(r"^(?:[-•*]\s*)?\(?\s*([0-9]{1,2})\s*[.)]\s*(.{4,})$")
_MONTHS = "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม"
# A date the text gives for an event ("เมื่อวันที่ 26 กันยายน 2560", "ให้ไว้ ณ วันที่ ๑๐ มิถุนายน พ.ศ. ๒๕๕๐"),
# matched on Arabic digits; editorial stamps ("วศิน/ตรวจ 26 ตุลาคม 2553") have no "วันที่".
_DATE = re.compile(rf"(?<=วันที่)\s*([0-9]{{1,2}})\s*({_MONTHS})\s*(พ\.ศ\.\s*)?([0-9]{{4}})")
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


@dataclass
class QuizQuestion:
    question: str
    choices: list[str]
    answer: int  # index into choices
    citation: Citation
    kind: str  # "definition" or "list item"

    def to_json(self) -> dict:
        """One line of ``sarabun quiz --json``."""
        return {"question": self.question, "choices": self.choices, "answer": self.answer,
                "citation": self.citation.to_json()}


def generate_quiz(retriever: Retriever, count: int, seed: int = 0, topic: str = "") -> list[QuizQuestion]:
    """Up to ``count`` questions (fewer when the documents do not give enough); ``topic``
    restricts them to the passages search finds for it."""
    index = retriever.index
    allowed: set[str] | None = None
    if topic.strip():
        allowed = {h.chunk.chunk_id for h in retriever.search(parse_query(topic), k=30)}
    rng = random.Random(seed)
    candidates = (_definition_questions(index, allowed, rng) + _list_questions(index, allowed, rng)
                  + _date_questions(index, allowed, rng))
    rng.shuffle(candidates)
    return candidates[:count]


def _definition_questions(index: PublishedIndex, allowed: set[str] | None,
                          rng: random.Random) -> list[QuizQuestion]:
    glossary = index.glossary
    out = []
    for d in glossary:
        if allowed is not None and d.chunk_id not in allowed:
            continue
        correct = _choice(d.meaning)
        # Meanings any document gives this term are correct too, so they can never be distractors.
        taken = {compact(x.meaning) for x in glossary if x.keys & d.keys} | {compact(correct)}
        pool = [x for x in glossary if not (x.keys & d.keys) and compact(x.meaning) not in taken]
        siblings = [x for x in pool if x.doc_id == d.doc_id]
        others = [x for x in pool if x.doc_id != d.doc_id]
        rng.shuffle(siblings)
        rng.shuffle(others)
        distractors: list[str] = []
        for x in siblings + others:
            text = _choice(x.meaning)
            if compact(text) not in taken and text not in distractors:
                distractors.append(text)
            if len(distractors) == CHOICES - 1:
                break
        if len(distractors) < CHOICES - 1:
            continue
        title = index.documents[d.doc_id].title
        out.append(_question(index, f"ตาม{title} “{d.term}” หมายความว่าอย่างไร", correct,
                             distractors, d.chunk_id, "definition", rng))
    return out


def _list_questions(index: PublishedIndex, allowed: set[str] | None,
                    rng: random.Random) -> list[QuizQuestion]:
    out = []
    for group in _list_groups(index.chunks):
        items, lead = _numbered_items(group)
        if len(items) < CHOICES or not lead:
            continue
        number = rng.choice(sorted(items))
        correct, chunk_id = items[number]
        if allowed is not None and chunk_id not in allowed:
            continue
        distractors = [text for n, (text, _) in sorted(items.items()) if n != number]
        rng.shuffle(distractors)
        out.append(_question(index, f"{_choice(lead)} — ข้อ ({number}) คือข้อใด", correct,
                             distractors[: CHOICES - 1], chunk_id, "list item", rng))
    return out


def _date_questions(index: PublishedIndex, allowed: set[str] | None,
                    rng: random.Random) -> list[QuizQuestion]:
    found = [(chunk, text, m) for chunk in index.chunks for text in [" ".join(chunk.text.split())]
             for m in _DATE.finditer(arabic_digits(text))]
    every_date = sorted({(int(m.group(1)), m.group(2), m.group(4)) for _, _, m in found})
    out = []
    for chunk, text, m in found:
        if allowed is not None and chunk.chunk_id not in allowed:
            continue
        # Every choice is written like the passage writes its date, so none stands out.
        thai, be = text[m.start(4)] in "๐๑๒๓๔๕๖๗๘๙", bool(m.group(3))
        passage = compact(text)
        others = [d for d in (_date_text(x, thai, be) for x in every_date) if compact(d) not in passage]
        if len(others) < CHOICES - 1:
            continue
        before = text[max(0, m.start() - 90) : m.start()].split(" ", 1)[-1].strip()
        after = text[m.end() : m.end() + 40].rsplit(" ", 1)[0].strip()
        title = index.documents[chunk.doc_id].title
        correct = _date_text((int(m.group(1)), m.group(2), m.group(4)), thai, be)
        out.append(_question(index, f"ตาม{title}: “…{before} ____ {after}…” ช่องว่างคือวันใด", correct,
                             rng.sample(others, CHOICES - 1), chunk.chunk_id, "date", rng))
    return out


def _date_text(date: tuple[int, str, str], thai_digits: bool, be: bool) -> str:
    day, month, year = date
    text = f"{day} {month} {'พ.ศ. ' if be else ''}{year}"
    return text.translate(_THAI_DIGITS) if thai_digits else text


def _list_groups(chunks: list[Chunk]) -> list[list[Chunk]]:
    """Runs of chunks that continue one list: a list of long items, such as the four
    characteristics of digital government, spans several chunks."""
    groups: list[list[Chunk]] = []
    for chunk in chunks:
        if groups and continues_list(groups[-1][-1], chunk):
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    return groups


def _numbered_items(chunks: list[Chunk]) -> tuple[dict[int, tuple[str, str]], str]:
    """Items numbered 1, 2, 3, … in ``chunks`` as {number: (text, chunk id)}, and the line
    introducing them. Lines between items (wrapped text) are skipped; a number out of sequence
    (another list) ends the run."""
    items: dict[int, tuple[str, str]] = {}
    lead = chunks[0].lead_in
    for chunk in chunks:
        for line in (raw.strip() for raw in chunk.text.split("\n")):
            m = _ITEM.match(arabic_digits(line))
            if m and int(m.group(1)) == len(items) + 1:
                items[len(items) + 1] = (_choice(line[m.start(2):]), chunk.chunk_id)
            elif m and items:
                return _distinct(items), lead
            elif not items and line:
                lead = line
    return _distinct(items), lead


def _distinct(items: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    return items if len({compact(t) for t, _ in items.values()}) == len(items) else {}


def _question(index: PublishedIndex, text: str, correct: str, distractors: list[str], chunk_id: str,
              kind: str, rng: random.Random) -> QuizQuestion:
    choices = [correct, *distractors]
    rng.shuffle(choices)
    position = index.positions[chunk_id]
    citation = cite(index, [Hit(position, index.chunks[position], 1.0, 0.0, 0.0)])[0]
    return QuizQuestion(text, choices, choices.index(correct), citation, kind)


def _choice(text: str) -> str:
    """A choice short enough for a button: cut at a space, marked with "…"."""
    text = " ".join(text.split())
    if len(text) <= MAX_CHOICE_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_CHOICE_CHARS)
    return text[: cut if cut > 40 else MAX_CHOICE_CHARS] + " …"
