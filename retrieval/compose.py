"""Answer text composed from what the question asks and the passage that answers it.

A chat user reads the answer text, not the cited passage, so the text must state the asked fact:
a short section is shown whole; a long one as its lead plus the clauses that answer — the ones
sharing the question's words and holding what its intent asks for (a penalty, a deadline, an
amount, an actor, the deciding clause with its exceptions). List questions get the whole list
with its lead-in. The text is never cut mid-word and never starts on a dangling quote.
"""

import re

from pythainlp.tokenize import word_tokenize

from index.chunking import ITEM_LABEL, continues_list
from index.documents import SUBSTANTIVE, Chunk
from index.sections import section_key
from index.thai_text import arabic_digits
from index.tokens import loose_key, word_tokens

from .intent import asked_words
from .query import Query
from .words import content_words

MAX_ANSWER_CHARS = 700  # a section this short is shown whole
MAX_LIST_CHARS = 900  # a whole list may be longer than a sentence answer
MAX_REASONS_CHARS = 1200  # an Act's reasons note, the answer to "why", is shown whole up to this
ASKED_ITEM_CHARS = 400  # a list item that the question is about is shown whole up to this
NEIGHBOURS = 1  # passages either side of one without a section label that its answer may draw on
FOCUS_BONUS = 1.0  # a clause of the passage the search ranked first, over the rest of its section
ASKED_WEIGHT = 2  # a word next to the question word counts this much (see intent.asked_words)
EXTRA_CHARS = 250  # room kept for the clause answering another part of the question
# The Council of State's clerk line closing a text ("ธนบดี/วิวรรธน์/จัดทำ ๒๑ มิถุนายน ๒๕๖๒").
_CLERK_LINE = re.compile(r"^\s*[ก-๙]+(?:/[ก-๙]+)*/\s*จัดทำ\b.*$", re.MULTILINE)
_SENTENCE_BREAK = re.compile(r"\n|(?<=[ก-๙a-z)”])\s{1,2}(?=[ก-ฮเ-ไ“(A-Z])")
# A number with its unit, in digits or written out ("เก้าสิบวัน", "ไม่เกินเจ็ดคน", "ปีละหนึ่งครั้ง").
_NUMBER_WORD = r"(?:หนึ่ง|สอง|สาม(?!าร)|สี่|ห้า(?!ม)|หก|เจ็ด|แปด|เก้า|สิบ|ยี่|ร้อย|พัน(?!ธ)|หมื่น|แสน|ล้าน)"
_COUNT = (rf"(?:[0-9๐-๙]+|{_NUMBER_WORD}+)\s*(?:คน|วัน|เดือน|ปี|ครั้ง|ชั่วโมง|บาท|ประการ|ระดับ|ด้าน|ข้อ|"
          r"รางวัล|ประเภท|กลุ่ม|โครงการ|ระยะ|เท่า|เรื่อง|ส่วน|ล้าน|แสน|หมื่น|พัน|ร้อย)")
# Clauses that hold what an intent asks for.
_CUES = {
    "penalty": r"ระวางโทษ|จำคุก|ปรับไม่เกิน|ปรับตั้งแต่|โทษ",
    "amount": r"บาท|ร้อยละ|จำนวน|ไม่เกิน|ไม่น้อยกว่า|[0-9๐-๙]",
    "when": r"ภายใน|วัน|เดือน|ปี|ตั้งแต่|นับแต่|ก่อน|ครั้ง|วาระ|ใช้บังคับ|[0-9๐-๙]",
    "who": r"เป็นประธาน|ประธาน|รัฐมนตรี|เลขาธิการ|สำนักงาน|คณะกรรมการ|ผู้|นาย|นาง|ดร\.|หน่วยงาน|รักษาการ",
    "yesno": r"เว้นแต่|ไม่ใช้บังคับ|ห้าม|มิให้|ต้อง|ให้ถือว่า|ไม่ได้|ได้|มิได้|ทั้งนี้",
    "list": r"ดังต่อไปนี้|ได้แก่|ประกอบด้วย|[0-9๐-๙]",
    "definition": r"หมายความว่า|หมายถึง",
    "purpose": r"เพื่อ|โดยที่|สมควร|จำเป็น",
    "how": r"โดย|ให้|ต้อง|วิธี",
}
_CUE_RES = {name: re.compile(pattern) for name, pattern in _CUES.items()}
_COUNT_RE = re.compile(_COUNT)
_COUNTED = frozenset({"amount", "when", "list"})  # intents whose answer is a number with its unit


def whole_list(query: Query, chunks: list[Chunk], position: int) -> str:
    """The list in chunk ``position`` that the question asks for, in full: its lead-in and every
    item, also from neighbouring chunks that continue it; long items are shortened so that all
    of them show."""
    first, last = _section_span(chunks, position)
    while first > 0 and continues_list(chunks[first - 1], chunks[first]):
        first -= 1
    while last + 1 < len(chunks) and continues_list(chunks[last], chunks[last + 1]):
        last += 1
    runs: list[tuple[str, list[str]]] = []  # (lead-in, items); numbering that restarts starts a new list
    lead, previous, between = chunks[first].lead_in, 0, []  # between: lines after the last item
    for line in (line for c in chunks[first : last + 1] for line in c.text.split("\n")):
        if not (m := ITEM_LABEL.match(line)):
            between.append(line)
            continue
        number = int(digits) if (digits := re.sub(r"\D", "", arabic_digits(m.group(1)))) else None
        if runs and (number is None or number > previous):
            runs[-1][1][-1] = " ".join([runs[-1][1][-1], *between])  # wrapped item text
            runs[-1][1].append(line)
        else:
            if runs and between[:-1]:
                runs[-1][1][-1] = " ".join([runs[-1][1][-1], *between[:-1]])
            runs.append((between[-1] if between else lead, [line]))
        between, previous = [], number or previous
    words = content_words(query.tokens)
    # The lead-in names the list ("จุดเน้นการพัฒนาภาครัฐ … ดังนี้"), so it decides; items break ties.
    lead, items = max(runs, key=lambda r: (len(words & set(word_tokens(r[0]))),
                                           len(words & set(word_tokens(" ".join(r[1]))))))
    # The item the question is about ("ข้าราชการ 4 กลุ่ม" inside item 2) shows whole; an item of
    # the passage the search ranked first wins a tie.
    found = chunks[position].text
    held = [len(words & set(word_tokens(item))) + 0.5 * (item[:30] in found) for item in items]
    asked = max(range(len(items)), key=lambda i: held[i])
    if held[asked] < 2 or held.count(held[asked]) > 1:
        asked = -1
    whole = min(len(items[asked]), ASKED_ITEM_CHARS) if asked >= 0 else 0
    share = max(60, (MAX_LIST_CHARS - len(lead) - whole) // max(1, len(items) - (asked >= 0)))
    return "\n".join(([lead] if lead else []) +
                     [clip(item, ASKED_ITEM_CHARS if i == asked else share) for i, item in enumerate(items)])


def context(chunks: list[Chunk], position: int) -> str:
    """The text an answer about chunk ``position`` may draw on: its whole section (a long section
    is split over chunks, and the fact asked may sit in the part the search did not rank first),
    or, for a passage without a section label (a news paragraph), the passages just around it."""
    first, last = _section_span(chunks, position, NEIGHBOURS)
    return "\n".join(c.text for c in chunks[first : last + 1])


def _section_span(chunks: list[Chunk], position: int, neighbours: int = 0) -> tuple[int, int]:
    """First and last row of the section chunk ``position`` belongs to; for a passage without a
    section label, ``neighbours`` passages either side of the same kind in the same document."""
    here = chunks[position]
    key = section_key(here.section)

    def same(i: int) -> bool:
        other = chunks[i]
        if other.doc_id != here.doc_id or other.unit != here.unit or other.role not in SUBSTANTIVE:
            return False
        return section_key(other.section) == key if key else other.section == here.section

    first = last = position
    reach = len(chunks) if key else neighbours
    while first > 0 and position - first < reach and same(first - 1):
        first -= 1
    while last + 1 < len(chunks) and last - position < reach and same(last + 1):
        last += 1
    return first, last


def compose(query: Query, passage: str, ignore: frozenset[str] = frozenset(), lead: bool = True,
            limit: int = MAX_ANSWER_CHARS, focus: str = "") -> str:
    """The part of ``passage`` that answers: the whole list for list questions, the whole passage
    when it is short, otherwise (with ``lead``) its lead plus the clauses that answer, in the
    passage's order. Words in ``ignore`` (those naming the document) do not make a clause answer.
    ``focus`` is the part of ``passage`` (its section, see ``context``) that the search ranked
    first: its clauses win ties."""
    lines = _CLERK_LINE.sub("", passage).strip().split("\n")
    if query.wants_list and any(ITEM_LABEL.match(line) for line in lines):
        return clip("\n".join(lines), MAX_LIST_CHARS)
    text = _unwrap(lines)
    if len(text) <= limit:
        return text.replace("\n", " ")
    phrases = [s.strip() for s in _SENTENCE_BREAK.split(text) if s.strip()]
    score = _scorer(query, ignore)
    focus = " ".join(focus.split())
    scores = [score(p) + (FOCUS_BONUS if focus and score(p) > 0 and " ".join(p.split()) in focus else 0.0)
              for p in phrases]
    chosen: set[int] = set()
    rest = [i for i in range(len(phrases)) if scores[i] > 0]
    if rest:
        best = max(rest, key=lambda i: (scores[i], -i))
        chosen = _window(phrases, best, limit, chosen)
        # A question with several parts: the clause stating what the best one lacks (the other
        # part, the deadline of the next paragraph) gets a window of its own when outside.
        lacking = _scorer(query, ignore, missing_from=phrases[best])
        second = max(range(len(phrases)), key=lambda i: (lacking(phrases[i]), scores[i], -abs(i - best)))
        if lacking(phrases[second]) >= 1 and second not in chosen:
            chosen = _window(phrases, best, limit - min(EXTRA_CHARS, limit // 3), set())
            if second not in chosen:
                used = sum(len(phrases[i]) + 1 for i in chosen)
                chosen |= _window(phrases, second, limit - used, chosen)
    else:
        chosen = _window(phrases, 0, limit, set())
    budget = limit - sum(len(phrases[i]) + 1 for i in chosen)
    if lead and 0 not in chosen and len(phrases[0]) <= min(150, budget):
        chosen.add(0)  # the lead says who or what the section is about
    parts: list[str] = []
    for i in sorted(chosen):
        if parts and i - 1 not in chosen:
            parts.append("…")
        parts.append(clip(phrases[i], limit))
    if max(chosen) < len(phrases) - 1:
        parts.append("…")
    return " ".join(parts)


def best_clause(query: Query, passage: str, ignore: frozenset[str] = frozenset()) -> float:
    """How well the best clause of ``passage`` answers ``query`` (see ``compose``)."""
    score = _scorer(query, ignore)
    return max((score(p) for p in _SENTENCE_BREAK.split(_unwrap(passage.split("\n"))) if p.strip()),
               default=0.0)


def _scorer(query: Query, ignore: frozenset[str], missing_from: str = ""):  # -> Callable[[str], float]
    """A clause's score: the question's words it holds plus the cues of the question's intent;
    with ``missing_from``, only the words and cues that text lacks count."""
    content = {w for w in content_words(query.tokens) if w not in ignore}
    asked = {loose_key(w) for w in asked_words(word_tokens(query.raw), content)}
    words = {loose_key(w) for w in content}
    cues = [_CUE_RES[i] for i in query.intents if i in _CUE_RES]
    if _COUNTED & set(query.intents):
        cues.append(_COUNT_RE)
    if missing_from:
        held = loose_key(missing_from)
        words = {w for w in words if w not in held}
        cues = [cue for cue in cues if not cue.search(missing_from)]

    def score(phrase: str) -> float:
        key = loose_key(phrase)
        overlap = sum(ASKED_WEIGHT if w in asked else 1 for w in words if w and w in key)
        return overlap + sum(1.5 for cue in cues if cue.search(phrase))

    return score


def _window(phrases: list[str], best: int, budget: int, taken: set[int]) -> set[int]:
    """``best`` and its neighbours within ``budget`` characters: the following text first (the
    fact asked usually follows the words that name it), up to two thirds of the budget, then
    both sides."""
    lo, hi, size = best, best + 1, len(phrases[best])
    while hi < len(phrases) and hi not in taken and size + len(phrases[hi]) <= budget * 2 // 3:
        size, hi = size + len(phrases[hi]) + 1, hi + 1
    grew = True
    while grew:
        grew = False
        if hi < len(phrases) and hi not in taken and size + len(phrases[hi]) <= budget:
            size, hi, grew = size + len(phrases[hi]) + 1, hi + 1, True
        if lo > 0 and lo - 1 not in taken and size + len(phrases[lo - 1]) <= budget:
            size, lo, grew = size + len(phrases[lo - 1]) + 1, lo - 1, True
    return set(range(lo, hi))


def _unwrap(lines: list[str]) -> str:
    """Join wrapped lines: a line that does not start a list item continues the previous one."""
    out: list[str] = []
    for line in lines:
        if out and not ITEM_LABEL.match(line):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """``text`` cut at a space to at most ``limit`` characters, ending in " …" when cut; Thai
    written without spaces is cut between words, never inside one."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = max(cut, _word_boundary(text, limit))
    return text[: cut if cut > 0 else limit] + " …"


def _word_boundary(text: str, limit: int) -> int:
    """The last boundary between Thai words at or before ``limit`` (the word the limit falls in
    is left out whole)."""
    ends, end = [], 0
    for word in word_tokenize(text[: limit + 1], engine="newmm", keep_whitespace=True)[:-1]:
        end += len(word)
        ends.append(end)
    return max((e for e in ends if e <= limit), default=0)


def list_item(text: str, n: int) -> str | None:
    """Item ``n`` of a numbered list in ``text``, written line by line ("(๓) …", "3. …") or inline
    in a paragraph ("… (1) … (2) …", "1) … 2) …"); None when the text has no such item."""
    digits = arabic_digits(text)  # same length as ``text``, so positions carry over

    def label(k: int) -> str:
        return rf"(?:\(\s*{k}\s*\)|(?<![0-9./]){k}[.)](?![0-9]))"

    for m in re.finditer(label(n), digits):
        own_line = not digits[: m.start()].rstrip(" -•*\t").split("\n")[-1]
        after = re.search(label(n + 1), digits[m.end():])
        # An inline item is one of a run: its neighbours' labels are there too.
        in_run = bool(after) if n == 1 else bool(re.search(label(n - 1), digits[: m.start()]))
        if own_line:
            end = digits.find("\n", m.end())
        elif in_run:
            end = m.end() + after.start() if after else digits.find("\n", m.end())
        else:
            continue
        return clip(text[m.start(): end if end >= 0 else len(text)].strip(), MAX_ANSWER_CHARS)
    return None
