"""What a follow-up in a chat refers to, resolved against the previous answer.

- "ข้อ 3": item 3 of the list the previous answer showed or came from;
- "มาตราถัดไป" / "มาตราก่อนหน้า": the next or previous section of the same Act;
- a topic follow-up ("แล้วใครเป็นประธาน", "วาระกี่ปี") names no subject of its own; it asks about
  the subject of the questions before it. Its search carries their topic words (not their
  question words, intent words or document names: the document scopes the search instead).
"""

from index.documents import SUBSTANTIVE
from index.sections import section_key
from index.tokens import loose_key, word_tokens

from .abstain import content_words
from .answer import Answer, cite
from .compose import list_item
from .intent import intents
from .query import normalise_spelling, parse_query
from .search import Hit, Retriever

MAX_TOPIC_WORDS = 12  # a long chain of follow-ups keeps its latest subjects, not every word said


def topic_words(retriever: Retriever, question: str) -> list[str]:
    """The words of ``question`` that say what it is about, in order: its content words without
    the names of the documents it names, words that ask something (who, penalty, list, …), bare
    numbers and words the documents never use (typos)."""
    query = parse_query(question)
    text = query.raw
    for named in retriever.resolve(query):
        text = text.replace(named.mention, " ")
    tokens = word_tokens(normalise_spelling(text))
    keep = content_words(tokens)
    words: list[str] = []
    for token in tokens:
        if token in keep and token not in words and not token.isdigit() and not intents(token) \
                and token in retriever.document_frequency:  # words no document uses find nothing
            words.append(token)
    return words


def carry(own: list[str], previous: list[str]) -> list[str]:
    """The topic after a follow-up: its own subject words first, then the conversation's."""
    words = own + [w for w in previous if w not in own]
    return words[:MAX_TOPIC_WORDS]


def list_item_answer(retriever: Retriever, previous: Answer, n: int) -> Answer | None:
    """Item ``n`` of the list in the previous answer ("แล้วข้อ 3 ล่ะ"): in the whole section its
    first passage belongs to (a list runs over several passages, and the answer may shorten its
    items), then in its text and its passages (lists written inline, "(1) … (2) …")."""
    index = retriever.index
    sources: list[tuple[str, list]] = []
    if previous.citations and (pos := index.positions.get(previous.citations[0].chunk_id)) is not None:
        for i in same_section(index.chunks, pos):
            sources.append((index.chunks[i].text, cite(index, [Hit(i, index.chunks[i], 1.0, 0.0, 0.0)])))
    sources += [(previous.answer, previous.citations[:1])] + [(c.text, [c]) for c in previous.citations]
    for text, citations in sources:
        if found := list_item(text, n):
            return Answer(f"ข้อ {n}", False, found, citations)
    return None


def same_section(chunks: list, pos: int) -> list[int]:
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


def section_number(label: str | None) -> str | None:
    key = section_key(label)
    return key[1] if key and key[0] == "มาตรา" else None


def neighbour_section(retriever: Retriever, previous: Answer, before: bool) -> Answer | None:
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
            i = same_section(chunks, i)[0]  # a long section: start at its beginning
            hit = Hit(i, chunks[i], 1.0, 0.0, 0.0)
            return Answer(chunks[i].section or "", False, chunks[i].text, cite(retriever.index, [hit]))
        i += step
    return None


def on_the_table(retriever: Retriever, previous: Answer, words: list[str]) -> bool:
    """Whether the section the previous answer came from holds all of ``words`` (a follow-up's
    words: "ใครเป็นเลขานุการ" after the section that lists the committee): then the answer is
    most likely there or around it."""
    index = retriever.index
    pos = index.positions.get(previous.citations[0].chunk_id) if previous.citations else None
    if pos is None:
        return False
    text = loose_key(" ".join(index.chunks[i].text for i in same_section(index.chunks, pos)))
    return all(loose_key(w) in text for w in words)


def asked_words(question: str) -> list[str]:
    """The content words of ``question``, including those that say what it asks (ประธาน, โทษ)."""
    tokens = word_tokens(normalise_spelling(question))
    keep = content_words(tokens)
    return [t for i, t in enumerate(tokens) if t in keep and t not in tokens[:i]]
