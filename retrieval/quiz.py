"""Multiple-choice questions generated from the documents, each with the passage that answers it.

Five kinds, all checkable against their cited passage:
- definition: "ตาม<document> “X” หมายความว่าอย่างไร" — the choices are meanings of the same shape;
  distractors are the meanings of other terms (the same document's first), never a meaning any
  document gives X;
- term: "ตาม<document> คำใดหมายความว่า “…”" — the choices are terms of the same kind, those the
  meaning writes part of first (so that the answer is not the only one), then the same document's;
- list item: "ตาม<document> <the list's lead-in> ข้อ (3) คือข้อใด" — the choices are items of the
  same numbered list, so the distractors are siblings that are wrong for the position asked;
- date: a sentence of the text with its date blanked out; distractors are other dates in the
  documents that the cited passage does not contain;
- section: "ตาม<Act> ข้อความ “…” อยู่ในมาตราใด" — a section's opening sentence; the choices are
  other sections of the same Act, never one the sentence cites.

Every candidate goes through ``quiz_check.problems``; only items that break no rule are asked.
Generation is deterministic for a seed.
"""

import random
import re
from dataclasses import dataclass

from index.chunking import ITEM_LABEL, continues_list
from index.documents import SUBSTANTIVE, Chunk
from index.glossary import Definition
from index.sections import section_key
from index.store import PublishedIndex
from index.thai_text import arabic_digits

from .answer import Citation, cite
from .query import parse_query
from .quiz_check import (
    GLUED_PARAGRAPH,
    MID_PHRASE,
    compact,
    echoed,
    is_fragment,
    meaning_kind,
    problems,
    same_kind,
    term_overlap,
)
from .search import Hit, Retriever

CHOICES = 4
ITEMS_PER_QUESTION = 2  # a list gives a question per this many of its items, rounded up (each another item)
MAX_PER_LIST = 6  # questions one list gives at most
MAX_LEAD_CHARS = 160  # a list's lead-in quoted whole in the stem; a longer one keeps this much of its end
MIN_HEAD_CHARS, MAX_HEAD_CHARS = 20, 120  # the first phrase of a long lead-in, which names the list
CONTEXT_CHARS = 200  # text before a date quoted in its stem
DATELINE_TITLE = 30  # characters of a headline that, repeated before a date, make it a dateline
DATELINE_CHARS = 80  # ... within this many characters before it
MAX_STEM_SENTENCE = 260  # a section's sentence quoted in the stem
# Where a long sentence quoted in a stem may be cut (marked "…"): before a qualifying clause.
_CLAUSE = re.compile(r"\s(?=ซึ่ง|ทั้งนี้|และให้หมายความรวมถึง|โดย|เพื่อ|ไม่ว่า|เว้นแต่)")
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
    kind: str  # "definition", "term", "list item", "date" or "section"
    subject: str = ""  # what the stem asks about: the term, the list's lead-in, the quoted sentence

    def to_json(self) -> dict:
        """One line of ``sarabun quiz --json``."""
        return {"question": self.question, "kind": self.kind, "choices": self.choices, "answer": self.answer,
                "citation": self.citation.to_json()}


@dataclass
class _Candidate:
    question: str
    correct: str
    pool: list[str]  # possible distractors, best first
    chunk_id: str
    kind: str
    subject: str  # what the stem asks about (see quiz_check.problems)


def generate_quiz(retriever: Retriever, count: int, seed: int = 0, topic: str = "") -> list[QuizQuestion]:
    """Up to ``count`` questions that break none of the quiz rules (fewer when the documents do
    not give enough); ``topic`` restricts them to the passages search finds for it."""
    index = retriever.index
    allowed: set[str] | None = None
    if topic.strip():
        allowed = {h.chunk.chunk_id for h in retriever.search(parse_query(topic), k=30)}
    rng = random.Random(seed)
    candidates = [c for c in (_definition_candidates(index, rng) + _term_candidates(index, rng)
                              + _list_candidates(index, rng) + _date_candidates(index, rng)
                              + _section_candidates(index, rng))
                  if allowed is None or c.chunk_id in allowed]
    questions = [q for q in (_question(index, c, rng) for c in candidates) if q is not None]
    rng.shuffle(questions)
    return questions[:count]


def _question(index: PublishedIndex, candidate: _Candidate, rng: random.Random) -> QuizQuestion | None:
    """The candidate with three distractors of its kind, or None when it breaks a rule."""
    distractors: list[str] = []
    for text in candidate.pool:
        if (same_kind(candidate.kind, candidate.correct, text) and not is_fragment(text)
                and compact(text) not in {compact(d) for d in (candidate.correct, *distractors)}):
            distractors.append(text)
        if len(distractors) == CHOICES - 1:
            break
    if len(distractors) < CHOICES - 1:
        return None
    choices = [candidate.correct, *distractors]
    rng.shuffle(choices)
    answer = choices.index(candidate.correct)
    if problems(index, candidate.question, choices, answer, candidate.chunk_id, candidate.kind,
                candidate.subject):
        return None
    position = index.positions[candidate.chunk_id]
    citation = cite(index, [Hit(position, index.chunks[position], 1.0, 0.0, 0.0)])[0]
    return QuizQuestion(candidate.question, choices, answer, citation, candidate.kind, candidate.subject)


def _definition_candidates(index: PublishedIndex, rng: random.Random) -> list[_Candidate]:
    glossary = index.glossary
    keys = [d.keys for d in glossary]
    out = []
    for i, d in enumerate(glossary):
        if d.short_for:
            continue  # "กบส. หมายความว่าอย่างไร": only one full name has its letters
        # Meanings any document gives this term are correct too, so they can never be distractors.
        taken = {compact(x.meaning) for j, x in enumerate(glossary) if keys[j] & keys[i]}
        pool = _shuffled_by_document(d, [x for j, x in enumerate(glossary) if not (keys[j] & keys[i])
                                         and compact(x.meaning) not in taken], rng)
        title = index.documents[d.doc_id].title
        # Meanings that repeat the term's words first, so that the answer is not the only one.
        pool.sort(key=lambda x: -term_overlap(d.term, x.meaning))
        # The answer is the whole meaning: cut at a clause it could lose what defines the term
        # (an automated system "โดยปราศจากการตรวจสอบ…"); a meaning too long for a choice is not asked.
        out.append(_Candidate(f"ตาม{title} “{d.term}” หมายความว่าอย่างไร", _text(d.meaning),
                              [_text(x.meaning) for x in pool], d.chunk_id, "definition", d.term))
    return out


def _term_candidates(index: PublishedIndex, rng: random.Random) -> list[_Candidate]:
    glossary = index.glossary
    keys = [d.keys for d in glossary]
    out = []
    for i, d in enumerate(glossary):
        if d.short_for:
            continue  # an abbreviation is spelled by its full name's words ("กมช." for คณะกรรมการ…ชาติ)
        meaning = _text(d.meaning)
        # Terms whose meaning is the same would be right too; terms for another kind of thing
        # (an agency among activities) are ruled out unread.
        kind = meaning_kind(d.meaning)
        pool = _shuffled_by_document(d, [x for j, x in enumerate(glossary) if not (keys[j] & keys[i])
                                         and compact(x.meaning) != compact(d.meaning)
                                         and meaning_kind(x.meaning) == kind
                                         and compact(x.term) not in compact(meaning)], rng)
        title = index.documents[d.doc_id].title
        # Terms the meaning writes part of first, so that the answer is not the only one.
        pool.sort(key=lambda x: -echoed(x.term, meaning))
        out.append(_Candidate(f"ตาม{title} คำใดหมายความว่า “{meaning}”", d.term,
                              [x.term for x in pool], d.chunk_id, "term", meaning))
    return out


def _shuffled_by_document(d: Definition, pool: list[Definition], rng: random.Random) -> list[Definition]:
    """``pool`` with the same document's definitions first, each part shuffled."""
    siblings = [x for x in pool if x.doc_id == d.doc_id]
    others = [x for x in pool if x.doc_id != d.doc_id]
    rng.shuffle(siblings)
    rng.shuffle(others)
    return siblings + others


def _list_candidates(index: PublishedIndex, rng: random.Random) -> list[_Candidate]:
    out = []
    for group in _list_groups(index.chunks):
        items, lead = _numbered_items(group)
        lead = _lead(lead)
        if len(items) < CHOICES or not lead:
            continue  # too few items, or no lead-in that can say what the list is of
        title = index.documents[group[0].doc_id].title
        key = section_key(group[0].section)
        label = _section_label(key[1]) if key and key[0] == "มาตรา" else " ".join(key or ())
        where = f"{label} " if label and not lead.startswith(key[0]) else ""
        # A position per ITEMS_PER_QUESTION items, rounded up (up to MAX_PER_LIST), each its own question.
        for number in rng.sample(sorted(items), min(MAX_PER_LIST, -(-len(items) // ITEMS_PER_QUESTION))):
            correct, chunk_id = items[number]
            siblings = [text for n, (text, _) in sorted(items.items()) if n != number]
            rng.shuffle(siblings)
            out.append(_Candidate(f"ตาม{title} {where}{lead} — ข้อ ({number}) คือข้อใด", correct, siblings,
                                  chunk_id, "list item", lead))
    return out


def _date_candidates(index: PublishedIndex, rng: random.Random) -> list[_Candidate]:
    # Only dates in the text itself: a date from the metadata or the signing formula is not content.
    found = [(chunk, text, m) for chunk in index.chunks if chunk.role in SUBSTANTIVE
             for text in [" ".join(chunk.text.split())] for m in _DATE.finditer(arabic_digits(text))]
    every_date = sorted({(int(m.group(1)), m.group(2), m.group(4))
                         for chunk in index.chunks for m in _DATE.finditer(arabic_digits(chunk.text))})
    out = []
    for chunk, text, m in found:
        # Every choice is written like the passage writes its date, so none stands out.
        thai, be = text[m.start(4)] in "๐๑๒๓๔๕๖๗๘๙", bool(m.group(3))
        passage = compact(text)
        window = text[max(0, m.start() - CONTEXT_CHARS) : m.start()]
        # The passage's own start is where a phrase starts, too.
        before = window.strip() if m.start() <= CONTEXT_CHARS else _phrase_start(window)
        if not before:
            continue  # no place to start the quote
        title = index.documents[chunk.doc_id].title
        if _repeats(compact(title), compact(before[-DATELINE_CHARS:])):
            continue  # a date right after the document's own headline is its dateline: metadata
        after = text[m.end() : m.end() + 40].rsplit(" ", 1)[0].strip()
        day, month, year = int(m.group(1)), m.group(2), m.group(4)
        pool = every_date
        if year in arabic_digits(before + after):
            # The stem shows the year ("ครั้งที่ 1/2560"): other days of that month and year, so
            # no choice is ruled out by its year.
            pool = [(d, month, year) for d in (day - 7, day + 7, day - 3, day + 3, day + 10) if 1 <= d <= 28]
        others = [d for d in (_date_text(x, thai, be) for x in pool) if compact(d) not in passage]
        rng.shuffle(others)
        correct = _date_text((int(m.group(1)), m.group(2), m.group(4)), thai, be)
        context = f"…{before} ____ {after}…"
        out.append(_Candidate(f"ตาม{title}: “{context}” ช่องว่างคือวันใด", correct, others,
                              chunk.chunk_id, "date", context))
    return out


def _section_candidates(index: PublishedIndex, rng: random.Random) -> list[_Candidate]:
    """"Which section says …": the opening sentence of a section; the choices are other
    sections of the same Act."""
    starts = [(i, chunk, key) for i, chunk in enumerate(index.chunks) if chunk.role == "section"
              and (key := section_key(chunk.section)) and key[0] == "มาตรา"
              and arabic_digits(compact(chunk.text)).startswith(f"มาตรา{key[1]}")]
    by_act: dict[tuple[str, str], list[str]] = {}
    for _, chunk, key in starts:
        by_act.setdefault((chunk.doc_id, chunk.unit), []).append(key[1])
    out = []
    for _, chunk, key in starts:
        sentence = _opening_sentence(chunk.text, key[1])
        if sentence is None:
            continue
        label = _section_label(key[1])
        # A section the sentence cites is not where the sentence stands: no distractor.
        cited = set(re.findall(r"มาตรา\s*([0-9]+(?:/[0-9]+)?)", arabic_digits(sentence)))
        pool = [_section_label(n) for n in by_act[(chunk.doc_id, chunk.unit)]
                if n != key[1] and n not in cited]
        rng.shuffle(pool)
        title = chunk.unit or index.documents[chunk.doc_id].title
        out.append(_Candidate(f"ตาม{title} ข้อความ “{sentence}” อยู่ในมาตราใด", label, pool,
                              chunk.chunk_id, "section", sentence))
    return out


def _opening_sentence(text: str, number: str) -> str | None:
    """The first sentence after the label of section ``number``, up to its last qualifying
    clause when it is long; None when it says too little, refers to the section itself or is a
    list's lead-in."""
    lines = text.split("\n")
    if len(lines) > 1 and ITEM_LABEL.match(lines[1].strip()):
        return None  # the first line leads into a list ("ถ้าการกระทำความผิดตามมาตรา ๙ …" then "(๑) …")
    body = re.sub(r"^มาตรา\s*[0-9๐-๙/]+\s*", "", _text(lines[0]))
    sentence = re.split(r"\s{2,}", body)[0]
    if len(sentence) > MAX_STEM_SENTENCE:
        cuts = [m.start() for m in _CLAUSE.finditer(sentence) if 60 <= m.start() <= MAX_STEM_SENTENCE]
        if not cuts or is_fragment(sentence[: cuts[-1]], MAX_STEM_SENTENCE):
            return None
        return sentence[: cuts[-1]] + " …"
    if (len(sentence) < 40 or "ดังต่อไปนี้" in sentence or is_fragment(sentence, MAX_STEM_SENTENCE)
            or re.search(rf"มาตรา\s*{number}(?![0-9/])", arabic_digits(sentence))):
        return None
    return sentence


def _section_label(number: str) -> str:
    return f"มาตรา {number.translate(_THAI_DIGITS)}"


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
                items[len(items) + 1] = (_text(line[m.start(2):]), chunk.chunk_id)
            elif m and items:
                return _distinct(_unglued(items)), lead
            elif not items and line:
                lead = line
    return _distinct(_unglued(items)), lead


def _unglued(items: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    """``items`` with the last one ending where the paragraph after the list begins (the
    source's line wrapping joins them; see ``quiz_check.GLUED_PARAGRAPH``)."""
    if not items:
        return items
    last = max(items)
    text, chunk_id = items[last]
    m = GLUED_PARAGRAPH.search(text)
    return items | {last: (text[: m.start()], chunk_id)} if m and m.start() >= 10 else items


def _distinct(items: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    return items if len({compact(t) for t, _ in items.values()}) == len(items) else {}


def _text(text: str) -> str:
    return " ".join(text.split())


def _lead(text: str) -> str:
    """A list's lead-in short enough for a stem: its first phrase, which names what the list is
    of ("แผนยุทธศาสตร์…ตามมาตรา ๓๕ (๑)"), then its end, which announces the items ("… อย่างน้อยต้อง
    กำหนดเรื่องดังต่อไปนี้ด้วย") from a space where a phrase starts (not a number or a joining
    word); "" when there is no such place."""
    text = _text(text)
    if len(text) <= MAX_LEAD_CHARS:
        return text
    spaces = list(re.finditer(r"\s+", text))
    head = next((text[: m.start()] for m in spaces if m.start() >= MIN_HEAD_CHARS
                 and not MID_PHRASE.match(text, m.end())
                 and not is_fragment(text[: m.start()], MAX_HEAD_CHARS)), "")
    starts = [m.end() for m in spaces if len(text) - MAX_LEAD_CHARS <= m.start()
              and len(text) - m.end() >= 40 and not MID_PHRASE.match(text, m.end())]
    starts = [s for s in starts if s > len(head) + 1]
    if not head or not starts or "“" in text[len(head) : starts[0]]:  # the part left out names the list
        return ""
    return f"{head} … {text[starts[0]:]}"


def _repeats(title: str, text: str) -> bool:
    """Whether ``text`` repeats a stretch of ``title`` (both compact) of ``DATELINE_TITLE``
    characters, or all of a shorter title."""
    size = min(DATELINE_TITLE, len(title))
    return bool(title) and any(title[i : i + size] in text for i in range(len(title) - size + 1))


def _phrase_start(before: str) -> str:
    """``before`` (the text before a date) from its first space where a phrase starts, so that
    the quote around the date neither starts mid-word nor on a joining word ("และสังคม …")."""
    starts = [m.end() for m in re.finditer(r"\s+", before) if not MID_PHRASE.match(before, m.end())]
    return before[starts[0]:].strip() if starts else ""
