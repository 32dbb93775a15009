"""Compose a short, cited answer from ranked passages; platform-neutral (front ends render it)."""

import re
from dataclasses import dataclass, field

from index.chunking import ITEM_LABEL, continues_list
from index.documents import Chunk
from index.glossary import Definition, lookup
from index.sections import section_key
from index.store import PublishedIndex
from index.thai_text import arabic_digits
from index.tokens import word_tokens

from .abstain import Evidence, content_words, evidence, should_abstain
from .query import Query, definition_subject, parse_query
from .search import Hit, Retriever

MAX_ANSWER_CHARS = 600
MAX_LIST_CHARS = 900  # a whole list may be longer than a sentence answer
ANSWER_WINDOW = 300  # characters quoted around the best-matching phrase
_SENTENCE_BREAK = re.compile(r"\n|(?<=[ก-๙a-z)”])\s{1,2}(?=[ก-ฮเ-ไ“(A-Z])")


@dataclass
class Citation:
    """One numbered source under an answer (the JSON contract of ``sarabun ask --json``)."""

    rank: int
    doc_id: str
    title: str
    source: str
    page: int | None
    section: str | None
    text: str
    score: float
    chunk_id: str = ""
    printed_page: str | None = None
    date: str = ""

    def to_json(self) -> dict:
        """The citation object of ``sarabun ask --json``."""
        return {"rank": self.rank, "doc_id": self.doc_id, "title": self.title, "source": self.source,
                "page": self.page, "section": self.section, "text": self.text,
                "score": round(self.score, 4)}


@dataclass
class Answer:
    """An answer and the passages it rests on; ``abstained`` means the documents do not answer."""

    question: str
    abstained: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # titles of the most related documents
    evidence: Evidence | None = None
    not_found: str = ""  # on a decline: the document or term the question names, when known

    def to_json(self) -> dict:
        """The ``sarabun ask --json`` object."""
        return {
            "question": self.question,
            "abstained": self.abstained,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
        }


def cite(index: PublishedIndex, hits: list[Hit], start: int = 1) -> list[Citation]:
    """Numbered citations for ``hits``."""
    out = []
    for rank, hit in enumerate(hits, start):
        doc, chunk = index.documents[hit.chunk.doc_id], hit.chunk
        # A section of an amending Act is cited as that Act's, never as the main Act's.
        text = "\n".join([chunk.text, *(f"[เชิงอรรถ] {note}" for note in chunk.notes)])
        out.append(Citation(rank, doc.doc_id, chunk.unit or doc.title, doc.source, chunk.page,
                            chunk.section, text, hit.score, chunk.chunk_id, chunk.printed_page, doc.date))
    return out


def ask(retriever: Retriever, question: str, k: int = 3, skip: int = 0) -> Answer:
    """Answer ``question`` from the index: the best passage's answering sentence(s) and up to
    ``k`` citations (``skip`` passes over results already shown, for "another answer").
    "X คืออะไร" questions about a term the documents define get those definitions first."""
    query = parse_query(question)
    missing = [n for n in retriever.resolve(query) if n.missing]
    if missing and len(missing) == len(query.named):
        # A law the collection lacks: never answer from another law.
        return Answer(question, True, "", [], related_documents(retriever, query), None, missing[0].title)
    if query.wants_definition and not skip:
        answer = define(retriever, definition_subject(query.text))
        if not answer.abstained:
            answer.question = question
            return answer
    hits = retriever.search(query, k=k + skip + 2)
    best = hits[0] if hits else None
    ev = evidence(query, hits, retriever.vocabulary)
    # A question naming a มาตรา that the documents contain is answerable by definition.
    names_found_section = bool(query.section and best and
                               section_key(best.chunk.section) == ("มาตรา", query.section))
    if best is None or (should_abstain(ev) and not names_found_section):
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev)
    shown = hits[skip : skip + k]
    if not shown:
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev)
    passage = shown[0].chunk.text
    if query.wants_list and any(ITEM_LABEL.match(line) for line in passage.split("\n")):
        passage = _whole_list(query, retriever.index.chunks, shown[0].position)
    return Answer(question, False, compose(query, passage), cite(retriever.index, shown, start=1), [], ev)


def define(retriever: Retriever, term: str) -> Answer:
    """Every document's definition of ``term``, each cited; abstains when none defines it."""
    index = retriever.index
    found = lookup(index.glossary, term)
    if not found:
        return Answer(term, True, "", [], related_documents(retriever, parse_query(term)), not_found=term)
    # Each definition gets its share of the answer, so every document's meaning shows.
    share = max(120, MAX_ANSWER_CHARS // len(found))
    text = "\n".join(f"• “{d.term}” ({index.documents[d.doc_id].title}) หมายความว่า "
                     f"{_clip(d.meaning, share)}" for d in found)
    return Answer(term, False, text, cite(index, _definition_hits(index, found)))


def _definition_hits(index: PublishedIndex, definitions: list[Definition]) -> list[Hit]:
    hits: list[Hit] = []
    for rank, d in enumerate(definitions):
        if d.chunk_id in index.positions and all(h.chunk.chunk_id != d.chunk_id for h in hits):
            i = index.positions[d.chunk_id]
            hits.append(Hit(i, index.chunks[i], 1.0 - rank / 100, 0.0, 0.0))
    return hits


def _whole_list(query: Query, chunks: list[Chunk], position: int) -> str:
    """The list in chunk ``position`` that the question asks for, in full: its lead-in and every
    item, also from neighbouring chunks that continue it; long items are shortened so that all
    of them show."""
    first = last = position
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
    share = max(60, (MAX_LIST_CHARS - len(lead)) // len(items))
    return "\n".join(([lead] if lead else []) + [_clip(item, share) for item in items])


def compose(query: Query, passage: str) -> str:
    """The part of ``passage`` that answers: the whole list for list questions, otherwise the
    phrase sharing most content words with the question, with the text around it."""
    lines = passage.split("\n")
    if query.wants_list and any(ITEM_LABEL.match(line) for line in lines):
        return _clip(passage, MAX_LIST_CHARS)
    if len(passage) <= ANSWER_WINDOW:
        return passage
    phrases = [s.strip() for s in _SENTENCE_BREAK.split(_unwrap(lines)) if s.strip()]
    words = content_words(query.tokens)
    overlap = [len(words & set(word_tokens(p))) for p in phrases]
    best = max(range(len(phrases)), key=lambda i: (overlap[i], -i))
    lo, hi, size = best, best + 1, len(phrases[best])
    grew = True
    while grew:  # widen around the best phrase, the following text first
        grew = False
        if hi < len(phrases) and size + len(phrases[hi]) <= ANSWER_WINDOW:
            size, hi, grew = size + len(phrases[hi]), hi + 1, True
        if lo > 0 and size + len(phrases[lo - 1]) <= ANSWER_WINDOW:
            size, lo, grew = size + len(phrases[lo - 1]), lo - 1, True
    text = " ".join(phrases[lo:hi])
    return _clip(("… " if lo > 0 else "") + text + (" …" if hi < len(phrases) else ""))


def _unwrap(lines: list[str]) -> str:
    """Join wrapped lines: a line that does not start a list item continues the previous one."""
    out: list[str] = []
    for line in lines:
        if out and not ITEM_LABEL.match(line):
            out[-1] += " " + line
        else:
            out.append(line)
    return "\n".join(out)


def _clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit] + " …"


def related_documents(retriever: Retriever, query: Query, hits: list[Hit] | None = None, n: int = 3
                      ) -> list[str]:
    """Titles of the documents nearest to the question, for a decline to suggest."""
    hits = retriever.search(query, k=10) if hits is None else hits
    titles: list[str] = []
    for hit in hits:
        title = retriever.index.documents[hit.chunk.doc_id].title
        if title not in titles:
            titles.append(title)
    return titles[:n]
