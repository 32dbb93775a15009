"""What a follow-up in a chat refers to, resolved against the previous answer.

- "ข้อ 3": item 3 of the list the previous answer showed or came from;
- "มาตราถัดไป" / "มาตราก่อนหน้า": the next or previous section of the same Act;
- a topic follow-up ("แล้วใครเป็นประธาน", "วาระกี่ปี") names no subject of its own; it asks about
  the subject of the questions before it. Its search carries their topic words (not their
  question words, intent words or document names: the document scopes the search instead).
"""

import re

from index.chunking import continues_list
from index.documents import SUBSTANTIVE, Chunk
from index.sections import section_key
from index.store import PublishedIndex
from index.thai_text import arabic_digits
from index.tokens import loose_key, word_tokens

from .answer import Answer, Citation, ask, cite
from .compose import MAX_ANSWER_CHARS, clip, list_item, section_span
from .intent import asks_consequence, intents, question_word_tokens
from .query import normalise_spelling, parse_query
from .search import Hit, Retriever
from .words import content_words

MAX_TOPIC_WORDS = 12  # a long chain of follow-ups keeps its latest subjects, not every word said
MAX_ITEM_CHARS = 200  # an ordinal part with nothing after it to end it
MAX_ITEMS = 60  # items of one list looked through for the last one


def topic_words(retriever: Retriever, question: str) -> list[str]:
    """The words of ``question`` that say what it is about, in order: its content words without
    the names of the documents it names, words that ask something (who, penalty, list, …), bare
    numbers and words the documents never use (typos)."""
    query = parse_query(retriever.restore_tones(question))  # "แลวถาไมทำ" read as "แล้วถ้าไม่ทำ"
    text = query.raw
    for named in retriever.resolve(query):
        text = text.replace(named.mention, " ")
    words: list[str] = []
    for token in _content_tokens(text):
        if token not in words and not token.isdigit() and not intents(token) \
                and token in retriever.document_frequency:  # words no document uses find nothing
            words.append(token)
    return words


def carry(own: list[str], previous: list[str]) -> list[str]:
    """The topic after a follow-up: its own subject words first, then the conversation's."""
    words = own + [w for w in previous if w not in own]
    return words[:MAX_TOPIC_WORDS]


def list_item_answer(retriever: Retriever, previous: Answer, n: int) -> Answer | None:
    """Item ``n`` of the list in the previous answer ("แล้วข้อ 3 ล่ะ"): in the whole section or
    list its first passage belongs to (a list runs over several passages, and the answer may
    shorten its items), then in its text and its passages (lists written inline, "(1) … (2) …").
    An item cut where a passage ends is taken from the passage that holds it whole."""
    index = retriever.index
    groups: list[list[tuple[str, list]]] = []
    if (pos := _source_row(index, previous)) is not None:
        first, last = section_span(index.chunks, pos)
        rows = sorted(set(range(first, last + 1)) | set(list_run(index.chunks, pos)))
        groups.append([(index.chunks[i].text, _cited(index, i)) for i in rows])
    # Its other sources only from the same document: "ข้อ 2" never answers from another one.
    groups += [[(previous.answer, previous.citations[:1])]] + [
        [(c.text, [c])] for c in previous.citations if c.doc_id == previous.citations[0].doc_id]
    for group in groups:
        found = [(item, citations) for text, citations in group if (item := list_item(text, n))]
        if found:
            item, citations = max(found, key=lambda f: len(f[0]))
            return Answer(f"ข้อ {n}", False, item, citations)
    return None


def item_answer(retriever: Retriever, previous: Answer, question: str, n: int) -> Answer | None:
    """Part ``n`` of the series the last ``question`` asked for by name ("มียุทธศาสตร์อะไรบ้าง" →
    "ยุทธศาสตร์ที่ 3", even when the passage also numbers its paragraphs "1. … 4."), else item
    ``n`` of the list in the previous answer ("ข้อ 3")."""
    return numbered_part(retriever, previous, question, n) or list_item_answer(retriever, previous, n)


def last_list_item(retriever: Retriever, previous: Answer, question: str) -> tuple[int, Answer] | None:
    """The last item of the list in the previous answer ("ข้อสุดท้าย") and its number."""
    found = None
    for n in range(1, MAX_ITEMS + 1):
        if (item := item_answer(retriever, previous, question, n)) is None:
            break
        found = (n, item)
    return found


def asks_without_subject(retriever: Retriever, question: str) -> bool:
    """Whether ``question`` asks something (who, how much, a penalty, …) without saying about
    what: it names no document and no มาตรา, and has no word beyond what it asks ("โทษเท่าไร",
    "ใครเป็นประธาน", "ต้องทำภายในกี่วัน"). Only a conversation can say what it is about."""
    query = parse_query(question)
    return bool(query.intents) and not query.section and not retriever.resolve(query) \
        and not subject_words(question)


def names_only(retriever: Retriever, question: str) -> bool:
    """Whether ``question`` names a document and nothing else, asking nothing ("แล้ว พรบ ไซเบอร์
    ล่ะ"): the last question, asked of that document."""
    query = parse_query(question)
    named = retriever.resolve(query)
    text = query.raw
    for n in named:
        text = text.replace(n.mention, " ") if n.mention else text
    return bool(named) and not query.intents and not subject_words(text)


def list_run(chunks: list[Chunk], pos: int) -> list[int]:
    """Rows of the passages a list in the passage at ``pos`` runs over (each repeats its lead-in)."""
    first = last = pos
    while first > 0 and continues_list(chunks[first - 1], chunks[first]):
        first -= 1
    while last + 1 < len(chunks) and continues_list(chunks[last], chunks[last + 1]):
        last += 1
    return list(range(first, last + 1))


def section_number(label: str | None) -> str | None:
    """The number of a มาตรา label ("มาตรา ๑๒ (๓)" → "12"); None for other labels."""
    key = section_key(label)
    return key[1] if key and key[0] == "มาตรา" else None


def neighbour_section(retriever: Retriever, previous: Answer, before: bool) -> Answer | None:
    """The section before/after the one cited first in the previous answer, from its start, within
    the same Act of the same document; in a document without sections (a news item), the passage
    before/after it ("ต่อเลย")."""
    chunks = retriever.index.chunks
    pos = _source_row(retriever.index, previous)
    if pos is None:
        return None
    here = chunks[pos]
    sectioned = section_key(here.section) is not None
    step = -1 if before else 1
    i = pos + step
    while 0 <= i < len(chunks) and chunks[i].doc_id == here.doc_id:
        chunk = chunks[i]
        if chunk.unit == here.unit and chunk.role in SUBSTANTIVE and (not sectioned or (
                chunk.section and section_key(chunk.section) != section_key(here.section))):
            i = section_span(chunks, i)[0]  # a long section: start at its beginning
            return Answer(chunks[i].section or "", False, chunks[i].text, _cited(retriever.index, i))
        i += step
    return None


def ask_follow_up(retriever: Retriever, previous: Answer, question: str, own: list[str],
                  topic: list[str], k: int = 3) -> Answer:
    """Answer a follow-up that carries the topic, within the previous answer's document.

    The passages around the previous answer come first only when its section holds what is
    asked. A penalty question is about the previous answer's มาตรา only when it brings no subject
    of its own that the section lacks ("แล้วถ้าไม่ทำ โทษเท่าไร"); when it does ("ถ้าคณะกรรมการ
    เรียกไปให้ถ้อยคำแล้วไม่ไป โทษเท่าไร"), the section found for that subject leads to the penalty
    section citing it, as a มาตรา named in the question would.
    """
    first = previous.citations[0]
    query = parse_query(question)
    named = retriever.resolve(query)
    if named and not any(first.doc_id in n.doc_ids for n in named):  # "แล้ว พรบ ไซเบอร์ ล่ะ"
        return ask(retriever, question, k, topic=" ".join(topic))
    if query.section:  # "แล้วมาตรา 9 ล่ะ": that section of the same document
        return ask(retriever, question, k, within=first.doc_id)
    consequence = asks_consequence(question, intents(question))
    asked = asked_words(question)
    near = first.chunk_id if asked and on_the_table(retriever, previous, asked) else None
    section = section_number(first.section) if consequence and on_the_table(retriever, previous, own) \
        else None
    answer = ask(retriever, question, k, within=first.doc_id, section=section, near=near,
                 topic=" ".join(topic))
    found = section_number(answer.citations[0].section) if answer.citations else None
    if consequence and section is None and found:
        return ask(retriever, question, k, within=first.doc_id, section=found, near=near,
                   topic=" ".join(topic))
    return answer


def in_document(retriever: Retriever, previous: Answer, question: str) -> float:
    """The share of the subject words of ``question`` that the document of the previous answer
    holds (compared without tone marks; 1.0 for a question without any, "มีโทษไหม"): a short
    question whose words it all holds is most likely about it ("วาระกี่ปี"), one it lacks is a new
    question ("ราคาทองวันนี้")."""
    index = retriever.index
    pos = _source_row(index, previous)
    if pos is None:
        return 0.0
    text = loose_key(" ".join(index.chunks[i].text for i in _document_rows(index, pos)))
    words = subject_words(question)
    return sum(loose_key(w) in text for w in words) / len(words) if words else 1.0


def on_the_table(retriever: Retriever, previous: Answer, words: list[str]) -> bool:
    """Whether the section the previous answer came from holds all of ``words`` (a follow-up's
    words: "ใครเป็นเลขานุการ" after the section that lists the committee): then the answer is
    most likely there or around it."""
    index = retriever.index
    pos = _source_row(index, previous)
    if pos is None:
        return False
    first, last = section_span(index.chunks, pos)
    text = loose_key(" ".join(index.chunks[i].text for i in range(first, last + 1)))
    return all(loose_key(w) in text for w in words)


def asked_words(question: str) -> list[str]:
    """The content words of ``question``, including those that say what it asks (ประธาน, โทษ)."""
    tokens = _content_tokens(question)
    return [t for i, t in enumerate(tokens) if t not in tokens[:i]]


def subject_words(question: str) -> list[str]:
    """The content words of ``question`` that do not only say what it asks ("ประธาน", "มีโทษ",
    "วาระ" are intents): what it is about."""
    return [w for w in asked_words(question) if not intents(w)]


def _content_tokens(text: str) -> list[str]:
    """The content words of ``text`` in order, without the pieces of question words typed
    without tone marks ("เทา", "ไห" of "เทาไหร" are no subject)."""
    tokens = word_tokens(normalise_spelling(text))
    keep = content_words(tokens)
    asking = question_word_tokens(tokens)
    return [t for i, t in enumerate(tokens) if t in keep and i not in asking]


def ordinal_item(retriever: Retriever, previous: Answer, label: str, n: int) -> Answer | None:
    """The part of the previous answer's document that ordinal ``label`` ``n`` introduces
    ("เป้าหมายที่ 4", "ยุทธศาสตร์ที่ 2", written inline or line by line), up to the next one, from
    the passage nearest the previous answer's first source that holds it (a news item may list
    them paragraphs after the lead the answer quoted)."""
    index = retriever.index
    pos = _source_row(index, previous)
    if pos is None:
        return None
    rows = sorted(_document_rows(index, pos), key=lambda i: abs(i - pos))
    start = re.compile(rf"{re.escape(label)}ที่\s*{n}(?![0-9])")
    for i in rows:
        text = index.chunks[i].text
        digits = arabic_digits(text)  # same length as ``text``
        if not (m := start.search(digits)):
            continue
        after = re.search(rf"{re.escape(label)}ที่\s*{n + 1}(?![0-9])|\n", digits[m.end():])
        end = m.end() + after.start() if after else len(text)
        item = text[m.start():end].strip(" -–:\n")
        # Not ended by the next one (the last, or one a line): the paragraph may run on past it.
        return Answer(f"{label}ที่ {n}", False, clip(item, MAX_ITEM_CHARS if after is None or
                                                      after.group() == "\n" else MAX_ANSWER_CHARS),
                      _cited(index, i))
    return None


def numbered_part(retriever: Retriever, previous: Answer, question: str, n: int) -> Answer | None:
    """Part ``n`` of a series named by a word of the last ``question`` ("4 เป้าหมาย… มีอะไรบ้าง"
    listed as "เป้าหมายที่ 1 … เป้าหมายที่ 2 …"), for "ข้อ 2"; None when no word of it numbers
    parts from 1 in the previous answer's document."""
    for word in dict.fromkeys(_content_tokens(question)):
        if not word.isdigit() and ordinal_item(retriever, previous, word, 1):
            return ordinal_item(retriever, previous, word, n)
    return None


def _source_row(index: PublishedIndex, previous: Answer) -> int | None:
    """The row of the passage the previous answer cites first; None when it cites none."""
    return index.positions.get(previous.citations[0].chunk_id) if previous.citations else None


def _document_rows(index: PublishedIndex, pos: int) -> range:
    """Rows of the passages of the document the passage at ``pos`` belongs to."""
    doc = index.chunks[pos].doc_id
    first = last = pos
    while first > 0 and index.chunks[first - 1].doc_id == doc:
        first -= 1
    while last + 1 < len(index.chunks) and index.chunks[last + 1].doc_id == doc:
        last += 1
    return range(first, last + 1)


def _cited(index: PublishedIndex, row: int) -> list[Citation]:
    """The citation of the passage at ``row`` (with the rest of its section, see ``cite``)."""
    return cite(index, [Hit(row, index.chunks[row], 1.0, 0.0, 0.0)])
