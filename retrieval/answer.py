"""Compose a short, cited answer from ranked passages; platform-neutral (front ends render it)."""

import re
from dataclasses import dataclass, field

from index.chunking import ITEM_LABEL
from index.documents import Chunk
from index.glossary import Definition, lookup
from index.sections import section_key
from index.store import PublishedIndex
from index.thai_text import compact

from .abstain import EVIDENCE_HITS, Evidence, evidence, should_abstain
from .compose import MAX_ANSWER_CHARS, clip, compose, whole_list
from .documents import Named
from .query import Query, definition_subject, normalise_spelling, parse_query
from .search import Hit, Retriever


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


def ask(retriever: Retriever, question: str, k: int = 3, skip: int = 0, within: str | None = None,
        section: str | None = None) -> Answer:
    """Answer ``question`` from the index: the best passage's answering sentence(s) and up to
    ``k`` citations (``skip`` passes over results already shown, for "another answer").
    A follow-up that carries the topic passes the document (``within``) and the มาตรา
    (``section``) of the previous answer, unless the question names its own.
    "X คืออะไร" questions about a term the documents define get those definitions first."""
    query = parse_query(question)
    named = retriever.resolve(query)
    if within and not named:
        query.named = [Named("", [within])]
        query.section = query.section or section
    missing = [n for n in named if n.missing]
    if missing and len(missing) == len(query.named):
        # A law the collection lacks: never answer from another law.
        return Answer(question, True, "", [], related_documents(retriever, query), None, missing[0].title)
    if query.wants_definition and not skip:
        answer = define(retriever, definition_subject(query.text))
        if not answer.abstained:
            answer.question = question
            return answer
    hits = retriever.search(query, k=max(k + skip + 2, EVIDENCE_HITS))
    best = hits[0] if hits else None
    ev = evidence(query, hits, retriever.document_frequency, len(retriever.index.chunks))
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
        passage = whole_list(query, retriever.index.chunks, shown[0].position)
    return Answer(question, False, _labelled(shown[0].chunk, compose(query, passage)),
                  cite(retriever.index, shown, start=1), [], ev)


def _labelled(chunk: Chunk, text: str) -> str:
    """The answer led by its section ("มาตรา ๑๒ …"), so "มาตราไหน" is answered and the reader
    sees where the quote stands, even when it starts inside the section."""
    label = chunk.section or ""
    if not label.startswith("มาตรา"):
        return text
    label = label.split(" (")[0]  # "มาตรา ๖ (๓)–(๕)" → "มาตรา ๖"
    if compact(text[: len(label) + 4]).startswith(compact(label)):
        return text
    return f"{label}: {text}"


def define(retriever: Retriever, term: str) -> Answer:
    """Every document's definition of ``term``, each cited; abstains when none defines it."""
    index = retriever.index
    found = lookup(index.glossary, term) or lookup(index.glossary, normalise_spelling(term))
    if not found:
        return Answer(term, True, "", [], related_documents(retriever, parse_query(term)), not_found=term)
    # Each definition gets its share of the answer, so every document's meaning shows.
    share = max(120, MAX_ANSWER_CHARS // len(found))
    text = "\n".join(f"• “{d.term}” ({index.documents[d.doc_id].title}) หมายความว่า "
                     f"{_ITEM_START.sub(chr(10) + '   ', clip(d.meaning, share))}" for d in found)
    return Answer(term, False, text, cite(index, _definition_hits(index, found)))


# Items of a definition written as a list ("(๑) …", "(ก) …") each start a line.
_ITEM_START = re.compile(r"\s+(?=\((?:[0-9๐-๙]{1,2}|[ก-ฮ])\)\s)")


def _definition_hits(index: PublishedIndex, definitions: list[Definition]) -> list[Hit]:
    hits: list[Hit] = []
    for rank, d in enumerate(definitions):
        if d.chunk_id in index.positions and all(h.chunk.chunk_id != d.chunk_id for h in hits):
            i = index.positions[d.chunk_id]
            hits.append(Hit(i, index.chunks[i], 1.0 - rank / 100, 0.0, 0.0))
    return hits


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
