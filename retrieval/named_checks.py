"""Checks on the documents a question names, made before and after searching: a มาตรา or a
penalty the named documents do not have (declined by name), and whether a passage is about a
law the collection lacks that its documents only mention (a PDPA course report answers about
that course, never about the PDPA itself)."""

import re

import numpy as np

from index.chunkstore import ChunkStore
from index.sections import SETS_PENALTY
from index.store import PublishedIndex
from index.tokens import loose_key, toneless, word_tokens

from .compose import context
from .documents import Named, name_key
from .query import Query
from .words import content_words

MENTIONED_LAW_SUPPORT = 0.75  # share of the asked words a document merely mentioning a law must hold
_ABBREVIATION = re.compile(r"[.ฯ]")


def tells_about(query: Query, laws: list[Named], chunks: ChunkStore, best: int) -> bool:
    """Whether the passage at row ``best`` is about one of ``laws``: its section or the paragraphs
    around it name the law (a PDPA course report, not an Act that refers to "the law on personal
    data"), and its document holds most of what the question asks besides the law's name (compared
    without spaces and tone marks, as chat questions are typed)."""
    if not any(name_key(n.mention) in loose_key(context(chunks, best)) for n in laws):
        return False
    rows = np.flatnonzero(chunks.in_documents({chunks[best].doc_id}))  # not a scan of every chunk
    text = loose_key("\n".join(chunks[int(i)].text for i in rows))
    rest = query.text.lower()  # with the abbreviations and chat words written out
    for n in laws:
        rest = rest.replace(n.mention.lower(), " ")
    # Abbreviations ("ธ.ค.", "ก.อุตฯ") are written out in documents: not evidence either way.
    asked = {loose_key(w) for w in content_words(word_tokens(rest)) if not _ABBREVIATION.search(w)} - {""}
    return bool(asked) and sum(w in text for w in asked) / len(asked) >= MENTIONED_LAW_SUPPORT


def absent_section(index: PublishedIndex, query: Query, named: list[Named]) -> str:
    """"มาตรา N ของ <title>" when the question names a มาตรา and documents of the collection, and
    none of those documents has that section ("มาตรา N" when it names no document and no document
    has it); "" otherwise."""
    found = [n for n in named if not n.missing]
    if not query.section or (named and not found):
        return ""
    docs = {d for n in found for d in n.doc_ids}
    store = index.chunks
    rows = store.rows_of_section(query.section)
    if any(not docs or store.doc_id(row) in docs for row in rows):
        return ""
    number = query.section.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    # Without a named document: no document of the collection has a section with that number.
    return f"มาตรา {number}" + (f" ของ{index.documents[found[0].doc_ids[0]].title}" if found else "")


def unpenalised(index: PublishedIndex, query: Query, named: list[Named]) -> str:
    """"โทษตามมาตรา N ของ <title>" when the question asks the penalty for a มาตรา of the documents
    it names, and neither that section nor any section citing it sets a penalty (the reference
    graph of the index); "บทกำหนดโทษใน<title>" when it asks a penalty of documents that set none
    anywhere (no มาตรา named); "" otherwise."""
    found = [n for n in named if not n.missing]
    if not found or "penalty" not in query.intents:
        return ""
    docs = {d for n in found for d in n.doc_ids}
    store = index.chunks
    if not query.section:  # a penalty asked of documents with no penalty provisions at all
        if not _ASKS_PENALTY.search(toneless(query.raw)):
            return ""
        if any(SETS_PENALTY.search(store[int(r)].text) for r in np.flatnonzero(store.in_documents(docs))):
            return ""
        return f"บทกำหนดโทษใน{index.documents[found[0].doc_ids[0]].title}"
    rows = [int(r) for r in store.rows_of_section(query.section) if store.doc_id(r) in docs]
    related = rows + store.rows_citing(rows, query.section).tolist()
    if not rows or any(SETS_PENALTY.search(store[r].text) for r in related):
        return ""
    number = query.section.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    return f"โทษตามมาตรา {number} ของ{index.documents[found[0].doc_ids[0]].title}"


# Words that ask for a penalty itself (the "penalty" intent also covers "ผิดไหม").
_ASKS_PENALTY = re.compile(toneless(r"โทษ|ปรับ(?!ปรุง|เปลี่ยน|ใช้|ตัว)|จำคุก|ติดคุก"))


def lacking(named: list[Named]) -> str:
    """The title of a named law the collection lacks (its documents may only mention it)."""
    return next((n.title for n in named if n.title), "")
