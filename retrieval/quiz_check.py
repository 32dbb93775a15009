"""Rules every quiz item must keep, and the validator that rejects the ones that break them.

A trainer puts these items in front of a room, so a defect is public: a question about a
document's metadata, a stem that gives the answer away, a stem that does not say which document
or list it asks about, a distractor that is plainly of another kind, or a choice cut to a fragment.
``problems`` names each broken rule; the generator keeps only items with none.
"""

import re
from functools import lru_cache

from index.documents import SUBSTANTIVE, Chunk
from index.sections import PARAGRAPH_REFERENCE
from index.store import PublishedIndex
from index.thai_text import arabic_digits
from index.thai_text import compact as _compact
from index.tokens import loose_key, word_tokens

from .words import content_words

MAX_CHOICE_CHARS = 220  # longer choices would have to be cut, and a cut choice is a fragment
# How much longer one choice may be than another before its length gives it away.
MAX_LENGTH_RATIO = 3.5
# Share of the answer's words that may already stand in the stem.
MAX_ECHO = 0.6
MIN_ECHO = 4  # characters a choice must share with the quoted text to echo it (not just "การ")
# Words a complete clause does not end with.
_DANGLING = frozenset({"และ", "หรือ", "ของ", "ที่", "ซึ่ง", "โดย", "ดังต่อไปนี้", "ได้แก่", "ดังนี้", "คือ", "เช่น",
                       "ประกอบด้วย", "อาทิ", "ทั้งนี้", "ใน", "ตาม", "แก่", "ต่อ", "มาตรา", "แห่ง", "จาก"})
_METADATA = re.compile(r"วันที่:|หมายเหตุ:|เลขหน้า|ที่มา:|แหล่งที่มา")
# A list announced inside a choice ("… ที่มีลักษณะ ดังต่อไปนี้ (ก) …"): a choice cannot hold it whole.
_LIST_INSIDE = re.compile(r"(?:ดังต่อไปนี้|ดังนี้)\s*\S")
# Another term's definition glued after a meaning ("… “ไซเบอร์” หมายความรวมถึง …").
_NEXT_DEFINITION = re.compile(r"“[^”]+”\s*(?:หมายความ|หมายถึง)")
# Where a phrase cannot start: a number, a word joining it to what came before, or one that
# goes on naming it ("… แผนพัฒนาดิจิทัลฯ ระยะ 20 ปี", "… ระดับจังหวัด").
MID_PHRASE = re.compile(r"[0-9๐-๙(]|และ|หรือ|โดย|ซึ่ง|ของ|ตาม|แห่ง|แต่|เพื่อ|จาก|กับ|ว่า|ระยะ|ฉบับ|ด้าน|ระดับ|ประจำ")
# What a list's lead-in says to announce its items.
_ANNOUNCES = re.compile(r"ดังต่อไปนี้|ดังนี้|ได้แก่|ประกอบด้วย|ประการ|:\s*$")
# The paragraph after a list, glued to its last item by the line wrapping of the source ("…ของ
# สำนักงาน เงินและทรัพย์สินของสำนักงานตามวรรคหนึ่ง ต้องนำส่งคลัง…"): it refers back to the
# paragraph the list belongs to.
GLUED_PARAGRAPH = re.compile(rf"\s(?=\S*{PARAGRAPH_REFERENCE.pattern})")
# What a definition's meaning starts with tells its kind: a person, a body, an act, or a thing.
_PERSON = re.compile(r"^(?:ผู้|บุคคล|เจ้าหน้าที่|พนักงาน|เลขาธิการ|รัฐมนตรี|ประธาน|กรรมการ|ข้าราชการ)")
_BODY = re.compile(r"^(?:คณะ|หน่วยงาน|สำนักงาน|ราชการ|ส่วนราชการ|องค์กร|องค์การ|นิติบุคคล|ศูนย์|กรม|กระทรวง|"
                   r"รัฐวิสาหกิจ|สถาบัน|มหาวิทยาลัย|บริษัท|ธนาคาร)")
_GOVERNMENT = re.compile(r"^(?:รัฐบาล|[A-Za-z-]*[Gg]overnment)")  # a kind of government, not an agency
_ACT = re.compile(r"^(?:การ|กระบวนการ|ความ)")
# Things, by what their meaning's head word names.
_THINGS = (("information", re.compile(r"^(?:ข้อมูล|ข้อความ|ใบรับรอง|เอกสาร|หนังสือ|สิ่งที่สื่อ|ลายมือชื่อ|เรื่องราว|"
                                      r"ข้อเท็จจริง)")),
           ("system", re.compile(r"^(?:ระบบ|เครือข่าย|อุปกรณ์|เครื่อง|คอมพิวเตอร์|โปรแกรม|ชุดคำสั่ง|แพลตฟอร์ม)")),
           ("threat", re.compile(r"^(?:ภัย|การกระทำ|ความเสียหาย)")),
           ("rule", re.compile(r"^(?:ระเบียบ|หลักเกณฑ์|ประมวล|มาตรฐาน|แนวทาง|แนวปฏิบัติ|นโยบาย|แผน|ข้อบังคับ|กฎ)")))
_LEADING_ITEM = re.compile(r"^\s*\(\s*[0-9๐-๙ก-ฮ]{1,2}\s*\)\s*")
_DATE = re.compile(r"^[0-9๐-๙]{1,2} \S+ (?:พ\.ศ\. )?[0-9๐-๙]{4}$")


def problems(index: PublishedIndex, question: str, choices: list[str], answer: int, chunk_id: str,
             kind: str, subject: str) -> list[str]:
    """The rules an item breaks (empty when it is fit to ask). ``subject`` is what the stem asks
    about: the term defined, the list's lead-in, or the sentence around a date."""
    found: list[str] = []
    correct = choices[answer]
    position = index.positions.get(chunk_id)
    chunk = index.chunks[position] if position is not None else None
    if chunk is None or chunk.role not in SUBSTANTIVE or _METADATA.search(question):
        found.append("metadata: the item is about document metadata, not its content")
    if len(choices) != 4 or len({compact(c) for c in choices}) != len(choices):
        found.append("choices: four distinct choices are needed")
    if chunk is not None and not _names_document(index, chunk.doc_id, question):
        found.append("document: the stem does not name the document")
    if len(compact(subject)) < 4 or compact(subject) not in compact(question):
        found.append("subject: the stem does not say what it asks about")
    if _gives_away(question, correct, choices, answer, kind):
        found.append("answer in stem: the stem gives the answer away")
    for choice in choices:
        if is_fragment(choice):
            found.append(f"fragment: “{choice[-40:]}” is cut short")
        elif kind == "list item" and GLUED_PARAGRAPH.search(choice):
            found.append(f"fragment: “{choice[-40:]}” runs on past its item")
    if _mixed_kinds(kind, choices, answer) or (kind == "term" and not all(
            meaning_kind(subject) in _term_kinds(index, choice) for choice in choices)):
        found.append("distractors: a choice is of another kind than the answer")
    if kind in ("term", "definition") and compact(correct if kind == "term" else subject) in {
            compact(d.term) for d in index.glossary if d.short_for}:
        found.append("answer in stem: an abbreviation and its full name match by their letters")
    if kind == "term" and _latin(correct) and re.search(r"[ก-๙]", subject):
        # "คำใดหมายความว่า “รัฐบาลที่เปิดให้ประชาชน…”" → Open Government: translating one word of
        # the Thai meaning picks the English term ("เปิด", "อัจฉริยะ"); asked the other way only.
        found.append("answer in stem: an English term for a Thai meaning is picked by translating it")
    if kind == "term" and any(compact(c) in compact(subject) for i, c in enumerate(choices) if i != answer):
        found.append("distractors: the quoted meaning names a choice, so it can be ruled out")
    if kind in ("term", "definition") and any(_NEXT_DEFINITION.search(t) for t in (subject, *choices)):
        found.append("fragment: a meaning runs on into the next definition")
    if kind == "list item" and not _ANNOUNCES.search(subject):
        found.append("subject: the stem does not quote the words that announce the list")
    if kind in ("list item", "date") and MID_PHRASE.match(subject.removeprefix("…")):
        found.append("subject: the stem's quote starts in the middle of a phrase")
    if kind == "list item" and chunk is not None and _leaves_out_name(subject, chunk):
        found.append("subject: the part of the lead-in the stem leaves out names the list")
    if kind == "list item" and subject.startswith("…"):
        found.append("subject: the stem leaves out the start of the list's lead-in, which names the list")
    if chunk is not None and chunk.unit:
        found.append("amendment: an amending Act's own section; the main text already holds what it says")
    shown = arabic_digits(subject)
    if kind == "date" and any((_year(correct) in shown) != (_year(c) in shown) for c in choices):
        found.append("distractors: the year the stem shows rules a choice out")
    if kind == "section" and any(_cites(question, c) for i, c in enumerate(choices) if i != answer):
        found.append("distractors: the stem cites a choice's section, so it can be ruled out")
    return found


def _year(date: str) -> str:
    return arabic_digits(date).rsplit(" ", 1)[-1]


def _term_kinds(index: PublishedIndex, term: str) -> set[str]:
    """The kinds of the meanings the documents give ``term`` (see ``meaning_kind``)."""
    return {meaning_kind(d.meaning) for d in index.glossary if d.term == term}


def _cites(question: str, label: str) -> bool:
    """Whether ``question`` cites the section ``label`` ("มาตรา ๑๘", not "มาตรา ๑๘๐")."""
    number = arabic_digits(label).removeprefix("มาตรา").strip()
    return bool(re.search(rf"มาตรา\s*{re.escape(number)}(?![0-9/])", arabic_digits(question)))


def _names_document(index: PublishedIndex, doc_id: str, question: str) -> bool:
    info = index.documents[doc_id]
    key = loose_key(question)
    return any(name and loose_key(name) in key for name in (info.title, *info.aliases))


def _gives_away(question: str, correct: str, choices: list[str], answer: int, kind: str = "") -> bool:
    """The stem holds the answer or most of its words, or the answer repeats more of the quoted
    term's words than any distractor does (so it can be picked without knowing the meaning)."""
    if compact(correct) in compact(question):
        return True
    words = _words(correct)
    if words and len(words & _words(question)) / len(words) > MAX_ECHO:
        return True
    distractors = [c for i, c in enumerate(choices) if i != answer]
    for term in re.findall(r"“([^”]{2,})”", question):
        shared = term_overlap(term, correct)
        if shared and shared > max((term_overlap(term, d) for d in distractors), default=0):
            return True
        # A term written in part inside the quoted meaning, more than any distractor is
        # ("เจ้าของลายมือชื่อ" for a meaning saying "ลายมือชื่ออิเล็กทรอนิกส์" twice), whatever the
        # word breaks.
        shared = echoed(correct, term) if kind == "term" else 0
        if shared and shared > max((echoed(d, term) for d in distractors), default=0):
            return True
        # A choice opening with the term ("สำนักงาน…" for “สำนักงาน”) is picked, or ruled out as
        # a restatement, and a distractor naming it ("… ไม่รวมถึงบุคคลที่เป็นสื่อกลาง") is ruled
        # out, without knowing the meaning.
        if any(compact(c).startswith(compact(term)) for c in choices) or \
                any(compact(term) in compact(d) for d in distractors):
            return True
    return False


def _leaves_out_name(subject: str, chunk: Chunk) -> bool:
    """Whether a list's lead-in shortened in the stem ("head … tail") left out a quoted name."""
    if " … " not in subject:
        return False
    head, tail = (compact(part) for part in subject.split(" … ", 1))
    source = compact(f"{chunk.lead_in} {chunk.text}")
    start = source.find(head)
    end = source.find(tail, start + len(head)) if start >= 0 else -1
    return end > start >= 0 and "“" in source[start + len(head) : end]


def echoed(choice: str, text: str) -> int:
    """How much of ``choice`` the quoted ``text`` writes too: the number of ``MIN_ECHO``-letter
    stretches they share, compared as text, since the word breaker keeps compounds whole
    ("เจ้าหน้าที่ของรัฐ" echoes the "ของรัฐ" of "หน่วยงานของรัฐ")."""
    return len(_stretches(compact(choice)) & _stretches(compact(text)))


@lru_cache(maxsize=16384)
def _stretches(text: str) -> frozenset[str]:
    return frozenset(text[i : i + MIN_ECHO] for i in range(len(text) - MIN_ECHO + 1))


def term_overlap(term: str, text: str) -> int:
    """How many of ``term``'s words ``text`` repeats (the whole term counts for all of them)."""
    words = _words(term)
    if compact(term) in compact(text):
        return len(words) + 1
    return len(words & _words(text))


@lru_cache(maxsize=16384)
def compact(text: str) -> str:
    """``index.thai_text.compact``, remembered: the same choices are compared many times."""
    return _compact(text)


@lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(word_tokens(text))


@lru_cache(maxsize=8192)
def _words(text: str) -> frozenset[str]:
    """Content words of ``text`` (the same meanings and terms are compared many times)."""
    return frozenset(content_words(list(_tokens(text))))


def is_fragment(choice: str, limit: int = MAX_CHOICE_CHARS) -> bool:
    """A choice too long to show whole (over ``limit``), cut with "…", or ending where a clause
    cannot end."""
    text = choice.strip()
    words = _tokens(text)
    return (len(text) > limit or text.endswith(("…", "...", ":", ",", "(", "“"))
            or text.startswith(("…", "...")) or not words
            or (words[-1] in _DANGLING and words[-2:] != ("ก็", "ตาม"))  # "…หรือไม่ก็ตาม" ends a clause
            or bool(_LIST_INSIDE.search(text)))


def same_kind(kind: str, correct: str, other: str) -> bool:
    """Whether ``other`` could pass for an answer of the kind ``correct`` is: no much longer or
    shorter, and for meanings, dates and terms of the same shape."""
    a, b = len(compact(correct)), len(compact(other))
    if kind == "list item":  # siblings of one list are of its kind whatever their length
        return True
    if max(a, b) > MAX_LENGTH_RATIO * min(a, b):
        return False
    if kind == "date":
        return bool(_DATE.match(correct)) and bool(_DATE.match(other))
    if kind == "definition":
        return meaning_kind(correct) == meaning_kind(other)
    if kind == "term":
        return _latin(correct) == _latin(other)
    return True


def _mixed_kinds(kind: str, choices: list[str], answer: int) -> bool:
    return not all(same_kind(kind, choices[answer], c) for c in choices)


def meaning_kind(meaning: str) -> str:
    """What a definition's meaning is of: "person", "body" (an agency, a committee), "government"
    (a kind of it), "threat", "act", "information", "system", "rule" (a regulation, a standard, a
    plan) or another "thing" (a measure, a technology). A meaning written as a list is of the kind
    of its first item."""
    meaning = _LEADING_ITEM.sub("", meaning)
    if _PERSON.match(meaning):
        return "person"
    if _BODY.match(meaning):
        return "body"
    if _GOVERNMENT.match(meaning):
        return "government"
    kind = next((name for name, head in _THINGS if head.match(meaning)), None)
    return kind or ("act" if _ACT.match(meaning) else "thing")


def _latin(term: str) -> bool:
    return bool(re.match(r"[A-Za-z]", term))
