"""Answer text composed from what the question asks and the passage that answers it.

A chat user reads the answer text, not the cited passage, so the text must state the asked fact:
a short section is shown whole; a long one as its lead plus the clauses that answer — the ones
sharing the question's words and holding what its intent asks for (a penalty, a deadline, an
amount, an actor, the deciding clause with its exceptions). List questions get the whole list
with its lead-in. The text is never cut mid-word and never starts on a dangling quote.
"""

import re

from pythainlp.tokenize import word_tokenize

from index.chunking import ITEM_LABEL, LEAD_IN, continues_list
from index.documents import SUBSTANTIVE, Chunk
from index.sections import PARAGRAPH_REFERENCE, section_key
from index.thai_text import arabic_digits
from index.tokens import word_tokens

from .clauses import SENTENCE_BREAK, best_core, clause_scores, unwrap
from .query import Query
from .words import content_words

MAX_ANSWER_CHARS = 700  # a section this short is shown whole
MAX_LIST_CHARS = 900  # a whole list may be longer than a sentence answer
MAX_REASONS_CHARS = 1200  # an Act's reasons note, the answer to "why", is shown whole up to this
ASKED_ITEM_CHARS = 400  # a list item that the question is about is shown whole up to this
ITEM_OVER_LEAD = 2  # question words an item must hold beyond its list's lead-in to answer alone
MIN_ITEM_CHARS = 60  # the least of each other list item shown
NEIGHBOURS = 1  # passages either side of one without a section label that its answer may draw on
EXTRA_CHARS = 250  # room kept for the clause answering another part of the question
LEAD_CHARS = 150  # the longest lead added before the clauses that answer
SLACK_CHARS = 80  # a section this much over the limit is still shown whole ("about 700")
SECOND_PART_SCORE = 1.5  # what another part of the question must hold to get its own window
FACT_CUES = frozenset({"cue:where", "cue:penalty"})  # cues whose clause is the asked fact itself
_WHICH = frozenset({"ไหน", "ใด"})  # "ยุทธศาสตร์ไหน": the noun before asks for a label
LABEL_CHARS = 200  # the longest heading phrase added for "ยุทธศาสตร์ไหน"
# A phrase ending in a title and a given name ("… 2565 นายภานุวัฒน์"): Thai writes a space before
# the surname, which the phrase split takes for a break.
_GIVEN_NAME = re.compile(r"(?:^|\s|[0-9])(?:นาย(?!กรัฐ|กฯ)|นางสาว|นาง|น\.ส\.|ดร\.|ศาสตราจารย์|รองศาสตราจารย์|"
                         r"ผู้ช่วยศาสตราจารย์|พลเอก|พล\.อ\.)\S{2,30}$")
# Words that open a clause continuing the sentence before it.
_CONTINUES = re.compile(r"(?:และ|หรือ|ซึ่ง|แต่|ดังต่อไปนี้|ดังนี้|เป็นต้น|ทั้งนี้)")
# The Council of State's clerk line closing a text ("ธนบดี/วิวรรธน์/จัดทำ ๒๑ มิถุนายน ๒๕๖๒").
_CLERK_LINE = re.compile(r"^\s*[ก-๙]+(?:/[ก-๙]+)*/\s*จัดทำ\b.*$", re.MULTILINE)


def whole_list(query: Query, chunks: list[Chunk], position: int) -> str:
    """The list in chunk ``position`` that the question asks for, in full: its lead-in and every
    item, also from neighbouring chunks that continue it; long items are shortened so that all
    of them show."""
    first, last = section_span(chunks, position)
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
        number = _item_number(m)
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
    elif (held[asked] >= len(words & set(word_tokens(lead))) + ITEM_OVER_LEAD
          and not LEAD_IN.search(items[asked])):
        # The question is about what one item says ("กลไกสร้างแรงจูงใจ … มีอะไรบ้าง" inside
        # principle 5), not about the list its lead-in names: that item answers, at full length
        # (unless it only leads into items of its own).
        return compose(query, items[asked])
    # A long asked item is shown by its clauses that answer, not only by its head.
    shown = compose(query, items[asked], limit=ASKED_ITEM_CHARS) if asked >= 0 else ""
    others = max(1, len(items) - (asked >= 0))
    share = max(MIN_ITEM_CHARS, (MAX_LIST_CHARS - len(lead) - len(shown) - len(items)) // others)
    return "\n".join(([lead] if lead else []) +
                     [shown if i == asked else clip(item, share) for i, item in enumerate(items)])


def context(chunks: list[Chunk], position: int) -> str:
    """The text an answer about chunk ``position`` may draw on: its whole section (a long section
    is split over chunks, and the fact asked may sit in the part the search did not rank first),
    or, for a passage without a section label (a news paragraph), the passages just around it."""
    first, last = section_span(chunks, position, NEIGHBOURS)
    return "\n".join(c.text for c in chunks[first : last + 1])


def section_span(chunks: list[Chunk], position: int, neighbours: int = 0) -> tuple[int, int]:
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
    text = unwrap(lines)
    if len(text) <= limit + SLACK_CHARS:  # shown whole ("…" when the passage starts mid-sentence)
        return ("… " if _CONTINUES.match(text) else "") + text.replace("\n", " ")
    phrases = [s.strip() for s in SENTENCE_BREAK.split(text) if s.strip()]
    found = clause_scores(query, ignore, phrases)
    focus = " ".join(focus.split())
    in_focus = [bool(focus) and " ".join(p.split()) in focus for p in phrases]
    score, lo, hi = best_core(phrases, found, in_focus)
    # The lead-in of the list the answer is an item of ("ให้คณะกรรมการ… มีหน้าที่และอำนาจ
    # ดังต่อไปนี้") says whose duty or power it is: its room is kept before the window grows.
    head = _list_lead(phrases, lo) if lead and score > 0 else set()
    limit -= _size(phrases, head - set(range(lo, hi)))
    if score <= 0:
        chosen = _window(phrases, 0, 1, limit, set())
    else:
        # "ยุทธศาสตร์ไหน": the heading the answer stands under, when it stands before the run.
        label = _asked_label(query, phrases, lo)
        if label is not None and label < lo and len(phrases[label]) <= LABEL_CHARS:
            limit -= len(phrases[label]) + 1
        else:
            label = None
        # A question with several parts: the clause group holding what the best one lacks (the
        # other part, the deadline of the next paragraph) is shown too: with the best one when
        # they stand close, else in a window of its own. A part is named by its words, so a cue
        # alone (any number, for "อะไรบ้าง") is not one, unless it is the fact itself (a venue, a
        # penalty) and the best group lacks it; cues count for both (each part may ask for its
        # own deadline).
        held = {key for i in range(lo, hi) for key in found[i] if not key.startswith("cue:")}
        other, lo2, hi2 = best_core(phrases, found, in_focus, exclude=held)
        lacked = FACT_CUES - {key for i in range(lo, hi) for key in found[i]}
        named = any(not k.startswith("cue:") or k in lacked
                    for i in range(lo2, hi2) for k in found[i] if k not in held)
        first, end = min(lo, lo2), max(hi, hi2)
        chosen = _window(phrases, lo, hi, limit, set())
        if other < SECOND_PART_SCORE or not named:
            pass
        elif _size(phrases, set(range(first, end))) <= limit * 2 // 3:
            chosen = _window(phrases, first, end, limit, set())
        elif not set(range(lo2, hi2)) <= chosen:
            chosen = _window(phrases, lo, hi, limit - min(EXTRA_CHARS, limit // 3), set())
            if not set(range(lo2, hi2)) <= chosen:
                chosen |= _window(phrases, lo2, hi2, limit - _size(phrases, chosen), chosen)
        if label is not None:
            chosen.add(label)
    # "กี่รางวัล … อะไรบ้าง" answered by a list written inline in a paragraph ("(1) … (2) …"):
    # every item of it, each shortened as needed, not the window's first few.
    items = _item_run(phrases, chosen) if query.wants_list or query.intents[:1] == ["list"] else []
    shown: dict[int, int] = {}  # phrase of the list → the characters it may show
    if items:
        run = set().union(*items)
        share = max(MIN_ITEM_CHARS, (MAX_LIST_CHARS - _size(phrases, chosen - run)) // len(items))
        for item in items:  # each item its share: its head, then what of it fits whole
            left = share
            for i in item:
                if i != item[0] and len(phrases[i]) > left:
                    break
                shown[i], left = left, left - len(phrases[i]) - 1
        chosen = (chosen - run) | set(shown)
    start = min(chosen)
    if start > 0 and _GIVEN_NAME.search(phrases[start - 1]):
        start -= 1  # the answer starts with a surname: its given name is just before
        chosen.add(start)
    # A clause that continues a sentence ("หรือในนามของ…", "ซึ่งมาจาก…") takes what it continues,
    # as far as the budget allows; otherwise the reader is told the sentence began before.
    while start > 0 and _CONTINUES.match(phrases[start]) and \
            _size(phrases, chosen | {start - 1}) <= limit + SLACK_CHARS:
        start -= 1
        chosen.add(start)
    if head:
        chosen |= head
    elif lead and 0 not in chosen and len(phrases[0]) <= min(LEAD_CHARS, limit - _size(phrases, chosen)):
        chosen.add(0)  # the lead says who or what the section is about
    first = min(chosen)
    parts: list[str] = ["…"] if _CONTINUES.match(phrases[first]) else []
    for i in sorted(chosen):
        if i != first and i - 1 not in chosen:
            parts.append("…")
        parts.append(clip(phrases[i], shown.get(i, limit)))
    if max(chosen) < len(phrases) - 1:
        parts.append("…")
    return " ".join(parts)


def _list_lead(phrases: list[str], at: int) -> set[int]:
    """The phrases before the first list item of a section, when phrase ``at`` comes after that
    item and they are short enough to lead the answer; empty otherwise."""
    first = next((i for i, p in enumerate(phrases) if ITEM_LABEL.match(p)), 0)
    head = set(range(first))
    if not (0 < first <= at and _size(phrases, head) <= LEAD_CHARS):
        return set()
    if any(PARAGRAPH_REFERENCE.search(p) for p in phrases[first : at + 1]):
        return set()  # the answer stands in a later paragraph ("ให้กองทุนตามวรรคหนึ่ง …"), not in the list
    # A real lead-in ends by announcing its items; "ตามมาตรา ๑๘ (๔) (๕)" only cites some.
    return head if LEAD_IN.search(phrases[first - 1]) else set()


def _asked_label(query: Query, phrases: list[str], at: int) -> int | None:
    """For "<noun>ไหน" ("ยุทธศาสตร์ไหน", "ระยะไหน", "ข้อไหน"), the phrase holding the nearest
    label of that noun ("ยุทธศาสตร์ที่ 3", "(2)") at or before phrase ``at``: the heading the
    answer stands under. None when the question asks no such thing or no label is found."""
    tokens = word_tokens(query.raw)
    nouns = [tokens[i - 1] for i in range(1, len(tokens)) if tokens[i] in _WHICH and len(tokens[i - 1]) > 1]
    if not nouns:
        return None
    numbered = r"\s*(?:ที่\s*)?[0-9๐-๙]{1,2}(?![0-9๐-๙])"
    item = r"|\(\s*[0-9๐-๙]{1,2}\s*\)|^\s*[0-9๐-๙]{1,2}[.)](?=\s)"  # "ข้อไหน": an item label, "(2)" or "2."
    label = re.compile("|".join(rf"{re.escape(n)}{numbered}" + (item if n == "ข้อ" else "") for n in nouns))
    return next((i for i in range(at, -1, -1) if label.search(phrases[i].lower())), None)


def _item_run(phrases: list[str], chosen: set[int]) -> list[range]:
    """The items (each a range of phrases) of a list written inline ("(1) …", "2) …", "- …")
    that ``chosen`` reaches into or leads into (its lead-in "… ดังนี้" chosen); empty when none."""
    numbers: list[int | None] = []  # an item's number; 0 for a bullet (or a lettered item)
    for phrase in phrases:
        m = ITEM_LABEL.match(phrase)
        number = _item_number(m) if m else None
        numbers.append(number if number is not None else 0 if m or phrase[:1] in "-•" else None)
    for start, number in enumerate(numbers):
        if number not in (0, 1) or (number == 0 and start and numbers[start - 1] == 0):
            continue
        starts = [start]
        for i in range(start + 1, len(phrases)):
            if numbers[i] == (number and len(starts) + 1):  # the next number, or another bullet
                starts.append(i)
            elif numbers[i] is not None:
                break
        if len(starts) == 1:
            continue
        # The last item runs on as long as the others do on average (its end is not marked).
        end = min(len(phrases), starts[-1] + -(-(starts[-1] - start) // (len(starts) - 1)))
        if set(range(start, end)) & chosen or start - 1 in chosen:
            return [range(a, b) for a, b in zip(starts, [*starts[1:], end], strict=True)]
    return []


def _item_number(label: re.Match[str]) -> int | None:
    """The number of an ``ITEM_LABEL`` match ("(๓)" → 3); None for a lettered item ("(ก)")."""
    digits = re.sub(r"\D", "", arabic_digits(label.group(1)))
    return int(digits) if digits else None


def _size(phrases: list[str], chosen: set[int]) -> int:
    return sum(len(phrases[i]) + 1 for i in chosen)


def _window(phrases: list[str], lo: int, hi: int, budget: int, taken: set[int]) -> set[int]:
    """Phrases ``lo`` to ``hi`` (exclusive) and their neighbours within ``budget`` characters: the
    following text first (the fact asked usually follows the words that name it), up to two thirds
    of the budget the run leaves, then both sides."""
    size = _size(phrases, set(range(lo, hi))) - 1
    ahead = size + max(0, budget - size) * 2 // 3
    while hi < len(phrases) and hi not in taken and size + len(phrases[hi]) <= ahead:
        size, hi = size + len(phrases[hi]) + 1, hi + 1
    grew = True
    while grew:
        grew = False
        if hi < len(phrases) and hi not in taken and size + len(phrases[hi]) <= budget:
            size, hi, grew = size + len(phrases[hi]) + 1, hi + 1, True
        if lo > 0 and lo - 1 not in taken and size + len(phrases[lo - 1]) <= budget:
            size, lo, grew = size + len(phrases[lo - 1]) + 1, lo - 1, True
    return set(range(lo, hi))


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
            if end >= 0 and LEAD_IN.search(digits[m.start():end]):
                # The item announces sub-items ("(๓) … ที่มีลักษณะ ดังต่อไปนี้" then "(ก) …"): they
                # are part of it, up to the next item of the list.
                following = re.search(rf"\n\s*{label(n + 1)}", digits[end:])
                end = end + following.start() if following else len(digits)
        elif in_run:
            end = m.end() + after.start() if after else digits.find("\n", m.end())
        else:
            continue
        return clip(text[m.start(): end if end >= 0 else len(text)].strip(), MAX_ANSWER_CHARS)
    return None
