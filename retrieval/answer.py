"""Compose a short, cited answer from ranked passages; platform-neutral (front ends render it)."""

import re
from dataclasses import dataclass, field

from index.chunking import ITEM_LABEL
from index.documents import Chunk
from index.glossary import Definition, lookup
from index.sections import section_key
from index.store import PublishedIndex
from index.thai_text import compact
from index.tokens import word_tokens

from .abstain import (
    EVIDENCE_HITS,
    HOW_TO,
    TOP,
    Evidence,
    evidence,
    should_abstain,
    unstated_quantity,
    untold_how_to,
)
from .clauses import best_clause
from .compose import (
    MAX_ANSWER_CHARS,
    MAX_REASONS_CHARS,
    NEIGHBOURS,
    SLACK_CHARS,
    clip,
    compose,
    context,
    section_span,
    whole_list,
)
from .definitions import ITEM_START, asked_definition
from .documents import Named
from .intent import asks_reasons
from .named_checks import absent_section, lacking, tells_about, unpenalised
from .query import Query, definition_subject, normalise_spelling, parse_query
from .search import Hit, Retriever, without_names
from .words import content_words

SECOND_SOURCES = 2  # later passages that may add a better-answering clause
SECOND_SOURCE_SCORE = 1.5  # what of the question a later passage must add (see clauses.clause_features)
QUOTED_TITLE = 0.5  # share of a title's words a question repeats when it quotes the title
CITED_SECTION_CHARS = 2000  # a section split over passages is cited whole up to this length
SPARE_HITS = 6  # passages searched beyond those shown, to replace ones of a section already cited


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
    ocr: bool = False  # the passage was read by OCR from a scan or a photo
    ocr_confidence: float | None = None  # its lowest page confidence (0-100)
    focus: int = 0  # where in ``text`` the passage the search found starts (excerpts start there)

    def to_json(self) -> dict:
        """The citation object of ``sarabun ask --json``."""
        return {"rank": self.rank, "doc_id": self.doc_id, "title": self.title, "source": self.source,
                "page": self.page, "section": self.section, "text": self.text,
                "score": round(self.score, 4), "ocr": self.ocr, "ocr_confidence": self.ocr_confidence}


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
    unstated: str = ""  # on a decline: the unit of a quantity or the fact (abstain.NAMED_FACTS) unstated

    def to_json(self) -> dict:
        """The ``sarabun ask --json`` object."""
        return {
            "question": self.question,
            "abstained": self.abstained,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
        }


def cite(index: PublishedIndex, hits: list[Hit], start: int = 1) -> list[Citation]:
    """Numbered citations for ``hits``, each showing the passage's whole section (see
    :func:`cited_rows`; never a passage an earlier citation shows) with its footnotes."""
    out = []
    taken: set[int] = set()
    for rank, hit in enumerate(hits, start):
        doc, chunk = index.documents[hit.chunk.doc_id], hit.chunk
        span = cited_rows(index.chunks, hit.position, taken)
        taken.update(span)
        rows = [index.chunks[i] for i in span]
        text = "\n".join([*(c.text for c in rows), *(f"[เชิงอรรถ] {n}" for c in rows for n in c.notes)])
        focus = sum(len(c.text) + 1 for c in rows[: hit.position - span.start])
        confidences = [c.ocr_confidence for c in rows if c.ocr_confidence is not None]
        # A section of an amending Act is cited as that Act's, never as the main Act's.
        out.append(Citation(rank, doc.doc_id, chunk.unit or doc.title, doc.source, rows[0].page,
                            _span_label(index.chunks, hit.position, span), text, hit.score, chunk.chunk_id,
                            rows[0].printed_page, doc.date, any(c.ocr for c in rows),
                            min(confidences) if confidences else None, focus))
    return out


def cited_rows(chunks: list[Chunk], position: int, taken: set[int] | frozenset[int] = frozenset()) -> range:
    """The passages a citation of passage ``position`` shows: what the answer may draw on (its
    whole section, or a news paragraph's neighbours; see :func:`compose.context`), so the
    reader sees all it rests on; of a long section, the passages nearest to ``position`` up to
    ``CITED_SECTION_CHARS``. Passages in ``taken`` (shown by an earlier citation) are left out."""
    first, last = section_span(chunks, position, NEIGHBOURS)
    lo = hi = position
    size = len(chunks[position].text)
    grown = True
    while grown:
        grown = False
        for i in (lo - 1, hi + 1):  # the earlier side first
            if first <= i <= last and i not in taken and size + len(chunks[i].text) <= CITED_SECTION_CHARS:
                size += len(chunks[i].text)
                lo, hi, grown = min(lo, i), max(hi, i), True
    return range(lo, hi + 1)


def _span_label(chunks: list[Chunk], position: int, span: range) -> str | None:
    """The label of what a citation shows: the section ("มาตรา ๑๘", not one passage's items
    "มาตรา ๑๘ (๑)–(๓)") when it shows all of it, else the passage's own label."""
    label = chunks[position].section
    if label and label.startswith("มาตรา") and len(span) > 1 and \
            (span.start, span.stop - 1) == section_span(chunks, position):
        return label.split(" (")[0]
    return label


def distinct_sections(chunks: list[Chunk], hits: list[Hit]) -> list[Hit]:
    """``hits`` without those whose passage an earlier hit's citation already shows."""
    taken: set[int] = set()
    out = []
    for hit in hits:
        if hit.position not in taken:
            out.append(hit)
            taken.update(cited_rows(chunks, hit.position, taken))
    return out


def ask(retriever: Retriever, question: str, k: int = 3, skip: int = 0, within: str | None = None,
        section: str | None = None, near: str | None = None, topic: str = "") -> Answer:
    """Answer ``question`` from the index: the best passage's answering sentence(s) and up to
    ``k`` citations (``skip`` passes over results already shown, for "another answer").
    A follow-up that carries the topic passes the document (``within``), the มาตรา (``section``)
    and the passage (``near``, a chunk id) of the previous answer, unless the question names its own,
    and the conversation's ``topic`` words, which the search uses but the answer's clauses do not.
    "X คืออะไร" questions about a term the documents define get those definitions first."""
    typed = retriever.restore_tones(question)  # "แกไข" read as "แก้ไข"
    asked = parse_query(typed)
    query = asked
    if topic:  # searched with the topic; what is asked (intents) comes from the question alone
        query = parse_query(f"{typed} {topic}")
        query.intents, query.wants_list, query.wants_definition = \
            asked.intents, asked.wants_list, asked.wants_definition
    named = retriever.resolve(query)
    if within and not named:
        # Named by the conversation, not by the question: the mention is the title, never "",
        # which search would "remove" between every character of the question.
        query.named = [Named(retriever.index.documents[within].title, [within])]
        query.section = query.section or section
        query.near = retriever.index.positions.get(near) if near else None
    missing = [n for n in named if n.missing]
    if missing and len(missing) == len(query.named):
        # A law the collection lacks: never answer from another law.
        return Answer(question, True, "", [], related_documents(retriever, query), None, missing[0].title)
    absent = absent_section(retriever.index, query, named) or unpenalised(retriever.index, query, named)
    if absent:  # "มาตรา 25" of an Act that has 20, a penalty no section sets: nothing can answer
        return Answer(question, True, "", [], related_documents(retriever, query), None, absent)
    if not named and untold_how_to(asked, retriever.document_frequency):  # "ตั้ง VPN ยังไง"
        return Answer(question, True, "", [], related_documents(retriever, query), None, unstated=HOW_TO)
    if query.wants_definition and not skip:
        # The term is what the question asks about besides the documents it names, wherever it
        # names them ("ตาม พ.ร.บ.คอม ผู้ให้บริการ หมายถึงอะไร", "ผู้ให้บริการ ตาม พ.ร.บ.คอม คืออะไร").
        docs = {d for n in named if not n.title for d in n.doc_ids}
        terms = (definition_subject(without_names(asked, named).text), definition_subject(query.text))
        for term in dict.fromkeys(terms):
            answer = define(retriever, term, docs)
            if not answer.abstained:
                answer.question = question
                return answer
    wanted = max(k + skip + 2, EVIDENCE_HITS)  # what the evidence is measured on
    pool = retriever.search(query, k=wanted + SPARE_HITS)
    hits = pool[:wanted]
    best = hits[0] if hits else None
    ev = evidence(query, hits, retriever.document_frequency, len(retriever.index.chunks))
    # A question naming a มาตรา that the documents contain is answerable by definition.
    names_found_section = bool(query.section and best and
                               section_key(best.chunk.section) == ("มาตรา", query.section))
    # So is "why was <a law of the collection> made" when search put that law's reasons note first
    # (the question's words are mostly the law's name, which the evidence does not count).
    names_found_reasons = bool(best and best.chunk.role == "reasons" and asks_reasons(query.raw) and
                               any(best.chunk.doc_id in n.doc_ids for n in named if not n.title))
    if best is None or (should_abstain(ev) and not (names_found_section or names_found_reasons)):
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev, lacking(named))
    # A lacking law named beside one of the collection's ("the decree ... under the Constitution")
    # is context: the collection's document is what is asked about.
    mentioned = [n for n in named if n.title and n.doc_ids] if all(n.title for n in named) else []
    if mentioned and not tells_about(query, mentioned, retriever.index.chunks, best.position):
        # A law the collection lacks, which its documents only mention: answer only what a
        # document about it says, never from another law (a PDPA fine is not in a training news).
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev,
                      mentioned[0].title)
    # A fine is about the offence, which the question may tell in its own words ("ไม่ทำตามโดนปรับ"):
    # only other amounts must stand beside the question's rarer words.
    rarer = None if "penalty" in asked.intents else retriever.document_frequency
    unit = unstated_quantity(asked.text, [context(retriever.index.chunks, h.position) for h in hits[:TOP]],
                             document_frequency=rarer)
    if unit:
        # "กี่บาท" and no amount in baht in the passages that answer: a fee, a budget, a count
        # the documents never state is declined, not answered with another number.
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev, lacking(named),
                      unit)
    shown = distinct_sections(retriever.index.chunks, pool)[skip : skip + k]
    if not shown:
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev, lacking(named))
    # The answer reads the passages as ranked from the first one cited (a later one of the first's
    # section adds nothing to it).
    first = next(i for i, hit in enumerate(pool) if hit is shown[0])
    text = _answer_text(retriever, asked, pool[first : first + k])
    unit = unstated_quantity(asked.text, [text], answer=True)
    if unit:
        # The passages state such a number somewhere, but not what the answer quotes: the number
        # found belongs to something else ("ลาคลอดกี่วัน" and a section's "ภายในสามสิบวัน").
        return Answer(question, True, "", [], related_documents(retriever, query, hits), ev, lacking(named),
                      unit)
    return Answer(question, False, text, cite(retriever.index, shown, start=1), [], ev)


def _answer_text(retriever: Retriever, query: Query, shown: list[Hit]) -> str:
    """The first passage's answering part; when a later passage of the same document holds what
    of the question the first one's section nowhere holds (another part of the question, or the
    fact the first passage only leads up to), its answering part follows, labelled with its own
    section."""
    index = retriever.index
    top = shown[0]
    asked = asked_definition(index, query, top.position)
    if asked is not None:
        return _labelled(top.chunk, asked)
    ignore = _naming_words(query, index.documents[top.chunk.doc_id].title)
    passage = top.chunk.text
    if query.wants_list and any(ITEM_LABEL.match(line) for line in passage.split("\n")):
        return _labelled(top.chunk, compose(query, whole_list(query, index.chunks, top.position), ignore))
    if top.chunk.role == "reasons":  # why an Act was made: its reasons are the answer, whole
        return compose(query, passage.removeprefix("หมายเหตุ :- "), ignore, False, MAX_REASONS_CHARS)
    lead = top.chunk.section is not None
    whole = context(index.chunks, top.position)
    key = section_key(top.chunk.section)
    # A section short enough to show whole already answers in full: halving it for a later
    # passage must buy more of the question.
    needed = SECOND_SOURCE_SCORE * (2 if len(whole) <= MAX_ANSWER_CHARS + SLACK_CHARS else 1)
    better = next((h for h in shown[1:SECOND_SOURCES + 1] if h.chunk.doc_id == top.chunk.doc_id
                   and (not key or section_key(h.chunk.section) != key)
                   and h.chunk.text not in whole
                   and best_clause(query, h.chunk.text, ignore, beyond=whole) >= needed), None)
    if better is None:
        return _labelled(top.chunk, compose(query, whole, ignore, lead, focus=passage))
    half = MAX_ANSWER_CHARS // 2
    return "\n".join([_labelled(top.chunk, compose(query, whole, ignore, lead, half, passage)),
                      _labelled(better.chunk, compose(query, better.chunk.text, ignore,
                                                      better.chunk.section is not None, half))])


def _naming_words(query: Query, title: str) -> frozenset[str]:
    """The words that only name the document: those of the names the question gives it ("พรบ
    คอม", but not "คอม" in "ยึดคอม"), the title's words when the question quotes most of the
    title, and the words the question writes in quotation marks (a news headline: ข่าว "ไฟเขียว!
    …"). They do not say which clause answers."""
    quoted = {w for q in _QUOTED.findall(query.raw) for w in content_words(word_tokens(q))}
    if query.named:
        quoted |= content_words(query.tokens) - content_words(without_names(query, query.named).tokens)
    words = content_words(word_tokens(title))
    if words and len(words & set(query.tokens)) / len(words) >= QUOTED_TITLE:
        return frozenset(words | quoted)
    return frozenset(quoted)


# Text in quotation marks, long enough to be a title rather than a quoted term ("“ผู้ให้บริการ”").
_QUOTED = re.compile(r"[\"“]([^\"“”]{20,})[\"”]")


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


def define(retriever: Retriever, term: str, docs: set[str] | None = None) -> Answer:
    """Every document's definition of ``term``, each cited; only those of ``docs`` when the
    question names documents that define it; abstains when none defines it."""
    index = retriever.index
    found = lookup(index.glossary, term) or lookup(index.glossary, normalise_spelling(term))
    if docs:
        found = [d for d in found if d.doc_id in docs] or found
    if not found:
        return Answer(term, True, "", [], related_documents(retriever, parse_query(term)), not_found=term)
    # Each definition gets its share of the answer, so every document's meaning shows.
    share = max(120, MAX_ANSWER_CHARS // len(found))
    text = "\n".join(f"• “{d.term}” ({index.documents[d.doc_id].title}) หมายความว่า "
                     f"{ITEM_START.sub(chr(10) + '   ', clip(d.meaning, share))}" for d in found)
    return Answer(term, False, text, cite(index, _definition_hits(index, found)))


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
